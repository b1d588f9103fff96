"""Compute Engine legacy health checks: `httpHealthChecks` and `httpsHealthChecks` (global).

Older load balancers (target pools, and backend services that still name one) probe with these
flat legacy checks: the port, request path and host sit on the resource itself. The API fills
the same timing defaults as for health checks and the protocol's port, request path and proxy
header: conformance/kcc-golden/compute/v1beta1/computebackendservice/globalcomputebackendservice/
_http.log #18 sends no proxy header and reads back `"proxyHeader": "NONE"` in #20. Its 404 names
the resource as a `healthChecks` one (the same log, #17). A legacy check a backend service names
cannot be deleted, like every link of the load-balancing chain.
https://cloud.google.com/compute/docs/reference/rest/v1/httpHealthChecks
"""

from __future__ import annotations

from typing import Any

from emulator import standard
from emulator.errors import ApiError
from emulator.registry import Api, Call, Reply
from emulator.services import _compute as c
from emulator.services import _compute_collection as cc
from emulator.services import _lb as lb
from emulator.services import compute_health_checks as checks

API = Api("compute", "v1")

HTTP = c.Global("httpHealthChecks", lb.LEGACY_HTTP_CHECK, "compute#httpHealthCheck", "httpHealthCheck")
HTTPS = c.Global("httpsHealthChecks", lb.LEGACY_HTTPS_CHECK, "compute#httpsHealthCheck", "httpsHealthCheck")
#: "port: The TCP port number for the HTTP health check request. The default value is 80"
#: (443 for HTTPS); "requestPath: ... The default value is /" (the two reference pages).
PORTS = {HTTP.collection: 80, HTTPS.collection: 443}
SET_BY_API = frozenset({"kind", "id", "creationTimestamp", "selfLink"})


def _checked(kind: c.Global, body: dict[str, Any]) -> dict[str, Any]:
    timing = {k: body.get(k, v) for k, v in checks.TIMING_DEFAULTS.items()}
    for field, value in timing.items():
        if not isinstance(value, int) or value < 1:
            raise c.field_error(f"resource.{field}", value, "Must be at least 1.")
    if timing["timeoutSec"] > timing["checkIntervalSec"]:
        # "It is invalid for timeoutSec to have greater value than checkIntervalSec" (the
        # reference pages).
        raise c.field_error(
            "resource.timeoutSec",
            timing["timeoutSec"],
            "timeoutSec must not be greater than checkIntervalSec.",
        )
    port = body.get("port", PORTS[kind.collection])
    if not isinstance(port, int) or not 1 <= port <= 65535:
        raise c.field_error("resource.port", port, "Valid values are 1 through 65535.")
    return {"proxyHeader": "NONE", "requestPath": "/", **body, **timing, "port": port}


def _missing(call: Call, kind: c.Global) -> ApiError:
    """The 404 of a legacy check, which names it a `healthChecks` resource (#17 of the log)."""
    path = c.global_path(call.param("project"), "healthChecks", call.param(kind.param))
    return c.missing_error(path)


def _fetch(call: Call, kind: c.Global) -> tuple[str, dict[str, Any]]:
    path = kind.path(call)
    found = call.ctx.store.get(kind.store_kind, path)
    if found is None:
        raise _missing(call, kind)
    return path, found


def _insert(call: Call, kind: c.Global) -> Reply:
    _, body, _, base = c.global_insert(call, kind)
    return lb.write(call, kind, "insert", {**_checked(kind, body), **base}, None)


def _get(call: Call, kind: c.Global) -> dict[str, Any]:
    return c.public(_fetch(call, kind)[1])


def _change(op_type: str) -> cc.Own:
    def change(call: Call, kind: c.Global) -> Reply:
        path, current = _fetch(call, kind)
        c.check_idle(call, path)
        wanted = {k: v for k, v in standard.drop_none(call.body or {}).items() if k not in SET_BY_API}
        if op_type == "patch":
            wanted = standard.merge_patch({k: v for k, v in current.items() if k not in SET_BY_API}, wanted)
        if wanted.get("name", current["name"]) != current["name"]:
            raise c.field_error("resource.name", wanted["name"], "The name cannot be changed.")
        kept = {k: current[k] for k in (*SET_BY_API, "name")}
        return lb.write(call, kind, op_type, {**_checked(kind, wanted), **kept}, None)

    return change


OWN: dict[str, cc.Own] = {
    "insert": lambda call, kind: c.replaying(lambda call: _insert(call, kind))(call),
    "get": _get,
    "update": lambda call, kind: c.replaying(lambda call: _change("update")(call, kind))(call),
    "patch": lambda call, kind: c.replaying(lambda call: _change("patch")(call, kind))(call),
}

HTTP_COLLECTION = cc.declare(
    API,
    cc.Collection(HTTP, frozenset({"list", "delete"}), own=OWN, referenced=True, refusals=(lb.IN_USE,)),
)
HTTPS_COLLECTION = cc.declare(
    API,
    cc.Collection(HTTPS, frozenset({"list", "delete"}), own=OWN, referenced=True, refusals=(lb.IN_USE,)),
)
