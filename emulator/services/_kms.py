"""Names, kinds and rules shared by the Cloud KMS modules."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from emulator import iam
from emulator.clock import parse_rfc3339
from emulator.effects import Effect
from emulator.errors import ApiError, invalid
from emulator.locations import KMS_MULTI_REGIONS, is_region
from emulator.registry import Call, Reply

KEY_RING = "cloudkms.keyRing"
CRYPTO_KEY = "cloudkms.cryptoKey"
VERSION = "cloudkms.cryptoKeyVersion"
ID_PATTERN = r"[a-zA-Z0-9_-]{1,63}"
_PARENT = re.compile(r"^projects/([^/]+)/locations/([^/]+)")
KMS_TYPE = "type.googleapis.com/google.cloud.kms.v1."


def check_location(call: Call, name: str, permission: str) -> tuple[str, str]:
    """(project, location) of a KMS name, refusing unknown projects and locations."""
    m = _PARENT.match(name)
    if not m:
        raise invalid(f"Invalid resource name: {name}")
    project, location = m.groups()
    call.ctx.projects.require(project, permission)
    if not (is_region(location) or location in KMS_MULTI_REGIONS):
        raise invalid(f"Location {location!r} is not a valid Cloud KMS location.", field="parent")
    return project, location


def located(call: Call, name: str, permission: str) -> str:
    """A KMS name or parent as the store knows it, once its project and location are checked."""
    check_location(call, name, permission)
    return name


def settle_version(call: Call, version: dict[str, Any]) -> dict[str, Any]:
    """A scheduled destruction that is due has happened; store and return the settled version."""
    if version.get("state") == "DESTROY_SCHEDULED" and version.get("destroyTime"):
        due = parse_rfc3339(version["destroyTime"])
        if call.ctx.clock.datetime() >= due:
            version = {**version, "state": "DESTROYED", "destroyEventTime": version["destroyTime"]}
            key_name = version["name"].split("/cryptoKeyVersions/")[0]
            call.ctx.store.put(VERSION, version["name"], version, key_name)
    return version


def refresh_primary(call: Call, key: dict[str, Any]) -> dict[str, Any]:
    """The key's `primary` is a copy of its primary version; keep it current."""
    primary = key.get("primary")
    if not primary:
        return key
    version = call.ctx.store.get(VERSION, primary["name"])
    if version is None:
        return {k: v for k, v in key.items() if k != "primary"}
    current = settle_version(call, version)
    # A primary no longer enabled is shown as it was (kms_versions._store_version).
    return {**key, "primary": current} if current.get("state") == "ENABLED" else key


def delete_operation(call: Call, name: str, kind: str, metadata: str) -> Reply:
    """The long-running delete of a key or version: it is gone when the operation is done."""
    project, location = name.split("/")[1], name.split("/")[3]
    op = call.ctx.operations.start(
        f"projects/{project}/locations/{location}",
        metadata={"@type": KMS_TYPE + metadata},
        duration_key=("cloudkms", "delete"),
        effects=[Effect.delete(kind, name)],
        target=name,
    )
    return Reply(body=call.ctx.operations.view(op), response_ref="Operation")


_KEY_NAME = re.compile(r"^projects/[^/]+/locations/([^/]+)/keyRings/[^/]+/cryptoKeys/[^/]+$")


def customer_key(
    call: Call, key_name: str, refuse: Callable[[str], ApiError], *, malformed: str, missing: str
) -> tuple[str, dict[str, Any]]:
    """(location, key) of a customer-managed encryption key another service is given; a
    malformed name or a missing key is refused in that service's words (`{name}` stands for
    the name)."""
    m = _KEY_NAME.match(key_name)
    if not m:
        raise refuse(malformed.format(name=key_name))
    key = call.ctx.store.get(CRYPTO_KEY, key_name)
    if key is None:
        raise refuse(missing.format(name=key_name))
    return m.group(1), key


def agent_may_use(call: Call, key_name: str, agent: str, role: str) -> bool:
    """Whether a service agent holds `role` on the key or on its key ring."""
    member = "serviceAccount:" + agent
    ring = key_name.split("/cryptoKeys/")[0]
    store = call.ctx.store
    return iam.has_role(store, key_name, member, role) or iam.has_role(store, ring, member, role)
