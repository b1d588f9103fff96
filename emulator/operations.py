"""One table of long-running operations for every service.

Operation names are unique across services, which resolves the collision of
`v1/projects/*/locations/*/operations/*` paths when all APIs share one host.
Completion is computed on read from the creation time and the configured delay.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from emulator.clock import Clock
from emulator.errors import ApiError
from emulator.faults import Faults
from emulator.state import Store

Formatter = Callable[[dict[str, Any], bool], dict[str, Any]]


def _longrunning(record: dict[str, Any], done: bool) -> dict[str, Any]:
    out: dict[str, Any] = {"name": record["name"], "metadata": record["metadata"], "done": done}
    if done:
        if record.get("error"):
            out["error"] = record["error"]
        else:
            out["response"] = record.get("response") or {"@type": "type.googleapis.com/google.protobuf.Empty"}
    return out


# style -> how a stored operation is shown; services with their own operation shape add theirs.
FORMATTERS: dict[str, Formatter] = {"longrunning": _longrunning}


class Operations:
    def __init__(self, store: Store, faults: Faults, clock: Clock, delay_s: float) -> None:
        self.store = store
        self.faults = faults
        self.clock = clock
        self.delay_s = delay_s

    def start(
        self,
        parent: str,
        *,
        metadata: dict[str, Any],
        response: dict[str, Any] | None = None,
        error: ApiError | None = None,
        style: str = "longrunning",
        extra: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Record a new operation; its `error` is set when it is going to fail."""
        name = (
            f"{parent}/operations/operation-{uuid.uuid4().hex}" if parent else f"operation-{uuid.uuid4().hex}"
        )
        now = self.clock.now()
        rpc_error = error.rpc_status() if error is not None else None
        if rpc_error is None and self.faults.operation_fails():
            rpc_error = {"code": 13, "message": "Injected operation failure: an internal error has occurred."}
        record = {
            "name": name,
            "style": style,
            "metadata": metadata,
            "response": response,
            "error": rpc_error,
            "created": now,
            "done_at": now + self.delay_s,
            "extra": extra or {},
        }
        self.store.put_operation(name, record)
        return record

    def record(self, name: str) -> dict[str, Any] | None:
        return self.store.get_operation(name)

    def is_done(self, record: dict[str, Any]) -> bool:
        return self.clock.now() >= record["done_at"]

    def view(self, record: dict[str, Any]) -> dict[str, Any]:
        return FORMATTERS[record["style"]](record, self.is_done(record))
