"""An optional capability of a kind: its resources keep backups that can be restored in place.

The engine's contract (`provisioner.engine.kind.Kind`) says how to converge a resource; restoring
data is a different act, done by an operator in an emergency, so it is a separate,
optional protocol. A kind that offers it is found with `isinstance(kind, Recoverable)`;
the `backups` and `restore` commands look for such kinds among an environment's resources
and never need to know which service they belong to.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Protocol, runtime_checkable

from provisioner.engine.operations import Operation
from provisioner.engine.resource import LiveResource


@dataclass(frozen=True)
class Backup:
    """One backup of a resource, in the terms an operator needs to pick one."""

    id: str
    #: How it came about, in the API's words (e.g. taken on a schedule or on demand).
    type: str
    status: str
    #: Whether it finished well enough to be restored.
    restorable: bool
    enqueued_time: str | None = None
    window_start_time: str | None = None
    start_time: str | None = None
    end_time: str | None = None
    location: str | None = None
    description: str | None = None
    #: Why it failed, when it did.
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class ResourceBusy(Exception):
    """The resource is running another operation; `detail` names it."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


@runtime_checkable
class Recoverable(Protocol):
    """A kind whose live resources have backups that can be listed, taken and restored."""

    def backups(self, live: LiveResource) -> list[Backup]:
        """Every backup of `live` the API still keeps, newest first."""
        ...

    def backup(self, live: LiveResource, description: str | None) -> tuple[str, Operation]:
        """Start an on-demand backup: its id and the operation to wait on.

        Raises ResourceBusy when the resource is running another operation.
        """
        ...

    def restore(self, live: LiveResource, backup_id: str) -> Operation:
        """Start overwriting the data of `live` with that of one of its backups.

        Raises ResourceBusy when the resource is running another operation, rather than
        waiting it out: a restore is an operator's decision, made on the state they saw.
        """
        ...

    def busy(self, live: LiveResource) -> str | None:
        """The operation running on `live` (which one, since when), or None when idle."""
        ...

    def restore_warning(self, live: LiveResource) -> str:
        """What a restore destroys and disrupts, in words an operator confirms."""
        ...
