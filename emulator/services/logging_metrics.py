"""Cloud Logging v2 log-based metrics (`projects.metrics`), and the log entries that feed them.

Rules from the API's own description (the logging v2 discovery document, `LogMetric`):
- the name is at most 100 characters of `A-Za-z0-9_-.,+!*',()%/`, not starting with `/`;
- the filter is required, at most 20,000 characters, in the Logging query language
  (`emulator.logfilter`; one this emulator cannot parse is refused);
- without a metric descriptor the metric counts matching entries: DELTA, INT64, unit "1";
  the descriptor's name, type and description are output only, built from the metric's name and
  description; its kind and value type cannot be changed once set;
- `update` (PUT) creates the metric when it does not exist ("Creates or updates a logs-based
  metric").

A metric's type is `logging.googleapis.com/user/<name>`
(https://cloud.google.com/logging/docs/logs-based-metrics), and Monitoring knows it as a metric
descriptor once it has propagated (`monitoring_metric_descriptors.made_usable`). Every entry
written with `entries.write` that a metric's filter matches adds one point to its time series,
on the entry's monitored resource (`monitoring_timeseries.add_point`).
"""

from __future__ import annotations

import re
from typing import Any

from emulator import standard
from emulator.errors import already_exists, invalid, not_found
from emulator.logfilter import compile_filter
from emulator.registry import Api, Call
from emulator.services._monitoring import DESCRIPTOR
from emulator.services.monitoring_metric_descriptors import made_usable
from emulator.services.monitoring_timeseries import add_point

API = Api("logging", "v2")

METRIC = "logging.metric"
USER_METRICS = "logging.googleapis.com/user/"
_NAME = re.compile(r"^[A-Za-z0-9_\-.,+!*'()%][A-Za-z0-9_\-.,+!*'()%/]{0,99}$")
MAX_FILTER = 20_000
OUTPUT_ONLY = ("createTime", "updateTime", "resourceName", "version")


def _project(call: Call, parent: str, permission: str) -> str:
    m = re.match(r"^projects/([^/]+)$", parent)
    if m is None:
        raise invalid(f"Invalid parent '{parent}'.", field="parent")
    project_id, _ = call.ctx.projects.require(m.group(1), permission)
    return project_id


def _split(call: Call, metric_name: str, permission: str) -> tuple[str, str]:
    parent, sep, name = metric_name.partition("/metrics/")
    if not sep or not name:
        raise invalid(f"Invalid metric name '{metric_name}'.", field="metric_name")
    return _project(call, parent, permission), name


def _checked(
    call: Call, project: str, body: dict[str, Any], name: str, previous: dict[str, Any] | None
) -> dict:
    if not _NAME.match(name):
        raise invalid(
            f"Invalid metric name '{name}': at most 100 of A-Z a-z 0-9 _-.,+!*',()%/, not starting with /.",
            field="metric.name",
        )
    text = body.get("filter") or ""
    if not text:
        raise invalid("metric.filter is required.", field="metric.filter")
    if len(text) > MAX_FILTER:
        raise invalid(f"metric.filter is limited to {MAX_FILTER} characters.", field="metric.filter")
    compile_filter(text)
    given = dict(body.get("metricDescriptor") or {})
    descriptor = {
        "metricKind": given.get("metricKind") or "DELTA",
        "valueType": given.get("valueType") or "INT64",
        "unit": given.get("unit") or "1",
        **{k: v for k, v in given.items() if k in ("labels", "displayName", "metadata", "launchStage")},
    }
    if descriptor["valueType"] == "DISTRIBUTION" and not body.get("valueExtractor"):
        raise invalid("A DISTRIBUTION metric needs a value_extractor.", field="metric.value_extractor")
    if previous is not None:
        before = previous["metricDescriptor"]
        for key in ("metricKind", "valueType"):
            if before[key] != descriptor[key]:
                raise invalid(
                    f"metric.metric_descriptor.{key} cannot be changed once set ({before[key]}).",
                    field=f"metric.metric_descriptor.{key}",
                )
    metric_type = USER_METRICS + name
    descriptor.update(
        {
            "name": f"projects/{project}/metricDescriptors/{metric_type}",
            "type": metric_type,
            "description": body.get("description", ""),
        }
    )
    now = call.ctx.clock.rfc3339()
    stored = {k: v for k, v in body.items() if k not in OUTPUT_ONLY and k != "metricDescriptor"}
    stored.update(
        {
            "name": name,
            "metricDescriptor": descriptor,
            "createTime": previous["createTime"] if previous else now,
            "updateTime": now,
        }
    )
    return stored


def _keep(call: Call, project: str, stored: dict[str, Any], new: bool) -> dict[str, Any]:
    call.ctx.store.put(METRIC, f"projects/{project}/metrics/{stored['name']}", stored, f"projects/{project}")
    descriptor = stored["metricDescriptor"]
    if new:
        made_usable(call, descriptor["name"])
    call.ctx.store.put(DESCRIPTOR, descriptor["name"], descriptor, f"projects/{project}")
    return stored


@API.handles("logging.projects.metrics.create")
def create_metric(call: Call) -> dict[str, Any]:
    project = _project(call, call.param("parent"), "logging.logMetrics.create")
    body = standard.drop_none(call.body or {})
    name = str(body.get("name") or "")
    if call.ctx.store.get(METRIC, f"projects/{project}/metrics/{name}") is not None:
        raise already_exists(f"Metric {name} already exists.")
    return _keep(call, project, _checked(call, project, body, name, None), new=True)


@API.handles("logging.projects.metrics.update")
def update_metric(call: Call) -> dict[str, Any]:
    project, name = _split(call, call.param("metricName"), "logging.logMetrics.update")
    body = standard.drop_none(call.body or {})
    if body.get("name") not in (None, name):
        raise invalid(
            f"metric.name '{body['name']}' does not match the name in the path.", field="metric.name"
        )
    previous = call.ctx.store.get(METRIC, f"projects/{project}/metrics/{name}")
    return _keep(call, project, _checked(call, project, body, name, previous), new=previous is None)


@API.handles("logging.projects.metrics.get")
def get_metric(call: Call) -> dict[str, Any]:
    project, name = _split(call, call.param("metricName"), "logging.logMetrics.get")
    found = call.ctx.store.get(METRIC, f"projects/{project}/metrics/{name}")
    if found is None:
        raise not_found(f"Metric {name} does not exist.")
    return found


@API.handles("logging.projects.metrics.list")
def list_metrics(call: Call) -> dict[str, Any]:
    project = _project(call, call.param("parent"), "logging.logMetrics.list")
    return standard.list_answer(
        call, "metrics", call.ctx.store.list(METRIC, f"projects/{project}"), default_size=100
    )


@API.handles("logging.projects.metrics.delete")
def delete_metric(call: Call) -> dict[str, Any]:
    project, name = _split(call, call.param("metricName"), "logging.logMetrics.delete")
    key = f"projects/{project}/metrics/{name}"
    found = call.ctx.store.get(METRIC, key)
    if found is None:
        raise not_found(f"Metric {name} does not exist.")
    call.ctx.store.delete(METRIC, key)
    call.ctx.store.delete(DESCRIPTOR, found["metricDescriptor"]["name"])
    return {}


@API.handles("logging.entries.write")
def write_entries(call: Call) -> dict[str, Any]:
    """Entries are checked, then counted by every log-based metric of their project they match."""
    body = call.body or {}
    entries = body.get("entries") or []
    if not entries:
        raise invalid("At least one log entry is required.", field="entries")
    now = call.ctx.clock.rfc3339()
    for index, given in enumerate(entries):
        entry = {
            "logName": body.get("logName"),
            "resource": body.get("resource"),
            **standard.drop_none(given),
        }
        entry["labels"] = {**(body.get("labels") or {}), **(given.get("labels") or {})}
        entry.setdefault("severity", "DEFAULT")
        entry.setdefault("timestamp", now)
        m = re.match(r"^projects/([^/]+)/logs/[^/]+$", str(entry.get("logName") or ""))
        if m is None:
            raise invalid(f"entries[{index}].log_name must be projects/PROJECT/logs/LOG_ID.", field="entries")
        if not (entry.get("resource") or {}).get("type"):
            raise invalid(f"entries[{index}].resource is required.", field="entries")
        project, _ = call.ctx.projects.require(m.group(1), "logging.logEntries.create")
        for metric in call.ctx.store.list(METRIC, f"projects/{project}"):
            if metric.get("disabled") or not compile_filter(metric["filter"])(entry):
                continue
            add_point(call, project, metric["metricDescriptor"], entry["resource"], entry["timestamp"], 1)
    return {}
