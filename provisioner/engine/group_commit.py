"""Edits of one shared document (a project's IAM policy) from several changes at once.

Each change that edits the project policy would read it, edit its own member and write it
back; run side by side, every writer but one loses the etag race and starts over. Here the
edits that arrive while a write is under way wait for it, then go out together in the next
read-modify-write: two writes for any number of edits arriving together, and no conflicts
among ourselves.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from typing import Generic, TypeVar

E = TypeVar("E")


class GroupCommit(Generic[E]):
    """Applies edits in batches through `write`, which must apply all it is given or none."""

    def __init__(self, write: Callable[[list[E]], None], linger: float = 0.0) -> None:
        self._write = write
        #: How long a writer waits for its peers before taking the batch: changes started in the
        #: same instant (every API enable of a fresh project) then go out in one write, not two.
        self._linger = linger
        self._queue_lock = threading.Lock()
        self._writer = threading.Lock()
        self._pending: list[tuple[E, Future[None]]] = []

    def submit(self, edit: E) -> None:
        """Return once `edit` is written; raise what writing it raised."""
        done: Future[None] = Future()
        with self._queue_lock:
            self._pending.append((edit, done))
        with self._writer:
            if not done.done():
                if self._linger:
                    time.sleep(self._linger)
                with self._queue_lock:
                    batch, self._pending = self._pending, []
                self._commit(batch)
        done.result()

    def _commit(self, batch: list[tuple[E, Future[None]]]) -> None:
        try:
            self._write([edit for edit, _ in batch])
        except Exception as exc:
            if len(batch) == 1:
                batch[0][1].set_exception(exc)
                return
            # One bad edit must not fail the others: write them one by one to say whose it is.
            for one in batch:
                self._commit([one])
            return
        for _, done in batch:
            done.set_result(None)
