"""Cloud KMS key rings: create, get, list; there is no update and no reuse of a name."""

from __future__ import annotations

from typing import Any

from emulator import standard
from emulator.registry import Api, Call
from emulator.services._kms import ID_PATTERN, KEY_RING, check_location

API = Api("cloudkms", "v1")


@API.handles("cloudkms.projects.locations.keyRings.create")
def create_key_ring(call: Call) -> dict[str, Any]:
    parent = call.param("parent")
    check_location(call, parent, "cloudkms.keyRings.create")
    key_ring_id = standard.check_id(call.query.get("keyRingId"), "keyRingId", ID_PATTERN)
    name = f"{parent}/keyRings/{key_ring_id}"
    resource = {"name": name, "createTime": call.ctx.clock.rfc3339()}
    standard.insert(call, KEY_RING, name, parent, resource, "KeyRing")
    return resource


@API.handles("cloudkms.projects.locations.keyRings.get")
def get_key_ring(call: Call) -> dict[str, Any]:
    name = call.param("name")
    check_location(call, name, "cloudkms.keyRings.get")
    return standard.fetch(call, KEY_RING, name, "KeyRing")


@API.handles("cloudkms.projects.locations.keyRings.list")
def list_key_rings(call: Call) -> dict[str, Any]:
    parent = call.param("parent")
    check_location(call, parent, "cloudkms.keyRings.list")
    rings = standard.filtered(call, call.ctx.store.list(KEY_RING, parent))
    out = standard.list_answer(call, "keyRings", rings)
    if rings:
        out["totalSize"] = len(rings)
    return out
