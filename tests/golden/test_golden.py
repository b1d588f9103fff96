"""What the provisioner sends to Google, per kind, is pinned in tests/golden: a change shows as a diff.

`pytest tests/golden --update-golden` (or `make golden`) rewrites the logs for review.
"""

from __future__ import annotations

import shutil

import pytest

from provisioner.traffic.http_log import parse, render
from provisioner.traffic.http_record import LOG_NAME
from reconcilers import all_reconcilers
from tests.golden import record as golden


@pytest.fixture
def checked_in():
    return golden.on_disk()


def test_what_we_send_matches_the_golden_logs(request):
    # The only test that records (an apply from empty, a drift correction, a prune): the others
    # read the logs as checked in.
    recorded = golden.record()
    if request.config.getoption("--update-golden"):
        golden.write(recorded)
    diffs = golden.differences(recorded, golden.on_disk(), requests_only=True)
    assert not diffs, (
        "What the provisioner sends has changed. If that is meant, rewrite the golden logs with"
        " `make golden` and review them with `git diff tests/golden`:\n\n" + "\n".join(diffs)
    )


def test_every_kind_has_golden_logs_and_a_line_in_the_index(checked_in):
    recorded = checked_in
    kinds = {kind.meta.kind for reconciler in all_reconcilers() for kind in reconciler.kinds}
    logged = {path.split("/", 1)[0] for path in recorded if path.endswith(LOG_NAME)}
    assert kinds == logged, (
        f"kinds without golden logs: {sorted(kinds - logged)} (run `make golden`; a kind the recorded"
        f" environment, {golden.ENV}, does not have needs it added there)"
    )
    index = recorded[golden.INDEX]
    assert all(f"\n{kind}: create " in index for kind in kinds)
    problems = [line for line in index.splitlines() if golden.MISSING_DRIFT in line]
    assert not problems, "drifts that could not be made (see tests/golden/drifts.py):\n" + "\n".join(problems)
    # Made by another change's request (the node pools by their cluster's create): no log, said so.
    assert "gke.node_pool: create -;" in index
    # What was changed by hand is put back by the drift logs, one per kind that can drift.
    assert "PATCH " in recorded["compute.firewall/drift/_http.log"]
    assert '"0.0.0.0/0"' not in golden.requests_of(recorded["compute.firewall/drift/_http.log"])


def test_golden_logs_are_in_the_corpus_format_and_hold_no_secret(checked_in):
    recorded = checked_in
    for relative, text in recorded.items():
        if not relative.endswith(LOG_NAME):
            continue
        exchanges = parse(text)
        assert exchanges, relative
        assert render(exchanges) + "\n" == text, relative  # every body is JSON, every line parses back
        for e in exchanges:
            assert e.url.startswith("https://") and ".googleapis.com/" in e.url, e.url
            assert "digitwin-live-dev" not in text and "127.0.0.1" not in text
            assert not any(k.lower() == "authorization" for k, _ in e.request_headers)
    user = parse(recorded["sql.user/create/_http.log"])
    (create,) = [e for e in user if e.method == "POST"]
    assert create.request_body["password"] == "(sensitive)"
    version = parse(recorded["secrets.generated_value/create/_http.log"])
    assert version[0].request_body == {"payload": {"data": "(sensitive)"}}


def test_the_update_makes_the_folder_hold_exactly_the_recording(checked_in, tmp_path):
    recorded = checked_in
    folder = tmp_path / "golden"
    shutil.copytree(golden.GOLDEN, folder, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    (folder / "compute.gone" / "create").mkdir(parents=True)
    (folder / "compute.gone" / "create" / LOG_NAME).write_text("GET https://x.googleapis.com/a\n\n200 OK")
    changed = "compute.firewall/create/_http.log"
    (folder / changed).write_text((folder / changed).read_text().replace("PATCH", "PUT"))

    golden.write(recorded, folder)

    assert golden.on_disk(folder) == recorded
    assert not (folder / "compute.gone").exists()
    assert golden.differences(recorded, golden.on_disk(folder)) == []


def test_a_changed_request_fails_with_a_readable_diff(checked_in):
    recorded = checked_in
    changed = dict(recorded)
    path = "compute.firewall/drift/_http.log"
    changed[path] = changed[path].replace('"35.191.0.0/16"', '"35.191.0.0/17"', 1)
    diffs = golden.differences(recorded, changed, requests_only=True)
    assert len(diffs) == 1
    assert f"--- checked in: tests/golden/{path}" in diffs[0]
    assert '-    "35.191.0.0/17",' in diffs[0] and '+    "35.191.0.0/16",' in diffs[0]
    # An answer the emulator words differently is not a change in what we send.
    answers = dict(recorded)
    answers[path] = answers[path].replace('"kind": "compute#operation"', '"kind": "compute#op"')
    assert golden.differences(recorded, answers, requests_only=True) == []
