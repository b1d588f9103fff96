"""`drift`: a read-only scan of how far the live project is from the spec.

Unlike `apply --drift-only`, which corrects, this only reports, in the shape driftctl made
familiar: managed resources that differ from the spec (field by field, live against
desired), managed resources that are missing or no longer in the spec, resources of the
kinds we manage that are not ours, and a coverage figure (managed over all seen). It runs
on one observation of the live side, which is made of list and get calls only.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from provisioner.engine.diff import field_changes, ignored_fields
from provisioner.engine.ignore import IgnoredField
from provisioner.engine.planner import Observation, Planner
from provisioner.engine.resource import Address
from provisioner.reports.render import ignored_text, leaf_differences, mask, show

EXIT_CLEAN, EXIT_DRIFT = 0, 2


@dataclass(frozen=True)
class FieldDrift:
    path: str
    live: Any
    desired: Any


@dataclass
class Drifted:
    address: Address
    kind: str
    fields: list[FieldDrift]


@dataclass
class Unmanaged:
    address: Address
    kind: str
    #: "foreign": the spec does not name it; "unlabelled": under one of our names, without our labels.
    reason: str


@dataclass
class DriftScan:
    env: str
    project: str
    drifted: list[Drifted] = field(default_factory=list)
    missing: list[Address] = field(default_factory=list)
    #: Ours by label, but the spec no longer names them (`apply --prune` would remove them).
    orphaned: list[Address] = field(default_factory=list)
    unmanaged: list[Unmanaged] = field(default_factory=list)
    managed_count: int = 0
    total_count: int = 0
    #: Differences the spec's ignore rules leave alone: not drift, but shown to whoever audits.
    ignored: dict[Address, list[IgnoredField]] = field(default_factory=dict)

    @property
    def coverage(self) -> float:
        """Managed over every live resource seen, in percent (100 when nothing is live)."""
        if not self.total_count:
            return 100.0
        return 100.0 * self.managed_count / self.total_count

    @property
    def has_drift(self) -> bool:
        """Drift is what the spec governs: managed resources, and resources under our names.

        A project always holds resources no spec names (the default `postgres` database and
        user of a Cloud SQL instance, say); they lower coverage but are not drift, or the
        scan could never come back clean.
        """
        unlabelled = any(u.reason == "unlabelled" for u in self.unmanaged)
        return bool(self.drifted or self.missing or self.orphaned or unlabelled)

    @property
    def exit_code(self) -> int:
        return EXIT_DRIFT if self.has_drift else EXIT_CLEAN

    def to_dict(self) -> dict[str, Any]:
        return {
            "env": self.env,
            "project": self.project,
            "in_sync": not self.has_drift,
            "coverage": round(self.coverage, 1),
            "summary": {
                "total": self.total_count,
                "managed": self.managed_count,
                "drifted": len(self.drifted),
                "missing": len(self.missing),
                "orphaned": len(self.orphaned),
                "unmanaged": len(self.unmanaged),
                "ignored": sum(len(fields) for fields in self.ignored.values()),
            },
            "drifted": [
                {
                    "address": d.address,
                    "kind": d.kind,
                    "fields": [
                        {"path": f.path, "live": mask(f.live, f.path), "desired": mask(f.desired, f.path)}
                        for f in d.fields
                    ],
                }
                for d in self.drifted
            ],
            "missing": self.missing,
            "orphaned": self.orphaned,
            "unmanaged": [{"address": u.address, "kind": u.kind, "reason": u.reason} for u in self.unmanaged],
            "ignored": [
                {
                    "address": address,
                    "fields": [
                        {**f.to_dict(), "live": mask(f.live, f.path), "desired": mask(f.desired, f.path)}
                        for f in fields
                    ],
                }
                for address, fields in sorted(self.ignored.items())
            ],
        }


def scan(observation: Observation, env: str, project: str) -> DriftScan:
    """Compare one observation with the desired resources; no API call is made here."""
    result = DriftScan(env=env, project=project)
    desired = {r.address: r for r in observation.desired}
    for resource in observation.graph.order(list(desired)):
        live = observation.live.get(resource.address)
        if live is None:
            result.missing.append(resource.address)
            continue
        if not live.managed:
            continue  # counted below, as unmanaged under our name
        kind = observation.kinds[resource.kind]
        changes = field_changes(kind, resource, live)
        ignored = ignored_fields(kind, resource, live)
        if ignored:
            result.ignored[resource.address] = ignored
        if changes:
            fields = [FieldDrift(c.path, c.before, c.after) for c in changes]
            result.drifted.append(Drifted(resource.address, resource.kind, fields))
    for address, live in sorted(observation.live.items()):
        result.total_count += 1
        if live.managed:
            result.managed_count += 1
            if address not in desired:
                result.orphaned.append(address)
            continue
        reason = "unlabelled" if address in desired else "foreign"
        result.unmanaged.append(Unmanaged(address, live.kind, reason))
    return result


_REASONS = {
    "unlabelled": "under one of our names, without our labels (apply --adopt takes it over)",
    "foreign": "not named by the spec",
}


def render_text(result: DriftScan, verbose: bool = False) -> str:
    lines = [f"Drift scan of {result.env} ({result.project})", ""]
    if result.drifted:
        lines.append("Changed outside the provisioner:")
        for item in result.drifted:
            lines.append(f"  ~ {item.address}")
            for f in item.fields:
                for path, live, desired in leaf_differences(f.path, f.live, f.desired):
                    lines.append(f"      {path}:")
                    lines.append(f"        live:    {show(live)}")
                    lines.append(f"        desired: {show(desired)}")
        lines.append("")
    if result.missing:
        lines.append("Missing (in the spec, not in the project):")
        lines += [f"  + {address}" for address in result.missing]
        lines.append("")
    if result.orphaned:
        lines.append("Managed but no longer in the spec (apply --prune removes them):")
        lines += [f"  - {address}" for address in result.orphaned]
        lines.append("")
    if result.unmanaged:
        lines.append("Unmanaged (of the kinds we manage, not ours):")
        lines += [f"  ? {u.address}  ({_REASONS[u.reason]})" for u in result.unmanaged]
        lines.append("")
    lines.append(_summary(result))
    lines += ignored_text(result.ignored, verbose)
    return "\n".join(lines)


def _summary(result: DriftScan) -> str:
    state = "Drift found." if result.has_drift else "No drift. The managed resources match the spec."
    return (
        f"{state} Coverage: {result.coverage:.1f}% ({result.managed_count} of {result.total_count}"
        f" resources managed); {len(result.drifted)} changed, {len(result.missing)} missing,"
        f" {len(result.orphaned)} orphaned, {len(result.unmanaged)} unmanaged."
    )


def render_markdown(result: DriftScan) -> str:
    lines = [f"## Drift scan of `{result.env}` (`{result.project}`)", "", f"**{_summary(result)}**", ""]
    if result.drifted:
        lines += ["### Changed outside the provisioner", "", "| resource | field | live | desired |"]
        lines.append("| --- | --- | --- | --- |")
        for item in result.drifted:
            for f in item.fields:
                for path, live, desired in leaf_differences(f.path, f.live, f.desired):
                    lines.append(f"| `{item.address}` | `{path}` | {_cell(live)} | {_cell(desired)} |")
        lines.append("")
    for title, addresses in (
        ("Missing", result.missing),
        ("Managed but no longer in the spec", result.orphaned),
    ):
        if addresses:
            lines += [f"### {title}", ""] + [f"- `{a}`" for a in addresses] + [""]
    if result.unmanaged:
        lines += ["### Unmanaged", ""]
        lines += [f"- `{u.address}`: {_REASONS[u.reason]}" for u in result.unmanaged]
        lines.append("")
    if result.ignored:
        lines += ["### Ignored by the spec's ignore rules", "", "| resource | field | live | spec | reason |"]
        lines.append("| --- | --- | --- | --- | --- |")
        for address, fields in sorted(result.ignored.items()):
            for left in fields:  # left alone by a rule
                live, want = _cell(mask(left.live, left.path)), _cell(mask(left.desired, left.path))
                lines.append(f"| `{address}` | `{left.path}` | {live} | {want} | {_cell(left.reason)} |")
        lines.append("")
    return "\n".join(lines)


def _cell(value: Any) -> str:
    return "`" + show(value).replace("|", "\\|") + "`"


def render(result: DriftScan, fmt: str, verbose: bool = False) -> str:
    if fmt == "json":
        return json.dumps(result.to_dict(), indent=2, default=str)
    if fmt == "markdown":
        return render_markdown(result)
    return render_text(result, verbose)


def run(planner: Planner, fmt: str, verbose: bool = False) -> int:
    """Observe once, report, and say by the exit code whether anything drifted."""
    observation = planner.snapshot()
    result = scan(observation, planner.ctx.env, planner.ctx.project)
    print(render(result, fmt, verbose))
    return result.exit_code
