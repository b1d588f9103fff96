"""The request log as the Python API exposes it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
#: Methods sent as POST that read and change nothing (IAM reads, waiting on an operation).
READ_VERBS = frozenset({"getIamPolicy", "testIamPermissions", "wait", "access"})


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

    @property
    def is_write(self) -> bool:
        return is_write(self.http_method, self.method_id)

    def to_json(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "method_id": self.method_id,
            "http_method": self.http_method,
            "path": self.path,
            "query": self.query,
            "status": self.status,
            "timestamp": self.timestamp,
            "is_write": self.is_write,
        }
