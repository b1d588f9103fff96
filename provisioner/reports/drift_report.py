"""What a drift run leaves behind: its report in the state bucket and a metric point.

The report (JSON for machines, Markdown for people) goes to the provisioner's state bucket
as `reports/<env>/<UTC timestamp>.json|.md`; the point goes to the custom metric
`custom.googleapis.com/digitwin/provisioner/drift`, labelled with the environment and the
outcome, so an alert can fire on `failed` or on drift that keeps coming back. The value is
the number of resources found drifted.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from provisioner.engine.apply import ApplyResult
from provisioner.engine.context import Context
from provisioner.engine.plan import Plan
from provisioner.spec.drift_job import DRIFT_METRIC

Outcome = Literal["drifted", "corrected", "failed"]


@dataclass
class DriftRun:
    env: str
    project: str
    started: datetime = field(default_factory=lambda: datetime.now(UTC))
    plan: Plan | None = None
    result: ApplyResult | None = None
    error: str | None = None
    report_only: bool = False
    #: What could not be left behind (the report, the metric point), each said in one line.
    unrecorded: list[str] = field(default_factory=list)

    @property
    def drifted(self) -> int:
        return len([c for c in self.plan.changes if c.action != "noop"]) if self.plan else 0

    @property
    def outcome(self) -> Outcome:
        if self.error or (self.result is not None and not self.result.ok):
            return "failed"
        if self.plan is not None and (self.plan.blocked or (self.plan.pending and self.result is None)):
            return "drifted"
        return "corrected"

    @property
    def stamp(self) -> str:
        return self.started.strftime("%Y%m%dT%H%M%SZ")

    def to_dict(self) -> dict[str, Any]:
        from provisioner.reports.render import plan_json

        outcomes = [
            {
                "address": o.change.address,
                "status": o.status,
                "detail": o.detail,
                "seconds": round(o.seconds, 3),
            }
            for o in (self.result.outcomes if self.result else [])
        ]
        return {
            "env": self.env,
            "project": self.project,
            "started_at": self.started.isoformat(timespec="seconds"),
            "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "mode": "report" if self.report_only else "correct",
            "outcome": self.outcome,
            "drifted": self.drifted,
            "error": self.error,
            "plan": json.loads(plan_json(self.plan)) if self.plan else None,
            "applied": outcomes,
        }

    def markdown(self) -> str:
        from provisioner.reports.render import apply_summary, plan_markdown

        lines = [
            f"## Drift report for `{self.env}` (`{self.project}`)",
            "",
            f"- started: {self.started.isoformat(timespec='seconds')}",
            f"- outcome: **{self.outcome}**, {self.drifted} resource(s) drifted",
            "",
        ]
        if self.error:
            lines += [f"Error: {self.error}", ""]
        if self.plan is not None:
            lines += [plan_markdown(self.plan), ""]
        if self.result is not None:
            lines += ["```", apply_summary(self.result), "```", ""]
        return "\n".join(lines)


def write_report(ctx: Context, run: DriftRun) -> list[str]:
    """Store the report in the state bucket; returns the object names."""
    bucket = ctx.clients.storage(ctx.project).bucket(ctx.spec.bucket_name("state"))
    names = []
    for suffix, content, content_type in (
        ("json", json.dumps(run.to_dict(), indent=2, default=str), "application/json"),
        ("md", run.markdown(), "text/markdown; charset=utf-8"),
    ):
        name = f"reports/{run.env}/{run.stamp}.{suffix}"
        blob = bucket.blob(name)
        # Created, never overwritten: a second run in the same second must not replace a report.
        ctx.retry.call(blob.upload_from_string, content, content_type=content_type, if_generation_match=0)
        names.append(name)
    return names


def write_metric(ctx: Context, run: DriftRun) -> None:
    """One GAUGE INT64 point; the API creates the metric's descriptor on the first write."""
    series = {
        "metric": {"type": DRIFT_METRIC, "labels": {"env": run.env, "outcome": run.outcome}},
        "resource": {"type": "global", "labels": {"project_id": ctx.project}},
        "metricKind": "GAUGE",
        "valueType": "INT64",
        "points": [
            {
                "interval": {"endTime": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")},
                "value": {"int64Value": str(run.drifted)},
            }
        ],
    }
    api = ctx.clients.discovery("monitoring", "v3").projects().timeSeries()
    request = api.create(name=f"projects/{ctx.project}", body={"timeSeries": [series]})
    ctx.retry.call(request.execute)
