"""Request shape is checked against the discovery documents, with Google's error JSON."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest
from google.api_core import exceptions
from google.cloud import kms_v1

from emulator import Emulator
from tests.emulator.conftest import PROJECT

PARENT = f"projects/{PROJECT}/locations/us-central1"


def _call(emu: Emulator, method: str, path: str, body: object | None = None) -> tuple[int, dict]:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(
        emu.base_url + path, data=data, method=method, headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(req) as resp:
            raw = resp.read()
            return resp.status, json.loads(raw) if raw else {}
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read() or b"{}")


def test_unknown_body_field_is_400_with_google_error_json(emu: Emulator) -> None:
    _call(emu, "POST", f"/v1/{PARENT}/keyRings?keyRingId=kr", {})
    status, body = _call(
        emu,
        "POST",
        f"/v1/{PARENT}/keyRings/kr/cryptoKeys?cryptoKeyId=k",
        {"purpose": "ENCRYPT_DECRYPT", "foo": 1},
    )
    assert status == 400
    error = body["error"]
    assert error["status"] == "INVALID_ARGUMENT"
    assert (
        error["message"]
        == "Invalid JSON payload received. Unknown name \"foo\" at 'crypto_key': Cannot find field."
    )
    assert error["errors"][0]["reason"] == "invalid"


def test_unknown_query_parameter_is_400(emu: Emulator) -> None:
    status, body = _call(emu, "GET", f"/v1/{PARENT}/keyRings?bogus=1")
    assert status == 400
    assert 'Unknown name "bogus": Cannot bind query parameter.' in body["error"]["message"]


def test_wrong_type_and_bad_enum_are_400(emu: Emulator) -> None:
    _call(emu, "POST", f"/v1/{PARENT}/keyRings?keyRingId=kr", {})
    path = f"/v1/{PARENT}/keyRings/kr/cryptoKeys?cryptoKeyId=k"
    assert _call(emu, "POST", path, {"purpose": "NOT_A_PURPOSE"})[0] == 400
    assert _call(emu, "POST", path, {"purpose": 999})[0] == 400
    assert _call(emu, "POST", path, {"purpose": "ENCRYPT_DECRYPT", "importOnly": "yes"})[0] == 400
    assert _call(emu, "POST", path, {"purpose": "ENCRYPT_DECRYPT", "rotationPeriod": "7 days"})[0] == 400


def test_unknown_route_404_and_undeclared_method_501(emu: Emulator) -> None:
    assert _call(emu, "GET", "/v1/nothing/here")[0] == 404
    status, body = _call(emu, "POST", f"/v1/{PARENT}/keyRings/kr/importJobs?importJobId=j", {})
    assert status == 501
    assert "cloudkms.projects.locations.keyRings.importJobs.create" in body["error"]["message"]


def test_integer_enums_from_the_rest_client_round_trip(
    kms: kms_v1.KeyManagementServiceClient, emu: Emulator
) -> None:
    ring = kms.create_key_ring(parent=PARENT, key_ring_id="kr", key_ring={})
    key = kms.create_crypto_key(
        parent=ring.name,
        crypto_key_id="k",
        crypto_key=kms_v1.CryptoKey(
            purpose=kms_v1.CryptoKey.CryptoKeyPurpose.ENCRYPT_DECRYPT,
            version_template=kms_v1.CryptoKeyVersionTemplate(protection_level=kms_v1.ProtectionLevel.HSM),
        ),
    )
    fetched = kms.get_crypto_key(name=key.name)
    assert fetched.purpose == kms_v1.CryptoKey.CryptoKeyPurpose.ENCRYPT_DECRYPT
    assert fetched.version_template.protection_level == kms_v1.ProtectionLevel.HSM
    assert fetched.primary.state == kms_v1.CryptoKeyVersion.CryptoKeyVersionState.ENABLED
    # Stored as names, as the JSON API shows them.
    _, body = _call(emu, "GET", f"/v1/{key.name}")
    assert body["versionTemplate"]["protectionLevel"] == "HSM"


def test_unregistered_project_is_refused(kms: kms_v1.KeyManagementServiceClient) -> None:
    with pytest.raises(exceptions.Forbidden):
        kms.create_key_ring(
            parent="projects/someone-else/locations/us-central1", key_ring_id="kr", key_ring={}
        )


def test_resource_manager_gives_project_number(emu: Emulator) -> None:
    from google.auth.credentials import AnonymousCredentials
    from googleapiclient.discovery import build

    crm = build(
        "cloudresourcemanager",
        "v3",
        credentials=AnonymousCredentials(),
        static_discovery=True,
        client_options={"api_endpoint": emu.base_url + "/"},
    )
    project = crm.projects().get(name=f"projects/{PROJECT}").execute()
    assert project["projectId"] == PROJECT
    assert project["state"] == "ACTIVE"
    assert project["name"] == f"projects/{emu.register_project(PROJECT)}"
