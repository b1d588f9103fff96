"""Cloud Storage behaviour through the google-cloud-storage client."""

from __future__ import annotations

import pytest
from google.api_core import exceptions
from google.cloud import kms_v1, storage
from google.iam.v1 import policy_pb2

from emulator import Emulator
from tests.emulator.conftest import PROJECT


def test_insert_defaults_and_duplicate(gcs: storage.Client) -> None:
    bucket = gcs.create_bucket("digitwin-dev-docs", location="us-central1")
    props = bucket._properties
    assert props["location"] == "US-CENTRAL1"
    assert props["locationType"] == "region"
    assert props["storageClass"] == "STANDARD"
    assert props["metageneration"] == "1"
    assert props["iamConfiguration"]["publicAccessPrevention"] == "inherited"
    assert props["softDeletePolicy"]["retentionDurationSeconds"] == "604800"
    assert "rpo" not in props
    assert props["satisfiesPZI"] is True  # a single-region bucket is zone-isolated
    multi = gcs.create_bucket("digitwin-dev-multi")._properties
    assert multi["rpo"] == "DEFAULT" and "satisfiesPZI" not in multi
    with pytest.raises(exceptions.Conflict, match="already own it"):
        gcs.create_bucket("digitwin-dev-docs", location="us-central1")


@pytest.mark.parametrize("name", ["ab", "Upper", "goog-bucket", "192.168.1.1", "a" * 64])
def test_bad_bucket_names(gcs: storage.Client, name: str) -> None:
    with pytest.raises(exceptions.BadRequest):
        gcs.create_bucket(name)


def test_lifecycle_action_must_be_known(gcs: storage.Client) -> None:
    bucket = gcs.bucket("digitwin-dev-lc")
    bucket._properties["lifecycle"] = {"rule": [{"action": {"type": "Explode"}, "condition": {"age": 1}}]}
    bucket._changes.add("lifecycle")
    with pytest.raises(exceptions.BadRequest):
        gcs.create_bucket(bucket)


def test_patch_merges_and_honours_metageneration(gcs: storage.Client) -> None:
    bucket = gcs.create_bucket("digitwin-dev-patch", location="us-central1")
    bucket.labels = {"env": "dev"}
    bucket.patch(if_metageneration_match=1)
    assert bucket.metageneration == 2
    assert bucket.labels == {"env": "dev"}
    bucket.labels = {"env": "prod"}
    with pytest.raises(exceptions.PreconditionFailed):
        bucket.patch(if_metageneration_match=1)
    bucket._properties["location"] = "EU"
    bucket._changes.add("location")
    with pytest.raises(exceptions.BadRequest):
        bucket.patch()


def test_non_empty_bucket_cannot_be_deleted(gcs: storage.Client) -> None:
    bucket = gcs.create_bucket("digitwin-dev-full", location="us-central1")
    blob = bucket.blob("lock")
    blob.upload_from_string("holder", if_generation_match=0)
    with pytest.raises(exceptions.PreconditionFailed):
        bucket.blob("lock").upload_from_string("other", if_generation_match=0)
    with pytest.raises(exceptions.Conflict, match="not empty"):
        bucket.delete()
    assert bucket.blob("lock").download_as_bytes() == b"holder"
    blob.delete()
    bucket.delete()
    assert [b.name for b in gcs.list_buckets()] == []


def test_list_paginates_sorted(gcs: storage.Client) -> None:
    for name in ["digitwin-c", "digitwin-a", "digitwin-b", "other-x"]:
        gcs.create_bucket(name)
    assert [b.name for b in gcs.list_buckets(prefix="digitwin-", page_size=2)] == [
        "digitwin-a",
        "digitwin-b",
        "digitwin-c",
    ]


def test_cmek_needs_the_service_agent_grant(
    gcs: storage.Client, kms: kms_v1.KeyManagementServiceClient, emu: Emulator
) -> None:
    ring = kms.create_key_ring(
        parent=f"projects/{PROJECT}/locations/us-central1", key_ring_id="kr", key_ring={}
    )
    key = kms.create_crypto_key(
        parent=ring.name,
        crypto_key_id="storage",
        crypto_key=kms_v1.CryptoKey(purpose=kms_v1.CryptoKey.CryptoKeyPurpose.ENCRYPT_DECRYPT),
    )
    bucket = gcs.bucket("digitwin-dev-cmek")
    bucket.default_kms_key_name = key.name
    with pytest.raises(exceptions.Forbidden, match="Permission denied on Cloud KMS key"):
        gcs.create_bucket(bucket, location="us-central1")
    agent = gcs.get_service_account_email()
    assert agent == f"service-{emu.register_project(PROJECT)}@gs-project-accounts.iam.gserviceaccount.com"
    kms.set_iam_policy(
        request={
            "resource": key.name,
            "policy": policy_pb2.Policy(
                bindings=[
                    policy_pb2.Binding(
                        role="roles/cloudkms.cryptoKeyEncrypterDecrypter", members=[f"serviceAccount:{agent}"]
                    )
                ]
            ),
        }
    )
    wrong_place = gcs.bucket("digitwin-dev-cmek-eu")
    wrong_place.default_kms_key_name = key.name
    with pytest.raises(exceptions.BadRequest):
        gcs.create_bucket(wrong_place, location="europe-west1")
    created = gcs.create_bucket(bucket, location="us-central1")
    assert created.default_kms_key_name == key.name


def _patch(emu: Emulator, bucket: str, body: dict[str, object]) -> dict[str, object]:
    import json
    import urllib.request

    request = urllib.request.Request(
        f"{emu.base_url}/storage/v1/b/{bucket}",
        data=json.dumps(body).encode(),
        method="PATCH",
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request) as answer:
        return dict(json.loads(answer.read()))


def test_a_patch_that_changes_nothing_keeps_the_metageneration(emu: Emulator, gcs: storage.Client) -> None:
    # Recorded: storagebucketautoclassdisabled/_http.log #3 (`{}`, metageneration 1) and #5 (2).
    gcs.create_bucket("digitwin-dev-still")
    same = _patch(emu, "digitwin-dev-still", {})
    changed = _patch(emu, "digitwin-dev-still", {"labels": {"team": "data"}})
    assert same["metageneration"] == "1"
    assert changed["metageneration"] == "2"


def test_soft_delete_turned_off_has_no_effective_time(emu: Emulator, gcs: storage.Client) -> None:
    # Recorded: storagebucketbasic/_http.log #3 answers `{"retentionDurationSeconds": "0"}` alone.
    gcs.create_bucket("digitwin-dev-nosoft")
    off = _patch(emu, "digitwin-dev-nosoft", {"softDeletePolicy": {"retentionDurationSeconds": "0"}})
    assert off["softDeletePolicy"] == {"retentionDurationSeconds": "0"}


def test_uniform_access_hides_acls_except_after_an_autoclass_patch(
    emu: Emulator, gcs: storage.Client
) -> None:
    # Recorded: storagebucketautoclass/_http.log #3 answers the ACLs and owner of a uniform-access
    # bucket to a patch of `autoclass` alone; storagebucketautoclassnonstandard #3 (with labels)
    # and storagebucketautoclassdisabled #3 (`{}`) and #5 (labels) answer none.
    bucket = gcs.bucket("digitwin-dev-uniform")
    bucket.iam_configuration.uniform_bucket_level_access_enabled = True
    gcs.create_bucket(bucket, location="us-central1")
    for patch in ({}, {"labels": {"team": "data"}}, {"autoclass": {"enabled": True}, "labels": {"a": "b"}}):
        answered = _patch(emu, "digitwin-dev-uniform", patch)
        assert not {"acl", "defaultObjectAcl", "owner"} & set(answered), patch
    answered = _patch(
        emu, "digitwin-dev-uniform", {"autoclass": {"enabled": True, "terminalStorageClass": "ARCHIVE"}}
    )
    assert [entry["role"] for entry in answered["acl"]] == ["OWNER", "OWNER", "READER"]
    assert answered["owner"]["entity"].startswith("project-owners-")
    assert len(answered["defaultObjectAcl"]) == 3
