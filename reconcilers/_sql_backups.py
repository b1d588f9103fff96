"""Backups and restore of a Cloud SQL instance: the `Recoverable` capability of `sql.instance`.

Backups are the instance's backup runs (automated, in the daily window the spec sets, and
on demand). A restore is `instances.restoreBackup` with the run's id: it replaces every
database and user of the instance and restarts it. Cloud SQL runs one operation per
instance at a time; where a converging apply waits a busy instance out, a backup or a
restore is refused instead, naming the operation in the way, so the operator decides.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from provisioner.engine.context import Context
from provisioner.engine.operations import Operation
from provisioner.engine.recoverable import Backup, ResourceBusy
from provisioner.engine.resource import LiveResource
from provisioner.google.errors import ApiError, classify
from reconcilers._compute import list_all
from reconcilers._operations import SqlOperation

#: Operations are listed newest first and an instance runs one at a time, so any still
#: running is among the most recent few: one page of this size always holds it.
RECENT_OPERATIONS = 50


def _sql(ctx: Context) -> Any:
    return ctx.clients.discovery("sqladmin", "v1")


def _busy_error(err: ApiError | None) -> bool:
    return err is not None and err.status == 409 and err.reason == "operationInProgress"


def _describe(op: dict[str, Any]) -> str:
    since = op.get("startTime") or op.get("insertTime")
    when = f" since {since}" if since else ""
    return f"{op.get('operationType', 'an')} operation {op['name']} is {op.get('status', 'running')}{when}"


def _backup(run: dict[str, Any]) -> Backup:
    return Backup(
        id=str(run["id"]),
        type=str(run.get("type", "")),
        status=str(run.get("status", "")),
        restorable=run.get("status") == "SUCCESSFUL",
        enqueued_time=run.get("enqueuedTime"),
        window_start_time=run.get("windowStartTime"),
        start_time=run.get("startTime"),
        end_time=run.get("endTime"),
        location=run.get("location"),
        description=run.get("description"),
        error=(run.get("error") or {}).get("message"),
    )


class SqlBackups:
    """Mixed into the instance kind, which provides `ctx`."""

    ctx: Context

    def backups(self, live: LiveResource) -> list[Backup]:
        api = _sql(self.ctx).backupRuns()
        runs = self.ctx.retry.call(
            list_all, lambda token: api.list(project=self.ctx.project, instance=live.name, pageToken=token)
        )
        return [_backup(run) for run in runs]  # the API lists them newest first

    def backup(self, live: LiveResource, description: str | None) -> tuple[str, Operation]:
        body = {"description": description} if description else {}
        request = _sql(self.ctx).backupRuns().insert(project=self.ctx.project, instance=live.name, body=body)
        op = self._start(live, request.execute, adopt_type="BACKUP_VOLUME")
        backup_id = str((op.get("backupContext") or {}).get("backupId", ""))
        return backup_id, SqlOperation(
            self.ctx, self.ctx.project, op, f"backup {backup_id} of {live.name} (operation {op['name']})"
        )

    def restore(self, live: LiveResource, backup_id: str) -> Operation:
        body = {
            "restoreBackupContext": {
                "backupRunId": backup_id,
                "instanceId": live.name,
                "project": self.ctx.project,
            }
        }
        request = (
            _sql(self.ctx).instances().restoreBackup(project=self.ctx.project, instance=live.name, body=body)
        )
        op = self._start(live, request.execute, adopt_type="RESTORE_VOLUME")
        return SqlOperation(
            self.ctx,
            self.ctx.project,
            op,
            f"restore of backup {backup_id} into {live.name} (operation {op['name']})",
        )

    def busy(self, live: LiveResource) -> str | None:
        running = self._running(live)
        if running:
            return _describe(running[0])
        state = live.body.get("state")
        if state and state != "RUNNABLE":
            return f"the instance is {state}"
        return None

    def restore_warning(self, live: LiveResource) -> str:
        return (
            f"every database and user of Cloud SQL instance {live.name} is replaced by the backup's, so"
            " anything written since the backup was taken is lost (database flags and other settings"
            " stay as they are); the instance restarts and drops every connection while it restores"
        )

    # -- helpers ---------------------------------------------------------------------
    def _running(self, live: LiveResource) -> list[dict[str, Any]]:
        """Operations on the instance that have not finished, oldest first."""
        request = (
            _sql(self.ctx)
            .operations()
            .list(project=self.ctx.project, instance=live.name, maxResults=RECENT_OPERATIONS)
        )
        page = self.ctx.retry.call(request.execute)
        running = [op for op in page.get("items", []) if op.get("status") in ("PENDING", "RUNNING")]
        return running[::-1]

    def _start(self, live: LiveResource, execute: Callable[[], Any], adopt_type: str) -> dict[str, Any]:
        """Send a request that starts an operation; a busy instance is refused, not waited for.

        Transient failures are retried. If a retry finds the instance busy with an operation
        of the very type we asked for that was not running before, it is ours (the first
        answer was lost on the way back) and is waited on rather than reported as in the way.
        """
        before = {op["name"] for op in self._running(live)}
        attempts = 0

        def attempt() -> Any:
            nonlocal attempts
            attempts += 1
            return execute()

        try:
            return dict(self.ctx.retry.call(attempt))
        except Exception as exc:
            if not _busy_error(classify(exc)):
                raise
            running = self._running(live)
            if attempts > 1:
                ours = [
                    op for op in running if op.get("operationType") == adopt_type and op["name"] not in before
                ]
                if ours:
                    return ours[-1]
            detail = _describe(running[0]) if running else "another operation is in progress"
            raise ResourceBusy(detail) from exc
