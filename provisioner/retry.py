"""The one retry policy for transient API failures.

Every API call the reconcilers make goes through `RetryPolicy.call`, and the client
libraries' own retries are switched off, so that a call is retried in exactly one place,
with one backoff, one deadline and one notion of "transient": 429, 5xx, dropped
connections and timeouts. A server's retry hint (RetryInfo, Retry-After) is a floor for
the wait. Other 4xx are answers, not accidents, and are never retried, except the ones a
kind declares (Cloud SQL's "operation in progress", GKE's "cluster busy").
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import tenacity

from provisioner.errors import ApiError, classify

log = logging.getLogger("provisioner.retry")
T = TypeVar("T")

ExtraRetryable = Callable[[ApiError], bool]


@dataclass
class RetryPolicy:
    """Exponential backoff with full jitter, a cap and an overall deadline."""

    initial: float = 1.0
    maximum: float = 32.0
    multiplier: float = 2.0
    deadline: float = 300.0
    max_hint: float = 120.0
    rng: random.Random = field(default_factory=random.Random)

    @classmethod
    def from_environment(cls, environ: dict[str, str] | None = None) -> RetryPolicy:
        """Backoff settings from PROVISIONER_RETRY_{INITIAL,MAXIMUM,DEADLINE} (seconds)."""
        import os

        env = os.environ if environ is None else environ
        values: dict[str, float] = {}
        for name in ("initial", "maximum", "deadline"):
            raw = env.get(f"PROVISIONER_RETRY_{name.upper()}")
            if raw:
                try:
                    values[name] = float(raw)
                except ValueError as exc:
                    raise ValueError(
                        f"PROVISIONER_RETRY_{name.upper()}={raw!r}: expected seconds, e.g. 1.5"
                    ) from exc
        return cls(**values)

    def _should_retry(self, extra: ExtraRetryable | None) -> Callable[[BaseException], bool]:
        def predicate(exc: BaseException) -> bool:
            err = classify(exc)
            if err is None:
                return False
            return err.transient or (extra is not None and extra(err))

        return predicate

    def _wait(self, state: tenacity.RetryCallState) -> float:
        attempt = state.attempt_number
        cap = min(self.maximum, self.initial * self.multiplier ** (attempt - 1))
        delay = self.rng.uniform(cap / 2, cap)
        exc = state.outcome.exception() if state.outcome else None
        err = classify(exc) if exc else None
        if err and err.retry_after:
            delay = max(delay, min(err.retry_after, self.max_hint))
        return delay

    def call(self, fn: Callable[..., T], *args: Any, extra: ExtraRetryable | None = None, **kwargs: Any) -> T:
        retrying = tenacity.Retrying(
            retry=tenacity.retry_if_exception(self._should_retry(extra)),
            wait=self._wait,
            stop=tenacity.stop_after_delay(self.deadline),
            reraise=True,
            before_sleep=_log_retry,
        )
        return retrying(fn, *args, **kwargs)

    def create(
        self,
        fn: Callable[[], T],
        find: Callable[[], T | None],
        extra: ExtraRetryable | None = None,
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

        return self.call(attempt, extra=extra)


def _log_retry(state: tenacity.RetryCallState) -> None:
    exc = state.outcome.exception() if state.outcome else None
    err = classify(exc) if exc else None
    wait = state.next_action.sleep if state.next_action else 0.0
    log.info("retrying after %s (attempt %d, waiting %.2fs)", err or exc, state.attempt_number, wait)
