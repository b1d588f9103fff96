"""Google's JSON error envelope, raised from anywhere and rendered in one place."""

from __future__ import annotations

from typing import Any

_STATUS_BY_CODE = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "ALREADY_EXISTS",
    412: "FAILED_PRECONDITION",
    429: "RESOURCE_EXHAUSTED",
    499: "CANCELLED",
    500: "INTERNAL",
    501: "UNIMPLEMENTED",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}

_REASON_BY_CODE = {
    400: "invalid",
    401: "required",
    403: "forbidden",
    404: "notFound",
    409: "conflict",
    412: "conditionNotMet",
    429: "rateLimitExceeded",
    500: "backendError",
    501: "notImplemented",
    503: "backendError",
    504: "deadlineExceeded",
}

# google.rpc.Code numbers, used inside long-running operation errors.
RPC_CODES = {
    "OK": 0,
    "CANCELLED": 1,
    "UNKNOWN": 2,
    "INVALID_ARGUMENT": 3,
    "DEADLINE_EXCEEDED": 4,
    "NOT_FOUND": 5,
    "ALREADY_EXISTS": 6,
    "PERMISSION_DENIED": 7,
    "RESOURCE_EXHAUSTED": 8,
    "FAILED_PRECONDITION": 9,
    "ABORTED": 10,
    "OUT_OF_RANGE": 11,
    "UNIMPLEMENTED": 12,
    "INTERNAL": 13,
    "UNAVAILABLE": 14,
    "DATA_LOSS": 15,
    "UNAUTHENTICATED": 16,
}


def status_for(code: int) -> str:
    return _STATUS_BY_CODE.get(code, "UNKNOWN")


class ApiError(Exception):
    """An API failure that the server turns into Google's error JSON."""

    def __init__(
        self,
        code: int,
        message: str,
        *,
        status: str | None = None,
        reason: str | None = None,
        domain: str = "global",
        details: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status or status_for(code)
        self.reason = reason or _REASON_BY_CODE.get(code, "unknown")
        self.domain = domain
        self.details = details or []
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {
            "code": self.code,
            "message": self.message,
            "status": self.status,
            "errors": [{"message": self.message, "domain": self.domain, "reason": self.reason}],
        }
        if self.details:
            error["details"] = self.details
        return {"error": error}

    def rpc_status(self) -> dict[str, Any]:
        """The same failure as a google.rpc.Status, the form operations carry."""
        status: dict[str, Any] = {"code": RPC_CODES.get(self.status, 2), "message": self.message}
        if self.details:
            status["details"] = self.details
        return status


def bad_request_detail(field: str, description: str) -> dict[str, Any]:
    return {
        "@type": "type.googleapis.com/google.rpc.BadRequest",
        "fieldViolations": [{"field": field, "description": description}],
    }


def error_info(reason: str, domain: str, metadata: dict[str, str] | None = None) -> dict[str, Any]:
    info: dict[str, Any] = {
        "@type": "type.googleapis.com/google.rpc.ErrorInfo",
        "reason": reason,
        "domain": domain,
    }
    if metadata:
        info["metadata"] = metadata
    return info


def invalid(message: str, *, field: str | None = None) -> ApiError:
    details = [bad_request_detail(field, message)] if field is not None else None
    return ApiError(400, message, details=details)


def failed_precondition(message: str) -> ApiError:
    return ApiError(400, message, status="FAILED_PRECONDITION", reason="failedPrecondition")


def not_found(message: str) -> ApiError:
    return ApiError(404, message)


def already_exists(message: str, *, reason: str = "alreadyExists") -> ApiError:
    return ApiError(409, message, reason=reason)


def aborted(message: str) -> ApiError:
    return ApiError(409, message, status="ABORTED", reason="aborted")


def condition_not_met(message: str = "Precondition Failed") -> ApiError:
    return ApiError(412, message, status="FAILED_PRECONDITION", reason="conditionNotMet")


def permission_denied(message: str) -> ApiError:
    return ApiError(403, message)


def unimplemented(message: str) -> ApiError:
    return ApiError(501, message)
