"""An independent client reads the emulator: gcloud, which speaks Cloud SQL through `sql/v1beta4/`."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from google.auth.credentials import AnonymousCredentials
from googleapiclient.discovery import build

from emulator import Emulator
from tests.emulator.conftest import PROJECT

pytestmark = pytest.mark.skipif(shutil.which("gcloud") is None, reason="gcloud is not on PATH")


def _gcloud(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["gcloud", *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )


def test_gcloud_lists_and_describes_an_instance(emu: Emulator, tmp_path: Path) -> None:
    sql = build(
        "sqladmin",
        "v1",
        credentials=AnonymousCredentials(),
        static_discovery=True,
        client_options={"api_endpoint": emu.base_url + "/"},
    )
    body = {
        "name": "pg",
        "databaseVersion": "POSTGRES_15",
        "region": "us-central1",
        "settings": {"tier": "db-custom-1-3840", "userLabels": {"env": "dev"}},
    }
    sql.instances().insert(project=PROJECT, body=body).execute()
    # A throwaway configuration, so the developer's own gcloud setup is neither used nor changed.
    env = {**os.environ, "CLOUDSDK_CONFIG": str(tmp_path / "gcloud"), "CLOUDSDK_CORE_DISABLE_PROMPTS": "1"}
    for prop, value in (
        ("api_endpoint_overrides/sql", emu.base_url + "/"),
        ("auth/disable_credentials", "true"),
        ("core/project", PROJECT),
    ):
        assert _gcloud(env, "config", "set", prop, value).returncode == 0

    listed = _gcloud(env, "sql", "instances", "list", "--format=json")
    described = _gcloud(env, "sql", "instances", "describe", "pg", "--format=json")

    assert listed.returncode == 0, listed.stderr
    assert [(i["name"], i["state"]) for i in json.loads(listed.stdout)] == [("pg", "RUNNABLE")]
    assert described.returncode == 0, described.stderr
    instance = json.loads(described.stdout)
    assert instance["connectionName"] == f"{PROJECT}:us-central1:pg"
    assert instance["settings"]["userLabels"] == {"env": "dev"}
    paths = [r.path for r in emu.requests() if r.method_id in ("sql.instances.list", "sql.instances.get")]
    assert paths and all(p.startswith("/sql/v1beta4/") for p in paths)


def test_gcloud_lists_and_describes_backup_runs(emu: Emulator, tmp_path: Path) -> None:
    sql = build(
        "sqladmin",
        "v1",
        credentials=AnonymousCredentials(),
        static_discovery=True,
        client_options={"api_endpoint": emu.base_url + "/"},
    )
    body = {"name": "pg", "databaseVersion": "POSTGRES_15", "region": "us-central1"}
    sql.instances().insert(project=PROJECT, body={**body, "settings": {"tier": "db-custom-1-3840"}}).execute()
    op = sql.backupRuns().insert(project=PROJECT, instance="pg", body={"description": "before v2"}).execute()
    backup_id = op["backupContext"]["backupId"]
    env = {**os.environ, "CLOUDSDK_CONFIG": str(tmp_path / "gcloud"), "CLOUDSDK_CORE_DISABLE_PROMPTS": "1"}
    for prop, value in (
        ("api_endpoint_overrides/sql", emu.base_url + "/"),
        ("auth/disable_credentials", "true"),
        ("core/project", PROJECT),
    ):
        assert _gcloud(env, "config", "set", prop, value).returncode == 0

    listed = _gcloud(env, "sql", "backups", "list", "--instance", "pg", "--format=json")
    described = _gcloud(env, "sql", "backups", "describe", backup_id, "--instance", "pg", "--format=json")

    assert listed.returncode == 0, listed.stderr
    assert [(r["id"], r["status"], r["type"]) for r in json.loads(listed.stdout)] == [
        (backup_id, "SUCCESSFUL", "ON_DEMAND")
    ]
    assert described.returncode == 0, described.stderr
    assert json.loads(described.stdout)["description"] == "before v2"


def test_gcloud_clones_to_a_point_in_time(emu: Emulator, tmp_path: Path) -> None:
    # The README's point-in-time recovery runbook, rehearsed against the emulator.
    sql = build(
        "sqladmin",
        "v1",
        credentials=AnonymousCredentials(),
        static_discovery=True,
        client_options={"api_endpoint": emu.base_url + "/"},
    )
    backups = {"enabled": True, "pointInTimeRecoveryEnabled": True, "transactionLogRetentionDays": 7}
    settings = {"tier": "db-custom-1-3840", "backupConfiguration": backups}
    body = {"name": "pg", "databaseVersion": "POSTGRES_15", "region": "us-central1", "settings": settings}
    sql.instances().insert(project=PROJECT, body=body).execute()
    emu.advance_time(7200)
    created = sql.instances().get(project=PROJECT, instance="pg").execute()["createTime"]
    # An hour after it was made: inside its 7 days of transaction logs.
    point = (datetime.fromisoformat(created.replace("Z", "+00:00")) + timedelta(hours=1)).strftime(
        "%Y-%m-%dT%H:%M:%SZ"
    )
    env = {**os.environ, "CLOUDSDK_CONFIG": str(tmp_path / "gcloud"), "CLOUDSDK_CORE_DISABLE_PROMPTS": "1"}
    for prop, value in (
        ("api_endpoint_overrides/sql", emu.base_url + "/"),
        ("auth/disable_credentials", "true"),
        ("core/project", PROJECT),
    ):
        assert _gcloud(env, "config", "set", prop, value).returncode == 0

    cloned = _gcloud(env, "sql", "instances", "clone", "pg", "pg-pitr", "--point-in-time", point)
    assert cloned.returncode == 0, cloned.stderr
    described = _gcloud(env, "sql", "instances", "describe", "pg-pitr", "--format=json")
    assert described.returncode == 0, described.stderr
    clone = json.loads(described.stdout)
    assert clone["state"] == "RUNNABLE" and clone["settings"]["tier"] == "db-custom-1-3840"
    sent = [r for r in emu.requests() if r.method_id == "sql.instances.clone"]
    assert [r.path for r in sent] == [f"/sql/v1beta4/projects/{PROJECT}/instances/pg/clone"]
