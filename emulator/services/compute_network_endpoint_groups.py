"""Compute Engine regional network endpoint groups of the serverless and Private Service Connect kinds.

A serverless NEG points a load balancer at a Cloud Run service (or an App Engine app or a
Cloud Function) by name; the service need not exist yet, as in the real API. Every field is
fixed at creation (there is no patch), a serverless group has no endpoints to attach, and
it cannot be deleted while a backend service uses it.
"""

from __future__ import annotations

import re
from typing import Any

from emulator import standard
from emulator.effects import Effect
from emulator.registry import Api, Call, Reply
from emulator.services import _compute as c
from emulator.services import _compute_collection as cc
from emulator.services import _lb as lb

API = Api("compute", "v1")

SERVERLESS_TARGETS = ("cloudRun", "appEngine", "cloudFunction")
KIND = c.Regional("networkEndpointGroups", lb.NEG, "compute#networkEndpointGroup", "networkEndpointGroup")
_SERVICE = re.compile(r"^[a-z](?:[-a-z0-9]{0,47}[a-z0-9])?$")


def _path(call: Call) -> tuple[str, str]:
    region_name = c.region(call)
    name = call.param("networkEndpointGroup")
    return region_name, c.regional_path(c.project(call), region_name, "networkEndpointGroups", name)


def _serverless(body: dict[str, Any]) -> None:
    targets = [t for t in SERVERLESS_TARGETS if body.get(t)]
    if len(targets) != 1:
        raise c.field_error(
            "resource",
            targets,
            "A serverless network endpoint group needs exactly one of cloudRun, appEngine, cloudFunction.",
        )
    for key in ("network", "subnetwork", "defaultPort"):
        if key in body:
            raise c.field_error(
                f"resource.{key}", body[key], "A serverless network endpoint group takes no network or port."
            )
    run = body.get("cloudRun")
    if run is not None:
        if not run.get("service") and not run.get("urlMask"):
            raise c.required_error("resource.cloudRun.service")
        if run.get("service") and not _SERVICE.match(run["service"]):
            raise c.field_error(
                "resource.cloudRun.service", run["service"], "The Cloud Run service name is invalid."
            )


def _private_service_connect(call: Call, body: dict[str, Any], project_id: str, region_name: str) -> None:
    """A Private Service Connect group points at a published service or a Google API by
    `pscTargetService` (https://cloud.google.com/compute/docs/reference/rest/v1/
    regionNetworkEndpointGroups: "The target service url used to set up private service
    connection to a Google API or a PSC Producer Service Attachment"), reached from the network
    and subnetwork it names, which must exist. Recorded: kcc-golden compute/v1beta1/
    computeregionnetworkendpointgroup/privateserviceconnectioncomputeregionnetworkendpointgroup/
    _http.log #33 (`"pscTargetService": "us-west3-cloudkms.googleapis.com"` with network and
    subnetwork) and #35 (answered with them as sent, size 0)."""
    if not body.get("pscTargetService"):
        raise c.required_error("resource.pscTargetService")
    for target in SERVERLESS_TARGETS:
        if body.get(target):
            raise c.field_error(
                f"resource.{target}",
                body[target],
                "A Private Service Connect group has no serverless target.",
            )
    if "network" in body:
        c.require_existing(
            call, c.NETWORK, c.parse_ref(call, body["network"], "resource.network", "networks")
        )
    if "subnetwork" in body:
        subnet = c.parse_ref(call, body["subnetwork"], "resource.subnetwork", "subnetworks", region_name)
        c.require_existing(call, c.SUBNETWORK, subnet)


@API.handles("compute.regionNetworkEndpointGroups.insert")
@c.replaying
def insert_group(call: Call) -> Reply:
    project_id = c.project(call)
    region_name = c.region(call)
    body = standard.drop_none(call.body or {})
    name = c.check_name(body.get("name"))
    path = c.regional_path(project_id, region_name, "networkEndpointGroups", name)
    c.check_free(call, lb.NEG, path)
    kind = body.get("networkEndpointType")
    if kind == "PRIVATE_SERVICE_CONNECT":
        _private_service_connect(call, body, project_id, region_name)
    elif kind != "SERVERLESS":
        raise c.field_error(
            "resource.networkEndpointType",
            kind or "",
            "Regional network endpoint groups here must be SERVERLESS or PRIVATE_SERVICE_CONNECT.",
        )
    else:
        _serverless(body)
    group = {
        "kind": "compute#networkEndpointGroup",
        "id": c.new_id(),
        "creationTimestamp": c.timestamp(call),
        **body,
        "name": name,
        "size": 0,
        "region": c.link(f"projects/{project_id}/regions/{region_name}"),
        "selfLink": c.link(path),
    }
    return c.operation(
        call,
        op_type="insert",
        collection="networkEndpointGroups",
        target_path=path,
        target_id=group["id"],
        effects=[Effect.put(lb.NEG, path, group, f"projects/{project_id}/regions/{region_name}")],
        region_name=region_name,
    )


@API.handles(
    "compute.regionNetworkEndpointGroups.attachNetworkEndpoints",
    "compute.regionNetworkEndpointGroups.detachNetworkEndpoints",
)
def change_endpoints(call: Call) -> Reply:
    _, path = _path(call)
    c.fetch(call, lb.NEG, path)
    raise c.field_error(
        "networkEndpointGroup", path, "Endpoints cannot be attached to or detached from a SERVERLESS group."
    )


@API.handles("compute.regionNetworkEndpointGroups.listNetworkEndpoints")
def list_endpoints(call: Call) -> dict[str, Any]:
    _, path = _path(call)
    c.fetch(call, lb.NEG, path)
    return {"kind": "compute#networkEndpointGroupsListNetworkEndpoints", "items": []}


@API.handles("compute.networkEndpointGroups.aggregatedList")
def aggregated_groups(call: Call) -> dict[str, Any]:
    """The project's groups of every scope; the serverless ones are listed by region."""
    items = c.project_items(call, lb.NEG)
    return lb.aggregated(
        call,
        "compute#networkEndpointGroupAggregatedList",
        "networkEndpointGroups",
        items,
        "networkEndpointGroups",
    )


COLLECTION = cc.declare(
    API,
    cc.Collection(
        KIND,
        frozenset({"get", "list", "delete"}),
        resource="regionNetworkEndpointGroups",
        referenced=True,
        refusals=(lb.IN_USE,),
    ),
)
