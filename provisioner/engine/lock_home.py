"""Optional protocol: the kind whose resource holds the environment's lock.

An apply takes the lock before its first write, so the resource the lock lives in (the
state bucket) must exist first: it is made on its own, before anything it depends on, and
the plan's own change then brings it to the spec. No apply replaces or deletes it.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from provisioner.engine.kind import Kind
from provisioner.engine.resource import Resource


@runtime_checkable
class LockHome(Protocol):
    def holds_lock(self, name: str) -> bool:
        """Whether the resource of this name is where the environment's lock lives."""
        ...

    def standalone(self, desired: Resource) -> Resource:
        """The resource as it can be made before anything it depends on exists."""
        ...


def holds_lock(kind: Kind, name: str) -> bool:
    return isinstance(kind, LockHome) and kind.holds_lock(name)
