"""Cloud Monitoring dashboards (v1): create, get, list, whole-dashboard update under an etag, delete.

A create names the dashboard itself or lets the server assign the id, and must not carry an
etag. An update replaces the dashboard and must carry the etag of the version it was based on:
a stale etag is refused with 409 ABORTED, so concurrent editors never overwrite each other.
Layouts are checked as the API checks them: one layout, tiles inside a mosaic's columns,
one content type per widget, and chart queries that select a metric type.
"""

from __future__ import annotations

import re
from typing import Any

from emulator import standard
from emulator.clock import parse_duration
from emulator.collection import declare
from emulator.errors import aborted, already_exists, invalid
from emulator.projects import project_number
from emulator.registry import Api, Call
from emulator.services._monitoring import (
    DASHBOARD,
    canonical,
    collection,
    fetch,
    new_etag,
    new_id,
    project_of,
)

API = Api("monitoring", "v1")

LAYOUTS = ("gridLayout", "mosaicLayout", "rowLayout", "columnLayout")
CONTENT = (
    "xyChart",
    "scorecard",
    "text",
    "blank",
    "alertChart",
    "timeSeriesTable",
    "collapsibleGroup",
    "logsPanel",
    "incidentList",
    "pieChart",
    "errorReportingPanel",
    "sectionHeader",
    "singleViewGroup",
    "filterControl",
    "treemap",
    "timeRange",
)
QUERIES = (
    "timeSeriesFilter",
    "timeSeriesFilterRatio",
    "timeSeriesQueryLanguage",
    "prometheusQuery",
    "opsAnalyticsQuery",
    "traceQuery",
)
MAX_COLUMNS = 48
_ID = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_-]{0,99}$")
_LABEL_KEY = re.compile(r"^[a-z][a-z0-9_-]{0,62}$")
_LABEL_VALUE = re.compile(r"^[a-z0-9_-]{0,63}$")


def _check_aggregation(agg: dict[str, Any] | None, where: str) -> None:
    if not agg:
        return
    period = agg.get("alignmentPeriod")
    if period is not None and parse_duration(period) < 60:
        raise invalid(f"{where}.alignment_period must be at least 60s; got {period}.", field=where)
    if (
        agg.get("crossSeriesReducer", "REDUCE_NONE") != "REDUCE_NONE"
        and agg.get("perSeriesAligner", "ALIGN_NONE") == "ALIGN_NONE"
    ):
        raise invalid(f"{where}: a cross-series reducer needs a per-series aligner.", field=where)


def _check_filter(part: dict[str, Any] | None, where: str) -> None:
    if not part or "metric.type" not in (part.get("filter") or ""):
        raise invalid(f"{where}.filter must select a metric with metric.type.", field=f"{where}.filter")
    _check_aggregation(part.get("aggregation"), f"{where}.aggregation")


def _check_query(query: dict[str, Any] | None, where: str) -> None:
    present = [q for q in QUERIES if (query or {}).get(q) is not None]
    if len(present) != 1:
        raise invalid(f"{where} must have exactly one kind of query; it has {len(present)}.", field=where)
    kind = present[0]
    assert query is not None
    if kind == "timeSeriesFilter":
        _check_filter(query[kind], f"{where}.time_series_filter")
        _check_aggregation(query[kind].get("secondaryAggregation"), f"{where}.secondary_aggregation")
    elif kind == "timeSeriesFilterRatio":
        ratio = query[kind]
        _check_filter(ratio.get("numerator"), f"{where}.time_series_filter_ratio.numerator")
        _check_filter(ratio.get("denominator"), f"{where}.time_series_filter_ratio.denominator")


def _check_widget(widget: dict[str, Any], where: str) -> None:
    present = [c for c in CONTENT if widget.get(c) is not None]
    if len(present) != 1:
        raise invalid(f"{where} must have exactly one content type; it has {len(present)}.", field=where)
    content = widget[present[0]]
    if present[0] == "xyChart":
        data_sets = content.get("dataSets") or []
        if not data_sets:
            raise invalid(f"{where}.xy_chart needs at least one data set.", field=where)
        for i, data_set in enumerate(data_sets):
            _check_query(
                data_set.get("timeSeriesQuery"), f"{where}.xy_chart.data_sets[{i}].time_series_query"
            )
    elif present[0] in ("scorecard", "timeSeriesTable", "pieChart"):
        queries = (
            [content.get("timeSeriesQuery")]
            if present[0] == "scorecard"
            else [d.get("timeSeriesQuery") for d in content.get("dataSets") or []]
        )
        for i, query in enumerate(queries):
            _check_query(query, f"{where}.{standard.camel(present[0])}[{i}].time_series_query")


def _check_mosaic(layout: dict[str, Any]) -> None:
    columns = layout.get("columns", 0)
    if not 1 <= columns <= MAX_COLUMNS:
        raise invalid(
            f"mosaic_layout.columns must be between 1 and {MAX_COLUMNS}; got {columns}.",
            field="dashboard.mosaic_layout.columns",
        )
    for i, tile in enumerate(layout.get("tiles") or []):
        where = f"dashboard.mosaic_layout.tiles[{i}]"
        x, width, height = tile.get("xPos", 0), tile.get("width", 0), tile.get("height", 0)
        if width <= 0 or height <= 0:
            raise invalid(f"{where} needs a positive width and height.", field=where)
        if x < 0 or tile.get("yPos", 0) < 0 or x + width > columns:
            raise invalid(f"{where} does not fit in {columns} columns.", field=where)
        if tile.get("widget") is None:
            raise invalid(f"{where}.widget is required.", field=where)
        _check_widget(tile["widget"], f"{where}.widget")


def _check_dashboard(dashboard: dict[str, Any]) -> None:
    if not dashboard.get("displayName"):
        raise invalid("dashboard.display_name is required.", field="dashboard.display_name")
    layouts = [layout for layout in LAYOUTS if dashboard.get(layout) is not None]
    if len(layouts) > 1:
        raise invalid(f"A dashboard has one layout; this one has {', '.join(layouts)}.", field="dashboard")
    if layouts == ["mosaicLayout"]:
        _check_mosaic(dashboard["mosaicLayout"])
    elif layouts == ["gridLayout"]:
        for i, widget in enumerate(dashboard["gridLayout"].get("widgets") or []):
            _check_widget(widget, f"dashboard.grid_layout.widgets[{i}]")
    for key, value in (dashboard.get("labels") or {}).items():
        if not _LABEL_KEY.match(key) or not _LABEL_VALUE.match(value):
            raise invalid(f"Dashboard label '{key}: {value}' is invalid.", field="dashboard.labels")


def _widgets(dashboard: dict[str, Any]) -> list[dict[str, Any]]:
    """Every widget of whichever layout the dashboard has."""
    found: list[dict[str, Any]] = []
    for column in (dashboard.get("columnLayout") or {}).get("columns") or []:
        found += column.get("widgets") or []
    for row in (dashboard.get("rowLayout") or {}).get("rows") or []:
        found += row.get("widgets") or []
    found += (dashboard.get("gridLayout") or {}).get("widgets") or []
    found += [
        t["widget"] for t in (dashboard.get("mosaicLayout") or {}).get("tiles") or [] if t.get("widget")
    ]
    return [w for w in found if isinstance(w, dict)]


def _with_defaults(dashboard: dict[str, Any]) -> dict[str, Any]:
    """What Monitoring fills in on a write (conformance/kcc-golden/monitoring/v1beta1/
    monitoringdashboard/monitoringdashboardbasic/_http.log #1, sent without them): an XY chart's
    data set plots on the first Y axis (`targetAxis` Y1), a text widget has a `style` (empty when
    none was given), and a table's data set has a `minAlignmentPeriod` of 0s
    (monitoringdashboardalertpolicyref1/_http.log #3)."""
    for widget in _widgets(dashboard):
        for data_set in (widget.get("xyChart") or {}).get("dataSets") or []:
            data_set.setdefault("targetAxis", "Y1")
        if isinstance(widget.get("text"), dict):
            widget["text"].setdefault("style", {})
        for data_set in (widget.get("timeSeriesTable") or {}).get("dataSets") or []:
            data_set.setdefault("minAlignmentPeriod", "0s")
    return dashboard


def _shown(dashboard: dict[str, Any]) -> dict[str, Any]:
    """A dashboard as Monitoring answers it: named by the project's number whichever way it was
    addressed (every dashboard answer of conformance/kcc-golden/monitoring/v1beta1/
    monitoringdashboard/ says `projects/${projectNumber}/dashboards/...`, and
    monitoringdashboardprojectref/_http.log names another project's dashboards by its number).
    It is stored under the project id, as the other Monitoring collections are."""
    project_id, rest = dashboard["name"].removeprefix("projects/").split("/", 1)
    return {**dashboard, "name": f"projects/{project_number(project_id)}/{rest}"}


@API.handles("monitoring.projects.dashboards.create")
def create_dashboard(call: Call) -> dict[str, Any]:
    project = project_of(call, call.param("parent"), "monitoring.dashboards.create")
    body = standard.drop_none(call.body or {})
    if body.get("etag"):
        raise invalid("etag must not be set when creating a dashboard.", field="dashboard.etag")
    parent = f"projects/{project}"
    if body.get("name"):
        name = canonical(call, body["name"], "dashboards", "monitoring.dashboards.create")
        if not name.startswith(f"{parent}/") or not _ID.match(name.rsplit("/", 1)[1]):
            raise invalid(f"Invalid dashboard name {body['name']}.", field="dashboard.name")
        if call.ctx.store.get(DASHBOARD, name) is not None:
            raise already_exists(f"Dashboard {name} already exists.")
    else:
        name = f"{parent}/dashboards/{new_id(call, DASHBOARD, parent, 'dashboards')}"
    _check_dashboard(body)
    dashboard = _with_defaults({**body, "name": name})
    dashboard["etag"] = new_etag(name, call.ctx.clock.rfc3339(), "create")
    if not call.query.get("validateOnly"):
        call.ctx.store.put(DASHBOARD, name, dashboard, parent)
    return _shown(dashboard)


@API.handles("monitoring.projects.dashboards.patch")
def update_dashboard(call: Call) -> dict[str, Any]:
    name = canonical(call, call.param("name"), "dashboards", "monitoring.dashboards.update")
    current = fetch(call, DASHBOARD, name, "Dashboard")
    body = standard.drop_none(call.body or {})
    if not body.get("etag"):
        raise invalid("An update must carry the dashboard's etag.", field="dashboard.etag")
    if body["etag"] != current["etag"]:
        raise aborted(
            f"The etag of dashboard {name} does not match: it was changed since it was read."
            " Read it again and reapply the change."
        )
    if body.get("name") not in (None, name, call.param("name"), _shown(current)["name"]):
        raise invalid("The dashboard's name cannot be changed.", field="dashboard.name")
    _check_dashboard(body)
    updated = _with_defaults({**body, "name": name})
    updated["etag"] = new_etag(name, call.ctx.clock.rfc3339(), current["etag"])
    if not call.query.get("validateOnly"):
        call.ctx.store.put(DASHBOARD, name, updated, name.split("/dashboards/")[0])
    return _shown(updated)


DASHBOARDS = declare(
    API,
    collection("dashboards", DASHBOARD, "Dashboard", parent_param="parent", render=_shown, total=False),
    frozenset({"get", "list", "delete"}),
)
