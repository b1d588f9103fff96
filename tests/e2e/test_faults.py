"""Transient API failures are retried; a bad spec never reaches the API."""

from __future__ import annotations

import shutil

from emulator import Emulator, EmulatorConfig, FaultRule
from tests.e2e.conftest import PROJECTS, SPECS


def test_503_and_429_on_first_attempts_are_retried_and_apply_converges(emulator, cli):
    emulator.faults.add_rule(FaultRule(method="storage.buckets.insert", status=503, times=2))
    emulator.faults.add_rule(
        FaultRule(method="cloudkms.projects.locations.keyRings.cryptoKeys.create", status=429, times=2)
    )
    emulator.faults.add_rule(FaultRule(method="storage.buckets.list", status=503, times=1))

    applied = cli("apply", "--env", "dev", "--auto-approve")

    assert applied.code == 0, applied.out + applied.err
    statuses = [(r.method_id, r.status) for r in emulator.requests()]
    assert statuses.count(("storage.buckets.insert", 503)) == 2
    assert statuses.count(("cloudkms.projects.locations.keyRings.cryptoKeys.create", 429)) == 2
    assert cli("plan", "--env", "dev", "--detailed-exitcode").code == 0


def test_seeded_random_faults_still_converge(emulator, cli):
    emulator.faults.configure(error_rate=0.2, drop_rate=0.05, seed=11)
    applied = cli("apply", "--env", "dev", "--auto-approve")
    assert applied.code == 0, applied.out + applied.err
    emulator.faults.clear()
    assert cli("plan", "--env", "dev", "--detailed-exitcode").code == 0


def test_unknown_key_fails_validate_with_file_and_line_before_any_api_call(emulator, cli, tmp_path):
    specs = tmp_path / "specs"
    shutil.copytree(SPECS, specs)
    dev = specs / "dev.yaml"
    lines = dev.read_text().splitlines()
    lines.append("storage_clas: NEARLINE")
    dev.write_text("\n".join(lines) + "\n")
    bad_line = len(lines)

    validated = cli("validate", "--env", "dev", "--specs", str(specs))
    planned = cli("plan", "--env", "dev", "--specs", str(specs))

    assert validated.code == 1 and planned.code == 1
    assert f"dev.yaml:{bad_line}" in validated.err
    assert "storage_clas" in validated.err
    assert emulator.requests() == []


def test_a_non_retryable_error_fails_that_change_and_skips_its_dependents(emulator, cli):
    emulator.faults.add_rule(
        FaultRule(method="cloudkms.projects.locations.keyRings.create", status=403, times=1)
    )
    applied = cli("apply", "--env", "dev", "--auto-approve")
    assert applied.code == 1
    assert "FAILED  kms.key_ring/" in applied.out
    assert "SKIPPED" in applied.out
    rerun = cli("apply", "--env", "dev", "--auto-approve")
    assert rerun.code == 0, rerun.out
    assert cli("plan", "--env", "dev", "--detailed-exitcode").code == 0


def test_a_cloud_run_operation_is_polled_when_the_server_offers_no_wait(tmp_path, monkeypatch, cli):
    # `operations.wait` is best effort: a server may answer UNIMPLEMENTED, and the deploy goes on.
    config = EmulatorConfig(state_path=tmp_path / "slow.sqlite", projects=PROJECTS, operation_delay_s=0.2)
    with Emulator(config) as slow:
        monkeypatch.setenv("PROVISIONER_ENDPOINT", slow.start(port=0))
        slow.faults.add_rule(FaultRule(method="run.projects.locations.operations.wait", status=501, times=50))

        applied = cli("apply", "--env", "dev", "--auto-approve")

        assert applied.code == 0, applied.out + applied.err
        run_polls = [
            (r.method_id, r.status)
            for r in slow.requests()
            if "run.projects.locations.operations" in (r.method_id or "")
        ]
        assert ("run.projects.locations.operations.wait", 501) in run_polls
        assert ("run.projects.locations.operations.get", 200) in run_polls
        assert cli("plan", "--env", "dev", "--detailed-exitcode").code == 0


def test_a_refused_read_names_what_it_could_not_read_and_writes_nothing(emulator, cli):
    emulator.faults.add_rule(FaultRule(method="sql.instances.list", status=403, times=10))

    plan = cli("plan", "--env", "dev")

    assert plan.code == 1
    assert (
        plan.err.strip()
        .splitlines()[-1]
        .startswith(
            "error: could not read the live sql.instance (sqladmin.googleapis.com) resources: HTTP 403"
        )
    )
    assert not [r for r in emulator.requests() if r.is_write]
