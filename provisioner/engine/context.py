"""What a reconciler may use while it runs: the spec, the clients, the retry policy."""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable, Hashable, Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, TypeVar

from provisioner.engine.retry import RetryPolicy
from provisioner.google.clients import ClientFactory
from provisioner.spec import ownership

if TYPE_CHECKING:
    from provisioner.spec.models import EnvSpec

T = TypeVar("T")


@dataclass
class Context:
    spec: EnvSpec
    clients: ClientFactory
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    #: Operation polling runs this much faster (an emulator with scaled-down durations).
    poll_scale: float = 1.0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    #: What a kind learns while applying that another kind of its family needs (the node pools
    #: a cluster was created with, which need no create of their own).
    facts: dict[Hashable, Any] = field(default_factory=dict, repr=False)
    #: Reads shared by the kinds during one observation pass (None: not inside one).
    _shared_reads: dict[Hashable, Future[Any]] | None = field(default=None, repr=False)

    @property
    def env(self) -> str:
        return str(self.spec.env)

    @property
    def project(self) -> str:
        return str(self.spec.project)

    @property
    def protected(self) -> bool:
        """Production: destroying data there takes a second, explicit flag."""
        return bool(getattr(self.spec, "is_prod", False))

    def labels(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        """The labels every labelled resource carries: the spec's, then ownership."""
        merged = dict(self.spec.labels or {})
        merged.update(extra or {})
        merged.update(ownership.ownership_labels(self.env))
        return merged

    def is_ours(self, labels: dict[str, str] | None) -> bool:
        return ownership.is_ours(labels, self.env)

    @cached_property
    def project_number(self) -> str:
        """The project's number, which service-agent identities are named after."""
        crm = self.clients.discovery("cloudresourcemanager", "v3")
        project = self.retry.call(crm.projects().get(name=f"projects/{self.project}").execute)
        return str(project["name"]).split("/", 1)[1]

    # -- reads several kinds need ------------------------------------------------------
    @contextmanager
    def observation(self) -> Iterator[None]:
        """One pass over the live side: a list that several kinds read is made once in it.

        Outside a pass (while applying) every read goes out: what was read before a write
        says nothing about after it.
        """
        with self._lock:
            outer = self._shared_reads
            self._shared_reads = {} if outer is None else outer
        try:
            yield
        finally:
            with self._lock:
                self._shared_reads = outer

    @property
    def observing(self) -> bool:
        """Inside an observation pass (reading the live side), rather than applying."""
        return self._shared_reads is not None

    def shared(self, key: Hashable, read: Callable[[], T]) -> T:
        """The result of `read`, made once per observation pass for everyone asking with `key`.

        Kinds that need the same collection (a cluster and its node pools, the static IP and
        the forwarding rule that uses it) ask for it by the same key; the second asker waits on
        the first one's call instead of making its own. Errors are shared the same way. Each
        asker gets its own copy, so a kind may rewrite what it read without the others seeing it.
        """
        with self._lock:
            reads = self._shared_reads
            if reads is None:
                pending = None
                owner = True
            else:
                pending = reads.get(key)
                owner = pending is None
                if owner:
                    pending = reads[key] = Future()
        if pending is None:
            return read()
        if owner:
            try:
                pending.set_result(read())
            except BaseException as exc:
                pending.set_exception(exc)
        result: T = pending.result()  # what `read` returned, for this key
        return copy.deepcopy(result)
