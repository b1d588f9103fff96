"""The APIs an environment needs: enabled first on a fresh project, never disabled.

The emulator of these tests answers a call to an API the project has not enabled with
403 SERVICE_DISABLED, as Google does, so every apply from empty goes through enabling.
"""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import pytest

from emulator import Emulator, EmulatorConfig
from emulator.records import is_write
from tests.e2e.conftest import PROJECTS, SPECS

ENABLES = ("serviceusage.services.enable", "serviceusage.services.batchEnable")
#: Seconds of emulator time a freshly enabled API keeps answering SERVICE_DISABLED, and a new
#: log-based metric stays unknown to alert policies.
PROPAGATION_S = 20.0
METRIC_PROPAGATION_S = 60.0


def _writes(emulator, prefix: str) -> list:
    return [
        r
        for r in emulator.requests()
        if (r.method_id or "").startswith(prefix) and is_write(r.http_method, r.method_id) and r.status < 400
    ]


def _spec_copy(tmp_path: Path, drop: str = "", add: str = "") -> Path:
    specs = tmp_path / "specs"
    shutil.copytree(SPECS, specs)
    base = specs / "base.yaml"
    text = base.read_text()
    if drop:
        text = text.replace(f"  - {drop}\n", "", 1)
    if add:
        text = text.replace("apis:\n", f"apis:\n  - {add}\n", 1)
    base.write_text(text)
    return specs


def test_plan_of_a_fresh_project_enables_apis_and_shows_the_rest_as_to_create(emulator, cli):
    result = cli("plan", "--env", "dev")
    assert result.code == 0, result.err
    assert "+ serviceusage.service/compute.googleapis.com" in result.out
    assert "+ serviceusage.service/sqladmin.googleapis.com" in result.out
    assert (
        "= serviceusage.service/compute.googleapis.com: compute.googleapis.com is not enabled yet: "
        "its resources are shown as to create" in result.out
    )
    assert "+ compute.network/digitwin-dev-vpc" in result.out
    assert "+ sql.instance/digitwin-dev-pg" in result.out
    # On by default in a new project, so nothing to do for them.
    assert "serviceusage.service/storage.googleapis.com" not in result.out
    assert "serviceusage.service/monitoring.googleapis.com" not in result.out


def test_apply_enables_apis_before_anything_uses_them_then_converges(emulator, cli):
    result = cli("apply", "--env", "dev", "--auto-approve")
    assert result.code == 0, result.err
    requests = emulator.requests()
    enables = [r.seq for r in requests if r.method_id in ENABLES and r.status == 200]
    compute_ok = [r.seq for r in requests if (r.method_id or "").startswith("compute.") and r.status < 400]
    sql_ok = [r.seq for r in requests if (r.method_id or "").startswith("sql.") and r.status < 400]
    assert enables and compute_ok and sql_ok
    assert min(enables) < min(compute_ok) and min(enables) < min(sql_ok)
    assert not [r for r in requests if r.method_id == "serviceusage.services.disable"]
    on = set(emulator.enabled_services("digitwin-live-dev"))
    assert {"compute.googleapis.com", "sqladmin.googleapis.com", "container.googleapis.com"} <= on
    again = cli("plan", "--env", "dev")
    assert again.code == 0, again.out
    assert "No changes" in again.out


def test_every_api_a_fresh_project_needs_is_enabled_in_one_call(emulator, cli):
    assert cli("apply", "--env", "dev", "--auto-approve").code == 0
    enables = [r for r in emulator.requests() if r.method_id in ENABLES]
    assert [r.method_id for r in enables] == ["serviceusage.services.batchEnable"]
    assert {"compute.googleapis.com", "container.googleapis.com", "cloudscheduler.googleapis.com"} <= set(
        enables[0].body["serviceIds"]
    )


def test_a_refused_batch_enable_is_sent_again_api_by_api_and_converges(emulator, cli):
    from emulator import FaultRule

    emulator.faults.add_rule(FaultRule(method="serviceusage.services.batchEnable", status=403, times=1))
    first = cli("apply", "--env", "dev", "--auto-approve")
    if first.code != 0:  # an enable that went out alone in the refused call failed: rerun
        assert cli("apply", "--env", "dev", "--auto-approve").code == 0
    methods = [r.method_id for r in emulator.requests() if r.method_id in ENABLES]
    assert methods[0] == "serviceusage.services.batchEnable"
    assert "serviceusage.services.enable" in methods[1:]
    assert cli("plan", "--env", "dev", "--detailed-exitcode").code == 0


def test_an_api_dropped_from_the_spec_is_left_enabled(emulator, cli, tmp_path):
    assert cli("apply", "--env", "dev", "--auto-approve").code == 0
    specs = _spec_copy(tmp_path, drop="cloudscheduler.googleapis.com")
    plan = cli("plan", "--env", "dev", "--specs", str(specs))
    assert "serviceusage.service/cloudscheduler.googleapis.com" in plan.out
    assert "left enabled" in plan.out
    emulator.clear_requests()
    result = cli("apply", "--env", "dev", "--specs", str(specs), "--auto-approve", "--prune")
    assert result.code == 0, result.err
    assert not _writes(emulator, "serviceusage.")
    assert "cloudscheduler.googleapis.com" in emulator.enabled_services("digitwin-live-dev")


def test_an_api_enabled_by_hand_is_not_ours(emulator, cli):
    emulator.set_services("digitwin-live-dev", enable=["pubsub.googleapis.com"])
    assert cli("apply", "--env", "dev", "--auto-approve").code == 0
    plan = cli("plan", "--env", "dev", "--prune")
    assert plan.code == 0, plan.out
    assert "pubsub" not in plan.out
    assert "pubsub.googleapis.com" in emulator.enabled_services("digitwin-live-dev")


def test_a_disabled_api_the_spec_does_not_enable_stops_the_plan_with_the_fix(emulator, cli, tmp_path):
    specs = _spec_copy(tmp_path, drop="compute.googleapis.com")
    result = cli("plan", "--env", "dev", "--specs", str(specs))
    assert result.code == 1
    assert "compute.googleapis.com is not enabled in project digitwin-live-dev" in result.err
    assert "add compute.googleapis.com to `apis:`" in result.err
    assert not _writes(emulator, "")


def test_service_agents_are_asked_for_before_their_keys_are_granted_to_them(emulator, cli):
    result = cli("apply", "--env", "dev", "--auto-approve")
    assert result.code == 0, result.err
    requests = emulator.requests()
    generated = {
        r.path.rsplit("/services/", 1)[1].split(":")[0]: r.seq
        for r in requests
        if r.method_id == "serviceusage.services.generateServiceIdentity" and r.status == 200
    }
    storage_agent = [r.seq for r in requests if r.method_id == "storage.projects.serviceAccount.get"]
    assert set(generated) == {"sqladmin.googleapis.com", "secretmanager.googleapis.com"} and storage_agent
    grants = {
        r.path.split("/cryptoKeys/")[1].split(":")[0]: r
        for r in requests
        if r.method_id == "cloudkms.projects.locations.keyRings.cryptoKeys.setIamPolicy"
    }
    assert all(r.status == 200 for r in grants.values())
    assert generated["sqladmin.googleapis.com"] < grants["database"].seq
    assert generated["secretmanager.googleapis.com"] < grants["secrets"].seq
    assert min(storage_agent) < grants["storage"].seq
    emulator.clear_requests()
    plan = cli("plan", "--env", "dev", "--detailed-exitcode")
    assert plan.code == 0, plan.out
    assert not [r for r in emulator.requests() if r.is_write]


def test_an_agent_whose_grant_was_removed_is_asked_for_again_and_granted_again(emulator, cli):
    assert cli("apply", "--env", "dev", "--auto-approve").code == 0
    from google.api_core.client_options import ClientOptions
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import kms_v1

    kms = kms_v1.KeyManagementServiceClient(
        transport="rest",
        credentials=AnonymousCredentials(),
        client_options=ClientOptions(api_endpoint=emulator.url),
    )
    key = "projects/digitwin-live-dev/locations/us-central1/keyRings/digitwin-dev-keyring/cryptoKeys/database"
    policy = kms.get_iam_policy(request={"resource": key})
    del policy.bindings[:]
    kms.set_iam_policy(request={"resource": key, "policy": policy})
    plan = cli("plan", "--env", "dev")
    assert "+ serviceusage.service_identity/sqladmin.googleapis.com" in plan.out
    assert cli("apply", "--env", "dev", "--auto-approve").code == 0
    assert cli("plan", "--env", "dev", "--detailed-exitcode").code == 0


@pytest.fixture
def waking_emulator(tmp_path, monkeypatch):
    """APIs answer SERVICE_DISABLED for 20 s of emulator time after their enable is done, and new
    metrics are unknown to alerting for a minute, as on a brand-new project; a thread moves the
    emulator's clock while the test runs, so nothing sleeps through the windows."""
    config = EmulatorConfig(
        state_path=tmp_path / "emulator.sqlite",
        projects=PROJECTS,
        seed=7,
        enforce_enabled_apis=True,
        api_propagation_s=PROPAGATION_S,
        metric_propagation_s=METRIC_PROPAGATION_S,
    )
    emu = Emulator(config)
    emu.url = emu.start(port=0)
    monkeypatch.setenv("PROVISIONER_ENDPOINT", emu.url)
    monkeypatch.delenv("STORAGE_EMULATOR_HOST", raising=False)
    stop = threading.Event()

    def move_clock() -> None:
        while not stop.wait(0.05):
            emu.advance_time(1.0)

    mover = threading.Thread(target=move_clock, daemon=True)
    mover.start()
    yield emu
    stop.set()
    mover.join()
    emu.stop()


def test_the_first_prod_apply_waits_for_its_freshly_enabled_apis_and_completes(waking_emulator, cli):
    result = cli("apply", "--env", "prod", "--auto-approve")
    assert result.code == 0, result.err
    assert "0 failed, 0 skipped" in result.out + result.err
    requests = waking_emulator.requests()
    assert [r for r in requests if r.status == 403], "the API window was never hit: the test proves nothing"
    unknown_metric = [
        r for r in requests if r.method_id == "monitoring.projects.alertPolicies.create" and r.status == 404
    ]
    assert unknown_metric, "the metric window was never hit: the test proves nothing"
    assert "was enabled moments ago and does not answer yet (SERVICE_DISABLED)" in result.err
    assert (
        "monitoring.alert_policy/db-connection-failures: waiting: a metric it watches was created moments ago"
        in result.err
    )
    assert "retrying for up to 15 min" in result.err
    assert cli("plan", "--env", "prod", "--detailed-exitcode").code == 0
