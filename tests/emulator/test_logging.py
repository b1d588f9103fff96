"""Cloud Logging log-based metrics: strict about the metric, counting the entries they match."""

from __future__ import annotations

import json
from typing import Any

import pytest
from google.auth.credentials import AnonymousCredentials
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError

from emulator import Emulator
from tests.emulator.conftest import PROJECT

PARENT = f"projects/{PROJECT}"
DATABASE = f"{PROJECT}:pg"
POSTGRES_LOG = f"{PARENT}/logs/cloudsql.googleapis.com%2Fpostgres.log"
FAILURES = (
    f'resource.type="cloudsql_database" AND resource.labels.database_id="{DATABASE}"'
    f' AND logName="{POSTGRES_LOG}"'
    ' AND textPayload=~"FATAL: +(password authentication failed|sorry, too many clients)"'
)


def _api(emu: Emulator, name: str, version: str) -> Any:
    return build(
        name,
        version,
        credentials=AnonymousCredentials(),
        static_discovery=True,
        client_options={"api_endpoint": emu.base_url + "/"},
    )


def _error(exc: pytest.ExceptionInfo[HttpError]) -> dict[str, Any]:
    return json.loads(exc.value.content)["error"]


def _metric(name: str = "db-failures", **fields: Any) -> dict[str, Any]:
    return {"name": name, "description": "failed connections", "filter": FAILURES, **fields}


def test_a_metric_counts_entries_by_default_and_monitoring_knows_its_type(emu: Emulator) -> None:
    logging = _api(emu, "logging", "v2").projects().metrics()
    made = logging.create(parent=PARENT, body=_metric()).execute()
    assert made["metricDescriptor"]["metricKind"] == "DELTA"
    assert made["metricDescriptor"]["valueType"] == "INT64" and made["metricDescriptor"]["unit"] == "1"
    assert made["metricDescriptor"]["type"] == "logging.googleapis.com/user/db-failures"
    assert made["createTime"] and made["updateTime"]
    assert logging.get(metricName=f"{PARENT}/metrics/db-failures").execute() == made
    assert [m["name"] for m in logging.list(parent=PARENT).execute()["metrics"]] == ["db-failures"]
    monitoring = _api(emu, "monitoring", "v3").projects().metricDescriptors()
    name = f"{PARENT}/metricDescriptors/logging.googleapis.com/user/db-failures"
    assert monitoring.get(name=name).execute()["metricKind"] == "DELTA"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (_metric(name="/leading-slash"), "Invalid metric name"),
        (_metric(name="x" * 101), "Invalid metric name"),
        (_metric(filter=""), "filter is required"),
        (_metric(filter='textPayload=~"("'), "bad regular expression"),
        (_metric(filter='resource.type="a" AND ('), "Invalid filter"),
    ],
)
def test_invalid_metrics_are_refused(emu: Emulator, body: dict[str, Any], message: str) -> None:
    with pytest.raises(HttpError) as exc:
        _api(emu, "logging", "v2").projects().metrics().create(parent=PARENT, body=body).execute()
    assert exc.value.resp.status == 400 and message in _error(exc)["message"]


def test_a_metric_exists_once_and_keeps_its_kind(emu: Emulator) -> None:
    logging = _api(emu, "logging", "v2").projects().metrics()
    logging.create(parent=PARENT, body=_metric()).execute()
    with pytest.raises(HttpError) as exc:
        logging.create(parent=PARENT, body=_metric()).execute()
    assert exc.value.resp.status == 409
    changed = _metric(metricDescriptor={"metricKind": "DELTA", "valueType": "DOUBLE"})
    with pytest.raises(HttpError) as exc:
        logging.update(metricName=f"{PARENT}/metrics/db-failures", body=changed).execute()
    assert exc.value.resp.status == 400
    updated = logging.update(
        metricName=f"{PARENT}/metrics/db-failures", body=_metric(description="new words")
    ).execute()
    assert updated["description"] == "new words"
    logging.delete(metricName=f"{PARENT}/metrics/db-failures").execute()
    with pytest.raises(HttpError) as exc:
        logging.get(metricName=f"{PARENT}/metrics/db-failures").execute()
    assert exc.value.resp.status == 404


def _entry(text: str, database: str = DATABASE, at: str | None = None) -> dict[str, Any]:
    return {
        "logName": POSTGRES_LOG,
        "resource": {
            "type": "cloudsql_database",
            "labels": {"database_id": database, "region": "us-central1"},
        },
        "severity": "ALERT",
        "textPayload": text,
        **({"timestamp": at} if at else {}),
    }


def test_entries_the_filter_matches_become_points_of_the_metric(emu: Emulator) -> None:
    _api(emu, "logging", "v2").projects().metrics().create(parent=PARENT, body=_metric()).execute()
    entries = [
        _entry(
            "2026-12-04 10:00:00 UTC [42]: [1-1] db=app,user=app"
            ' FATAL:  password authentication failed for user "app"'
        ),
        _entry("2026-12-04 10:00:01 UTC [43]: [1-1] FATAL:  sorry, too many clients already"),
        _entry("2026-12-04 10:00:02 UTC [44]: [1-1] LOG:  checkpoint starting: time"),
        _entry("FATAL:  sorry, too many clients already", database=f"{PROJECT}:other"),
    ]
    _api(emu, "logging", "v2").entries().write(body={"entries": entries}).execute()
    end = emu.clock.rfc3339(plus_seconds=1)
    start = emu.clock.rfc3339(plus_seconds=-300)
    series = (
        _api(emu, "monitoring", "v3")
        .projects()
        .timeSeries()
        .list(
            name=PARENT,
            filter='metric.type="logging.googleapis.com/user/db-failures"'
            f' AND resource.labels.database_id="{DATABASE}"',
            interval_startTime=start,
            interval_endTime=end,
            aggregation_alignmentPeriod="300s",
            aggregation_perSeriesAligner="ALIGN_DELTA",
            aggregation_crossSeriesReducer="REDUCE_SUM",
        )
        .execute()["timeSeries"]
    )
    assert [p["value"] for p in series[0]["points"]] == [{"int64Value": "2"}]
