"""Cost estimates for people: a terminal report, a pull-request comment, and JSON for tools.

Every form says the same things in the same order: the total (now, after apply, the change),
the resources that cost something with their line items, the charges that depend on use
(with their unit prices, kept out of the total rather than guessed), what has no charge of
its own and why, what could not be priced, and the price table's date and sources.
"""

from __future__ import annotations

import json
import os
import textwrap
from pathlib import Path
from typing import Any

from provisioner.cost.estimate import CostReport, ResourceCost
from provisioner.cost.pricing import CostLine
from provisioner.engine.plan import SYMBOLS

COST_FORMAT_VERSION = 1


def render(report: CostReport, fmt: str) -> str:
    if fmt == "json":
        return json.dumps(to_dict(report), indent=2)
    if fmt == "markdown":
        return to_markdown(report)
    return to_text(report)


# -- numbers -------------------------------------------------------------------------------
def money(amount: float) -> str:
    return f"-${abs(amount):,.2f}" if amount < -0.004 else f"${abs(amount):,.2f}"


def change(amount: float) -> str:
    if abs(amount) < 0.005:
        return "$0.00"
    return f"+${amount:,.2f}" if amount > 0 else f"-${-amount:,.2f}"


def unit_price(amount: float) -> str:
    """Enough digits for per-second prices, at least cents for the rest."""
    text = f"{amount:.7f}".rstrip("0")
    whole, _, cents = text.partition(".")
    return f"${whole}.{cents.ljust(2, '0')}"


def quantity(value: float) -> str:
    return f"{value:,.4g}" if value != int(value) else f"{int(value):,}"


def plural(unit: str, count: float) -> str:
    """`2 rules`, `16 vCPUs`, `200 GiB`: units of measure stay as they are."""
    if count <= 1 or unit.endswith(("B", "s")) or "-" in unit:
        return unit
    if unit.endswith("y"):
        return unit[:-1] + "ies"
    return unit + ("es" if unit.endswith("ss") else "s")


def detail(line: CostLine) -> str:
    """How the amount comes about: `16 vCPU × $0.0413/hour`, or the unit price of a usage charge."""
    if line.status == "usage" and line.unit_price is not None:
        per = f" per {line.unit}" + (f" per {line.per}" if line.per in ("hour", "second", "month") else "")
        return f"{unit_price(line.unit_price)}{per}"
    if line.status == "priced" and line.unit_price is not None and line.quantity is not None:
        unit = plural(line.unit or "", line.quantity)
        return f"{quantity(line.quantity)} {unit} × {unit_price(line.unit_price)}/{line.per}"
    return ""


def amount(line: CostLine) -> str:
    if line.status == "usage":
        return "usage"
    if line.status == "free":
        return "free"
    if line.status == "unpriced":
        return "not priced"
    text = money(line.monthly)
    if line.monthly_max is not None:
        text += f" (up to {money(line.monthly_max)})"
    return text


def table_path(report: CostReport) -> str:
    path = report.prices.path
    try:
        return os.path.relpath(path) if Path(path).resolve().is_relative_to(Path.cwd()) else str(path)
    except ValueError:
        return str(path)


def _symbol(resource: ResourceCost) -> str:
    return SYMBOLS.get(resource.action or "noop", " ").strip()


def _groups(report: CostReport) -> tuple[list[ResourceCost], list[ResourceCost], list[ResourceCost]]:
    """Resources that cost something (dearest first), those billed by use only, and free ones."""
    charged = [r for r in report.resources if r.status in ("priced", "unpriced") or abs(r.delta) >= 0.005]
    usage = [r for r in report.resources if r not in charged and r.status == "usage"]
    free = [r for r in report.resources if r not in charged and r not in usage]
    # What a plan changes comes first; then the dearest first.
    charged.sort(
        key=lambda r: (not _changes(r), -max(_monthly(r.current), _monthly(r.after)), -r.weight, r.address)
    )
    return charged, usage, free


def _monthly(side: Any) -> float:
    return side.monthly if side is not None else 0.0


def _ceiling(side: Any) -> float:
    return side.ceiling if side is not None else 0.0


def _changes(resource: ResourceCost) -> bool:
    """The plan changes what this resource costs, now or at its autoscaling maximum."""
    return abs(resource.delta) >= 0.005 or abs(_ceiling(resource.after) - _ceiling(resource.current)) >= 0.005


def _reason(resource: ResourceCost) -> str:
    notes = [line.note for line in resource.lines if line.status == "free" and line.note]
    return "; ".join(dict.fromkeys(notes)) or "no charge"


# -- text ----------------------------------------------------------------------------------
def to_text(report: CostReport) -> str:
    table = report.prices
    out = [
        f"Monthly cost of {report.env} ({report.project}), list prices in {table.currency}",
        f"Price table {table_path(report)}, as of {table.as_of.isoformat()}; "
        f"{table.hours_per_month:g} hours a month; no discounts; free tiers as the price notes say.",
        "",
    ]
    charged, usage, free = _groups(report)
    for resource in charged:
        out += _text_resource(report, resource)
    if usage:
        out.append(f"Billed by use only ({len(usage)}), not in the total:")
        for resource in usage:
            charges = [line for line in resource.lines if line.status == "usage"]
            out.append(f"  {_label(resource)}")
            out += [f"      {line.item} at {detail(line)}" for line in charges]
        out.append("")
    if free:
        out.append(f"No charge of their own ({len(free)}):")
        out += [f"  {_label(r)}: {_reason(r)}" for r in free]
        out.append("")
    out += _text_totals(report)
    return "\n".join(out)


def _label(resource: ResourceCost) -> str:
    symbol = _symbol(resource)
    label = f"{symbol} {resource.address}" if symbol else resource.address
    if resource.held:
        label += f" (held back: {resource.held})"
    return label


def _text_resource(report: CostReport, resource: ResourceCost) -> list[str]:
    label = _label(resource)
    if report.with_plan:
        now, after = money(_monthly(resource.current)), money(_monthly(resource.after))
        head = f"{label}  {now} → {after}  ({change(resource.delta)})"
        low, high = _ceiling(resource.current), _ceiling(resource.after)
        if abs((high - low) - resource.delta) >= 0.005:  # the maximum moves otherwise than the minimum
            head += f"; at the autoscaling maximum {money(low)} → {money(high)}"
    else:
        head = f"{label}  {money(resource.after.monthly if resource.after else 0.0)}"
    lines = [head]
    if resource.unpriced_kind:
        lines.append(f"    not priced: the {resource.kind} kind has no pricing")
    # The free part of something that charges: its other lines say enough.
    shown = [line for line in resource.lines if line.status != "free" or len(resource.lines) == 1]
    item_width = max((len(line.item) for line in shown), default=0)
    how_width = max((len(detail(line)) for line in shown), default=0)
    for line in shown:
        lines.append(f"    {line.item:<{item_width}}  {detail(line):<{how_width}}  {amount(line)}".rstrip())
        if line.note:
            lines += textwrap.wrap(line.note, 100, initial_indent="      ", subsequent_indent="      ")
    lines.append("")
    return lines


def _text_totals(report: CostReport) -> list[str]:
    out = []
    if report.with_plan:
        out.append(
            f"Total a month: {money(report.current)} now → {money(report.after)} after apply"
            f" ({change(report.delta)})"
        )
        low, high = report.ceiling("current"), report.ceiling("after")
        if high - report.after >= 0.005 or low - report.current >= 0.005:
            out.append(
                f"  with every autoscaler at its maximum: {money(low)} now → {money(high)} after apply"
                f" ({change(high - low)})"
            )
    else:
        out.append(f"Total a month: {money(report.after)}")
        ceiling = report.ceiling("after")
        if ceiling - report.after >= 0.005:
            out.append(f"  up to {money(ceiling)} with every autoscaler at its maximum")
    out += budget_text(report)
    usage, unpriced = report.usage_lines, report.unpriced
    out.append(
        f"  not in the total: {len(usage)} usage-dependent charge{'s' if len(usage) != 1 else ''}"
        " (traffic, requests, data stored)"
        + (f" and {len(unpriced)} item{'s' if len(unpriced) != 1 else ''} not priced" if unpriced else "")
    )
    for address, why in unpriced:
        out.append(f"  not priced: {address}: {why}")
    out.append("")
    out.append("Price notes:")
    for note in report.prices.notes:
        out += textwrap.wrap(note, 100, initial_indent="  - ", subsequent_indent="    ")
    out.append("Sources:")
    out += [f"  {source}" for source in report.prices.sources]
    return out


def budget_text(report: CostReport) -> list[str]:
    """The budget beside the estimate, and a flag when the estimate is above it."""
    if report.budget is None:
        return []
    when = "after apply" if report.with_plan else "estimate"
    if report.over_budget:
        return [
            f"  OVER BUDGET: {money(report.after)} ({when}) against a budget of {money(report.budget)}"
            f" a month, {change(report.after - report.budget)} (budget.monthly_usd in the spec)"
        ]
    share = report.after / report.budget * 100
    used = (
        f"after apply {share:.0f}% of it is used"
        if report.with_plan
        else f"the estimate uses {share:.0f}% of it"
    )
    return [
        f"  budget: {money(report.budget)} a month; {used}, {money(report.budget - report.after)} to spare"
    ]


def budget_warning(report: CostReport) -> str | None:
    """One sentence when applying the plan would leave the environment above its budget."""
    if not report.over_budget or report.budget is None:
        return None
    head = (
        f"applying this plan would take {report.env} above its budget"
        if report.current <= report.budget + 0.005
        else f"{report.env} is above its budget and stays so after this plan"
    )
    return (
        f"warning: {head}: {money(report.after)} a month at list prices (now {money(report.current)}),"
        f" budget {money(report.budget)} (budget.monthly_usd in its spec); `cost --env {report.env}`"
        " itemises it"
    )


# -- markdown ------------------------------------------------------------------------------
def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def to_markdown(report: CostReport) -> str:
    table = report.prices
    charged, _, free = _groups(report)
    out = [f"### Monthly cost: {report.env} (`{report.project}`)", ""]
    if report.with_plan:
        out.append(
            f"**{money(report.current)} → {money(report.after)} a month ({change(report.delta)})**"
            f" at list prices in {table.currency}."
        )
    else:
        out.append(
            f"**{money(report.after)} a month** at list prices in {table.currency} (spec only, no plan)."
        )
    low, high = report.ceiling("current"), report.ceiling("after")
    if report.with_plan and (high - report.after >= 0.005 or low - report.current >= 0.005):
        out.append(
            f"With every autoscaler at its maximum: {money(low)} → {money(high)} ({change(high - low)})."
        )
    elif not report.with_plan and high - report.after >= 0.005:
        out.append(f"Up to {money(high)} with every autoscaler at its maximum.")
    if report.budget is not None:
        out.append(
            f"⚠️ **Over budget**: {money(report.after)} against {money(report.budget)} a month"
            f" ({change(report.after - report.budget)})."
            if report.over_budget
            else f"Budget {money(report.budget)} a month: {money(report.budget - report.after)} to spare."
        )
    out.append(
        f"Not in the total: {len(report.usage_lines)} usage-dependent charges"
        + (f", {len(report.unpriced)} items not priced" if report.unpriced else "")
        + "."
    )
    out.append("")
    if report.with_plan:
        out += [
            "| | Resource | Now | After apply | Change | After, autoscalers at maximum |",
            "|---|---|---:|---:|---:|---:|",
        ]
        for r in charged:
            now, after = money(_monthly(r.current)), money(_monthly(r.after))
            held = f" (held back: {_cell(r.held)})" if r.held else ""
            top = money(_ceiling(r.after)) if _ceiling(r.after) - _monthly(r.after) >= 0.005 else ""
            out.append(
                f"| {_symbol(r)} | `{r.address}`{held} | {now} | {after} | {change(r.delta)} | {top} |"
            )
    else:
        out += ["| Resource | A month |", "|---|---:|"]
        out += [f"| `{r.address}` | {money(r.after.monthly if r.after else 0.0)} |" for r in charged]
    out.append("")
    out.append("<details><summary>Line items</summary>")
    out.append("")
    for r in charged:
        out += [f"**`{r.address}`**", "", "| Item | How | A month |", "|---|---|---:|"]
        for line in r.lines:
            if line.status == "free" and len(r.lines) > 1:
                continue
            item = _cell(line.item) + (f"<br><sub>{_cell(line.note)}</sub>" if line.note else "")
            out.append(f"| {item} | {_cell(detail(line))} | {_cell(amount(line))} |")
        out.append("")
    out.append("</details>")
    out.append("")
    lines = [(address, line) for address, line in report.usage_lines]
    out.append(f"<details><summary>Usage-dependent charges ({len(lines)}), not in the total</summary>")
    out += ["", "| Resource | Charge | Unit price |", "|---|---|---|"]
    out += [f"| `{a}` | {_cell(line.item)} | {_cell(detail(line))} |" for a, line in lines]
    out += ["", "</details>", ""]
    out.append(f"<details><summary>No charge of their own ({len(free)})</summary>")
    out.append("")
    out += [f"- `{r.address}`: {_cell(_reason(r))}" for r in free]
    out += ["", "</details>", ""]
    for address, why in report.unpriced:
        out.append(f"- Not priced: `{address}`: {_cell(why)}")
    out += [
        f"Prices: `{table_path(report)}` as of {table.as_of.isoformat()}, {table.hours_per_month:g} hours"
        " a month, list prices without discounts; free tiers as the price notes say.",
        "",
        "<details><summary>Price notes and sources</summary>",
        "",
        *(f"- {_cell(note)}" for note in table.notes),
        *(f"- <{source}>" for source in table.sources),
        "",
        "</details>",
    ]
    return "\n".join(out)


# -- JSON ----------------------------------------------------------------------------------
def _side(side: Any) -> dict[str, Any] | None:
    if side is None:
        return None
    return {
        "monthly": round(side.monthly, 2),
        "monthly_max": round(side.ceiling, 2),
        "lines": [line.to_dict() for line in side.lines],
    }


def to_dict(report: CostReport) -> dict[str, Any]:
    table = report.prices
    return {
        "format_version": COST_FORMAT_VERSION,
        "env": report.env,
        "project": report.project,
        "with_plan": report.with_plan,
        "currency": table.currency,
        "price_table": {
            "path": table_path(report),
            "as_of": table.as_of.isoformat(),
            "hours_per_month": table.hours_per_month,
            "notes": table.notes,
            "sources": table.sources,
        },
        "totals": {
            "current": round(report.current, 2) if report.with_plan else None,
            "after": round(report.after, 2),
            "delta": round(report.delta, 2) if report.with_plan else None,
            "after_max": round(report.ceiling("after"), 2),
            "budget": round(report.budget, 2) if report.budget is not None else None,
            "over_budget": report.over_budget,
            "usage_dependent_charges": len(report.usage_lines),
            "not_priced": [{"address": a, "why": why} for a, why in report.unpriced],
        },
        "resources": [
            {
                "address": r.address,
                "kind": r.kind,
                "action": r.action,
                "held_back": r.held,
                "status": r.status,
                "current": _side(r.current),
                "after": _side(r.after),
                "delta": round(r.delta, 2),
            }
            for r in report.resources
        ],
    }
