"""`--record-http DIR`: a command's API exchanges, written as the recorded real-GCP corpus writes them."""

from __future__ import annotations

import base64
import json
import urllib.request

from provisioner.traffic.http_log import parse

PROJECT = "digitwin-live-dev"


def _logs(folder, prefix):
    runs = sorted(p for p in folder.iterdir() if p.name.startswith(prefix))
    return [(run / "_http.log").read_text() for run in runs]


def _password(emulator) -> str:
    url = f"{emulator.url}/v1/projects/{PROJECT}/secrets/digitwin-db-password/versions/latest:access"
    with urllib.request.urlopen(url) as answer:
        return base64.b64decode(json.load(answer)["payload"]["data"]).decode()


def test_apply_plan_and_drift_each_write_a_log_the_corpus_format_reads_back(emulator, cli, tmp_path):
    logs = tmp_path / "http"
    emulator.clear_requests()

    applied = cli("apply", "--env", "dev", "--auto-approve", "--record-http", str(logs))

    assert applied.code == 0, applied.err
    (text,) = _logs(logs, "apply-dev-")
    exchanges = parse(text)
    # Every exchange, from every thread of a parallel apply, and nothing twice.
    assert len(exchanges) == len(emulator.requests())
    assert f"Recorded {len(exchanges)} HTTP exchange(s) in {logs}" in applied.err
    # Written as Google's hosts, with the corpus's placeholders, and without credentials.
    assert all(e.url.startswith("https://") and ".googleapis.com/" in e.url for e in exchanges)
    assert emulator.url not in text and PROJECT not in text
    assert "${projectId}" in text and "${projectNumber}" in text and "${operationID}" in text
    assert "2024-04-01T12:34:56.123456Z" in text and '"etag": "abcdef0123A="' in text
    assert not any(
        k.lower() in ("authorization", "user-agent") for e in exchanges for k, _ in e.request_headers
    )
    # The generated database password is nowhere, plain or base64, not even in the secret's answers.
    password = _password(emulator)
    assert password not in text and base64.b64encode(password.encode()).decode() not in text
    (user,) = [e for e in exchanges if e.method == "POST" and e.url.split("?")[0].endswith("/users")]
    assert user.request_body["password"] == "(sensitive)"

    assert cli("plan", "--env", "dev", "--record-http", str(logs)).code == 0
    assert cli("drift", "--env", "dev", "--record-http", str(logs)).code == 0
    for prefix in ("plan-dev-", "drift-dev-"):
        (text,) = _logs(logs, prefix)
        reads = parse(text)
        assert reads and {e.method for e in reads} <= {"GET", "POST"}
        assert password not in text


def test_show_requests_records_the_reads_that_went_out_and_none_of_the_held_writes(emulator, cli, tmp_path):
    logs = tmp_path / "http"
    emulator.clear_requests()

    planned = cli("plan", "--env", "dev", "--show-requests", "--record-http", str(logs))

    assert planned.code == 0, planned.err
    (text,) = _logs(logs, "plan-dev-")
    exchanges = parse(text)
    assert len(exchanges) == len(emulator.requests())
    assert not [r for r in emulator.requests() if r.is_write]
    assert not [e for e in exchanges if e.method in ("PUT", "PATCH", "DELETE")]


def test_a_record_folder_that_cannot_be_made_is_refused_before_any_api_call(emulator, cli, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    emulator.clear_requests()

    refused = cli("plan", "--env", "dev", "--record-http", str(blocker))

    assert refused.code == 1
    assert f"--record-http {blocker}: not a folder" in refused.err
    assert "Traceback" not in refused.err
    assert emulator.requests() == []


def test_every_command_that_calls_an_api_takes_record_http():
    from provisioner.cli.main import build_parser

    parser = build_parser()
    for argv in (
        ["plan", "--env", "dev"],
        ["apply", "--env", "dev"],
        ["drift", "--env", "dev"],
        ["graph", "--env", "dev"],
        ["cost", "--env", "dev"],
        ["force-unlock", "x", "--env", "dev"],
        ["backups", "list", "--env", "dev"],
        ["backups", "create", "--env", "dev"],
        ["restore", "--env", "dev", "--backup-id", "1"],
    ):
        assert str(parser.parse_args([*argv, "--record-http", "out"]).record_http) == "out"


def test_with_the_embedded_emulator_its_address_is_written_as_google_hosts(cli, tmp_path, monkeypatch):
    monkeypatch.delenv("PROVISIONER_ENDPOINT", raising=False)
    logs = tmp_path / "http"

    planned = cli(
        "plan", "--env", "dev", "--local", "--state-dir", str(tmp_path / "state"), "--record-http", str(logs)
    )

    assert planned.code == 0, planned.err
    (text,) = _logs(logs, "plan-dev-")
    exchanges = parse(text)
    assert exchanges and "127.0.0.1" not in text and "localhost" not in text
    assert all(e.url.startswith("https://") and ".googleapis.com/" in e.url for e in exchanges)
