"""GKE: autoscaling drift, pool replacement without a gap, a busy cluster, Autopilot."""

from __future__ import annotations

import json
import re
import shutil
import threading
import time
from pathlib import Path
from typing import Any

from google.api_core.client_options import ClientOptions
from google.auth.credentials import AnonymousCredentials
from google.cloud import container_v1

from tests.e2e.conftest import SPECS

PROJECT = "digitwin-live-dev"
CLUSTER = f"projects/{PROJECT}/locations/us-central1-a/clusters/digitwin-dev-gke"
POOL_METHODS = "container.projects.locations.clusters.nodePools."
#: The GKE resources and what they stand on (network, subnet, node service account) only.
GKE = ("--target", "gke.node_pool", "--target", "gke.cluster")


def _gke(emulator: Any) -> container_v1.ClusterManagerClient:
    return container_v1.ClusterManagerClient(
        transport="rest",
        credentials=AnonymousCredentials(),
        client_options=ClientOptions(api_endpoint=emulator.url),
    )


def _pool(gke: container_v1.ClusterManagerClient, key: str) -> container_v1.NodePool:
    """The live pool the spec calls `key`, whatever its API name."""
    (pool,) = [
        p
        for p in gke.list_node_pools(parent=CLUSTER).node_pools
        if p.config.resource_labels.get("digitwin-node-pool") == key
    ]
    return pool


def _specs(tmp_path: Path, edit: dict[str, Any]) -> str:
    """A copy of the shipped specs with `edit[file](text)` applied to each named file."""
    specs = tmp_path / "specs"
    shutil.copytree(SPECS, specs)
    for name, change in edit.items():
        path = specs / name
        path.write_text(change(path.read_text()))
    return str(specs)


def _writes(emulator: Any) -> list[tuple[str, str]]:
    return [
        (r.method_id, r.path)
        for r in emulator.requests()
        if r.is_write and r.method_id.startswith("container.")
    ]


def _finish_when_refused(emulator: Any, method_id: str) -> threading.Thread:
    """Once `method_id` has been refused, end the operations in flight and make new ones instant."""

    def watch() -> None:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if any(r.method_id == method_id and r.status == 400 for r in emulator.requests()):
                emulator.ctx.operations.delay_s = 0
                emulator.advance_time(3600)
                return
            time.sleep(0.01)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    return watcher


def test_autoscaling_drift_is_put_back_through_set_autoscaling(emulator, cli):
    assert cli("apply", "--env", "dev", *GKE, "--auto-approve").code == 0
    gke = _gke(emulator)
    name = f"{CLUSTER}/nodePools/{_pool(gke, 'tts-gpu-pool').name}"
    wider = {"enabled": True, "total_min_node_count": 0, "total_max_node_count": 9}
    gke.set_node_pool_autoscaling(request={"name": name, "autoscaling": wider})
    gke.set_node_pool_size(request={"name": name, "node_count": 2})  # what the autoscaler does
    emulator.clear_requests()

    planned = cli("plan", "--env", "dev", *GKE, "--format", "json", "--detailed-exitcode")
    applied = cli("apply", "--env", "dev", *GKE, "--auto-approve")

    assert planned.code == 2
    (change,) = json.loads(planned.out)["changes"]
    assert change["address"] == "gke.node_pool/us-central1-a/digitwin-dev-gke/tts-gpu-pool"
    assert change["action"] == "update"
    assert [(f["path"], f["before"], f["after"]) for f in change["fields"]] == [
        ("autoscaling.totalMaxNodeCount", 9, 2)
    ]
    assert applied.code == 0, applied.out
    assert _writes(emulator) == [(POOL_METHODS + "setAutoscaling", f"/v1/{name}:setAutoscaling")]
    assert gke.get_node_pool(name=name).autoscaling.total_max_node_count == 2
    assert cli("plan", "--env", "dev", *GKE, "--detailed-exitcode").code == 0


def test_a_machine_type_change_replaces_the_pool_before_removing_the_old_one(emulator, cli, tmp_path):
    assert cli("apply", "--env", "dev", *GKE, "--auto-approve").code == 0
    gke = _gke(emulator)
    old = _pool(gke, "general-pool").name
    bigger = _specs(
        tmp_path,
        {"dev.yaml": lambda t: t.replace("machine_type: e2-medium", "machine_type: e2-standard-8", 1)},
    )
    emulator.clear_requests()

    planned = cli("plan", "--env", "dev", "--specs", bigger, *GKE, "--format", "json", "--detailed-exitcode")
    shown = cli("plan", "--env", "dev", "--specs", bigger, *GKE)
    applied = cli("apply", "--env", "dev", "--specs", bigger, *GKE, "--auto-approve")

    assert planned.code == 2
    (change,) = json.loads(planned.out)["changes"]
    assert change["address"] == "gke.node_pool/us-central1-a/digitwin-dev-gke/general-pool"
    assert change["action"] == "replace" and not change["blocked"]
    assert "config.machineType" in change["reason"] and "beside" in change["reason"]
    assert "replace: config.machineType" in shown.out
    assert applied.code == 0, applied.out
    new = _pool(gke, "general-pool")
    assert new.name != old and new.name.startswith("general-pool-")
    assert new.config.machine_type == "e2-standard-8"
    assert _writes(emulator) == [
        (POOL_METHODS + "create", f"/v1/{CLUSTER}/nodePools"),
        (POOL_METHODS + "delete", f"/v1/{CLUSTER}/nodePools/{old}"),
    ]
    assert cli("plan", "--env", "dev", "--specs", bigger, *GKE, "--detailed-exitcode").code == 0


def test_an_operation_already_running_on_the_cluster_is_waited_out(emulator, cli):
    assert cli("apply", "--env", "dev", *GKE, "--auto-approve").code == 0
    gke = _gke(emulator)
    lipsync = f"{CLUSTER}/nodePools/{_pool(gke, 'lipsync-gpu-pool').name}"
    wider = {"enabled": True, "total_min_node_count": 0, "total_max_node_count": 7}
    gke.set_node_pool_autoscaling(request={"name": lipsync, "autoscaling": wider})
    emulator.ctx.operations.delay_s = 3600  # the resize below keeps the pool busy
    gke.set_node_pool_size(request={"name": lipsync, "node_count": 1})
    emulator.clear_requests()
    watcher = _finish_when_refused(emulator, POOL_METHODS + "setAutoscaling")

    applied = cli("apply", "--env", "dev", *GKE, "--auto-approve")
    watcher.join()

    assert applied.code == 0, applied.out
    answers = [r.status for r in emulator.requests() if r.method_id == POOL_METHODS + "setAutoscaling"]
    assert answers[0] == 400 and answers[-1] == 200
    assert gke.get_node_pool(name=lipsync).autoscaling.total_max_node_count == 2


def _without_node_pools(text: str) -> str:
    return re.sub(r"^  node_pools:\n(?:(?:    .*)?\n)*", "", text, flags=re.MULTILINE)


def test_validate_explains_that_autopilot_brings_its_own_nodes(emulator, cli, tmp_path):
    specs = _specs(tmp_path, {"dev.yaml": lambda t: t.replace("gke:\n", "gke:\n  autopilot: true\n", 1)})

    validated = cli("validate", "--env", "dev", "--specs", specs)

    assert validated.code == 1
    assert "gke.node_pools" in validated.err
    assert "Autopilot creates and manages the nodes itself" in validated.err
    assert emulator.requests() == []


def test_an_autopilot_cluster_converges_without_pools_of_ours(emulator, cli, tmp_path):
    specs = _specs(
        tmp_path,
        {
            "base.yaml": lambda t: _without_node_pools(t).replace("autopilot: false", "autopilot: true"),
            # Autopilot clusters are regional: dev's zonal cluster goes with its pools.
            "dev.yaml": lambda t: re.sub(r"^gke:\n(?:(?:  .*)?\n)*", "", t, flags=re.MULTILINE),
        },
    )

    applied = cli("apply", "--env", "dev", "--specs", specs, *GKE, "--auto-approve")

    assert applied.code == 0, applied.out + applied.err
    live = _gke(emulator).get_cluster(name=CLUSTER.replace("/us-central1-a/", "/us-central1/"))
    assert live.autopilot.enabled and not live.node_pools
    assert live.workload_identity_config.workload_pool == f"{PROJECT}.svc.id.goog"
    assert cli("plan", "--env", "dev", "--specs", specs, *GKE, "--detailed-exitcode").code == 0


def test_every_pool_starts_at_its_minimum_in_all_its_zones_together(emulator, cli):
    # GKE counts initialNodeCount per zone: the provisioner sends the minimum shared over the
    # pool's zones, so dev's zonal pools and prod's three-zone and one-zone pools all start at
    # exactly their spec minimum.
    gke = _gke(emulator)
    starts = {
        "dev": (CLUSTER, {"general-pool": (1, 1), "tts-gpu-pool": (0, 1), "lipsync-gpu-pool": (0, 1)}),
        "prod": (
            "projects/digitwin-live-prod/locations/us-central1/clusters/digitwin-prod-gke",
            {"general-pool": (1, 3), "tts-gpu-pool": (1, 1), "lipsync-gpu-pool": (1, 1)},
        ),
    }
    for env, (cluster, pools) in starts.items():
        assert cli("apply", "--env", env, *GKE, "--auto-approve").code == 0

        live = gke.get_cluster(name=cluster)
        by_key = {p.config.resource_labels["digitwin-node-pool"]: p for p in live.node_pools}
        assert {key: (p.initial_node_count, len(p.locations)) for key, p in by_key.items()} == pools
        minimums = {key: p.autoscaling.total_min_node_count for key, p in by_key.items()}
        assert all(count * zones == minimums[key] for key, (count, zones) in pools.items())
        assert live.current_node_count == sum(minimums.values())


def test_an_existing_regional_dev_cluster_gives_way_to_the_zonal_one_with_prune(emulator, cli, tmp_path):
    # Dev as it was before its cluster became zonal: regional, one general node a zone.
    regional = _specs(
        tmp_path,
        {
            "dev.yaml": lambda t: (
                t.replace("  location: us-central1-a        # offers T4 GPUs\n", "")
                .replace("  free_tier_credit: true\n", "")
                .replace(
                    "{min_nodes: 1, max_nodes: 2}\n    tts-gpu-pool",
                    "{min_nodes: 3, max_nodes: 3}\n    tts-gpu-pool",
                )
            )
        },
    )
    assert cli("apply", "--env", "dev", "--specs", regional, *GKE, "--auto-approve").code == 0
    gke = _gke(emulator)
    old = CLUSTER.replace("/us-central1-a/", "/us-central1/")
    assert gke.get_cluster(name=old).current_node_count == 3

    # Without --allow-destroy the old cluster is held back, and the plan says so.
    held = cli("plan", "--env", "dev", *GKE, "--prune")
    assert re.search(r"- gke\.cluster/us-central1/digitwin-dev-gke .*\n(?:.*\n)*?\s+held back: ", held.out)

    # Both clusters want the same control-plane range, so the new one can only be made once the
    # old one is gone: the first pruning apply removes it (and makes the new one if the old was
    # already gone by then); a second makes whatever is left.
    cli("apply", "--env", "dev", *GKE, "--prune", "--allow-destroy", "--auto-approve")
    assert cli("apply", "--env", "dev", *GKE, "--prune", "--allow-destroy", "--auto-approve").code == 0

    clusters = gke.list_clusters(parent=f"projects/{PROJECT}/locations/-").clusters
    assert [(c.name, c.location) for c in clusters] == [("digitwin-dev-gke", "us-central1-a")]
    assert gke.get_cluster(name=CLUSTER).current_node_count == 1
    assert cli("plan", "--env", "dev", *GKE, "--prune", "--detailed-exitcode").code == 0
