"""Monitoring resources have server-assigned names: reruns, copies and drift are still handled.

Alert policies, channels and dashboards are found again by their key label, so an apply that
died after a create never leads to a second copy, a copy made some other way is planned as a
delete, and a threshold edited by hand is put back through an update mask.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest
from google.auth.credentials import AnonymousCredentials
from googleapiclient.discovery import build

from emulator.faults import FaultRule

PROJECT = "projects/digitwin-live-dev"
MONITORING = [
    "--target",
    "monitoring.notification_channel",
    "--target",
    "monitoring.alert_policy",
    "--target",
    "monitoring.dashboard",
    "--target",
    "monitoring.metric_descriptor",
]
KEYS = ["cpu", "db-connection-failures", "error-rate", "latency-p95"]


def _monitoring(emulator: Any) -> Any:
    return build(
        "monitoring",
        "v3",
        credentials=AnonymousCredentials(),
        static_discovery=True,
        client_options={"api_endpoint": emulator.url + "/"},
    ).projects()


def _policies(emulator: Any) -> list[dict[str, Any]]:
    return _monitoring(emulator).alertPolicies().list(name=PROJECT).execute().get("alertPolicies", [])


def _by_key(emulator: Any) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {}
    for policy in _policies(emulator):
        found.setdefault(policy["userLabels"]["digitwin-key"], []).append(policy)
    return found


def _apply(cli: Any, *extra: str) -> Any:
    run = cli("apply", "--env", "dev", "--auto-approve", *MONITORING, *extra)
    assert run.code == 0, run.out + run.err
    return run


def _plan(cli: Any) -> dict[str, Any]:
    run = cli("plan", "--env", "dev", "--format", "json", *MONITORING)
    return json.loads(run.out)


def test_a_rerun_after_an_interrupted_apply_leaves_one_copy_of_each_policy(emulator, cli):
    # The first run got as far as creating the error-rate policy (and the channels it needs).
    first_run = cli(
        "apply", "--env", "dev", "--auto-approve", "--target", "monitoring.alert_policy/error-rate"
    )
    assert first_run.code == 0, first_run.out + first_run.err
    (first,) = _policies(emulator)

    _apply(cli)
    _apply(cli)

    policies = _by_key(emulator)
    assert sorted(policies) == KEYS
    assert all(len(copies) == 1 for copies in policies.values())
    assert policies["error-rate"][0]["name"] == first["name"]
    assert _plan(cli)["changes"] == []


def test_a_second_copy_of_a_policy_is_planned_as_a_delete_and_pruned(emulator, cli):
    _apply(cli)
    (original,) = _by_key(emulator)["error-rate"]
    copy = {k: v for k, v in original.items() if k not in ("name", "creationRecord", "mutationRecord")}
    copy["conditions"] = [{k: v for k, v in c.items() if k != "name"} for c in copy["conditions"]]
    duplicate = _monitoring(emulator).alertPolicies().create(name=PROJECT, body=copy).execute()

    (change,) = _plan(cli)["changes"]

    assert change["action"] == "delete"
    assert change["address"] == f"monitoring.alert_policy/error-rate~{duplicate['name'].rsplit('/', 1)[1]}"
    assert "second copy of error-rate" in change["note"]
    _apply(cli, "--prune")
    assert [p["name"] for p in _by_key(emulator)["error-rate"]] == [original["name"]]


def test_a_threshold_changed_by_hand_is_reported_and_put_back_with_an_update_mask(emulator, cli):
    _apply(cli)
    (policy,) = _by_key(emulator)["latency-p95"]
    conditions = policy["conditions"]
    conditions[0]["conditionThreshold"]["thresholdValue"] = 9000
    api = _monitoring(emulator).alertPolicies()
    api.patch(name=policy["name"], updateMask="conditions", body={"conditions": conditions}).execute()

    text = cli("plan", "--env", "dev", *MONITORING)
    (change,) = _plan(cli)["changes"]

    assert "~ monitoring.alert_policy/latency-p95" in text.out
    assert change["action"] == "update"
    assert [f["path"] for f in change["fields"]] == ["conditions"]
    assert change["fields"][0]["before"][0]["conditionThreshold"]["thresholdValue"] == 9000
    assert change["fields"][0]["after"][0]["conditionThreshold"]["thresholdValue"] == 3000
    emulator.clear_requests()
    _apply(cli)
    patches = [r for r in emulator.requests() if r.method_id == "monitoring.projects.alertPolicies.patch"]
    assert [parse_qs(r.query)["updateMask"] for r in patches] == [["conditions"]]
    restored = api.get(name=policy["name"]).execute()
    assert restored["conditions"][0]["conditionThreshold"]["thresholdValue"] == 3000


def test_concurrent_edit_conflicts_are_retried(emulator, cli):
    emulator.faults.add_rule(FaultRule("monitoring.projects.alertPolicies.create", 409, times=3))

    _apply(cli)

    assert sorted(_by_key(emulator)) == KEYS
    conflicts = [r for r in emulator.requests() if r.status == 409]
    assert len(conflicts) == 3


def test_channels_dashboard_and_metrics_are_created_as_the_spec_says(emulator, cli):
    _apply(cli)
    api = _monitoring(emulator)

    (channel,) = api.notificationChannels().list(name=PROJECT).execute()["notificationChannels"]
    policies = _policies(emulator)
    descriptors = api.metricDescriptors().list(name=PROJECT).execute()["metricDescriptors"]
    counted = [d for d in descriptors if d["type"].startswith("logging.googleapis.com/user/")]
    descriptors = [d for d in descriptors if d["type"].startswith("custom.googleapis.com/")]
    dashboards = (
        build(
            "monitoring",
            "v1",
            credentials=AnonymousCredentials(),
            static_discovery=True,
            client_options={"api_endpoint": emulator.url + "/"},
        )
        .projects()
        .dashboards()
        .list(parent=PROJECT)
        .execute()["dashboards"]
    )

    assert channel["labels"] == {"email_address": "platform-oncall@digitwin.example.com"}
    assert all(p["notificationChannels"] == [channel["name"]] for p in policies)
    assert all(p["documentation"]["mimeType"] == "text/markdown" for p in policies)
    db = next(p for p in policies if p["userLabels"]["digitwin-key"] == "db-connection-failures")
    assert db["conditions"][0]["conditionThreshold"]["thresholdValue"] == 5  # dev's own threshold
    # The business KPIs the spec names (other families may declare metrics of their own).
    assert {d["type"].rsplit("digitwin/", 1)[1] for d in descriptors} >= {
        "conversations/started",
        "conversations/active",
        "response/first_audio_latency",
        "provisioner/drift",  # the drift job's own, declared with the job
    }
    # The database alert's log-based metric, as Monitoring lists it.
    assert [d["type"] for d in counted] == ["logging.googleapis.com/user/digitwin-dev-db-connection-failures"]
    (dashboard,) = dashboards
    titles = [t["widget"]["title"] for t in dashboard["mosaicLayout"]["tiles"]]
    assert len(titles) == 6 and "Database connections" in titles


def _gcloud(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["gcloud", *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )


@pytest.mark.skipif(shutil.which("gcloud") is None, reason="gcloud is not on PATH")
def test_gcloud_lists_the_alert_policies(emulator, cli, tmp_path: Path):
    _apply(cli)
    env = {**os.environ, "CLOUDSDK_CONFIG": str(tmp_path / "gcloud"), "CLOUDSDK_CORE_DISABLE_PROMPTS": "1"}
    for prop, value in (
        ("api_endpoint_overrides/monitoring", emulator.url + "/"),
        ("auth/disable_credentials", "true"),
        ("core/project", "digitwin-live-dev"),
    ):
        assert _gcloud(env, "config", "set", prop, value).returncode == 0
    command = None
    for track in ([], ["alpha"], ["beta"]):
        if _gcloud(env, *track, "monitoring", "policies", "list", "--help").returncode == 0:
            command = [*track, "monitoring", "policies", "list"]
            break
    if command is None:
        pytest.skip("this gcloud has no `monitoring policies list` in any release track")

    listed = _gcloud(env, *command, "--format=json")

    assert listed.returncode == 0, listed.stderr
    policies = json.loads(listed.stdout)
    assert sorted(p["userLabels"]["digitwin-key"] for p in policies) == KEYS
    assert all(p["displayName"].startswith("digitwin-dev: ") for p in policies)


def _postgres_log(emulator: Any, *lines: str, instance: str = "digitwin-dev-pg") -> None:
    """Entries as Cloud SQL writes them to the instance's postgres.log."""
    project = PROJECT.removeprefix("projects/")
    logging = build(
        "logging",
        "v2",
        credentials=AnonymousCredentials(),
        static_discovery=True,
        client_options={"api_endpoint": emulator.url + "/"},
    )
    entries = [
        {
            "logName": f"projects/{project}/logs/cloudsql.googleapis.com%2Fpostgres.log",
            "resource": {
                "type": "cloudsql_database",
                "labels": {
                    "database_id": f"{project}:{instance}",
                    "region": "us-central1",
                    "project_id": project,
                },
            },
            "severity": "ALERT" if "FATAL" in line else "INFO",
            "textPayload": f"2026-12-04 10:00:00.{i:03d} UTC [{100 + i}]: [1-1] db=digitwin,user=app {line}",
        }
        for i, line in enumerate(lines)
    ]
    logging.entries().write(body={"entries": entries}).execute()


def _condition_value(emulator: Any, condition: dict[str, Any]) -> int:
    """What the condition sees over its window: its own filter and aggregation, as alerting reads it."""
    threshold = condition["conditionThreshold"]
    (agg,) = threshold["aggregations"]
    end = emulator.clock.rfc3339(plus_seconds=1)
    start = emulator.clock.rfc3339(plus_seconds=-float(agg["alignmentPeriod"].rstrip("s")))
    found = (
        _monitoring(emulator)
        .timeSeries()
        .list(
            name=PROJECT,
            filter=threshold["filter"],
            interval_startTime=start,
            interval_endTime=end,
            aggregation_alignmentPeriod=agg["alignmentPeriod"],
            aggregation_perSeriesAligner=agg["perSeriesAligner"],
            aggregation_crossSeriesReducer=agg["crossSeriesReducer"],
        )
        .execute()
    )
    return sum(int(p["value"]["int64Value"]) for s in found.get("timeSeries", []) for p in s["points"])


def test_the_database_alert_fires_on_the_connections_postgres_refuses(emulator, cli):
    _apply(cli)
    (db,) = _by_key(emulator)["db-connection-failures"]
    (condition,) = db["conditions"]
    threshold = condition["conditionThreshold"]
    # It watches a metric that exists, fed by the database's own log, not the connectors' metric.
    assert (
        'metric.type="logging.googleapis.com/user/digitwin-dev-db-connection-failures"' in threshold["filter"]
    )
    assert "client/connector" not in threshold["filter"]
    assert threshold["thresholdValue"] == 5 and threshold["comparison"] == "COMPARISON_GE"

    _postgres_log(
        emulator,
        "LOG:  checkpoint starting: time",
        'FATAL:  password authentication failed for user "digitwin_app"',
        "FATAL:  sorry, too many clients already",
        "FATAL:  remaining connection slots are reserved for non-replication superuser connections",
        "FATAL:  the database system is shutting down",
    )
    _postgres_log(emulator, "FATAL:  sorry, too many clients already", instance="someone-elses-pg")
    assert _condition_value(emulator, condition) == 4  # below dev's threshold of 5: quiet

    _postgres_log(emulator, 'FATAL:  no pg_hba.conf entry for host "10.8.0.3", user "digitwin_app"')
    assert _condition_value(emulator, condition) >= threshold["thresholdValue"]  # fires
