"""The steps `apply` and `apply --drift-only` share: the lock, the stale-plan check, the progress shown.

Both take the environment's lock before writing, check that what they planned against has not
moved while they waited for it, and report progress the same way; the CLI's `apply` and the
drift job (`provisioner.workflows.drift_mode`) call these instead of each other.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING

from provisioner.engine.apply import ApplyResult, Executor, Reporter
from provisioner.engine.diff import live_token
from provisioner.engine.lock import LeaseLock, LockError, environment_lock
from provisioner.engine.plan import Plan
from provisioner.engine.resource import Address, LiveResource

if TYPE_CHECKING:
    from provisioner.workflows.session import Session


def stale(session: Session, plan: Plan) -> list[str]:
    """Addresses whose live side moved since the plan was made."""
    desired = {r.address: r for r in session.planner.desired()}
    for change in plan.changes:
        if change.desired is not None:
            desired[change.address] = change.resource()
    live = session.planner.observe(list(desired.values()))
    session.live = live
    moved = []
    for address, token in plan.observed.items():
        kind = session.planner.kinds.get(address.split("/", 1)[0])
        if kind is None:
            moved.append(f"{address}: kind no longer known")
            continue
        now = live_token(kind, desired.get(address), live.get(address))
        if now != token:
            before = "absent" if token is None else "as planned"
            after = "absent" if now is None else "changed"
            moved.append(f"{address}: was {before}, now {after}")
    return moved


def refuse_if_moved(session: Session, plan: Plan, planfile: Path | None, made: Sequence[str] = ()) -> bool:
    """Say what moved since `plan` was made (True), or nothing (False): a stale plan is not applied."""
    moved = [line for line in stale(session, plan) if line.split(":", 1)[0] not in made]
    if not moved:
        return False
    what = f"The plan {planfile}" if planfile else "The plan shown"
    print(f"{what} is stale; the live side changed since it was made:", file=sys.stderr)
    for line in moved:
        print(f"  {line}", file=sys.stderr)
    print("Make a new plan and review it.", file=sys.stderr)
    return True


def reporter(args: argparse.Namespace, total: int) -> Reporter:
    """A progress bar on a terminal, plain lines elsewhere (CI logs, the drift job)."""
    from provisioner.reports.progress import LineReporter, TerminalReporter

    if sys.stderr.isatty() and not args.quiet and not os.environ.get("NO_COLOR"):
        from rich.console import Console

        return TerminalReporter(total, Console(stderr=True))
    return LineReporter(quiet=args.quiet)


def take_lock(
    session: Session, args: argparse.Namespace, make_home: bool = False, home_first: bool = False
) -> LeaseLock | None:
    """Take the environment's lock, or say plainly why this apply runs without one.

    With `make_home` (a full apply), a missing state bucket is made first to hold it; a
    `--drift-only` run creates nothing, so it runs unlocked there as it always did.
    """
    if args.no_lock:
        print("warning: --no-lock: another apply could write at the same time", file=sys.stderr)
        return None
    lock = environment_lock(session.ctx, home=session.planner.lock_home if make_home else None)
    try:
        lock.acquire("apply", timeout=args.lock_timeout, home_first=home_first)
    except LockError as exc:
        # A drift-only run, or no kind in play that holds the lock: nowhere to take it.
        print(f"warning: {exc}; this apply runs without a lock", file=sys.stderr)
        return None
    return lock


def execute(
    session: Session,
    plan: Plan,
    live: dict[Address, LiveResource],
    progress: Reporter,
    parallelism: int,
    adopt: bool = False,
) -> ApplyResult:
    """Apply the plan from what was read of the live side, with the progress display open for
    the run when it is one that opens."""
    executor = Executor(
        ctx=session.ctx,
        kinds=session.planner.kinds,
        live=live,
        parallelism=parallelism,
        reporter=progress,
        adopt=adopt,
    )
    if isinstance(progress, AbstractContextManager):
        with progress:
            return executor.run(plan)
    return executor.run(plan)
