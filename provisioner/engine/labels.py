"""How an update writes labels: the spec's win, labels someone else set stay.

The spec owns only the label keys it names (the diff compares no others), so an update
never drops a label another tool or a person put on the resource; releasing a resource
removes ours alone (`provisioner.spec.ownership.without_ownership`).
"""

from __future__ import annotations

from collections.abc import Mapping


def labels_kept(live: Mapping[str, str] | None, desired: Mapping[str, str] | None) -> dict[str, str]:
    """The labels an update writes: the live ones, with the spec's over them."""
    return {**(live or {}), **(desired or {})}
