"""Cloud Logging log-based metrics: numbers counted from log entries, for alerts to watch.

A counter metric (DELTA, INT64, unit "1", the API's default) counts the entries its filter
matches; Monitoring sees it as `logging.googleapis.com/user/<name>`
(https://cloud.google.com/logging/docs/logs-based-metrics). Metrics carry no labels: one is ours
when its name starts with the environment's prefix. Logging takes a metric whole (`update` is
a PUT), and a metric's kind and value type cannot change, so changing them replaces it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from provisioner.cost.pricing import CostLine, PriceTable
from provisioner.engine.api_kind import ApiKind
from provisioner.engine.context import Context
from provisioner.engine.kind import KindMeta
from provisioner.engine.operations import DoneOperation, Operation
from provisioner.engine.plan import FieldChange
from provisioner.engine.resource import LiveResource, Resource
from reconcilers._compute import list_all

USER_METRICS = "logging.googleapis.com/user/"


def _metrics(ctx: Context) -> Any:
    return ctx.clients.discovery("logging", "v2").projects().metrics()


def metric_type(name: str) -> str:
    """The Monitoring metric type of log-based metric `name`."""
    return USER_METRICS + name


class LogMetric(ApiKind):
    """A log-based counter metric, named by the spec, replaced whole on update."""

    meta = KindMeta(
        kind="logging.metric",
        api="logging.googleapis.com",
        labels_path=None,
        immutable=("metricDescriptor.metricKind", "metricDescriptor.valueType"),
        api_defaults={"metricDescriptor": {"metricKind": "DELTA", "valueType": "INT64", "unit": "1"}},
    )

    def monthly_cost(self, name: str, body: dict[str, Any], prices: PriceTable) -> list[CostLine] | None:
        why = "the metric is free; Monitoring bills the points it counts as user-defined metric data"
        return [prices.usage("monitoring.ingestion", "global", "log-based metric data", why)]

    def _path(self, name: str) -> str:
        return f"projects/{self.ctx.project}/metrics/{name}"

    def observe(self, desired: Sequence[Resource]) -> list[LiveResource]:
        api = _metrics(self.ctx)
        parent = f"projects/{self.ctx.project}"
        found = self.call(list_all, lambda token: api.list(parent=parent, pageToken=token), key="metrics")
        prefix = f"{self.ctx.spec.name_prefix}-"
        return [
            LiveResource(self.meta.kind, m["name"], m, managed=m["name"].startswith(prefix)) for m in found
        ]

    def create(self, desired: Resource) -> Operation:
        body = {"name": desired.name, **desired.body}
        self.call(_metrics(self.ctx).create(parent=f"projects/{self.ctx.project}", body=body).execute)
        return DoneOperation(f"create log-based metric {desired.name}")

    def update(self, desired: Resource, live: LiveResource, changes: Sequence[FieldChange]) -> Operation:
        body = {"name": desired.name, **desired.body}
        self.call(_metrics(self.ctx).update(metricName=self._path(desired.name), body=body).execute)
        return DoneOperation(f"update log-based metric {desired.name}")

    def delete(self, live: LiveResource) -> Operation:
        self.call(_metrics(self.ctx).delete(metricName=self._path(live.name)).execute)
        return DoneOperation(f"delete log-based metric {live.name}")
