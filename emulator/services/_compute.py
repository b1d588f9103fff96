"""What the Compute Engine modules share: names and links, references, errors,
operations with deferred effects and `requestId` replay, and list filters."""

from __future__ import annotations

import base64
import functools
import hashlib
import ipaddress
import json
import re
import secrets
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from emulator import standard
from emulator.effects import Effect
from emulator.errors import ApiError
from emulator.locations import REGIONS
from emulator.operation_shapes import compute_operation_name
from emulator.registry import Call, Reply

ROOT = "https://www.googleapis.com/compute/v1/"
NETWORK = "compute.network"
SUBNETWORK = "compute.subnetwork"
ROUTER = "compute.router"
ADDRESS = "compute.globalAddress"
FIREWALL = "compute.firewall"
REQUEST_ID = "compute.requestId"
# Collections owned by the other modules that reference compute networks.
CONNECTION = "servicenetworking.connection"
CONNECTOR = "vpcaccess.connector"
GKE_CLUSTER = "container.cluster"

NAME_PATTERN = r"[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?"
_LINK = re.compile(r"^(?:https?://[^/]+/compute/(?:v1|beta|alpha)/)?(projects/[^/]+/.+)$")
_UUID = re.compile(r"^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$")


# errors, worded as Compute Engine words them


def exists_error(path: str) -> ApiError:
    return ApiError(409, f"The resource '{path}' already exists", reason="alreadyExists")


def missing_error(path: str) -> ApiError:
    return ApiError(404, f"The resource '{path}' was not found", reason="notFound")


def not_ready_error(path: str) -> ApiError:
    return ApiError(400, f"The resource '{path}' is not ready", reason="resourceNotReady")


def in_use_error(noun: str, path: str, user: str) -> ApiError:
    return ApiError(
        400,
        f"The {noun} resource '{path}' is already being used by '{user}'",
        reason="resourceInUseByAnotherResource",
    )


def field_error(field: str, value: Any, why: str) -> ApiError:
    shown = json.dumps(value) if not isinstance(value, str) else value
    return ApiError(400, f"Invalid value for field '{field}': '{shown}'. {why}", reason="invalid")


def required_error(field: str) -> ApiError:
    return ApiError(400, f"Required field '{field}' not specified", reason="required")


def same_fingerprint(supplied: Any, current: Any) -> bool:
    """Whether a supplied fingerprint names the same bytes as the current one.

    Fingerprints are `bytes` fields ("string (bytes format)" in
    https://cloud.google.com/compute/docs/reference/rest/v1/backendServices), and the JSON
    mapping of bytes accepts standard or URL-safe base64, with or without padding
    (https://protobuf.dev/programming-guides/proto3/#json): gcloud sends them URL-safe, so
    comparing the text refused about one update in three that Compute accepts.
    """
    if not isinstance(supplied, str) or not isinstance(current, str):
        return False
    return _fingerprint_bytes(supplied) == _fingerprint_bytes(current) is not None


def _fingerprint_bytes(text: str) -> bytes | None:
    cleaned = text.strip().rstrip("=").replace("-", "+").replace("_", "/")
    try:
        return base64.b64decode(cleaned + "=" * (-len(cleaned) % 4), validate=True)
    except ValueError:
        return None


def fingerprint_error() -> ApiError:
    return ApiError(
        412,
        "Supplied fingerprint does not match current metadata fingerprint.",
        status="FAILED_PRECONDITION",
        reason="conditionNotMet",
    )


# names, links and generated fields


def project(call: Call) -> str:
    """The project id of the request (the path may name it by number)."""
    return call.ctx.projects.require(call.param("project"), "compute.projects.get")[0]


def region(call: Call) -> str:
    name = call.param("region")
    if name not in REGIONS:
        raise missing_error(f"projects/{call.param('project')}/regions/{name}")
    return name


#: Zone letters of the regions that have other than a, b and c
#: (https://cloud.google.com/compute/docs/regions-zones).
ZONE_LETTERS = {"us-central1": "abcf", "us-east1": "bcd", "europe-west1": "bcd"}


def zones_of(region_name: str) -> list[str]:
    """The zones of a region."""
    return [f"{region_name}-{letter}" for letter in ZONE_LETTERS.get(region_name, "abc")]


def zone(call: Call) -> str:
    """The zone a request names, which must be one of a known region."""
    name = call.param("zone")
    if name.rsplit("-", 1)[0] not in REGIONS or name not in zones_of(name.rsplit("-", 1)[0]):
        raise missing_error(f"projects/{call.param('project')}/zones/{name}")
    return name


def zonal_path(project_id: str, zone_name: str, collection: str, name: str) -> str:
    return f"projects/{project_id}/zones/{zone_name}/{collection}/{name}"


def global_path(project_id: str, collection: str, name: str) -> str:
    return f"projects/{project_id}/global/{collection}/{name}"


def regional_path(project_id: str, region_name: str, collection: str, name: str) -> str:
    return f"projects/{project_id}/regions/{region_name}/{collection}/{name}"


def link(path: str) -> str:
    return ROOT + path


def new_id() -> str:
    return str(secrets.randbits(63) | 1)


def timestamp(call: Call) -> str:
    return call.ctx.clock.rfc3339()


#: The label fingerprint Compute gives a resource without labels: every unlabelled resource in
#: public `gcloud compute ... describe` outputs shows `labelFingerprint: 42WmSpB8rSM=` (disks,
#: instances, images alike), so a client may send it before it has read the resource.
EMPTY_LABELS_FINGERPRINT = "42WmSpB8rSM="


def fingerprint(value: Any = None) -> str:
    """A fresh fingerprint, or a stable one derived from `value` (labels); Compute's own for
    no labels."""
    if value == {}:
        return EMPTY_LABELS_FINGERPRINT
    raw = json.dumps(value, sort_keys=True).encode() if value is not None else secrets.token_bytes(16)
    return base64.b64encode(hashlib.sha256(raw).digest()[:8]).decode()


def check_name(name: Any, field: str = "resource.name") -> str:
    if not name:
        raise required_error(field)
    if not isinstance(name, str) or not re.fullmatch(NAME_PATTERN, name):
        raise field_error(field, name, f"Must be a match of regex '(?:{NAME_PATTERN})'")
    return name


def parse_ref(call: Call, value: Any, field: str, collection: str, region_name: str | None = None) -> str:
    """A reference as the canonical relative path (project by id).

    Full URLs, `projects/...` paths and the partial `global/...` or
    `regions/...` forms are accepted, as Compute Engine accepts them.
    """
    if not isinstance(value, str) or not value:
        raise required_error(field)
    text = value
    if text.startswith(("global/", "regions/")):
        text = f"projects/{call.param('project')}/{text}"
    m = _LINK.match(text)
    scope = "global" if region_name is None else f"regions/{region_name}"
    if not m:
        raise field_error(field, value, "The URL is malformed.")
    parts = m.group(1).split("/")
    if region_name is None:
        ok = len(parts) == 5 and parts[2] == "global" and parts[3] == collection
    else:
        ok = len(parts) == 6 and parts[2] == "regions" and parts[4] == collection
    if not ok:
        raise field_error(field, value, f"The URL is malformed; expected projects/*/{scope}/{collection}/*.")
    found = call.ctx.projects.lookup(parts[1])
    if found is None:
        raise missing_error("/".join(parts))
    if region_name is not None and parts[3] != region_name:
        raise field_error(field, value, f"The resource must be in region '{region_name}'.")
    parts[1] = found[0]
    return "/".join(parts)


def zonal_ref(call: Call, value: Any, field: str, collection: str) -> str:
    """A reference to a zonal resource (`projects/<p>/zones/<z>/<collection>/<name>`, full URL
    or relative, or `zones/...` of the caller's project) as its canonical path."""
    text = str(value or "")
    if not text:
        raise required_error(field)
    if text.startswith("zones/"):
        text = f"projects/{call.param('project')}/{text}"
    parts = relative(text).split("/compute/", 1)[-1].split("/")
    if parts and parts[0] in ("v1", "beta", "alpha"):
        parts = parts[1:]
    if len(parts) != 6 or parts[0] != "projects" or parts[2] != "zones" or parts[4] != collection:
        raise field_error(field, value, f"The URL is malformed; expected projects/*/zones/*/{collection}/*.")
    found = call.ctx.projects.lookup(parts[1])
    if found is None:
        raise missing_error("/".join(parts))
    parts[1] = found[0]
    return "/".join(parts)


def public(resource: dict[str, Any]) -> dict[str, Any]:
    """The resource without the emulator's own bookkeeping keys (those starting with _)."""
    return {k: v for k, v in resource.items() if not k.startswith("_")}


def relative(value: str) -> str:
    """A stored full link as a relative path."""
    return value[len(ROOT) :] if value.startswith(ROOT) else value


def require_existing(call: Call, kind: str, path: str) -> dict[str, Any]:
    """A referenced resource that must exist and be settled."""
    found = call.ctx.store.get(kind, path)
    if call.ctx.operations.in_flight(path):
        raise not_ready_error(path)
    if found is None:
        raise missing_error(path)
    return found


def fetch(call: Call, kind: str, path: str) -> dict[str, Any]:
    found = call.ctx.store.get(kind, path)
    if found is None:
        raise missing_error(path)
    return found


def check_free(call: Call, kind: str, path: str) -> None:
    """An insert target that must not exist nor be under way."""
    if call.ctx.store.get(kind, path) is not None:
        raise exists_error(path)
    for record in call.ctx.operations.in_flight(path):
        if str(record["extra"].get("operationType")).rsplit(".", 1)[-1] == "insert":
            raise exists_error(path)
        raise not_ready_error(path)


def check_idle(call: Call, path: str) -> None:
    """A mutation target must not have another operation under way."""
    if call.ctx.operations.in_flight(path):
        raise not_ready_error(path)


def check_labels(labels: dict[str, Any] | None, field: str = "labels") -> None:
    for key, value in (labels or {}).items():
        if not re.fullmatch(r"[a-z][-_a-z0-9]{0,62}", key):
            raise field_error(f"{field}", key, "Label keys must match [a-z]([-_a-z0-9]*) and be at most 63.")
        if not isinstance(value, str) or not re.fullmatch(r"[-_a-z0-9]{0,63}", value):
            raise field_error(f"{field}.{key}", value, "Label values must match [-_a-z0-9]{0,63}.")
    if len(labels or {}) > 64:
        raise field_error(field, len(labels or {}), "At most 64 labels are allowed.")


def cidr(
    value: Any, field: str, *, min_prefix: int = 8, max_prefix: int = 29, strict: bool = True
) -> ipaddress.IPv4Network:
    """An IPv4 range within the allowed sizes, in canonical form (no host bits) when strict."""
    if not isinstance(value, str) or not value:
        raise required_error(field)
    try:
        net = ipaddress.IPv4Network(value, strict=strict)
    except ValueError:
        raise field_error(field, value, f"Invalid IPCidrRange: {value}.") from None
    if not min_prefix <= net.prefixlen <= max_prefix:
        raise field_error(field, value, f"The prefix length must be between /{min_prefix} and /{max_prefix}.")
    return net


def stored_range(item: dict[str, Any]) -> ipaddress.IPv4Network:
    """A stored subnetwork's (or secondary range's) `ipCidrRange` as a network: a Private Service
    Connect subnetwork keeps its range as sent, host bits included (compute_subnetworks.py)."""
    return ipaddress.IPv4Network(item["ipCidrRange"], strict=False)


# ranges in use on a network, for overlap checks


def used_ranges(call: Call, network_path: str, *, skip: str = "") -> list[tuple[ipaddress.IPv4Network, str]]:
    """Every IPv4 range already taken on a network, with a description of its owner."""
    taken: list[tuple[ipaddress.IPv4Network, str]] = []
    for subnet in call.ctx.store.list(SUBNETWORK):
        if relative(subnet["network"]) != network_path or relative(subnet["selfLink"]) == skip:
            continue
        where = f"subnetwork '{subnet['name']}' in region '{subnet['region'].rsplit('/', 1)[1]}'"
        taken.append((stored_range(subnet), where))
        for secondary in subnet.get("secondaryIpRanges", []):
            taken.append(
                (
                    stored_range(secondary),
                    f"secondary range '{secondary['rangeName']}' of {where}",
                )
            )
    for address in call.ctx.store.list(ADDRESS):
        if address.get("purpose") == "VPC_PEERING" and relative(address.get("network", "")) == network_path:
            if relative(address["selfLink"]) == skip:
                continue
            net = ipaddress.IPv4Network(f"{address['address']}/{address['prefixLength']}")
            taken.append((net, f"allocated range '{address['name']}'"))
    for connector in call.ctx.store.list(CONNECTOR):
        if connector.get("ipCidrRange") and connector_network(connector) == network_path:
            if connector["name"] == skip:
                continue
            name = connector["name"].rsplit("/", 1)[1]
            taken.append((ipaddress.IPv4Network(connector["ipCidrRange"]), f"VPC Access connector '{name}'"))
    return taken


def connector_network(connector: dict[str, Any]) -> str:
    """The network path of a VPC Access connector, which names its network by short name."""
    project_id = connector["name"].split("/")[1]
    return global_path(project_id, "networks", str(connector.get("network", "")))


def overlap(
    call: Call, network_path: str, ranges: Iterable[ipaddress.IPv4Network], skip: str = ""
) -> tuple[ipaddress.IPv4Network, str] | None:
    taken = used_ranges(call, network_path, skip=skip)
    for wanted in ranges:
        for net, owner in taken:
            if wanted.overlaps(net):
                return wanted, owner
    return None


# operations


#: (collection, operation type, regional) whose operations Google names by the full method id
#: rather than the verb: kcc-golden compute/v1beta1/computefirewall/computefirewall/_http.log #5
#: (a firewall's patch, `"operationType": "compute.firewalls.patch"`, where its insert and
#: delete say `insert` and `delete`); computeregionnetworkendpointgroup/
#: cloudruncomputeregionnetworkendpointgroup/_http.log #5 and #8 (a regional NEG's insert and
#: delete, `compute.regionNetworkEndpointGroups.insert`/`.delete`).
METHOD_NAMED: dict[tuple[str, str, bool], str] = {
    ("firewalls", "patch", False): "compute.firewalls.patch",
    ("networkEndpointGroups", "insert", True): "compute.regionNetworkEndpointGroups.insert",
    ("networkEndpointGroups", "delete", True): "compute.regionNetworkEndpointGroups.delete",
}


#: (collection, operation type) Google answers finished, with every field of a finished
#: operation (endTime, progress 100): setLabels of a global or regional forwarding rule in every
#: forwarding rule log of conformance/kcc-golden/compute/ (e.g. exchange 36 of
#: computeforwardingrule/globalcomputeforwardingrulehttps-direct/_http.log, exchange 17 of
#: computeforwardingrule/regionalcomputeforwardingrule-direct/_http.log), and setLabels of a
#: global address, with its operationType, target and user (conformance/kcc-history/sql/v1beta1/
#: sqlinstance/postgresinstance@a0c29df460/_http.log #8, sqlinstance-postgres-replication@
#: 9b63dd72f0 #8). Every other operation starts RUNNING with its operationType, target and user:
#: the corpus's global URL map, target HTTP proxy and removePeering operations without them were
#: written by mockcompute (conformance/recorder.py, _MOCK_COMPUTE_LRO and _MOCK_COMPUTE_UNTYPED),
#: where real GCP answers a URL map's insert, update and delete RUNNING at progress 0 (kcc-history
#: compute/v1beta1/computeurlmap/globalcomputeurlmap@7f9957d926 #16, #19, #22) and a
#: removePeering RUNNING then DONE (postgresinstance@a0c29df460 #51, #52).
FINISHED_AT_ONCE = frozenset(
    {
        ("globalForwardingRules", "setLabels"),
        ("forwardingRules", "setLabels"),
        ("globalAddresses", "setLabels"),
    }
)


def operation(
    call: Call,
    *,
    op_type: str,
    collection: str,
    target_path: str,
    target_id: str,
    effects: Iterable[Effect] = (),
    failure_effects: Iterable[Effect] = (),
    error: ApiError | None = None,
    region_name: str | None = None,
    zone_name: str | None = None,
) -> Reply:
    """Start a compute#operation whose effects land when it is DONE (global, regional, or zonal
    for a zone's resources: `zones/<z>/operations/<name>` with a `zone` link,
    https://cloud.google.com/compute/docs/reference/rest/v1/zoneOperations).

    A `requestId` seen before (for this project) returns the operation it
    started instead of doing the work twice, which is Compute Engine's
    idempotency guarantee for retried mutations.
    """
    project_id = target_path.split("/")[1]
    request_id = call.query.get("requestId")
    if request_id:
        known = replayed(call, project_id, request_id)
        if known is not None:
            return known
    ops = call.ctx.operations
    name = compute_operation_name(call.ctx.clock.now())
    scope = f"zones/{zone_name}" if zone_name else f"regions/{region_name}" if region_name else "global"
    extra: dict[str, Any] = {
        "operationType": METHOD_NAMED.get((collection, op_type, region_name is not None), op_type),
        "targetLink": link(target_path),
        "targetId": target_id,
        "selfLink": link(f"projects/{project_id}/{scope}/operations/{name}"),
        "user": "emulator@digitwin.local",
    }
    if region_name:
        extra["region"] = link(f"projects/{project_id}/regions/{region_name}")
    if zone_name:
        extra["zone"] = link(f"projects/{project_id}/zones/{zone_name}")
    if request_id:
        extra["clientOperationId"] = request_id
    record = ops.start(
        name=name,
        style="compute",
        extra=extra,
        duration_s=0.0 if (collection, op_type) in FINISHED_AT_ONCE else None,
        duration_key=("compute", op_type, collection),
        effects=effects,
        failure_effects=failure_effects,
        error=error,
        target=target_path,
    )
    if request_id:
        call.ctx.store.put(REQUEST_ID, f"{project_id}/{request_id}", {"operation": name}, project_id)
    return Reply(body=ops.view(record), response_ref="Operation")


def replaying(handler: Callable[[Call], Any]) -> Callable[[Call], Any]:
    """Declare a handler a mutation with `requestId` replay: a retried request is answered with
    the operation it started the first time instead of doing the work twice."""

    @functools.wraps(handler)
    def run(call: Call) -> Any:
        known = replay(call)
        return known if known is not None else handler(call)

    return run


def replay(call: Call) -> Reply | None:
    """The earlier operation of a retried request with the same requestId."""
    request_id = call.query.get("requestId")
    return replayed(call, project(call), request_id) if request_id else None


def replayed(call: Call, project_id: str, request_id: str) -> Reply | None:
    """The earlier operation of a retried request, or None (and a 400 for a bad id)."""
    if not _UUID.match(request_id) or uuid.UUID(request_id).int == 0:
        raise field_error("requestId", request_id, "The request id must be a valid, non-zero UUID.")
    seen = call.ctx.store.get(REQUEST_ID, f"{project_id}/{request_id}")
    if seen is None:
        return None
    record = call.ctx.operations.record(seen["operation"])
    if record is None:
        return None
    return Reply(body=call.ctx.operations.view(record), response_ref="Operation")


def find_operation(call: Call, region_name: str | None, zone_name: str | None = None) -> dict[str, Any]:
    project_id = project(call)
    name = call.param("operation")
    scope = f"zones/{zone_name}" if zone_name else f"regions/{region_name}" if region_name else "global"
    record = call.ctx.operations.record(name)
    expected = link(f"projects/{project_id}/{scope}/operations/{name}")
    if record is None or record.get("style") != "compute" or record["extra"].get("selfLink") != expected:
        raise missing_error(f"projects/{call.param('project')}/{scope}/operations/{name}")
    return record


# the steps every global collection takes alike


@dataclass(frozen=True)
class Global:
    """A global collection: its path segment, store kind, API kind and path parameter."""

    collection: str
    store_kind: str
    api_kind: str
    param: str
    #: The name its operations are timed under, where the API's resource name differs from the path's.
    operations: str = ""

    def path(self, call: Call, param: str | None = None) -> str:
        return global_path(project(call), self.collection, call.param(param or self.param))


def global_operation(
    call: Call, kind: Global, op_type: str, path: str, target_id: str, effects: list[Effect]
) -> Reply:
    return operation(
        call,
        op_type=op_type,
        collection=kind.operations or kind.collection,
        target_path=path,
        target_id=target_id,
        effects=effects,
    )


#: Fields the API sets on every resource; a request that sends them is not heard on them.
OUTPUT_ONLY = frozenset({"kind", "id", "creationTimestamp", "selfLink"})


def _without_output_only(body: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k not in OUTPUT_ONLY}


def global_insert(call: Call, kind: Global) -> tuple[str, dict[str, Any], str, dict[str, Any]]:
    """An insert's (project id, body, path, output-only fields): the name checked and not yet taken."""
    project_id = project(call)
    body = _without_output_only(standard.drop_none(call.body or {}))
    name = check_name(body.get("name"))
    path = global_path(project_id, kind.collection, name)
    check_free(call, kind.store_kind, path)
    base = {
        "kind": kind.api_kind,
        "id": new_id(),
        "creationTimestamp": timestamp(call),
        "name": name,
        "selfLink": link(path),
    }
    return project_id, body, path, base


def global_target(call: Call, kind: Global, param: str | None = None) -> tuple[str, dict[str, Any]]:
    """The (path, resource) a change names: it must exist and have no other operation under way."""
    path = kind.path(call, param)
    current = fetch(call, kind.store_kind, path)
    check_idle(call, path)
    return path, current


# the steps every regional collection takes alike


@dataclass(frozen=True)
class Regional:
    """A regional collection: its path segment, store kind, API kind and path parameter."""

    collection: str
    store_kind: str
    api_kind: str
    param: str

    def paths(self, call: Call, param: str | None = None) -> tuple[str, str, str]:
        """(project id, region, path) of the resource a request names (by `param`, where the
        method names it otherwise, as setLabels does by `resource`)."""
        project_id = project(call)
        region_name = region(call)
        return (
            project_id,
            region_name,
            regional_path(project_id, region_name, self.collection, call.param(param or self.param)),
        )


def regional_insert(call: Call, kind: Regional) -> tuple[str, str, dict[str, Any], str, dict[str, Any]]:
    """An insert's (project id, region, body, path, kind/id/creation time); the name is not yet taken."""
    project_id = project(call)
    region_name = region(call)
    body = _without_output_only(standard.drop_none(call.body or {}))
    name = check_name(body.get("name"))
    path = regional_path(project_id, region_name, kind.collection, name)
    check_free(call, kind.store_kind, path)
    base = {"kind": kind.api_kind, "id": new_id(), "creationTimestamp": timestamp(call)}
    return project_id, region_name, body, path, base


def regional_target(
    call: Call, kind: Regional, param: str | None = None
) -> tuple[str, str, str, dict[str, Any]]:
    """(project id, region, path, resource) of a change: it must exist with no operation under way."""
    project_id, region_name, path = kind.paths(call, param)
    current = fetch(call, kind.store_kind, path)
    check_idle(call, path)
    return project_id, region_name, path, current


def regional_operation(
    call: Call, kind: Regional, op_type: str, path: str, target_id: str, effect: Effect
) -> Reply:
    """A regional operation whose one effect lands on the resource at `path` when it is done."""
    return operation(
        call,
        op_type=op_type,
        collection=kind.collection,
        target_path=path,
        target_id=target_id,
        effects=[effect],
        region_name=path.split("/")[3],
    )


def regional_write(call: Call, kind: Regional, op_type: str, resource: dict[str, Any]) -> Reply:
    """Store a whole regional resource (insert, update) when the operation is done."""
    path = relative(resource["selfLink"])
    effect = Effect.put(kind.store_kind, path, resource, "/".join(path.split("/")[:4]))
    return regional_operation(call, kind, op_type, path, resource["id"], effect)


# lists


def list_reply(call: Call, kind: str, items: list[dict[str, Any]], list_path: str) -> dict[str, Any]:
    """A Compute list page: filter, orderBy, maxResults (at most 500), pageToken."""
    predicate = compile_filter(call.query.get("filter"))
    items = [i for i in items if predicate(i)]
    order_by = call.query.get("orderBy")
    if order_by:
        if order_by.strip() == "name":
            items.sort(key=lambda i: i["name"])
        elif order_by.strip() == "creationTimestamp desc":
            items.sort(key=lambda i: i.get("creationTimestamp", ""), reverse=True)
        else:
            raise field_error("orderBy", order_by, "Only 'name' and 'creationTimestamp desc' are supported.")
    else:
        items.sort(key=lambda i: i["name"])
    max_results = call.query.get("maxResults")
    if max_results is not None and not 0 <= max_results <= 500:
        raise field_error("maxResults", max_results, "Must be between 0 and 500.")
    page, token = standard.paginate(
        items, max_results or None, call.query.get("pageToken"), default_size=500, max_size=500
    )
    out: dict[str, Any] = {"kind": kind, "id": list_path, "items": page, "selfLink": link(list_path)}
    if token:
        out["nextPageToken"] = token
    return out


def aggregated_reply(
    call: Call, kind: str, key: str, items: list[dict[str, Any]], list_path: str
) -> dict[str, Any]:
    """An aggregatedList page: the list rules above, then grouped by `regions/<r>`."""
    flat = list_reply(call, kind, items, list_path)
    flat["items"].sort(key=lambda i: (str(i.get("region", "")), i["name"]))
    grouped: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for item in flat["items"]:
        scope = "regions/" + str(item.get("region", "")).rsplit("/", 1)[-1]
        grouped.setdefault(scope, {key: []})[key].append(item)
    return {**flat, "items": grouped}


def project_items(call: Call, store_kind: str) -> list[dict[str, Any]]:
    """Every stored resource of a kind in the caller's project, as the API shows it."""
    project_id = project(call)
    return [public(i) for i in call.ctx.store.list(store_kind) if i["selfLink"].split("/")[6] == project_id]


def regional_aggregated(call: Call, store_kind: str, collection: str, noun: str) -> dict[str, Any]:
    """`<collection>.aggregatedList`: the project's resources of every region, grouped by region."""
    list_path = f"projects/{project(call)}/aggregated/{collection}"
    items = project_items(call, store_kind)
    return aggregated_reply(call, f"compute#{noun}AggregatedList", collection, items, list_path)


_TOKEN = re.compile(
    r"""\s*(?:
        (?P<open>\() | (?P<close>\)) | (?P<kw>AND|OR)(?=[\s(]|$)
      | (?P<term>[A-Za-z0-9_.\-]+\s*(?:!=|=|:|\s+eq\s+|\s+ne\s+)\s*(?:"(?:[^"\\]|\\.)*"|'[^']*'|[^\s()]+))
    )""",
    re.VERBOSE,
)
_TERM = re.compile(
    r"""^([A-Za-z0-9_.\-]+)\s*(!=|=|:|\s+eq\s+|\s+ne\s+)\s*("(?:[^"\\]|\\.)*"|'[^']*'|.+)$""", re.DOTALL
)

Predicate = Callable[[dict[str, Any]], bool]


def compile_filter(expression: str | None) -> Predicate:
    """Compute Engine's list filter: `field = value`, `!=`, `:` (has), `eq`/`ne`
    (RE2 full match), parenthesised terms joined by spaces or AND, and OR."""
    if not expression or not expression.strip():
        return lambda _: True
    tokens: list[tuple[str, str]] = []
    pos, text = 0, expression
    while pos < len(text):
        if not text[pos:].strip():
            break
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise field_error("filter", expression, "Invalid list filter expression.")
        kind = m.lastgroup or ""
        tokens.append((kind, m.group(kind).strip()))
        pos = m.end()
    predicate, rest = _parse_or(tokens, expression)
    if rest:
        raise field_error("filter", expression, "Invalid list filter expression.")
    return predicate


def _parse_or(tokens: list[tuple[str, str]], expression: str) -> tuple[Predicate, list[tuple[str, str]]]:
    left, tokens = _parse_and(tokens, expression)
    alternatives = [left]
    while tokens and tokens[0] == ("kw", "OR"):
        right, tokens = _parse_and(tokens[1:], expression)
        alternatives.append(right)
    if len(alternatives) == 1:
        return left, tokens
    return (lambda r: any(p(r) for p in alternatives)), tokens


def _parse_and(tokens: list[tuple[str, str]], expression: str) -> tuple[Predicate, list[tuple[str, str]]]:
    terms: list[Predicate] = []
    while tokens and tokens[0][0] in ("open", "term", "kw"):
        kind, value = tokens[0]
        if kind == "kw":
            if value == "OR" or not terms:
                break
            tokens = tokens[1:]
            continue
        if kind == "open":
            inner, tokens = _parse_or(tokens[1:], expression)
            if not tokens or tokens[0][0] != "close":
                raise field_error("filter", expression, "Invalid list filter expression.")
            tokens = tokens[1:]
            terms.append(inner)
        else:
            terms.append(_term(value, expression))
            tokens = tokens[1:]
    if not terms:
        raise field_error("filter", expression, "Invalid list filter expression.")
    return (lambda r: all(p(r) for p in terms)), tokens


def _term(text: str, expression: str) -> Predicate:
    m = _TERM.match(text)
    if not m:
        raise field_error("filter", expression, "Invalid list filter expression.")
    path, op, raw = m.group(1), m.group(2).strip(), m.group(3).strip()
    if raw[:1] in ('"', "'"):
        raw = raw[1:-1].replace('\\"', '"')
    if op in ("eq", "ne"):
        try:
            pattern = re.compile(raw)
        except re.error:
            raise field_error("filter", expression, "Invalid regular expression.") from None

    def test(resource: dict[str, Any]) -> bool:
        actual = standard.get_path(resource, path, None)
        if op == ":":
            if raw == "*":
                return actual is not None
            if isinstance(actual, list):
                return any(_text(v) == raw or raw in _text(v) for v in actual)
            return actual is not None and raw in _text(actual)
        if op in ("eq", "ne"):
            hit = actual is not None and pattern.fullmatch(_text(actual)) is not None
            return hit if op == "eq" else not hit
        equal = actual is not None and (_text(actual) == raw or relative(_text(actual)) == relative(raw))
        return equal if op == "=" else not equal

    return test


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
