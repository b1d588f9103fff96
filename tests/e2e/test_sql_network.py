"""Network and Cloud SQL: drift, restarts, replacements held back, and secrets kept secret."""

from __future__ import annotations

import base64
import json
import logging

from googleapiclient.discovery import build_from_document

from provisioner.google.clients import _discovery_document

PROJECT = "digitwin-live-dev"
INSTANCE = "digitwin-dev-pg"


def _client(emulator, api, version, path=""):
    import google_auth_httplib2
    import httplib2
    from google.auth.credentials import AnonymousCredentials

    http = google_auth_httplib2.AuthorizedHttp(AnonymousCredentials(), http=httplib2.Http())
    doc = _discovery_document(api, version)
    return build_from_document(doc, http=http, client_options={"api_endpoint": f"{emulator.url}/{path}"})


def _wait_sql(emulator, sql, op):
    import time

    for _ in range(200):
        op = sql.operations().get(project=PROJECT, operation=op["name"]).execute()
        if op["status"] == "DONE":
            return op
        time.sleep(0.05)
    raise AssertionError("operation did not finish")


def test_tier_drift_is_an_update_that_restarts_and_is_put_back(emulator, cli):
    assert cli("apply", "--env", "dev", "--auto-approve").code == 0
    sql = _client(emulator, "sqladmin", "v1")
    live = sql.instances().get(project=PROJECT, instance=INSTANCE).execute()
    original = live["settings"]["tier"]
    body = {"settings": {"tier": "db-custom-2-7680", "settingsVersion": live["settings"]["settingsVersion"]}}
    _wait_sql(emulator, sql, sql.instances().patch(project=PROJECT, instance=INSTANCE, body=body).execute())

    planned = cli("plan", "--env", "dev", "--format", "json", "--detailed-exitcode")

    assert planned.code == 2
    (change,) = json.loads(planned.out)["changes"]
    assert change["address"] == f"sql.instance/{INSTANCE}" and change["action"] == "update"
    assert [(f["path"], f["before"], f["after"]) for f in change["fields"]] == [
        ("settings.tier", "db-custom-2-7680", original)
    ]
    assert "restarts the instance" in change["note"]
    assert "restarts the instance" in cli("plan", "--env", "dev").out

    assert cli("apply", "--env", "dev", "--auto-approve").code == 0
    assert sql.instances().get(project=PROJECT, instance=INSTANCE).execute()["settings"]["tier"] == original
    assert cli("plan", "--env", "dev", "--detailed-exitcode").code == 0


def _wait_compute(compute, op):
    import time

    for _ in range(200):
        op = (
            compute.regionOperations()
            .get(project=PROJECT, region="us-central1", operation=op["name"])
            .execute()
        )
        if op["status"] == "DONE":
            return op
        time.sleep(0.05)
    raise AssertionError("operation did not finish")


def test_secondary_range_moved_by_hand_forces_a_replacement_that_is_held_back(emulator, cli):
    assert cli("apply", "--env", "dev", "--auto-approve").code == 0
    compute = _client(emulator, "compute", "v1", "compute/v1/")
    subnet = (
        compute.subnetworks()
        .get(project=PROJECT, region="us-central1", subnetwork="digitwin-dev-subnet")
        .execute()
    )
    ranges = [dict(r) for r in subnet["secondaryIpRanges"]]
    for r in ranges:
        if r["rangeName"] == "digitwin-dev-services":
            r["ipCidrRange"] = "10.12.0.0/20"
    body = {"secondaryIpRanges": ranges, "fingerprint": subnet["fingerprint"]}
    _wait_compute(
        compute,
        compute.subnetworks()
        .patch(project=PROJECT, region="us-central1", subnetwork="digitwin-dev-subnet", body=body)
        .execute(),
    )
    emulator.clear_requests()

    planned = cli("plan", "--env", "dev", "--format", "json", "--detailed-exitcode")
    applied = cli("apply", "--env", "dev", "--auto-approve")

    assert planned.code == 2
    changes = {c["address"]: c for c in json.loads(planned.out)["changes"]}
    # The GKE cluster on the subnet cannot outlive it: it is replaced with it, and held back too.
    cluster = changes.pop("gke.cluster/us-central1-a/digitwin-dev-gke")
    assert cluster["action"] == "replace" and "--allow-destroy" in cluster["blocked"]
    (change,) = changes.values()
    assert change["action"] == "replace"
    assert change["fields"][0]["path"] == "secondaryIpRanges"
    assert "forces replacement" in change["reason"]
    assert "--allow-destroy" in change["blocked"]
    assert applied.code == 0
    assert "held back" in applied.out
    assert not [r for r in emulator.requests() if r.is_write], "a held-back replacement must call nothing"


def test_the_database_password_never_appears_in_any_output(emulator, cli, tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    planfile = tmp_path / "plan.json"
    outputs = [cli("plan", "--env", "dev", "--out", str(planfile), "-vv")]
    outputs.append(cli("apply", str(planfile), "--auto-approve", "-vv"))
    outputs.append(cli("plan", "--env", "dev", "--format", "markdown"))
    outputs.append(cli("plan", "--env", "dev", "--format", "json"))

    secrets = _client(emulator, "secretmanager", "v1")
    version = (
        secrets.projects()
        .secrets()
        .versions()
        .access(name=f"projects/{PROJECT}/secrets/digitwin-db-password/versions/latest")
        .execute()
    )
    password = base64.b64decode(version["payload"]["data"]).decode()
    assert len(password) >= 32

    haystacks = [o.out + o.err for o in outputs] + [planfile.read_text(), caplog.text]
    haystacks += [json.dumps([r.__dict__ for r in emulator.requests()], default=str)]
    for text in haystacks:
        assert password not in text
        assert base64.b64encode(password.encode()).decode() not in text
    users = _client(emulator, "sqladmin", "v1").users().list(project=PROJECT, instance=INSTANCE).execute()
    assert "digitwin_app" in [u["name"] for u in users["items"]]


def test_a_database_version_change_is_held_back_with_how_to_replace_it(emulator, cli, tmp_path):
    import shutil

    from tests.e2e.conftest import SPECS

    assert cli("apply", "--env", "dev", "--auto-approve").code == 0
    specs = tmp_path / "specs"
    shutil.copytree(SPECS, specs)
    dev = specs / "dev.yaml"
    dev.write_text(dev.read_text().replace("\nsql:\n", "\nsql:\n  database_version: POSTGRES_16\n", 1))

    plan = cli("plan", "--env", "dev", "--specs", str(specs))

    assert plan.code == 0, plan.err
    assert "databaseVersion cannot be changed in place" in plan.out
    # The instance's deletion policy is abandon: --prune only lets it go, and the plan says so.
    assert f"gcloud sql instances delete {INSTANCE}" in plan.out
    assert "--prune --allow-destroy" not in plan.out
