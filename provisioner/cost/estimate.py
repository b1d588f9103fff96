"""`cost`: a monthly list-price estimate of an environment, and what a plan would change in it.

Every kind prices API-shaped bodies (see `cost.priced`); this module only decides which
body stands for "now" and which for "after apply", asks the kinds, and adds up. Now is the
live resource as the API returned it (not normalised: fields the API fills in, such as a
disk grown by auto-resize, are what is billed); after is what apply would leave: the new
body for a create or a replacement, the live body with the spec's fields written over it
for an update (as the kinds' updates do), nothing for a deletion, and the live body
unchanged when a change is held back or there is none. Without a plan (`--no-plan`) the
spec is priced alone and no API is called.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from provisioner.cost.priced import body_as_created, monthly_costs
from provisioner.cost.pricing import CostLine, PriceTable, load_price_table
from provisioner.engine.context import Context
from provisioner.engine.diff import deep_merge, with_live_ignored
from provisioner.engine.graph import ResourceGraph
from provisioner.engine.kind import Kind
from provisioner.engine.plan import Plan
from provisioner.engine.planner import Observation, Planner, PlanOptions
from provisioner.engine.resource import Address, Resource, address_of
from provisioner.spec.models import EnvSpec

#: Placeholder for the one read (`project_number`) that desired bodies may need; it only
#: appears in IAM members, which cost nothing.
PLACEHOLDER_PROJECT_NUMBER = "0"


def load_prices(path: Path | None, default: Path) -> PriceTable:
    """The table at `path`, or the `default` one the composition root names."""
    return load_price_table(path or default)


@dataclass
class Side:
    """One resource's charges at one moment (now, or after apply)."""

    lines: list[CostLine]

    @property
    def monthly(self) -> float:
        return sum(line.monthly for line in self.lines)

    @property
    def ceiling(self) -> float:
        return sum(line.ceiling for line in self.lines)

    @property
    def status(self) -> str:
        """priced (something adds to the total), free, usage (only usage charges) or unpriced."""
        statuses = {line.status for line in self.lines}
        if "priced" in statuses:
            return "priced"
        if "unpriced" in statuses:
            return "unpriced"
        if "usage" in statuses:
            return "usage"
        return "free"


@dataclass
class ResourceCost:
    address: Address
    kind: str
    #: The planned action; None when priced without a plan.
    action: str | None
    current: Side | None
    after: Side | None
    #: Why a planned change will not be applied (the flag that releases it).
    held: str | None = None
    #: The kind does not price itself at all.
    unpriced_kind: bool = False

    @property
    def shown(self) -> Side | None:
        return self.after if self.after is not None else self.current

    @property
    def delta(self) -> float:
        return (self.after.monthly if self.after else 0.0) - (self.current.monthly if self.current else 0.0)

    @property
    def weight(self) -> float:
        return max(
            self.current.ceiling if self.current else 0.0,
            self.after.ceiling if self.after else 0.0,
        )

    @property
    def status(self) -> str:
        if self.unpriced_kind:
            return "unpriced"
        return self.shown.status if self.shown else "free"

    @property
    def lines(self) -> list[CostLine]:
        return self.shown.lines if self.shown else []


@dataclass
class CostReport:
    env: str
    project: str
    prices: PriceTable
    with_plan: bool
    resources: list[ResourceCost] = field(default_factory=list)
    #: The environment's monthly budget from its spec (list prices, autoscalers at their minimum).
    budget: float | None = None

    def sides(self, side: Literal["current", "after"]) -> list[Side]:
        """Every resource's charges now (`current`) or after apply (`after`), where it has them."""
        found = (r.current if side == "current" else r.after for r in self.resources)
        return [s for s in found if s is not None]

    def total(self, side: Literal["current", "after"]) -> float:
        return sum(s.monthly for s in self.sides(side))

    def ceiling(self, side: Literal["current", "after"]) -> float:
        return sum(s.ceiling for s in self.sides(side))

    @property
    def current(self) -> float:
        return self.total("current")

    @property
    def after(self) -> float:
        return self.total("after")

    @property
    def delta(self) -> float:
        return self.after - self.current

    @property
    def over_budget(self) -> bool:
        """What the environment will cost (after apply, or the spec alone) is above its budget."""
        return self.budget is not None and self.after - self.budget >= 0.005

    @property
    def usage_lines(self) -> list[tuple[str, CostLine]]:
        return [(r.address, line) for r in self.resources for line in r.lines if line.status == "usage"]

    @property
    def unpriced(self) -> list[tuple[str, str]]:
        """(address, why) for every resource or line the estimate could not price."""
        out: list[tuple[str, str]] = []
        for r in self.resources:
            if r.unpriced_kind:
                out.append((r.address, f"the {r.kind} kind has no pricing"))
            out += [(r.address, line.note or line.item) for line in r.lines if line.status == "unpriced"]
        return out


# -- collecting ----------------------------------------------------------------------------
def estimate(
    planner: Planner, prices: PriceTable, options: PlanOptions, with_plan: bool = True
) -> CostReport:
    """Price the environment: now and after the plan these options make (--prune prices
    deletions, --adopt adoptions), or without a plan the spec alone, calling no API."""
    # A targeted estimate covers part of the environment: it is not held to the whole's budget.
    ctx = planner.ctx
    budget = None if options.targets else _budget(ctx.spec)
    report = CostReport(ctx.env, ctx.project, prices, with_plan=with_plan, budget=budget)
    if not with_plan:
        return _spec_alone(planner, prices, options, report)
    return _with_plan(planner, prices, options, report)


def _budget(spec: EnvSpec) -> float | None:
    return spec.budget.monthly_usd if spec.budget is not None else None


def plan_estimate(planner: Planner, prices: PriceTable, obs: Observation, plan: Plan) -> CostReport:
    """The estimate of a plan already made from `obs`: no further API call."""
    ctx = planner.ctx
    report = CostReport(ctx.env, ctx.project, prices, with_plan=True, budget=_budget(ctx.spec))
    return _priced_plan(planner, prices, obs, plan, report)


def without_api(ctx: Context) -> None:
    """Let the desired bodies be built without the one read they may need (the project number)."""
    ctx.__dict__.setdefault("project_number", PLACEHOLDER_PROJECT_NUMBER)


def _spec_alone(planner: Planner, prices: PriceTable, options: PlanOptions, report: CostReport) -> CostReport:
    without_api(planner.ctx)
    desired = planner.desired()
    if options.targets:
        desired = ResourceGraph(desired).select(options.targets)
    after = {r.address: (r.kind, body_as_created(planner.kinds[r.kind], r)) for r in desired}
    priced = _price_side(planner.kinds, after, prices)
    for r in desired:
        lines = priced[r.address]
        report.resources.append(
            ResourceCost(r.address, r.kind, None, None, Side(lines or []), unpriced_kind=lines is None)
        )
    return report


def _with_plan(planner: Planner, prices: PriceTable, options: PlanOptions, report: CostReport) -> CostReport:
    obs = planner.snapshot(options.targets)
    plan = planner.plan(options, obs)
    return _priced_plan(planner, prices, obs, plan, report)


def _priced_plan(
    planner: Planner, prices: PriceTable, obs: Observation, plan: Plan, report: CostReport
) -> CostReport:
    changes = {c.address: c for c in plan.changes}
    now: dict[Address, tuple[str, dict[str, Any]]] = {}
    after: dict[Address, tuple[str, dict[str, Any]]] = {}
    rows: list[tuple[Address, str, str, str | None]] = []
    for resource in obs.desired:
        kind = planner.kinds[resource.kind]
        live = obs.live.get(resource.address)
        change = changes.get(resource.address)
        action = change.action if change else ("noop" if live else "create")
        held = change.blocked if change else None
        current = copy.deepcopy(live.body) if live is not None else None
        if current is not None:
            now[resource.address] = (resource.kind, current)
        # An update writes the spec's fields, except those ignore rules leave to their live values.
        writes = with_live_ignored(kind, resource, live) if live is not None else resource
        body = _after(kind, resource, writes, current, action, held)
        if body is not None:
            after[resource.address] = (resource.kind, body)
        rows.append((resource.address, resource.kind, action, held))
    for change in plan.changes:
        if change.action not in ("delete", "abandon") or change.address not in obs.live:
            continue
        live = obs.live[change.address]
        current = copy.deepcopy(live.body)
        now[change.address] = (live.kind, current)
        if change.blocked or change.action == "abandon":
            after[change.address] = (live.kind, current)  # stays where it is, and keeps costing
        rows.append((change.address, live.kind, change.action, change.blocked))
    priced_now = _price_side(planner.kinds, now, prices)
    priced_after = _price_side(planner.kinds, after, prices)
    for address, kind_name, planned, held in rows:
        current_lines = priced_now.get(address)
        after_lines = priced_after.get(address)
        unpriced = (address in now and current_lines is None) or (address in after and after_lines is None)
        report.resources.append(
            ResourceCost(
                address,
                kind_name,
                planned,
                Side(current_lines or []) if address in now else None,
                Side(after_lines or []) if address in after else None,
                held=held,
                unpriced_kind=unpriced,
            )
        )
    return report


def _after(
    kind: Kind,
    resource: Resource,
    writes: Resource,
    current: dict[str, Any] | None,
    action: str,
    held: str | None,
) -> dict[str, Any] | None:
    """The body apply would leave behind for this desired resource."""
    if held is not None:
        return current
    if action in ("create", "replace"):
        return body_as_created(kind, resource)
    if action == "update" and current is not None:
        return deep_merge(current, writes.body)
    return current


def _price_side(
    kinds: dict[str, Kind], bodies: Mapping[Address, tuple[str, dict[str, Any]]], prices: PriceTable
) -> dict[Address, list[CostLine] | None]:
    """Ask each kind once for all its bodies, so prices shared across a kind come out right."""
    by_kind: dict[str, dict[str, dict[str, Any]]] = {}
    for address, (kind, body) in bodies.items():
        by_kind.setdefault(kind, {})[address.split("/", 1)[1]] = body
    out: dict[Address, list[CostLine] | None] = {}
    for kind_name, named in by_kind.items():
        for name, lines in monthly_costs(kinds[kind_name], named, prices).items():
            out[address_of(kind_name, name)] = lines
    return out
