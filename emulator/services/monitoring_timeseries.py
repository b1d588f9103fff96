"""Cloud Monitoring time series writes (`timeSeries.create`) for user-defined metrics.

Each series in a request carries exactly one point, names a metric type and a monitored
resource, and appears once. The point must fit the metric's descriptor (kind, value type,
declared labels); a first write to a custom type without a descriptor creates one, as GAUGE
or CUMULATIVE only, with the labels of that write. Points must be newer than the series'
last point, no older than 25 hours and no more than 5 minutes in the future. A rejected
series rejects the whole request, as the API reports per-series errors in a 400.

Every point written, and every point a log-based metric counts (`add_point`), is kept, so that
`timeSeries.list` can read them back the way an alert condition does: a filter naming one
metric type (and the resource and metric labels it selects), an interval, and optionally an
alignment (ALIGN_NONE, ALIGN_DELTA, ALIGN_SUM per period) and REDUCE_SUM across series; other
aligners and reducers answer 501 here.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from datetime import timedelta
from typing import Any

from emulator.clock import format_rfc3339, parse_duration, parse_rfc3339
from emulator.errors import invalid, not_found, unimplemented
from emulator.registry import Api, Call
from emulator.services._monitoring import DESCRIPTOR, SERIES, matches, project_of
from emulator.services.monitoring_metric_descriptors import check_kind, check_type, store

API = Api("monitoring", "v3")

MAX_SERIES = 200
MAX_AGE = timedelta(hours=25)
MAX_FUTURE = timedelta(minutes=5)
VALUE_FIELDS = {
    "boolValue": "BOOL",
    "int64Value": "INT64",
    "doubleValue": "DOUBLE",
    "stringValue": "STRING",
    "distributionValue": "DISTRIBUTION",
}


def _series_key(descriptor_name: str, series: dict[str, Any]) -> str:
    identity = {
        "metric": (series.get("metric") or {}).get("labels") or {},
        "resource": series.get("resource") or {},
    }
    digest = hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()[:24]
    return f"{descriptor_name}#{digest}"


def _descriptor(call: Call, project: str, series: dict[str, Any], where: str) -> dict[str, Any]:
    metric_type = check_type((series.get("metric") or {}).get("type"), f"{where}.metric.type")
    name = f"projects/{project}/metricDescriptors/{metric_type}"
    found = call.ctx.store.get(DESCRIPTOR, name)
    if found is not None:
        return found
    kind = series.get("metricKind") or "GAUGE"
    if kind not in ("GAUGE", "CUMULATIVE"):
        raise invalid(
            f"{where}: a metric descriptor created by a write must be GAUGE or CUMULATIVE, not {kind}.",
            field=f"{where}.metric_kind",
        )
    value_type = series.get("valueType") or _value_type(series, where)
    check_kind(kind, value_type)
    labels = [{"key": k} for k in sorted((series.get("metric") or {}).get("labels") or {})]
    # Created only once the whole request has passed its checks.
    return {"name": name, "type": metric_type, "metricKind": kind, "valueType": value_type, "labels": labels}


def _value_type(series: dict[str, Any], where: str) -> str:
    points = series.get("points") or []
    value = (points[0].get("value") or {}) if points else {}
    present = [VALUE_FIELDS[k] for k in value if k in VALUE_FIELDS]
    if len(present) != 1:
        raise invalid(f"{where}.points[0].value must hold exactly one value.", field=f"{where}.points")
    return present[0]


def _check_point(call: Call, series: dict[str, Any], descriptor: dict[str, Any], where: str) -> str:
    points = series.get("points") or []
    if len(points) != 1:
        raise invalid(
            f"{where}: each time series in a write must contain exactly one point; got {len(points)}.",
            field=f"{where}.points",
        )
    for field, declared in (("metricKind", descriptor["metricKind"]), ("valueType", descriptor["valueType"])):
        given = series.get(field)
        if given not in (None, declared, "METRIC_KIND_UNSPECIFIED", "VALUE_TYPE_UNSPECIFIED"):
            raise invalid(
                f"{where}: {field} {given} does not match the metric's {declared}.", field=f"{where}.{field}"
            )
    declared = {label["key"] for label in descriptor.get("labels") or []}
    unknown = sorted(set((series.get("metric") or {}).get("labels") or {}) - declared)
    if unknown:
        raise invalid(
            f"{where}: metric label(s) {', '.join(unknown)} are not declared by {descriptor['type']}.",
            field=f"{where}.metric.labels",
        )
    if _value_type(series, where) != descriptor["valueType"]:
        raise invalid(
            f"{where}: the point's value type must be {descriptor['valueType']} for {descriptor['type']}.",
            field=f"{where}.points[0].value",
        )
    interval = points[0].get("interval") or {}
    if not interval.get("endTime"):
        raise invalid(f"{where}.points[0].interval.end_time is required.", field=f"{where}.points")
    end = parse_rfc3339(interval["endTime"])
    now = call.ctx.clock.datetime()
    if end < now - MAX_AGE:
        raise invalid(
            f"{where}: the point's end time is older than 25 hours and can no longer be written.",
            field=f"{where}.points",
        )
    if end > now + MAX_FUTURE:
        raise invalid(
            f"{where}: the point's end time is more than 5 minutes in the future.", field=f"{where}.points"
        )
    start = interval.get("startTime")
    if descriptor["metricKind"] == "GAUGE":
        if start is not None and parse_rfc3339(start) != end:
            raise invalid(
                f"{where}: a GAUGE point's start time must equal its end time.", field=f"{where}.points"
            )
    elif start is None or parse_rfc3339(start) >= end:
        raise invalid(
            f"{where}: a {descriptor['metricKind']} point needs a start time before its end time.",
            field=f"{where}.points",
        )
    return str(interval["endTime"])


@API.handles("monitoring.projects.timeSeries.create")
def create_time_series(call: Call) -> dict[str, Any]:
    project = project_of(call, call.param("name"), "monitoring.timeSeries.create")
    all_series = (call.body or {}).get("timeSeries") or []
    if not all_series:
        raise invalid("At least one time series is required.", field="time_series")
    if len(all_series) > MAX_SERIES:
        raise invalid(f"At most {MAX_SERIES} time series can be written in one request.", field="time_series")
    writes: list[tuple[str, dict[str, Any], dict[str, Any]]] = []
    seen: set[str] = set()
    for i, series in enumerate(all_series):
        where = f"time_series[{i}]"
        if not (series.get("resource") or {}).get("type"):
            raise invalid(f"{where}.resource.type is required.", field=f"{where}.resource")
        descriptor = _descriptor(call, project, series, where)
        end = _check_point(call, series, descriptor, where)
        key = _series_key(descriptor["name"], series)
        if key in seen:
            raise invalid(f"{where} duplicates another time series in the same request.", field=where)
        seen.add(key)
        last = call.ctx.store.get(SERIES, key)
        if last is not None and parse_rfc3339(end) <= parse_rfc3339(last["endTime"]):
            raise invalid(
                f"{where}: points must be written in order; one or more of the points specified had an"
                " older start time than the most recent point.",
                field=f"{where}.points",
            )
        writes.append((key, descriptor, {"key": key, "endTime": end, "series": series}))
    for key, descriptor, record in writes:
        if call.ctx.store.get(DESCRIPTOR, descriptor["name"]) is None:
            store(call, project, {k: v for k, v in descriptor.items() if k != "name"})
        call.ctx.store.put(SERIES, key, record, descriptor["name"])
        point = record["series"]["points"][0]
        _keep_point(
            call, descriptor, record["series"].get("metric") or {}, record["series"]["resource"], point
        )
    return {}


POINT = "monitoring.point"
_TYPE_TERM = re.compile(r'metric\.type\s*=\s*"([^"]+)"')


def _keep_point(
    call: Call,
    descriptor: dict[str, Any],
    metric: dict[str, Any],
    resource: dict[str, Any],
    point: dict[str, Any],
) -> None:
    call.ctx.store.put(
        POINT,
        f"{descriptor['name']}#{uuid.uuid4().hex}",
        {
            "metric": {
                "type": descriptor["type"],
                **({"labels": metric["labels"]} if metric.get("labels") else {}),
            },
            "resource": resource,
            "metricKind": descriptor["metricKind"],
            "valueType": descriptor["valueType"],
            "point": point,
        },
        descriptor["name"],
    )


def add_point(
    call: Call, project: str, descriptor: dict[str, Any], resource: dict[str, Any], end: str, count: int
) -> None:
    """One point of a log-based counter: `count` matching entries ending at `end`."""
    start = format_rfc3339(parse_rfc3339(end) - timedelta(milliseconds=1))
    point = {"interval": {"startTime": start, "endTime": end}, "value": {"int64Value": str(count)}}
    _keep_point(call, descriptor, {}, resource, point)


def _number(value: dict[str, Any]) -> float:
    if "int64Value" in value:
        return int(value["int64Value"])
    if "doubleValue" in value:
        return float(value["doubleValue"])
    raise unimplemented("Only INT64 and DOUBLE points can be aligned by this emulator.")


def _value(value_type: str, total: float) -> dict[str, Any]:
    return {"int64Value": str(int(total))} if value_type == "INT64" else {"doubleValue": total}


@API.handles("monitoring.projects.timeSeries.list")
def list_time_series(call: Call) -> dict[str, Any]:
    project = project_of(call, call.param("name"), "monitoring.timeSeries.list")
    text = str(call.query.get("filter") or "")
    types = _TYPE_TERM.findall(text)
    if len(types) != 1:
        raise invalid('The filter must name exactly one metric type: metric.type = "...".', field="filter")
    if not call.query.get("interval.endTime"):
        raise invalid("interval.end_time is required.", field="interval.end_time")
    end = parse_rfc3339(str(call.query["interval.endTime"]))
    start = parse_rfc3339(str(call.query.get("interval.startTime") or call.query["interval.endTime"]))
    descriptor_name = f"projects/{project}/metricDescriptors/{types[0]}"
    if call.ctx.store.get(DESCRIPTOR, descriptor_name) is None:
        raise not_found(f'Cannot find metric(s) that match type = "{types[0]}".')
    found = [
        p
        for p in call.ctx.store.list(POINT, descriptor_name)
        if matches(p, text) and start <= parse_rfc3339(p["point"]["interval"]["endTime"]) <= end
    ]
    series: dict[str, dict[str, Any]] = {}
    for p in sorted(found, key=lambda p: p["point"]["interval"]["endTime"], reverse=True):
        key = json.dumps([p["metric"], p["resource"]], sort_keys=True)
        entry = series.setdefault(key, {k: p[k] for k in ("metric", "resource", "metricKind", "valueType")})
        entry.setdefault("points", []).append(p["point"])
    aligner = call.query.get("aggregation.perSeriesAligner") or "ALIGN_NONE"
    reducer = call.query.get("aggregation.crossSeriesReducer") or "REDUCE_NONE"
    if aligner != "ALIGN_NONE":
        if aligner not in ("ALIGN_DELTA", "ALIGN_SUM") or call.query.get("aggregation.groupByFields"):
            raise unimplemented(f"{aligner} (or grouping) is not implemented by this emulator.")
        period = parse_duration(str(call.query.get("aggregation.alignmentPeriod") or "60s"))
        for entry in series.values():
            buckets: dict[int, float] = {}
            for point in entry["points"]:
                age = (end - parse_rfc3339(point["interval"]["endTime"])).total_seconds()
                buckets[int(age // period)] = buckets.get(int(age // period), 0) + _number(point["value"])
            entry["points"] = [
                {
                    "interval": {
                        "startTime": format_rfc3339(end - timedelta(seconds=(i + 1) * period)),
                        "endTime": format_rfc3339(end - timedelta(seconds=i * period)),
                    },
                    "value": _value(entry["valueType"], total),
                }
                for i, total in sorted(buckets.items())
            ]
            entry["metricKind"] = "DELTA" if aligner == "ALIGN_DELTA" else "GAUGE"
    if reducer != "REDUCE_NONE":
        if reducer != "REDUCE_SUM" or aligner == "ALIGN_NONE":
            raise unimplemented(
                f"{reducer} is not implemented by this emulator (REDUCE_SUM after an aligner is)."
            )
        merged: dict[str, float] = {}
        first = next(iter(series.values()), None)
        for entry in series.values():
            for point in entry["points"]:
                at = json.dumps(point["interval"], sort_keys=True)
                merged[at] = merged.get(at, 0) + _number(point["value"])
        series = {}
        if first is not None:
            series["all"] = {
                "metric": {"type": first["metric"]["type"]},
                "resource": {"type": first["resource"]["type"]},
                "metricKind": first["metricKind"],
                "valueType": first["valueType"],
                "points": [
                    {"interval": json.loads(at), "value": _value(first["valueType"], total)}
                    for at, total in sorted(merged.items(), reverse=True)
                ],
            }
    return {"timeSeries": list(series.values())} if series else {}
