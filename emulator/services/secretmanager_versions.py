"""Secret Manager versions: add (checksummed, CMEK-encrypted when the secret asks), get, list,
access, and the ENABLED / DISABLED / DESTROYED life cycle.

Payload bytes are kept apart from the version record: only `access` returns them.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

import google_crc32c

from emulator.collection import declare_get
from emulator.errors import failed_precondition, invalid
from emulator.registry import Api, Call
from emulator.services._secretmanager import (
    PAYLOAD,
    SECRET,
    SECRET_VERSION,
    api_error_for_state,
    check_etag,
    check_kms_key,
    fetch_secret,
    list_answer,
    new_etag,
    primary_version_for,
    resolve_version,
    versions_of,
)

API = Api("secretmanager", "v1")

MAX_PAYLOAD_BYTES = 64 * 1024


def _crc32c(data: bytes) -> int:
    return int.from_bytes(google_crc32c.Checksum(data).digest(), "big")


def _replication_status(call: Call, secret: dict[str, Any], project_number: str) -> dict[str, Any]:
    """Which key version encrypted each replica; using a key needs the agent's grant at write time too."""
    replication = secret["replication"]
    if "automatic" in replication:
        key = (replication["automatic"].get("customerManagedEncryption") or {}).get("kmsKeyName")
        if not key:
            return {"automatic": {}}
        check_kms_key(call, key, "global", project_number, "secret.replication.automatic")
        encryption = {"kmsKeyVersionName": primary_version_for(call, key)}
        return {"automatic": {"customerManagedEncryption": encryption}}
    replicas = []
    for replica in replication["userManaged"]["replicas"]:
        status: dict[str, Any] = {"location": replica["location"]}
        key = (replica.get("customerManagedEncryption") or {}).get("kmsKeyName")
        if key:
            check_kms_key(call, key, replica["location"], project_number, "secret.replication.user_managed")
            status["customerManagedEncryption"] = {"kmsKeyVersionName": primary_version_for(call, key)}
        replicas.append(status)
    return {"userManaged": {"replicas": replicas}}


@API.handles("secretmanager.projects.secrets.addVersion")
def add_version(call: Call) -> dict[str, Any]:
    secret = fetch_secret(call, call.param("parent"), "secretmanager.versions.add")
    payload = (call.body or {}).get("payload")
    if not payload or payload.get("data") is None:
        raise invalid("payload.data is required.", field="payload")
    text = payload["data"]
    try:
        altchars = b"-_" if ("-" in text or "_" in text) else None
        data = base64.b64decode(text + "=" * (-len(text) % 4), altchars=altchars)
    except (binascii.Error, ValueError):
        raise invalid("payload.data is not valid base64.", field="payload.data") from None
    if len(data) > MAX_PAYLOAD_BYTES:
        raise invalid(
            f"Secret payload data must be no larger than 64 KiB; got {len(data)} bytes.", field="payload.data"
        )
    given_crc = payload.get("dataCrc32c")
    if given_crc is not None and int(given_crc) != _crc32c(data):
        raise invalid(
            "Checksum mismatch: payload.data_crc32c does not match the CRC32C of payload.data.",
            field="payload.data_crc32c",
        )
    number = secret["name"].split("/")[1]
    status = _replication_status(call, secret, number)
    existing = call.ctx.store.list(SECRET_VERSION, secret["name"])
    next_number = 1 + max((int(v["name"].rsplit("/", 1)[1]) for v in existing), default=0)
    name = f"{secret['name']}/versions/{next_number}"
    now = call.ctx.clock.rfc3339()
    version: dict[str, Any] = {
        "name": name,
        "createTime": now,
        "state": "ENABLED",
        "replicationStatus": status,
        "etag": new_etag(name, now, "ENABLED"),
    }
    if given_crc is not None:
        # Shown only when true: a version added without a checksum has no such field
        # (conformance/kcc-golden/secretmanager/v1beta1/secretmanagersecretversion/
        # secretmanagersecretversion/_http.log); proto3 JSON omits a false bool.
        version["clientSpecifiedPayloadChecksum"] = True
    encryption = (status.get("automatic") or {}).get("customerManagedEncryption")
    if encryption:
        version["customerManagedEncryption"] = encryption
    call.ctx.store.put(SECRET_VERSION, name, version, secret["name"])
    call.ctx.store.put(PAYLOAD, name, {"data": base64.b64encode(data).decode()}, secret["name"])
    return version


@API.handles("secretmanager.projects.secrets.versions.list")
def list_versions(call: Call) -> dict[str, Any]:
    secret = fetch_secret(call, call.param("parent"), "secretmanager.versions.list")
    return list_answer(call, "versions", versions_of(call, secret))


@API.handles("secretmanager.projects.secrets.versions.access")
def access_version(call: Call) -> dict[str, Any]:
    version = resolve_version(call, call.param("name"), "secretmanager.versions.access")
    if version["state"] != "ENABLED":
        raise api_error_for_state(version)
    stored = call.ctx.store.get(PAYLOAD, version["name"]) or {"data": ""}
    data = base64.b64decode(stored["data"])
    return {"name": version["name"], "payload": {"data": stored["data"], "dataCrc32c": str(_crc32c(data))}}


def _transition(call: Call, permission: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The addressed version (aliases resolved) after its etag precondition, and its secret."""
    version = resolve_version(call, call.param("name"), permission)
    check_etag((call.body or {}).get("etag"), version, "secret version")
    secret = call.ctx.store.get(SECRET, version["name"].split("/versions/")[0]) or {}
    return version, secret


def _store(call: Call, version: dict[str, Any]) -> dict[str, Any]:
    version["etag"] = new_etag(version["name"], call.ctx.clock.rfc3339(), version["state"])
    call.ctx.store.put(SECRET_VERSION, version["name"], version, version["name"].split("/versions/")[0])
    return version


@API.handles("secretmanager.projects.secrets.versions.disable")
def disable_version(call: Call) -> dict[str, Any]:
    version, _ = _transition(call, "secretmanager.versions.disable")
    if version["state"] == "DESTROYED" or version.get("scheduledDestroyTime"):
        raise api_error_for_state(version)
    return _store(call, {**version, "state": "DISABLED"})


@API.handles("secretmanager.projects.secrets.versions.enable")
def enable_version(call: Call) -> dict[str, Any]:
    version, _ = _transition(call, "secretmanager.versions.enable")
    if version["state"] == "DESTROYED":
        raise api_error_for_state(version)
    # Enabling a version whose destruction is scheduled cancels the destruction.
    restored = {k: v for k, v in version.items() if k != "scheduledDestroyTime"}
    return _store(call, {**restored, "state": "ENABLED"})


@API.handles("secretmanager.projects.secrets.versions.destroy")
def destroy_version(call: Call) -> dict[str, Any]:
    version, secret = _transition(call, "secretmanager.versions.destroy")
    if version["state"] == "DESTROYED":
        raise failed_precondition(f"Secret Version [{version['name']}] is already in DESTROYED state.")
    ttl = secret.get("versionDestroyTtl")
    if ttl:
        # Delayed destruction: the version is disabled now and destroyed when the TTL runs out.
        if version.get("scheduledDestroyTime"):
            return version
        seconds = float(ttl.rstrip("s"))
        scheduled = {**version, "state": "DISABLED", "scheduledDestroyTime": call.ctx.clock.rfc3339(seconds)}
        return _store(call, scheduled)
    call.ctx.store.delete(PAYLOAD, version["name"])
    return _store(call, {**version, "state": "DESTROYED", "destroyTime": call.ctx.clock.rfc3339()})


declare_get(API, "secretmanager.projects.secrets.versions.get", resolve_version, "secretmanager.versions.get")
