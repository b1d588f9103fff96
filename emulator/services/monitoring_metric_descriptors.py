"""Cloud Monitoring metric descriptors: user-defined metric types, named after their type.

Only `custom.googleapis.com/` and `external.googleapis.com/` types can be created or deleted;
built-in types are Google's. A descriptor's name is `projects/<id>/metricDescriptors/<type>`,
so the last part of the name holds slashes. Creating a descriptor that already exists is how
the API updates one: the description, unit and display name are replaced and labels may be
added, but the kind and value type are fixed and labels are never removed.

A new user-defined metric (custom, or a log-based metric's `logging.googleapis.com/user/`
type) is not usable by alert policies at once: "If a metric was created recently, it could take
up to 10 minutes to become available" (emulator.durations.PROPAGATION).
"""

from __future__ import annotations

import re
from typing import Any

from emulator import standard
from emulator.collection import declare
from emulator.durations import propagation_seconds
from emulator.errors import already_exists, invalid
from emulator.registry import Api, Call
from emulator.services._monitoring import (
    DESCRIPTOR,
    SERIES,
    canonical,
    collection,
    fetch,
    listing,
    project_of,
)

API = Api("monitoring", "v3")

USER_DEFINED = ("custom.googleapis.com/", "external.googleapis.com/")
_TYPE = re.compile(r"^[A-Za-z0-9_.\-]+\.googleapis\.com/[A-Za-z0-9_/.\-]{1,}$")
_LABEL_KEY = re.compile(r"^[a-z][a-z0-9_]{0,99}$")
#: Value types a metric kind can carry.
KINDS = {
    "GAUGE": {"BOOL", "INT64", "DOUBLE", "STRING", "DISTRIBUTION"},
    "DELTA": {"INT64", "DOUBLE", "DISTRIBUTION", "MONEY"},
    "CUMULATIVE": {"INT64", "DOUBLE", "DISTRIBUTION"},
}
FIXED = ("metricKind", "valueType")
#: When a user-defined metric created moments ago becomes usable by alert policies.
USABLE_AT = "monitoring.metricUsableAt"


def check_type(metric_type: str | None, field: str) -> str:
    if not metric_type:
        raise invalid(f"{field} is required.", field=field)
    if not metric_type.startswith(USER_DEFINED):
        raise invalid(
            f"Metric type '{metric_type}' is not user-defined: it must start with custom.googleapis.com/"
            " or external.googleapis.com/.",
            field=field,
        )
    if not _TYPE.match(metric_type) or "//" in metric_type or len(metric_type) > 200:
        raise invalid(f"Metric type '{metric_type}' is not a valid metric type name.", field=field)
    return metric_type


def check_kind(metric_kind: str | None, value_type: str | None) -> None:
    if metric_kind in (None, "METRIC_KIND_UNSPECIFIED"):
        raise invalid("metric_descriptor.metric_kind is required.", field="metric_descriptor.metric_kind")
    if value_type in (None, "VALUE_TYPE_UNSPECIFIED"):
        raise invalid("metric_descriptor.value_type is required.", field="metric_descriptor.value_type")
    if value_type not in KINDS[metric_kind]:
        raise invalid(
            f"A {metric_kind} metric cannot have value type {value_type}.",
            field="metric_descriptor.value_type",
        )


def _check_labels(labels: list[dict[str, Any]]) -> None:
    keys = [label.get("key") for label in labels]
    for key in keys:
        if not key or not _LABEL_KEY.match(key):
            raise invalid(f"Metric label key '{key}' is invalid.", field="metric_descriptor.labels")
    if len(set(keys)) != len(keys):
        raise invalid("Metric label keys must be unique.", field="metric_descriptor.labels")
    if len(keys) > 30:
        raise invalid("A metric can have at most 30 labels.", field="metric_descriptor.labels")


def store(call: Call, project: str, descriptor: dict[str, Any]) -> dict[str, Any]:
    """Keep a checked descriptor (also used when a first write creates one)."""
    name = f"projects/{project}/metricDescriptors/{descriptor['type']}"
    stored = {**descriptor, "name": name}
    if call.ctx.store.get(DESCRIPTOR, name) is None:
        made_usable(call, name)
    call.ctx.store.put(DESCRIPTOR, name, stored, f"projects/{project}")
    return stored


def made_usable(call: Call, name: str) -> None:
    """Note when a metric created now can be named by an alert policy (`usable`)."""
    config = call.ctx.config
    wait = propagation_seconds(
        "metric",
        profile=config.operation_profile,
        scale=config.profile_scale,
        override=config.metric_propagation_s,
    )
    call.ctx.store.put(USABLE_AT, name, {"at": call.ctx.clock.now() + wait})


def usable(call: Call, name: str) -> bool:
    """Whether the metric descriptor `name` exists and has become usable by alert policies."""
    if call.ctx.store.get(DESCRIPTOR, name) is None:
        return False
    noted = call.ctx.store.get(USABLE_AT, name)
    return noted is None or call.ctx.clock.now() >= float(noted["at"])


@API.handles("monitoring.projects.metricDescriptors.create")
def create_descriptor(call: Call) -> dict[str, Any]:
    project = project_of(call, call.param("name"), "monitoring.metricDescriptors.create")
    body = standard.drop_none(call.body or {})
    check_type(body.get("type"), "metric_descriptor.type")
    check_kind(body.get("metricKind"), body.get("valueType"))
    _check_labels(body.get("labels") or [])
    if len(body.get("description") or "") > 10_000:
        raise invalid("metric_descriptor.description is too long.", field="metric_descriptor.description")
    name = f"projects/{project}/metricDescriptors/{body['type']}"
    if body.get("name") not in (None, name):
        raise invalid(f"metric_descriptor.name must be {name} or unset.", field="metric_descriptor.name")
    existing = call.ctx.store.get(DESCRIPTOR, name)
    if existing is not None:
        kept = {label["key"] for label in existing.get("labels") or []}
        given = {label.get("key") for label in body.get("labels") or []}
        if any(existing.get(k) != body.get(k) for k in FIXED) or not kept <= given:
            raise already_exists(
                f"Metric descriptor {name} already exists with a different kind or value type, or"
                " with labels this request drops; delete it first to change them."
            )
    return store(call, project, {k: v for k, v in body.items() if k != "name"})


@API.handles("monitoring.projects.metricDescriptors.list")
def list_descriptors(call: Call) -> dict[str, Any]:
    project = project_of(call, call.param("name"), "monitoring.metricDescriptors.list")
    expression = call.query.get("filter") or ""
    descriptors = call.ctx.store.list(DESCRIPTOR, f"projects/{project}")
    m = re.fullmatch(r'\s*metric\.type\s*=\s*starts_with\("([^"]*)"\)\s*', expression)
    if m:
        descriptors = [d for d in descriptors if d["type"].startswith(m.group(1))]
        call.query.pop("filter")
    else:
        exact = re.fullmatch(r'\s*metric\.type\s*=\s*"([^"]*)"\s*', expression)
        if exact:
            descriptors = [d for d in descriptors if d["type"] == exact.group(1)]
            call.query.pop("filter")
    return listing(call, descriptors, "metricDescriptors", total=False)


@API.handles("monitoring.projects.metricDescriptors.delete")
def delete_descriptor(call: Call) -> dict[str, Any]:
    name = canonical(call, call.param("name"), "metricDescriptors", "monitoring.metricDescriptors.delete")
    descriptor = fetch(call, DESCRIPTOR, name, "Metric descriptor")
    check_type(descriptor["type"], "name")
    for series in call.ctx.store.list(SERIES, name):
        call.ctx.store.delete(SERIES, series["key"])
    call.ctx.store.delete(DESCRIPTOR, name)
    return {}


DESCRIPTORS = declare(
    API, collection("metricDescriptors", DESCRIPTOR, "Metric descriptor"), frozenset({"get"})
)
