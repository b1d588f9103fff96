"""Compute Engine health checks, global (`healthChecks`) and regional (`regionHealthChecks`).

A health check names its protocol in `type` and carries exactly the one protocol block that type
takes (`httpHealthCheck` for HTTP, `tcpHealthCheck` for TCP, ...). The API fills the timing
defaults and the block's own (port, proxy header, request path), refuses a timeout longer than
the interval, and answers the resource as sent otherwise: no description, no port specification
where none was given (every health check answer of conformance/kcc-golden/compute/, e.g.
computeforwardingrule/globalcomputeforwardingrulefull-direct/_http.log #4 and
computebackendservice/regionalcomputebackendservicetd/_http.log #3). A health check a backend
service names cannot be deleted, like every link of the load-balancing chain. Health checks
carry no fingerprint: `update` replaces the resource, `patch` merges into it.
"""

from __future__ import annotations

from typing import Any

from emulator import standard
from emulator.effects import Effect
from emulator.refusal import refusal
from emulator.registry import Api, Call, Reply
from emulator.services import _compute as c
from emulator.services import _compute_collection as cc
from emulator.services import _lb as lb

API = Api("compute", "v1")

DOC = "https://cloud.google.com/compute/docs/reference/rest/v1/healthChecks"
GLOBAL = c.Global("healthChecks", lb.HEALTH_CHECK, "compute#healthCheck", "healthCheck")
REGIONAL = c.Regional("healthChecks", lb.HEALTH_CHECK, "compute#healthCheck", "healthCheck")

#: The protocol block each type takes, and the port its prober uses when none is given
#: (`port`: "The default value is 80" for HTTP and TCP, 443 for HTTPS, HTTP/2 and SSL; gRPC
#: has no default), per the HTTPHealthCheck ... GRPCTLSHealthCheck messages of DOC.
BLOCKS: dict[str, tuple[str, int | None]] = {
    "HTTP": ("httpHealthCheck", 80),
    "HTTPS": ("httpsHealthCheck", 443),
    "HTTP2": ("http2HealthCheck", 443),
    "TCP": ("tcpHealthCheck", 80),
    "SSL": ("sslHealthCheck", 443),
    "GRPC": ("grpcHealthCheck", None),
    "GRPC_WITH_TLS": ("grpcTlsHealthCheck", None),
}
#: The blocks that take a proxy header ("The default is NONE") and a request path ("The default
#: value is /"), per DOC.
PROXIED = ("httpHealthCheck", "httpsHealthCheck", "http2HealthCheck", "tcpHealthCheck", "sslHealthCheck")
REQUESTED = ("httpHealthCheck", "httpsHealthCheck", "http2HealthCheck")
#: checkIntervalSec, timeoutSec, healthyThreshold, unhealthyThreshold: "The default value is 5
#: seconds" / "5 seconds" / 2 / 2 (DOC).
TIMING_DEFAULTS = {"checkIntervalSec": 5, "timeoutSec": 5, "healthyThreshold": 2, "unhealthyThreshold": 2}
#: Fields the API sets; `region` is output only (Config Connector sends one, which the API ignores:
#: regionalcomputebackendservicetd/_http.log #1 sends `projects/.../global/regions/us-central1`
#: and reads back the region's link in #3).
SET_BY_API = frozenset({"kind", "id", "creationTimestamp", "selfLink", "region"})
TEST = "tests/emulator/test_compute_health_checks.py"


def _block(given: dict[str, Any], key: str, port: int | None) -> dict[str, Any]:
    """The protocol block with the defaults the API fills in."""
    block = dict(given)
    if key in PROXIED:
        block.setdefault("proxyHeader", "NONE")
    if key in REQUESTED:
        block.setdefault("requestPath", "/")
    fixed = block.get("portSpecification", "USE_FIXED_PORT") == "USE_FIXED_PORT"
    if port is not None and fixed and "port" not in block and "portName" not in block:
        block["port"] = port
    value = block.get("port")
    if value is not None and not (isinstance(value, int) and 1 <= value <= 65535):
        raise c.field_error(f"resource.{key}.port", value, "Valid values are 1 through 65535.")
    return block


def _checked(body: dict[str, Any]) -> dict[str, Any]:
    """The health check's own fields, validated, with the API's defaults."""
    kind = body.get("type")
    if not kind:
        # "Exactly one of the protocol-specific health check fields must be specified, which
        # must match type field" (DOC, `type`).
        raise c.required_error("resource.type")
    if kind not in BLOCKS:
        raise c.field_error("resource.type", kind, "Must be one of " + ", ".join(BLOCKS) + ".")
    key, port = BLOCKS[kind]
    others = [k for k, _ in BLOCKS.values() if k != key and body.get(k) is not None]
    if others:
        raise c.field_error(f"resource.{others[0]}", "", f"A {kind} health check takes only {key}.")
    if body.get(key) is None and kind in ("HTTP", "HTTPS", "HTTP2"):
        # Google's answer for an HTTP health check without its block: "Invalid value for field
        # 'resource.httpHealthCheck': ''. HTTP healthCheck missing." (TerriaJS/terriajs#5633).
        raise c.field_error(f"resource.{key}", "", f"{kind} healthCheck missing.")
    timing = {k: body.get(k, v) for k, v in TIMING_DEFAULTS.items()}
    for field, value in timing.items():
        if not isinstance(value, int) or value < 1:
            raise c.field_error(f"resource.{field}", value, "Must be at least 1.")
    if timing["timeoutSec"] > timing["checkIntervalSec"]:
        # "It is invalid for timeoutSec to have greater value than checkIntervalSec" (DOC).
        raise c.field_error(
            "resource.timeoutSec",
            timing["timeoutSec"],
            "timeoutSec must not be greater than checkIntervalSec.",
        )
    return {**body, **timing, key: _block(body.get(key) or {}, key, port)}


def _wanted(call: Call) -> dict[str, Any]:
    return {k: v for k, v in standard.drop_none(call.body or {}).items() if k not in SET_BY_API}


def _rebuilt(wanted: dict[str, Any], current: dict[str, Any]) -> dict[str, Any]:
    """The whole resource of an update or patch: the name and the API's own fields kept."""
    if wanted.get("name", current["name"]) != current["name"]:
        raise c.field_error("resource.name", wanted["name"], "The name cannot be changed.")
    kept = {k: current[k] for k in (*SET_BY_API, "name") if k in current}
    return {**_checked(wanted), **kept}


@API.handles("compute.healthChecks.insert")
@c.replaying
def insert_global(call: Call) -> Reply:
    _, body, _, base = c.global_insert(call, GLOBAL)
    body.pop("region", None)
    return lb.write(call, GLOBAL, "insert", {**_checked(body), **base}, None)


@API.handles("compute.regionHealthChecks.insert")
@c.replaying
def insert_regional(call: Call) -> Reply:
    project_id, region_name, body, path, base = c.regional_insert(call, REGIONAL)
    body.pop("region", None)
    check = {
        **_checked(body),
        **base,
        "region": c.link(f"projects/{project_id}/regions/{region_name}"),
        "selfLink": c.link(path),
    }
    return c.regional_write(call, REGIONAL, "insert", check)


def _global_change(op_type: str) -> Any:
    def change(call: Call) -> Reply:
        _, current = c.global_target(call, GLOBAL)
        wanted = _wanted(call)
        if op_type == "patch":
            wanted = standard.merge_patch({k: v for k, v in current.items() if k not in SET_BY_API}, wanted)
        return lb.write(call, GLOBAL, op_type, _rebuilt(wanted, current), None)

    return c.replaying(change)


def _regional_change(op_type: str) -> Any:
    def change(call: Call) -> Reply:
        _, _, path, current = c.regional_target(call, REGIONAL)
        wanted = _wanted(call)
        if op_type == "patch":
            wanted = standard.merge_patch({k: v for k, v in current.items() if k not in SET_BY_API}, wanted)
        check = _rebuilt(wanted, current)
        effect = Effect.put(lb.HEALTH_CHECK, path, check, "/".join(path.split("/")[:4]))
        return c.regional_operation(call, REGIONAL, op_type, path, check["id"], effect)

    return c.replaying(change)


API.handles("compute.healthChecks.update")(_global_change("update"))
API.handles("compute.healthChecks.patch")(_global_change("patch"))
API.handles("compute.regionHealthChecks.update")(_regional_change("update"))
API.handles("compute.regionHealthChecks.patch")(_regional_change("patch"))

TIMEOUT_OVER_INTERVAL = refusal(
    "compute.healthChecks.insert|update|patch, compute.regionHealthChecks.*",
    "a timeoutSec greater than checkIntervalSec (400 invalid)",
    source=f"{DOC} (timeoutSec)",
    test=f"{TEST}::test_a_timeout_longer_than_the_interval_is_refused",
)
BLOCK_OF_ITS_TYPE = refusal(
    "compute.healthChecks.insert|update|patch, compute.regionHealthChecks.*",
    "a health check without a type, or whose protocol block is missing or not the one its type takes",
    source=f'{DOC} (type); TerriaJS/terriajs#5633 ("HTTP healthCheck missing.")',
    test=f"{TEST}::test_the_protocol_block_must_be_the_one_the_type_takes",
)

GLOBAL_COLLECTION = cc.declare(
    API,
    cc.Collection(
        GLOBAL,
        frozenset({"get", "list", "aggregatedList", "delete"}),
        referenced=True,
        refusals=(lb.IN_USE, TIMEOUT_OVER_INTERVAL, BLOCK_OF_ITS_TYPE),
    ),
)
REGIONAL_COLLECTION = cc.declare(
    API,
    cc.Collection(
        REGIONAL,
        frozenset({"get", "list", "delete"}),
        resource="regionHealthChecks",
        referenced=True,
        refusals=(lb.IN_USE, TIMEOUT_OVER_INTERVAL, BLOCK_OF_ITS_TYPE),
    ),
)
