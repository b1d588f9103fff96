"""The specs in the repository load and carry the values the environments were built with."""

from __future__ import annotations

import pytest

from provisioner.spec import EnvSpec, list_envs, load_env_spec

from .conftest import SHIPPED_SPECS

ENVS = ("dev", "staging", "prod")


@pytest.fixture(scope="module")
def loaded() -> dict[str, EnvSpec]:
    return {env: load_env_spec(SHIPPED_SPECS, env) for env in ENVS}


def test_the_three_environments_are_listed_and_base_is_not() -> None:
    assert list_envs(SHIPPED_SPECS) == ["dev", "prod", "staging"]


@pytest.mark.parametrize("env", ENVS)
def test_identity_and_naming(loaded: dict[str, EnvSpec], env: str) -> None:
    spec = loaded[env]
    assert spec.env == env
    assert spec.project == f"digitwin-live-{env}"
    assert spec.region == "us-central1"
    assert spec.name_prefix == f"digitwin-{env}"
    assert spec.key_ring_name == f"digitwin-{env}-keyring"
    assert spec.kms_location == spec.storage_location == "us-central1"
    assert spec.bucket_name("documents") == f"digitwin-live-{env}-documents"
    assert spec.bucket_name("state") == f"digitwin-live-{env}-provisioner-state"


@pytest.mark.parametrize(("env", "minimum"), [("dev", 0), ("staging", 1), ("prod", 2)])
def test_cloud_run_scaling(loaded: dict[str, EnvSpec], env: str, minimum: int) -> None:
    services = loaded[env].run.services
    assert set(services) == {"websocket-server", "api-gateway"}
    for service in services.values():
        assert service.min_instances == minimum
        assert service.max_instances == 100
        assert service.concurrency == 50
        assert service.vpc_egress is not None
        assert all(ref.secret == "digitwin-db-password" for ref in service.secret_env.values())
    assert services["websocket-server"].service_account != services["api-gateway"].service_account


def test_cloud_sql_per_environment(loaded: dict[str, EnvSpec]) -> None:
    prod = loaded["prod"].sql
    assert prod.tier == "db-custom-4-16384"
    # Prod's availability promises: a standby in another zone, PITR, deletion protection.
    assert prod.availability == "REGIONAL"
    assert prod.backups.point_in_time_recovery is True
    assert prod.backups.transaction_log_retention_days == 7
    assert prod.deletion_protection is True
    for env in ("dev", "staging"):
        sql = loaded[env].sql
        assert sql.availability == "ZONAL"
        assert sql.backups.point_in_time_recovery is False
        assert sql.deletion_protection is False
    assert loaded["dev"].sql.tier == "db-f1-micro"
    assert loaded["staging"].sql.tier == "db-custom-2-7680"
    # Backups: prod a month, staging a moderate two weeks, dev a week.
    retention = {env: spec.sql.backups.retention_days for env, spec in loaded.items()}
    assert retention == {"dev": 7, "staging": 14, "prod": 30}
    for spec in loaded.values():
        assert spec.sql.database_version == "POSTGRES_15"
        assert spec.sql.private_ip_only is True
        assert spec.sql.backups.enabled
        assert spec.sql.kms_key == "database"
        assert spec.sql.user.password_secret == "digitwin-db-password"
        # Every environment has the CPU alert, whose runbook sends on-call to Query Insights.
        assert spec.sql.query_insights.enabled


def test_gpu_node_pools(loaded: dict[str, EnvSpec]) -> None:
    for env, spec in loaded.items():
        assert spec.gke.autopilot is False
        for name in ("tts-gpu-pool", "lipsync-gpu-pool"):
            pool = spec.gke.node_pools[name]
            assert pool.machine_type == "n1-standard-4"
            assert pool.accelerator is not None
            assert (pool.accelerator.type, pool.accelerator.count) == ("nvidia-tesla-t4", 1)
            assert pool.spot is (env != "prod")
            # Outside prod the GPU pools scale from zero; prod keeps one warm T4 per pool.
            assert pool.autoscaling.min_nodes == (1 if env == "prod" else 0)
        assert "general-pool" in spec.gke.node_pools
    prod_tts = loaded["prod"].gke.node_pools["tts-gpu-pool"].autoscaling
    assert (prod_tts.min_nodes, prod_tts.max_nodes) == (1, 20)
    for env in ("dev", "staging"):
        assert loaded[env].gke.node_pools["tts-gpu-pool"].autoscaling.max_nodes < 20


def test_buckets_are_locked_down_and_retention_shortens_from_prod_to_staging_to_dev(
    loaded: dict[str, EnvSpec],
) -> None:
    for spec in loaded.values():
        assert set(spec.storage.buckets) == {
            "voice-models",
            "face-models",
            "documents",
            "conversation-history",
        }
        for bucket in spec.storage.buckets.values():
            assert bucket.versioning and bucket.uniform_access and bucket.cmek
            assert bucket.public_access_prevention == "enforced"
        assert spec.storage.kms_key == "storage"
        documents = spec.storage.buckets["documents"].lifecycle
        assert any(
            r.action == "SetStorageClass" and r.storage_class == "NEARLINE" and r.age_days == 90
            for r in documents
        )

    def history_age(env: str) -> int:
        rules = loaded[env].storage.buckets["conversation-history"].lifecycle
        return next(r.age_days for r in rules if r.action == "Delete" and r.age_days)

    def noncurrent_days(env: str) -> int:
        rules = loaded[env].storage.buckets["voice-models"].lifecycle
        return next(r.days_since_noncurrent_time for r in rules if r.days_since_noncurrent_time)

    def state_noncurrent_days(env: str) -> int:
        rules = loaded[env].storage.state_bucket.lifecycle
        return next(r.days_since_noncurrent_time for r in rules if r.days_since_noncurrent_time)

    # Prod keeps data longest, staging a moderate while, dev briefly.
    assert [history_age(env) for env in ENVS] == [30, 90, 365]
    assert [noncurrent_days(env) for env in ENVS] == [7, 14, 30]
    assert [state_noncurrent_days(env) for env in ENVS] == [7, 14, 30]


def test_kms_keys_rotate_every_90_days(loaded: dict[str, EnvSpec]) -> None:
    for spec in loaded.values():
        assert set(spec.kms.keys) == {"database", "storage", "secrets"}
        assert all(key.rotation_period_days == 90 for key in spec.kms.keys.values())
        assert spec.kms.keys["storage"].rotation_period == "7776000s"


def test_edge_monitoring_and_drift_job(loaded: dict[str, EnvSpec]) -> None:
    assert loaded["dev"].lb.domains == ["dev.digitwin.example.com"]
    assert loaded["staging"].lb.domains == ["staging.digitwin.example.com"]
    for spec in loaded.values():
        assert spec.lb.http_to_https_redirect
        assert spec.lb.routes.static.cdn is not None
        assert spec.lb.routes.websocket.service == "websocket-server"
        thresholds = spec.monitoring.thresholds
        assert (thresholds.error_rate_percent, thresholds.latency_p95_seconds, thresholds.cpu_percent) == (
            5,
            3,
            80,
        )
        assert spec.monitoring.notification_channels
        assert spec.drift_job.schedule == "*/30 * * * *"
        assert "sqladmin.googleapis.com" in spec.apis


def test_labels_combine_env_labels_and_ownership(loaded: dict[str, EnvSpec]) -> None:
    labels = loaded["prod"].resource_labels({"component": "db"})
    assert labels["managed-by"] == "digitwin-provisioner"
    assert labels["digitwin-env"] == "prod"
    assert labels["app"] == "digitwin" and labels["component"] == "db"


def test_one_environment_claims_the_billing_account_s_gke_free_tier_credit(
    loaded: dict[str, EnvSpec],
) -> None:
    # The credit covers one zonal or Autopilot cluster per billing account: dev's zonal cluster.
    claims = [env for env, spec in loaded.items() if spec.gke.free_tier_credit]
    assert claims == ["dev"]
    assert loaded["dev"].gke_location == "us-central1-a"
    assert {loaded[env].gke_location for env in ("staging", "prod")} == {"us-central1"}


def test_budgets_are_declared_as_designed(loaded: dict[str, EnvSpec]) -> None:
    budgets = {env: spec.budget.monthly_usd for env, spec in loaded.items() if spec.budget}
    assert budgets == {"dev": 100, "staging": 400, "prod": 2000}
