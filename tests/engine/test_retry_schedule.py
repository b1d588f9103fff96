"""The retry schedule, its deadline and what is retried, on a fake clock: nothing here waits.

The clock stands in for tenacity's `time` (its sleeps advance it, its deadline reads it), and
the jitter source is a stub that reports the bounds it was asked for, so the schedule is
asserted exactly: each wait drawn between half the capped exponential step and the step.
"""

from __future__ import annotations

import logging
from types import SimpleNamespace

import pytest
import tenacity
import tenacity.nap

from provisioner.engine.backoff import Backoff
from provisioner.engine.retry import RetryPolicy
from provisioner.google.errors import ApiError, ApiErrorException


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


class Jitter:
    """Draws the top (or the bottom) of every range it is given, and remembers the ranges."""

    def __init__(self, pick: str = "top") -> None:
        self.pick = pick
        self.ranges: list[tuple[float, float]] = []

    def uniform(self, low: float, high: float) -> float:
        self.ranges.append((low, high))
        return high if self.pick == "top" else low


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    faked_time = SimpleNamespace(monotonic=fake.monotonic, sleep=fake.sleep)
    monkeypatch.setattr(tenacity, "time", faked_time)
    monkeypatch.setattr(tenacity.nap, "time", faked_time)
    return fake


def failing(error: ApiError, succeed_after: int | None = None):
    calls: list[float] = []

    def call(*args, **kwargs):
        calls.append((args, kwargs))
        if succeed_after is not None and len(calls) > succeed_after:
            return "done"
        raise ApiErrorException(error)

    return call, calls


UNAVAILABLE = ApiError(503, "backendError", "try later")


def test_waits_double_up_to_the_cap_until_the_deadline(clock):
    jitter = Jitter("top")
    policy = RetryPolicy(Backoff(initial=1, maximum=8, multiplier=2), deadline=60, rng=jitter)
    call, calls = failing(UNAVAILABLE)
    with pytest.raises(ApiErrorException) as raised:
        policy.call(call)
    assert raised.value.error is UNAVAILABLE  # the API's own error, not tenacity's
    # attempts at 0, 1, 3, 7, 15, 23, ..., 55, 63: the one at 63 is past the deadline
    assert clock.sleeps == [1, 2, 4, 8, 8, 8, 8, 8, 8, 8]
    assert len(calls) == 11
    # the wait is drawn after each failure, the last one too (tenacity then finds the deadline past)
    assert jitter.ranges == [(0.5, 1), (1, 2), (2, 4), (4, 8)] + [(4, 8)] * 7


def test_full_jitter_draws_from_half_the_step_to_the_step(clock):
    policy = RetryPolicy(Backoff(initial=2, maximum=100, multiplier=3), deadline=100, rng=Jitter("bottom"))
    call, calls = failing(UNAVAILABLE, succeed_after=4)
    assert policy.call(call) == "done"
    assert clock.sleeps == [1, 3, 9, 27]
    assert len(calls) == 5


def test_the_deadline_counts_from_the_first_attempt(clock):
    policy = RetryPolicy(Backoff(initial=10, maximum=10), deadline=25, rng=Jitter("top"))
    call, calls = failing(UNAVAILABLE)
    with pytest.raises(ApiErrorException):
        policy.call(call)
    assert clock.sleeps == [10, 10, 10] and len(calls) == 4  # attempts at 0, 10, 20, 30
    clock.sleeps.clear()
    exact = RetryPolicy(Backoff(initial=10, maximum=10), deadline=20, rng=Jitter("top"))
    call, calls = failing(UNAVAILABLE)
    with pytest.raises(ApiErrorException):
        exact.call(call)
    assert clock.sleeps == [10, 10] and len(calls) == 3  # the attempt at 20 is the last


def test_arguments_reach_the_call_and_a_success_is_returned_at_once(clock):
    policy = RetryPolicy(rng=Jitter())
    seen = []
    assert policy.call(lambda *a, **k: seen.append((a, k)) or "ok", 1, "two", retry=None) == "ok"
    assert seen == [((1, "two"), {"retry": None})]
    assert clock.sleeps == []


def test_a_server_hint_is_a_floor_capped_by_max_hint(clock):
    policy = RetryPolicy(Backoff(initial=1, maximum=4), deadline=1000, max_hint=30, rng=Jitter("top"))
    hinted = ApiError(429, "rateLimitExceeded", "slow down", retry_after=7)
    call, _ = failing(hinted, succeed_after=1)
    policy.call(call)
    assert clock.sleeps == [7]  # the hint beats the 1s step
    clock.sleeps.clear()
    call, _ = failing(ApiError(429, "rateLimitExceeded", "slow down", retry_after=500), succeed_after=1)
    policy.call(call)
    assert clock.sleeps == [30]  # a hint past max_hint waits max_hint
    clock.sleeps.clear()
    call, _ = failing(ApiError(429, "rateLimitExceeded", "slow down", retry_after=0.2), succeed_after=3)
    policy.call(call)
    assert clock.sleeps == [1, 2, 4]  # a hint below the step changes nothing


@pytest.mark.parametrize(
    "error",
    [
        ApiError(500, None, "internal"),
        ApiError(502, None, "bad gateway"),
        ApiError(503, None, "unavailable"),
        ApiError(504, None, "timeout"),
        ApiError(429, None, "too many"),
        ApiError(403, "rateLimitExceeded", "quota"),
        ApiError(None, None, "reset", connection_error=True),
    ],
)
def test_transient_failures_are_retried(clock, error):
    call, calls = failing(error, succeed_after=2)
    assert RetryPolicy(rng=Jitter()).call(call) == "done"
    assert len(calls) == 3


@pytest.mark.parametrize(
    "error",
    [
        ApiError(400, "invalid", "bad"),
        ApiError(403, "forbidden", "no"),
        ApiError(404, "notFound", "gone"),
        ApiError(409, "conflict", "exists"),
        ApiError(412, "conditionNotMet", "precondition"),
    ],
)
def test_answers_are_not_retried(clock, error):
    call, calls = failing(error)
    with pytest.raises(ApiErrorException):
        RetryPolicy(rng=Jitter()).call(call)
    assert len(calls) == 1 and clock.sleeps == []


def test_what_is_not_an_api_failure_is_raised_at_once(clock):
    calls = []

    def broken():
        calls.append(1)
        raise KeyError("a bug, not an accident")

    with pytest.raises(KeyError):
        RetryPolicy(rng=Jitter()).call(broken)
    assert calls == [1]


def test_a_kind_may_declare_more_failures_retryable(clock):
    busy = ApiError(409, "operationInProgress", "another operation is in progress")
    call, calls = failing(busy, succeed_after=2)
    policy = RetryPolicy(rng=Jitter())
    assert policy.call(call, extra=lambda err: err.reason == "operationInProgress") == "done"
    assert len(calls) == 3
    call, calls = failing(ApiError(409, "alreadyExists", "exists"))
    with pytest.raises(ApiErrorException):
        policy.call(call, extra=lambda err: err.reason == "operationInProgress")
    assert len(calls) == 1


def test_each_retry_is_logged_with_its_cause_attempt_and_wait(clock, caplog):
    policy = RetryPolicy(Backoff(initial=1, maximum=4), rng=Jitter("top"))
    call, _ = failing(UNAVAILABLE, succeed_after=2)
    with caplog.at_level(logging.INFO, logger="provisioner.engine.retry"):
        policy.call(call)
    assert [r.getMessage() for r in caplog.records if r.name == "provisioner.engine.retry"] == [
        "retrying after HTTP 503 (backendError): try later (attempt 1, waiting 1.00s)",
        "retrying after HTTP 503 (backendError): try later (attempt 2, waiting 2.00s)",
    ]


def test_a_dropped_connection_is_logged_as_what_it_means(clock, caplog):
    """The log names the failure as classified ("connection: ..."), not the client's bare text."""
    calls = []

    def drops():
        calls.append(1)
        if len(calls) == 1:
            raise ConnectionResetError("peer reset")
        return "ok"

    with caplog.at_level(logging.INFO, logger="provisioner.engine.retry"):
        assert RetryPolicy(Backoff(initial=2, maximum=2), rng=Jitter("top")).call(drops) == "ok"
    assert [r.getMessage() for r in caplog.records if r.name == "provisioner.engine.retry"] == [
        "retrying after connection: peer reset (attempt 1, waiting 2.00s)"
    ]


def test_backoff_settings_come_from_the_environment():
    policy = RetryPolicy.from_environment(
        {
            "PROVISIONER_RETRY_INITIAL": "0.5",
            "PROVISIONER_RETRY_MAXIMUM": "4",
            "PROVISIONER_RETRY_DEADLINE": "9",
        }
    )
    assert policy.backoff == Backoff(initial=0.5, maximum=4.0) and policy.deadline == 9.0
    default = RetryPolicy.from_environment({"PROVISIONER_RETRY_INITIAL": ""})
    assert default.backoff == Backoff(initial=1.0, maximum=32.0, multiplier=2.0) and default.deadline == 300.0
    assert default.max_hint == 120.0
    with pytest.raises(ValueError, match=r"PROVISIONER_RETRY_DEADLINE='soon': expected seconds"):
        RetryPolicy.from_environment({"PROVISIONER_RETRY_DEADLINE": "soon"})


def test_backoff_settings_default_to_the_process_environment(monkeypatch):
    monkeypatch.setenv("PROVISIONER_RETRY_MAXIMUM", "7")
    monkeypatch.delenv("PROVISIONER_RETRY_INITIAL", raising=False)
    policy = RetryPolicy.from_environment()
    assert policy.backoff == Backoff(initial=1.0, maximum=7.0)
