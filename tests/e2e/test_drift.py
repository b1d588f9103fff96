"""An out-of-band change shows up in the plan as exactly that field, and apply puts it back."""

from __future__ import annotations

import json

from google.auth.credentials import AnonymousCredentials
from google.cloud import storage


def _bucket(emulator, name):
    client = storage.Client(
        project="digitwin-live-dev",
        credentials=AnonymousCredentials(),
        client_options={"api_endpoint": emulator.url},
    )
    return client, client.get_bucket(name)


def test_lifecycle_changed_by_hand_is_reported_and_reverted(emulator, cli):
    assert cli("apply", "--env", "dev", "--auto-approve").code == 0
    name = "digitwin-live-dev-conversation-history"
    _, bucket = _bucket(emulator, name)
    original = bucket._properties["lifecycle"]
    bucket.lifecycle_rules = [{"action": {"type": "Delete"}, "condition": {"age": 1}}]
    bucket.patch()

    planned = cli("plan", "--env", "dev", "--format", "json", "--detailed-exitcode")

    assert planned.code == 2
    plan = json.loads(planned.out)
    (change,) = [c for c in plan["changes"] if c["action"] != "noop"]
    assert change["address"] == f"storage.bucket/{name}"
    assert change["action"] == "update"
    assert [f["path"] for f in change["fields"]] == ["lifecycle.rule"]
    assert change["fields"][0]["before"] == [{"action": {"type": "Delete"}, "condition": {"age": 1}}]
    assert change["fields"][0]["after"] == original["rule"]

    text = cli("plan", "--env", "dev")
    assert f"~ storage.bucket/{name}" in text.out
    assert "lifecycle.rule:" in text.out and "→" in text.out

    assert cli("apply", "--env", "dev", "--auto-approve").code == 0
    _, bucket = _bucket(emulator, name)
    assert bucket._properties["lifecycle"] == original
    assert cli("plan", "--env", "dev", "--detailed-exitcode").code == 0


def test_saved_plan_refuses_when_the_live_side_moved(emulator, cli, tmp_path):
    assert cli("apply", "--env", "dev", "--auto-approve").code == 0
    name = "digitwin-live-dev-documents"
    _, bucket = _bucket(emulator, name)
    bucket.versioning_enabled = False
    bucket.patch()
    planfile = tmp_path / "plan.json"
    assert cli("plan", "--env", "dev", "--out", str(planfile), "--detailed-exitcode").code == 2

    _, bucket = _bucket(emulator, name)
    bucket.labels = {**bucket.labels, "team": "voice"}
    bucket.patch()
    emulator.clear_requests()

    stale = cli("apply", str(planfile), "--auto-approve")

    assert stale.code == 1
    assert f"storage.bucket/{name}" in stale.err and "stale" in stale.err
    assert not [r for r in emulator.requests() if r.is_write]

    fresh = tmp_path / "fresh.json"
    assert cli("plan", "--env", "dev", "--out", str(fresh)).code == 0
    applied = cli("apply", str(fresh), "--auto-approve")
    assert applied.code == 0, applied.err
    assert cli("plan", "--env", "dev", "--detailed-exitcode").code == 0
