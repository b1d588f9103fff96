"""Cloud Monitoring behaviour through the googleapiclient discovery clients (v3 and v1)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from google.auth.credentials import AnonymousCredentials
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError

from emulator import Emulator
from emulator.faults import FaultRule
from emulator.projects import project_number
from tests.emulator.conftest import PROJECT

PARENT = f"projects/{PROJECT}"
METRIC = "custom.googleapis.com/digitwin/conversations/active"


def _client(emu: Emulator, version: str) -> Any:
    return build(
        "monitoring",
        version,
        credentials=AnonymousCredentials(),
        static_discovery=True,
        client_options={"api_endpoint": emu.base_url + "/"},
    ).projects()


@pytest.fixture
def v3(emu: Emulator) -> Any:
    return _client(emu, "v3")


@pytest.fixture
def v1(emu: Emulator) -> Any:
    return _client(emu, "v1")


def _error(exc: pytest.ExceptionInfo[HttpError]) -> dict[str, Any]:
    return json.loads(exc.value.content)["error"]


def _condition(name: str = "high", **threshold: Any) -> dict[str, Any]:
    body = {
        "filter": 'metric.type="run.googleapis.com/request_count"',
        "comparison": "COMPARISON_GT",
        "duration": "300s",
        "thresholdValue": 1,
        "aggregations": [{"alignmentPeriod": "60s", "perSeriesAligner": "ALIGN_RATE"}],
    }
    body.update(threshold)
    return {"displayName": name, "conditionThreshold": body}


def _policy(**fields: Any) -> dict[str, Any]:
    return {"displayName": "errors", "conditions": [_condition()], **fields}


def _channel(v3: Any, email: str = "oncall@example.com", **fields: Any) -> dict[str, Any]:
    body = {"type": "email", "displayName": "On call", "labels": {"email_address": email}, **fields}
    return v3.notificationChannels().create(name=PARENT, body=body).execute()


def _now(plus: float = 0) -> str:
    return (datetime.now(UTC) + timedelta(seconds=plus)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _series(value: dict[str, Any], end: str, **fields: Any) -> dict[str, Any]:
    return {
        "metric": {"type": METRIC},
        "resource": {"type": "global", "labels": {"project_id": PROJECT}},
        "points": [{"interval": {"endTime": end}, "value": value}],
        **fields,
    }


# alert policies


def test_policy_names_and_records_are_assigned_by_the_server(v3: Any) -> None:
    channel = _channel(v3)
    created = (
        v3.alertPolicies()
        .create(name=PARENT, body=_policy(notificationChannels=[channel["name"]], userLabels={"team": "sre"}))
        .execute()
    )

    assert created["name"].startswith(f"{PARENT}/alertPolicies/")
    assert created["conditions"][0]["name"].startswith(created["name"] + "/conditions/")
    assert created["creationRecord"]["mutateTime"] and created["mutationRecord"]
    assert created["enabled"] is True
    assert v3.alertPolicies().get(name=created["name"]).execute() == created


def test_policy_list_filters_on_user_labels_and_pages(v3: Any) -> None:
    for team in ("sre", "web", "sre"):
        v3.alertPolicies().create(name=PARENT, body=_policy(userLabels={"team": team})).execute()

    sre = v3.alertPolicies().list(name=PARENT, filter='user_labels.team="sre"').execute()
    first = v3.alertPolicies().list(name=PARENT, pageSize=2).execute()
    rest = v3.alertPolicies().list(name=PARENT, pageSize=2, pageToken=first["nextPageToken"]).execute()

    assert sre["totalSize"] == 2
    assert len(first["alertPolicies"]) == 2 and len(rest["alertPolicies"]) == 1
    names = {p["name"] for p in first["alertPolicies"] + rest["alertPolicies"]}
    assert len(names) == 3


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (_policy(conditions=[_condition(), _condition("other")]), "combiner is required"),
        (_policy(conditions=[_condition(filter='resource.type="gce_instance"')]), "metric.type"),
        (
            _policy(
                conditions=[
                    _condition(aggregations=[{"alignmentPeriod": "30s", "perSeriesAligner": "ALIGN_MEAN"}])
                ]
            ),
            "at least 60 seconds",
        ),
        (_policy(conditions=[_condition(comparison="COMPARISON_UNSPECIFIED")]), "comparison is required"),
        (_policy(conditions=[{"displayName": "none"}]), "exactly one condition type"),
        (_policy(documentation={"content": "x", "mimeType": "text/html"}), "text/markdown"),
        (_policy(notificationChannels=[f"{PARENT}/notificationChannels/404"]), "does not exist"),
        (_policy(userLabels={"Team": "sre"}), "Label key"),
        (_policy(conditions=[]), "at least one condition"),
    ],
)
def test_invalid_policies_are_refused(v3: Any, body: dict[str, Any], message: str) -> None:
    with pytest.raises(HttpError) as exc:
        v3.alertPolicies().create(name=PARENT, body=body).execute()
    assert exc.value.status_code == 400
    assert message in _error(exc)["message"]


def test_unknown_fields_and_malformed_durations_are_refused_by_the_schema(v3: Any) -> None:
    with pytest.raises(HttpError) as unknown:
        v3.alertPolicies().create(name=PARENT, body=_policy(threshold=5)).execute()
    with pytest.raises(HttpError) as duration:
        v3.alertPolicies().create(name=PARENT, body=_policy(conditions=[_condition(duration="5m")])).execute()
    assert unknown.value.status_code == duration.value.status_code == 400


def test_patch_with_a_mask_changes_only_the_masked_fields(v3: Any) -> None:
    policy = v3.alertPolicies().create(name=PARENT, body=_policy(userLabels={"team": "sre"})).execute()

    patched = (
        v3.alertPolicies()
        .patch(
            name=policy["name"], updateMask="display_name", body={"displayName": "renamed", "userLabels": {}}
        )
        .execute()
    )
    replaced = v3.alertPolicies().patch(name=policy["name"], body=_policy(displayName="whole")).execute()

    assert patched["displayName"] == "renamed" and patched["userLabels"] == {"team": "sre"}
    assert patched["creationRecord"] == policy["creationRecord"]
    assert replaced["name"] == policy["name"] and "userLabels" not in replaced
    with pytest.raises(HttpError) as exc:
        v3.alertPolicies().patch(name=policy["name"], updateMask="name", body={"name": "x"}).execute()
    assert exc.value.status_code == 400


def test_concurrent_edits_answer_409_aborted(emu: Emulator, v3: Any) -> None:
    emu.faults.add_rule(FaultRule("monitoring.projects.alertPolicies.create", 409))

    with pytest.raises(HttpError) as exc:
        v3.alertPolicies().create(name=PARENT, body=_policy()).execute()

    assert exc.value.status_code == 409
    assert _error(exc)["status"] == "ABORTED"
    assert "concurrent edits" in _error(exc)["message"]


# notification channels


def test_email_channels_need_a_valid_address(v3: Any) -> None:
    for labels in ({}, {"email_address": "not-an-address"}, {"email_address": "a@b.co", "number": "+1"}):
        with pytest.raises(HttpError) as exc:
            body = {"type": "email", "labels": labels}
            v3.notificationChannels().create(name=PARENT, body=body).execute()
        assert exc.value.status_code == 400


def test_sms_channels_start_unverified_and_email_channels_carry_no_status(v3: Any) -> None:
    email = _channel(v3)
    sms = v3.notificationChannels().create(
        name=PARENT, body={"type": "sms", "labels": {"number": "+15551234567"}}
    )
    sms = sms.execute()

    assert "verificationStatus" not in email
    assert sms["verificationStatus"] == "UNVERIFIED"


def test_channel_patch_is_masked_and_the_type_is_fixed(v3: Any) -> None:
    channel = _channel(v3, userLabels={"team": "sre"})

    patched = (
        v3.notificationChannels()
        .patch(
            name=channel["name"], updateMask="display_name", body={"displayName": "Pager", "userLabels": {}}
        )
        .execute()
    )

    assert patched["displayName"] == "Pager" and patched["userLabels"] == {"team": "sre"}
    assert len(patched["mutationRecords"]) == 2
    with pytest.raises(HttpError) as exc:
        v3.notificationChannels().patch(name=channel["name"], body={"type": "sms"}).execute()
    assert exc.value.status_code == 400


def test_a_channel_in_use_is_deleted_only_with_force(v3: Any) -> None:
    channel = _channel(v3)
    policy = (
        v3.alertPolicies().create(name=PARENT, body=_policy(notificationChannels=[channel["name"]])).execute()
    )

    with pytest.raises(HttpError) as exc:
        v3.notificationChannels().delete(name=channel["name"]).execute()
    v3.notificationChannels().delete(name=channel["name"], force=True).execute()

    assert exc.value.status_code == 400 and _error(exc)["status"] == "FAILED_PRECONDITION"
    assert "notificationChannels" not in v3.alertPolicies().get(name=policy["name"]).execute()


# metric descriptors and time series


def test_descriptors_are_named_by_their_type(v3: Any) -> None:
    body = {"type": METRIC, "metricKind": "GAUGE", "valueType": "INT64", "description": "open"}
    created = v3.metricDescriptors().create(name=PARENT, body=body).execute()

    assert created["name"] == f"{PARENT}/metricDescriptors/{METRIC}"
    assert v3.metricDescriptors().get(name=created["name"]).execute()["description"] == "open"
    updated = v3.metricDescriptors().create(name=PARENT, body={**body, "description": "now open"}).execute()
    assert updated["description"] == "now open"
    listed = v3.metricDescriptors().list(
        name=PARENT, filter='metric.type = starts_with("custom.googleapis.com/")'
    )
    assert [d["type"] for d in listed.execute()["metricDescriptors"]] == [METRIC]
    v3.metricDescriptors().delete(name=created["name"]).execute()
    with pytest.raises(HttpError) as exc:
        v3.metricDescriptors().get(name=created["name"]).execute()
    assert exc.value.status_code == 404


@pytest.mark.parametrize(
    "body",
    [
        {"type": "compute.googleapis.com/instance/cpu", "metricKind": "GAUGE", "valueType": "DOUBLE"},
        {"type": METRIC, "metricKind": "CUMULATIVE", "valueType": "BOOL"},
        {"type": METRIC, "valueType": "INT64"},
        {"type": METRIC, "metricKind": "GAUGE", "valueType": "INT64", "labels": [{"key": "Bad-Key"}]},
    ],
)
def test_invalid_descriptors_are_refused(v3: Any, body: dict[str, Any]) -> None:
    with pytest.raises(HttpError) as exc:
        v3.metricDescriptors().create(name=PARENT, body=body).execute()
    assert exc.value.status_code == 400


def test_a_descriptors_kind_cannot_change(v3: Any) -> None:
    v3.metricDescriptors().create(
        name=PARENT, body={"type": METRIC, "metricKind": "GAUGE", "valueType": "INT64"}
    ).execute()
    with pytest.raises(HttpError) as exc:
        body = {"type": METRIC, "metricKind": "CUMULATIVE", "valueType": "INT64"}
        v3.metricDescriptors().create(name=PARENT, body=body).execute()
    assert exc.value.status_code == 409


def test_time_series_points_are_checked_against_the_descriptor(v3: Any) -> None:
    v3.metricDescriptors().create(
        name=PARENT, body={"type": METRIC, "metricKind": "GAUGE", "valueType": "INT64"}
    ).execute()
    write = v3.timeSeries()

    write.create(name=PARENT, body={"timeSeries": [_series({"int64Value": "3"}, _now(-60))]}).execute()
    refused = [
        [_series({"doubleValue": 1.5}, _now())],  # wrong value type
        [_series({"int64Value": "1"}, _now(-120))],  # older than the last point
        [_series({"int64Value": "1"}, _now(-26 * 3600))],  # too old
        [_series({"int64Value": "1"}, _now(3600))],  # in the future
        [{**_series({"int64Value": "1"}, _now()), "points": []}],  # no point
        [_series({"int64Value": "1"}, _now()), _series({"int64Value": "2"}, _now())],  # same series twice
        [{**_series({"int64Value": "1"}, _now()), "metric": {"type": METRIC, "labels": {"env": "dev"}}}],
    ]
    for series in refused:
        with pytest.raises(HttpError) as exc:
            write.create(name=PARENT, body={"timeSeries": series}).execute()
        assert exc.value.status_code == 400, series
    write.create(name=PARENT, body={"timeSeries": [_series({"int64Value": "4"}, _now())]}).execute()


def test_a_first_write_creates_a_gauge_descriptor_but_never_a_delta_one(v3: Any) -> None:
    other = "custom.googleapis.com/digitwin/conversations/started"
    delta = {**_series({"int64Value": "1"}, _now()), "metric": {"type": other}, "metricKind": "DELTA"}
    with pytest.raises(HttpError):
        v3.timeSeries().create(name=PARENT, body={"timeSeries": [delta]}).execute()

    v3.timeSeries().create(
        name=PARENT, body={"timeSeries": [_series({"doubleValue": 0.5}, _now())]}
    ).execute()

    created = v3.metricDescriptors().get(name=f"{PARENT}/metricDescriptors/{METRIC}").execute()
    assert (created["metricKind"], created["valueType"]) == ("GAUGE", "DOUBLE")
    with pytest.raises(HttpError):
        v3.metricDescriptors().get(name=f"{PARENT}/metricDescriptors/{other}").execute()


# dashboards


def _dashboard(**fields: Any) -> dict[str, Any]:
    chart = {
        "dataSets": [
            {
                "timeSeriesQuery": {
                    "timeSeriesFilter": {
                        "filter": 'metric.type="run.googleapis.com/request_count"',
                        "aggregation": {"alignmentPeriod": "60s", "perSeriesAligner": "ALIGN_RATE"},
                    }
                }
            }
        ]
    }
    tile = {"width": 24, "height": 16, "widget": {"title": "Requests", "xyChart": chart}}
    return {"displayName": "overview", "mosaicLayout": {"columns": 48, "tiles": [tile]}, **fields}


def test_dashboard_updates_need_the_current_etag(v1: Any) -> None:
    created = v1.dashboards().create(parent=PARENT, body=_dashboard(labels={"team": "sre"})).execute()
    # Dashboards are answered by project number (kcc-golden monitoring/.../monitoringdashboard/).
    assert created["name"].startswith(f"projects/{project_number(PROJECT)}/dashboards/") and created["etag"]

    updated = v1.dashboards().patch(name=created["name"], body={**created, "displayName": "new"}).execute()
    with pytest.raises(HttpError) as stale:
        v1.dashboards().patch(name=created["name"], body={**created, "displayName": "lost"}).execute()
    with pytest.raises(HttpError) as missing:
        v1.dashboards().patch(name=created["name"], body=_dashboard()).execute()

    assert updated["etag"] != created["etag"]
    assert stale.value.status_code == 409 and _error(stale)["status"] == "ABORTED"
    assert missing.value.status_code == 400
    assert v1.dashboards().get(name=created["name"]).execute()["displayName"] == "new"


def test_dashboards_can_be_named_by_the_caller_once(v1: Any) -> None:
    name = f"{PARENT}/dashboards/overview"
    v1.dashboards().create(parent=PARENT, body=_dashboard(name=name)).execute()
    with pytest.raises(HttpError) as exc:
        v1.dashboards().create(parent=PARENT, body=_dashboard(name=name)).execute()
    assert exc.value.status_code == 409
    listed = [d["name"] for d in v1.dashboards().list(parent=PARENT).execute()["dashboards"]]
    assert listed == [f"projects/{project_number(PROJECT)}/dashboards/overview"]


@pytest.mark.parametrize(
    "body",
    [
        _dashboard(etag="abc"),
        _dashboard(
            mosaicLayout={
                "columns": 48,
                "tiles": [{"xPos": 30, "width": 24, "height": 4, "widget": {"text": {}}}],
            }
        ),
        _dashboard(
            mosaicLayout={
                "columns": 48,
                "tiles": [{"width": 4, "height": 4, "widget": {"text": {}, "blank": {}}}],
            }
        ),
        _dashboard(gridLayout={"columns": "2"}),
        _dashboard(displayName=""),
        _dashboard(labels={"Team": "sre"}),
    ],
)
def test_invalid_dashboards_are_refused(v1: Any, body: dict[str, Any]) -> None:
    with pytest.raises(HttpError) as exc:
        v1.dashboards().create(parent=PARENT, body=body).execute()
    assert exc.value.status_code == 400


def test_an_alert_on_a_metric_made_moments_ago_is_refused_until_alerting_knows_it() -> None:
    from emulator import EmulatorConfig

    emu = Emulator(EmulatorConfig(projects=[PROJECT], metric_propagation_s=600))
    emu.start()
    try:
        v3 = _client(emu, "v3")
        on_metric = _policy(conditions=[_condition(filter=f'metric.type="{METRIC}"')])
        with pytest.raises(HttpError) as exc:  # no such metric at all
            v3.alertPolicies().create(name=PARENT, body=on_metric).execute()
        assert exc.value.resp.status == 404
        v3.metricDescriptors().create(
            name=PARENT, body={"type": METRIC, "metricKind": "GAUGE", "valueType": "INT64"}
        ).execute()
        with pytest.raises(HttpError) as exc:  # made moments ago
            v3.alertPolicies().create(name=PARENT, body=on_metric).execute()
        assert exc.value.resp.status == 404
        assert _error(exc)["message"] == (
            f'Cannot find metric(s) that match type = "{METRIC}". If a metric was created recently,'
            " it could take up to 10 minutes to become available. Please try again soon."
        )
        emu.advance_time(600)
        assert v3.alertPolicies().create(name=PARENT, body=on_metric).execute()["name"]
    finally:
        emu.close()


# uptime checks


def _uptime_check(**fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "displayName": "public endpoint",
        "monitoredResource": {"type": "uptime_url", "labels": {"host": "example.com", "project_id": PROJECT}},
        "httpCheck": {"path": "health", "useSsl": True},
        "timeout": "10s",
    }
    body.update(fields)
    return body


def test_uptime_checks_are_named_by_the_server_and_given_the_documented_defaults(v3: Any) -> None:
    checks = v3.uptimeCheckConfigs()
    created = checks.create(
        parent=PARENT, body=_uptime_check(name=f"{PARENT}/uptimeCheckConfigs/mine")
    ).execute()
    assert created["name"].startswith(f"{PARENT}/uptimeCheckConfigs/") and not created["name"].endswith(
        "/mine"
    )
    assert created["checkerType"] == "STATIC_IP_CHECKERS" and "period" not in created
    assert created["httpCheck"] == {"path": "/health", "port": 443, "useSsl": True}
    listed = checks.list(parent=PARENT).execute()
    assert [c["name"] for c in listed["uptimeCheckConfigs"]] == [created["name"]] and listed["totalSize"] == 1
    checks.delete(name=created["name"]).execute()
    with pytest.raises(HttpError) as err:
        checks.get(name=created["name"]).execute()
    check_id = created["name"].rsplit("/", 1)[1]
    assert _error(err)["message"] == f"Config not found for check {check_id} in project {PROJECT}"


def test_uptime_check_secrets_are_answered_masked(v3: Any) -> None:
    http = {
        "path": "/",
        "useSsl": True,
        "validateSsl": False,
        "requestMethod": "POST",
        "body": "c3RyaW5nCg==",
    }
    http |= {"authInfo": {"username": "u", "password": "p"}, "headers": {"h": "v"}, "maskHeaders": True}
    created = v3.uptimeCheckConfigs().create(parent=PARENT, body=_uptime_check(httpCheck=http)).execute()
    assert created["httpCheck"]["authInfo"] == {"username": "u", "password": "******"}
    assert created["httpCheck"]["headers"] == {"h": "******", "Content-Length": "******"}
    assert "validateSsl" not in created["httpCheck"]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"displayName": ""}, "display_name is required"),
        ({"period": "120s"}, "period must be one of 60s, 300s, 600s, 900s"),
        ({"timeout": "61s"}, "timeout must be between 1s and 60s"),
        ({"timeout": "0s"}, "timeout must be between 1s and 60s"),
        ({"selectedRegions": ["EUROPE", "SOUTH_AMERICA"]}, "at least 3 locations"),
        ({"monitoredResource": {"type": "uptime_url", "labels": {"project_id": PROJECT}}}, "host (required)"),
        (
            {"monitoredResource": {"type": "cloudsql_database", "labels": {}}},
            "not supported for uptime checks",
        ),
        ({"tcpCheck": {"port": 443}}, "exactly one of http_check, tcp_check"),
        ({"userLabels": {"Team": "sre"}}, "Label key 'Team'"),
    ],
)
def test_invalid_uptime_checks_are_refused(v3: Any, fields: dict[str, Any], message: str) -> None:
    with pytest.raises(HttpError) as err:
        v3.uptimeCheckConfigs().create(parent=PARENT, body=_uptime_check(**fields)).execute()
    assert err.value.resp.status == 400 and message in _error(err)["message"]
    assert not v3.uptimeCheckConfigs().list(parent=PARENT).execute().get("uptimeCheckConfigs")


def test_uptime_check_regions_count_by_location_and_usa_holds_three(v3: Any) -> None:
    created = (
        v3.uptimeCheckConfigs().create(parent=PARENT, body=_uptime_check(selectedRegions=["USA"])).execute()
    )
    assert created["selectedRegions"] == ["USA"]


def test_an_uptime_check_patch_may_name_only_the_updatable_fields(v3: Any) -> None:
    checks = v3.uptimeCheckConfigs()
    created = checks.create(parent=PARENT, body=_uptime_check(userLabels={"team": "sre"})).execute()
    name = created["name"]
    patched = checks.patch(
        name=name, updateMask="http_check.path", body={"httpCheck": {"path": "/ready"}}
    ).execute()
    assert patched["httpCheck"] == {"path": "/ready", "port": 443, "useSsl": True}
    masked = checks.patch(
        name=name, updateMask="timeout,period", body={"timeout": "30s", "period": "300s"}
    ).execute()
    assert (masked["timeout"], masked["period"]) == ("30s", "300s")
    target = {"type": "uptime_url", "labels": {"host": "other.example.com"}}
    for mask, body in [
        ("user_labels", {"userLabels": {"team": "web"}}),
        ("monitored_resource", {"monitoredResource": target}),
    ]:
        with pytest.raises(HttpError) as err:
            checks.patch(name=name, updateMask=mask, body=body).execute()
        assert err.value.resp.status == 400
    # Without a mask the body replaces the check, but may not move its target.
    with pytest.raises(HttpError) as err:
        checks.patch(name=name, body={**masked, "monitoredResource": target}).execute()
    assert err.value.resp.status == 400 and "monitored_resource" in _error(err)["message"]
    replaced = checks.patch(name=name, body={**masked, "displayName": "renamed"}).execute()
    assert replaced["displayName"] == "renamed" and replaced["timeout"] == "30s"
    assert checks.get(name=name).execute() == replaced
