"""Waiting on operations, and where clients send their requests."""

from __future__ import annotations

import pytest

from provisioner.engine.backoff import Backoff
from provisioner.engine.operations import OperationTimeout, PollSchedule, wait_for
from provisioner.engine.retry import RetryPolicy
from provisioner.google.clients import Endpoints
from provisioner.google.errors import ApiError, ApiErrorException, OperationFailed


class CountingOperation:
    description = "test op"

    def __init__(self, polls_needed: int, fail_first_poll: bool = False, error: str | None = None) -> None:
        self.polls = 0
        self.polls_needed = polls_needed
        self.fail_first_poll = fail_first_poll
        self.error = error

    def poll(self) -> bool:
        self.polls += 1
        if self.fail_first_poll and self.polls == 1:
            raise ApiErrorException(ApiError(503, "backendError", "blip"))
        if self.polls >= self.polls_needed and self.error:
            raise OperationFailed(self.description, self.error)
        return self.polls >= self.polls_needed


def test_polls_back_off_exponentially_up_to_the_cap():
    slept: list[float] = []
    op = CountingOperation(polls_needed=6)
    wait_for(
        op,
        RetryPolicy(Backoff(initial=0.001, maximum=32.0)),
        PollSchedule(Backoff(initial=1, maximum=5, multiplier=2)),
        sleep=slept.append,
    )
    assert slept == [1, 2, 4, 5, 5]


def test_a_transient_error_while_polling_is_retried_not_fatal():
    op = CountingOperation(polls_needed=3, fail_first_poll=True)
    wait_for(
        op,
        RetryPolicy(Backoff(initial=0.001, maximum=32.0)),
        PollSchedule(Backoff(initial=0, maximum=10.0, multiplier=1.5)),
        sleep=lambda s: None,
    )
    assert op.polls == 3


def test_a_failed_operation_raises_with_its_message():
    op = CountingOperation(polls_needed=1, error="quota exceeded")
    with pytest.raises(OperationFailed, match="quota exceeded"):
        wait_for(op, RetryPolicy(), PollSchedule(), sleep=lambda s: None)


def test_an_operation_that_never_finishes_times_out():
    op = CountingOperation(polls_needed=10**9)
    with pytest.raises(OperationTimeout):
        wait_for(
            op,
            RetryPolicy(),
            PollSchedule(Backoff(initial=1, maximum=1, multiplier=1.5), timeout=3),
            sleep=lambda s: None,
        )


def test_endpoint_overrides_per_service_win_over_the_shared_one():
    endpoints = Endpoints.from_environment(
        {
            "PROVISIONER_ENDPOINT": "http://127.0.0.1:9000/",
            "PROVISIONER_ENDPOINT_KMS": "http://127.0.0.1:9100",
            "STORAGE_EMULATOR_HOST": "localhost:9200",
        }
    )
    assert endpoints.for_service("kms") == "http://127.0.0.1:9100"
    assert endpoints.for_service("storage") == "http://localhost:9200"
    assert endpoints.for_service("compute") == "http://127.0.0.1:9000"
    assert Endpoints.from_environment({}).for_service("compute") is None


def test_retry_settings_from_the_environment_are_checked():
    assert RetryPolicy.from_environment({"PROVISIONER_RETRY_DEADLINE": "5"}).deadline == 5
    with pytest.raises(ValueError, match="PROVISIONER_RETRY_INITIAL"):
        RetryPolicy.from_environment({"PROVISIONER_RETRY_INITIAL": "soon"})


def test_a_failed_operation_is_not_polled_again_even_with_a_5xx_code():
    op = CountingOperation(polls_needed=1, error="internal error")

    def failing() -> bool:
        op.polls += 1
        raise OperationFailed("create x", "internal error", 500)

    op.poll = failing  # type: ignore[method-assign]
    with pytest.raises(OperationFailed):
        wait_for(
            op,
            RetryPolicy(Backoff(initial=0.001, maximum=32.0), deadline=5),
            PollSchedule(),
            sleep=lambda s: None,
        )
    assert op.polls == 1
