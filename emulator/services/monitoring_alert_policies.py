"""Cloud Monitoring alert policies: server-assigned names, validated conditions, masked patch.

Create and patch are synchronous and return the policy. A patch without an update mask
replaces the whole policy (its name and creation record stay); with a mask only the named
top-level fields change. Every stored policy must pass the same checks: a condition of exactly
one type, a threshold filter naming a metric type, a comparison, well-formed durations,
alignment periods of at least a minute, existing notification channels, a combiner once there
are several conditions, and Markdown documentation.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from emulator import standard
from emulator.clock import parse_duration
from emulator.collection import declare
from emulator.errors import invalid, not_found
from emulator.registry import Api, Call
from emulator.services._monitoring import (
    CHANNEL,
    POLICY,
    canonical,
    check_user_labels,
    collection,
    fetch,
    mutation_record,
    new_id,
    project_of,
)
from emulator.services.monitoring_metric_descriptors import usable

API = Api("monitoring", "v3")

CONDITION_TYPES = (
    "conditionThreshold",
    "conditionAbsent",
    "conditionMatchedLog",
    "conditionMonitoringQueryLanguage",
    "conditionPrometheusQueryLanguage",
    "conditionSql",
)
MUTABLE = {
    "displayName",
    "documentation",
    "userLabels",
    "conditions",
    "combiner",
    "enabled",
    "notificationChannels",
    "alertStrategy",
    "severity",
}
MAX_CONDITIONS = 6
MAX_DOCUMENTATION_BYTES = 10 * 1024
MIN_ALIGNMENT_S = 60


def _check_aggregations(aggregations: list[dict[str, Any]], field: str) -> None:
    for i, agg in enumerate(aggregations):
        where = f"{field}[{i}]"
        aligner = agg.get("perSeriesAligner", "ALIGN_NONE")
        reducer = agg.get("crossSeriesReducer", "REDUCE_NONE")
        period = agg.get("alignmentPeriod")
        if aligner != "ALIGN_NONE" and period is None:
            raise invalid(
                f"{where}.alignment_period is required when a per-series aligner is set.", field=where
            )
        if period is not None and parse_duration(period) < MIN_ALIGNMENT_S:
            raise invalid(
                f"{where}.alignment_period must be at least {MIN_ALIGNMENT_S} seconds; got {period}.",
                field=f"{where}.alignment_period",
            )
        if reducer != "REDUCE_NONE" and aligner == "ALIGN_NONE":
            raise invalid(
                f"{where}: a cross-series reducer needs a per-series aligner other than ALIGN_NONE.",
                field=where,
            )
        if agg.get("groupByFields") and reducer == "REDUCE_NONE":
            raise invalid(f"{where}.group_by_fields needs a cross-series reducer.", field=where)


#: Metric types users define; the others are Google's and cannot be checked here.
USER_DEFINED_TYPES = (
    "custom.googleapis.com/",
    "external.googleapis.com/",
    "logging.googleapis.com/user/",
    "workload.googleapis.com/",
)
_METRIC_TYPE = re.compile(r'metric\.type\s*=\s*"([^"]+)"')


def _check_metrics_exist(call: Call, project: str, conditions: list[dict[str, Any]]) -> None:
    """A filter naming a user-defined metric that does not exist, or was created moments ago, is
    refused with 404, word for word as GCP answers it (hashicorp/terraform-provider-google#11102,
    GoogleCloudPlatform/cloud-foundation-fabric#3739)."""
    for condition in conditions:
        for body in condition.values():
            if not isinstance(body, dict):
                continue
            for text in (body.get("filter") or "", body.get("denominatorFilter") or ""):
                for metric_type in _METRIC_TYPE.findall(text):
                    if not metric_type.startswith(USER_DEFINED_TYPES):
                        continue
                    if not usable(call, f"projects/{project}/metricDescriptors/{metric_type}"):
                        raise not_found(
                            f'Cannot find metric(s) that match type = "{metric_type}". If a metric was'
                            " created recently, it could take up to 10 minutes to become available."
                            " Please try again soon."
                        )


def _check_threshold(threshold: dict[str, Any], field: str) -> None:
    metric_filter = threshold.get("filter") or ""
    if "metric.type" not in metric_filter:
        raise invalid(
            f"{field}.filter must select a metric with metric.type; got '{metric_filter}'.",
            field=f"{field}.filter",
        )
    if threshold.get("comparison", "COMPARISON_UNSPECIFIED") == "COMPARISON_UNSPECIFIED":
        raise invalid(f"{field}.comparison is required.", field=f"{field}.comparison")
    if threshold.get("duration") is None:
        raise invalid(f"{field}.duration is required.", field=f"{field}.duration")
    if parse_duration(threshold["duration"]) < 0 or parse_duration(threshold["duration"]) > 86_400:
        raise invalid(f"{field}.duration must be between 0s and 86400s.", field=f"{field}.duration")
    _check_aggregations(threshold.get("aggregations") or [], f"{field}.aggregations")
    denominator = threshold.get("denominatorFilter")
    if denominator is not None and "metric.type" not in denominator:
        raise invalid(f"{field}.denominator_filter must select a metric with metric.type.", field=field)
    if threshold.get("denominatorAggregations") and denominator is None:
        raise invalid(f"{field}.denominator_aggregations needs a denominator_filter.", field=field)
    _check_aggregations(threshold.get("denominatorAggregations") or [], f"{field}.denominator_aggregations")


def _check_condition(condition: dict[str, Any], index: int) -> None:
    field = f"alert_policy.conditions[{index}]"
    if not condition.get("displayName"):
        raise invalid(f"{field}.display_name is required.", field=f"{field}.display_name")
    present = [t for t in CONDITION_TYPES if condition.get(t) is not None]
    if len(present) != 1:
        raise invalid(
            f"{field} must have exactly one condition type; it has {len(present)}"
            + (f" ({', '.join(present)})." if present else "."),
            field=field,
        )
    kind = present[0]
    if kind == "conditionThreshold":
        _check_threshold(condition[kind], f"{field}.condition_threshold")
    elif kind == "conditionAbsent":
        absent = condition[kind]
        if "metric.type" not in (absent.get("filter") or ""):
            raise invalid(
                f"{field}.condition_absent.filter must select a metric with metric.type.", field=field
            )
        if absent.get("duration") is None or parse_duration(absent["duration"]) < 120:
            raise invalid(f"{field}.condition_absent.duration must be at least 120s.", field=field)
        _check_aggregations(absent.get("aggregations") or [], f"{field}.condition_absent.aggregations")


def _check_policy(call: Call, policy: dict[str, Any], project: str) -> None:
    if not policy.get("displayName"):
        raise invalid("alert_policy.display_name is required.", field="alert_policy.display_name")
    conditions = policy.get("conditions") or []
    if not conditions:
        raise invalid("An alert policy needs at least one condition.", field="alert_policy.conditions")
    if len(conditions) > MAX_CONDITIONS:
        raise invalid(
            f"An alert policy can have at most {MAX_CONDITIONS} conditions.", field="alert_policy.conditions"
        )
    for i, condition in enumerate(conditions):
        _check_condition(condition, i)
    _check_metrics_exist(call, project, conditions)
    if len(conditions) > 1 and policy.get("combiner", "COMBINE_UNSPECIFIED") == "COMBINE_UNSPECIFIED":
        raise invalid(
            "alert_policy.combiner is required when a policy has more than one condition.",
            field="alert_policy.combiner",
        )
    documentation = policy.get("documentation")
    if documentation is not None:
        if documentation.get("mimeType") not in (None, "text/markdown"):
            raise invalid(
                f"documentation.mime_type '{documentation['mimeType']}' is not supported; use text/markdown.",
                field="alert_policy.documentation.mime_type",
            )
        if len((documentation.get("content") or "").encode()) > MAX_DOCUMENTATION_BYTES:
            raise invalid(
                "documentation.content is limited to 10240 bytes.", field="alert_policy.documentation"
            )
        if len(documentation.get("subject") or "") > 255:
            raise invalid(
                "documentation.subject is limited to 255 characters.", field="alert_policy.documentation"
            )
    check_user_labels(policy.get("userLabels"), "alert_policy.user_labels")
    for channel in policy.get("notificationChannels") or []:
        try:
            name = canonical(call, channel, "notificationChannels", "monitoring.notificationChannels.get")
        except Exception:
            raise invalid(
                f"Invalid notification channel name: {channel}.", field="alert_policy.notification_channels"
            ) from None
        if not name.startswith(f"projects/{project}/") or call.ctx.store.get(CHANNEL, name) is None:
            raise invalid(
                f"Notification channel {channel} does not exist.", field="alert_policy.notification_channels"
            )


def _settle(call: Call, policy: dict[str, Any], previous: dict[str, Any] | None) -> dict[str, Any]:
    """Fill in what the server owns: condition names, defaults, channel names by project id."""
    out = copy.deepcopy(policy)
    known = {c.get("name") for c in (previous or {}).get("conditions", [])}
    for condition in out.get("conditions", []):
        if condition.get("name") not in known:
            condition["name"] = f"{out['name']}/conditions/{new_id(call, POLICY, out['name'], 'conditions')}"
    out.setdefault("enabled", True)
    if out.get("documentation") is not None:
        out["documentation"].setdefault("mimeType", "text/markdown")
    out["notificationChannels"] = [
        canonical(call, c, "notificationChannels", "monitoring.notificationChannels.get")
        for c in out.get("notificationChannels") or []
    ]
    if not out["notificationChannels"]:
        out.pop("notificationChannels")
    return out


def _input(body: dict[str, Any]) -> dict[str, Any]:
    """The request's policy without the fields only the server writes."""
    return {k: v for k, v in standard.drop_none(body).items() if k in MUTABLE}


@API.handles("monitoring.projects.alertPolicies.create")
def create_policy(call: Call) -> dict[str, Any]:
    project = project_of(call, call.param("name"), "monitoring.alertPolicies.create")
    policy = _input(call.body or {})
    _check_policy(call, policy, project)
    parent = f"projects/{project}"
    name = f"{parent}/alertPolicies/{new_id(call, POLICY, parent, 'alertPolicies')}"
    record = mutation_record(call)
    stored = _settle(call, {**policy, "name": name}, None)
    stored.update({"creationRecord": record, "mutationRecord": record})
    call.ctx.store.put(POLICY, name, stored, parent)
    return stored


@API.handles("monitoring.projects.alertPolicies.patch")
def patch_policy(call: Call) -> dict[str, Any]:
    name = canonical(call, call.param("name"), "alertPolicies", "monitoring.alertPolicies.update")
    project = project_of(call, name, "monitoring.alertPolicies.update")
    current = fetch(call, POLICY, name, "Alert policy")
    body = _input(call.body or {})
    mask = call.query.get("updateMask")
    if mask:
        updated = standard.apply_update_mask(current, body, mask, MUTABLE, "AlertPolicy")
    else:
        # No mask: the request replaces the policy; only its name and creation record stay.
        updated = {k: v for k, v in current.items() if k not in MUTABLE}
        updated.update(body)
    _check_policy(call, {k: v for k, v in updated.items() if k in MUTABLE}, project)
    stored = _settle(call, updated, current)
    stored["mutationRecord"] = mutation_record(call)
    call.ctx.store.put(POLICY, name, stored, f"projects/{project}")
    return stored


POLICIES = declare(
    API, collection("alertPolicies", POLICY, "Alert policy"), frozenset({"get", "list", "delete"})
)
