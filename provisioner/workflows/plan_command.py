"""`plan`: what apply would change, as text, JSON or Markdown parts, optionally saved for `apply PLANFILE`.

A plan reads the live side and writes nothing; it warns when applying it would leave the
environment above its budget, and with --show-requests lists what apply would send.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from provisioner.workflows.outcome import EXIT_CHANGES, EXIT_ERROR, EXIT_OK, UsageError, warn
from provisioner.workflows.plan_request import check_target_kinds, check_targets, plan_options
from provisioner.workflows.session import Session

if TYPE_CHECKING:
    from provisioner.engine.plan import Plan
    from provisioner.engine.planner import Observation
    from provisioner.workflows.registry import Registry


def run(args: argparse.Namespace, registry: Registry) -> int:
    """`plan`: show what apply would change; with --detailed-exitcode, exit 2 when it would."""
    from provisioner.reports.render import render_plan, use_colour

    if args.out and not args.out.parent.is_dir():
        raise UsageError(f"--out {args.out}: folder {args.out.parent} does not exist")
    check_target_kinds(args.target, registry)
    session = Session(args, args.env, registry)
    listing = None
    try:
        check_targets(session, args.target)
        options = plan_options(args)
        observation = session.planner.snapshot(options.targets)
        plan = session.planner.plan(options, observation)
        if args.show_requests:
            from provisioner.traffic.show_requests import requests_of

            local_base = session.emulator.base_url if session.emulator is not None else None
            listing = requests_of(session.planner, plan, observation, local_base)
        if not options.targets:  # a targeted plan prices part of the environment only
            warn(*budget_warnings(session, observation, plan))
    finally:
        session.close()
    if args.out:
        try:
            plan.save(args.out)
        except OSError as exc:
            raise UsageError(f"cannot write the plan to {args.out}: {exc.strerror or exc}") from exc
    if args.markdown_dir:
        write_markdown_parts(plan, args.markdown_dir)
    rendered = render_plan(plan, args.format, colour=use_colour(sys.stdout), verbose=args.verbose > 0)
    if listing is not None:
        from provisioner.reports.request_render import attach

        rendered = attach(rendered, listing, args.format)
    print(rendered)
    if listing is not None and listing.problems:
        count = len(listing.problems)
        print(f"error: the requests of {count} change(s) could not be worked out", file=sys.stderr)
        return EXIT_ERROR
    if args.detailed_exitcode and plan.has_changes:
        return EXIT_CHANGES
    return EXIT_OK


def budget_warnings(session: Session, observation: Observation, plan: Plan) -> list[str]:
    """A warning when applying the plan would leave the environment above its spec's budget."""
    if session.spec.budget is None:
        return []
    from provisioner.cost.estimate import load_prices, plan_estimate
    from provisioner.cost.pricing import PriceTableError
    from provisioner.cost.render import budget_warning

    try:
        prices = load_prices(None, session.registry.price_table)
        report = plan_estimate(session.planner, prices, observation, plan)
    except PriceTableError as exc:
        return [f"warning: the budget was not checked: {exc}"]
    warning = budget_warning(report)
    return [warning] if warning else []


def write_markdown_parts(plan: Plan, folder: Path) -> None:
    """Comment-sized parts, numbered; parts of an earlier, longer plan are removed first."""
    import re

    from provisioner.reports.render import plan_markdown_parts

    parts = plan_markdown_parts(plan)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.glob("plan-*.md"):
            if re.fullmatch(r"plan-\d+\.md", old.name):
                old.unlink()
        for i, part in enumerate(parts, 1):
            (folder / f"plan-{i}.md").write_text(part)
    except OSError as exc:
        raise UsageError(f"cannot write the Markdown plan to {folder}: {exc.strerror or exc}") from exc
