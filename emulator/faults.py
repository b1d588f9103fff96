"""Injected failures: latency, transient errors, dropped connections, failed operations,
and lost answers.

A lost answer is the hardest of them for a client: the server acted (the resource was
created), then the answer never arrived intact (a 5xx from a proxy or load balancer in
between, a timeout, a dropped connection). Google's retry guidance calls such a failure
ambiguous for non-idempotent requests (https://cloud.google.com/storage/docs/retry-strategy,
"Idempotency of operations"; https://google.aip.dev/194 on retrying only idempotent calls;
gRPC's status codes on UNAVAILABLE: "there is NOT A GUARANTEE that the server has not seen
anything", https://grpc.github.io/grpc/core/md_doc_statuscodes.html).

Every random choice comes from a seeded generator and each decision draws the same count of
numbers, so a run with the same seed and the same call order fails in the same places. Lost
answers draw from a generator of their own, seeded from the same seed, so switching them on
does not move where the other faults land.
"""

from __future__ import annotations

import fnmatch
import random
import threading
from dataclasses import dataclass, field
from typing import Any

from emulator.errors import ApiError, error_info


@dataclass
class FaultRule:
    """The first `times` calls whose method id matches the glob `method` answer `status`.

    With `after_acting`, the call is carried out first and only its answer is replaced: the
    first `times` matching calls that succeed take effect, then answer `status` (0 drops the
    connection instead), as when a proxy loses the reply of a create that went through.
    """

    method: str
    status: int
    times: int = 1
    message: str | None = None
    after_acting: bool = False
    fired: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Decision:
    latency_ms: int = 0
    drop: bool = False
    error: ApiError | None = None


def transient_error(status: int, message: str | None = None, retry_after_s: float = 1.0) -> ApiError:
    if status == 429:
        return ApiError(
            429,
            message or "Quota exceeded; please retry after the suggested delay.",
            status="RESOURCE_EXHAUSTED",
            reason="rateLimitExceeded",
            domain="usageLimits",
            details=[
                error_info("RATE_LIMIT_EXCEEDED", "googleapis.com"),
                {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": f"{retry_after_s:g}s"},
            ],
            headers={"Retry-After": str(max(1, round(retry_after_s)))},
        )
    if status == 503:
        return ApiError(503, message or "The service is currently unavailable.", reason="backendError")
    if status == 500:
        return ApiError(500, message or "We encountered an internal error. Please try again.")
    if status == 409:
        # A 409 that clears up on its own is a concurrency conflict, never "already exists".
        return ApiError(
            409,
            message or "Too many concurrent edits to the project configuration. Please try again.",
            status="ABORTED",
            reason="aborted",
        )
    return ApiError(status, message or f"Injected failure with status {status}.")


class Faults:
    def __init__(self, seed: int = 0, latency_ms: int = 0) -> None:
        self._lock = threading.Lock()
        self.rules: list[FaultRule] = []
        self.latency_ms = latency_ms
        self.error_rate = 0.0
        self.drop_rate = 0.0
        self.operation_failure_rate = 0.0
        self.retry_after_s = 1.0
        # Operation keys (globs over "service.TYPE...") never failed at random.
        self.operation_failure_spared: tuple[str, ...] = ()
        self._rng = random.Random(seed)
        #: Share of successful writes whose answer is lost after they took effect.
        self.lost_answer_rate = 0.0
        self._lost_rng = random.Random(f"lost-answer:{seed}")
        self._writes = 0
        self._hold_at: int | None = None
        self.hold_reached = threading.Event()
        self.hold_release = threading.Event()

    def configure(
        self,
        *,
        error_rate: float | None = None,
        drop_rate: float | None = None,
        operation_failure_rate: float | None = None,
        latency_ms: int | None = None,
        seed: int | None = None,
        retry_after_s: float | None = None,
        operation_failure_spared: tuple[str, ...] | None = None,
        lost_answer_rate: float | None = None,
    ) -> None:
        with self._lock:
            if lost_answer_rate is not None:
                self.lost_answer_rate = lost_answer_rate
            if operation_failure_spared is not None:
                self.operation_failure_spared = tuple(operation_failure_spared)
            if retry_after_s is not None:
                self.retry_after_s = retry_after_s
            if error_rate is not None:
                self.error_rate = error_rate
            if drop_rate is not None:
                self.drop_rate = drop_rate
            if operation_failure_rate is not None:
                self.operation_failure_rate = operation_failure_rate
            if latency_ms is not None:
                self.latency_ms = latency_ms
            if seed is not None:
                self._rng = random.Random(seed)
                self._lost_rng = random.Random(f"lost-answer:{seed}")

    def add_rule(self, rule: FaultRule) -> None:
        with self._lock:
            self.rules.append(rule)

    def clear(self) -> None:
        """Remove rules and random failures; latency set in the config stays."""
        with self._lock:
            self.rules.clear()
            self.error_rate = self.drop_rate = self.operation_failure_rate = 0.0
            self.lost_answer_rate = 0.0
            self._hold_at = None
        self.hold_release.set()

    def decide(self, method_id: str | None) -> Decision:
        with self._lock:
            drop_draw, error_draw, kind_draw = self._rng.random(), self._rng.random(), self._rng.random()
            for rule in self.rules:
                if (
                    not rule.after_acting
                    and rule.fired < rule.times
                    and method_id is not None
                    and fnmatch.fnmatchcase(method_id, rule.method)
                ):
                    rule.fired += 1
                    if rule.status == 0:
                        return Decision(self.latency_ms, drop=True)
                    error = transient_error(rule.status, rule.message, self.retry_after_s)
                    return Decision(self.latency_ms, error=error)
            if drop_draw < self.drop_rate:
                return Decision(self.latency_ms, drop=True)
            if error_draw < self.error_rate:
                status = 429 if kind_draw < 0.5 else 503
                error = transient_error(status, retry_after_s=self.retry_after_s)
                return Decision(self.latency_ms, error=error)
            return Decision(self.latency_ms)

    def lost_answer(self, method_id: str | None) -> Decision | None:
        """For a write that has just taken effect: the answer the client gets instead, if any.

        A matching `after_acting` rule decides first; otherwise `lost_answer_rate` does, and
        half of those lost answers are a 503, the other half a dropped connection.
        """
        with self._lock:
            loss_draw, kind_draw = self._lost_rng.random(), self._lost_rng.random()
            for rule in self.rules:
                if (
                    rule.after_acting
                    and rule.fired < rule.times
                    and method_id is not None
                    and fnmatch.fnmatchcase(method_id, rule.method)
                ):
                    rule.fired += 1
                    if rule.status == 0:
                        return Decision(drop=True)
                    return Decision(error=transient_error(rule.status, rule.message, self.retry_after_s))
            if loss_draw < self.lost_answer_rate:
                if kind_draw < 0.5:
                    return Decision(drop=True)
                return Decision(error=transient_error(503, retry_after_s=self.retry_after_s))
            return None

    def hold_after_write(self, n: int) -> None:
        """Hold the answer to the n-th write (counted from now) after it has taken effect.

        A crash test kills its client while the answer is held: the write happened, the
        client never learnt of it, which is the hardest moment for a controller to die.
        """
        with self._lock:
            self._writes = 0
            self._hold_at = n
            self.hold_reached.clear()
            self.hold_release.clear()

    def after_write(self) -> None:
        """Called once a write has been handled, before its answer is sent."""
        with self._lock:
            self._writes += 1
            hold = self._hold_at is not None and self._writes == self._hold_at
        if hold:
            self.hold_reached.set()
            self.hold_release.wait(timeout=60)

    def operation_fails(self, key: tuple[str, ...] | None = None) -> bool:
        """Whether a new operation is to fail; `key` is its duration key, e.g. ("sqladmin", "CREATE")."""
        with self._lock:
            draw = self._rng.random()
            spared = key is not None and any(
                fnmatch.fnmatchcase(".".join(key), glob) for glob in self.operation_failure_spared
            )
            return not spared and draw < self.operation_failure_rate

    def to_json(self) -> dict[str, Any]:
        with self._lock:
            return {
                "error_rate": self.error_rate,
                "drop_rate": self.drop_rate,
                "operation_failure_rate": self.operation_failure_rate,
                "lost_answer_rate": self.lost_answer_rate,
                "latency_ms": self.latency_ms,
                "rules": [
                    {
                        "method": r.method,
                        "status": r.status,
                        "times": r.times,
                        "after_acting": r.after_acting,
                        "fired": r.fired,
                    }
                    for r in self.rules
                ],
            }
