"""The request log as the Python API exposes it."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from typing import Any

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
#: Methods sent as POST that read and change nothing (IAM reads, waiting on an operation).
READ_VERBS = frozenset({"getIamPolicy", "testIamPermissions", "getEffectiveOrgPolicy", "wait", "access"})


#: Request fields that hold credentials: the log keeps a request's body without them, as Cloud
#: Audit Logs do (a Cloud SQL user's password, a Secret Manager payload, a private key).
CREDENTIAL_KEYS = frozenset({"password", "privateKeyData", "privateKey"})
#: Where a field's meaning depends on its parent: Secret Manager's `payload.data`.
CREDENTIAL_CHILDREN = {"payload": frozenset({"data"})}
REDACTED = "(redacted)"


def is_write(http_method: str, method_id: str | None) -> bool:
    if http_method in READ_METHODS:
        return False
    return not (method_id and method_id.rsplit(".", 1)[-1] in READ_VERBS)


@dataclass(frozen=True)
class RequestRecord:
    seq: int
    method_id: str | None
    http_method: str
    path: str
    query: str
    status: int
    timestamp: float
    #: The JSON body the client sent, credentials redacted; None for no body or a non-JSON one.
    body: Any = None

    @property
    def is_write(self) -> bool:
        return is_write(self.http_method, self.method_id)

    def to_json(self) -> dict[str, Any]:
        """The record's fields in declaration order, with `is_write` before the body."""
        fields = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        body = fields.pop("body")
        return {**fields, "is_write": self.is_write, "body": body}


def loggable_body(raw: bytes) -> str | None:
    """A request body as the log keeps it: JSON without credentials, or None (media, empty)."""
    if not raw.strip():
        return None
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return None  # an upload's bytes or a malformed body: the route's own answer says which
    return json.dumps(_redact(data))


def _redact(value: Any, sensitive: frozenset[str] = CREDENTIAL_KEYS) -> Any:
    if isinstance(value, dict):
        return {
            key: REDACTED
            if key in sensitive
            else _redact(item, CREDENTIAL_KEYS | CREDENTIAL_CHILDREN.get(key, frozenset()))
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_redact(item) for item in value]
    return value
