"""One writer per environment: the lease lock in the provisioner's bucket."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests
from google.auth.credentials import AnonymousCredentials
from google.cloud import storage

from emulator import FaultRule
from tests.e2e.conftest import SPECS

ROOT = Path(__file__).resolve().parents[2]
BUCKET = "digitwin-live-dev-provisioner-state"


def _client(emulator):
    return storage.Client(
        project="digitwin-live-dev",
        credentials=AnonymousCredentials(),
        client_options={"api_endpoint": emulator.url},
    )


def _plant_lock(emulator, lock_id="abc123", expires_in=timedelta(minutes=10), holder="ops@laptop pid 42"):
    now = datetime.now(UTC)
    info = {
        "id": lock_id,
        "holder": holder,
        "operation": "apply",
        "created": now.isoformat(timespec="seconds"),
        "expires": (now + expires_in).isoformat(timespec="seconds"),
    }
    _client(emulator).bucket(BUCKET).blob("locks/dev.json").upload_from_string(json.dumps(info))


def _drift(emulator) -> None:
    """Something to correct: a converged environment is applied without taking the lock."""
    bucket = _client(emulator).get_bucket("digitwin-live-dev-documents")
    bucket.versioning_enabled = False
    bucket.patch()


def _lock_exists(emulator) -> bool:
    return _client(emulator).bucket(BUCKET).blob("locks/dev.json").exists()


def test_a_held_lock_makes_apply_fail_fast_naming_the_holder(emulator, cli):
    assert cli("apply", "--env", "dev", "--auto-approve").code == 0
    _plant_lock(emulator)
    _drift(emulator)
    emulator.clear_requests()

    blocked = cli("apply", "--env", "dev", "--auto-approve")

    assert blocked.code == 1
    assert "ops@laptop pid 42" in blocked.err and "abc123" in blocked.err and "force-unlock" in blocked.err
    writes = [r.method_id for r in emulator.requests() if r.is_write]
    assert writes == ["storage.objects.insert"], "only the failed attempt to create the lock"
    assert not any(r.method_id == "storage.buckets.patch" for r in emulator.requests())


def test_an_expired_lease_is_taken_over_and_released(emulator, cli):
    assert cli("apply", "--env", "dev", "--auto-approve").code == 0
    _plant_lock(emulator, expires_in=timedelta(minutes=-1))
    _drift(emulator)

    applied = cli("apply", "--env", "dev", "--auto-approve")

    assert applied.code == 0, applied.err
    assert not _lock_exists(emulator), "the lock is released after the apply"


def test_force_unlock_removes_only_the_named_lock(emulator, cli):
    assert cli("apply", "--env", "dev", "--auto-approve").code == 0
    _plant_lock(emulator, lock_id="abc123")

    wrong = cli("force-unlock", "zzz999", "--env", "dev")
    assert wrong.code == 1 and "abc123" in wrong.err
    assert _lock_exists(emulator)

    right = cli("force-unlock", "abc123", "--env", "dev")
    assert right.code == 0 and "abc123" in right.out
    assert not _lock_exists(emulator)
    assert cli("apply", "--env", "dev", "--auto-approve").code == 0


def test_two_applies_started_together_exactly_one_writes(emulator, cli):
    assert cli("apply", "--env", "dev", "--auto-approve").code == 0
    _drift(emulator)
    emulator.faults.configure(latency_ms=40)
    emulator.clear_requests()

    env = {**os.environ, "PROVISIONER_ENDPOINT": emulator.url}
    command = [
        sys.executable,
        "-m",
        "provisioner",
        "apply",
        "--env",
        "dev",
        "--auto-approve",
        "--specs",
        str(SPECS),
    ]
    procs = [
        subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    results = [(*p.communicate(timeout=120), p.returncode) for p in procs]

    codes = sorted(code for _, _, code in results)
    # The other one met the lock, or took it after the first was done and found the drift it
    # had planned to correct already gone (exit 1), or planned only after it was corrected
    # (nothing to do, exit 0): whichever, it wrote nothing.
    assert codes in ([0, 1], [0, 0]), results
    for _, err, code in results:
        if code == 1:
            assert "holds the lock" in err or "plan shown is stale" in err, err
    patches = [r for r in emulator.requests() if r.method_id == "storage.buckets.patch"]
    assert len(patches) == 1, "the drift is corrected once, by the one writer"


def test_a_converged_environment_is_applied_without_taking_the_lock(emulator, cli):
    assert cli("apply", "--env", "dev", "--auto-approve").code == 0
    _plant_lock(emulator)
    emulator.clear_requests()

    again = cli("apply", "--env", "dev", "--auto-approve")

    assert again.code == 0
    assert not [r for r in emulator.requests() if r.is_write]


def test_a_lock_left_by_a_killed_process_on_this_machine_is_taken_over(emulator, cli):
    import socket

    assert cli("apply", "--env", "dev", "--auto-approve").code == 0
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    now = datetime.now(UTC)
    info = {
        "id": "dead01",
        "holder": "ci@runner",
        "operation": "apply",
        "created": now.isoformat(timespec="seconds"),
        "expires": (now + timedelta(minutes=10)).isoformat(timespec="seconds"),
        "host": socket.gethostname(),
        "pid": int(dead.stdout),
    }
    _client(emulator).bucket(BUCKET).blob("locks/dev.json").upload_from_string(json.dumps(info))
    _drift(emulator)

    applied = cli("apply", "--env", "dev", "--auto-approve")

    assert applied.code == 0, applied.err
    assert not _lock_exists(emulator)


def _applies_started_together(emulator, *extras: tuple[str, ...]) -> list[tuple[str, str, int]]:
    env = {**os.environ, "PROVISIONER_ENDPOINT": emulator.url}
    base = [
        sys.executable,
        "-m",
        "provisioner",
        "apply",
        "--env",
        "dev",
        "--auto-approve",
        "--specs",
        str(SPECS),
    ]
    procs = [
        subprocess.Popen(
            [*base, *extra], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for extra in extras
    ]
    return [(*p.communicate(timeout=600), p.returncode) for p in procs]


LOCK_OBJECT = "/b/digitwin-live-dev-provisioner-state/o"
CREATE_VERBS = ("insert", "create", "addVersion")


def _made(record) -> tuple[str, ...]:
    """What a successful create made: its collection, query (but the requestId) and name or key."""
    query = "&".join(sorted(p for p in record.query.split("&") if not p.startswith(("requestId=", "alt="))))
    body = record.body if isinstance(record.body, dict) else {}
    labels = body.get("userLabels") or body.get("labels")
    key = labels.get("digitwin-key") if isinstance(labels, dict) else None
    return (
        record.method_id,
        record.path,
        query,
        str(body.get("name") or body.get("accountId") or body.get("type") or key or ""),
    )


@pytest.mark.parametrize("faults", [False, True], ids=["clean", "with-faults"])
def test_three_first_applies_started_together_one_writes_and_one_copy_of_everything(emulator, cli, faults):
    emulator.faults.configure(latency_ms=20)
    if faults:
        # Transient refusals anywhere, and the lock's bucket, the lock and every server-named
        # monitoring create acting once before losing its answer.
        emulator.faults.configure(error_rate=0.05, seed=3)
        for method in (
            "storage.buckets.insert",
            "storage.objects.insert",
            "monitoring.projects.alertPolicies.create",
            "monitoring.projects.notificationChannels.create",
            "monitoring.projects.dashboards.create",
        ):
            emulator.faults.add_rule(FaultRule(method, 503, times=1, after_acting=True))

    results = _applies_started_together(emulator, (), (), ("--lock-timeout", "600"))

    assert sorted(code for *_, code in results) == [0, 1, 1], results
    for out, err, code in results:
        if code == 0:
            assert "Apply complete" in out and "0 failed, 0 skipped" in out, out + err
            continue
        # It met the lock and named its holder, or (waiting with --lock-timeout) took it once
        # the writer was done and found what it had planned already there.
        assert ("holds the lock" in err and "force-unlock" in err) or "plan shown is stale" in err, err
        began = re.findall(r": (?:create|update|replace|delete|abandon) started$", err, re.MULTILINE)
        assert not began and "Apply complete" not in out, "it began no change"
    writes = [r for r in emulator.requests() if r.is_write]
    log = [r for r in writes if 200 <= r.status < 300]

    def lock_machinery(r) -> bool:
        return LOCK_OBJECT in r.path or (r.method_id == "storage.buckets.insert" and r.body["name"] == BUCKET)

    # The lock's bucket, then the lock, then anything else (a lost answer is logged as the 503
    # the client got, so the order is read from every write sent, whatever it was answered).
    home = next(i for i, r in enumerate(writes) if lock_machinery(r) and LOCK_OBJECT not in r.path)
    lock = next(i for i, r in enumerate(writes) if LOCK_OBJECT in r.path and i > home)
    other = next(i for i, r in enumerate(writes) if 200 <= r.status < 300 and not lock_machinery(r))
    assert home < lock < other, (home, lock, other)
    if not faults:
        assert (log[0].method_id, log[0].body["name"]) == ("storage.buckets.insert", BUCKET)
    made = Counter(_made(r) for r in log if r.method_id.rsplit(".", 1)[-1] in CREATE_VERBS)
    twice = {key: n for key, n in made.items() if n > 1 and LOCK_OBJECT not in key[1]}
    assert not twice, twice
    emulator.faults.clear()  # the reads below are the test's own
    monitoring = emulator.url + "/v3/projects/digitwin-live-dev"
    policies = requests.get(f"{monitoring}/alertPolicies", timeout=10).json()["alertPolicies"]
    channels = requests.get(f"{monitoring}/notificationChannels", timeout=10).json()["notificationChannels"]
    dashboards = requests.get(f"{emulator.url}/v1/projects/digitwin-live-dev/dashboards", timeout=10).json()
    assert len(policies) == 4 and len(channels) == 1 and len(dashboards["dashboards"]) == 1
    assert not _lock_exists(emulator), "every lock taken was released"
    assert cli("plan", "--env", "dev", "--detailed-exitcode").code == 0, "converged, with no copy to prune"
