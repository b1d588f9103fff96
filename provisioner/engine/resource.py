"""The nouns every reconciler and the engine share: desired and live resources.

A `Resource` is what the spec asks for, in the API's own shape; a `LiveResource` is what a
list call found. Both are addressed by `<kind>/<name>`, which is stable across runs because
names are deterministic: there is no state file to remember what we made.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

DeletionPolicy = Literal["delete", "abandon"]

MANAGED_BY_LABEL = "managed-by"
MANAGED_BY_VALUE = "digitwin-provisioner"
ENV_LABEL = "digitwin-env"
#: Put on resources whose spec says `deletion_policy: abandon`, so that the choice is still
#: known once the resource has left the spec (there is no state file to remember it).
DELETION_POLICY_LABEL = "digitwin-deletion-policy"


def address_of(kind: str, name: str) -> str:
    return f"{kind}/{name}"


def ownership_labels(env: str) -> dict[str, str]:
    return {MANAGED_BY_LABEL: MANAGED_BY_VALUE, ENV_LABEL: env}


@dataclass(frozen=True)
class Resource:
    """One resource the spec asks for.

    `body` holds only the fields the spec owns, shaped as the API expects them, so the
    diff can compare it with what the API returns without a translation layer.
    `create_only` fields are sent on create but never compared (an API that advances them
    by itself, such as a KMS key's next rotation time, would otherwise drift forever).
    `ignore` fields are sent on create too, but once the resource exists its live values stand.
    """

    kind: str
    name: str
    body: dict[str, Any]
    deps: tuple[str, ...] = ()
    deletion_policy: DeletionPolicy = "delete"
    create_only: dict[str, Any] = field(default_factory=dict)
    display_name: str | None = None
    #: Field patterns the spec's ignore rules leave to others once the resource exists, each
    #: with the rule's reason: neither compared nor written back (see `provisioner.engine.ignore`).
    ignore: dict[str, str] = field(default_factory=dict)

    @property
    def address(self) -> str:
        return address_of(self.kind, self.name)


@dataclass(frozen=True)
class LiveResource:
    """One resource as the API returned it.

    `managed` says whether our ownership labels are on it (or, for kinds without labels,
    whether its deterministic name is ours); `version` is the API's own concurrency token
    (etag, fingerprint, metageneration) when it has one.
    """

    kind: str
    name: str
    body: dict[str, Any]
    managed: bool
    version: str | None = None
    env: str | None = None

    @property
    def address(self) -> str:
        return address_of(self.kind, self.name)


#: Every label that says "ours"; releasing a resource removes all of them.
OWNERSHIP_KEYS = (MANAGED_BY_LABEL, ENV_LABEL, DELETION_POLICY_LABEL)


def without_ownership(labels: dict[str, str] | None) -> dict[str, str]:
    return {k: v for k, v in (labels or {}).items() if k not in OWNERSHIP_KEYS}
