"""The nouns every reconciler and the engine share: desired and live resources.

A `Resource` is what the spec asks for, in the API's own shape; a `LiveResource` is what a
list call found. Both are addressed by `<kind>/<name>`, which is stable across runs because
names are deterministic: there is no state file to remember what we made.

An address is its own type (`Address`), made by `address_of` from a kind and a name, or by
`parse_address` from what a user or a saved plan wrote. It is a `str` at run time, so plan
files, reports and logs print it exactly as before; the type only keeps a bare string (a name,
a kind, a URL) from being passed where an address is meant.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, NewType

from provisioner.spec.ownership import (
    DELETION_POLICY_LABEL,
    ENV_LABEL,
    MANAGED_BY_LABEL,
    MANAGED_BY_VALUE,
    OWNERSHIP_KEYS,
    ownership_labels,
    without_ownership,
)

DeletionPolicy = Literal["delete", "abandon"]

#: A resource's `<kind>/<name>`: the key of plans, graphs, observations and reports. (`--target`
#: stays text: it names an address or a kind, and is compared with addresses where it selects.)
Address = NewType("Address", str)

__all__ = [
    "DELETION_POLICY_LABEL",
    "ENV_LABEL",
    "MANAGED_BY_LABEL",
    "MANAGED_BY_VALUE",
    "OWNERSHIP_KEYS",
    "Address",
    "DeletionPolicy",
    "LiveResource",
    "Resource",
    "address_of",
    "ownership_labels",
    "parse_address",
    "without_ownership",
]


def address_of(kind: str, name: str) -> Address:
    return Address(f"{kind}/{name}")


def parse_address(text: str) -> Address:
    """An address a user typed (`--resource`) or a saved plan recorded.

    The one place besides `address_of` where text becomes an `Address`; nothing is checked
    here, because an unknown kind or name is reported where it is looked up, as before.
    """
    return Address(text)


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
    deps: tuple[Address, ...] = ()
    deletion_policy: DeletionPolicy = "delete"
    create_only: dict[str, Any] = field(default_factory=dict)
    display_name: str | None = None
    #: Field patterns the spec's ignore rules leave to others once the resource exists, each
    #: with the rule's reason: neither compared nor written back (see `provisioner.engine.ignore`).
    ignore: dict[str, str] = field(default_factory=dict)

    @property
    def address(self) -> Address:
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
    def address(self) -> Address:
        return address_of(self.kind, self.name)
