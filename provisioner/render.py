"""Plans and apply results as text (for a terminal), JSON (for machines), Markdown (for PRs).

Secrets never reach a report: bodies carry no secret values by construction, and any
field whose name says it holds one is masked here as a second line of defence.
"""

from __future__ import annotations

import json
from typing import Any

from provisioner.apply import ApplyResult
from provisioner.plan import Change, Plan

SECRET_WORDS = ("password", "secret_value", "secretvalue", "privatekey", "private_key", "token")
MASK = "(sensitive)"


def mask(value: Any, key: str = "") -> Any:
    lowered = key.lower().replace("-", "_")
    if any(word in lowered for word in SECRET_WORDS):
        return MASK
    if isinstance(value, dict):
        return {k: mask(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [mask(v, key) for v in value]
    return value


def show(value: Any) -> str:
    if value is None:
        return "(unset)"
    return json.dumps(value, sort_keys=True, default=str)


def summary_line(plan: Plan) -> str:
    if not plan.has_changes:
        return "No changes. The live resources match the spec."
    c = plan.counts()
    line = (
        f"Plan: {c['create']} to create, {c['update']} to update, {c['replace']} to replace, "
        f"{c['delete']} to delete"
    )
    if c["abandon"]:
        line += f", {c['abandon']} to release"
    line += "."
    if plan.blocked:
        line += f" {len(plan.blocked)} held back (see notes)."
    return line


def _change_header(change: Change) -> str:
    head = f"{change.symbol:>3} {change.address}"
    if change.action == "replace" and change.reason:
        head += f"  (replace: {change.reason})"
    if change.destructive:
        head += "  [DESTRUCTIVE]"
    return head


def _field_lines(change: Change) -> list[str]:
    lines = []
    if change.action == "create" and change.desired:
        for key, value in sorted(mask(change.desired["body"]).items()):
            lines.append(f"      {key}: {show(value)}")
    for f in change.fields:
        lines.append(f"      {f.path}: {show(mask(f.before, f.path))} → {show(mask(f.after, f.path))}")
    if change.note:
        lines.append(f"      note: {change.note}")
    if change.blocked:
        lines.append(f"      held back: {change.blocked}")
    return lines


def plan_text(plan: Plan) -> str:
    out = [f"Environment {plan.env} (project {plan.project})", ""]
    for address, notice in sorted(plan.notices.items()):
        out.append(f"  = {address}: {notice}")
    for change in sorted(plan.changes, key=lambda c: (not c.destructive, 0)):
        if change.action == "noop" and not change.blocked:
            continue
        out.append(_change_header(change))
        out.extend(_field_lines(change))
    if plan.has_changes:
        out.append("")
    out.append(summary_line(plan))
    return "\n".join(out)


def plan_json(plan: Plan) -> str:
    data = plan.to_dict()
    data["changes"] = mask(data["changes"])
    return json.dumps(data, indent=2, default=str)


def _md_cell(value: Any) -> str:
    return show(value).replace("|", "\\|")


def plan_markdown(plan: Plan) -> str:
    out = [f"### Plan for `{plan.env}` (`{plan.project}`)", "", f"**{summary_line(plan)}**", ""]
    ordered = sorted(
        (c for c in plan.changes if c.action != "noop" or c.blocked),
        key=lambda c: (not c.destructive, c.address),
    )
    for change in ordered:
        title = f"<code>{change.symbol} {change.address}</code>"
        if change.destructive:
            title = f"⚠️ DESTRUCTIVE {title}"
        out += ["<details>", f"<summary>{title}</summary>", ""]
        if change.reason:
            out += [f"Replacement: {change.reason}", ""]
        if change.note:
            out += [f"Note: {change.note}", ""]
        if change.blocked:
            out += [f"Held back: {change.blocked}", ""]
        rows = [(f.path, f.before, f.after) for f in change.fields]
        if change.action == "create" and change.desired:
            rows = [(k, None, v) for k, v in sorted(change.desired["body"].items())]
        if rows:
            out += ["| field | before | after |", "| --- | --- | --- |"]
            out += [f"| `{p}` | {_md_cell(mask(b, p))} | {_md_cell(mask(a, p))} |" for p, b, a in rows]
            out.append("")
        out += ["</details>", ""]
    return "\n".join(out)


def render_plan(plan: Plan, fmt: str) -> str:
    return {"text": plan_text, "json": plan_json, "markdown": plan_markdown}[fmt](plan)


def apply_summary(result: ApplyResult) -> str:
    lines = []
    for outcome in result.outcomes:
        if outcome.status != "done":
            lines.append(f"  {outcome.status.upper():7} {outcome.change.address}: {outcome.detail}")
    done, failed, skipped = (len(result.of(s)) for s in ("done", "failed", "skipped"))
    lines.append(f"Apply complete: {done} done, {failed} failed, {skipped} skipped.")
    return "\n".join(lines)
