"""Optional protocol: a kind whose API takes several changes in one call.

Before an apply makes any change it tells such a kind every change of its kind the plan
holds, so the first call can carry them all (Service Usage enables up to twenty APIs at once).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from provisioner.engine.kind import Kind

if TYPE_CHECKING:
    from provisioner.engine.plan import Change


@runtime_checkable
class Batching(Protocol):
    def planned(self, changes: Sequence[Change]) -> None:
        """The changes of this kind an apply is about to make, before it makes any."""
        ...


def planned(kind: Kind, changes: Sequence[Change]) -> None:
    if isinstance(kind, Batching):
        kind.planned(changes)
