"""Properties 5 and 6: nothing destroyed by accident, and adoption only on request."""

from __future__ import annotations

import json

from google.auth.credentials import AnonymousCredentials
from google.cloud import kms_v1, storage

OURS = {"managed-by": "digitwin-provisioner"}


def _storage(emulator, project):
    return storage.Client(
        project=project, credentials=AnonymousCredentials(), client_options={"api_endpoint": emulator.url}
    )


def _kms(emulator):
    return kms_v1.KeyManagementServiceClient(
        transport="rest", credentials=AnonymousCredentials(), client_options={"api_endpoint": emulator.url}
    )


def _managed_bucket_with_data(emulator, env):
    project = f"digitwin-live-{env}"
    client = _storage(emulator, project)
    bucket = client.bucket(f"{project}-old-exports")
    bucket.labels = {**OURS, "digitwin-env": env}
    client.create_bucket(bucket, location="US-CENTRAL1")
    bucket.blob("export-2026-01.csv").upload_from_string("id,name\n1,a\n")
    return bucket.name


def _writes(emulator):
    return [r.method_id for r in emulator.requests() if r.is_write]


def _change(cli, env, address, *flags):
    plan = json.loads(cli("plan", "--env", env, "--format", "json", *flags).out)
    return next(c for c in plan["changes"] if c["address"] == address)


def test_a_bucket_holding_objects_is_never_deleted_without_every_flag(emulator, cli):
    assert cli("apply", "--env", "prod", "--auto-approve").code == 0
    name = _managed_bucket_with_data(emulator, "prod")
    address = f"storage.bucket/{name}"
    emulator.clear_requests()

    without_prune = _change(cli, "prod", address)
    with_prune = _change(cli, "prod", address, "--prune")
    with_destroy = _change(cli, "prod", address, "--prune", "--allow-destroy")
    for flags in ([], ["--prune"], ["--prune", "--allow-destroy"]):
        refused = cli("apply", "--env", "prod", "--auto-approve", *flags)
        # prod: a plan holding back a deletion is not applied in part; it names the flags
        assert refused.code == 1 and "--allow-prod-destroy" in refused.err, refused.err

    assert "--prune" in without_prune["blocked"]
    assert with_prune["destructive"] and "--allow-destroy" in with_prune["blocked"]
    assert "--allow-prod-destroy" in with_destroy["blocked"]
    assert _writes(emulator) == [], "no flag combination short of all of them may call anything"
    assert _storage(emulator, "digitwin-live-prod").lookup_bucket(name) is not None


def test_a_kms_key_leaving_the_spec_has_its_versions_scheduled_for_destruction_not_deleted(emulator, cli):
    assert cli("apply", "--env", "dev", "--auto-approve").code == 0
    kms = _kms(emulator)
    ring = "projects/digitwin-live-dev/locations/us-central1/keyRings/digitwin-dev-keyring"
    kms.create_crypto_key(
        request={
            "parent": ring,
            "crypto_key_id": "legacy",
            "crypto_key": {"purpose": "ENCRYPT_DECRYPT", "labels": {**OURS, "digitwin-env": "dev"}},
        }
    )
    address = "kms.crypto_key/us-central1/digitwin-dev-keyring/legacy"

    planned = _change(cli, "dev", address, "--prune")
    assert planned["action"] == "delete" and planned["destructive"]
    assert "cannot be deleted outright" in planned["note"] and "--allow-destroy" in planned["blocked"]

    applied = cli("apply", "--env", "dev", "--auto-approve", "--prune", "--allow-destroy")

    assert applied.code == 0, applied.out
    key = kms.get_crypto_key(name=f"{ring}/cryptoKeys/legacy")
    versions = list(kms.list_crypto_key_versions(request={"parent": key.name}))
    assert key.name and {v.state.name for v in versions} == {"DESTROY_SCHEDULED"}
    assert "managed-by" not in key.labels, "the key stays, no longer ours"
    assert cli("plan", "--env", "dev", "--detailed-exitcode", "--prune").code == 0


def test_resources_made_by_hand_under_our_names_are_adopted_only_on_request(emulator, cli):
    client = _storage(emulator, "digitwin-live-dev")
    client.create_bucket("digitwin-live-dev-documents", location="US-CENTRAL1")
    address = "storage.bucket/digitwin-live-dev-documents"

    first = cli("apply", "--env", "dev", "--auto-approve")
    held = _change(cli, "dev", address)

    assert first.code == 0
    assert "--adopt" in held["blocked"] and "without our ownership labels" in held["note"]
    assert client.get_bucket("digitwin-live-dev-documents").labels == {}

    adopted = cli("apply", "--env", "dev", "--auto-approve", "--adopt")

    assert adopted.code == 0, adopted.out
    assert client.get_bucket("digitwin-live-dev-documents").labels["managed-by"] == "digitwin-provisioner"
    assert cli("plan", "--env", "dev", "--detailed-exitcode").code == 0


def test_a_resource_whose_policy_is_abandon_leaves_management_without_being_destroyed(emulator, cli):
    assert cli("apply", "--env", "dev", "--auto-approve").code == 0
    kms = _kms(emulator)
    key = kms.get_crypto_key(
        name="projects/digitwin-live-dev/locations/us-central1/keyRings/digitwin-dev-keyring/cryptoKeys/database"
    )
    assert key.labels["digitwin-deletion-policy"] == "abandon", "the spec's policy travels with the resource"

    client = _storage(emulator, "digitwin-live-dev")
    bucket = client.bucket("digitwin-live-dev-scratch")
    bucket.labels = {**OURS, "digitwin-env": "dev", "digitwin-deletion-policy": "abandon"}
    client.create_bucket(bucket, location="US-CENTRAL1")
    address = "storage.bucket/digitwin-live-dev-scratch"

    held = _change(cli, "dev", address)
    released = cli("apply", "--env", "dev", "--auto-approve", "--prune")

    assert held["action"] == "abandon" and "--prune" in held["blocked"]
    assert released.code == 0, released.out
    left = client.get_bucket("digitwin-live-dev-scratch")
    assert left.labels == {}, "still there, no longer ours"
    assert cli("plan", "--env", "dev", "--detailed-exitcode", "--prune").code == 0


def _moved_to_us_east1(tmp_path):
    """A copy of the shipped specs with the region moved from us-central1 to us-east1."""
    import shutil

    from tests.e2e.conftest import SPECS

    specs = tmp_path / "specs"
    shutil.copytree(SPECS, specs)
    base = specs / "base.yaml"
    text = base.read_text()
    assert "region: us-central1\n" in text
    base.write_text(text.replace("region: us-central1\n", "region: us-east1\n", 1))
    for spec in specs.glob("*.yaml"):  # zones follow their region (us-east1 has b, c and d)
        zoned = spec.read_text().replace("us-central1-a", "us-east1-c").replace("us-central1-b", "us-east1-d")
        spec.write_text(zoned)
    return str(specs)


def test_a_region_move_of_prod_without_flags_writes_nothing_and_names_the_flags(emulator, cli, tmp_path):
    assert cli("apply", "--env", "prod", "--auto-approve").code == 0
    specs = _moved_to_us_east1(tmp_path)
    emulator.clear_requests()

    moved = cli("apply", "--env", "prod", "--auto-approve", "--specs", specs)

    log = emulator.requests()
    deletes = [r for r in log if r.http_method == "DELETE"]
    writes = [r for r in log if r.is_write]
    print(
        f"region move of prod without flags: {len(log)} requests, {len(writes)} writes, {len(deletes)} DELETE"
    )
    assert moved.code == 1, moved.out + moved.err
    assert deletes == [] and writes == [], [(r.method_id, r.path) for r in writes]
    assert "Nothing was written" in moved.err
    for flag in ("--prune", "--allow-prod-destroy"):
        assert flag in moved.err
    for purpose in ("face-models", "documents", "voice-models"):
        assert f"storage.bucket/digitwin-live-prod-{purpose}" in moved.err, "empty buckets are held back too"
    client = _storage(emulator, "digitwin-live-prod")
    assert {b.location for b in client.list_buckets()} == {"US-CENTRAL1"}


def test_prod_never_replaces_the_state_bucket_and_deletes_nothing_without_allow_prod_destroy(
    emulator, cli, tmp_path
):
    assert cli("apply", "--env", "prod", "--auto-approve").code == 0
    specs = _moved_to_us_east1(tmp_path)
    state = "storage.bucket/digitwin-live-prod-provisioner-state"
    documents = "storage.bucket/digitwin-live-prod-documents"
    emulator.clear_requests()

    destroy_only = _change(cli, "prod", documents, "--specs", specs, "--prune", "--allow-destroy")
    everything = ["--prune", "--allow-destroy", "--allow-prod-destroy"]
    held_state = _change(cli, "prod", state, "--specs", specs, *everything)
    applied = cli("apply", "--env", "prod", "--auto-approve", "--specs", specs, *everything)

    assert destroy_only["action"] == "replace" and not destroy_only["destructive"]
    assert "--allow-prod-destroy" in destroy_only["blocked"], (
        "an empty prod bucket is not replaced without it"
    )
    assert held_state["action"] == "replace" and "holds the environment's lock" in held_state["blocked"]
    assert applied.code == 1 and state in applied.err, (
        "with every flag, the lock's bucket still holds it back"
    )
    assert [r for r in emulator.requests() if r.is_write] == []
    assert _storage(emulator, "digitwin-live-prod").get_bucket("digitwin-live-prod-provisioner-state")


def test_outside_production_held_back_deletions_leave_the_rest_to_apply(emulator, cli):
    assert cli("apply", "--env", "staging", "--auto-approve").code == 0
    client = _storage(emulator, "digitwin-live-staging")
    orphan = client.bucket("digitwin-live-staging-old-exports")
    orphan.labels = {**OURS, "digitwin-env": "staging"}
    client.create_bucket(orphan, location="US-CENTRAL1")
    documents = client.get_bucket("digitwin-live-staging-documents")
    documents.versioning_enabled = False
    documents.patch()
    emulator.clear_requests()

    applied = cli("apply", "--env", "staging", "--auto-approve")

    assert applied.code == 0, applied.err
    assert "--prune" in applied.out, "the deletion is shown as held back"
    assert [r.method_id for r in emulator.requests() if r.is_write and "/o" not in r.path] == [
        "storage.buckets.patch"
    ]
    assert client.lookup_bucket("digitwin-live-staging-old-exports") is not None
    assert client.get_bucket("digitwin-live-staging-documents").versioning_enabled


def test_a_prod_plan_of_deletions_alone_is_refused_before_any_write_and_passes_with_the_flags(emulator, cli):
    assert cli("apply", "--env", "prod", "--auto-approve").code == 0
    client = _storage(emulator, "digitwin-live-prod")
    orphan = client.bucket("digitwin-live-prod-old-exports")
    orphan.labels = {**OURS, "digitwin-env": "prod"}
    client.create_bucket(orphan, location="US-CENTRAL1")
    emulator.clear_requests()

    pruned_only = cli("apply", "--env", "prod", "--auto-approve", "--prune")
    refused_writes = [r for r in emulator.requests() if r.is_write]
    allowed = cli("apply", "--env", "prod", "--auto-approve", "--prune", "--allow-prod-destroy")

    assert pruned_only.code == 1 and "--allow-prod-destroy" in pruned_only.err
    assert refused_writes == [], "not even the lock is taken"
    assert allowed.code == 0, allowed.err
    assert client.lookup_bucket("digitwin-live-prod-old-exports") is None


def test_a_drift_only_run_of_prod_still_corrects_drift_beside_a_held_back_deletion(emulator, cli):
    assert cli("apply", "--env", "prod", "--auto-approve").code == 0
    client = _storage(emulator, "digitwin-live-prod")
    orphan = client.bucket("digitwin-live-prod-old-exports")
    orphan.labels = {**OURS, "digitwin-env": "prod"}
    client.create_bucket(orphan, location="US-CENTRAL1")
    documents = client.get_bucket("digitwin-live-prod-documents")
    documents.versioning_enabled = False
    documents.patch()
    emulator.clear_requests()

    drift = cli("apply", "--env", "prod", "--auto-approve", "--drift-only")

    assert "refusing to apply" not in drift.err, "the drift job is not stopped by what it holds back anyway"
    assert client.get_bucket("digitwin-live-prod-documents").versioning_enabled
    assert client.lookup_bucket("digitwin-live-prod-old-exports") is not None
    assert not [r for r in emulator.requests() if r.http_method == "DELETE" and "/o/" not in r.path]
