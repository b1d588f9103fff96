"""Secret Manager behaviour through the googleapiclient discovery client."""

from __future__ import annotations

import base64
import json
import urllib.request
from typing import Any

import google_crc32c
import pytest
from google.api_core.client_options import ClientOptions
from google.auth.credentials import AnonymousCredentials
from google.cloud import kms_v1
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError

from emulator import Emulator
from tests.emulator.conftest import PROJECT

AUTOMATIC = {"replication": {"automatic": {}}}


@pytest.fixture
def sm(emu: Emulator) -> Any:
    return build(
        "secretmanager",
        "v1",
        credentials=AnonymousCredentials(),
        static_discovery=True,
        client_options={"api_endpoint": emu.base_url + "/"},
    )


def _error(exc: pytest.ExceptionInfo[HttpError]) -> dict[str, Any]:
    return json.loads(exc.value.content)["error"]


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def _secrets(sm: Any) -> Any:
    return sm.projects().secrets()


def test_create_get_list_and_names_use_the_project_number(sm: Any, emu: Emulator) -> None:
    number = emu.register_project(PROJECT)
    created = (
        _secrets(sm)
        .create(
            parent=f"projects/{PROJECT}", secretId="db-password", body={**AUTOMATIC, "labels": {"env": "dev"}}
        )
        .execute()
    )
    assert created["name"] == f"projects/{number}/secrets/db-password"
    assert created["etag"].startswith('"') and created["createTime"]
    got = _secrets(sm).get(name=f"projects/{PROJECT}/secrets/db-password").execute()
    assert got == created
    _secrets(sm).create(parent=f"projects/{PROJECT}", secretId="other", body=AUTOMATIC).execute()
    listed = _secrets(sm).list(parent=f"projects/{PROJECT}", filter="labels.env=dev").execute()
    assert [s["name"] for s in listed["secrets"]] == [created["name"]]
    page = _secrets(sm).list(parent=f"projects/{PROJECT}", pageSize=1).execute()
    assert len(page["secrets"]) == 1 and page["nextPageToken"] and page["totalSize"] == 2
    with pytest.raises(HttpError) as exc:
        _secrets(sm).create(parent=f"projects/{PROJECT}", secretId="db-password", body=AUTOMATIC).execute()
    assert exc.value.status_code == 409


def test_create_rules(sm: Any) -> None:
    parent = f"projects/{PROJECT}"
    for secret_id, body in [
        ("ok", {}),  # replication is required
        ("bad id!", AUTOMATIC),
        ("ok", {"replication": {"userManaged": {"replicas": []}}}),
        ("ok", {"replication": {"userManaged": {"replicas": [{"location": "mars-north1"}]}}}),
        ("ok", {**AUTOMATIC, "labels": {"Env": "dev"}}),
    ]:
        with pytest.raises(HttpError) as exc:
            _secrets(sm).create(parent=parent, secretId=secret_id, body=body).execute()
        assert exc.value.status_code == 400, (secret_id, body)


def test_patch_needs_a_mask_and_refuses_replication(sm: Any) -> None:
    name = f"projects/{PROJECT}/secrets/s"
    created = _secrets(sm).create(parent=f"projects/{PROJECT}", secretId="s", body=AUTOMATIC).execute()
    with pytest.raises(HttpError) as exc:
        _secrets(sm).patch(name=name, body={"labels": {"a": "b"}}).execute()
    assert exc.value.status_code == 400
    with pytest.raises(HttpError) as exc:
        _secrets(sm).patch(
            name=name,
            updateMask="replication",
            body={"replication": {"userManaged": {"replicas": [{"location": "us-east1"}]}}},
        ).execute()
    assert exc.value.status_code == 400
    patched = _secrets(sm).patch(name=name, updateMask="labels", body={"labels": {"a": "b"}}).execute()
    assert patched["labels"] == {"a": "b"} and patched["etag"] != created["etag"]
    with pytest.raises(HttpError) as exc:
        _secrets(sm).delete(name=name, etag=created["etag"]).execute()
    assert exc.value.status_code == 409
    assert _secrets(sm).delete(name=name, etag=patched["etag"]).execute() == {}
    with pytest.raises(HttpError) as exc:
        _secrets(sm).get(name=name).execute()
    assert exc.value.status_code == 404


def test_versions_access_and_states(sm: Any, emu: Emulator) -> None:
    secret = _secrets(sm).create(parent=f"projects/{PROJECT}", secretId="pw", body=AUTOMATIC).execute()
    versions = _secrets(sm).versions()
    crc = int.from_bytes(google_crc32c.Checksum(b"hunter2").digest(), "big")
    with pytest.raises(HttpError) as exc:
        _secrets(sm).addVersion(
            parent=secret["name"], body={"payload": {"data": _b64("hunter2"), "dataCrc32c": str(crc + 1)}}
        ).execute()
    assert exc.value.status_code == 400
    v1 = (
        _secrets(sm)
        .addVersion(
            parent=secret["name"], body={"payload": {"data": _b64("hunter2"), "dataCrc32c": str(crc)}}
        )
        .execute()
    )
    assert v1["name"].endswith("/versions/1") and v1["state"] == "ENABLED"
    assert v1["clientSpecifiedPayloadChecksum"] is True
    assert "payload" not in v1
    v2 = _secrets(sm).addVersion(parent=secret["name"], body={"payload": {"data": _b64("s3cret")}}).execute()
    accessed = versions.access(name=f"projects/{PROJECT}/secrets/pw/versions/latest").execute()
    assert accessed["name"] == v2["name"]
    assert base64.b64decode(accessed["payload"]["data"]) == b"s3cret"
    assert accessed["payload"]["dataCrc32c"]
    assert versions.get(name=f"{secret['name']}/versions/latest").execute()["name"] == v2["name"]

    versions.disable(name=v2["name"], body={}).execute()
    with pytest.raises(HttpError) as exc:
        versions.access(name=f"{secret['name']}/versions/latest").execute()
    assert exc.value.status_code == 400
    assert _error(exc)["status"] == "FAILED_PRECONDITION"
    assert "DISABLED" in _error(exc)["message"]
    assert base64.b64decode(versions.access(name=v1["name"]).execute()["payload"]["data"]) == b"hunter2"

    destroyed = versions.destroy(name=v1["name"], body={}).execute()
    assert destroyed["state"] == "DESTROYED" and destroyed["destroyTime"]
    with pytest.raises(HttpError) as exc:
        versions.enable(name=v1["name"], body={}).execute()
    assert exc.value.status_code == 400
    listed = versions.list(parent=secret["name"]).execute()
    assert [v["name"] for v in listed["versions"]] == [v2["name"], v1["name"]]
    assert "payload" not in json.dumps(listed)
    assert versions.list(parent=secret["name"], filter="state:ENABLED").execute() == {"totalSize": 0}
    with pytest.raises(HttpError) as exc:
        versions.get(name=f"{secret['name']}/versions/9").execute()
    assert exc.value.status_code == 404


def test_payload_never_reaches_the_request_log(sm: Any, emu: Emulator) -> None:
    secret = _secrets(sm).create(parent=f"projects/{PROJECT}", secretId="pw", body=AUTOMATIC).execute()
    _secrets(sm).addVersion(parent=secret["name"], body={"payload": {"data": _b64("topsecret")}}).execute()
    logged = json.dumps([r.to_json() for r in emu.requests()])
    assert "topsecret" not in logged and _b64("topsecret") not in logged


def test_cmek_secret_needs_the_service_agent_grant(sm: Any, emu: Emulator) -> None:
    kms = kms_v1.KeyManagementServiceClient(
        transport="rest",
        credentials=AnonymousCredentials(),
        client_options=ClientOptions(api_endpoint=emu.base_url),
    )
    number = emu.register_project(PROJECT)
    ring = kms.create_key_ring(
        parent=f"projects/{PROJECT}/locations/us-central1", key_ring_id="kr", key_ring={}
    )
    key = kms.create_crypto_key(
        parent=ring.name,
        crypto_key_id="secrets",
        crypto_key=kms_v1.CryptoKey(purpose=kms_v1.CryptoKey.CryptoKeyPurpose.ENCRYPT_DECRYPT),
    )
    body = {
        "replication": {
            "userManaged": {
                "replicas": [
                    {"location": "us-central1", "customerManagedEncryption": {"kmsKeyName": key.name}}
                ]
            }
        }
    }
    with pytest.raises(HttpError) as exc:
        _secrets(sm).create(parent=f"projects/{PROJECT}", secretId="c", body=body).execute()
    assert exc.value.status_code == 400
    assert "gcp-sa-secretmanager" in _error(exc)["message"]
    wrong_place = {"replication": {"automatic": {"customerManagedEncryption": {"kmsKeyName": key.name}}}}
    with pytest.raises(HttpError) as exc:
        _secrets(sm).create(parent=f"projects/{PROJECT}", secretId="c", body=wrong_place).execute()
    assert exc.value.status_code == 400
    agent = f"serviceAccount:service-{number}@gcp-sa-secretmanager.iam.gserviceaccount.com"
    emu.generate_service_agent(PROJECT, "secretmanager.googleapis.com")
    kms.set_iam_policy(
        request={
            "resource": key.name,
            "policy": {
                "bindings": [{"role": "roles/cloudkms.cryptoKeyEncrypterDecrypter", "members": [agent]}]
            },
        }
    )
    secret = _secrets(sm).create(parent=f"projects/{PROJECT}", secretId="c", body=body).execute()
    version = _secrets(sm).addVersion(parent=secret["name"], body={"payload": {"data": _b64("x")}}).execute()
    replica = version["replicationStatus"]["userManaged"]["replicas"][0]
    assert replica["customerManagedEncryption"]["kmsKeyVersionName"] == key.name + "/cryptoKeyVersions/1"


def test_secret_iam_policy(sm: Any) -> None:
    secret = _secrets(sm).create(parent=f"projects/{PROJECT}", secretId="s", body=AUTOMATIC).execute()
    binding = {
        "role": "roles/secretmanager.secretAccessor",
        "members": ["serviceAccount:a@b.iam.gserviceaccount.com"],
    }
    policy = (
        _secrets(sm).setIamPolicy(resource=secret["name"], body={"policy": {"bindings": [binding]}}).execute()
    )
    assert policy["bindings"] == [binding]
    assert _secrets(sm).getIamPolicy(resource=secret["name"]).execute()["etag"] == policy["etag"]
    with pytest.raises(HttpError) as exc:
        _secrets(sm).setIamPolicy(
            resource=secret["name"], body={"policy": {"bindings": [{"role": "bad", "members": ["x"]}]}}
        ).execute()
    assert exc.value.status_code == 400


def test_version_states_come_as_numbers_when_asked(emu: Emulator) -> None:
    def call(path: str, body: dict[str, Any], query: str = "") -> dict[str, Any]:
        url = f"{emu.base_url}/v1/{path}?%24alt=json%3Benum-encoding%3Dint{query}"
        headers = {"Content-Type": "application/json"}
        request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST", headers=headers)
        with urllib.request.urlopen(request) as answer:
            return dict(json.loads(answer.read()))

    parent = f"projects/{PROJECT}"
    call(f"{parent}/secrets", AUTOMATIC, "&secretId=numbered")
    version = call(f"{parent}/secrets/numbered:addVersion", {"payload": {"data": "YQ=="}})
    assert version["state"] == 1  # ENABLED
    assert call(f"{version['name']}:disable", {})["state"] == 2  # DISABLED
    assert call(f"{version['name']}:destroy", {})["state"] == 3  # DESTROYED
