"""Service Networking v1: the private service access connection of a network.

One connection per consumer network (there is no get; list needs the
network). Creating it peers the network with the producer network, which
shows as the `servicenetworking-googleapis-com` entry of the network's
`peerings[]`; the stored `network` names the project by number. Every
reserved range must be a VPC_PEERING global address on that network, or the
operation fails with code 9. Removing a range needs `force`. The connection
cannot be deleted while a Cloud SQL instance uses the network privately.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from typing import Any

from emulator.effects import Effect
from emulator.errors import ApiError, aborted, failed_precondition, invalid, not_found
from emulator.registry import Api, Call, Reply
from emulator.services import _compute as c
from emulator.standard import operation_named

API = Api("servicenetworking", "v1")

SERVICE = "services/servicenetworking.googleapis.com"
PEERING = "servicenetworking-googleapis-com"
SQL_INSTANCE = "sqladmin.instance"
CONNECTION_TYPE = "type.googleapis.com/google.cloud.servicenetworking.v1.Connection"
IN_USE = "Producer services (e.g. CloudSQL, Cloud Memstore, etc.) are still using this connection."
_NETWORK = re.compile(r"^projects/([^/]+)/global/networks/([^/]+)$")


def _service(parent: str) -> None:
    if parent != SERVICE:
        raise invalid(f"Service '{parent.removeprefix('services/')}' does not support private connections.")


def _network(call: Call, value: Any) -> tuple[str, str]:
    """(path with project id, path with project number) of a consumer network."""
    if not isinstance(value, str) or not value:
        raise invalid("Network is required.", field="network")
    m = _NETWORK.match(value)
    if not m:
        raise invalid(
            f"Invalid network '{value}': expected projects/{{project}}/global/networks/{{network}}.",
            field="network",
        )
    project_id, number = call.ctx.projects.require(m.group(1), "servicenetworking.services.get")
    return c.global_path(
        project_id, "networks", m.group(2)
    ), f"projects/{number}/global/networks/{m.group(2)}"


def _range_error(call: Call, path: str, ranges: list[str]) -> ApiError | None:
    project_id = path.split("/")[1]
    for name in ranges:
        address = call.ctx.store.get(c.ADDRESS, c.global_path(project_id, "addresses", name))
        if (
            address is None
            or address.get("purpose") != "VPC_PEERING"
            or c.relative(address.get("network", "")) != path
        ):
            return failed_precondition(f"Allocated IP range '{name}' not found in network.")
    return None


def _tenant_network(number: str) -> str:
    tenant = hashlib.sha256(number.encode()).hexdigest()[:14]
    return c.link(f"projects/{tenant}-tp/global/networks/servicenetworking")


def _peering(call: Call, number_path: str) -> dict[str, Any]:
    return {
        "name": PEERING,
        "network": _tenant_network(number_path.split("/")[1]),
        "state": "ACTIVE",
        "stateDetails": f"[{call.ctx.clock.rfc3339()}]: Connected.",
        "autoCreateRoutes": True,
        "exchangeSubnetRoutes": True,
        "exportCustomRoutes": False,
        "importCustomRoutes": False,
        "exportSubnetRoutesWithPublicIp": False,
        "importSubnetRoutesWithPublicIp": True,
        "stackType": "IPV4_ONLY",
    }


def public(connection: dict[str, Any]) -> dict[str, Any]:
    """A stored connection as the API shows it.

    Every stored connection belongs to this one service, so `service` is added
    here rather than stored; readers of the shared store (Cloud SQL's private
    IP check) treat a connection without it as this service's."""
    shown = {k: v for k, v in connection.items() if not k.startswith("_")}
    return {**shown, "service": SERVICE}


def _operation(
    call: Call,
    target: str,
    effects: list[Effect],
    *,
    response: dict[str, Any] | None,
    error: ApiError | None = None,
) -> Reply:
    if call.ctx.operations.in_flight(target):
        raise aborted("Another operation on this connection is in progress. Please retry later.")
    record = call.ctx.operations.start(
        name=f"operations/pssn.p24-{uuid.uuid4().hex}",
        duration_key=("servicenetworking", "connections"),
        response=response,
        error=error,
        effects=effects,
        target=target,
    )
    return Reply(body=call.ctx.operations.view(record), response_ref="Operation")


def _connection(path: str, number_path: str, ranges: list[str]) -> dict[str, Any]:
    return {
        "network": number_path,
        "reservedPeeringRanges": ranges,
        "peering": PEERING,
        "_networkPath": path,
    }


@API.handles("servicenetworking.services.connections.create")
def create_connection(call: Call) -> Reply:
    _service(call.params.get("parent") or call.param("name").partition("/connections/")[0])
    body = call.body or {}
    path, number_path = _network(call, body.get("network"))
    ranges = list(body.get("reservedPeeringRanges") or [])
    existing = call.ctx.store.get(c.CONNECTION, path)
    if not ranges:
        if existing is None:
            raise invalid("At least one reserved peering range is required.", field="reservedPeeringRanges")
        ranges = existing["reservedPeeringRanges"]
    error = _range_error(call, path, ranges)
    if call.ctx.store.get(c.NETWORK, path) is None:
        error = failed_precondition(f"Network '{number_path}' not found.")
    if error is None and existing is not None and sorted(existing["reservedPeeringRanges"]) != sorted(ranges):
        error = failed_precondition(
            "Cannot modify allocated ranges in CreateConnection. Please use UpdateConnection."
        )
    connection = _connection(path, number_path, ranges)
    effects = [
        Effect.put(c.CONNECTION, path, connection, SERVICE),
        Effect.upsert(c.NETWORK, path, "peerings", _peering(call, number_path)),
    ]
    return _operation(
        call,
        f"{path}/connections/{PEERING}",
        effects,
        response={"@type": CONNECTION_TYPE, **public(connection)},
        error=error,
    )


@API.handles("servicenetworking.services.connections.list")
def list_connections(call: Call) -> dict[str, Any]:
    _service(call.param("parent"))
    if not call.query.get("network"):
        raise invalid("Network is required.", field="network")
    path, _ = _network(call, call.query["network"])
    found = call.ctx.store.get(c.CONNECTION, path)
    return {"connections": [public(found)]} if found else {}


def _existing(call: Call, name: str, network: Any) -> tuple[str, str, dict[str, Any]]:
    service, _, peering = name.partition("/connections/")
    _service(service)
    path, number_path = _network(call, network)
    found = call.ctx.store.get(c.CONNECTION, path)
    if found is None or (found.get("peering") != peering and peering != "-"):
        raise not_found(f"Connection '{name}' for network '{number_path}' not found.")
    return path, number_path, found


@API.handles("servicenetworking.services.connections.patch")
def patch_connection(call: Call) -> Reply:
    body = call.body or {}
    service, _, peering = call.param("name").partition("/connections/")
    _service(service)
    if peering == "-" and call.query.get("force"):
        path, _ = _network(call, body.get("network"))
        if call.ctx.store.get(c.CONNECTION, path) is None:
            # `connections/-` with force=true makes the network's connection when it has none:
            # Config Connector creates every connection so, and Google answers 200 with an
            # operation (conformance/kcc-golden/servicenetworking/v1beta1/
            # servicenetworkingconnection/_http.log, exchange 19, after an empty list at 17).
            return create_connection(call)
    path, number_path, current = _existing(call, call.param("name"), body.get("network"))
    mask = {m.strip() for m in str(call.query.get("updateMask") or "").split(",") if m.strip()}
    if not mask:
        raise invalid("update_mask is required.", field="update_mask")
    unknown = mask - {"reservedPeeringRanges", "reserved_peering_ranges"}
    if unknown:
        raise invalid(f"Field(s) {', '.join(sorted(unknown))} cannot be updated.", field="update_mask")
    ranges = list(body.get("reservedPeeringRanges") or [])
    if not ranges:
        raise invalid("At least one reserved peering range is required.", field="reservedPeeringRanges")
    error = _range_error(call, path, ranges)
    removed = sorted(set(current["reservedPeeringRanges"]) - set(ranges))
    if error is None and removed and not call.query.get("force"):
        error = failed_precondition(
            f"Removing allocated ranges {', '.join(removed)} requires force=true; producer services "
            "may still use them."
        )
    connection = _connection(path, number_path, ranges)
    return _operation(
        call,
        f"{path}/connections/{PEERING}",
        [Effect.put(c.CONNECTION, path, connection, SERVICE)],
        response={"@type": CONNECTION_TYPE, **public(connection)},
        error=error,
    )


def _sql_users(call: Call, path: str) -> list[str]:
    """Cloud SQL instances with a private IP on the network (read from the shared store)."""
    names = []
    for instance in call.ctx.store.list(SQL_INSTANCE):
        network = ((instance.get("settings") or {}).get("ipConfiguration") or {}).get("privateNetwork")
        if not network:
            continue
        m = re.search(r"(projects/[^/]+/global/networks/[^/]+)$", str(network))
        if not m:
            continue
        project, name = m.group(1).split("/")[1], m.group(1).rsplit("/", 1)[1]
        found = call.ctx.projects.lookup(project)
        if found and c.global_path(found[0], "networks", name) == path:
            names.append(str(instance.get("name")))
    return names


@API.handles("servicenetworking.services.connections.deleteConnection")
def delete_connection(call: Call) -> Reply:
    path, _, _ = _existing(call, call.param("name"), (call.body or {}).get("consumerNetwork"))
    error = failed_precondition(f"Failed to delete connection; {IN_USE}") if _sql_users(call, path) else None
    effects = [Effect.delete(c.CONNECTION, path), Effect.remove(c.NETWORK, path, "peerings", PEERING)]
    return _operation(call, f"{path}/connections/{PEERING}", effects, response=None, error=error)


@API.handles("servicenetworking.operations.get")
def get_operation(call: Call) -> dict[str, Any]:
    return operation_named(call)
