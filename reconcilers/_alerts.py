"""What each alert watches, when it fires, and what the person paged should do.

Four alerts per environment, from the seed: Cloud Run's share of 5xx responses, Cloud Run's
95th-percentile latency, failed Cloud SQL connections, and CPU on the database and the GKE
nodes. Thresholds and the window come from `monitoring.thresholds`; the documentation is
Markdown, sent with every notification.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from provisioner.engine.context import Context

RUN_REVISION = 'resource.type="cloud_run_revision"'
REQUEST_COUNT = 'metric.type="run.googleapis.com/request_count"'
REQUEST_LATENCIES = 'metric.type="run.googleapis.com/request_latencies"'
SQL_CPU = 'metric.type="cloudsql.googleapis.com/database/cpu/utilization"'
#: Cloud SQL's PostgreSQL log (https://cloud.google.com/sql/docs/postgres/logging), by log id.
POSTGRES_LOG = "cloudsql.googleapis.com%2Fpostgres.log"
#: What PostgreSQL logs, at FATAL, for a connection it refuses or cannot serve: bad credentials,
#: no access rule, every slot taken, the server starting, stopping or recovering (a restart, a
#: maintenance, a failover), an unknown role or database.
CONNECTION_FATALS = (
    "password authentication failed",
    "no pg_hba.conf entry",
    "sorry, too many clients already",
    "remaining connection slots are reserved",
    "the database system is (starting up|shutting down|in recovery mode|not yet accepting connections)",
    "(role|database) .* does not exist",
)
NODE_CPU = 'metric.type="kubernetes.io/node/cpu/allocatable_utilization"'
BY_SERVICE = ["resource.labels.service_name"]


@dataclass(frozen=True)
class CountedLogs:
    """A log-based counter metric an alert watches; it must exist before the alert."""

    name: str
    description: str
    filter: str

    @property
    def metric_type(self) -> str:
        return f"logging.googleapis.com/user/{self.name}"


@dataclass(frozen=True)
class Alert:
    key: str
    display_name: str
    severity: str
    conditions: list[dict[str, Any]]
    documentation: str
    log_metrics: tuple[CountedLogs, ...] = ()


def all_of(*terms: str) -> str:
    return " AND ".join(terms)


def run_services(ctx: Context) -> str:
    names = ", ".join(f'"{ctx.spec.run_service_name(k)}"' for k in sorted(ctx.spec.run.services))
    return f"resource.labels.service_name=one_of({names})"


def sql_database(ctx: Context) -> str:
    return f'resource.labels.database_id="{ctx.project}:{ctx.spec.sql_instance_name}"'


def aggregation(
    aligner: str, reducer: str | None = None, period: int = 60, by: list[str] | None = None
) -> dict[str, Any]:
    agg: dict[str, Any] = {"alignmentPeriod": f"{period}s", "perSeriesAligner": aligner}
    if reducer:
        agg["crossSeriesReducer"] = reducer
    if by:
        agg["groupByFields"] = by
    return agg


def _threshold(display_name: str, window: int, **condition: Any) -> dict[str, Any]:
    return {
        "displayName": display_name,
        "conditionThreshold": {"duration": f"{window}s", "trigger": {"count": 1}, **condition},
    }


def error_rate(ctx: Context) -> Alert:
    t = ctx.spec.monitoring.thresholds
    every_request = all_of(REQUEST_COUNT, RUN_REVISION, run_services(ctx))
    per_service = [aggregation("ALIGN_RATE", "REDUCE_SUM", by=BY_SERVICE)]
    return Alert(
        key="error-rate",
        display_name=f"{ctx.spec.name_prefix}: Cloud Run error rate above {t.error_rate_percent:g}%",
        severity="ERROR",
        conditions=[
            _threshold(
                f"5xx responses above {t.error_rate_percent:g}% of requests",
                t.window_seconds,
                filter=all_of(every_request, 'metric.labels.response_code_class="5xx"'),
                denominatorFilter=every_request,
                aggregations=per_service,
                denominatorAggregations=per_service,
                comparison="COMPARISON_GT",
                thresholdValue=t.error_rate_percent / 100,
            )
        ],
        documentation=(
            f"## Cloud Run error rate above {t.error_rate_percent:g}% ({ctx.env})\n\n"
            f"More than {t.error_rate_percent:g}% of the requests to a Cloud Run service answered with"
            f" a 5xx status for {t.window_seconds // 60} minutes. Users see failed calls or dropped"
            " conversations.\n\n"
            "**What to do**\n"
            "1. Open the service named in the incident in Cloud Run and read its latest logs.\n"
            "2. If a new revision went out just before, roll traffic back to the previous one.\n"
            "3. Check the database alerts: most 5xx bursts follow a database outage.\n"
        ),
    )


def latency(ctx: Context) -> Alert:
    t = ctx.spec.monitoring.thresholds
    return Alert(
        key="latency-p95",
        display_name=f"{ctx.spec.name_prefix}: Cloud Run p95 latency above {t.latency_p95_seconds:g} s",
        severity="WARNING",
        conditions=[
            _threshold(
                f"95th-percentile request latency above {t.latency_p95_seconds:g} s",
                t.window_seconds,
                filter=all_of(REQUEST_LATENCIES, RUN_REVISION, run_services(ctx)),
                aggregations=[aggregation("ALIGN_PERCENTILE_95", "REDUCE_MAX", by=BY_SERVICE)],
                comparison="COMPARISON_GT",
                thresholdValue=t.latency_p95_seconds * 1000,  # the metric is in milliseconds
            )
        ],
        documentation=(
            f"## Cloud Run p95 latency above {t.latency_p95_seconds:g} s ({ctx.env})\n\n"
            f"One request in twenty took longer than {t.latency_p95_seconds:g} seconds for"
            f" {t.window_seconds // 60} minutes. Conversations feel sluggish; voice and lip-sync"
            " fall behind.\n\n"
            "**What to do**\n"
            "1. Compare with the CPU alert and the dashboard: saturated GPU pools or database slow"
            " down every request.\n"
            "2. Check whether the service hit its maximum instances and is queueing requests.\n"
            "3. Look for cold starts after a deployment or a scale-to-zero period.\n"
        ),
    )


def db_connection_failures(ctx: Context) -> Alert:
    """Failed connections as the database itself logs them.

    The services reach Cloud SQL over private IP with a PostgreSQL driver, not through the Cloud
    SQL connectors or the Auth Proxy, so `cloudsql.googleapis.com/client/connector/*` ("Connectors
    Closed Connections", on the connectors' own `cloudsql.googleapis.com/InstanceClient` resource,
    https://cloud.google.com/sql/docs/postgres/admin-api/metrics) would stay empty. PostgreSQL
    logs every connection it refuses at FATAL in the instance's `postgres.log`; a log-based
    metric counts those entries (https://cloud.google.com/logging/docs/logs-based-metrics) and
    the alert watches it.
    """
    t = ctx.spec.monitoring.thresholds
    database = sql_database(ctx)
    refused = CountedLogs(
        name=f"{ctx.spec.name_prefix}-db-connection-failures",
        description=f"Connections {ctx.spec.sql_instance_name} refused, as PostgreSQL logs them (FATAL)",
        filter=all_of(
            'resource.type="cloudsql_database"',
            database,
            f'logName="projects/{ctx.project}/logs/{POSTGRES_LOG}"',
            f'textPayload=~"FATAL: +({"|".join(CONNECTION_FATALS)})"',
        ),
    )
    return Alert(
        key="db-connection-failures",
        display_name=f"{ctx.spec.name_prefix}: Cloud SQL connection failures",
        severity="CRITICAL",
        conditions=[
            _threshold(
                f"{t.db_connection_failures} or more failed database connections",
                0,
                filter=all_of(
                    f'metric.type="{refused.metric_type}"', 'resource.type="cloudsql_database"', database
                ),
                aggregations=[aggregation("ALIGN_DELTA", "REDUCE_SUM", period=t.window_seconds)],
                comparison="COMPARISON_GE",
                thresholdValue=t.db_connection_failures,
            )
        ],
        documentation=(
            f"## Cloud SQL connection failures ({ctx.env})\n\n"
            f"PostgreSQL refused {t.db_connection_failures} or more connections to"
            f" `{ctx.spec.sql_instance_name}` within {t.window_seconds // 60} minutes. The API gateway"
            " and the websocket server cannot read or store conversations.\n\n"
            "**What to do**\n"
            "1. Read the refusals: Logs Explorer, resource Cloud SQL Database, log `postgres.log`,"
            " `FATAL` (the metric counting them is"
            f" `{refused.name}`).\n"
            "2. Check the instance's state in Cloud SQL (maintenance, failover, restart).\n"
            "3. Authentication failures: check the password the services read from Secret Manager.\n"
            "4. If connections are exhausted, look for a service that leaks them before raising"
            " the limit.\n"
            "5. No refusals logged but the services still cannot connect: check the VPC Access"
            " connector and the private service access peering.\n"
        ),
        log_metrics=(refused,),
    )


def cpu(ctx: Context) -> Alert:
    t = ctx.spec.monitoring.thresholds
    share = t.cpu_percent / 100
    return Alert(
        key="cpu",
        display_name=f"{ctx.spec.name_prefix}: CPU above {t.cpu_percent:g}%",
        severity="WARNING",
        conditions=[
            _threshold(
                f"Cloud SQL CPU above {t.cpu_percent:g}%",
                t.window_seconds,
                filter=all_of(SQL_CPU, 'resource.type="cloudsql_database"', sql_database(ctx)),
                aggregations=[aggregation("ALIGN_MEAN")],
                comparison="COMPARISON_GT",
                thresholdValue=share,
            ),
            _threshold(
                f"GKE node CPU above {t.cpu_percent:g}%",
                t.window_seconds,
                filter=all_of(
                    NODE_CPU,
                    'resource.type="k8s_node"',
                    f'resource.labels.cluster_name="{ctx.spec.gke_cluster_name}"',
                ),
                aggregations=[aggregation("ALIGN_MEAN")],
                comparison="COMPARISON_GT",
                thresholdValue=share,
            ),
        ],
        documentation=(
            f"## CPU above {t.cpu_percent:g}% ({ctx.env})\n\n"
            f"The database instance or a GKE node used more than {t.cpu_percent:g}% of its CPU for"
            f" {t.window_seconds // 60} minutes. Latency rises next; the error rate may follow.\n\n"
            "**What to do**\n"
            "1. Database: find the expensive queries in Query Insights; raise the tier only once"
            " they are understood.\n"
            "2. Nodes: check whether the node pool's autoscaler is at its maximum and whether"
            " pods without CPU limits crowd a node.\n"
        ),
    )


ALERTS = (error_rate, latency, db_connection_failures, cpu)


def alerts(ctx: Context) -> list[Alert]:
    return [make(ctx) for make in ALERTS]
