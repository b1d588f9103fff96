"""Ignore rules: fields someone else owns are left as they are, and every report says so.

The classic case is a node pool whose autoscaling ceiling the on-call team raises by hand:
plan, drift and the drift job leave it alone and mention it. An ignored field of a
resource whose other fields drift keeps its live value when the others are corrected.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import jsonschema
from google.api_core.client_options import ClientOptions
from google.auth.credentials import AnonymousCredentials
from google.cloud import container_v1, run_v2, storage

from tests.e2e.conftest import SPECS

PROJECT = "digitwin-live-dev"
CLUSTER = f"projects/{PROJECT}/locations/us-central1-a/clusters/digitwin-dev-gke"
TTS_POOL = "gke.node_pool/us-central1-a/digitwin-dev-gke/tts-gpu-pool"
GKE = ("--target", "gke.node_pool", "--target", "gke.cluster")
DOCUMENTS = "digitwin-live-dev-documents"
GATEWAY = f"projects/{PROJECT}/locations/us-central1/services/digitwin-dev-api-gateway"
SCHEMA = json.loads((Path(__file__).resolve().parents[2] / "schemas" / "plan.schema.json").read_text())
CEILING_RULE = """
ignore:
  - resource: "gke.node_pool/*"
    fields: [autoscaling.totalMaxNodeCount]
    reason: the on-call team raises the ceiling for launches
"""


def _specs(tmp_path: Path, dev_tail: str, edit: Any = None) -> str:
    """The shipped specs with `dev_tail` added to dev.yaml (and `edit` applied to its text)."""
    specs = tmp_path / "specs"
    shutil.copytree(SPECS, specs)
    dev = specs / "dev.yaml"
    text = edit(dev.read_text()) if edit else dev.read_text()
    dev.write_text(text + dev_tail)
    return str(specs)


def _gke(emulator: Any) -> container_v1.ClusterManagerClient:
    return container_v1.ClusterManagerClient(
        transport="rest",
        credentials=AnonymousCredentials(),
        client_options=ClientOptions(api_endpoint=emulator.url),
    )


def _pool_name(gke: container_v1.ClusterManagerClient, key: str) -> str:
    (pool,) = [
        p
        for p in gke.list_node_pools(parent=CLUSTER).node_pools
        if p.config.resource_labels.get("digitwin-node-pool") == key
    ]
    return f"{CLUSTER}/nodePools/{pool.name}"


def _raise_ceiling(emulator: Any, maximum: int) -> tuple[container_v1.ClusterManagerClient, str]:
    """What the on-call engineer does with gcloud: a higher ceiling, and the autoscaler follows."""
    gke = _gke(emulator)
    name = _pool_name(gke, "tts-gpu-pool")
    wider = {"enabled": True, "total_min_node_count": 0, "total_max_node_count": maximum}
    gke.set_node_pool_autoscaling(request={"name": name, "autoscaling": wider})
    gke.set_node_pool_size(request={"name": name, "node_count": 2})
    return gke, name


def _writes(emulator: Any) -> list[tuple[str, str]]:
    return [(r.method_id, r.path) for r in emulator.requests() if r.is_write]


def _storage(emulator: Any) -> storage.Client:
    return storage.Client(
        project=PROJECT, credentials=AnonymousCredentials(), client_options={"api_endpoint": emulator.url}
    )


def test_a_pool_ceiling_raised_by_hand_is_left_alone_by_plan_drift_and_the_drift_job(emulator, cli, tmp_path):
    specs = _specs(tmp_path, CEILING_RULE)
    assert cli("apply", "--env", "dev", "--specs", specs, "--auto-approve").code == 0
    gke, name = _raise_ceiling(emulator, 9)
    emulator.clear_requests()

    plan = cli("plan", "--env", "dev", "--specs", specs, "--detailed-exitcode")
    listed = cli("plan", "--env", "dev", "--specs", specs, "-v")
    as_json = cli("plan", "--env", "dev", "--specs", specs, "--format", "json")
    markdown = cli("plan", "--env", "dev", "--specs", specs, "--format", "markdown")
    drift = cli("drift", "--env", "dev", "--specs", specs)
    drift_json = cli("drift", "--env", "dev", "--specs", specs, "--format", "json")

    assert plan.code == 0, plan.out + plan.err
    assert "No changes." in plan.out
    assert "Ignored by the spec's ignore rules: 1 difference on 1 resource (-v lists them)." in plan.out
    assert TTS_POOL not in plan.out
    assert f"    {TTS_POOL}\n" in listed.out
    assert (
        "      autoscaling.totalMaxNodeCount: live 9, spec 2"
        "  (ignored: the on-call team raises the ceiling for launches)"
    ) in listed.out
    data = json.loads(as_json.out)
    jsonschema.Draft202012Validator(SCHEMA).validate(data)
    assert [c for c in data["changes"] if c["action"] != "noop"] == []
    assert data["ignored"] == {
        TTS_POOL: [
            {
                "path": "autoscaling.totalMaxNodeCount",
                "live": 9,
                "desired": 2,
                "reason": "the on-call team raises the ceiling for launches",
            }
        ]
    }
    assert "1 difference ignored by the spec's ignore rules" in markdown.out
    assert f"| `{TTS_POOL}` | `autoscaling.totalMaxNodeCount` | 9 | 2 |" in markdown.out
    assert drift.code == 0, drift.out
    assert "No drift." in drift.out and "Changed outside" not in drift.out
    assert "Ignored by the spec's ignore rules: 1 difference on 1 resource" in drift.out
    report = json.loads(drift_json.out)
    assert report["in_sync"] is True and report["summary"]["ignored"] == 1
    assert report["ignored"][0]["address"] == TTS_POOL

    job = cli("apply", "--env", "dev", "--specs", specs, "--auto-approve", "--drift-only")

    assert job.code == 0, job.out + job.err
    assert "Ignored by the spec's ignore rules: 1 difference" in job.out
    assert not [w for w in _writes(emulator) if w[0] and w[0].startswith("container.")]
    pool = gke.get_node_pool(name=name)
    assert pool.autoscaling.total_max_node_count == 9
    state = _storage(emulator).bucket("digitwin-live-dev-provisioner-state")
    (stored,) = [b.name for b in state.list_blobs(prefix="reports/dev/") if b.name.endswith(".json")]
    report = json.loads(state.blob(stored).download_as_text())
    assert report["drifted"] == 0 and report["outcome"] == "corrected"
    assert (
        report["plan"]["ignored"][TTS_POOL][0]["reason"] == "the on-call team raises the ceiling for launches"
    )


def test_another_autoscaling_field_is_corrected_without_lowering_the_ignored_ceiling(emulator, cli, tmp_path):
    specs = _specs(tmp_path, CEILING_RULE)
    assert cli("apply", "--env", "dev", "--specs", specs, *GKE, "--auto-approve").code == 0
    gke, name = _raise_ceiling(emulator, 9)
    one_warm = _specs(
        tmp_path / "later",
        CEILING_RULE,
        lambda t: t.replace(
            "{min_nodes: 0, max_nodes: 2}\n    lipsync-gpu-pool:",
            "{min_nodes: 1, max_nodes: 2}\n    lipsync-gpu-pool:",
        ),
    )
    emulator.clear_requests()

    planned = cli("plan", "--env", "dev", "--specs", one_warm, *GKE, "--format", "json")
    applied = cli("apply", "--env", "dev", "--specs", one_warm, *GKE, "--auto-approve")

    (change,) = [c for c in json.loads(planned.out)["changes"] if c["action"] != "noop"]
    assert change["address"] == TTS_POOL
    assert [(f["path"], f["before"], f["after"]) for f in change["fields"]] == [
        ("autoscaling.totalMinNodeCount", 0, 1)
    ]
    # What the update will send: the spec's floor, the live ceiling.
    assert change["desired"]["body"]["autoscaling"]["totalMaxNodeCount"] == 9
    assert applied.code == 0, applied.out + applied.err
    assert [w for w in _writes(emulator) if w[0].startswith("container.")] == [
        ("container.projects.locations.clusters.nodePools.setAutoscaling", f"/v1/{name}:setAutoscaling")
    ]
    (sent,) = [r.body for r in emulator.requests() if r.method_id.endswith("nodePools.setAutoscaling")]
    assert (sent["autoscaling"]["totalMinNodeCount"], sent["autoscaling"]["totalMaxNodeCount"]) == (1, 9)
    autoscaling = gke.get_node_pool(name=name).autoscaling
    assert (autoscaling.total_min_node_count, autoscaling.total_max_node_count) == (1, 9)
    assert cli("plan", "--env", "dev", "--specs", one_warm, *GKE, "--detailed-exitcode").code == 0


def test_an_ignored_bucket_label_keeps_its_value_while_another_label_is_put_back(emulator, cli, tmp_path):
    specs = _specs(
        tmp_path,
        """
ignore:
  - resource: "storage.bucket/*-documents"
    fields: [labels.team]
    reason: the data team labels its own buckets
""",
    )
    target = ("--target", f"storage.bucket/{DOCUMENTS}")
    assert cli("apply", "--env", "dev", "--specs", specs, *target, "--auto-approve").code == 0
    bucket = _storage(emulator).get_bucket(DOCUMENTS)
    assert bucket.labels["team"] == "platform"  # a create sends the spec's value
    bucket.labels = {**bucket.labels, "team": "data-science", "app": "hand-edited"}
    bucket.patch()
    emulator.clear_requests()

    planned = cli("plan", "--env", "dev", "--specs", specs, *target, "--format", "json")
    applied = cli("apply", "--env", "dev", "--specs", specs, *target, "--auto-approve")

    data = json.loads(planned.out)
    (change,) = [c for c in data["changes"] if c["action"] != "noop"]
    assert [(f["path"], f["before"], f["after"]) for f in change["fields"]] == [
        ("labels.app", "hand-edited", "digitwin")
    ]
    assert data["ignored"][f"storage.bucket/{DOCUMENTS}"][0]["path"] == "labels.team"
    assert applied.code == 0, applied.out + applied.err
    assert "labels.team" not in applied.out.split("Ignored by")[0]
    bucket_writes = [w for w in _writes(emulator) if w[0].startswith("storage.buckets.")]
    assert bucket_writes == [("storage.buckets.patch", f"/storage/v1/b/{DOCUMENTS}")]
    (sent,) = [r.body for r in emulator.requests() if r.method_id == "storage.buckets.patch"]
    assert list(sent) == ["labels"]
    assert (sent["labels"]["app"], sent["labels"]["team"]) == ("digitwin", "data-science")
    labels = _storage(emulator).get_bucket(DOCUMENTS).labels
    assert (labels["app"], labels["team"]) == ("digitwin", "data-science")


def test_an_ignored_service_ceiling_survives_an_image_roll_out(emulator, cli, tmp_path):
    rule = """
ignore:
  - resource: run.service
    fields: [template.scaling.maxInstanceCount]
    reason: capacity planning sets the ceiling per launch
"""
    specs = _specs(tmp_path, rule)
    target = ("--target", "run.service/us-central1/digitwin-dev-api-gateway")
    assert cli("apply", "--env", "dev", "--specs", specs, *target, "--auto-approve").code == 0
    services = run_v2.ServicesClient(
        transport="rest", credentials=AnonymousCredentials(), client_options={"api_endpoint": emulator.url}
    )
    service = services.get_service(name=GATEWAY)
    service.template.scaling.max_instance_count = 200
    services.update_service(service=service).result()
    newer = _specs(
        tmp_path / "later",
        rule,
        lambda t: t.replace(
            "    api-gateway:\n      min_instances: 0\n",
            "    api-gateway:\n      min_instances: 0\n"
            "      image: us-central1-docker.pkg.dev/digitwin-shared/containers/api-gateway:1.0.1\n",
        ),
    )
    emulator.clear_requests()

    planned = cli("plan", "--env", "dev", "--specs", newer, *target, "--format", "json")
    applied = cli("apply", "--env", "dev", "--specs", newer, *target, "--auto-approve")

    (change,) = [c for c in json.loads(planned.out)["changes"] if c["action"] != "noop"]
    assert [f["path"] for f in change["fields"]] == ["template.containers"]
    assert applied.code == 0, applied.out + applied.err
    (update,) = [r for r in emulator.requests() if r.method_id == "run.projects.locations.services.patch"]
    assert "updateMask=template" in update.query
    assert update.body["template"]["scaling"]["maxInstanceCount"] == 200
    live = services.get_service(name=GATEWAY)
    assert live.template.containers[0].image.endswith("api-gateway:1.0.1")
    assert live.template.scaling.max_instance_count == 200


def test_a_rule_naming_no_resource_stops_the_plan_before_any_api_call(emulator, cli, tmp_path):
    specs = _specs(
        tmp_path,
        """
ignore:
  - resource: "gke.node_pool/tts-gpu-pool"
    fields: [autoscaling.totalMaxNodeCount]
    reason: the on-call team raises the ceiling for launches
""",
    )
    emulator.clear_requests()

    plan = cli("plan", "--env", "dev", "--specs", specs)

    assert plan.code == 1
    dev = Path(specs) / "dev.yaml"
    line = dev.read_text().splitlines().index('  - resource: "gke.node_pool/tts-gpu-pool"') + 1
    assert (
        f"{dev}:{line}: ignore[0].resource: 'gke.node_pool/tts-gpu-pool' matches no resource in dev"
        in plan.err
    )
    assert f"did you mean '{TTS_POOL}'" in plan.err
    assert emulator.requests() == []
