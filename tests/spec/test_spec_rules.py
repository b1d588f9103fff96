"""Rules that span fields or sections: each failure says what is wrong and what would be valid."""

from __future__ import annotations

from pathlib import Path

import pytest

from provisioner.spec import SpecError, SpecProblem, load_env_spec
from provisioner.spec.models import KmsSpec

from .conftest import line_of, override


def only_problem(specs: Path, env: str) -> SpecProblem:
    with pytest.raises(SpecError) as caught:
        load_env_spec(specs, env)
    problems = caught.value.problems
    assert len(problems) == 1, "\n".join(map(str, problems))
    return problems[0]


def test_high_availability_outside_prod_needs_an_explicit_opt_in(specs: Path) -> None:
    env_file = override(specs, "staging", "sql:\n  availability: REGIONAL\n")
    problem = only_problem(specs, "staging")
    assert (problem.file, problem.line, problem.field) == (env_file, 3, "sql.availability")
    assert "ZONAL" in problem.message and "allow_high_availability_outside_prod: true" in problem.message

    env_file.write_text(env_file.read_text() + "  allow_high_availability_outside_prod: true\n")
    assert load_env_spec(specs, "staging").sql.availability == "REGIONAL"


def test_prod_deletion_protection_cannot_be_switched_off_by_accident(specs: Path) -> None:
    env_file = override(specs, "prod", "sql:\n  deletion_protection: false\n")
    problem = only_problem(specs, "prod")
    assert (problem.line, problem.field) == (3, "sql.deletion_protection")
    assert "must be true in prod" in problem.message
    assert "allow_deletion_protection_off_in_prod: true" in problem.message

    env_file.write_text(env_file.read_text() + "  allow_deletion_protection_off_in_prod: true\n")
    assert load_env_spec(specs, "prod").sql.deletion_protection is False


@pytest.mark.parametrize(
    ("yaml_text", "field", "message"),
    [
        (
            "run:\n  services:\n    api-gateway:\n      min_instances: 5\n      max_instances: 2\n",
            "run.services.api-gateway.min_instances",
            "min_instances (5) is greater than max_instances (2)",
        ),
        (
            "gke:\n  node_pools:\n    tts-gpu-pool:\n      autoscaling: {min_nodes: 4, max_nodes: 3}\n",
            "gke.node_pools.tts-gpu-pool.autoscaling.min_nodes",
            "min_nodes (4) is greater than max_nodes (3)",
        ),
        (
            "network:\n  vpc_connector:\n    min_instances: 5\n    max_instances: 4\n",
            "network.vpc_connector.min_instances",
            "min_instances (5) must be less than max_instances (4)",
        ),
    ],
)
def test_minimum_above_maximum(specs: Path, yaml_text: str, field: str, message: str) -> None:
    env_file = override(specs, "dev", yaml_text)
    problem = only_problem(specs, "dev")
    assert problem.field == field
    assert message in problem.message
    assert problem.file == env_file and problem.line is not None


@pytest.mark.parametrize(
    ("yaml_text", "field", "other"),
    [
        ("network:\n  vpc_connector:\n    cidr: 10.0.1.0/28\n", "network.vpc_connector.cidr", "subnet"),
        (
            "network:\n  private_service_access:\n    address: 10.4.0.0\n",
            "network.private_service_access.address",
            "pods range",
        ),
        ("gke:\n  master_cidr: 10.8.0.16/28\n", "gke.master_cidr", "services range"),
        (
            "network:\n  subnet:\n    services:\n      cidr: 10.6.0.0/20\n",
            "network.subnet.services.cidr",
            "pods range",
        ),
    ],
)
def test_overlapping_ranges(specs: Path, yaml_text: str, field: str, other: str) -> None:
    override(specs, "dev", yaml_text)
    problem = only_problem(specs, "dev")
    assert problem.field == field
    assert f"overlaps the {other}" in problem.message
    assert "must be disjoint" in problem.message


def test_cidr_with_host_bits_suggests_the_network_address(specs: Path) -> None:
    override(specs, "dev", "network:\n  subnet:\n    cidr: 10.0.0.5/20\n")
    problem = only_problem(specs, "dev")
    assert problem.field == "network.subnet.cidr"
    assert "10.0.0.0/20" in problem.message


def test_invalid_bucket_name(specs: Path) -> None:
    env_file = override(specs, "dev", "storage:\n  buckets:\n    documents:\n      name: My_Documents\n")
    problem = only_problem(specs, "dev")
    assert (problem.line, problem.field) == (
        line_of(env_file, "My_Documents"),
        "storage.buckets.documents.name",
    )
    assert "lowercase letters" in problem.message


def test_default_bucket_name_that_would_be_invalid(specs: Path) -> None:
    override(specs, "dev", "storage:\n  buckets:\n    google-stuff: {}\n")
    problem = only_problem(specs, "dev")
    assert problem.field == "storage.buckets.google-stuff"
    assert "reserved" in problem.message and "set an explicit name" in problem.message


def test_duplicate_bucket_names(specs: Path) -> None:
    override(
        specs, "dev", "storage:\n  buckets:\n    documents:\n      name: digitwin-live-dev-voice-models\n"
    )
    problem = only_problem(specs, "dev")
    assert problem.field == "storage.buckets.documents.name"
    assert "also used by storage.buckets.voice-models" in problem.message and "unique" in problem.message


def test_rotation_period_under_a_day(specs: Path) -> None:
    override(specs, "dev", "kms:\n  keys:\n    storage: {rotation_period_days: 0}\n")
    problem = only_problem(specs, "dev")
    assert problem.field == "kms.keys.storage.rotation_period_days"
    assert "use 1 or more" in problem.message


def test_kms_needs_the_three_keys() -> None:
    with pytest.raises(ValueError, match="missing key\\(s\\) secrets"):
        KmsSpec.model_validate({"keys": {"database": {}, "storage": {}}})


@pytest.mark.parametrize(
    ("rule", "field", "message"),
    [
        ("{action: Delete}", "lifecycle[0]", "has no condition"),
        ("{action: SetStorageClass, age_days: 30}", "lifecycle[0].storage_class", "needs storage_class"),
        (
            "{action: Delete, age_days: 3, storage_class: COLDLINE}",
            "lifecycle[0].storage_class",
            "only valid",
        ),
    ],
)
def test_lifecycle_rule_consistency(specs: Path, rule: str, field: str, message: str) -> None:
    override(specs, "dev", f"storage:\n  buckets:\n    documents:\n      lifecycle:\n        - {rule}\n")
    problem = only_problem(specs, "dev")
    assert problem.field == f"storage.buckets.documents.{field}"
    assert message in problem.message
    assert problem.line == 6


@pytest.mark.parametrize(
    ("yaml_text", "field"),
    [
        ("storage:\n  kms_key: bucket-key\n", "storage.kms_key"),
        ("sql:\n  kms_key: db\n", "sql.kms_key"),
        ("secrets:\n  kms_key: vault\n", "secrets.kms_key"),
    ],
)
def test_cmek_reference_to_an_undefined_key(specs: Path, yaml_text: str, field: str) -> None:
    override(specs, "dev", yaml_text)
    problem = only_problem(specs, "dev")
    assert problem.field == field
    assert "is not defined in kms.keys; valid keys: database, storage, secrets" in problem.message


def test_autopilot_with_node_pools_explains_why(specs: Path) -> None:
    override(specs, "dev", "gke:\n  autopilot: true\n")
    problem = only_problem(specs, "dev")
    assert problem.field == "gke.node_pools"
    assert "Autopilot creates and manages the nodes itself" in problem.message


def test_load_balancer_route_to_an_unknown_service(specs: Path) -> None:
    override(specs, "dev", "lb:\n  routes:\n    api:\n      service: api-gw\n")
    problem = only_problem(specs, "dev")
    assert problem.field == "lb.routes.api.service"
    assert "valid services: websocket-server, api-gateway" in problem.message


def test_reserved_ownership_labels(specs: Path) -> None:
    override(specs, "dev", "labels:\n  managed-by: someone-else\n")
    problem = only_problem(specs, "dev")
    assert problem.field == "labels"
    assert "set by the provisioner" in problem.message


def test_a_network_named_without_the_environment_prefix_is_refused_with_the_fix(specs: Path) -> None:
    # The API keeps no labels on networks: a name without the prefix could never be told ours.
    env_file = override(specs, "prod", "network:\n  vpc_name: prod-vpc\n")
    problem = only_problem(specs, "prod")
    assert (problem.file, problem.line, problem.field) == (env_file, 3, "network.vpc_name")
    assert "must start with 'digitwin-prod-'" in problem.message
    assert "'digitwin-prod-prod-vpc'" in problem.message

    env_file.write_text(env_file.read_text().replace("vpc_name: prod-vpc", "vpc_name: digitwin-prod-core"))
    assert load_env_spec(specs, "prod").vpc_name == "digitwin-prod-core"


def test_an_environment_removes_an_inherited_entry_with_null(specs: Path) -> None:
    # Maps merge key by key; null is how an environment says "not here" to what the base has.
    text = "network:\n  vpc_name: null\n  firewall_rules:\n    allow-iap-ssh: null\n"
    override(specs, "prod", text)
    spec = load_env_spec(specs, "prod")
    assert set(spec.network.firewall_rules) == {"allow-health-checks", "allow-internal"}
    assert spec.vpc_name == "digitwin-prod-vpc"


def test_a_pool_minimum_that_cannot_be_split_evenly_over_its_zones_is_refused_with_the_fixes(
    specs: Path,
) -> None:
    # Staging's cluster is regional: a pool spans three zones and starts with the same number
    # of nodes in each, so a total minimum of 1 would start the pool at 3 nodes.
    env_file = override(
        specs,
        "staging",
        "gke:\n  node_pools:\n    general-pool:\n      autoscaling: {min_nodes: 1, max_nodes: 2}\n",
    )
    problem = only_problem(specs, "staging")
    assert problem.file == env_file
    assert problem.field == "gke.node_pools.general-pool.autoscaling.min_nodes"
    assert "min_nodes 1 is a total for the whole pool" in problem.message
    assert "initialNodeCount is per zone" in problem.message
    assert "would start at 3 nodes, above max_nodes 2" in problem.message
    assert "make min_nodes a multiple of 3" in problem.message
    assert "node_locations" in problem.message and "zonal" in problem.message

    # One zone for the pool: it starts at exactly its minimum.
    env_file.write_text(env_file.read_text() + "      node_locations: [us-central1-b]\n")
    gke = load_env_spec(specs, "staging").gke
    pool = gke.node_pools["general-pool"]
    assert (gke.pool_zones(pool), gke.initial_node_count(pool)) == (1, 1)


@pytest.mark.parametrize("env", ["dev", "staging", "prod"])
def test_every_shipped_pool_starts_at_its_minimum_and_never_above_its_maximum(env: str) -> None:
    from .conftest import SHIPPED_SPECS

    gke = load_env_spec(SHIPPED_SPECS, env).gke
    for pool in gke.node_pools.values():
        started = gke.initial_node_count(pool) * gke.pool_zones(pool)
        assert started == pool.autoscaling.min_nodes <= pool.autoscaling.max_nodes


def test_the_gke_free_tier_credit_is_refused_for_a_regional_cluster(specs: Path) -> None:
    override(specs, "staging", "gke:\n  free_tier_credit: true\n")
    problem = only_problem(specs, "staging")
    assert problem.field == "gke.free_tier_credit"
    assert "only to zonal and Autopilot clusters" in problem.message
    assert "set location to a zone" in problem.message


def test_the_cluster_and_its_pools_stay_in_the_environment_s_region(specs: Path) -> None:
    override(specs, "dev", "gke:\n  location: europe-west1-b\n")
    problem = only_problem(specs, "dev")
    assert problem.field == "gke.location"
    assert "neither the region 'us-central1'" in problem.message and "'us-central1-a'" in problem.message

    override(specs, "prod", "gke:\n  node_pools:\n    tts-gpu-pool:\n      node_locations: [us-east1-b]\n")
    problem = only_problem(specs, "prod")
    assert problem.field == "gke.node_pools.tts-gpu-pool.node_locations[0]"
    assert "'us-east1-b' is not a zone of 'us-central1'" in problem.message


@pytest.mark.parametrize(
    ("yaml_text", "field", "message"),
    [
        (
            "monitoring:\n  uptime_check: {period: 120s}\n",
            "monitoring.uptime_check.period",
            "valid values: 60s, 300s, 600s, 900s",
        ),
        (
            "monitoring:\n  uptime_check: {timeout_seconds: 61}\n",
            "monitoring.uptime_check.timeout_seconds",
            "60",
        ),
        (
            "monitoring:\n  uptime_check: {path: health}\n",
            "monitoring.uptime_check.path",
            "must start with '/'",
        ),
        (
            "monitoring:\n  uptime_check: {regions: [EUROPE, ASIA_PACIFIC]}\n",
            "monitoring.uptime_check.regions",
            "at least 3 checker locations",
        ),
    ],
)
def test_uptime_check_rules_are_the_apis(specs: Path, yaml_text: str, field: str, message: str) -> None:
    override(specs, "dev", yaml_text)
    problem = only_problem(specs, "dev")
    assert problem.field == field and message in problem.message


def test_uptime_check_is_on_by_default_and_can_be_turned_off(specs: Path) -> None:
    check = load_env_spec(specs, "dev").monitoring.uptime_check
    assert (check.enabled, check.period, check.path) == (True, "60s", "/")
    override(specs, "dev", "monitoring:\n  uptime_check: {regions: [USA]}\n")
    assert load_env_spec(specs, "dev").monitoring.uptime_check.regions == ["USA"]  # USA holds 3 locations
    (specs / "dev.yaml").write_text("extends: _dev.yaml\nmonitoring:\n  uptime_check: {enabled: false}\n")
    assert load_env_spec(specs, "dev").monitoring.uptime_check.enabled is False
