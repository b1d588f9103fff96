"""Optional protocols: what a kind tells the reviewer of a plan beyond the changed fields.

Why a change cannot be made in place, what a delete really does, whether it destroys data,
and notes worth a line in the plan. Each function beside its protocol is what the planner
asks, with its own answer where the kind offers nothing: replacements follow `meta.immutable`,
data loss follows `meta.stateful`, and there is nothing more to say.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol, cast, runtime_checkable

from provisioner.engine.kind import Kind
from provisioner.engine.offers import offers
from provisioner.engine.resource import LiveResource

if TYPE_CHECKING:
    from provisioner.engine.plan import FieldChange


@runtime_checkable
class ReplaceRule(Protocol):
    """A kind whose rule for 'cannot be changed in place' is more than its immutable paths."""

    def replace_reason(self, changes: Sequence[FieldChange]) -> str | None:
        """Why these changes cannot be made in place (None: they can)."""
        ...


@runtime_checkable
class ReplaceBlocker(Protocol):
    """A kind whose replacement cannot always be carried out as delete + create."""

    def replace_blocker(self, live: LiveResource) -> str | None: ...


@runtime_checkable
class DeleteEffect(Protocol):
    """A kind whose API cannot simply delete (a key is only scheduled for destruction)."""

    def delete_effect(self, live: LiveResource) -> str | None:
        """What a delete really does (None: it deletes)."""
        ...


@runtime_checkable
class HoldsData(Protocol):
    """A kind that can tell whether one live resource holds data now (a bucket with objects)."""

    def holds_data(self, live: LiveResource) -> bool: ...


@runtime_checkable
class StatusNote(Protocol):
    """A kind with a state worth reporting even when nothing changes (a certificate still
    provisioning)."""

    def status_note(self, live: LiveResource | None) -> str | None:
        """`live` is None for a resource about to be created."""
        ...


@runtime_checkable
class UpdateNote(Protocol):
    """A kind whose in-place updates do more than the fields say (a restart, a new revision)."""

    def update_note(self, changes: Sequence[FieldChange]) -> str | None: ...


@runtime_checkable
class DeleteNote(Protocol):
    """A kind with consequences of a delete worth telling (a name reserved for a week)."""

    def delete_note(self, live: LiveResource) -> str | None: ...


def replace_reason(kind: Kind, changes: Sequence[FieldChange]) -> str | None:
    if isinstance(kind, ReplaceRule):
        return kind.replace_reason(changes)
    return immutable_reason(kind, changes)


def immutable_reason(kind: Kind, changes: Sequence[FieldChange]) -> str | None:
    """The first change to a path of `meta.immutable`, as the reason to replace."""
    for change in changes:
        for path in kind.meta.immutable:
            if change.path == path or change.path.startswith(path + "."):
                return f"{change.path} cannot be changed in place"
    return None


def replace_blocker(kind: Kind, live: LiveResource) -> str | None:
    return kind.replace_blocker(live) if isinstance(kind, ReplaceBlocker) else None


def delete_effect(kind: Kind, live: LiveResource) -> str | None:
    return kind.delete_effect(live) if isinstance(kind, DeleteEffect) else None


def holds_data(kind: Kind, live: LiveResource) -> bool:
    """Whether deleting this live resource now would destroy data."""
    return kind.holds_data(live) if isinstance(kind, HoldsData) else kind.meta.stateful


def status_note(kind: Kind, live: LiveResource | None) -> str | None:
    # Asked for every resource planned, changed or not: `offers` keeps the answer per class.
    return cast(StatusNote, kind).status_note(live) if offers(kind, StatusNote) else None


def update_note(kind: Kind, changes: Sequence[FieldChange]) -> str | None:
    return kind.update_note(changes) if isinstance(kind, UpdateNote) else None


def delete_note(kind: Kind, live: LiveResource) -> str | None:
    return kind.delete_note(live) if isinstance(kind, DeleteNote) else None
