"""Cloud Run v2 operations, read from the shared operation table."""

from __future__ import annotations

from typing import Any

from emulator.clock import parse_duration
from emulator.errors import not_found
from emulator.registry import Api, Call

API = Api("run", "v2")

MAX_WAIT_S = 120.0


def _record(call: Call, name: str) -> dict[str, Any]:
    record = call.ctx.operations.record(name)
    if record is None:
        raise not_found(f"Operation {name} not found.")
    return record


@API.handles("run.projects.locations.operations.get")
def get_operation(call: Call) -> dict[str, Any]:
    return call.ctx.operations.view(_record(call, call.param("name")))


@API.handles("run.projects.locations.operations.wait", locked=False)
def wait_operation(call: Call) -> dict[str, Any]:
    name = call.param("name")
    with call.ctx.store.lock:
        _record(call, name)
    timeout = (call.body or {}).get("timeout")
    cap = min(MAX_WAIT_S, parse_duration(timeout)) if timeout else MAX_WAIT_S
    record = call.ctx.operations.wait(name, cap)
    with call.ctx.store.lock:
        return call.ctx.operations.view(record or _record(call, name))


@API.handles("run.projects.locations.operations.list")
def list_operations(call: Call) -> dict[str, Any]:
    parent = call.param("name") + "/operations/"
    found = [r for r in call.ctx.store.list_operations() if str(r.get("name", "")).startswith(parent)]
    return {"operations": [call.ctx.operations.view(r) for r in found]} if found else {}
