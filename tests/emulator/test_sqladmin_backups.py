"""Cloud SQL backup runs and restoreBackup, through the googleapiclient discovery client."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from googleapiclient.errors import HttpError

from emulator import Emulator
from emulator.clock import parse_rfc3339
from tests.emulator.conftest import PROJECT, SLOW_OPERATION_S
from tests.emulator.conftest import sqladmin as _client

DELAY_S = SLOW_OPERATION_S
DAY_S = 86_400.0


def _error(exc: pytest.ExceptionInfo[HttpError]) -> tuple[int, str, str]:
    error = json.loads(exc.value.content)["error"]
    return exc.value.status_code, error["errors"][0]["reason"], error["message"]


def _create(
    emu: Emulator, sql: Any, name: str = "pg", version: str = "POSTGRES_15", **backups: Any
) -> dict[str, Any]:
    body = {
        "name": name,
        "databaseVersion": version,
        "region": "us-central1",
        "settings": {"tier": "db-custom-1-3840", "backupConfiguration": backups},
    }
    sql.instances().insert(project=PROJECT, body=body).execute()
    emu.advance_time(emu.ctx.operations.delay_s)
    return sql.instances().get(project=PROJECT, instance=name).execute()


def _runs(sql: Any, instance: str = "pg") -> list[dict[str, Any]]:
    return sql.backupRuns().list(project=PROJECT, instance=instance).execute().get("items", [])


def _databases(sql: Any, instance: str = "pg") -> list[str]:
    return [d["name"] for d in sql.databases().list(project=PROJECT, instance=instance).execute()["items"]]


def test_an_on_demand_backup_is_an_operation_and_a_run_that_completes_with_it(slow: Emulator) -> None:
    sql = _client(slow)
    _create(slow, sql)
    op = sql.backupRuns().insert(project=PROJECT, instance="pg", body={"description": "before v2"}).execute()

    assert op["operationType"] == "BACKUP_VOLUME" and op["targetId"] == "pg"
    backup_id = op["backupContext"]["backupId"]
    assert backup_id.isdigit() and op["backupContext"]["kind"] == "sql#backupContext"
    (run,) = _runs(sql)
    assert (run["id"], run["status"], run["type"]) == (backup_id, "ENQUEUED", "ON_DEMAND")
    # The instance takes one operation at a time: a backup in flight holds off everything else.
    with pytest.raises(HttpError) as exc:
        sql.instances().restart(project=PROJECT, instance="pg").execute()
    assert _error(exc)[:2] == (409, "operationInProgress")
    slow.advance_time(DELAY_S / 2)
    assert sql.backupRuns().get(project=PROJECT, instance="pg", id=backup_id).execute()["status"] == "RUNNING"

    slow.advance_time(DELAY_S)
    run = sql.backupRuns().get(project=PROJECT, instance="pg", id=backup_id).execute()
    assert sql.operations().get(project=PROJECT, operation=op["name"]).execute()["status"] == "DONE"
    assert run["kind"] == "sql#backupRun" and run["status"] == "SUCCESSFUL"
    assert run["backupKind"] == "SNAPSHOT" and run["location"] == "us" and run["instance"] == "pg"
    assert run["description"] == "before v2" and run["databaseVersion"] == "POSTGRES_15"
    assert (
        parse_rfc3339(run["enqueuedTime"]) < parse_rfc3339(run["startTime"]) < parse_rfc3339(run["endTime"])
    )
    assert run["windowStartTime"] == run["enqueuedTime"]
    assert run["selfLink"].endswith(f"/v1/projects/{PROJECT}/instances/pg/backupRuns/{backup_id}")
    assert "error" not in run and "project" not in run


def test_runs_are_listed_newest_first_and_pages_follow_on(emu: Emulator) -> None:
    sql = _client(emu)
    _create(emu, sql)
    ids = []
    for n in range(3):
        op = sql.backupRuns().insert(project=PROJECT, instance="pg", body={"description": f"b{n}"}).execute()
        ids.append(op["backupContext"]["backupId"])
        emu.advance_time(1)

    assert [r["id"] for r in _runs(sql)] == ids[::-1]
    first = sql.backupRuns().list(project=PROJECT, instance="pg", maxResults=2).execute()
    rest = sql.backupRuns().list(project=PROJECT, instance="pg", pageToken=first["nextPageToken"]).execute()
    assert [r["description"] for r in first["items"] + rest["items"]] == ["b2", "b1", "b0"]
    assert "nextPageToken" not in rest


def test_automated_backups_follow_the_daily_window_and_retention(emu: Emulator) -> None:
    sql = _client(emu)
    _create(
        emu,
        sql,
        enabled=True,
        startTime="03:00",
        transactionLogRetentionDays=1,
        backupRetentionSettings={"retainedBackups": 2},
    )
    _create(emu, sql, name="plain")  # backups off: only on-demand ones
    assert _runs(sql) == []

    now = emu.clock.datetime()
    next_window = now.replace(hour=3, minute=0, second=0, microsecond=0)
    if next_window <= now:
        next_window += timedelta(days=1)
    emu.advance_time((next_window - now).total_seconds() + 3600)  # an hour past the next window
    (first,) = _runs(sql)
    assert first["type"] == "AUTOMATED" and first["status"] == "SUCCESSFUL"
    assert parse_rfc3339(first["windowStartTime"]) == next_window
    assert parse_rfc3339(first["startTime"]) > next_window
    assert "description" not in first

    emu.advance_time(3 * DAY_S)
    runs = _runs(sql)
    assert [r["type"] for r in runs] == ["AUTOMATED", "AUTOMATED"]  # two kept of four windows
    assert [parse_rfc3339(r["windowStartTime"]) for r in runs] == [
        next_window + timedelta(days=3),
        next_window + timedelta(days=2),
    ]
    assert _runs(sql, "plain") == []
    assert {
        r["instance"] for r in sql.backupRuns().list(project=PROJECT, instance="-").execute()["items"]
    } == {"pg"}


def test_unknown_or_malformed_ids_and_instances(emu: Emulator) -> None:
    sql = _client(emu)
    _create(emu, sql)
    with pytest.raises(HttpError) as exc:
        sql.backupRuns().get(project=PROJECT, instance="pg", id="12345").execute()
    assert _error(exc) == (404, "backupRunDoesNotExist", "The backup run does not exist.")
    with pytest.raises(HttpError) as exc:
        sql.backupRuns().get(project=PROJECT, instance="pg", id="latest").execute()
    assert _error(exc)[0] == 400
    with pytest.raises(HttpError) as exc:
        sql.backupRuns().list(project=PROJECT, instance="nope").execute()
    assert _error(exc)[:2] == (404, "instanceDoesNotExist")
    with pytest.raises(HttpError) as exc:
        sql.backupRuns().insert(project=PROJECT, instance="pg", body={"status": "DONE"}).execute()
    assert _error(exc)[0] == 400  # not an enum value of BackupRun.status


def test_deleting_a_run_is_an_operation(emu: Emulator) -> None:
    sql = _client(emu)
    _create(emu, sql)
    backup_id = (
        sql.backupRuns()
        .insert(project=PROJECT, instance="pg", body={})
        .execute()["backupContext"]["backupId"]
    )
    op = sql.backupRuns().delete(project=PROJECT, instance="pg", id=backup_id).execute()
    assert op["operationType"] == "DELETE_BACKUP"
    assert _runs(sql) == []


def test_restore_puts_back_the_databases_of_the_backup_and_restarts(slow: Emulator) -> None:
    sql = _client(slow)
    _create(slow, sql)
    sql.databases().insert(project=PROJECT, instance="pg", body={"name": "app"}).execute()
    slow.advance_time(DELAY_S)
    backup_id = (
        sql.backupRuns()
        .insert(project=PROJECT, instance="pg", body={})
        .execute()["backupContext"]["backupId"]
    )
    slow.advance_time(DELAY_S)
    sql.databases().insert(project=PROJECT, instance="pg", body={"name": "scratch"}).execute()
    slow.advance_time(DELAY_S)
    sql.databases().delete(project=PROJECT, instance="pg", database="app").execute()
    slow.advance_time(DELAY_S)
    assert _databases(sql) == ["postgres", "scratch"]

    body = {"restoreBackupContext": {"backupRunId": backup_id}}
    op = sql.instances().restoreBackup(project=PROJECT, instance="pg", body=body).execute()

    assert op["operationType"] == "RESTORE_VOLUME" and op["targetId"] == "pg"
    assert sql.instances().get(project=PROJECT, instance="pg").execute()["state"] == "MAINTENANCE"
    with pytest.raises(HttpError) as exc:
        sql.instances().restoreBackup(project=PROJECT, instance="pg", body=body).execute()
    assert _error(exc)[:2] == (409, "operationInProgress")
    assert _databases(sql) == ["postgres", "scratch"]  # nothing lands before the operation is done
    slow.advance_time(DELAY_S)
    assert sql.instances().get(project=PROJECT, instance="pg").execute()["state"] == "RUNNABLE"
    assert _databases(sql) == ["app", "postgres"]
    assert slow.store.get("sqladmin.restarts", f"projects/{PROJECT}/instances/pg")["count"] == 1
    assert [r["id"] for r in _runs(sql)] == [backup_id]  # restoring keeps the backups


def test_restore_refuses_what_the_api_refuses(emu: Emulator) -> None:
    sql = _client(emu)
    _create(emu, sql)
    _create(emu, sql, name="old", version="POSTGRES_14")
    old_backup = (
        sql.backupRuns()
        .insert(project=PROJECT, instance="old", body={})
        .execute()["backupContext"]["backupId"]
    )

    def refused(instance: str, body: dict[str, Any]) -> tuple[int, str, str]:
        with pytest.raises(HttpError) as exc:
            sql.instances().restoreBackup(project=PROJECT, instance=instance, body=body).execute()
        return _error(exc)

    assert refused("pg", {"restoreBackupContext": {"backupRunId": "42"}})[:2] == (
        404,
        "backupRunDoesNotExist",
    )
    assert refused("pg", {})[:2] == (400, "required")
    assert refused("missing", {"restoreBackupContext": {"backupRunId": "42"}})[:2] == (
        404,
        "instanceDoesNotExist",
    )
    status, _, message = refused(
        "pg", {"restoreBackupContext": {"backupRunId": old_backup, "instanceId": "old"}}
    )
    assert status == 400 and "same database version" in message
    assert refused("pg", {"restoreBackupContext": {"backupRunId": "x1"}})[0] == 400
    # The same backup restores into an instance of its own version.
    body = {"restoreBackupContext": {"backupRunId": old_backup, "instanceId": "old", "project": PROJECT}}
    assert sql.instances().restoreBackup(project=PROJECT, instance="old", body=body).execute()["status"] == (
        "DONE"
    )


def test_v1beta4_paths_list_the_same_runs(emu: Emulator) -> None:
    sql = _client(emu)
    _create(emu, sql)
    backup_id = (
        sql.backupRuns()
        .insert(project=PROJECT, instance="pg", body={})
        .execute()["backupContext"]["backupId"]
    )
    (run,) = _runs(_client(emu, "v1beta4"))
    assert run["id"] == backup_id and "/sql/v1beta4/" in run["selfLink"]
