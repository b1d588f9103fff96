"""IAM policies on Cloud KMS key rings and crypto keys."""

from __future__ import annotations

from typing import Any

from emulator import iam, standard
from emulator.errors import invalid
from emulator.registry import Api, Call
from emulator.services._kms import CRYPTO_KEY, KEY_RING, check_location

API = Api("cloudkms", "v1")


def _target(call: Call) -> str:
    resource = call.param("resource")
    check_location(call, resource, "cloudkms.cryptoKeys.getIamPolicy")
    if "/cryptoKeys/" in resource:
        standard.fetch(call, CRYPTO_KEY, resource, "CryptoKey")
    else:
        standard.fetch(call, KEY_RING, resource, "KeyRing")
    return resource


@API.handles(
    "cloudkms.projects.locations.keyRings.getIamPolicy",
    "cloudkms.projects.locations.keyRings.cryptoKeys.getIamPolicy",
)
def get_iam_policy(call: Call) -> dict[str, Any]:
    iam.check_requested_version(call.query)
    return iam.get_policy(call.ctx.store, _target(call))


@API.handles(
    "cloudkms.projects.locations.keyRings.setIamPolicy",
    "cloudkms.projects.locations.keyRings.cryptoKeys.setIamPolicy",
)
def set_iam_policy(call: Call) -> dict[str, Any]:
    body = call.body or {}
    if "policy" not in body or body["policy"] is None:
        raise invalid("The request must contain a policy.", field="policy")
    return iam.set_policy(call.ctx.store, _target(call), body["policy"])


@API.handles(
    "cloudkms.projects.locations.keyRings.testIamPermissions",
    "cloudkms.projects.locations.keyRings.cryptoKeys.testIamPermissions",
)
def test_iam_permissions(call: Call) -> dict[str, Any]:
    _target(call)
    permissions = (call.body or {}).get("permissions") or []
    return {"permissions": permissions} if permissions else {}
