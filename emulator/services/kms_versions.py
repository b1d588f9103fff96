"""Cloud KMS crypto key versions: create, list, get, destroy and restore, LRO delete."""

from __future__ import annotations

from typing import Any

from emulator import standard
from emulator.clock import parse_duration
from emulator.collection import Collection, declare
from emulator.errors import failed_precondition
from emulator.registry import Api, Call, Reply
from emulator.services._kms import (
    CRYPTO_KEY,
    VERSION,
    check_location,
    delete_operation,
    located,
    settle_version,
)
from emulator.services.kms_keys import new_version

API = Api("cloudkms", "v1")
_DELETABLE = {"DESTROYED", "IMPORT_FAILED", "GENERATION_FAILED"}


def _key_of(name: str) -> str:
    return name.split("/cryptoKeyVersions/")[0]


def _store_version(call: Call, version: dict[str, Any]) -> dict[str, Any]:
    key_name = _key_of(version["name"])
    call.ctx.store.put(VERSION, version["name"], version, key_name)
    key = call.ctx.store.get(CRYPTO_KEY, key_name)
    if key and key.get("primary", {}).get("name") == version["name"]:
        # The key keeps its primary as it was when that version is disabled or destroyed:
        # kcc-golden kms/v1beta1/kmscryptokey/kmscryptokey/_http.log #9 destroys version 1
        # (answered DESTROY_SCHEDULED) and #10 answers the key with `primary` still naming
        # version 1, ENABLED, without a destroyTime. Only updatePrimaryVersion or a rotation
        # names another (CryptoKey.primary:
        # https://cloud.google.com/kms/docs/reference/rest/v1/projects.locations.keyRings.cryptoKeys).
        if version["state"] == "ENABLED":
            key["primary"] = version
        call.ctx.store.put(CRYPTO_KEY, key_name, key, key_name.split("/cryptoKeys/")[0])
    return version


def _versions(call: Call, key_name: str) -> list[dict[str, Any]]:
    """A key's versions by number (each is settled as it is shown)."""
    return sorted(call.ctx.store.list(VERSION, key_name), key=lambda v: int(v["name"].rsplit("/", 1)[1]))


@API.handles("cloudkms.projects.locations.keyRings.cryptoKeys.cryptoKeyVersions.create")
def create_version(call: Call) -> dict[str, Any]:
    parent = call.param("parent")
    check_location(call, parent, "cloudkms.cryptoKeyVersions.create")
    key = standard.fetch(call, CRYPTO_KEY, parent, "CryptoKey")
    if key.get("importOnly"):
        raise failed_precondition(f"CryptoKey {parent} is import-only; versions must be imported.")
    existing = [int(v["name"].rsplit("/", 1)[1]) for v in call.ctx.store.list(VERSION, parent)]
    return new_version(call, key, max(existing, default=0) + 1)


def _named_version(call: Call, action: str) -> tuple[str, dict[str, Any]]:
    """The (name, settled version) a version method names, its location checked for `action`."""
    name = call.param("name")
    check_location(call, name, f"cloudkms.cryptoKeyVersions.{action}")
    return name, settle_version(call, standard.fetch(call, VERSION, name, "CryptoKeyVersion"))


@API.handles("cloudkms.projects.locations.keyRings.cryptoKeys.cryptoKeyVersions.destroy")
def destroy_version(call: Call) -> dict[str, Any]:
    name, version = _named_version(call, "destroy")
    if version["state"] not in ("ENABLED", "DISABLED"):
        raise failed_precondition(f"CryptoKeyVersion {name} is not in state ENABLED or DISABLED.")
    key = standard.fetch(call, CRYPTO_KEY, _key_of(name), "CryptoKey")
    delay = parse_duration(key.get("destroyScheduledDuration", "2592000s"))
    version = {**version, "state": "DESTROY_SCHEDULED", "destroyTime": call.ctx.clock.rfc3339(delay)}
    return _store_version(call, version)


@API.handles("cloudkms.projects.locations.keyRings.cryptoKeys.cryptoKeyVersions.restore")
def restore_version(call: Call) -> dict[str, Any]:
    name, version = _named_version(call, "restore")
    if version["state"] != "DESTROY_SCHEDULED":
        raise failed_precondition(f"CryptoKeyVersion {name} is not in state DESTROY_SCHEDULED.")
    version = {k: v for k, v in version.items() if k != "destroyTime"}
    version["state"] = "DISABLED"
    return _store_version(call, version)


@API.handles("cloudkms.projects.locations.keyRings.cryptoKeys.cryptoKeyVersions.patch")
def patch_version(call: Call) -> dict[str, Any]:
    _, version = _named_version(call, "update")
    mask = call.query.get("updateMask") or ""
    updated = standard.apply_update_mask(version, call.body or {}, mask, {"state"}, "CryptoKeyVersion")
    if updated["state"] not in ("ENABLED", "DISABLED") or version["state"] not in ("ENABLED", "DISABLED"):
        raise failed_precondition("Only ENABLED and DISABLED may be set, from ENABLED or DISABLED.")
    return _store_version(call, updated)


@API.handles("cloudkms.projects.locations.keyRings.cryptoKeys.cryptoKeyVersions.delete")
def delete_version(call: Call) -> Reply:
    name = call.param("name")
    check_location(call, name, "cloudkms.cryptoKeyVersions.delete")
    version = settle_version(call, standard.fetch(call, VERSION, name, "CryptoKeyVersion"))
    if version["state"] not in _DELETABLE or version.get("importJob"):
        raise failed_precondition(
            f"CryptoKeyVersion {name} is in state {version['state']}; only DESTROYED, IMPORT_FAILED or "
            "GENERATION_FAILED versions that were never imported can be deleted."
        )
    return delete_operation(call, name, VERSION, "DeleteCryptoKeyVersionMetadata")


VERSIONS = declare(
    API,
    Collection(
        "cloudkms.projects.locations.keyRings.cryptoKeys.cryptoKeyVersions",
        "cloudkms.cryptoKeyVersions",
        VERSION,
        "CryptoKeyVersion",
        "cryptoKeyVersions",
        located,
        located,
        parent_kind=(CRYPTO_KEY, "CryptoKey"),
        render=settle_version,
        items=_versions,
        total=True,
    ),
)
