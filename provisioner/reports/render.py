"""Plans and apply results as text (for a terminal), JSON (for machines), Markdown (for PRs).

Secrets never reach a report: bodies carry no secret values by construction, and any
field whose name says it holds one is masked here as a second line of defence.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TextIO

from provisioner.engine.apply import ApplyResult
from provisioner.engine.ignore import IgnoredField
from provisioner.engine.plan import Change, Plan
from provisioner.engine.resource import Address
from provisioner.engine.sensitive import MASK, says_secret


def mask(value: Any, key: str = "") -> Any:
    # A map named like a secret is a container (a scheduler job's `oauthToken` holds an account
    # e-mail and a scope): its values are masked by their own names.
    if says_secret(key) and not isinstance(value, dict):
        return MASK
    if isinstance(value, dict):
        # An environment variable names its secret beside the value: {name: DB_PASSWORD, value: …}.
        if isinstance(value.get("name"), str) and says_secret(value["name"]) and "value" in value:
            return {k: MASK if k == "value" else mask(v, k) for k, v in value.items()}
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


def leaf_differences(path: str, before: Any, after: Any) -> list[tuple[str, Any, Any]]:
    """Where two values really differ, for a reader, masked: maps key by key, lists of maps of
    the same length item by item (`template.containers[0].resources.cpuIdle`), anything else
    whole.

    A change is compared (and written) as a whole field; showing only its differing leaves
    keeps a one-flag change to a long list of containers a one-line change in the plan.
    """
    return _leaves(path, before, after, mask(before, path), mask(after, path))


def _leaves(
    path: str, before: Any, after: Any, shown_before: Any, shown_after: Any
) -> list[tuple[str, Any, Any]]:
    # Descend the values and their masked copies together: where masking replaced a value,
    # the copies stop being maps or lists, and that leaf is shown masked, whole.
    pairs: list[tuple[str, Any, Any, Any, Any]] = []
    if all(isinstance(v, dict) for v in (before, after, shown_before, shown_after)):
        for key in sorted(set(before) | set(after)):
            if before.get(key) != after.get(key):
                child = f"{path}.{key}" if path else key
                pairs.append(
                    (child, before.get(key), after.get(key), shown_before.get(key), shown_after.get(key))
                )
    elif _same_length_lists_of_maps(before, after, shown_before, shown_after):
        for i, (b, a) in enumerate(zip(before, after, strict=True)):
            if b != a:
                pairs.append((f"{path}[{i}]", b, a, shown_before[i], shown_after[i]))
    out = [leaf for pair in pairs for leaf in _leaves(*pair)]
    return out or [(path, shown_before, shown_after)]


def _same_length_lists_of_maps(*values: Any) -> bool:
    if not all(isinstance(v, list) and len(v) == len(values[0]) for v in values):
        return False
    return all(isinstance(item, dict) for v in values[:2] for item in v)


def _field_lines(change: Change) -> list[str]:
    lines = []
    if change.action == "create" and change.desired:
        for key, value in sorted(mask(change.desired["body"]).items()):
            lines.append(f"      {key}: {show(value)}")
    for f in change.fields:
        for path, before, after in leaf_differences(f.path, f.before, f.after):
            lines.append(f"      {path}: {show(before)} → {show(after)}")
    if change.note:
        lines.append(f"      note: {change.note}")
    if change.blocked:
        lines.append(f"      held back: {change.blocked}")
    return lines


#: ANSI colours of the text plan's change lines, by action (Terraform's: add, change, destroy).
COLOURS = {"create": "32", "update": "33", "abandon": "33", "replace": "31", "delete": "31"}


def use_colour(stream: TextIO, environ: Mapping[str, str] | None = None) -> bool:
    """Colour only for a person at a terminal, and never when NO_COLOR is set (no-color.org)."""
    env = os.environ if environ is None else environ
    return bool(stream.isatty()) and not env.get("NO_COLOR")


def _paint(text: str, action: str, colour: bool) -> str:
    code = COLOURS.get(action)
    return f"\033[{code}m{text}\033[0m" if colour and code else text


def ignored_text(ignored: Mapping[Address, list[IgnoredField]], verbose: bool = False) -> list[str]:
    """One quiet line counting the differences ignore rules hid; with `verbose`, each of them."""
    if not ignored:
        return []
    count, resources = sum(len(fields) for fields in ignored.values()), len(ignored)
    head = (
        f"Ignored by the spec's ignore rules: {count} difference{'s' if count != 1 else ''}"
        f" on {resources} resource{'s' if resources != 1 else ''}"
    )
    if not verbose:
        return [f"{head} (-v lists them)."]
    out = [f"{head}:"]
    for address, fields in sorted(ignored.items()):
        out.append(f"    {address}")
        for f in fields:
            live, spec = show(mask(f.live, f.path)), show(mask(f.desired, f.path))
            out.append(f"      {f.path}: live {live}, spec {spec}  (ignored: {f.reason})")
    return out


def plan_text(plan: Plan, colour: bool = False, verbose: bool = False) -> str:
    out = [f"Environment {plan.env} (project {plan.project})", ""]
    for address, notice in sorted(plan.notices.items()):
        out.append(f"  = {address}: {notice}")
    for change in sorted(plan.changes, key=lambda c: (not c.destructive, 0)):
        if change.action == "noop" and not change.blocked:
            continue
        out.append(_paint(_change_header(change), change.action, colour))
        out.extend(_field_lines(change))
    if plan.has_changes:
        out.append("")
    out.append(summary_line(plan))
    out.extend(ignored_text(plan.ignored, verbose))
    return "\n".join(out)


def plan_json(plan: Plan) -> str:
    data = plan.to_dict()
    data["changes"] = mask(data["changes"])
    for change in data["changes"]:
        # A field change names its field in `path`, not in a key, so mask by the path.
        for f in change["fields"]:
            f["before"], f["after"] = mask(f["before"], f["path"]), mask(f["after"], f["path"])
    for fields in data.get("ignored", {}).values():
        for f in fields:
            f["live"], f["desired"] = mask(f["live"], f["path"]), mask(f["desired"], f["path"])
    return json.dumps(data, indent=2, default=str)


#: GitHub refuses a pull-request comment longer than this many characters.
COMMENT_LIMIT = 65536
#: How many destructive changes the warning at the top of a Markdown plan names one by one.
BANNER_NAMES = 20
TABLE_HEAD = ["| field | before | after |", "| --- | --- | --- |"]


def _md_cell(value: Any, limit: int | None = None) -> str:
    """One table cell: JSON on one line, pipes and HTML escaped so the table stays a table."""
    text = show(value)
    if limit is not None and len(text) > limit:
        text = f"{text[:limit]}… ({len(text) - limit} characters more; see the JSON plan)"
    return text.replace("&", "&amp;").replace("<", "&lt;").replace("|", "\\|")


def _md_text(text: str) -> str:
    """Free text (notes, reasons) on one line, so it cannot open a table or close a section."""
    return " ".join(text.split()).replace("<", "&lt;")


@dataclass
class _Section:
    """One collapsible section of a Markdown plan: a title, some lines and a before → after table."""

    key: str
    title: str
    intro: list[str]
    rows: list[str]
    head: list[str] = field(default_factory=lambda: list(TABLE_HEAD))

    def render(self, rows: list[str] | None = None, title: str | None = None) -> str:
        rows = self.rows if rows is None else rows
        out = ["<details>", f"<summary>{title or self.title}</summary>", ""]
        for line in self.intro:
            out += [line, ""]
        if rows:
            out += [*self.head, *rows, ""]
        out += ["</details>", ""]
        return "\n".join(out)

    def pieces(self, budget: int) -> list[str]:
        """The section, or, if it alone exceeds the budget, several whole tables of its rows."""
        whole = self.render()
        if len(whole) <= budget or len(self.rows) < 2:
            return [whole]
        chunks: list[list[str]] = [[]]
        overhead = len(self.render(rows=[], title=f"{self.title} (fields 99999–99999 of 99999)"))
        overhead += sum(len(h) + 1 for h in self.head) + 1
        size = overhead
        for row in self.rows:
            if chunks[-1] and size + len(row) + 1 > budget:
                chunks.append([])
                size = overhead
            chunks[-1].append(row)
            size += len(row) + 1
        out, first = [], 1
        for chunk in chunks:
            last = first + len(chunk) - 1
            out.append(self.render(chunk, f"{self.title} (fields {first}–{last} of {len(self.rows)})"))
            first = last + 1
        return out


def _md_sections(plan: Plan, cell_limit: int | None = None) -> list[_Section]:
    sections = []
    if plan.notices:
        notices = sorted(plan.notices.items())
        rows = [f"| `{address}` | {_md_cell(notice, cell_limit)} |" for address, notice in notices]
        head = ["| resource | notice |", "| --- | --- |"]
        sections.append(_Section("notices", f"ℹ️ {len(rows)} worth knowing", [], rows, head))
    if plan.ignored:
        rows = [
            f"| `{address}` | `{f.path}` | {_md_cell(mask(f.live, f.path), cell_limit)}"
            f" | {_md_cell(mask(f.desired, f.path), cell_limit)} | {_md_cell(f.reason, cell_limit)} |"
            for address, fields in sorted(plan.ignored.items())
            for f in fields
        ]
        head = ["| resource | field | live | spec | reason |", "| --- | --- | --- | --- | --- |"]
        title = f"🙈 {len(rows)} difference{'s' if len(rows) != 1 else ''} ignored by the spec's ignore rules"
        sections.append(_Section("ignored", title, [], rows, head))
    ordered = sorted(
        (c for c in plan.changes if c.action != "noop" or c.blocked),
        key=lambda c: (not c.destructive, c.address),
    )
    for change in ordered:
        title = f"<code>{change.symbol} {change.address}</code>"
        if change.destructive:
            title = f"⚠️ <b>DESTRUCTIVE</b> {title}"
        if change.blocked:
            title += " (held back)"
        intro = []
        if change.reason:
            intro.append(f"**Replacement:** {_md_text(change.reason)}")
        if change.note:
            intro.append(f"**Note:** {_md_text(change.note)}")
        if change.blocked:
            intro.append(f"**Held back:** {_md_text(change.blocked)}")
        if change.action == "delete" and change.references:
            intro.append("Points at: " + ", ".join(f"`{r}`" for r in change.references))
        values = [leaf for f in change.fields for leaf in leaf_differences(f.path, f.before, f.after)]
        if change.action == "create" and change.desired:
            values = [(k, None, mask(v, k)) for k, v in sorted(change.desired["body"].items())]
        rows = [f"| `{p}` | {_md_cell(b, cell_limit)} | {_md_cell(a, cell_limit)} |" for p, b, a in values]
        sections.append(_Section(change.address, title, intro, rows))
    return sections


def _md_header(plan: Plan, part: str = "") -> str:
    """Title, counts and, loudly, what would be destroyed: repeated on every part."""
    out = [f"### Plan for `{plan.env}` (`{plan.project}`){part}", "", f"**{summary_line(plan)}**", ""]
    destructive = [c for c in plan.changes if c.destructive and c.action != "noop"]
    if destructive:
        noun = "change" if len(destructive) == 1 else "changes"
        out += ["> [!CAUTION]", f"> **{len(destructive)} destructive {noun}: data will be lost.**"]
        for change in sorted(destructive, key=lambda c: c.address)[:BANNER_NAMES]:
            held = " (held back)" if change.blocked else ""
            out.append(f"> - `{change.symbol} {change.address}`{held}")
        if len(destructive) > BANNER_NAMES:
            out.append(f"> - … and {len(destructive) - BANNER_NAMES} more (destructive changes come first)")
        out.append("")
    return "\n".join(out) + "\n"


def plan_markdown(plan: Plan) -> str:
    """The whole plan as one Markdown document, destructive changes first."""
    return _md_header(plan) + "\n".join(s.render() for s in _md_sections(plan))


def plan_markdown_parts(plan: Plan, limit: int = COMMENT_LIMIT) -> list[str]:
    """The Markdown plan as documents of at most `limit` characters, one per pull-request comment.

    Parts break between resource sections, never inside a table; each repeats the title,
    the counts and the destructive warning, and says which part it is. A single section
    too long for a part is carried as several whole tables of its rows.
    """
    whole = plan_markdown(plan)
    if len(whole) <= limit:
        return [whole]
    sections = _md_sections(plan, cell_limit=limit // 8)
    widest = len(str(max(len(sections), 1) * 10))
    budget = limit - len(_md_header(plan, f" — part {'9' * widest} of {'9' * widest}"))
    if budget < limit // 4:
        raise ValueError(f"a limit of {limit} characters leaves no room for the plan itself")
    groups: list[list[str]] = [[]]
    size = 0
    for section in sections:
        for piece in section.pieces(budget):
            if groups[-1] and size + len(piece) + 1 > budget:
                groups.append([])
                size = 0
            groups[-1].append(piece)
            size += len(piece) + 1
    total = len(groups)
    return [
        _md_header(plan, f" — part {i} of {total}") + "\n".join(group) for i, group in enumerate(groups, 1)
    ]


def render_plan(plan: Plan, fmt: str, colour: bool = False, verbose: bool = False) -> str:
    if fmt == "text":
        return plan_text(plan, colour, verbose)
    return {"json": plan_json, "markdown": plan_markdown}[fmt](plan)


def apply_summary(result: ApplyResult) -> str:
    lines = []
    for outcome in result.outcomes:
        if outcome.status != "done":
            lines.append(f"  {outcome.status.upper():7} {outcome.change.address}: {outcome.detail}")
    done, failed, skipped = (len(result.of(s)) for s in ("done", "failed", "skipped"))
    lines.append(f"Apply complete: {done} done, {failed} failed, {skipped} skipped.")
    return "\n".join(lines)
