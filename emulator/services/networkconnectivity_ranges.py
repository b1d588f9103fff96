"""Network Connectivity v1 internal ranges (`projects.locations.internalRanges`): create, get,
list and delete, each change a long-running operation; and the range a subnetwork made with a
`reservedInternalRange` takes as its primary range.

Shaped as recorded on real GCP in kcc-golden compute/v1beta1/computesubnetwork/
reservedinternalrange/_http.log: #5 create answers an operation named
`projects/{project id}/locations/global/operations/...` whose metadata is an OperationMetadata
(apiVersion, createTime, target, verb), #6 shows it done with an endTime and the InternalRange,
#7 the range (createTime, ipCidrRange, name, network, peering, updateTime, usage: what was
sent, and no purpose), #13 a subnetwork made with `reservedInternalRange` and no ipCidrRange,
#15 that subnetwork with the range's CIDR as its own, #22-#26 the deletes. Rules from the API
reference (https://cloud.google.com/network-connectivity/docs/reference/networkconnectivity/
rest/v1/projects.locations.internalRanges): the network is required and must exist; a range
is given by ipCidrRange or by prefixLength, and both must agree; the id is a resource id of
AIP-122 (https://google.aip.dev/122#resource-id-segments).
"""

from __future__ import annotations

import ipaddress
import re
import uuid
from typing import Any

from emulator import standard
from emulator.effects import Effect
from emulator.errors import ApiError, already_exists, invalid
from emulator.registry import Api, Call, Reply
from emulator.services import _compute as c

# Its operations are polled at a path other APIs share
# (`v1/projects/*/locations/*/operations/*`, as Cloud KMS): the
# dispatcher answers them from the one operation table through the first of those APIs with
# a handler, so this module declares none: its own would take those polls' method id.
API = Api("networkconnectivity", "v1")

RANGE = "networkconnectivity.internalRange"
TYPES = "type.googleapis.com/google.cloud.networkconnectivity.v1."
_ID = re.compile(r"^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$")
_PARENT = re.compile(r"^projects/([^/]+)/locations/([^/]+)$")
_WRITABLE = (
    "description",
    "labels",
    "ipCidrRange",
    "network",
    "usage",
    "peering",
    "prefixLength",
    "targetCidrRange",
    "overlaps",
    "migration",
    "immutable",
    "allocationOptions",
    "excludeCidrRanges",
    "purpose",
)


def _located(call: Call, parent: str, permission: str) -> tuple[str, str]:
    found = _PARENT.match(parent)
    if not found:
        raise invalid(f"Invalid parent '{parent}'.", field="parent")
    project_id, _ = call.ctx.projects.require(found.group(1), permission)
    return project_id, found.group(2)


def _not_found(name: str) -> ApiError:
    # Recorded (#4): 404 "Resource '<name>' was not found".
    return ApiError(404, f"Resource '{name}' was not found")


def _stored_name(call: Call, name: str, permission: str) -> str:
    parent, sep, range_id = name.partition("/internalRanges/")
    if not sep or not range_id or "/" in range_id:
        raise invalid(f"Invalid internal range name '{name}'.", field="name")
    project_id, location = _located(call, parent, permission)
    return f"projects/{project_id}/locations/{location}/internalRanges/{range_id}"


def _operation(call: Call, target: str, verb: str, response: dict[str, Any], effects: list[Effect]) -> Reply:
    project_location = target.split("/internalRanges/")[0]
    record = call.ctx.operations.start(
        name=f"{project_location}/operations/operation-{uuid.uuid4().hex}",
        duration_key=("networkconnectivity", verb),
        metadata={
            "@type": f"{TYPES}OperationMetadata",
            "apiVersion": "v1",
            "createTime": call.ctx.clock.rfc3339(),
            "endTime": None,
            "target": target,
            "verb": verb,
        },
        response=response,
        effects=effects,
        target=target,
    )
    return Reply(body=call.ctx.operations.view(record), response_ref="Operation")


def _cidr(body: dict[str, Any]) -> str:
    given = body.get("ipCidrRange")
    length = body.get("prefixLength")
    if not given and length is None:
        raise invalid(
            "One of ip_cidr_range and prefix_length is required.", field="internal_range.ip_cidr_range"
        )
    if not given:
        raise invalid(
            "Automatic allocation by prefix_length is not supported here; give ip_cidr_range.",
            field="internal_range.prefix_length",
        )
    try:
        network = ipaddress.ip_network(str(given), strict=True)
    except ValueError as exc:
        raise invalid(f"Invalid ip_cidr_range '{given}'.", field="internal_range.ip_cidr_range") from exc
    if length is not None and int(length) != network.prefixlen:
        raise invalid(
            "prefix_length does not match the size of ip_cidr_range.", field="internal_range.prefix_length"
        )
    return str(network)


@API.handles("networkconnectivity.projects.locations.internalRanges.create")
def create_range(call: Call) -> Reply:
    project_id, location = _located(call, call.param("parent"), "networkconnectivity.internalRanges.create")
    range_id = str(call.query.get("internalRangeId") or "")
    if not _ID.match(range_id):
        raise invalid(f"Invalid internal range id '{range_id}'.", field="internal_range_id")
    name = f"projects/{project_id}/locations/{location}/internalRanges/{range_id}"
    if call.ctx.store.get(RANGE, name) is not None or call.ctx.operations.in_flight(name):
        raise already_exists(f"Resource '{name}' already exists")
    body = standard.drop_none(call.body or {})
    if not body.get("network"):
        raise invalid("network is required.", field="internal_range.network")
    network_path = c.parse_ref(call, body["network"], "internal_range.network", "networks")
    c.require_existing(call, c.NETWORK, network_path)
    cidr = _cidr(body)
    now = call.ctx.clock.rfc3339()
    internal = {k: body[k] for k in _WRITABLE if k in body}
    internal.update(name=name, ipCidrRange=cidr, createTime=now, updateTime=now)
    internal.pop("prefixLength", None)
    response = {"@type": f"{TYPES}InternalRange", **internal}
    return _operation(
        call, name, "create", response, [Effect.put(RANGE, name, internal, name.split("/internalRanges/")[0])]
    )


@API.handles("networkconnectivity.projects.locations.internalRanges.get")
def get_range(call: Call) -> dict[str, Any]:
    name = _stored_name(call, call.param("name"), "networkconnectivity.internalRanges.get")
    found = call.ctx.store.get(RANGE, name)
    if found is None:
        raise _not_found(call.param("name"))
    return found


@API.handles("networkconnectivity.projects.locations.internalRanges.list")
def list_ranges(call: Call) -> dict[str, Any]:
    project_id, location = _located(call, call.param("parent"), "networkconnectivity.internalRanges.list")
    ranges = sorted(
        call.ctx.store.list(RANGE, f"projects/{project_id}/locations/{location}"), key=lambda r: r["name"]
    )
    return standard.list_answer(call, "internalRanges", ranges)


@API.handles("networkconnectivity.projects.locations.internalRanges.delete")
def delete_range(call: Call) -> Reply:
    name = _stored_name(call, call.param("name"), "networkconnectivity.internalRanges.delete")
    if call.ctx.store.get(RANGE, name) is None:
        raise _not_found(call.param("name"))
    users = [s["name"] for s in call.ctx.store.list(c.SUBNETWORK) if _range_of(s) == name]
    if users:
        # A range in use by a subnetwork (one of its `users`, InternalRange.users) cannot go.
        raise ApiError(
            400, f"Internal range {name} is in use by {', '.join(users)}.", status="FAILED_PRECONDITION"
        )
    empty = {"@type": "type.googleapis.com/google.protobuf.Empty"}
    return _operation(call, name, "delete", empty, [Effect.delete(RANGE, name)])


def _range_of(subnet: dict[str, Any]) -> str | None:
    ref = subnet.get("reservedInternalRange")
    if not ref:
        return None
    at = str(ref).find("projects/")
    return str(ref)[at:] if at >= 0 else None


def reserved_cidr(call: Call, ref: str, network_path: str, field: str) -> str:
    """The CIDR of the internal range a subnetwork names by `reservedInternalRange`
    (`networkconnectivity.googleapis.com/projects/.../internalRanges/...`, as recorded in #13);
    it must exist and be on the subnetwork's network."""
    at = str(ref).find("projects/")
    found = call.ctx.store.get(RANGE, str(ref)[at:]) if at >= 0 else None
    if found is None:
        raise c.field_error(field, ref, "The internal range does not exist.")
    if c.parse_ref(call, found["network"], field, "networks") != network_path:
        raise c.field_error(field, ref, "The internal range belongs to another network.")
    return str(found["ipCidrRange"])
