"""Cloud KMS operations and locations, read from the shared operation table."""

from __future__ import annotations

from typing import Any

from emulator.errors import not_found
from emulator.locations import KMS_MULTI_REGIONS, REGIONS
from emulator.registry import Api, Call
from emulator.standard import operation_named

API = Api("cloudkms", "v1")


@API.handles("cloudkms.projects.locations.operations.get")
def get_operation(call: Call) -> dict[str, Any]:
    return operation_named(call, "Operation {name} not found.")


def _location(project: str, location_id: str) -> dict[str, Any]:
    return {
        "name": f"projects/{project}/locations/{location_id}",
        "locationId": location_id,
        "displayName": location_id,
    }


@API.handles("cloudkms.projects.locations.list")
def list_locations(call: Call) -> dict[str, Any]:
    project = call.param("name").removeprefix("projects/")
    call.ctx.projects.require(project, "cloudkms.locations.list")
    return {"locations": [_location(project, loc) for loc in sorted(REGIONS | KMS_MULTI_REGIONS)]}


@API.handles("cloudkms.projects.locations.get")
def get_location(call: Call) -> dict[str, Any]:
    name = call.param("name")
    project, _, location_id = name.removeprefix("projects/").partition("/locations/")
    call.ctx.projects.require(project, "cloudkms.locations.get")
    if location_id not in REGIONS | KMS_MULTI_REGIONS:
        raise not_found(f"Location {name} not found.")
    return _location(project, location_id)
