"""Cloud SQL backup runs (list, get, insert, delete) and `instances.restoreBackup`.

A backup run is stored under its instance as `.../backupRuns/<id>`; ids are int64s shown
as strings, taken from the enqueue time in milliseconds, unique per instance. What a
backup holds (the instance's databases and users, password digests included) is kept in
a separate record that no response ever returns, so that a restore can put it back.

On-demand backups (`backupRuns.insert`) work whether or not automated backups are on.
They are a `BACKUP_VOLUME` operation like any other: the instance takes no other
operation meanwhile, the run is ENQUEUED, then RUNNING, then SUCCESSFUL (or FAILED) when
the operation is done. They are kept until deleted.

Automated backups follow the emulator's clock. While `backupConfiguration.enabled` is
true, every day has a four-hour backup window opening at `backupConfiguration.startTime`
(UTC); for each window that opened after the instance became RUNNABLE, an AUTOMATED run
exists once ten minutes of the window have passed (its start is one minute in). Only the
newest `backupRetentionSettings.retainedBackups` automated runs are kept. Runs are made
when the backup runs of an instance are next read (list, get, insert, delete or a
restore), and capture the databases and users as they are then. Moving the clock
(`POST /_emulator/time {"advance_s": 86400}`, or `Emulator.advance_time`) is how a test
lets a day pass. Runs of an instance that was deleted do not outlive it.

`instances.restoreBackup` takes a `restoreBackupContext` (backup run id, and optionally
the instance and project the backup was taken from; by default the target itself). The
backup must exist (404) and have SUCCESSFUL status, and its database major version must
be the target's (400); the target must be RUNNABLE and idle (409). The target is in
MAINTENANCE while the `RESTORE_VOLUME` operation runs; when it is done every database
and user of the target has been replaced by the backup's, the disk is at least the
backup's size, and the instance has restarted. Flags and other settings stay the
target's, as Cloud SQL documents.
"""

from __future__ import annotations

import copy
import re
from datetime import UTC, datetime, timedelta
from typing import Any

from emulator import standard
from emulator.clock import format_rfc3339, parse_rfc3339
from emulator.effects import Effect
from emulator.errors import unimplemented
from emulator.operation_shapes import PENDING_SHARE
from emulator.registry import Api, Call
from emulator.services._sqladmin import (
    DATABASE,
    INSTANCE,
    RESTARTS,
    USER,
    USER_SECRET,
    SqlError,
    base_url,
    etag_of,
    fetch_instance,
    instance_key,
    invalid_state,
    major_version,
    project_id,
    require_idle,
    sql_invalid,
    start_operation,
)

API = Api("sqladmin", "v1")

BACKUP_RUN = "sqladmin.backupRun"
# What a backup holds: never returned by any read.
BACKUP_CONTENTS = "sqladmin.backupContents"
# Per instance: the last automated backup window already accounted for.
AUTOMATED_MARK = "sqladmin.automatedBackupMark"

DAY_S = 86_400.0
# An automated run starts a minute into its window and is complete ten minutes in.
AUTOMATED_START_S = 60.0
AUTOMATED_DONE_S = 600.0
DEFAULT_RETAINED = 7
_ID = re.compile(r"^\d{1,19}$")
_MULTI_REGIONS = (("us", "northamerica", "southamerica"), ("eu", "europe"), ("asia", "asia", "australia"))
# Stored fields of a run that no response shows.
_PRIVATE = ("startAt", "createdFor")


def backup_not_found() -> SqlError:
    return SqlError(404, "The backup run does not exist.", reason="backupRunDoesNotExist")


def _run_key(key: str, run_id: str) -> str:
    return f"{key}/backupRuns/{run_id}"


def _parse_id(text: str) -> str:
    if not _ID.match(text) or int(text) > 2**63 - 1:
        raise SqlError(400, f"Invalid value at 'id' (TYPE_INT64), \"{text}\"", reason="invalid")
    return str(int(text))


def _time(moment: float) -> str:
    return format_rfc3339(datetime.fromtimestamp(moment, UTC))


def default_location(region: str) -> str:
    """Without a configured location, Cloud SQL keeps backups in the multi-region nearest the instance."""
    for name, *prefixes in _MULTI_REGIONS:
        if any(region.startswith(f"{p}-") for p in prefixes):
            return name
    return "us"


def _new_id(call: Call, key: str, moment: float) -> str:
    candidate = int(moment * 1000)
    while call.ctx.store.get(BACKUP_RUN, _run_key(key, str(candidate))) is not None:
        candidate += 1
    return str(candidate)


def _contents(call: Call, key: str) -> dict[str, Any]:
    """The instance's databases, users and password digests, as a backup captures them."""
    store = call.ctx.store
    return {
        "databases": store.list(DATABASE, key),
        "users": store.list(USER, key),
        "secrets": store.list(USER_SECRET, key),
    }


def _base_run(instance: dict[str, Any], run_id: str, run_type: str, enqueued: float) -> dict[str, Any]:
    run: dict[str, Any] = {
        "kind": "sql#backupRun",
        "id": run_id,
        "instance": instance["name"],
        "project": instance["project"],
        "type": run_type,
        "backupKind": "SNAPSHOT",
        "databaseVersion": instance["databaseVersion"],
        "enqueuedTime": _time(enqueued),
        "windowStartTime": _time(enqueued),
        "location": instance["settings"].get("backupConfiguration", {}).get("location")
        or default_location(instance["region"]),
        "createdFor": instance["createTime"],
        "dataDiskSizeGb": instance["settings"].get("dataDiskSizeGb"),
    }
    encryption = instance.get("diskEncryptionConfiguration")
    if encryption:
        run["diskEncryptionConfiguration"] = dict(encryption)
        run["diskEncryptionStatus"] = dict(instance.get("diskEncryptionStatus") or {})
    return run


def _view(call: Call, run: dict[str, Any]) -> dict[str, Any]:
    out = {k: copy.deepcopy(v) for k, v in run.items() if k not in (*_PRIVATE, "project", "dataDiskSizeGb")}
    if (
        run["status"] == "ENQUEUED"
        and run.get("startAt") is not None
        and call.ctx.clock.now() >= run["startAt"]
    ):
        out["status"] = "RUNNING"
        out["startTime"] = _time(run["startAt"])
    out["selfLink"] = (
        f"{base_url(call)}/projects/{run['project']}/instances/{run['instance']}/backupRuns/{run['id']}"
    )
    return out


# automated backups


def _runnable_since(call: Call, instance: dict[str, Any]) -> float:
    """When the instance's CREATE operation finished (its create time if that record is gone)."""
    created = parse_rfc3339(instance["createTime"]).timestamp()
    finished = [
        r["done_at"]
        for r in call.ctx.store.list_operations()
        if r.get("style") == "sqladmin"
        and r["extra"].get("operationType") == "CREATE"
        and r["extra"].get("targetProject") == instance["project"]
        and r["extra"].get("targetId") == instance["name"]
        and r["done_at"] >= created
    ]
    return min(finished) if finished else created


def _windows(after: float, until: float, start_time: str) -> list[float]:
    """Window openings (epoch seconds) at HH:MM UTC each day, strictly after `after`, up to `until`."""
    hour, minute = (int(part) for part in start_time.split(":"))
    day = datetime.fromtimestamp(after, UTC).replace(hour=hour, minute=minute, second=0, microsecond=0)
    found = []
    while day.timestamp() <= until:
        if day.timestamp() > after:
            found.append(day.timestamp())
        day += timedelta(days=1)
    return found


def catch_up(call: Call, key: str) -> dict[str, Any]:
    """Make the automated runs whose windows have passed, drop what retention or a deleted
    instance no longer keeps, and return the instance."""
    store = call.ctx.store
    project, name = key.split("/")[1], key.split("/")[3]
    instance = fetch_instance(call, project, name)
    for run in store.list(BACKUP_RUN, key):
        if run.get("createdFor") != instance["createTime"]:  # a run of an earlier instance of this name
            _forget(call, key, run["id"])
    if instance["state"] == "PENDING_CREATE":
        return instance
    config = instance["settings"].get("backupConfiguration") or {}
    mark = store.get(AUTOMATED_MARK, key)
    if mark is None or mark.get("createdFor") != instance["createTime"]:
        mark = {"createdFor": instance["createTime"], "after": _runnable_since(call, instance)}
    now = call.ctx.clock.now()
    retained = int((config.get("backupRetentionSettings") or {}).get("retainedBackups") or DEFAULT_RETAINED)
    windows = _windows(mark["after"], now - AUTOMATED_DONE_S, config.get("startTime") or "12:00")
    if windows:
        mark["after"] = windows[-1]
    if config.get("enabled") and windows:
        contents = _contents(call, key)
        for window in windows[-retained:]:
            run_id = _new_id(call, key, window)
            run = _base_run(instance, run_id, "AUTOMATED", window)
            run.update(
                status="SUCCESSFUL",
                startTime=_time(window + AUTOMATED_START_S),
                endTime=_time(window + AUTOMATED_DONE_S),
            )
            store.put(BACKUP_RUN, _run_key(key, run_id), run, key)
            store.put(BACKUP_CONTENTS, _run_key(key, run_id), contents, key)
    store.put(AUTOMATED_MARK, key, mark, key)
    automated = sorted(
        (r for r in store.list(BACKUP_RUN, key) if r["type"] == "AUTOMATED"),
        key=lambda r: (r["windowStartTime"], int(r["id"])),
    )
    for run in automated[: max(0, len(automated) - retained)]:
        _forget(call, key, run["id"])
    return instance


def _forget(call: Call, key: str, run_id: str) -> None:
    call.ctx.store.delete(BACKUP_RUN, _run_key(key, run_id))
    call.ctx.store.delete(BACKUP_CONTENTS, _run_key(key, run_id))


def _newest_first(runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(runs, key=lambda r: (r["enqueuedTime"], int(r["id"])), reverse=True)


# backupRuns


@API.handles("sql.backupRuns.list")
def list_backup_runs(call: Call) -> dict[str, Any]:
    """Newest first; the instance `-` lists the runs of every instance in the project."""
    project, _ = project_id(call)
    name = call.param("instance")
    if name == "-":
        keys = [
            instance_key(project, i["name"]) for i in call.ctx.store.list(INSTANCE, f"projects/{project}")
        ]
    else:
        fetch_instance(call, project, name)
        keys = [instance_key(project, name)]
    runs: list[dict[str, Any]] = []
    for key in keys:
        catch_up(call, key)
        runs += call.ctx.store.list(BACKUP_RUN, key)
    views = [_view(call, r) for r in _newest_first(runs)]
    head = {"kind": "sql#backupRunsList"}
    return standard.list_answer(
        call, "items", views, head=head, size_param="maxResults", key="id", default_size=500
    )


def _fetch_run(call: Call, key: str, run_id: str) -> dict[str, Any]:
    run = call.ctx.store.get(BACKUP_RUN, _run_key(key, run_id))
    if run is None:
        raise backup_not_found()
    return run


@API.handles("sql.backupRuns.get")
def get_backup_run(call: Call) -> dict[str, Any]:
    project, _ = project_id(call)
    key = instance_key(project, call.param("instance"))
    run_id = _parse_id(call.param("id"))
    catch_up(call, key)
    return _view(call, _fetch_run(call, key, run_id))


@API.handles("sql.backupRuns.insert")
def insert_backup_run(call: Call) -> dict[str, Any]:
    """An on-demand backup: a BACKUP_VOLUME operation; `type` in the body is ignored, as documented."""
    project, _ = project_id(call)
    name = call.param("instance")
    key = instance_key(project, name)
    instance = catch_up(call, key)
    require_idle(call, key)
    if instance["state"] != "RUNNABLE" or instance["settings"].get("activationPolicy") == "NEVER":
        raise invalid_state()
    body = standard.drop_none(call.body or {})
    if body.get("instance") not in (None, name):
        raise sql_invalid(
            f"The instance in the body ({body['instance']}) does not match the request ({name})."
        )
    now = call.ctx.clock.now()
    run_id = _new_id(call, key, now)
    seconds = call.ctx.operations.duration(("sqladmin", "BACKUP_VOLUME"))
    run = _base_run(instance, run_id, "ON_DEMAND", now)
    run["status"] = "ENQUEUED"
    run["startAt"] = now + PENDING_SHARE * seconds
    if body.get("description"):
        run["description"] = body["description"]
    if body.get("location"):
        run["location"] = body["location"]
    rkey = _run_key(key, run_id)
    call.ctx.store.put(BACKUP_RUN, rkey, run, key)
    call.ctx.store.put(BACKUP_CONTENTS, rkey, _contents(call, key), key)
    done = {"status": "SUCCESSFUL", "startTime": _time(run["startAt"]), "endTime": _time(now + seconds)}
    failed = {
        "status": "FAILED",
        "startTime": _time(run["startAt"]),
        "endTime": _time(now + seconds),
        "error": {
            "kind": "sql#operationError",
            "code": "INTERNAL_ERROR",
            "message": "The backup failed because of an internal error.",
        },
    }
    return start_operation(
        call,
        project,
        name,
        "BACKUP_VOLUME",
        effects=[Effect.set(BACKUP_RUN, rkey, {**done, "startAt": None})],
        failure_effects=[
            Effect.set(BACKUP_RUN, rkey, {**failed, "startAt": None}),
            Effect.delete(BACKUP_CONTENTS, rkey),
        ],
        duration_s=seconds,
        details={"backupContext": {"kind": "sql#backupContext", "backupId": run_id}},
    )


@API.handles("sql.backupRuns.delete")
def delete_backup_run(call: Call) -> dict[str, Any]:
    project, _ = project_id(call)
    name = call.param("instance")
    key = instance_key(project, name)
    run_id = _parse_id(call.param("id"))
    catch_up(call, key)
    run = _fetch_run(call, key, run_id)
    require_idle(call, key)
    if run["status"] not in ("SUCCESSFUL", "FAILED", "SKIPPED", "DELETION_FAILED"):
        raise invalid_state()
    rkey = _run_key(key, run_id)
    call.ctx.store.put(BACKUP_RUN, rkey, {**run, "status": "DELETION_PENDING"}, key)
    return start_operation(
        call,
        project,
        name,
        "DELETE_BACKUP",
        effects=[Effect.delete(BACKUP_RUN, rkey), Effect.delete(BACKUP_CONTENTS, rkey)],
        failure_effects=[Effect.set(BACKUP_RUN, rkey, {"status": "DELETION_FAILED"})],
        details={"backupContext": {"kind": "sql#backupContext", "backupId": run_id}},
    )


# restore


def _source(call: Call, body: dict[str, Any], project: str, target: str) -> tuple[str, str, str]:
    """(project, instance, run id) of the backup a restore request names."""
    if body.get("backup") or body.get("backupdrBackup"):
        raise unimplemented(
            "Restoring from a project-level backup or a Backup and DR backup is not modelled by the "
            "emulator; use restoreBackupContext with a backup run id."
        )
    if body.get("restoreInstanceSettings") or body.get("restoreInstanceClearOverridesFieldNames"):
        raise sql_invalid(
            "restoreInstanceSettings applies to new instances only, not to an existing instance."
        )
    context = body.get("restoreBackupContext")
    if not context or not context.get("backupRunId"):
        raise SqlError(
            400, "Invalid request: restoreBackupContext.backupRunId is required.", reason="required"
        )
    source_project = context.get("project") or project
    if source_project != project:
        found = call.ctx.projects.lookup(source_project)
        if found is None:
            raise SqlError(403, "The client is not authorized to make this request.", reason="notAuthorized")
        source_project = found[0]
    return source_project, context.get("instanceId") or target, _parse_id(str(context["backupRunId"]))


@API.handles("sql.instances.restoreBackup")
def restore_backup(call: Call) -> dict[str, Any]:
    project, _ = project_id(call)
    name = call.param("instance")
    key = instance_key(project, name)
    target = fetch_instance(call, project, name)
    body = standard.drop_none(call.body or {})
    source_project, source_name, run_id = _source(call, body, project, name)
    source_key = instance_key(source_project, source_name)
    catch_up(call, source_key)
    run = _fetch_run(call, source_key, run_id)
    require_idle(call, key)
    if target["state"] != "RUNNABLE" or target["settings"].get("activationPolicy") == "NEVER":
        raise invalid_state()
    if run["status"] != "SUCCESSFUL":
        raise sql_invalid(
            f"Backup run {run_id} is {run['status']}; only a SUCCESSFUL backup can be restored."
        )
    if major_version(run["databaseVersion"]) != major_version(target["databaseVersion"]):
        raise sql_invalid(
            f"The backup is of {run['databaseVersion']} and the instance runs {target['databaseVersion']}: "
            "a backup can only be restored to an instance of the same database version."
        )
    contents = call.ctx.store.get(BACKUP_CONTENTS, _run_key(source_key, run_id)) or {}
    store = call.ctx.store
    effects: list[Effect] = []
    for kind, collection in ((DATABASE, "databases"), (USER, "users"), (USER_SECRET, "users")):
        for item in store.list(kind, key):
            effects.append(Effect.delete(kind, f"{key}/{collection}/{item['name']}"))
    for kind, collection, field in (
        (DATABASE, "databases", "databases"),
        (USER, "users", "users"),
        (USER_SECRET, "users", "secrets"),
    ):
        for item in contents.get(field, []):
            moved = dict(item)
            if kind != USER_SECRET:
                moved.update(instance=name, project=project)
            effects.append(Effect.put(kind, f"{key}/{collection}/{item['name']}", moved, key))
    restored = copy.deepcopy(target)
    backup_size = run.get("dataDiskSizeGb")
    if backup_size and int(backup_size) > int(restored["settings"].get("dataDiskSizeGb") or 0):
        restored["settings"]["dataDiskSizeGb"] = str(backup_size)
        restored["etag"] = etag_of(restored)
    seconds = call.ctx.operations.duration(("sqladmin", "RESTORE_VOLUME"))
    restarts = store.get(RESTARTS, key) or {"count": 0}
    effects += [
        Effect.put(INSTANCE, key, restored, f"projects/{project}"),
        Effect.put(
            RESTARTS,
            key,
            {"count": restarts["count"] + 1, "lastRestartTime": call.ctx.clock.rfc3339(seconds)},
            key,
        ),
    ]
    store.put(INSTANCE, key, {**target, "state": "MAINTENANCE"}, f"projects/{project}")
    return start_operation(
        call,
        project,
        name,
        "RESTORE_VOLUME",
        effects=effects,
        failure_effects=[Effect.put(INSTANCE, key, target, f"projects/{project}")],
        duration_s=seconds,
    )
