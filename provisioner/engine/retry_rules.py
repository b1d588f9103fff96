"""Optional protocols: a kind's own reading of API answers, on top of the one retry policy.

The retry policy (`engine.retry`) retries what is transient for every API. Some services
answer "busy, try again" with a 4xx of their own (Cloud SQL's operation in progress, GKE's
cluster busy), and some answer "not usable yet" for what was made moments ago (a metric
Cloud Monitoring does not know yet). A kind that knows such answers says so here; every call
it makes through `ApiKind.call` carries them.
"""

from __future__ import annotations

from typing import Any, Protocol, cast, runtime_checkable

from provisioner.engine.offers import offers
from provisioner.google.errors import ApiError


@runtime_checkable
class Retryable(Protocol):
    """A kind with API answers of its own that mean 'busy, try again'."""

    def retryable(self, err: ApiError) -> bool: ...


@runtime_checkable
class Settling(Protocol):
    """A kind with answers that mean 'what this needs was made moments ago and is not usable
    yet', waited out under the policy's longer deadline."""

    def settling(self, err: ApiError) -> str | None:
        """Why `err` is such an answer; None: it is not."""
        ...


def retry_rules(kind: object) -> dict[str, Any]:
    """The keyword arguments of `RetryPolicy.call` and `.create` for this kind's calls.

    Asked for every API call a kind sends: `offers` keeps the answer per class.
    """
    return {
        "extra": cast(Retryable, kind).retryable if offers(kind, Retryable) else None,
        "settling": cast(Settling, kind).settling if offers(kind, Settling) else None,
    }
