"""`apply`: make the live resources match the spec (or a saved plan), with the operator's consent.

It plans (or reads a saved plan and checks it is not stale), shows the plan, refuses what
production protects, runs the preflight checks, asks, takes the environment's lock, checks
again that nothing moved while it waited, and applies. `--drift-only` runs go to
`provisioner.workflows.drift_mode`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from provisioner.engine.plan import Plan
from provisioner.workflows.outcome import EXIT_ERROR, EXIT_OK, UsageError, warn
from provisioner.workflows.plan_command import budget_warnings
from provisioner.workflows.plan_request import check_target_kinds, check_targets, plan_options
from provisioner.workflows.session import Session

if TYPE_CHECKING:
    from provisioner.engine.apply import Reporter
    from provisioner.engine.plan import Change
    from provisioner.engine.resource import Address, LiveResource
    from provisioner.workflows.registry import Registry


def run(args: argparse.Namespace, registry: Registry) -> int:
    """`apply`: make the live resources match the spec or a saved plan, after asking."""
    from provisioner.reports.render import apply_summary, plan_text, use_colour
    from provisioner.workflows import apply_steps
    from provisioner.workflows.consent import protected_refusal

    if args.drift_only or len(args.envs) > 1:
        from provisioner.workflows import drift_mode

        return drift_mode.run(args, registry)
    saved = None
    if args.planfile:
        saved = load_plan(args.planfile)
        if args.env and args.env != saved.env:
            raise UsageError(f"{args.planfile} is a plan for {saved.env}, not {args.env}")
    env = saved.env if saved else args.env
    if not env:
        raise UsageError("apply needs --env ENV or a saved plan file")
    check_target_kinds(args.target, registry)
    session = Session(args, env, registry)
    lock = None
    try:
        if saved is not None:
            if apply_steps.refuse_if_moved(session, saved, args.planfile):
                return EXIT_ERROR
            plan, live = saved, session.live or {}
        else:
            check_targets(session, args.target)
            observation = session.planner.snapshot(tuple(args.target))
            plan = session.planner.plan(plan_options(args), observation)
            live = observation.live
            if not args.target and plan.pending:  # shown before the question, as plan shows it
                warn(*budget_warnings(session, observation, plan))
        if not args.quiet:
            print(plan_text(plan, colour=use_colour(sys.stdout), verbose=args.verbose > 0))
        refusal = protected_refusal(plan, session.ctx.protected)
        if refusal:
            print(f"error: {refusal}", file=sys.stderr)
            return EXIT_ERROR
        if not plan.pending:
            return EXIT_OK  # nothing to write, so no lock to take: a converged run stays read-only
        if preflight_refuses(session, args, live):
            return EXIT_ERROR
        if not confirm(plan, args.auto_approve):
            print("Apply cancelled.")
            return EXIT_ERROR
        home = [c for c in plan.pending if c.action == "create" and holds_lock(session, c)]
        lock = apply_steps.take_lock(session, args, make_home=True, home_first=bool(home))
        made = [c.address for c in home]
        if lock is not None and lock.first_writer:
            # This apply made the lock's bucket and took the lock at once: every other writer
            # needs that lock, so nothing moved since the plan was read. Only the bucket itself
            # is read again (when the plan has it), to work out what is left of its create.
            if home:
                found = session.planner.observe([c.resource() for c in home], kinds=[c.kind for c in home])
                live = {**live, **found}
                plan = session.planner.rediff(plan, live, made)
        elif lock is not None:
            # Another writer may have finished between our reading and our lock: what was
            # shown must still be what is there, or we stop. The lock's own bucket, planned as
            # a create and made by whichever first apply took a lock first, is the one thing
            # allowed to have appeared: its change is worked out again.
            if apply_steps.refuse_if_moved(session, plan, args.planfile, made):
                return EXIT_ERROR
            live = session.live or {}
            if made:
                plan = session.planner.rediff(plan, live, made)
        reporter: Reporter = apply_steps.reporter(args, len(plan.pending))
        result = apply_steps.execute(session, plan, live, reporter, args.parallelism, adopt=args.adopt)
    finally:
        if lock is not None:
            lock.release()
        session.close()
    print(apply_summary(result))
    return EXIT_OK if result.ok else EXIT_ERROR


def confirm(plan: Plan, auto_approve: bool) -> bool:
    if auto_approve:
        return True
    if not sys.stdin.isatty():
        raise UsageError("refusing to apply without confirmation: not a terminal; pass --auto-approve")
    answer = input(f"Apply these changes to {plan.env} ({plan.project})? Only 'yes' is accepted: ")
    return answer.strip() == "yes"


def holds_lock(session: Session, change: Change) -> bool:
    from provisioner.engine.lock_home import holds_lock

    return holds_lock(session.planner.kinds[change.kind], change.name)


def preflight_refuses(
    session: Session, args: argparse.Namespace, live: dict[Address, LiveResource] | None
) -> bool:
    """apply's step before its first write: a project that would refuse part of the spec is
    refused before anything is written. Only an apply that has something to write asks, and it
    hands over what it read (unless targeted: then it read only part of the project)."""
    if args.skip_preflight:
        return False
    from provisioner.workflows import preflight

    report = preflight.run(session.planner, None if args.target else live)
    text = report.render(quiet=True)
    if text:
        print(text, file=sys.stderr)
    return not report.ok


def load_plan(path: Path) -> Plan:
    """Read a saved plan; anything that is not a plan this version wrote is a usage error."""
    try:
        plan = Plan.load(path)
    except OSError as exc:
        raise UsageError(f"cannot read plan {path}: {exc.strerror or exc}") from exc
    except KeyError as exc:
        raise UsageError(f"{path} is not a saved plan: it has no {exc} entry") from exc
    except (ValueError, TypeError, AttributeError, RecursionError) as exc:
        # JSON syntax errors, a truncated file, a list where a mapping belongs, wrong versions.
        reason = str(exc).removeprefix(f"{path}: ")
        raise UsageError(f"{path} is not a saved plan this version can read: {reason}") from exc
    if not isinstance(plan.env, str) or not isinstance(plan.observed, dict):
        raise UsageError(f"{path} is not a saved plan this version can read: env or observed is malformed")
    return plan
