"""The labels that mark a resource as ours, spelled once.

There is no state file: what the provisioner made is known by these labels on the resource
itself (or, where an API has no labels, by a deterministic name or a description starting
with `ownership_note`). The spec reserves the keys, the engine reads them to decide what it
manages, and releasing a resource removes every one of them.
"""

from __future__ import annotations

MANAGED_BY_LABEL = "managed-by"
MANAGED_BY_VALUE = "digitwin-provisioner"
ENV_LABEL = "digitwin-env"
#: Put on resources whose spec says `deletion_policy: abandon`, so that the choice is still
#: known once the resource has left the spec (there is no state file to remember it).
DELETION_POLICY_LABEL = "digitwin-deletion-policy"

#: Every label that says "ours"; releasing a resource removes all of them.
OWNERSHIP_KEYS = (MANAGED_BY_LABEL, ENV_LABEL, DELETION_POLICY_LABEL)
#: The keys a spec's own labels may not set: ownership always wins over them.
RESERVED_KEYS = frozenset({MANAGED_BY_LABEL, ENV_LABEL})


def ownership_labels(env: str) -> dict[str, str]:
    """The labels every resource we make in `env` carries."""
    return {MANAGED_BY_LABEL: MANAGED_BY_VALUE, ENV_LABEL: env}


def is_ours(labels: dict[str, str] | None, env: str) -> bool:
    """Whether these labels say the resource is managed by us for `env`."""
    labels = labels or {}
    return labels.get(MANAGED_BY_LABEL) == MANAGED_BY_VALUE and labels.get(ENV_LABEL) == env


def without_ownership(labels: dict[str, str] | None) -> dict[str, str]:
    """The labels with every one of ours removed: what a released resource keeps."""
    return {k: v for k, v in (labels or {}).items() if k not in OWNERSHIP_KEYS}


def ownership_note(env: str) -> str:
    """How a description says "ours" where an API gives a resource no labels."""
    return f"Managed by {MANAGED_BY_VALUE} for {env}"
