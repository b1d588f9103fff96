"""Cloud KMS key rings: create, get, list; there is no update and no reuse of a name."""

from __future__ import annotations

from typing import Any

from emulator import standard
from emulator.collection import Collection, declare
from emulator.registry import Api, Call
from emulator.services._kms import ID_PATTERN, KEY_RING, check_location, located

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


KEY_RINGS = declare(
    API,
    Collection(
        "cloudkms.projects.locations.keyRings",
        "cloudkms.keyRings",
        KEY_RING,
        "KeyRing",
        "keyRings",
        located,
        located,
        total=True,
    ),
)
