"""The request log as the Python API exposes it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


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
        return self.http_method not in READ_METHODS

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
