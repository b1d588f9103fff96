"""Cloud SQL instances.clone: the README's point-in-time recovery runbook makes a new instance."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from googleapiclient.errors import HttpError

from emulator import Emulator
from tests.emulator.conftest import PROJECT
from tests.emulator.conftest import sqladmin as _client
from tests.emulator.test_sqladmin import DELAY_S, _create

PITR = {
    "backupConfiguration": {
        "enabled": True,
        "pointInTimeRecoveryEnabled": True,
        "transactionLogRetentionDays": 7,
    },
    "userLabels": {"env": "prod"},
}


def _clone(sql: Any, source: str, dest: str, **context: Any) -> Any:
    body = {"cloneContext": {"kind": "sql#cloneContext", "destinationInstanceName": dest, **context}}
    return sql.instances().clone(project=PROJECT, instance=source, body=body)


def _refusal(request: Any) -> tuple[int, str]:
    with pytest.raises(HttpError) as exc:
        request.execute()
    return exc.value.status_code, json.loads(exc.value.content)["error"]["message"]


def test_point_in_time_clone_is_a_new_instance_shaped_like_its_source(slow: Emulator) -> None:
    sql = _client(slow)
    _create(slow, sql, "pg", **PITR)
    sql.databases().insert(project=PROJECT, instance="pg", body={"name": "app"}).execute()
    slow.advance_time(3 * 3600)
    when = sql.instances().get(project=PROJECT, instance="pg").execute()["createTime"]
    point = (datetime.fromisoformat(when.replace("Z", "+00:00")) + timedelta(hours=1)).strftime(
        "%Y-%m-%dT%H:%M:%SZ"
    )

    op = _clone(sql, "pg", "pg-pitr", pointInTime=point).execute()
    assert op["operationType"] == "CLONE" and op["status"] == "PENDING"
    assert op["targetId"] == "pg-pitr" and op["targetLink"].endswith(f"/projects/{PROJECT}/instances/pg-pitr")
    assert sql.instances().get(project=PROJECT, instance="pg-pitr").execute()["state"] == "PENDING_CREATE"
    slow.advance_time(DELAY_S * 30)
    assert sql.operations().get(project=PROJECT, operation=op["name"]).execute()["status"] == "DONE"

    source = sql.instances().get(project=PROJECT, instance="pg").execute()
    clone = sql.instances().get(project=PROJECT, instance="pg-pitr").execute()
    assert clone["state"] == "RUNNABLE"
    assert clone["connectionName"] == f"{PROJECT}:us-central1:pg-pitr"
    assert clone["databaseVersion"] == source["databaseVersion"]
    assert clone["serverCaCert"]["instance"] == "pg-pitr"
    assert clone["serviceAccountEmailAddress"] != source["serviceAccountEmailAddress"]
    assert clone["settings"]["tier"] == source["settings"]["tier"]
    assert clone["settings"]["userLabels"] == {"env": "prod"}
    assert clone["settings"]["backupConfiguration"]["pointInTimeRecoveryEnabled"] is True
    assert clone["settings"]["settingsVersion"] == "1"
    assert set(clone) == set(source)  # the same shape as any instance the emulator serves
    databases = sql.databases().list(project=PROJECT, instance="pg-pitr").execute()["items"]
    assert sorted(d["name"] for d in databases) == ["app", "postgres"]
    assert all(d["instance"] == "pg-pitr" for d in databases)

    # The name is taken now.
    status, _ = _refusal(_clone(sql, "pg", "pg-pitr"))
    assert status == 409


def test_point_in_time_needs_pitr_and_a_moment_within_the_log_retention(emu: Emulator) -> None:
    sql = _client(emu)
    _create(emu, sql, "plain", backupConfiguration={"enabled": True})
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    status, message = _refusal(_clone(sql, "plain", "plain-pitr", pointInTime=now))
    assert status == 400 and "Point-in-time recovery is not enabled" in message
    # Without a point in time, any instance can be cloned as it is now.
    assert _clone(sql, "plain", "plain-copy").execute()["operationType"] == "CLONE"

    _create(emu, sql, "pg", **PITR)
    long_ago = (datetime.now(UTC) - timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%SZ")
    status, message = _refusal(_clone(sql, "pg", "pg-old", pointInTime=long_ago))
    assert status == 400 and "outside the recovery window" in message
    future = (datetime.now(UTC) + timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert _refusal(_clone(sql, "pg", "pg-future", pointInTime=future))[0] == 400
    assert _refusal(_clone(sql, "pg", ""))[0] == 400
    assert _refusal(_clone(sql, "missing", "x"))[0] == 404
    listed = sql.instances().list(project=PROJECT).execute()["items"]
    assert sorted(i["name"] for i in listed) == ["pg", "plain", "plain-copy"]
