"""A create that is not idempotent is never sent twice for one resource."""

from __future__ import annotations

import pytest

from provisioner.engine.backoff import Backoff
from provisioner.engine.retry import RetryPolicy
from provisioner.google.errors import ApiError, ApiErrorException

FAST = RetryPolicy(Backoff(initial=0.001, maximum=0.002), deadline=5)


def _failing(*errors: ApiError):
    sent: list[int] = []

    def send() -> dict:
        sent.append(1)
        if len(sent) <= len(errors):
            raise ApiErrorException(errors[len(sent) - 1])
        return {"name": "made-by-send"}

    return send, sent


@pytest.mark.parametrize(
    "lost",
    [
        ApiError(503, "backendError", "unavailable"),
        ApiError(None, None, "connection reset", connection_error=True),
    ],
    ids=["5xx", "dropped"],
)
def test_after_an_ambiguous_failure_what_the_create_made_is_found_and_not_sent_again(lost):
    send, sent = _failing(lost)
    looked: list[int] = []

    def find() -> dict | None:
        looked.append(1)
        return {"name": "found"}

    assert FAST.create(send, find) == {"name": "found"}
    assert len(sent) == 1 and len(looked) == 1


def test_a_refusal_before_acting_is_sent_again_without_looking():
    send, sent = _failing(ApiError(429, "rateLimitExceeded", "slow down"))

    assert FAST.create(send, lambda: pytest.fail("a 429 acted on nothing: no need to look")) == {
        "name": "made-by-send"
    }
    assert len(sent) == 2


def test_when_the_lost_create_did_not_land_it_is_sent_again_and_a_later_refusal_keeps_no_doubt():
    send, sent = _failing(ApiError(503, None, "lost"), ApiError(429, None, "slow down"))
    looked: list[int] = []

    def find() -> dict | None:
        looked.append(1)
        return None

    assert FAST.create(send, find) == {"name": "made-by-send"}
    assert len(sent) == 3 and len(looked) == 1, "the 429 after a look that found nothing needs no second look"


def test_a_final_answer_is_not_retried():
    send, sent = _failing(ApiError(400, "invalid", "bad body"))

    with pytest.raises(ApiErrorException):
        FAST.create(send, lambda: None)
    assert len(sent) == 1
