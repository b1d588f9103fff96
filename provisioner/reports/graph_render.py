"""`graph`: the dependency graph of an environment's desired resources, for people to look at.

Edges point from a resource to what it depends on (as `terraform graph` draws them), so
creation runs against the arrows. Nodes a plan would change are styled by action; the plan
comes from the same session, and `--no-plan` skips it so that no API is called.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from provisioner.engine.resource import Address, Resource

if TYPE_CHECKING:
    from provisioner.engine.planner import Planner

#: Fill and stroke per planned action; unchanged resources keep the default look.
STYLES: dict[str, tuple[str, str]] = {
    "create": ("#d4f7d4", "#2e7d32"),
    "update": ("#fff3c4", "#b28704"),
    "replace": ("#ffd8b0", "#e65100"),
    "delete": ("#ffd0d0", "#c62828"),
    "abandon": ("#e0e0e0", "#616161"),
}

#: `project_number` only appears inside bodies (IAM members), never in addresses or deps, so a
#: placeholder draws the same graph without the one read that would fetch it.
PLACEHOLDER_PROJECT_NUMBER = "0"


@dataclass
class GraphView:
    env: str
    nodes: list[Address]
    edges: list[tuple[Address, Address]]
    #: address → planned action (create, update, replace, delete, abandon).
    actions: dict[Address, str] = field(default_factory=dict)
    #: address → why a planned change is held back.
    held: dict[Address, str] = field(default_factory=dict)


def build_view(env: str, desired: Sequence[Resource], plan: Any | None = None) -> GraphView:
    nodes = [r.address for r in desired]
    edges = [(r.address, dep) for r in desired for dep in r.deps]
    view = GraphView(env=env, nodes=nodes, edges=edges)
    if plan is not None:
        for change in plan.changes:
            if change.action == "noop":
                continue
            view.actions[change.address] = change.action
            if change.blocked:
                view.held[change.address] = change.blocked
            if change.address not in nodes:
                view.nodes.append(change.address)  # planned deletions: live, no longer desired
    return view


def _label(view: GraphView, address: Address) -> str:
    action = view.actions.get(address)
    if action is None:
        return address
    note = f"{action}, held back" if address in view.held else action
    return f"{address}\n({note})"


def to_mermaid(view: GraphView) -> str:
    ids = {address: f"n{i}" for i, address in enumerate(view.nodes)}
    lines = ["flowchart LR"]
    for address in view.nodes:
        label = _label(view, address).replace('"', "#quot;").replace("\n", "<br/>")
        lines.append(f'    {ids[address]}["{label}"]')
    for source, target in view.edges:
        lines.append(f"    {ids[source]} --> {ids[target]}")
    for action, (fill, stroke) in STYLES.items():
        members = [ids[a] for a in view.nodes if view.actions.get(a) == action]
        if members:
            lines.append(f"    classDef {action} fill:{fill},stroke:{stroke},stroke-width:2px")
            lines.append(f"    class {','.join(members)} {action}")
    return "\n".join(lines)


def _dot_quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def to_dot(view: GraphView) -> str:
    lines = [
        f"digraph {_dot_quote(view.env)} {{",
        "  rankdir=LR;",
        '  node [shape=box, fontname="Helvetica", fontsize=10];',
    ]
    for address in view.nodes:
        attrs = [f"label={_dot_quote(_label(view, address))}"]
        action = view.actions.get(address)
        if action in STYLES:
            fill, stroke = STYLES[action]
            style = "filled,dashed" if address in view.held else "filled"
            attrs += [f'style="{style}"', f'fillcolor="{fill}"', f'color="{stroke}"', "penwidth=2"]
        lines.append(f"  {_dot_quote(address)} [{', '.join(attrs)}];")
    for source, target in view.edges:
        lines.append(f"  {_dot_quote(source)} -> {_dot_quote(target)};")
    lines.append("}")
    return "\n".join(lines)


class RenderError(Exception):
    """The graph cannot be written as asked (no Graphviz for SVG, an unwritable file)."""


def write_svg(dot_source: str, out: Path) -> None:
    dot = shutil.which("dot")
    if dot is None:
        raise RenderError(
            f"cannot write {out}: SVG needs the Graphviz `dot` program, which is not installed;"
            " install Graphviz, or use --format dot or --format mermaid"
        )
    done = subprocess.run([dot, "-Tsvg", "-o", str(out)], input=dot_source, text=True, capture_output=True)
    if done.returncode != 0:
        raise RenderError(f"dot could not render {out}: {done.stderr.strip()}")


def run(planner: Planner, fmt: str, out: Path | None, with_plan: bool) -> int:
    """Draw the graph; with a plan, mark what it would change."""
    if out is not None and not out.parent.is_dir():
        raise RenderError(f"--out {out}: folder {out.parent} does not exist")
    if not with_plan:
        planner.ctx.__dict__.setdefault("project_number", PLACEHOLDER_PROJECT_NUMBER)
    desired = planner.desired()
    plan = None
    if with_plan:
        from provisioner.engine.planner import PlanOptions

        plan = planner.plan(PlanOptions())
    view = build_view(planner.ctx.env, desired, plan)
    if out is not None and out.suffix.lower() == ".svg":
        write_svg(to_dot(view), out)
        print(f"Wrote {out} ({len(view.nodes)} resources, {len(view.edges)} dependencies).")
        return 0
    text = to_dot(view) if fmt == "dot" else to_mermaid(view)
    if out is None:
        print(text)
        return 0
    try:
        out.write_text(text + "\n")
    except OSError as exc:
        raise RenderError(f"cannot write {out}: {exc.strerror or exc}") from exc
    print(f"Wrote {out} ({len(view.nodes)} resources, {len(view.edges)} dependencies).")
    return 0
