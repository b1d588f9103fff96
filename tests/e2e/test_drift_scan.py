"""`drift` reports what differs from the spec and what is not ours, and never writes."""

from __future__ import annotations

import json
import re

from google.auth.credentials import AnonymousCredentials
from google.cloud import storage

DOCUMENTS = "digitwin-live-dev-documents"
HANDMADE = "digitwin-live-dev-handmade-scratch"


def _client(emulator) -> storage.Client:
    return storage.Client(
        project="digitwin-live-dev",
        credentials=AnonymousCredentials(),
        client_options={"api_endpoint": emulator.url},
    )


def _coverage(text: str) -> float:
    match = re.search(r"Coverage: ([0-9.]+)%", text)
    assert match, text
    return float(match.group(1))


def test_drift_is_clean_after_apply_then_reports_changes_and_unmanaged_resources(emulator, cli):
    assert cli("apply", "--env", "dev", "--auto-approve").code == 0
    emulator.clear_requests()

    clean = cli("drift", "--env", "dev")

    assert clean.code == 0, clean.out + clean.err
    assert "No drift" in clean.out
    assert "Changed outside" not in clean.out
    baseline = _coverage(clean.out)
    assert baseline > 90

    client = _client(emulator)
    bucket = client.get_bucket(DOCUMENTS)
    bucket.versioning_enabled = False
    bucket.patch()
    client.create_bucket(HANDMADE)
    emulator.clear_requests()

    drifted = cli("drift", "--env", "dev")

    assert drifted.code == 2, drifted.out + drifted.err
    assert not [r for r in emulator.requests() if r.is_write]
    out = drifted.out
    assert f"~ storage.bucket/{DOCUMENTS}" in out
    assert "versioning.enabled:" in out
    assert "live:    false" in out and "desired: true" in out
    assert f"? storage.bucket/{HANDMADE}" in out and "not named by the spec" in out
    assert _coverage(out) < baseline

    as_json = cli("drift", "--env", "dev", "--format", "json")
    assert as_json.code == 2
    report = json.loads(as_json.out)
    assert report["in_sync"] is False
    (item,) = report["drifted"]
    assert item["address"] == f"storage.bucket/{DOCUMENTS}"
    assert item["fields"] == [{"path": "versioning.enabled", "live": False, "desired": True}]
    assert {"address": f"storage.bucket/{HANDMADE}", "kind": "storage.bucket", "reason": "foreign"} in report[
        "unmanaged"
    ]
    assert report["coverage"] < baseline

    markdown = cli("drift", "--env", "dev", "--format", "markdown")
    assert f"| `storage.bucket/{DOCUMENTS}` | `versioning.enabled` | `false` | `true` |" in markdown.out


def test_a_bucket_under_our_name_without_our_labels_is_drift(emulator, cli):
    assert cli("apply", "--env", "dev", "--auto-approve").code == 0
    bucket = _client(emulator).get_bucket(DOCUMENTS)
    bucket.labels = {}
    bucket.patch()

    result = cli("drift", "--env", "dev")

    assert result.code == 2
    assert f"? storage.bucket/{DOCUMENTS}" in result.out and "without our labels" in result.out
