"""One writer per environment: the lease lock in the provisioner's bucket."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from google.auth.credentials import AnonymousCredentials
from google.cloud import storage

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
