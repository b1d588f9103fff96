"""Answers that mean "not usable yet" are waited out under their own deadline, and said so."""

from __future__ import annotations

import pytest

from provisioner.engine.backoff import Backoff
from provisioner.engine.retry import RetryPolicy
from provisioner.google.errors import ApiError, ApiErrorException

DISABLED = ApiError(
    403,
    "accessNotConfigured",
    "API has not been used ...",
    info_reason="SERVICE_DISABLED",
    service="x.googleapis.com",
)
UNKNOWN_METRIC = ApiError(404, "notFound", 'Cannot find metric(s) that match type = "m".')


def _failing(times: int, err: ApiError) -> tuple[list[int], object]:
    calls: list[int] = []

    def fn() -> str:
        calls.append(1)
        if len(calls) <= times:
            raise ApiErrorException(err)
        return "ok"

    return calls, fn


def _policy() -> RetryPolicy:
    return RetryPolicy(Backoff(initial=0.001, maximum=0.002), deadline=0.0, settle_deadline=5.0)


def test_service_disabled_of_an_api_just_enabled_is_waited_out_and_said_once():
    policy = _policy()
    policy.expect_enabled(["x.googleapis.com"])
    told: list[str] = []
    calls, fn = _failing(3, DISABLED)
    with policy.reporting(told.append):
        assert policy.call(fn) == "ok"
    assert len(calls) == 4
    assert told == [
        "waiting: x.googleapis.com was enabled moments ago and does not answer yet (SERVICE_DISABLED);"
        " retrying for up to 5 s"
    ]


def test_service_disabled_of_an_api_nobody_enabled_is_an_answer():
    calls, fn = _failing(1, DISABLED)
    with pytest.raises(ApiErrorException):
        _policy().call(fn)
    assert len(calls) == 1


def test_a_kind_declares_its_own_not_yet_answers():
    calls, fn = _failing(2, UNKNOWN_METRIC)
    why = lambda err: "metric not known yet" if err.status == 404 else None  # noqa: E731
    assert _policy().call(fn, settling=why) == "ok"
    assert len(calls) == 3
    calls, fn = _failing(2, UNKNOWN_METRIC)
    with pytest.raises(ApiErrorException):
        _policy().call(fn)


def test_the_wait_ends_at_its_deadline():
    policy = RetryPolicy(Backoff(initial=0.001, maximum=0.002), deadline=0.0, settle_deadline=0.05)
    policy.expect_enabled(["x.googleapis.com"])
    calls, fn = _failing(10**9, DISABLED)
    with pytest.raises(ApiErrorException):
        policy.call(fn)
    assert len(calls) > 1


def _sleeps(policy: RetryPolicy, err: ApiError, times: int, **kwargs: object) -> list[float]:
    """The waits `policy.call` chose between `times` failures with `err` and a success."""
    import tenacity

    slept: list[float] = []
    _calls, fn = _failing(times, err)
    original = tenacity.Retrying.__init__

    def recording(self, *args, **kw):  # type: ignore[no-untyped-def]
        original(self, *args, **{**kw, "sleep": slept.append})

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(tenacity.Retrying, "__init__", recording)
        assert policy.call(fn, **kwargs) == "ok"
    return slept


def test_not_usable_yet_is_waited_out_at_the_cap_from_the_first_wait():
    # A propagation window lasts minutes: doubling from `initial` would spend calls learning that.
    policy = RetryPolicy(Backoff(initial=0.001, maximum=0.004), deadline=0.0, settle_deadline=5.0)
    policy.expect_enabled(["x.googleapis.com"])
    slept = _sleeps(policy, DISABLED, 3)
    assert len(slept) == 3 and all(0.002 <= s <= 0.004 for s in slept)


def test_transient_failures_still_back_off_from_the_initial_wait():
    policy = RetryPolicy(Backoff(initial=0.001, maximum=0.004), deadline=5.0)
    slept = _sleeps(policy, ApiError(503, "backendError", "try again"), 1)
    assert len(slept) == 1 and slept[0] <= 0.001
