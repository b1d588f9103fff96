"""Which change sent a request: kinds whose every call, and every poll of what they start, is
tagged with the change's address.

A request listing (`plan --show-requests`) and a recording (`--record-http`, the golden logs)
both group what was sent by resource. The tagger keeps the address per thread for the
duration of each call; only the writing calls (and `read`, after a conflict) are wrapped,
everything else the engine asks of a kind is the kind's own.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any, Protocol

from provisioner.engine import observing
from provisioner.engine.abandon import abandon
from provisioner.engine.kind import Kind
from provisioner.engine.operations import Operation
from provisioner.engine.resource import Address, LiveResource, Resource
from provisioner.engine.thread_value import set_for_thread


class Tagger(Protocol):
    def attributed(self, address: Address) -> AbstractContextManager[None]: ...


class ThreadAddress:
    """The address of the change the current thread works for, set by `attributed`: the
    requests a thread sends inside the block belong to that change."""

    def __init__(self) -> None:
        self._local = threading.local()

    def attributed(self, address: Address) -> AbstractContextManager[None]:
        return set_for_thread(self._local, "address", address)

    @property
    def current_address(self) -> Address | None:
        return getattr(self._local, "address", None)


class AttributedKind:
    """A kind whose writes, and the polls of the operations they start, carry their change."""

    def __init__(self, kind: Kind, tagger: Tagger) -> None:
        self._kind = kind
        self._tagger = tagger

    def __getattr__(self, name: str) -> Any:
        return getattr(self._kind, name)

    def create(self, desired: Resource) -> Operation:
        return self._tagged(desired.address, lambda: self._kind.create(desired))

    def update(self, desired: Resource, live: LiveResource, changes: Any) -> Operation:
        return self._tagged(desired.address, lambda: self._kind.update(desired, live, changes))

    def delete(self, live: LiveResource) -> Operation:
        return self._tagged(live.address, lambda: self._kind.delete(live))

    def abandon(self, live: LiveResource) -> Operation | None:
        with self._tagger.attributed(live.address):
            op = abandon(self._kind, live)
        return None if op is None else AttributedOperation(op, live.address, self._tagger)

    def read(self, desired: Resource) -> LiveResource | None:
        with self._tagger.attributed(desired.address):
            return observing.read(self._kind, desired)

    def _tagged(self, address: Address, start: Callable[[], Operation]) -> Operation:
        with self._tagger.attributed(address):
            op = start()
        return AttributedOperation(op, address, self._tagger)


class AttributedOperation:
    """An operation whose polls (which may send the next write of a chain) keep their change."""

    def __init__(self, op: Operation, address: Address, tagger: Tagger) -> None:
        self._op = op
        self._address = address
        self._tagger = tagger
        self.description = op.description

    def poll(self) -> bool:
        with self._tagger.attributed(self._address):
            return self._op.poll()
