"""State across restarts, the request log, and injected faults."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path

import pytest
import requests
from google.api_core import exceptions
from google.auth.credentials import AnonymousCredentials
from google.cloud import storage

from emulator import Emulator, EmulatorConfig, FaultRule
from tests.emulator.conftest import PROJECT


def _client(emu: Emulator) -> storage.Client:
    return storage.Client(
        project=PROJECT, credentials=AnonymousCredentials(), client_options={"api_endpoint": emu.base_url}
    )


def test_state_survives_restart_on_same_file(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite"
    first = Emulator(EmulatorConfig(state_path=path, projects=[PROJECT]))
    first.start()
    _client(first).create_bucket("digitwin-persist")
    first.close()
    second = Emulator(EmulatorConfig(state_path=path))
    second.start()
    try:
        assert _client(second).get_bucket("digitwin-persist").metageneration == 1
    finally:
        second.close()


def test_request_log_records_method_ids_and_writes(emu: Emulator, gcs: storage.Client) -> None:
    gcs.create_bucket("digitwin-log")
    gcs.get_bucket("digitwin-log")
    records = emu.requests()
    assert [r.method_id for r in records] == ["storage.buckets.insert", "storage.buckets.get"]
    assert [r.is_write for r in records] == [True, False]
    emu.clear_requests()
    list(gcs.list_buckets())
    assert not any(r.is_write for r in emu.requests())
    with urllib.request.urlopen(emu.base_url + "/_emulator/requests") as resp:
        assert json.load(resp)["requests"][0]["method_id"] == "storage.buckets.list"


def test_request_log_keeps_json_bodies_without_credentials(emu: Emulator, gcs: storage.Client) -> None:
    gcs.create_bucket("digitwin-bodies")
    user = {"name": "app", "password": "hunter2-hunter2", "payload": {"data": "c2VjcmV0"}}
    requests.post(f"{emu.base_url}/v1/projects/{PROJECT}/instances/pg/users", json=user, timeout=5)
    created, sent = emu.requests()
    assert created.body == {"name": "digitwin-bodies"}
    assert sent.body == {"name": "app", "password": "(redacted)", "payload": {"data": "(redacted)"}}
    with urllib.request.urlopen(emu.base_url + "/_emulator/requests") as resp:
        logged = resp.read().decode()
    assert '"name": "digitwin-bodies"' in logged and "hunter2" not in logged and "c2VjcmV0" not in logged


def test_a_state_file_from_before_bodies_were_logged_still_opens(tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "old.sqlite"
    old = sqlite3.connect(path)
    old.execute(
        "CREATE TABLE requests (seq INTEGER PRIMARY KEY AUTOINCREMENT, method_id TEXT,"
        " http_method TEXT NOT NULL, path TEXT NOT NULL, query TEXT NOT NULL,"
        " status INTEGER NOT NULL, ts REAL NOT NULL)"
    )
    old.execute("INSERT INTO requests VALUES (1, 'storage.buckets.list', 'GET', '/storage/v1/b', '', 200, 0)")
    old.commit()
    old.close()
    emu = Emulator(EmulatorConfig(state_path=path, projects=[PROJECT]))
    emu.start()
    try:
        _client(emu).create_bucket("digitwin-after")
        assert [(r.method_id, r.body) for r in emu.requests()] == [
            ("storage.buckets.list", None),
            ("storage.buckets.insert", {"name": "digitwin-after"}),
        ]
    finally:
        emu.close()


def test_deterministic_rule_fires_exactly_n_times(emu: Emulator) -> None:
    emu.faults.add_rule(FaultRule(method="storage.buckets.*", status=503, times=2))
    url = f"{emu.base_url}/storage/v1/b?project={PROJECT}"
    statuses = [requests.get(url, timeout=5).status_code for _ in range(4)]
    assert statuses == [503, 503, 200, 200]
    body = requests.get(f"{emu.base_url}/_emulator/health", timeout=5)
    assert body.status_code == 200


def test_429_carries_retry_hints(emu: Emulator) -> None:
    emu.faults.add_rule(FaultRule(method="storage.buckets.list", status=429, times=1))
    resp = requests.get(f"{emu.base_url}/storage/v1/b?project={PROJECT}", timeout=5)
    assert resp.status_code == 429
    assert resp.headers["Retry-After"]
    details = resp.json()["error"]["details"]
    assert any(d["@type"].endswith("RetryInfo") and d["retryDelay"] for d in details)


def _run_random(seed: int) -> list[int]:
    emu = Emulator(EmulatorConfig(projects=[PROJECT]))
    emu.start()
    try:
        emu.faults.configure(error_rate=0.4, seed=seed)
        return [
            requests.get(f"{emu.base_url}/storage/v1/b?project={PROJECT}", timeout=5).status_code
            for _ in range(30)
        ]
    finally:
        emu.close()


def test_seeded_random_faults_replay_identically() -> None:
    first = _run_random(7)
    assert first == _run_random(7)
    assert {429, 503, 200} <= set(first) or len(set(first)) > 1


def test_dropped_connection_really_drops(emu: Emulator) -> None:
    emu.faults.add_rule(FaultRule(method="storage.buckets.list", status=0, times=1))
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.get(f"{emu.base_url}/storage/v1/b?project={PROJECT}", timeout=5)
    assert requests.get(f"{emu.base_url}/storage/v1/b?project={PROJECT}", timeout=5).status_code == 200


def test_drop_rate_through_control_endpoint(emu: Emulator) -> None:
    requests.post(f"{emu.base_url}/_emulator/faults", json={"drop_rate": 1.0}, timeout=5)
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.get(f"{emu.base_url}/storage/v1/b?project={PROJECT}", timeout=5)
    requests.delete(f"{emu.base_url}/_emulator/faults", timeout=5)
    assert requests.get(f"{emu.base_url}/storage/v1/b?project={PROJECT}", timeout=5).status_code == 200


def test_failed_operation_reports_error(emu: Emulator) -> None:
    from google.api_core.client_options import ClientOptions
    from google.cloud import kms_v1

    kms = kms_v1.KeyManagementServiceClient(
        transport="rest",
        credentials=AnonymousCredentials(),
        client_options=ClientOptions(api_endpoint=emu.base_url),
    )
    parent = f"projects/{PROJECT}/locations/us-central1"
    ring = kms.create_key_ring(parent=parent, key_ring_id="kr", key_ring={})
    key = kms.create_crypto_key(
        request={
            "parent": ring.name,
            "crypto_key_id": "k",
            "crypto_key": {"purpose": 1},
            "skip_initial_version_creation": True,
        }
    )
    emu.faults.configure(operation_failure_rate=1.0)
    with pytest.raises(exceptions.GoogleAPICallError):
        kms.delete_crypto_key(name=key.name).result(timeout=5)
    assert kms.get_crypto_key(name=key.name).name == key.name


def test_control_endpoint_lists_operations_with_when_they_finish(emu: Emulator) -> None:
    network = {"name": "digitwin-ops", "autoCreateSubnetworks": False}
    url = f"{emu.base_url}/compute/v1/projects/{PROJECT}/global/networks"
    op = requests.post(url, json=network, timeout=5)
    assert op.status_code == 200, op.text
    with urllib.request.urlopen(emu.base_url + "/_emulator/operations") as resp:
        listed = json.load(resp)["operations"]
    mine = [o for o in listed if o["name"].endswith(op.json()["name"])]
    assert len(mine) == 1 and mine[0]["done_at"] >= mine[0]["created"]


def test_a_clock_moved_forward_stays_forward_after_a_restart(tmp_path: Path) -> None:
    # Operations scheduled in moved-forward time must not lie in the future of a restarted emulator.
    state = tmp_path / "clock.sqlite"
    first = Emulator(EmulatorConfig(state_path=state, projects=[PROJECT]))
    first.advance_time(86400)
    moved = first.clock.now()
    first.close()

    second = Emulator(EmulatorConfig(state_path=state, projects=[PROJECT]))
    try:
        assert second.clock.now() >= moved
    finally:
        second.close()


def _insert_bucket(emu: Emulator, name: str) -> requests.Response:
    return requests.post(f"{emu.base_url}/storage/v1/b?project={PROJECT}", json={"name": name}, timeout=5)


def test_a_lost_answer_rule_acts_then_fails_the_answer(emu: Emulator) -> None:
    requests.post(
        f"{emu.base_url}/_emulator/faults",
        json={"rules": [{"method": "storage.buckets.insert", "status": 503, "after_acting": True}]},
        timeout=5,
    )

    first = _insert_bucket(emu, "digitwin-lost-answer")
    again = _insert_bucket(emu, "digitwin-lost-answer")

    assert first.status_code == 503 and first.json()["error"]["code"] == 503
    assert again.status_code == 409, "the first insert took effect although it answered 503"
    assert _client(emu).get_bucket("digitwin-lost-answer").name == "digitwin-lost-answer"
    log = [(r.method_id, r.status) for r in emu.requests() if r.method_id == "storage.buckets.insert"]
    assert log == [("storage.buckets.insert", 503), ("storage.buckets.insert", 409)]


def test_a_lost_answer_is_not_spent_on_a_refused_write_and_can_drop_the_connection(emu: Emulator) -> None:
    _client(emu).create_bucket("digitwin-taken")
    emu.faults.add_rule(FaultRule("storage.buckets.insert", 0, times=1, after_acting=True))

    refused = _insert_bucket(emu, "digitwin-taken")
    with pytest.raises(requests.exceptions.ConnectionError):
        _insert_bucket(emu, "digitwin-dropped")

    assert refused.status_code == 409, "a write that did nothing keeps its own answer"
    assert _client(emu).lookup_bucket("digitwin-dropped") is not None
    assert [r.status for r in emu.requests() if r.method_id == "storage.buckets.insert"][-2:] == [409, 0]


def _run_lost_answers(seed: int) -> list[int]:
    emu = Emulator(EmulatorConfig(projects=[PROJECT]))
    emu.start()
    try:
        emu.faults.configure(lost_answer_rate=0.5, seed=seed)
        statuses = []
        for i in range(20):
            try:
                statuses.append(_insert_bucket(emu, f"digitwin-seeded-{i}").status_code)
            except requests.exceptions.ConnectionError:
                statuses.append(0)
        assert len(list(_client(emu).list_buckets(prefix="digitwin-seeded-"))) == 20
        return statuses
    finally:
        emu.close()


def test_seeded_lost_answers_replay_identically_and_every_write_took_effect() -> None:
    first = _run_lost_answers(11)
    assert first == _run_lost_answers(11)
    assert {0, 503, 200} <= set(first)
