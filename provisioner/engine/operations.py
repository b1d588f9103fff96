"""Waiting on long-running operations, whatever API started them.

Each kind wraps its API's operation in an `Operation`; the engine only asks "done yet?"
and sleeps between polls on a backoff that starts short (most operations against a quiet
control plane finish quickly) and stretches out for the slow ones (Cloud SQL, GKE).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from provisioner.engine.backoff import Backoff
from provisioner.engine.retry import RetryPolicy
from provisioner.google.errors import OperationFailed


class Operation(Protocol):
    """A handle on work the API is still doing."""

    description: str

    def poll(self) -> bool:
        """Refresh; True once finished. Raises OperationFailed when it finished badly."""
        ...


@dataclass
class DoneOperation:
    """The call already finished (synchronous APIs such as KMS and bucket create)."""

    description: str = "done"

    def poll(self) -> bool:
        return True


class OperationChain:
    """Several API steps that must run one after another (set a field, then patch the rest).

    Each step is started only once the previous one has finished, so the engine waits on a
    multi-call update exactly as on a single operation.
    """

    def __init__(self, description: str, steps: list[Callable[[], Operation]]) -> None:
        self.description = description
        self._steps = list(steps)
        self._current: Operation | None = None

    def poll(self) -> bool:
        while True:
            if self._current is None:
                if not self._steps:
                    return True
                self._current = self._steps[0]()  # a failed start is retried, not skipped
                self._steps.pop(0)
            if not self._current.poll():
                return False
            self._current = None


@dataclass(frozen=True)
class Restarts:
    """When a failed operation is started again: a kind's declaration, carried out here.

    Some APIs fail an operation for reasons of their own that say nothing about the request
    (Compute's internal errors): such an operation changed nothing, and sending the same
    request again spares a whole chain of dependents a wait for the next run. A kind names
    the operation error codes that mean that, and how many times to start again; any other
    failure, or one past the last restart, is final. The default restarts nothing.
    """

    #: Operation error codes (`OperationFailed.code`) that mean "start it again".
    codes: frozenset[int] = field(default_factory=frozenset)
    times: int = 0

    def start(self, description: str, start: Callable[[], Operation]) -> Operation:
        """The operation `start` begins, begun again by this declaration when it fails."""
        if not self.times or not self.codes:
            return start()
        return _Restarting(description, start, self)


class _Restarting:
    """An operation started again, by `Restarts`, when it fails in a way its kind declared."""

    def __init__(self, description: str, start: Callable[[], Operation], restarts: Restarts) -> None:
        self.description = description
        self._start = start
        self._codes = restarts.codes
        self._left = restarts.times
        self._current = start()

    def poll(self) -> bool:
        try:
            return self._current.poll()
        except OperationFailed as exc:
            if exc.code not in self._codes or not self._left:
                raise
            self._left -= 1
            self._current = self._start()
            return False


#: Half a second, growing by half up to ten: most operations finish in seconds, a few take minutes.
OPERATION_POLL_BACKOFF = Backoff(initial=0.5, maximum=10.0, multiplier=1.5)


@dataclass
class PollSchedule:
    """Polls on a growing interval; gives up after `timeout` seconds."""

    backoff: Backoff = OPERATION_POLL_BACKOFF
    timeout: float = 3600.0

    def scaled(self, scale: float) -> PollSchedule:
        """The same schedule on a faster clock (an emulator running scaled-down durations)."""
        if scale == 1.0:
            return self
        return PollSchedule(self.backoff.scaled(scale), self.timeout)


class OperationTimeout(Exception):
    pass


def wait_for(
    op: Operation,
    retry: RetryPolicy,
    schedule: PollSchedule,
    sleep: Callable[[float], None] = time.sleep,
    on_poll: Callable[[Operation], None] | None = None,
) -> int:
    """Poll until done; each poll is itself retried on transient errors. Returns polls made."""
    started = time.monotonic()
    intervals = schedule.backoff.waits()
    polls = 0
    while True:
        interval = next(intervals)
        polls += 1
        if retry.call(op.poll):
            return polls
        if on_poll:
            on_poll(op)
        if time.monotonic() - started + interval > schedule.timeout:
            raise OperationTimeout(f"{op.description} did not finish within {schedule.timeout:.0f}s")
        sleep(interval)
