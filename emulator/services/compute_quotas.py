"""Compute Engine's regions and project: the quotas a deployment draws on.

`regions.get` carries the region's quotas (CPUs, T4 GPUs, in-use addresses...) and
`projects.get` the project-wide ones (`GPUS_ALL_REGIONS`, `CPUS_ALL_REGIONS`), each a
`{metric, limit, usage}` (https://cloud.google.com/compute/resource-usage#viewing_quotas).
"""

from __future__ import annotations

from typing import Any

from emulator import guardrails
from emulator.locations import REGIONS
from emulator.projects import project_number
from emulator.registry import Api, Call
from emulator.services import _compute

API = Api("compute", "v1")


@API.handles("compute.regions.get")
def get_region(call: Call) -> dict[str, Any]:
    project_id = _compute.project(call)
    name = _compute.region(call)
    return {
        "kind": "compute#region",
        "id": str(1000 + sorted(REGIONS).index(name)),
        "creationTimestamp": "1969-12-31T16:00:00.000-08:00",
        "name": name,
        "description": name,
        "status": "UP",
        "zones": [_compute.link(f"projects/{project_id}/zones/{z}") for z in _compute.zones_of(name)],
        "quotas": guardrails.quotas(call.ctx.store, project_id, name),
        "selfLink": _compute.link(f"projects/{project_id}/regions/{name}"),
        "supportsPzs": False,
    }


@API.handles("compute.projects.get")
def get_project(call: Call) -> dict[str, Any]:
    project_id = _compute.project(call)
    number = project_number(project_id)
    return {
        "kind": "compute#project",
        "id": number,
        "creationTimestamp": "2024-01-01T00:00:00.000-08:00",
        "name": project_id,
        "commonInstanceMetadata": {"kind": "compute#metadata", "fingerprint": "Wkr8nCAcDGs="},
        "quotas": guardrails.quotas(call.ctx.store, project_id, None),
        "selfLink": _compute.link(f"projects/{project_id}"),
        "defaultServiceAccount": f"{number}-compute@developer.gserviceaccount.com",
        "xpnProjectStatus": "UNSPECIFIED_XPN_PROJECT_STATUS",
        "defaultNetworkTier": "PREMIUM",
    }
