"""Cloud Monitoring: who is told, about what, and where the numbers are shown.

Per environment: an email notification channel for each address in the spec; four alert
policies (Cloud Run error rate, Cloud Run p95 latency, Cloud SQL connection failures, CPU on
the database and the GKE nodes) that notify those channels, with the log-based metrics they
watch (`reconcilers.log_metrics`); an overview dashboard; an uptime check of the load
balancer's public HTTPS endpoint, run from Google's checkers outside; and the metric
descriptors of the business KPIs the services write.

Monitoring assigns the names of channels, policies, dashboards and uptime checks, so each carries a key
label and is found again by it (`reconcilers._keyed`); a policy's desired body names its
channels by their keys too, and the kind swaps in the server's names on the way out and back.
Metric descriptors are named by their metric type and have no labels: the
`custom.googleapis.com/digitwin/` prefix is what makes them ours.

The installed google-cloud-monitoring ships gRPC transports only, and the dashboards client
is not a dependency, so every call goes through the `monitoring` v3 and v1 discovery clients.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import partial
from typing import Any

from provisioner.cost.pricing import CostLine, PriceTable
from provisioner.engine.api_kind import ApiKind
from provisioner.engine.context import Context
from provisioner.engine.kind import KindMeta, Reconciler
from provisioner.engine.labels import labels_kept
from provisioner.engine.masks import UpdateMask
from provisioner.engine.operations import DoneOperation, Operation
from provisioner.engine.permissions import permissions_of
from provisioner.engine.plan import FieldChange
from provisioner.engine.resource import Address, LiveResource, Resource, address_of
from provisioner.google.errors import ApiError
from provisioner.spec.monitoring import CustomMetricSpec
from reconcilers._alerts import Alert, alerts
from reconcilers._compute import list_all
from reconcilers._dashboard import overview
from reconcilers._keyed import KEY_LABEL, KeyedKind, concurrent_edit, is_copy
from reconcilers.log_metrics import LogMetric

#: The meta of a kind here: every one calls Cloud Monitoring (monitoring.googleapis.com).
monitoring_meta = partial(KindMeta, api="monitoring.googleapis.com")

CUSTOM_METRICS = "custom.googleapis.com/digitwin/"


def _v3(ctx: Context) -> Any:
    return ctx.clients.discovery("monitoring", "v3").projects()


def _v1(ctx: Context) -> Any:
    return ctx.clients.discovery("monitoring", "v1").projects()


def _parent(ctx: Context) -> str:
    return f"projects/{ctx.project}"


#: Monitoring replaces each masked top-level field whole, and spells the mask in snake_case.
MASK = UpdateMask(snake=True)


def _patch(
    kind: ApiKind,
    collection: Any,
    desired: dict[str, Any],
    live: LiveResource,
    changes: Sequence[FieldChange],
    mask: UpdateMask = MASK,
) -> None:
    """Patch the changed fields of a channel, a policy or an uptime check under `mask`; labels
    set by others stay."""
    fields = mask.changed(changes)
    body = mask.body(fields, desired, live.body, labels="userLabels")
    kind.call(collection.patch(name=live.body["name"], updateMask=mask.joined(fields), body=body).execute)


def channel_key(email: str) -> str:
    """`platform-oncall@digitwin.example.com` → `platform-oncall-at-digitwin-example-com`."""
    slug = re.sub(r"[^a-z0-9_-]+", "-", email.lower().replace("@", "-at-")).strip("-")
    return slug[:63]


#: `ctx.facts` key: our channels' server names by key, as read and as created since.
CHANNEL_NAMES = "monitoring.channel_names"


class NotificationChannel(KeyedKind):
    """An email channel; its address is its identity, so the key is derived from it."""

    meta = monitoring_meta(
        kind="monitoring.notification_channel",
        permissions=permissions_of("monitoring.notificationChannels"),
        immutable=("type",),
        labels_path="userLabels",
    )
    no_charge = "email notification channels are free"

    def list_live(self) -> list[dict[str, Any]]:
        api = _v3(self.ctx).notificationChannels()
        parent = _parent(self.ctx)
        # The channels themselves, and the alert policies naming them, come from the same list.
        return self.ctx.shared(
            ("monitoring.notificationChannels", parent),
            lambda: self.call(
                list_all, lambda token: api.list(name=parent, pageToken=token), key="notificationChannels"
            ),
        )

    def version_of(self, body: dict[str, Any]) -> str | None:
        records = body.get("mutationRecords") or [{}]
        mutated: str | None = records[-1].get("mutateTime")
        return mutated

    def names_by_key(self) -> dict[str, str]:
        """Server names of our channels by key, for the policies that notify them.

        Read with the live side; while applying, the names read then plus those of channels
        created since (each alert policy written would otherwise list every channel again).
        """
        known = self.ctx.facts.get(CHANNEL_NAMES)
        if known is not None and not self.ctx.observing:
            return dict(known)
        names = {
            live.name: live.body["name"] for live in self.observe([]) if live.managed and not is_copy(live)
        }
        self.ctx.facts[CHANNEL_NAMES] = names
        return dict(names)

    def create(self, desired: Resource) -> Operation:
        request = _v3(self.ctx).notificationChannels().create(name=_parent(self.ctx), body=desired.body)
        created = self.create_once(desired, request.execute)
        known = self.ctx.facts.get(CHANNEL_NAMES)
        if known is not None:  # without a reading to add to, the next asker lists them all
            known[desired.name] = created["name"]
        return DoneOperation(f"create notification channel {desired.name}")

    def update(self, desired: Resource, live: LiveResource, changes: Sequence[FieldChange]) -> Operation:
        _patch(self, _v3(self.ctx).notificationChannels(), desired.body, live, changes)
        return DoneOperation(f"update notification channel {desired.name}")

    def delete(self, live: LiveResource) -> Operation:
        # force: a policy that still names the channel drops it, rather than blocking the delete
        # (the policies' own updates, which no longer name it, may not have run yet).
        request = _v3(self.ctx).notificationChannels().delete(name=live.body["name"], force=True)
        self.call(request.execute)
        if not is_copy(live):
            self.ctx.facts.get(CHANNEL_NAMES, {}).pop(live.name, None)
        return DoneOperation(f"delete notification channel {live.name}")

    def delete_note(self, live: LiveResource) -> str | None:
        note = super().delete_note(live)
        return note or "alert policies that still notify it stop doing so"


class AlertPolicy(KeyedKind):
    """An alert policy; its desired body names notification channels by their keys."""

    meta = monitoring_meta(
        kind="monitoring.alert_policy",
        permissions=permissions_of("monitoring.alertPolicies"),
        api_defaults={"enabled": True},
        labels_path="userLabels",
    )

    def monthly_cost(self, name: str, body: dict[str, Any], prices: PriceTable) -> list[CostLine] | None:
        """Alerting is billed per condition, plus the time series its queries return."""
        conditions = len(body.get("conditions") or [])
        return [
            prices.charge("monitoring.alert_condition", "global", conditions, f"conditions: {conditions}"),
            prices.usage("monitoring.time_series_returned", "global", "time series its conditions return"),
        ]

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        self.channels = NotificationChannel(ctx)

    def list_live(self) -> list[dict[str, Any]]:
        api = _v3(self.ctx).alertPolicies()
        parent = _parent(self.ctx)

        def read_policies() -> list[dict[str, Any]]:
            return self.call(
                list_all, lambda token: api.list(name=parent, pageToken=token), key="alertPolicies"
            )

        policies: list[dict[str, Any]]
        policies, channels = self.side_by_side(read_policies, self.channels.names_by_key)
        keys = {name: key for key, name in channels.items()}
        for policy in policies:
            # Channels we manage appear by key, as the spec names them; others keep their names.
            policy["notificationChannels"] = [keys.get(c, c) for c in policy.get("notificationChannels", [])]
        return policies

    def view(self, body: dict[str, Any]) -> dict[str, Any]:
        """Condition names are the server's; the spec never sets them."""
        conditions = [{k: v for k, v in c.items() if k != "name"} for c in body.get("conditions", [])]
        return {**body, "conditions": conditions}

    def version_of(self, body: dict[str, Any]) -> str | None:
        return (body.get("mutationRecord") or {}).get("mutateTime")

    def references(self, live: LiveResource) -> tuple[Address, ...]:
        return tuple(
            address_of(NotificationChannel.meta.kind, c)
            for c in live.body.get("notificationChannels", [])
            if "/" not in c
        )

    def _with_channel_names(self, body: dict[str, Any]) -> dict[str, Any]:
        wanted = body.get("notificationChannels", [])
        names = self.channels.names_by_key() if wanted else {}
        missing = [key for key in wanted if key not in names]
        if missing:
            raise RuntimeError(f"notification channel(s) {', '.join(missing)} do not exist yet")
        return {**body, "notificationChannels": [names[key] for key in wanted]}

    def create(self, desired: Resource) -> Operation:
        body = self._with_channel_names(desired.body)
        self.create_once(
            desired, _v3(self.ctx).alertPolicies().create(name=_parent(self.ctx), body=body).execute
        )
        return DoneOperation(f"create alert policy {desired.name}")

    def update(self, desired: Resource, live: LiveResource, changes: Sequence[FieldChange]) -> Operation:
        _patch(self, _v3(self.ctx).alertPolicies(), self._with_channel_names(desired.body), live, changes)
        return DoneOperation(f"update alert policy {desired.name}")

    def delete(self, live: LiveResource) -> Operation:
        self.call(_v3(self.ctx).alertPolicies().delete(name=live.body["name"]).execute)
        return DoneOperation(f"delete alert policy {live.name}")

    def settling(self, err: ApiError) -> str | None:
        """A metric made moments ago (a log-based one) is unknown to alerting for up to ten minutes:
        404 "Cannot find metric(s) that match type = ... If a metric was created recently, it could
        take up to 10 minutes to become available" (hashicorp/terraform-provider-google#11102)."""
        if err.status == 404 and "Cannot find metric(s) that match type" in err.message:
            return "a metric it watches was created moments ago and is not known to alerting yet"
        return None


class Dashboard(KeyedKind):
    """A dashboard, written whole; an update carries the etag of the version it replaces."""

    meta = monitoring_meta(
        kind="monitoring.dashboard",
        permissions=permissions_of("monitoring.dashboards"),
    )
    no_charge = "dashboards are free"

    def list_live(self) -> list[dict[str, Any]]:
        api = _v1(self.ctx).dashboards()
        parent = _parent(self.ctx)
        return self.call(list_all, lambda token: api.list(parent=parent, pageToken=token), key="dashboards")

    def age(self, body: dict[str, Any]) -> str:
        return ""  # dashboards keep no creation time: the lowest id is kept

    def version_of(self, body: dict[str, Any]) -> str | None:
        return body.get("etag")

    def create(self, desired: Resource) -> Operation:
        self.create_once(
            desired, _v1(self.ctx).dashboards().create(parent=_parent(self.ctx), body=desired.body).execute
        )
        return DoneOperation(f"create dashboard {desired.name}")

    def update(self, desired: Resource, live: LiveResource, changes: Sequence[FieldChange]) -> Operation:
        body = {
            **desired.body,
            "labels": labels_kept(live.body.get("labels"), desired.body["labels"]),
            "name": live.body["name"],
            "etag": live.version,
        }
        self.call(_v1(self.ctx).dashboards().patch(name=live.body["name"], body=body).execute)
        return DoneOperation(f"update dashboard {desired.name}")

    def delete(self, live: LiveResource) -> Operation:
        self.call(_v1(self.ctx).dashboards().delete(name=live.body["name"]).execute)
        return DoneOperation(f"delete dashboard {live.name}")


class UptimeCheck(KeyedKind):
    """An uptime check; what it probes cannot change, so a change there replaces it.

    The fields an update may name are those of UpdateUptimeCheckConfigRequest: display_name,
    http_check, tcp_check, timeout, content_matchers, selected_regions
    (https://cloud.google.com/python/docs/reference/monitoring/latest/google.cloud.monitoring_v3.types.UpdateUptimeCheckConfigRequest),
    and the period, which real traffic changes in place (Config Connector's recording
    monitoringuptimecheckconfig/httpuptimecheckconfig/_http.log). The monitored resource and the
    labels are not among them: a change there replaces the check.
    """

    meta = monitoring_meta(
        kind="monitoring.uptime_check",
        permissions=permissions_of("monitoring.uptimeCheckConfigs"),
        immutable=("monitoredResource", "userLabels"),
        unordered=("selectedRegions",),
        labels_path="userLabels",
    )
    #: Executions beyond 1 million per project a month cost $0.30 per 1,000 (since October 2022,
    #: https://cloud.google.com/stackdriver/pricing, quoted in 2i2c-org/infrastructure#2320); one
    #: check from all 6 locations every 60 s runs 6 * 43,800 = 262,800 times a month.
    no_charge = "at most 262,800 executions a month, inside the free million per project"
    mask = UpdateMask(fields=("displayName", "httpCheck", "period", "timeout", "selectedRegions"), snake=True)

    def list_live(self) -> list[dict[str, Any]]:
        api = _v3(self.ctx).uptimeCheckConfigs()
        parent = _parent(self.ctx)
        return self.call(
            list_all, lambda token: api.list(parent=parent, pageToken=token), key="uptimeCheckConfigs"
        )

    def age(self, body: dict[str, Any]) -> str:
        return ""  # uptime checks keep no creation time: the lowest id is kept

    def create(self, desired: Resource) -> Operation:
        api = _v3(self.ctx).uptimeCheckConfigs()
        self.create_once(desired, api.create(parent=_parent(self.ctx), body=desired.body).execute)
        return DoneOperation(f"create uptime check {desired.name}")

    def update(self, desired: Resource, live: LiveResource, changes: Sequence[FieldChange]) -> Operation:
        _patch(self, _v3(self.ctx).uptimeCheckConfigs(), desired.body, live, changes, self.mask)
        return DoneOperation(f"update uptime check {desired.name}")

    def delete(self, live: LiveResource) -> Operation:
        self.call(_v3(self.ctx).uptimeCheckConfigs().delete(name=live.body["name"]).execute)
        return DoneOperation(f"delete uptime check {live.name}")


class MetricDescriptor(ApiKind):
    """A user-defined metric type; `create` on an existing type updates its description."""

    meta = monitoring_meta(
        kind="monitoring.metric_descriptor",
        permissions=permissions_of("monitoring.metricDescriptors", write=("create",)),
        immutable=("metricKind", "valueType"),
        stateful=True,  # deleting a descriptor deletes every point written to it
    )

    def monthly_cost(self, name: str, body: dict[str, Any], prices: PriceTable) -> list[CostLine] | None:
        why = "the descriptor is free; the points written to it are billed by volume"
        return [prices.usage("monitoring.ingestion", "global", "metric data ingested", why)]

    def observe(self, desired: Sequence[Resource]) -> list[LiveResource]:
        api = _v3(self.ctx).metricDescriptors()
        parent = _parent(self.ctx)
        wanted = f'metric.type = starts_with("{CUSTOM_METRICS}")'
        descriptors = self.call(
            list_all,
            lambda token: api.list(name=parent, filter=wanted, pageToken=token),
            key="metricDescriptors",
        )
        return [
            LiveResource(self.meta.kind, d["type"], d, managed=d["type"].startswith(CUSTOM_METRICS))
            for d in descriptors
        ]

    def create(self, desired: Resource) -> Operation:
        self.call(_v3(self.ctx).metricDescriptors().create(name=_parent(self.ctx), body=desired.body).execute)
        return DoneOperation(f"create metric descriptor {desired.name}")

    def update(self, desired: Resource, live: LiveResource, changes: Sequence[FieldChange]) -> Operation:
        self.create(desired)
        return DoneOperation(f"update metric descriptor {desired.name}")

    def delete(self, live: LiveResource) -> Operation:
        self.call(_v3(self.ctx).metricDescriptors().delete(name=live.body["name"]).execute)
        return DoneOperation(f"delete metric descriptor {live.name}")

    def retryable(self, err: ApiError) -> bool:
        return concurrent_edit(err)


class MonitoringReconciler(Reconciler):
    family = "monitoring"
    kinds = (NotificationChannel, LogMetric, AlertPolicy, Dashboard, UptimeCheck, MetricDescriptor)

    def desired(self, ctx: Context) -> list[Resource]:
        spec = ctx.spec.monitoring
        channels = [
            Resource(
                kind=NotificationChannel.meta.kind,
                name=channel_key(channel.email),
                body={
                    "type": "email",
                    "displayName": channel.display_name,
                    "labels": {"email_address": channel.email},
                    "enabled": True,
                    "userLabels": ctx.labels({KEY_LABEL: channel_key(channel.email)}),
                },
            )
            for channel in spec.notification_channels
        ]
        counted = {
            counter.name: Resource(
                kind=LogMetric.meta.kind,
                name=counter.name,
                body={
                    "description": counter.description,
                    "filter": counter.filter,
                    "metricDescriptor": {"metricKind": "DELTA", "valueType": "INT64", "unit": "1"},
                },
            )
            for alert in alerts(ctx)
            for counter in alert.log_metrics
        }
        policies = [alert_policy(ctx, alert, channels, counted) for alert in alerts(ctx)]
        dashboards = (
            [
                Resource(
                    kind=Dashboard.meta.kind,
                    name="overview",
                    body={
                        "displayName": f"{ctx.spec.name_prefix} overview",
                        "mosaicLayout": overview(ctx),
                        "labels": ctx.labels({KEY_LABEL: "overview"}),
                    },
                )
            ]
            if spec.dashboard
            else []
        )
        checks = public_endpoint_checks(ctx)
        descriptors = [metric_descriptor(metric) for metric in spec.custom_metrics]
        return [*channels, *counted.values(), *policies, *dashboards, *checks, *descriptors]


def public_endpoint_checks(ctx: Context) -> list[Resource]:
    """The uptime check of the load balancer's first domain, probed over HTTPS from outside;
    none when the spec turns it off or the load balancer has no domain to probe."""
    uptime = ctx.spec.monitoring.uptime_check
    if not (uptime.enabled and ctx.spec.lb.domains):
        return []
    body = {
        "displayName": f"{ctx.spec.name_prefix} public endpoint",
        "monitoredResource": {
            "type": "uptime_url",
            "labels": {"project_id": ctx.project, "host": ctx.spec.lb.domains[0]},
        },
        "httpCheck": {"path": uptime.path, "port": 443, "useSsl": True, "validateSsl": True},
        "period": uptime.period,
        "timeout": f"{uptime.timeout_seconds}s",
        "selectedRegions": list(uptime.regions),
        "userLabels": ctx.labels({KEY_LABEL: "public-endpoint"}),
    }
    return [Resource(kind=UptimeCheck.meta.kind, name="public-endpoint", body=body)]


def alert_policy(
    ctx: Context, alert: Alert, channels: Sequence[Resource], counted: dict[str, Resource]
) -> Resource:
    """The alert policy of one alert, notifying every channel. It depends on the channels and on
    the log metrics its conditions count: Monitoring refuses a policy naming a channel that does
    not exist, and a filter on a log metric not created yet."""
    body = {
        "displayName": alert.display_name,
        "documentation": {"content": alert.documentation, "mimeType": "text/markdown"},
        "conditions": alert.conditions,
        "combiner": "OR",
        "enabled": ctx.spec.monitoring.alerts_enabled,
        "severity": alert.severity,
        "notificationChannels": [c.name for c in channels],
        "userLabels": ctx.labels({KEY_LABEL: alert.key}),
    }
    deps = tuple(c.address for c in channels) + tuple(counted[c.name].address for c in alert.log_metrics)
    return Resource(kind=AlertPolicy.meta.kind, name=alert.key, body=body, deps=deps)


def metric_descriptor(metric: CustomMetricSpec) -> Resource:
    """The descriptor of one business KPI the services write. It is named by its metric type and
    carries no labels (the `custom.googleapis.com/digitwin/` prefix is what marks it ours); a
    display name is sent only when the spec gives one."""
    body = {
        "type": metric.metric_type,
        "metricKind": metric.kind,
        "valueType": metric.value_type,
        "unit": metric.unit,
        "description": metric.description,
        **({"displayName": metric.display_name} if metric.display_name else {}),
    }
    return Resource(kind=MetricDescriptor.meta.kind, name=metric.metric_type, body=body)
