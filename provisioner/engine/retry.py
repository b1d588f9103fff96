"""The one retry policy for transient API failures.

Every API call the reconcilers make goes through `RetryPolicy.call`, and the client
libraries' own retries are switched off, so that a call is retried in exactly one place,
with one backoff, one deadline and one notion of "transient": 429, 5xx, dropped
connections and timeouts. A server's retry hint (RetryInfo, Retry-After) is a floor for
the wait. Other 4xx are answers, not accidents, and are never retried, except the ones a
kind declares (Cloud SQL's "operation in progress", GKE's "cluster busy").

A second class of answers means "not usable yet": Google makes some things usable a while
after saying they are done. An API this run enabled keeps answering 403 SERVICE_DISABLED for
a few minutes ("If you enabled this API recently, wait a few minutes for the action to
propagate to our systems and retry"), and a kind may declare its own (an alert policy on a
metric created moments ago). Those are waited out under a longer deadline of their own, and
whoever listens (the apply's progress lines) is told once per call what is being waited for.
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

import tenacity

from provisioner.engine.backoff import Backoff
from provisioner.engine.thread_value import set_for_thread
from provisioner.google.errors import ApiError, classify

log = logging.getLogger("provisioner.engine.retry")
T = TypeVar("T")

ExtraRetryable = Callable[[ApiError], bool]
#: A kind's reading of an answer: why it means "not usable yet", or None when it does not.
Settling = Callable[[ApiError], "str | None"]
#: A second, then doubling up to half a minute: a transient failure mostly clears within seconds.
CALL_RETRY_BACKOFF = Backoff(initial=1.0, maximum=32.0)


@dataclass
class RetryPolicy:
    """Exponential backoff with full jitter, a cap and an overall deadline."""

    backoff: Backoff = CALL_RETRY_BACKOFF
    deadline: float = 300.0
    max_hint: float = 120.0
    #: How long to wait out answers that mean "not usable yet": Google documents up to ten
    #: minutes for a new metric, and a few for a newly enabled API.
    settle_deadline: float = 900.0
    rng: random.Random = field(default_factory=random.Random)
    _enabled: set[str] = field(default_factory=set, repr=False)
    _local: threading.local = field(default_factory=threading.local, repr=False)

    def expect_enabled(self, services: Iterable[str]) -> None:
        """APIs that are (or were just) enabled: their SERVICE_DISABLED answers are propagation."""
        self._enabled.update(services)

    def reporting(self, listener: Callable[[str], None]) -> AbstractContextManager[None]:
        """Tell `listener` what the calls of this thread wait for while they wait it out."""
        return set_for_thread(self._local, "listener", listener)

    def settling(self, err: ApiError, extra: Settling | None = None) -> str | None:
        """Why `err` means "not usable yet, try again", or None when it is an answer."""
        if err.service_disabled and err.service in self._enabled:
            return f"{err.service} was enabled moments ago and does not answer yet (SERVICE_DISABLED)"
        return extra(err) if extra is not None else None

    @classmethod
    def from_environment(cls, environ: dict[str, str] | None = None) -> RetryPolicy:
        """Backoff settings from PROVISIONER_RETRY_{INITIAL,MAXIMUM,DEADLINE,SETTLE_DEADLINE} (seconds)."""
        import os

        env = os.environ if environ is None else environ
        policy = cls()
        for name in ("initial", "maximum", "deadline", "settle_deadline"):
            raw = env.get(f"PROVISIONER_RETRY_{name.upper()}")
            if raw:
                try:
                    seconds = float(raw)
                except ValueError as exc:
                    raise ValueError(
                        f"PROVISIONER_RETRY_{name.upper()}={raw!r}: expected seconds, e.g. 1.5"
                    ) from exc
                if name in ("initial", "maximum"):
                    policy.backoff = replace(policy.backoff, **{name: seconds})
                else:
                    setattr(policy, name, seconds)
        return policy

    def _should_retry(
        self, extra: ExtraRetryable | None, settling: Settling | None
    ) -> Callable[[BaseException], bool]:
        def predicate(exc: BaseException) -> bool:
            err = classify(exc)
            if err is None:
                return False
            if err.transient or (extra is not None and extra(err)):
                return True
            return self.settling(err, settling) is not None

        return predicate

    def _stop(self, settling: Settling | None) -> Callable[[tenacity.RetryCallState], bool]:
        """The deadline of the answer last seen: "not usable yet" has the longer one."""

        def stop(state: tenacity.RetryCallState) -> bool:
            elapsed = state.seconds_since_start or 0.0
            exc = state.outcome.exception() if state.outcome else None
            err = classify(exc) if exc else None
            if err is not None and not err.transient and self.settling(err, settling) is not None:
                return elapsed >= self.settle_deadline
            return elapsed >= self.deadline

        return stop

    def _wait(self, settling: Settling | None) -> Callable[[tenacity.RetryCallState], float]:
        """Backoff from `initial`, except that "not usable yet" waits at the cap from the start.

        A propagation window lasts minutes: a doubling backoff from one second spends half a
        dozen calls in its first minute learning that, and reaches the cap anyway before the
        window ends, so starting at the cap costs no lateness (at most one cap past the end,
        as before) and saves those calls.
        """

        def wait(state: tenacity.RetryCallState) -> float:
            exc = state.outcome.exception() if state.outcome else None
            err = classify(exc) if exc else None
            if err is not None and not err.transient and self.settling(err, settling) is not None:
                cap = self.backoff.maximum
            else:
                cap = self.backoff.wait(state.attempt_number)
            delay = self.rng.uniform(cap / 2, cap)
            if err and err.retry_after:
                delay = max(delay, min(err.retry_after, self.max_hint))
            return delay

        return wait

    def call(
        self,
        fn: Callable[..., T],
        *args: Any,
        extra: ExtraRetryable | None = None,
        settling: Settling | None = None,
        **kwargs: Any,
    ) -> T:
        told: set[str] = set()

        def before_sleep(state: tenacity.RetryCallState) -> None:
            _log_retry(state)
            exc = state.outcome.exception() if state.outcome else None
            err = classify(exc) if exc else None
            why = self.settling(err, settling) if err is not None and not err.transient else None
            listener = getattr(self._local, "listener", None)
            if why and why not in told and listener is not None:
                told.add(why)
                listener(f"waiting: {why}; retrying for up to {_span(self.settle_deadline)}")

        retrying = tenacity.Retrying(
            retry=tenacity.retry_if_exception(self._should_retry(extra, settling)),
            wait=self._wait(settling),
            stop=self._stop(settling),
            reraise=True,
            before_sleep=before_sleep,
        )
        return retrying(fn, *args, **kwargs)

    def create(
        self,
        fn: Callable[[], T],
        find: Callable[[], T | None],
        extra: ExtraRetryable | None = None,
        settling: Settling | None = None,
    ) -> T:
        """Send a create that is not idempotent, never twice for one resource.

        After an ambiguous failure (a 5xx, a timeout, a dropped connection: the server may
        have acted and the answer been lost), `find` looks for what the create would have
        made before it is sent again; what it finds is the answer. Creates of resources
        whose names the server assigns need this: a blind retry makes a second copy.
        """
        unsure = False

        def attempt() -> T:
            nonlocal unsure
            if unsure:
                found = find()  # a failure here leaves us unsure: the next attempt looks again
                if found is not None:
                    log.info("the create had taken effect although its answer was lost")
                    return found
                unsure = False  # it did not land: this attempt is the only one that can
            try:
                return fn()
            except Exception as exc:
                err = classify(exc)
                unsure = bool(err and err.ambiguous)
                raise

        return self.call(attempt, extra=extra, settling=settling)


def _span(seconds: float) -> str:
    return f"{seconds / 60:g} min" if seconds >= 60 else f"{seconds:g} s"


def _log_retry(state: tenacity.RetryCallState) -> None:
    exc = state.outcome.exception() if state.outcome else None
    err = classify(exc) if exc else None
    wait = state.next_action.sleep if state.next_action else 0.0
    log.info("retrying after %s (attempt %d, waiting %.2fs)", err or exc, state.attempt_number, wait)
