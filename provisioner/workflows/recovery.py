"""`backups list|create` and `restore`: an environment's backups, and putting one back.

The resources with backups are found by capability: kinds that are `Recoverable`, among
the resources the spec names and the managed ones that are live. A restore overwrites
data, so it says so, asks for the resource's name to be typed back (or `--auto-approve`),
refuses while the resource runs another operation, and holds the environment's lock so
that no apply writes at the same time. Every refusal is a `Refused` with the reason.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from provisioner.engine.operations import Operation, OperationTimeout, PollSchedule, wait_for
from provisioner.engine.recoverable import Backup, Recoverable, ResourceBusy
from provisioner.engine.resource import Address, LiveResource, parse_address
from provisioner.google.errors import OperationFailed

if TYPE_CHECKING:
    from provisioner.engine.lock import LeaseLock
    from provisioner.workflows.session import Session

EXIT_OK, EXIT_FAILED = 0, 1
#: Without a terminal, a line this often says the wait goes on.
PROGRESS_EVERY_S = 15.0


class Refused(Exception):
    """The command will not go ahead; the message says why and what to do."""


@dataclass(frozen=True)
class Target:
    address: Address
    kind: Recoverable
    live: LiveResource


def find_target(session: Session, resource: str | None) -> Target:
    """The one resource with backups the command acts on, read live."""
    planner = session.planner
    kinds = {name: kind for name, kind in planner.kinds.items() if isinstance(kind, Recoverable)}
    env = session.ctx.env
    desired = [r for r in planner.desired() if r.kind in kinds]
    live = planner.observe(desired, kinds=sorted(kinds))
    choices = sorted({r.address for r in desired} | {a for a, item in live.items() if item.managed})
    if resource is not None:
        if resource not in choices:
            listed = ", ".join(choices) or "none"
            raise Refused(
                f"--resource {resource}: not a resource with backups in {env}; choose one of: {listed}"
            )
        address = parse_address(resource)
    elif not choices:
        raise Refused(f"the {env} spec names no resource that keeps backups")
    elif len(choices) > 1:
        raise Refused(
            f"{env} has {len(choices)} resources with backups; pick one with --resource: {', '.join(choices)}"
        )
    else:
        address = choices[0]
    found = live.get(address)
    if found is None:
        raise Refused(
            f"{address} does not exist in {session.ctx.project} yet, so it has no backups;"
            f" create it with: apply --env {env}"
        )
    return Target(address, kinds[found.kind], found)


# -- backups list ----------------------------------------------------------------------
def list_backups(session: Session, args: argparse.Namespace) -> int:
    target = find_target(session, args.resource)
    backups = target.kind.backups(target.live)
    if args.format == "json":
        payload = {
            "env": session.ctx.env,
            "project": session.ctx.project,
            "resource": target.address,
            "backups": [b.to_dict() for b in backups],
        }
        print(json.dumps(payload, indent=2))
    else:
        print(render_text(session.ctx.env, session.ctx.project, target.address, backups))
    return EXIT_OK


def _when(value: str | None) -> str:
    """RFC 3339 to the second, which is all an operator compares."""
    if not value:
        return "-"
    head = value.split(".", 1)[0].rstrip("Z")
    return f"{head}Z"


def render_text(env: str, project: str, address: Address, backups: list[Backup]) -> str:
    if not backups:
        return f"No backups of {address} in {env} ({project}) yet."
    header = ("ID", "TYPE", "STATUS", "WINDOW START", "STARTED", "ENDED", "LOCATION", "DESCRIPTION")
    rows = [
        (
            b.id,
            b.type,
            b.status,
            _when(b.window_start_time),
            _when(b.start_time),
            _when(b.end_time),
            b.location or "-",
            b.description or (f"error: {b.error}" if b.error else ""),
        )
        for b in backups
    ]
    widths = [max(len(row[i]) for row in (header, *rows)) for i in range(len(header))]
    lines = [f"Backups of {address} in {env} ({project}), newest first:", ""]
    for row in (header, *rows):
        lines.append("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
    return "\n".join(lines)


# -- backups create --------------------------------------------------------------------
def create_backup(session: Session, args: argparse.Namespace) -> int:
    target = find_target(session, args.resource)
    _refuse_if_busy(target, "take a backup")
    try:
        backup_id, op = target.kind.backup(target.live, args.description)
    except ResourceBusy as exc:
        raise Refused(_busy_message(target, exc.detail, "take a backup")) from exc
    seconds = _wait(session, target, op, args.quiet)
    if seconds is None:
        return EXIT_FAILED
    print(f"Backup {backup_id} of {target.address} is done ({seconds:.0f}s).")
    return EXIT_OK


# -- restore ---------------------------------------------------------------------------
def restore(session: Session, args: argparse.Namespace) -> int:
    env = session.ctx.env
    if not args.auto_approve and not sys.stdin.isatty():
        # Nothing is read or written: without a terminal the answer could never come.
        raise Refused(
            "refusing to restore without confirmation: stdin is not a terminal; pass --auto-approve"
        )
    target = find_target(session, args.resource)
    backup = _pick(target, args.backup_id, env)
    _refuse_if_busy(target, "restore")
    print(f"Restore {target.address} in {env} ({session.ctx.project}) from backup {backup.id}")
    taken = _when(backup.end_time or backup.start_time or backup.window_start_time)
    about = f"{backup.type}, taken {taken}" + (f', "{backup.description}"' if backup.description else "")
    print(f"  {about}")
    print()
    print(
        f"WARNING: this overwrites the data of {target.address}: {target.kind.restore_warning(target.live)}."
    )
    print(f"It cannot be undone; `backups create --env {env}` first keeps a copy of the data as it is now.")
    if not args.auto_approve:
        answer = input(f"Type the name {target.live.name} to confirm: ")
        if answer.strip() != target.live.name:
            print("Restore cancelled: the name typed does not match.")
            return EXIT_FAILED
    lock = _lock(session, args.lock_timeout)
    try:
        # The state may have moved while the operator read the warning or waited for the lock.
        _refuse_if_busy(target, "restore")
        try:
            op = target.kind.restore(target.live, backup.id)
        except ResourceBusy as exc:
            raise Refused(_busy_message(target, exc.detail, "restore")) from exc
        seconds = _wait(session, target, op, args.quiet)
    finally:
        if lock is not None:
            lock.release()
    if seconds is None:
        return EXIT_FAILED
    print(f"Restored backup {backup.id} into {target.address} ({seconds:.0f}s).")
    print(f"`plan --env {env}` shows whether the environment still matches its spec.")
    return EXIT_OK


def _pick(target: Target, backup_id: str, env: str) -> Backup:
    backups = target.kind.backups(target.live)
    found = next((b for b in backups if b.id == backup_id), None)
    if found is None:
        newest = ", ".join(b.id for b in backups[:5]) or "none yet"
        raise Refused(
            f"{target.address} has no backup {backup_id} (newest: {newest});"
            f" `backups list --env {env}` shows them all"
        )
    if not found.restorable:
        raise Refused(f"backup {backup_id} is {found.status}: only a backup that completed can be restored")
    return found


def _busy_message(target: Target, detail: str, verb: str) -> str:
    return f"cannot {verb} now: {target.address} is busy: {detail}; try again once it has finished"


def _refuse_if_busy(target: Target, verb: str) -> None:
    detail = target.kind.busy(target.live)
    if detail:
        raise Refused(_busy_message(target, detail, verb))


def _lock(session: Session, timeout: float) -> LeaseLock | None:
    """The environment's lock, as apply takes it, so a restore never races an apply."""
    from provisioner.engine.lock import LockError, environment_lock

    lock = environment_lock(session.ctx)
    try:
        lock.acquire("restore", timeout=timeout)
    except LockError as exc:
        # No state bucket: nothing of ours has ever applied here, so no apply can be running.
        print(f"warning: {exc}; restoring without a lock", file=sys.stderr)
        return None
    return lock


def _wait(session: Session, target: Target, op: Operation, quiet: bool) -> float | None:
    """Wait for the operation with progress on stderr; seconds taken, or None when it failed."""
    schedule = getattr(target.kind, "poll_schedule", PollSchedule()).scaled(session.ctx.poll_scale)
    started = time.monotonic()
    try:
        if sys.stderr.isatty() and not quiet and not os.environ.get("NO_COLOR"):
            from rich.console import Console

            with Console(stderr=True).status(f"waiting for the {op.description}"):
                wait_for(op, session.ctx.retry, schedule)
        else:
            _wait_with_lines(session, op, schedule, quiet)
    except (OperationFailed, OperationTimeout) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return None
    return time.monotonic() - started


def _wait_with_lines(session: Session, op: Operation, schedule: PollSchedule, quiet: bool) -> None:
    started = shown = time.monotonic()
    if not quiet:
        print(f"waiting for the {op.description}", file=sys.stderr, flush=True)

    def progress(_: Operation) -> None:
        nonlocal shown
        now = time.monotonic()
        if not quiet and now - shown >= PROGRESS_EVERY_S:
            shown = now
            print(f"  still running after {now - started:.0f}s", file=sys.stderr, flush=True)

    wait_for(op, session.ctx.retry, schedule, on_poll=progress)


COMMANDS = {"list": list_backups, "create": create_backup, "restore": restore}
