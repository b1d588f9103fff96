"""Cloud Run services roll a revision only when what they run changes, and the drift job corrects."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import requests
from google.auth.credentials import AnonymousCredentials
from google.cloud import run_v2, storage

from emulator.services._monitoring import SERIES
from emulator.services._run import SERVICE
from provisioner.cost.pricing import load_price_table
from reconcilers import PRICE_TABLE
from tests.e2e.conftest import SPECS

REPO = Path(__file__).resolve().parents[2]
PARENT = "projects/digitwin-live-dev/locations/us-central1"
WEBSOCKET = f"{PARENT}/services/digitwin-dev-websocket-server"
GATEWAY = f"{PARENT}/services/digitwin-dev-api-gateway"


def _client(cls, emulator):
    return cls(
        transport="rest", credentials=AnonymousCredentials(), client_options={"api_endpoint": emulator.url}
    )


def _revisions(emulator, service: str) -> list[str]:
    return [r.name for r in _client(run_v2.RevisionsClient, emulator).list_revisions(parent=service)]


@pytest.fixture
def specs(tmp_path):
    copy = tmp_path / "specs"
    shutil.copytree(SPECS, copy)
    return copy


def _edit_websocket_server(specs: Path, line: str) -> None:
    dev = specs / "dev.yaml"
    text = dev.read_text()
    anchor = "    websocket-server:\n"
    assert anchor in text
    dev.write_text(text.replace(anchor, anchor + f"      {line}\n", 1))


def test_label_change_keeps_the_revision_and_image_change_rolls_one(emulator, cli, specs):
    assert cli("apply", "--env", "dev", "--auto-approve", "--specs", str(specs)).code == 0
    services = _client(run_v2.ServicesClient, emulator)
    first = services.get_service(name=WEBSOCKET)
    assert _revisions(emulator, WEBSOCKET) == [first.latest_ready_revision]

    _edit_websocket_server(specs, "labels: {tier: realtime}")
    planned = cli("plan", "--env", "dev", "--format", "json", "--specs", str(specs))
    (change,) = [c for c in json.loads(planned.out)["changes"] if c["action"] != "noop"]
    assert [f["path"] for f in change["fields"]] == ["labels.tier"]
    assert cli("apply", "--env", "dev", "--auto-approve", "--specs", str(specs)).code == 0

    relabelled = services.get_service(name=WEBSOCKET)
    assert relabelled.labels["tier"] == "realtime"
    assert _revisions(emulator, WEBSOCKET) == [first.latest_ready_revision]
    assert relabelled.latest_ready_revision == first.latest_ready_revision

    _edit_websocket_server(
        specs, "image: us-central1-docker.pkg.dev/digitwin-shared/containers/websocket-server:1.0.1"
    )
    text = cli("plan", "--env", "dev", "--specs", str(specs)).out
    assert "rolls out a new revision" in text
    assert cli("apply", "--env", "dev", "--auto-approve", "--specs", str(specs)).code == 0

    rolled = services.get_service(name=WEBSOCKET)
    revisions = _revisions(emulator, WEBSOCKET)
    assert len(revisions) == 2 and rolled.latest_ready_revision in revisions
    assert rolled.latest_ready_revision != first.latest_ready_revision
    assert rolled.template.containers[0].image.endswith(":1.0.1")
    assert cli("plan", "--env", "dev", "--detailed-exitcode", "--specs", str(specs)).code == 0


def _drift_job(emulator, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """The drift job as the image runs it: `python -m provisioner`, inside a Cloud Run job."""
    environ = {
        **os.environ,
        "PROVISIONER_ENDPOINT": emulator.url,
        "CLOUD_RUN_JOB": "digitwin-dev-drift",
        "PYTHONPATH": str(REPO),
        **env,
    }
    command = [sys.executable, "-m", "provisioner", "apply", "--auto-approve", "--drift-only", *args]
    return subprocess.run(command, cwd=REPO, env=environ, capture_output=True, text=True, timeout=120)


def test_drift_job_corrects_reports_and_logs_json(emulator, cli):
    assert cli("apply", "--env", "dev", "--auto-approve").code == 0
    services = _client(run_v2.ServicesClient, emulator)
    service = services.get_service(name=GATEWAY)
    service.template.scaling.max_instance_count = 7
    services.update_service(service=service).result()
    revisions = _revisions(emulator, GATEWAY)

    job = _drift_job(emulator, "--env", "dev")

    assert job.returncode == 0, job.stderr
    entries = [json.loads(line) for line in (job.stdout + job.stderr).splitlines() if line.strip()]
    assert entries and all({"severity", "message"} <= e.keys() for e in entries)
    drift = [e for e in entries if e.get("address") == "run.service/us-central1/digitwin-dev-api-gateway"]
    assert drift[0]["severity"] == "WARNING" and drift[0]["fields"] == ["template.scaling.maxInstanceCount"]
    assert services.get_service(name=GATEWAY).template.scaling.max_instance_count == 100
    assert len(_revisions(emulator, GATEWAY)) == len(revisions) + 1

    gcs = storage.Client(
        project="digitwin-live-dev",
        credentials=AnonymousCredentials(),
        client_options={"api_endpoint": emulator.url},
    )
    names = sorted(
        b.name for b in gcs.list_blobs("digitwin-live-dev-provisioner-state", prefix="reports/dev/")
    )
    assert [n.rsplit(".", 1)[1] for n in names] == ["json", "md"]
    report = json.loads(gcs.bucket("digitwin-live-dev-provisioner-state").blob(names[0]).download_as_text())
    assert report["outcome"] == "corrected" and report["drifted"] == 1
    assert report["applied"][0]["status"] == "done"

    emulator.settle()
    points = [
        s
        for s in emulator.store.list(SERIES)
        if "custom.googleapis.com/digitwin/provisioner/drift" in json.dumps(s)
    ]
    assert points and '"outcome": "corrected"' in json.dumps(points) and '"env": "dev"' in json.dumps(points)
    assert cli("plan", "--env", "dev", "--detailed-exitcode").code == 0


def test_drift_only_creates_and_deletes_nothing(emulator, cli):
    assert cli("apply", "--env", "dev", "--auto-approve").code == 0
    services = _client(run_v2.ServicesClient, emulator)
    services.delete_service(name=WEBSOCKET).result()
    emulator.clear_requests()

    run = cli("apply", "--env", "dev", "--auto-approve", "--drift-only")

    assert run.code == 0
    # the service, and the invoker grant that went with it
    assert "drifted, 2 resource(s) drifted" in run.out
    assert "a reviewed apply must create it" in run.out
    writes = sorted(r.path for r in emulator.requests() if r.is_write)
    # The report (JSON and Markdown) and the metric point, nothing else.
    state = "/upload/storage/v1/b/digitwin-live-dev-provisioner-state/o"
    assert writes == [state, state, "/v3/projects/digitwin-live-dev/timeSeries"]


def test_tasks_of_a_sharded_job_split_the_environments(emulator, cli, monkeypatch):
    # Each environment's state bucket, where its run leaves the report (an apply made it).
    for env in ("dev", "staging", "prod"):
        gcs = storage.Client(
            project=f"digitwin-live-{env}",
            credentials=AnonymousCredentials(),
            client_options={"api_endpoint": emulator.url},
        )
        gcs.create_bucket(f"digitwin-live-{env}-provisioner-state")
    monkeypatch.setenv("CLOUD_RUN_JOB", "digitwin-drift")
    monkeypatch.setenv("CLOUD_RUN_TASK_COUNT", "2")
    taken = []
    for index in ("0", "1"):
        monkeypatch.setenv("CLOUD_RUN_TASK_INDEX", index)
        run = cli("apply", "--auto-approve", "--drift-only", "--report-only", "--all-envs")
        assert run.code == 0, run.err
        first = json.loads(run.out.splitlines()[0])
        assert first["message"].startswith("drift run over")
        taken.append(set(first["envs"]))
    assert taken[0] and taken[1] and not taken[0] & taken[1]
    assert taken[0] | taken[1] == {"dev", "staging", "prod"}


STAGING_WEBSOCKET = (
    "projects/digitwin-live-staging/locations/us-central1/services/digitwin-staging-websocket-server"
)
PRICES = load_price_table(PRICE_TABLE)


def _sent(emulator, method_id: str) -> list[dict]:
    """The JSON bodies the provisioner sent with one API method, from the emulator's request log."""
    return [r.body for r in emulator.requests() if r.method_id == method_id]


def _instance_month(kind: str, vcpus: float, gib: float) -> float:
    """One instance running all month at a Cloud Run rate (`idle_min_instance` or `instance_based`)."""
    per_second = vcpus * PRICES.price(f"run.{kind}.cpu", "us-central1")[1]
    per_second += gib * PRICES.price(f"run.{kind}.memory", "us-central1")[1]
    return per_second * 730 * 3600


def _flip_websocket_server_cpu_allocation(specs: Path) -> None:
    staging = specs / "staging.yaml"
    text = staging.read_text()
    flag = text.index("cpu_always_allocated: false", text.index("    websocket-server:\n"))
    assert flag < text.index("    api-gateway:\n")
    staging.write_text(
        f"{text[:flag]}cpu_always_allocated: true{text[flag + len('cpu_always_allocated: false') :]}"
    )


def test_cpu_allocation_is_always_sent_and_flipping_it_changes_cpu_idle_and_the_bill(emulator, cli, specs):
    assert cli("apply", "--env", "staging", "--auto-approve", "--specs", str(specs)).code == 0
    created = _sent(emulator, "run.projects.locations.services.create")
    assert [b["template"]["containers"][0]["resources"].get("cpuIdle") for b in created] == [True, True]
    # A job's task has its CPU for as long as it runs: no allocation is sent for it.
    (job,) = _sent(emulator, "run.projects.locations.jobs.create")
    assert job["template"]["template"]["containers"][0]["resources"] == {
        "limits": {"cpu": "1", "memory": "1Gi"}
    }
    revisions = _revisions(emulator, STAGING_WEBSOCKET)

    _flip_websocket_server_cpu_allocation(specs)

    planned = cli("plan", "--env", "staging", "--format", "json", "--specs", str(specs))
    (change,) = [c for c in json.loads(planned.out)["changes"] if c["action"] != "noop"]
    assert change["address"] == "run.service/us-central1/digitwin-staging-websocket-server"
    (field,) = change["fields"]
    assert field["path"] == "template.containers"  # lists are compared whole
    before, after = field["before"][0], field["after"][0]
    assert (before["resources"].pop("cpuIdle"), after["resources"].pop("cpuIdle")) == (True, False)
    assert before == after

    idle, always = _instance_month("idle_min_instance", 2, 2), _instance_month("instance_based", 2, 2)
    cost = cli("cost", "--env", "staging", "--specs", str(specs))
    assert cost.code == 0, cost.err
    header = f"${idle:,.2f} → ${always:,.2f}  (+${always - idle:,.2f})"
    assert f"~ {change['address']}  {header}" in cost.out
    report = json.loads(cli("cost", "--env", "staging", "--specs", str(specs), "--format", "json").out)
    priced = next(r for r in report["resources"] if r["address"] == change["address"])
    now, then = priced["current"]["lines"][0]["item"], priced["after"]["lines"][0]["item"]
    assert now == "minimum instances: 1 × 2 vCPU, 2 GiB, CPU only during requests"
    assert then == "minimum instances: 1 × 2 vCPU, 2 GiB, CPU always allocated"

    assert cli("apply", "--env", "staging", "--auto-approve", "--specs", str(specs)).code == 0

    # The API leaves a false cpuIdle out of what it stores and answers: that is no difference.
    stored = emulator.store.get(SERVICE, STAGING_WEBSOCKET)
    assert stored["template"]["containers"][0]["resources"] == {"limits": {"cpu": "2", "memory": "2Gi"}}
    assert len(_revisions(emulator, STAGING_WEBSOCKET)) == len(revisions) + 1
    assert cli("plan", "--env", "staging", "--detailed-exitcode", "--specs", str(specs)).code == 0


def test_drift_only_reports_a_changed_role_grant_and_grants_nothing(emulator, cli):
    assert cli("apply", "--env", "dev", "--auto-approve").code == 0
    crm = f"{emulator.url}/v3/projects/digitwin-live-dev"
    policy = requests.post(f"{crm}:getIamPolicy", json={}, timeout=10).json()
    member = "serviceAccount:api-gateway@digitwin-live-dev.iam.gserviceaccount.com"
    # One role of the account's four taken away by hand.
    granted = next(b for b in policy["bindings"] if member in b["members"])
    granted["members"].remove(member)
    policy["bindings"] = [b for b in policy["bindings"] if b["members"]]
    assert requests.post(f"{crm}:setIamPolicy", json={"policy": policy}, timeout=10).status_code == 200
    emulator.clear_requests()

    run = cli("apply", "--env", "dev", "--auto-approve", "--drift-only")

    assert run.code == 0, run.out + run.err
    assert "iam.project_roles/api-gateway" in run.out
    assert "never change who may do what" in run.out
    assert not [r for r in emulator.requests() if r.path.endswith(":setIamPolicy")]
    # A reviewed apply puts the roles back.
    assert cli("apply", "--env", "dev", "--auto-approve").code == 0
    assert cli("plan", "--env", "dev", "--detailed-exitcode").code == 0


def test_a_drift_run_whose_report_cannot_be_written_fails_in_one_line(emulator, cli):
    from emulator import FaultRule

    assert cli("apply", "--env", "dev", "--auto-approve").code == 0
    emulator.faults.add_rule(FaultRule(method="storage.objects.insert", status=403, times=10))

    run = cli("apply", "--env", "dev", "--auto-approve", "--drift-only")

    assert run.code == 1
    said = [line for line in (run.out + run.err).splitlines() if "report could not be written" in line]
    assert len(said) == 1 and "HTTP 403" in said[0]


def test_a_drift_run_on_a_converged_service_rolls_no_revision(emulator, cli):
    assert cli("apply", "--env", "dev", "--auto-approve").code == 0
    revisions = {s: _revisions(emulator, s) for s in (WEBSOCKET, GATEWAY)}
    emulator.clear_requests()

    drift = cli("apply", "--env", "dev", "--auto-approve", "--drift-only")

    assert drift.code == 0, drift.out + drift.err
    assert "0 resource(s) drifted" in drift.out, drift.out
    assert [r.path for r in emulator.requests() if r.is_write and r.path.startswith("/v2/")] == []
    assert {s: _revisions(emulator, s) for s in (WEBSOCKET, GATEWAY)} == revisions


def test_the_apis_default_startup_probe_and_port_name_show_no_change(emulator, cli):
    """Cloud Run documents a default TCP startup probe (240 s, 240 s, 1, on the container port)
    and the Terraform provider reads it back as set by the API: a live service carrying it, and
    the `http1` port name, plans clean and a drift run leaves it alone."""
    assert cli("apply", "--env", "dev", "--auto-approve").code == 0
    services = _client(run_v2.ServicesClient, emulator)
    service = services.get_service(name=WEBSOCKET)
    container = service.template.containers[0]
    port = container.ports[0].container_port
    container.startup_probe = run_v2.Probe(
        timeout_seconds=240,
        period_seconds=240,
        failure_threshold=1,
        tcp_socket=run_v2.TCPSocketAction(port=port),
    )
    container.ports[0].name = "http1"
    services.update_service(service=service).result()
    revisions = _revisions(emulator, WEBSOCKET)

    planned = cli("plan", "--env", "dev", "--detailed-exitcode")
    assert planned.code == 0, planned.out
    assert cli("apply", "--env", "dev", "--auto-approve", "--drift-only").code == 0
    assert _revisions(emulator, WEBSOCKET) == revisions

    # a probe that differs from the default is someone's change, and shows
    service = services.get_service(name=WEBSOCKET)
    service.template.containers[0].startup_probe.period_seconds = 10
    service.template.containers[0].startup_probe.timeout_seconds = 1
    services.update_service(service=service).result()
    changed = cli("plan", "--env", "dev", "--detailed-exitcode")
    assert changed.code == 2 and "template.containers" in changed.out
