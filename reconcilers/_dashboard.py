"""The environment's overview dashboard: traffic, latency, errors, CPU, memory, database.

Six charts on a 48-column mosaic, two per row, each showing the signal an alert watches so
that whoever is paged lands on the same numbers. Positions of zero are left out: the API
omits zero values when it answers, and the diff compares what we send with what it returns.
"""

from __future__ import annotations

from typing import Any

from provisioner.engine.context import Context
from reconcilers._alerts import (
    BY_SERVICE,
    NODE_CPU,
    REQUEST_COUNT,
    REQUEST_LATENCIES,
    RUN_REVISION,
    SQL_CPU,
    aggregation,
    all_of,
    run_services,
    sql_database,
)

COLUMNS = 48
TILE_WIDTH = 24
TILE_HEIGHT = 16

SQL_MEMORY = 'metric.type="cloudsql.googleapis.com/database/memory/utilization"'
SQL_BACKENDS = 'metric.type="cloudsql.googleapis.com/database/postgresql/num_backends"'
NODE_MEMORY = 'metric.type="kubernetes.io/node/memory/allocatable_utilization"'
RUN_CPU = 'metric.type="run.googleapis.com/container/cpu/utilizations"'
RUN_MEMORY = 'metric.type="run.googleapis.com/container/memory/utilizations"'


#: Monitoring answers every XY data set with the axis it plots on, Y1 when none was sent
#: (conformance/kcc-golden/monitoring/v1beta1/monitoringdashboard/monitoringdashboardbasic/
#: _http.log #1), so the dashboard says so itself and reads back as it was written.
AXIS = {"targetAxis": "Y1"}


def _line(metric_filter: str, agg: dict[str, Any], legend: str | None = None) -> dict[str, Any]:
    data_set: dict[str, Any] = {
        "timeSeriesQuery": {"timeSeriesFilter": {"filter": metric_filter, "aggregation": agg}},
        "plotType": "LINE",
        **AXIS,
        "minAlignmentPeriod": "60s",
    }
    if legend:
        data_set["legendTemplate"] = legend
    return data_set


def _ratio(numerator: str, denominator: str, agg: dict[str, Any]) -> dict[str, Any]:
    return {
        "timeSeriesQuery": {
            "timeSeriesFilterRatio": {
                "numerator": {"filter": numerator, "aggregation": agg},
                "denominator": {"filter": denominator, "aggregation": agg},
            }
        },
        "plotType": "LINE",
        **AXIS,
        "minAlignmentPeriod": "60s",
    }


def _chart(title: str, data_sets: list[dict[str, Any]], threshold: float | None = None) -> dict[str, Any]:
    chart: dict[str, Any] = {"dataSets": data_sets}
    if threshold is not None:
        chart["thresholds"] = [{"value": threshold}]
    return {"title": title, "xyChart": chart}


def _tiles(widgets: list[dict[str, Any]]) -> list[dict[str, Any]]:
    tiles = []
    for i, widget in enumerate(widgets):
        tile: dict[str, Any] = {"width": TILE_WIDTH, "height": TILE_HEIGHT, "widget": widget}
        x, y = (i % 2) * TILE_WIDTH, (i // 2) * TILE_HEIGHT
        if x:
            tile["xPos"] = x
        if y:
            tile["yPos"] = y
        tiles.append(tile)
    return tiles


def overview(ctx: Context) -> dict[str, Any]:
    """The mosaic layout of the overview dashboard."""
    t = ctx.spec.monitoring.thresholds
    run = all_of(RUN_REVISION, run_services(ctx))
    sql = all_of('resource.type="cloudsql_database"', sql_database(ctx))
    nodes = all_of('resource.type="k8s_node"', f'resource.labels.cluster_name="{ctx.spec.gke_cluster_name}"')
    per_service_rate = aggregation("ALIGN_RATE", "REDUCE_SUM", by=BY_SERVICE)
    per_service_p95 = aggregation("ALIGN_PERCENTILE_95", "REDUCE_MAX", by=BY_SERVICE)

    def utilisation(
        what: str, metrics: tuple[str, str, str], threshold: float | None = None
    ) -> dict[str, Any]:
        """One signal of the database, the nodes and the services side by side."""
        on_sql, on_nodes, on_run = metrics
        lines = [
            _line(all_of(on_sql, sql), aggregation("ALIGN_MEAN"), "Cloud SQL"),
            _line(all_of(on_nodes, nodes), aggregation("ALIGN_MEAN", "REDUCE_MEAN"), "GKE nodes"),
            _line(all_of(on_run, run), per_service_p95, "Cloud Run p95"),
        ]
        return _chart(f"{what} utilisation", lines, threshold=threshold)

    widgets = [
        _chart("Requests per second", [_line(all_of(REQUEST_COUNT, run), per_service_rate)]),
        _chart(
            "Latency p95 (ms)",
            [_line(all_of(REQUEST_LATENCIES, run), per_service_p95)],
            threshold=t.latency_p95_seconds * 1000,
        ),
        _chart(
            "Error rate (5xx share)",
            [
                _ratio(
                    all_of(REQUEST_COUNT, run, 'metric.labels.response_code_class="5xx"'),
                    all_of(REQUEST_COUNT, run),
                    per_service_rate,
                )
            ],
            threshold=t.error_rate_percent / 100,
        ),
        utilisation("CPU", (SQL_CPU, NODE_CPU, RUN_CPU), threshold=t.cpu_percent / 100),
        utilisation("Memory", (SQL_MEMORY, NODE_MEMORY, RUN_MEMORY)),
        _chart(
            "Database connections",
            [_line(all_of(SQL_BACKENDS, sql), aggregation("ALIGN_MEAN", "REDUCE_SUM"))],
        ),
    ]
    return {"columns": COLUMNS, "tiles": _tiles(widgets)}
