"""Backups and restore of the environment's database, end to end against the emulator."""

from __future__ import annotations

import io
import json
import re
import sys
from datetime import timedelta

import pytest
from googleapiclient.discovery import build_from_document

from emulator.clock import parse_rfc3339
from provisioner.google.clients import _discovery_document
from tests.e2e.conftest import SPECS

PROJECT = "digitwin-live-dev"
INSTANCE = "digitwin-dev-pg"
ADDRESS = f"sql.instance/{INSTANCE}"
LOCK_PATH = "/o/locks%2Fdev.json"


def _sql(emulator):
    import google_auth_httplib2
    import httplib2
    from google.auth.credentials import AnonymousCredentials

    http = google_auth_httplib2.AuthorizedHttp(AnonymousCredentials(), http=httplib2.Http())
    doc = _discovery_document("sqladmin", "v1")
    return build_from_document(doc, http=http, client_options={"api_endpoint": f"{emulator.url}/"})


def _databases(sql) -> list[str]:
    return [d["name"] for d in sql.databases().list(project=PROJECT, instance=INSTANCE).execute()["items"]]


def _backup(cli, description: str) -> str:
    made = cli("backups", "create", "--env", "dev", "--description", description)
    assert made.code == 0, made.err
    (backup_id,) = re.findall(rf"Backup (\d+) of {ADDRESS} is done", made.out)
    return backup_id


def _methods(emulator) -> list[str]:
    return [r.method_id for r in emulator.requests()]


class _Terminal(io.StringIO):
    """A stdin an operator types into."""

    def isatty(self) -> bool:
        return True


@pytest.fixture
def converged(emulator, cli):
    applied = cli("apply", "--env", "dev", "--auto-approve", "-q")
    assert applied.code == 0, applied.out + applied.err
    return emulator


def test_a_backup_taken_on_demand_is_listed_with_the_automated_ones_newest_first(converged, cli):
    assert "No backups of sql.instance/digitwin-dev-pg in dev (digitwin-live-dev) yet." in (
        cli("backups", "list", "--env", "dev").out
    )
    backup_id = _backup(cli, "before the v2 migration")

    listed = cli("backups", "list", "--env", "dev")

    assert listed.code == 0
    lines = listed.out.splitlines()
    assert lines[0] == f"Backups of {ADDRESS} in dev (digitwin-live-dev), newest first:"
    assert lines[2].split() == [
        "ID",
        "TYPE",
        "STATUS",
        "WINDOW",
        "START",
        "STARTED",
        "ENDED",
        "LOCATION",
        "DESCRIPTION",
    ]
    assert lines[3].split()[:3] == [backup_id, "ON_DEMAND", "SUCCESSFUL"]
    assert lines[3].endswith("  us        before the v2 migration")

    # A day after the next daily window (03:00 UTC in the spec), two automated backups exist too.
    now = converged.clock.datetime()
    window = now.replace(hour=3, minute=0, second=0, microsecond=0)
    if window <= now:
        window += timedelta(days=1)
    converged.advance_time((window - now).total_seconds() + 86_400 + 3600)
    report = json.loads(cli("backups", "list", "--env", "dev", "--format", "json").out)
    assert (report["env"], report["project"], report["resource"]) == ("dev", PROJECT, ADDRESS)
    assert [(b["type"], b["status"]) for b in report["backups"]] == [
        ("AUTOMATED", "SUCCESSFUL"),
        ("AUTOMATED", "SUCCESSFUL"),
        ("ON_DEMAND", "SUCCESSFUL"),
    ]
    assert [parse_rfc3339(b["window_start_time"]) for b in report["backups"][:2]] == [
        window + timedelta(days=1),
        window,
    ]
    assert report["backups"][-1]["id"] == backup_id
    assert report["backups"][-1]["description"] == "before the v2 migration"


def test_restore_without_confirmation_on_a_non_terminal_refuses_before_any_call(converged, cli, monkeypatch):
    backup_id = _backup(cli, "before the release")
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    converged.clear_requests()

    refused = cli("restore", "--env", "dev", "--backup-id", backup_id)

    assert refused.code == 1
    assert refused.err.strip() == (
        "error: refusing to restore without confirmation: stdin is not a terminal; pass --auto-approve"
    )
    assert _methods(converged) == []


def test_a_restore_puts_back_the_chosen_backup_under_the_lock(converged, cli):
    sql = _sql(converged)
    first = _backup(cli, "with the app database only")
    sql.databases().insert(project=PROJECT, instance=INSTANCE, body={"name": "scratch"}).execute()
    second = _backup(cli, "with scratch")
    assert first != second and "scratch" in _databases(sql)
    converged.clear_requests()

    restored = cli("restore", "--env", "dev", "--backup-id", first, "--auto-approve")

    assert restored.code == 0, restored.err
    heading, about = restored.out.splitlines()[:2]
    assert heading == f"Restore {ADDRESS} in dev (digitwin-live-dev) from backup {first}"
    assert re.fullmatch(
        r'  ON_DEMAND, taken \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ, "with the app database only"', about
    )
    assert f"WARNING: this overwrites the data of {ADDRESS}: every database and user" in restored.out
    assert f"Restored backup {first} into {ADDRESS}" in restored.out
    assert _databases(sql) == ["digitwin", "postgres"]  # the first backup's, without scratch
    log = converged.requests()
    (restore,) = [r for r in log if r.method_id == "sql.instances.restoreBackup"]
    assert restore.path == f"/v1/projects/{PROJECT}/instances/{INSTANCE}/restoreBackup"
    assert restore.body["restoreBackupContext"]["backupRunId"] == first
    lock_taken = [
        r for r in log if r.method_id == "storage.objects.insert" and "ifGenerationMatch=0" in r.query
    ]
    lock_dropped = [r for r in log if r.method_id == "storage.objects.delete" and LOCK_PATH in r.path]
    assert lock_taken and lock_dropped
    assert lock_taken[0].seq < restore.seq < lock_dropped[-1].seq
    planned = cli("plan", "--env", "dev", "--detailed-exitcode")
    assert planned.code == 0, planned.out


def test_the_name_typed_at_the_prompt_must_match(converged, cli, monkeypatch):
    backup_id = _backup(cli, "before the release")
    monkeypatch.setattr(sys, "stdin", _Terminal("digitwin-prod-pg\n"))

    cancelled = cli("restore", "--env", "dev", "--backup-id", backup_id)

    assert cancelled.code == 1
    assert f"Type the name {INSTANCE} to confirm: Restore cancelled: the name typed does not match." in (
        cancelled.out
    )
    assert "sql.instances.restoreBackup" not in _methods(converged)
    monkeypatch.setattr(sys, "stdin", _Terminal(f"{INSTANCE}\n"))
    assert cli("restore", "--env", "dev", "--backup-id", backup_id).code == 0
    assert "sql.instances.restoreBackup" in _methods(converged)


def test_restore_is_refused_while_another_operation_runs_naming_it(converged, cli):
    sql = _sql(converged)
    backup_id = _backup(cli, "before the release")
    converged.ctx.operations.delay_s = 3600  # the restart below stays in flight
    restart = sql.instances().restart(project=PROJECT, instance=INSTANCE).execute()
    converged.clear_requests()

    refused = cli("restore", "--env", "dev", "--backup-id", backup_id, "--auto-approve")
    no_backup = cli("backups", "create", "--env", "dev")

    assert refused.code == 1
    assert refused.err.startswith(
        f"error: cannot restore now: {ADDRESS} is busy: RESTART operation {restart['name']} is "
    )
    assert refused.err.rstrip().endswith("try again once it has finished")
    assert no_backup.code == 1 and f"RESTART operation {restart['name']}" in no_backup.err
    assert "sql.instances.restoreBackup" not in _methods(converged)
    assert "sql.backupRuns.insert" not in _methods(converged)


def test_the_api_answering_operation_in_progress_is_the_same_refusal(converged, cli):
    """Between the check and the request another operation can start: the API's 409 says so."""
    from provisioner.cli.compose import registry
    from provisioner.cli.main import build_parser
    from provisioner.engine.recoverable import ResourceBusy
    from provisioner.workflows.session import Session

    sql = _sql(converged)
    backup_id = _backup(cli, "before the release")
    args = build_parser().parse_args(
        ["restore", "--env", "dev", "--backup-id", backup_id, "--specs", str(SPECS)]
    )
    session = Session(args, "dev", registry())
    kind = session.planner.kinds["sql.instance"]
    (live,) = kind.observe([])
    converged.ctx.operations.delay_s = 3600
    restart = sql.instances().restart(project=PROJECT, instance=INSTANCE).execute()

    with pytest.raises(ResourceBusy) as busy:
        kind.restore(live, backup_id)

    assert busy.value.detail.startswith(f"RESTART operation {restart['name']} is ")
    statuses = [r.status for r in converged.requests() if r.method_id == "sql.instances.restoreBackup"]
    assert statuses == [409]  # refused at once, not waited out


def test_unknown_or_unusable_backups_are_refused_plainly(converged, cli, capsys):
    backup_id = _backup(cli, "before the release")
    converged.clear_requests()

    unknown = cli("restore", "--env", "dev", "--backup-id", "999", "--auto-approve")
    with pytest.raises(SystemExit) as junk:
        cli("restore", "--env", "dev", "--backup-id", "latest", "--auto-approve")
    junk_err = capsys.readouterr().err
    elsewhere = cli("backups", "list", "--env", "dev", "--resource", "sql.instance/x")

    assert unknown.code == 1
    assert unknown.err.strip() == (
        f"error: {ADDRESS} has no backup 999 (newest: {backup_id}); `backups list --env dev` shows them all"
    )
    assert junk.value.code == 1  # a usage error
    expected = "argument --backup-id: expected a backup id (a whole number, see `backups list`), got 'latest'"
    assert expected in junk_err
    assert elsewhere.code == 1
    assert elsewhere.err.strip() == (
        f"error: --resource sql.instance/x: not a resource with backups in dev; choose one of: {ADDRESS}"
    )
    assert "sql.instances.restoreBackup" not in _methods(converged)

    # A backup that failed is listed with its error and cannot be restored.
    converged.faults.configure(operation_failure_rate=1.0)
    failed = cli("backups", "create", "--env", "dev")
    converged.faults.configure(operation_failure_rate=0.0)
    assert failed.code == 1 and "failed" in failed.err
    report = json.loads(cli("backups", "list", "--env", "dev", "--format", "json").out)
    newest = report["backups"][0]
    assert newest["status"] == "FAILED" and newest["restorable"] is False and newest["error"]
    refused = cli("restore", "--env", "dev", "--backup-id", newest["id"], "--auto-approve")
    assert refused.code == 1
    assert f"backup {newest['id']} is FAILED: only a backup that completed can be restored" in refused.err
