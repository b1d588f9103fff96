"""Compute Engine global, regional and zonal operations: get, and wait.

`wait` answers when the operation is DONE or after a short cap
(`EmulatorConfig.operation_wait_cap_s`), as the real method may return early;
callers loop. It holds no lock while waiting, so other requests proceed.
"""

from __future__ import annotations

from typing import Any

from emulator.registry import Api, Call, Reply
from emulator.services import _compute as c

API = Api("compute", "v1")

#: A legacy HTTP health check is kept as a health check: the answer that starts its insert or
#: delete names `global/httpHealthChecks/...`, the operation read afterwards
#: `global/healthChecks/...` (kcc-golden compute/v1beta1/computebackendservice/
#: globalcomputebackendservice/_http.log #18/#19 and #31/#32, the one log that makes one).
_LEGACY_HEALTH_CHECKS = "/global/httpHealthChecks/"


def _read(call: Call, record: dict[str, Any]) -> dict[str, Any]:
    """An operation as a later read shows it."""
    view = call.ctx.operations.view(record)
    target = str(view.get("targetLink", ""))
    if _LEGACY_HEALTH_CHECKS in target:
        view["targetLink"] = target.replace(_LEGACY_HEALTH_CHECKS, "/global/healthChecks/")
    return view


@API.handles("compute.globalOperations.get")
def get_global_operation(call: Call) -> Reply:
    record = c.find_operation(call, None)
    return Reply(body=_read(call, record))


@API.handles("compute.regionOperations.get")
def get_region_operation(call: Call) -> Reply:
    record = c.find_operation(call, c.region(call))
    return Reply(body=call.ctx.operations.view(record))


@API.handles("compute.zoneOperations.get")
def get_zone_operation(call: Call) -> Reply:
    record = c.find_operation(call, None, c.zone(call))
    return Reply(body=call.ctx.operations.view(record))


def _wait(call: Call, region_name: str | None, zone_name: str | None = None) -> dict[str, Any]:
    with call.ctx.store.lock:
        record = c.find_operation(call, region_name, zone_name)
    ops = call.ctx.operations
    record = ops.wait(record["name"], call.ctx.config.operation_wait_cap_s) or record
    with call.ctx.store.lock:
        return _read(call, record)


@API.handles("compute.globalOperations.wait", locked=False)
def wait_global_operation(call: Call) -> dict[str, Any]:
    return _wait(call, None)


@API.handles("compute.regionOperations.wait", locked=False)
def wait_region_operation(call: Call) -> dict[str, Any]:
    with call.ctx.store.lock:
        region_name = c.region(call)
    return _wait(call, region_name)


@API.handles("compute.zoneOperations.wait", locked=False)
def wait_zone_operation(call: Call) -> dict[str, Any]:
    with call.ctx.store.lock:
        zone_name = c.zone(call)
    return _wait(call, None, zone_name)
