"""`cost`: the environment's monthly list-price estimate, now and after what a plan would change.

A broken price table and unknown targets are refused before any API call; `--no-plan` prices
the spec alone and calls no API at all.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from provisioner.workflows.outcome import EXIT_OK, UsageError
from provisioner.workflows.plan_request import check_target_kinds, check_targets, plan_options
from provisioner.workflows.session import Session

if TYPE_CHECKING:
    from provisioner.workflows.registry import Registry


def run(args: argparse.Namespace, registry: Registry) -> int:
    """Estimate and print; the exit code is 0 whatever the amount (a cost is not an error)."""
    from provisioner.cost import estimate as cost
    from provisioner.cost.pricing import PriceTableError
    from provisioner.cost.render import render

    try:
        # A broken table is refused before any API call.
        prices = cost.load_prices(args.prices, registry.price_table)
    except PriceTableError as exc:
        raise UsageError(str(exc)) from exc
    check_target_kinds(args.target, registry)
    session = Session(args, args.env, registry)
    try:
        if args.no_plan:
            cost.without_api(session.ctx)
        check_targets(session, args.target)
        report = cost.estimate(session.planner, prices, plan_options(args), with_plan=not args.no_plan)
        print(render(report, args.format))
        return EXIT_OK
    finally:
        session.close()
