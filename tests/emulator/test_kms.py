"""Cloud KMS behaviour through the google-cloud-kms REST client."""

from __future__ import annotations

import time

import pytest
from google.api_core import exceptions
from google.cloud import kms_v1
from google.iam.v1 import policy_pb2
from google.protobuf import duration_pb2, field_mask_pb2, timestamp_pb2

from emulator import Emulator, EmulatorConfig
from tests.emulator.conftest import PROJECT

PARENT = f"projects/{PROJECT}/locations/us-central1"
ENCRYPT = kms_v1.CryptoKey.CryptoKeyPurpose.ENCRYPT_DECRYPT


def _key(kms: kms_v1.KeyManagementServiceClient, **fields: object) -> kms_v1.CryptoKey:
    ring = kms.create_key_ring(parent=PARENT, key_ring_id="kr", key_ring={})
    return kms.create_crypto_key(
        parent=ring.name, crypto_key_id="k", crypto_key=kms_v1.CryptoKey(purpose=ENCRYPT, **fields)
    )


def test_key_ring_rules(kms: kms_v1.KeyManagementServiceClient) -> None:
    kms.create_key_ring(parent=PARENT, key_ring_id="kr", key_ring={})
    with pytest.raises(exceptions.Conflict):
        kms.create_key_ring(parent=PARENT, key_ring_id="kr", key_ring={})
    with pytest.raises(exceptions.BadRequest):
        kms.create_key_ring(parent=PARENT, key_ring_id="bad id!", key_ring={})
    with pytest.raises(exceptions.BadRequest):
        kms.create_key_ring(parent=f"projects/{PROJECT}/locations/mars-north1", key_ring_id="x", key_ring={})
    assert [r.name for r in kms.list_key_rings(parent=PARENT)] == [f"{PARENT}/keyRings/kr"]


def test_defaults_and_primary(kms: kms_v1.KeyManagementServiceClient) -> None:
    key = _key(kms)
    assert (
        key.version_template.algorithm
        == kms_v1.CryptoKeyVersion.CryptoKeyVersionAlgorithm.GOOGLE_SYMMETRIC_ENCRYPTION
    )
    assert key.version_template.protection_level == kms_v1.ProtectionLevel.SOFTWARE
    assert key.destroy_scheduled_duration.total_seconds() == 2592000
    assert key.primary.name.endswith("/cryptoKeyVersions/1")


def test_rotation_under_a_day_is_400(kms: kms_v1.KeyManagementServiceClient) -> None:
    with pytest.raises(exceptions.BadRequest):
        _key(
            kms,
            rotation_period=duration_pb2.Duration(seconds=3600),
            next_rotation_time=timestamp_pb2.Timestamp(seconds=int(time.time()) + 3600),
        )


def test_patch_needs_mask_and_refuses_immutable_fields(kms: kms_v1.KeyManagementServiceClient) -> None:
    key = _key(kms)
    with pytest.raises(exceptions.BadRequest):
        kms.update_crypto_key(
            crypto_key=kms_v1.CryptoKey(name=key.name, labels={"a": "b"}),
            update_mask=field_mask_pb2.FieldMask(),
        )
    with pytest.raises(exceptions.BadRequest):
        kms.update_crypto_key(
            crypto_key=kms_v1.CryptoKey(name=key.name, purpose=4),
            update_mask=field_mask_pb2.FieldMask(paths=["purpose"]),
        )
    updated = kms.update_crypto_key(
        crypto_key=kms_v1.CryptoKey(
            name=key.name,
            labels={"env": "dev"},
            rotation_period=duration_pb2.Duration(seconds=7776000),
            next_rotation_time=timestamp_pb2.Timestamp(seconds=int(time.time()) + 86400),
        ),
        update_mask=field_mask_pb2.FieldMask(paths=["labels", "rotation_period", "next_rotation_time"]),
    )
    assert updated.labels["env"] == "dev"
    assert updated.rotation_period.total_seconds() == 7776000
    listed = kms.list_crypto_keys(
        request={"parent": key.name.split("/cryptoKeys/")[0], "filter": "labels.env=dev"}
    )
    assert [k.name for k in listed] == [key.name]
    none = kms.list_crypto_keys(
        request={"parent": key.name.split("/cryptoKeys/")[0], "filter": "labels.env=prod"}
    )
    assert list(none) == []


def test_key_delete_waits_for_versions_and_lro_finishes_after_delay() -> None:
    from google.api_core.client_options import ClientOptions
    from google.auth.credentials import AnonymousCredentials

    emu = Emulator(EmulatorConfig(projects=[PROJECT], operation_delay_s=0.3))
    emu.start()
    try:
        kms = kms_v1.KeyManagementServiceClient(
            transport="rest",
            credentials=AnonymousCredentials(),
            client_options=ClientOptions(api_endpoint=emu.base_url),
        )
        key = _key(kms)
        version = f"{key.name}/cryptoKeyVersions/1"
        with pytest.raises(exceptions.BadRequest):
            kms.delete_crypto_key(name=key.name)
        with pytest.raises(exceptions.BadRequest):
            kms.delete_crypto_key_version(name=version)
        destroyed = kms.destroy_crypto_key_version(name=version)
        assert destroyed.state == kms_v1.CryptoKeyVersion.CryptoKeyVersionState.DESTROY_SCHEDULED
        # The key keeps naming its destroyed primary, shown as it was, as recorded on real GCP.
        primary = kms.get_crypto_key(name=key.name).primary
        assert primary.name == version
        assert primary.state == kms_v1.CryptoKeyVersion.CryptoKeyVersionState.ENABLED
        emu.advance_time(2592000 + 1)
        assert (
            kms.get_crypto_key_version(name=version).state
            == kms_v1.CryptoKeyVersion.CryptoKeyVersionState.DESTROYED
        )
        op = kms.delete_crypto_key_version(name=version)
        assert not op.done()
        op.result(timeout=10)
        start = time.monotonic()
        op = kms.delete_crypto_key(name=key.name)
        op.result(timeout=10)
        assert time.monotonic() - start >= 0.25
        with pytest.raises(exceptions.NotFound):
            kms.get_crypto_key(name=key.name)
    finally:
        emu.close()


def test_destroy_then_restore(kms: kms_v1.KeyManagementServiceClient) -> None:
    key = _key(kms)
    version = f"{key.name}/cryptoKeyVersions/1"
    kms.destroy_crypto_key_version(name=version)
    restored = kms.restore_crypto_key_version(name=version)
    assert restored.state == kms_v1.CryptoKeyVersion.CryptoKeyVersionState.DISABLED
    assert not restored.destroy_time


def test_set_iam_policy_with_stale_etag_is_409(kms: kms_v1.KeyManagementServiceClient) -> None:
    key = _key(kms)
    first = kms.get_iam_policy(request={"resource": key.name})
    binding = policy_pb2.Binding(
        role="roles/cloudkms.cryptoKeyEncrypterDecrypter",
        members=["serviceAccount:a@b.iam.gserviceaccount.com"],
    )
    written = kms.set_iam_policy(
        request={"resource": key.name, "policy": policy_pb2.Policy(bindings=[binding], etag=first.etag)}
    )
    assert written.etag != first.etag
    with pytest.raises(exceptions.Conflict):
        kms.set_iam_policy(
            request={"resource": key.name, "policy": policy_pb2.Policy(bindings=[binding], etag=first.etag)}
        )
    bad = policy_pb2.Binding(role="roles/x", members=["nobody"])
    with pytest.raises(exceptions.BadRequest):
        kms.set_iam_policy(request={"resource": key.name, "policy": policy_pb2.Policy(bindings=[bad])})
    assert list(kms.get_iam_policy(request={"resource": key.name}).bindings) == [binding]
