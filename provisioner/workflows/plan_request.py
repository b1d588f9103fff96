"""What a plan was asked for: the consent flags and `--target`, checked before anything is read.

`plan`, `apply` and `cost` plan alike, so they read their options and refuse unknown targets
in the same words.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import TYPE_CHECKING

from provisioner.engine.planner import PlanOptions
from provisioner.workflows.outcome import UsageError

if TYPE_CHECKING:
    from provisioner.workflows.registry import Registry
    from provisioner.workflows.session import Session


def plan_options(args: argparse.Namespace) -> PlanOptions:
    """The consent flags and targets of `plan`, `apply` and `cost`, as the planner takes them."""
    return PlanOptions(
        adopt=args.adopt,
        prune=args.prune,
        allow_destroy=args.allow_destroy,
        allow_prod_destroy=args.allow_prod_destroy,
        targets=tuple(args.target),
    )


def check_target_kinds(targets: Sequence[str], registry: Registry) -> None:
    """Refuse targets of no known kind before anything is read from the API."""
    if not targets:
        return
    kinds = registry.kind_names()
    unknown = [t for t in targets if t.split("/", 1)[0] not in kinds]
    if unknown:
        raise UsageError(
            f"--target {', '.join(map(repr, unknown))} matches nothing; give a resource address"
            f" or one of: {', '.join(sorted(kinds))}"
        )


def check_targets(session: Session, targets: Sequence[str]) -> None:
    """Refuse targets that name no resource or kind of the environment's plan."""
    if not targets:
        return
    desired = session.planner.desired()
    known = {r.address for r in desired} | {r.kind for r in desired} | set(session.planner.kinds)
    unknown = [t for t in targets if t not in known]
    if unknown:
        kinds = ", ".join(sorted(session.planner.kinds))
        raise UsageError(
            f"--target {', '.join(unknown)} matches nothing; give a resource address or one of: {kinds}"
        )
