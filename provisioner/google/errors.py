"""One view of every error the Google client libraries raise.

Three client families (gapic REST, google-cloud-storage, googleapiclient discovery) each
raise their own exception types with the HTTP status, the legacy `reason` and the retry
hint in different places. The retry policy, the engine and the reports need one shape, so
every exception is read once, here, into an `ApiError`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

TRANSIENT_STATUSES = frozenset({429, 500, 502, 503, 504})
RATE_LIMIT_REASONS = frozenset({"rateLimitExceeded", "userRateLimitExceeded"})


@dataclass(frozen=True)
class ApiError:
    """What went wrong with one API call, whatever client made it."""

    status: int | None
    reason: str | None
    message: str
    retry_after: float | None = None
    connection_error: bool = False
    #: The machine-readable reason of the google.rpc.ErrorInfo detail, when there is one.
    info_reason: str | None = None
    #: The service the ErrorInfo names (`metadata.service`): for SERVICE_DISABLED, the API that is off.
    service: str | None = None

    @property
    def transient(self) -> bool:
        if self.connection_error:
            return True
        if self.status in TRANSIENT_STATUSES:
            return True
        # Compute answers quota exhaustion with 403 rather than 429.
        return self.status == 403 and self.reason in RATE_LIMIT_REASONS

    @property
    def ambiguous(self) -> bool:
        """The request may have taken effect although it failed: a 5xx or a lost connection.

        A 429 or any 4xx is an answer given before acting; these are not. A create that failed
        this way is looked for before it is sent again (Google's retry strategy on
        non-idempotent calls: https://cloud.google.com/storage/docs/retry-strategy).
        """
        return self.connection_error or (self.status is not None and self.status >= 500)

    @property
    def service_disabled(self) -> bool:
        """The API is not enabled in the project (403 SERVICE_DISABLED, `accessNotConfigured`)."""
        return self.status == 403 and (
            self.info_reason == "SERVICE_DISABLED" or self.reason == "accessNotConfigured"
        )

    @property
    def not_found(self) -> bool:
        return self.status == 404

    @property
    def conflict(self) -> bool:
        return self.status == 409

    def __str__(self) -> str:
        where = f"HTTP {self.status}" if self.status else "connection"
        why = f" ({self.reason})" if self.reason else ""
        return f"{where}{why}: {self.message}"


class ServiceDisabled(Exception):
    """A kind's API is disabled in the project and the spec does not enable it."""


class ReadFailed(Exception):
    """The live side of one kind could not be read: says which, so a 403 names what it refused."""

    def __init__(self, kind: str, api: str | None, err: ApiError) -> None:
        where = f"{kind} ({api})" if api else kind
        super().__init__(f"could not read the live {where} resources: {err}")
        self.kind = kind
        self.error = err


class OperationFailed(Exception):
    """A long-running operation finished with an error."""

    def __init__(self, description: str, message: str, code: int | None = None) -> None:
        super().__init__(f"{description} failed: {message}")
        self.code = code
        self.message = message


_DURATION = re.compile(r"^(\d+(?:\.\d+)?)s$")


def _parse_duration(value: Any) -> float | None:
    if isinstance(value, str):
        m = _DURATION.match(value)
        if m:
            return float(m.group(1))
    if isinstance(value, dict) and "seconds" in value:
        return float(value.get("seconds", 0)) + float(value.get("nanos", 0)) / 1e9
    return None


def _from_error_body(status: int | None, raw: bytes | str | None, headers: Any) -> ApiError | None:
    if raw is None:
        return None
    try:
        data = json.loads(raw)
    except (TypeError, ValueError):
        return None
    err = data.get("error") if isinstance(data, dict) else None
    if not isinstance(err, dict):
        return None
    reason = None
    errors = err.get("errors") or []
    if errors and isinstance(errors[0], dict):
        reason = errors[0].get("reason")
    retry_after = None
    info_reason = service = None
    for detail in err.get("details") or []:
        if not isinstance(detail, dict):
            continue
        kind = str(detail.get("@type", ""))
        if kind.endswith("google.rpc.RetryInfo"):
            retry_after = _parse_duration(detail.get("retryDelay"))
        elif kind.endswith("google.rpc.ErrorInfo"):
            info_reason = detail.get("reason")
            service = (detail.get("metadata") or {}).get("service")
            reason = reason or info_reason
    if retry_after is None:
        retry_after = _retry_after_header(headers)
    return ApiError(
        status=int(err.get("code") or status or 0) or status,
        reason=reason or err.get("status"),
        message=str(err.get("message", "")),
        retry_after=retry_after,
        info_reason=info_reason,
        service=service,
    )


def _retry_after_header(headers: Any) -> float | None:
    if headers is None:
        return None
    try:
        value = headers.get("retry-after") or headers.get("Retry-After")
    except AttributeError:
        return None
    if value is None:
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


_CONNECTION_ERROR_NAMES = frozenset(
    {
        "ConnectionError",
        "ConnectionResetError",
        "ConnectionAbortedError",
        "ConnectionRefusedError",
        "RemoteDisconnected",
        "ProtocolError",
        "ChunkedEncodingError",
        "ReadTimeout",
        "ConnectTimeout",
        "Timeout",
        "TimeoutError",
        "timeout",
        "BrokenPipeError",
        "IncompleteRead",
        "ServerNotFoundError",
        "TransportError",
        "SSLError",
    }
)


def _is_connection_error(exc: BaseException) -> bool:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        for cls in type(current).__mro__:
            if cls.__name__ in _CONNECTION_ERROR_NAMES:
                return True
        current = current.__cause__ or current.__context__
    return False


def classify(exc: BaseException) -> ApiError | None:
    """Read any client exception into an ApiError; None if it is not an API failure."""
    if isinstance(exc, ApiErrorException):
        return exc.error
    if isinstance(exc, OperationFailed):
        # The operation is over and failed: polling it again cannot change that.
        return ApiError(status=None, reason="operationFailed", message=str(exc))
    # googleapiclient.errors.HttpError: .resp (httplib2.Response) and .content
    resp = getattr(exc, "resp", None)
    content = getattr(exc, "content", None)
    if resp is not None and content is not None and hasattr(resp, "status"):
        status = int(resp.status)
        parsed = _from_error_body(status, content, resp)
        return parsed or ApiError(status=status, reason=None, message=str(exc))
    # google.api_core.exceptions.GoogleAPICallError (gapic REST and google-cloud-storage)
    code = getattr(exc, "code", None)
    if isinstance(code, int) and hasattr(exc, "message"):
        response = getattr(exc, "response", None)
        parsed = None
        if response is not None:
            parsed = _from_error_body(
                code, getattr(response, "content", None), getattr(response, "headers", None)
            )
        if parsed:
            return parsed
        reason = getattr(exc, "reason", None)
        errors = getattr(exc, "errors", None) or []
        if not reason and errors and isinstance(errors[0], dict):
            reason = errors[0].get("reason")
        return ApiError(status=code, reason=reason, message=str(getattr(exc, "message", exc)))
    if _is_connection_error(exc):
        return ApiError(
            status=None, reason=None, message=str(exc) or type(exc).__name__, connection_error=True
        )
    return None


class ApiErrorException(Exception):
    """An ApiError raised by our own code (e.g. a conflict found while re-reading)."""

    def __init__(self, error: ApiError) -> None:
        super().__init__(str(error))
        self.error = error
