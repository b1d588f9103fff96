"""Cloud KMS crypto keys: create with defaults, get, list with filters, masked patch, LRO delete."""

from __future__ import annotations

import re
from typing import Any

from emulator import standard
from emulator.clock import parse_duration
from emulator.collection import Collection, declare
from emulator.errors import failed_precondition, invalid
from emulator.refusal import refusal
from emulator.registry import Api, Call, Reply
from emulator.services._kms import (
    CRYPTO_KEY,
    ID_PATTERN,
    KEY_RING,
    VERSION,
    check_location,
    delete_operation,
    located,
    refresh_primary,
)

API = Api("cloudkms", "v1")

MIN_ROTATION_S = 86_400
MAX_ROTATION_S = 100 * 365 * 86_400
MIN_DESTROY_S = 86_400
MAX_DESTROY_S = 120 * 86_400
DEFAULT_DESTROY = "2592000s"
MUTABLE = {
    "rotationPeriod",
    "nextRotationTime",
    "labels",
    "versionTemplate.algorithm",
    "keyAccessJustificationsPolicy",
}
_LABEL_KEY = re.compile(r"^[a-z][a-z0-9_-]{0,62}$")
_LABEL_VALUE = re.compile(r"^[a-z0-9_-]{0,63}$")
SYMMETRIC_DEFAULT = "GOOGLE_SYMMETRIC_ENCRYPTION"


def _check_rules(key: dict[str, Any]) -> None:
    purpose = key.get("purpose")
    if not purpose or purpose == "CRYPTO_KEY_PURPOSE_UNSPECIFIED":
        raise invalid("The CryptoKey purpose must be specified.", field="crypto_key.purpose")
    period = key.get("rotationPeriod")
    if period is not None:
        if purpose != "ENCRYPT_DECRYPT":
            raise invalid(
                "Only ENCRYPT_DECRYPT keys support automatic rotation; rotation_period must not be set.",
                field="crypto_key.rotation_period",
            )
        seconds = parse_duration(period)
        # "0s" is accepted and kept as it is (a PATCH of conformance/kcc-golden/kms/v1beta1/
        # kmscryptokey/kmscryptokey/_http.log); a key with a rotation period and no
        # next_rotation_time is accepted too (the create of the same log): Google then
        # schedules no rotation, so neither is refused here.
        if seconds != 0 and (seconds < MIN_ROTATION_S or seconds > MAX_ROTATION_S):
            raise invalid(
                f"The rotation_period must be at least {MIN_ROTATION_S}s (one day) and at most 100 years.",
                field="crypto_key.rotation_period",
            )
    destroy = parse_duration(key.get("destroyScheduledDuration", DEFAULT_DESTROY))
    if not MIN_DESTROY_S <= destroy <= MAX_DESTROY_S:
        raise invalid(
            "destroy_scheduled_duration must be between 24 hours and 120 days.",
            field="crypto_key.destroy_scheduled_duration",
        )
    template = key.get("versionTemplate", {})
    if purpose == "ENCRYPT_DECRYPT" and template.get("algorithm") != SYMMETRIC_DEFAULT:
        raise invalid(
            f"Algorithm {template.get('algorithm')} is not valid for purpose ENCRYPT_DECRYPT.",
            field="crypto_key.version_template.algorithm",
        )
    if purpose != "ENCRYPT_DECRYPT" and template.get("algorithm") in (
        None,
        SYMMETRIC_DEFAULT,
        "CRYPTO_KEY_VERSION_ALGORITHM_UNSPECIFIED",
    ):
        raise invalid(
            f"A valid version_template.algorithm is required for purpose {purpose}.",
            field="crypto_key.version_template.algorithm",
        )
    for k, v in (key.get("labels") or {}).items():
        if not _LABEL_KEY.match(k) or not _LABEL_VALUE.match(str(v)):
            raise invalid(f"Invalid label {k}={v}.", field="crypto_key.labels")


def new_version(call: Call, key: dict[str, Any], number: int) -> dict[str, Any]:
    now = call.ctx.clock.rfc3339()
    template = key["versionTemplate"]
    version = {
        "name": f"{key['name']}/cryptoKeyVersions/{number}",
        "state": "ENABLED",
        "protectionLevel": template["protectionLevel"],
        "algorithm": template["algorithm"],
        "createTime": now,
        "generateTime": now,
    }
    call.ctx.store.put(VERSION, version["name"], version, key["name"])
    return version


@API.handles("cloudkms.projects.locations.keyRings.cryptoKeys.create")
def create_crypto_key(call: Call) -> dict[str, Any]:
    parent = call.param("parent")
    check_location(call, parent, "cloudkms.cryptoKeys.create")
    standard.fetch(call, KEY_RING, parent, "KeyRing")
    key_id = standard.check_id(call.query.get("cryptoKeyId"), "cryptoKeyId", ID_PATTERN)
    body = standard.drop_none(call.body or {})
    template = {"protectionLevel": "SOFTWARE", **body.get("versionTemplate", {})}
    if body.get("purpose") == "ENCRYPT_DECRYPT":
        template.setdefault("algorithm", SYMMETRIC_DEFAULT)
    name = f"{parent}/cryptoKeys/{key_id}"
    key = {
        **body,
        "name": name,
        "createTime": call.ctx.clock.rfc3339(),
        "versionTemplate": template,
        "destroyScheduledDuration": body.get("destroyScheduledDuration", DEFAULT_DESTROY),
    }
    _check_rules(key)
    standard.insert(call, CRYPTO_KEY, name, parent, key, "CryptoKey")
    if not call.query.get("skipInitialVersionCreation") and not key.get("importOnly"):
        version = new_version(call, key, 1)
        if key["purpose"] == "ENCRYPT_DECRYPT":
            key["primary"] = version
    call.ctx.store.put(CRYPTO_KEY, name, key, parent)
    return key


@API.handles("cloudkms.projects.locations.keyRings.cryptoKeys.patch")
def patch_crypto_key(call: Call) -> dict[str, Any]:
    name = call.param("name")
    check_location(call, name, "cloudkms.cryptoKeys.update")
    mask = call.query.get("updateMask")
    if not mask:
        raise invalid("The request must contain an update_mask.", field="update_mask")
    current = standard.fetch(call, CRYPTO_KEY, name, "CryptoKey")
    updated = standard.apply_update_mask(current, call.body or {}, mask, MUTABLE, "CryptoKey")
    _check_rules(updated)
    call.ctx.store.put(CRYPTO_KEY, name, updated, name.split("/cryptoKeys/")[0])
    return refresh_primary(call, updated)


@API.handles("cloudkms.projects.locations.keyRings.cryptoKeys.updatePrimaryVersion")
def update_primary(call: Call) -> dict[str, Any]:
    name = call.param("name")
    check_location(call, name, "cloudkms.cryptoKeys.update")
    key = standard.fetch(call, CRYPTO_KEY, name, "CryptoKey")
    version_id = (call.body or {}).get("cryptoKeyVersionId")
    if not version_id:
        raise invalid("crypto_key_version_id is required.", field="crypto_key_version_id")
    version = standard.fetch(call, VERSION, f"{name}/cryptoKeyVersions/{version_id}", "CryptoKeyVersion")
    if version["state"] != "ENABLED":
        raise failed_precondition(f"CryptoKeyVersion {version['name']} is not enabled.")
    key = {**key, "primary": version}
    call.ctx.store.put(CRYPTO_KEY, name, key, name.split("/cryptoKeys/")[0])
    return key


@API.handles("cloudkms.projects.locations.keyRings.cryptoKeys.delete")
def delete_crypto_key(call: Call) -> Reply:
    name = call.param("name")
    check_location(call, name, "cloudkms.cryptoKeys.delete")
    standard.fetch(call, CRYPTO_KEY, name, "CryptoKey")
    if call.ctx.store.count(VERSION, name):
        raise failed_precondition(
            f"CryptoKey {name} cannot be deleted: all of its CryptoKeyVersions must be deleted first."
        )
    return delete_operation(call, name, CRYPTO_KEY, "DeleteCryptoKeyMetadata")


CRYPTO_KEYS = declare(
    API,
    Collection(
        "cloudkms.projects.locations.keyRings.cryptoKeys",
        "cloudkms.cryptoKeys",
        CRYPTO_KEY,
        "CryptoKey",
        "cryptoKeys",
        located,
        located,
        parent_kind=(KEY_RING, "KeyRing"),
        render=refresh_primary,
        total=True,
        refusals=(
            refusal(
                "cloudkms.projects.locations.keyRings.cryptoKeys.create|patch",
                "a rotationPeriod under 24 hours or over 876,000 hours (0s stands)",
                source="https://cloud.google.com/kms/docs/reference/rest/v1/projects.locations.keyRings.cryptoKeys"
                " (rotationPeriod); 0s: conformance/kcc-golden/kms/v1beta1/kmscryptokey/"
                "kmscryptokey/_http.log",
                test="tests/emulator/test_kms.py::test_rotation_under_a_day_is_400",
            ),
        ),
    ),
)
