"""Compute Engine zones: where zonal resources (VM instances, unmanaged instance groups) live.

`zones.get` answers the zone, its region and status; a zone a region does not have is a 404
like any missing resource. The zones of a region are those `regions.get` lists
(compute_quotas.py, from https://cloud.google.com/compute/docs/regions-zones).
"""

from __future__ import annotations

from typing import Any

from emulator.locations import REGIONS
from emulator.registry import Api, Call
from emulator.services import _compute as c

API = Api("compute", "v1")

#: The CPU platforms a zone offers, as Compute lists them for us-central1-a
#: (conformance/kcc-golden/compute/v1beta1/computebackendservice/globalcomputebackendservice/
#: _http.log #2); no other zone's list is recorded, so other zones answer without one.
CPU_PLATFORMS = {
    "us-central1-a": [
        "Ampere Altra",
        "Intel Broadwell",
        "Intel Cascade Lake",
        "Intel Emerald Rapids",
        "AMD Genoa",
        "NVIDIA Grace",
        "Intel Granite Rapids",
        "Intel Haswell",
        "Intel Ice Lake",
        "Intel Ivy Bridge",
        "Google Axion",
        "AMD Milan",
        "AMD Rome",
        "Intel Sandy Bridge",
        "Intel Sapphire Rapids",
        "Intel Skylake",
        "AMD Turin",
    ]
}


def _all_zones() -> list[str]:
    return sorted(z for r in REGIONS for z in c.zones_of(r))


def show(project_id: str, name: str) -> dict[str, Any]:
    """A zone as `zones.get` answers it (the fields of globalcomputebackendservice/_http.log #2)."""
    region_name = name.rsplit("-", 1)[0]
    zone = {
        "kind": "compute#zone",
        "id": str(2000 + _all_zones().index(name)),
        "creationTimestamp": "1969-12-31T16:00:00.000-08:00",
        "name": name,
        "description": name,
        "status": "UP",
        "region": c.link(f"projects/{project_id}/regions/{region_name}"),
        "selfLink": c.link(f"projects/{project_id}/zones/{name}"),
        "supportsPzs": False,
    }
    if name in CPU_PLATFORMS:
        zone["availableCpuPlatforms"] = list(CPU_PLATFORMS[name])
    return zone


@API.handles("compute.zones.get")
def get_zone(call: Call) -> dict[str, Any]:
    return show(c.project(call), c.zone(call))


@API.handles("compute.zones.list")
def list_zones(call: Call) -> dict[str, Any]:
    project_id = c.project(call)
    items = [show(project_id, z) for z in _all_zones()]
    return c.list_reply(call, "compute#zoneList", items, f"projects/{project_id}/zones")
