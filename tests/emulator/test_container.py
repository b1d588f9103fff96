"""GKE through the real typed client: references, one operation per cluster, node pool rules."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from google.api_core import exceptions
from google.api_core.client_options import ClientOptions
from google.auth.credentials import AnonymousCredentials
from google.cloud import container_v1

from emulator import Emulator
from tests.emulator.conftest import PROJECT
from tests.emulator.test_compute import REGION, compute_client, make_network, make_subnet, status_of

PARENT = f"projects/{PROJECT}/locations/{REGION}"
CLUSTER = f"{PARENT}/clusters/gke"
T4 = [{"accelerator_type": "nvidia-tesla-t4", "accelerator_count": 1}]


@pytest.fixture
def gke(emu: Emulator) -> container_v1.ClusterManagerClient:
    compute = compute_client(emu)
    make_network(compute)
    ranges = [
        {"rangeName": "pods", "ipCidrRange": "10.4.0.0/14"},
        {"rangeName": "services", "ipCidrRange": "10.8.0.0/20"},
    ]
    make_subnet(compute, secondaryIpRanges=ranges)
    return container_v1.ClusterManagerClient(
        transport="rest",
        credentials=AnonymousCredentials(),
        client_options=ClientOptions(api_endpoint=emu.base_url),
    )


def cluster(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": "gke",
        "network": "vpc",
        "subnetwork": "sub",
        "ip_allocation_policy": {
            "use_ip_aliases": True,
            "cluster_secondary_range_name": "pods",
            "services_secondary_range_name": "services",
        },
        "private_cluster_config": {"enable_private_nodes": True, "master_ipv4_cidr_block": "172.16.0.0/28"},
        "workload_identity_config": {"workload_pool": f"{PROJECT}.svc.id.goog"},
        "resource_labels": {"env": "test"},
        "node_pools": [
            {
                "name": "general",
                "autoscaling": {"enabled": True, "total_min_node_count": 1, "total_max_node_count": 3},
            }
        ],
    }
    body.update(changes)
    return body


def refused(call: Any, *args: Any, **kwargs: Any) -> exceptions.GoogleAPICallError:
    with pytest.raises(exceptions.GoogleAPICallError) as caught:
        call(*args, **kwargs)
    return caught.value


def test_cluster_is_provisioning_until_its_operation_is_done(emu: Emulator, gke: Any) -> None:
    emu.ctx.operations.delay_s = 60
    op = gke.create_cluster(parent=PARENT, cluster=cluster())

    assert op.operation_type == container_v1.Operation.Type.CREATE_CLUSTER
    assert op.status in (container_v1.Operation.Status.PENDING, container_v1.Operation.Status.RUNNING)
    assert op.target_link.endswith(f"/locations/{REGION}/clusters/gke")
    assert gke.get_cluster(name=CLUSTER).status == container_v1.Cluster.Status.PROVISIONING
    emu.advance_time(61)

    done = gke.get_operation(name=f"{PARENT}/operations/{op.name}")
    live = gke.get_cluster(name=CLUSTER)
    assert done.status == container_v1.Operation.Status.DONE and done.end_time
    assert live.status == container_v1.Cluster.Status.RUNNING
    assert live.endpoint and live.current_master_version and live.self_link.endswith(CLUSTER)
    assert live.release_channel.channel == container_v1.ReleaseChannel.Channel.REGULAR
    assert live.ip_allocation_policy.cluster_ipv4_cidr_block == "10.4.0.0/14"
    assert live.private_cluster_config.private_endpoint.startswith("172.16.0.")
    assert live.locations == [f"{REGION}-a", f"{REGION}-b", f"{REGION}-c"]
    (pool,) = live.node_pools
    assert pool.status == container_v1.NodePool.Status.RUNNING
    assert (pool.config.machine_type, pool.config.disk_size_gb, pool.config.disk_type) == (
        "e2-medium",
        100,
        "pd-balanced",
    )
    assert pool.config.image_type == "COS_CONTAINERD"
    assert pool.management.auto_repair and pool.management.auto_upgrade
    assert pool.upgrade_settings.max_surge == 1 and pool.upgrade_settings.strategy.name == "SURGE"
    assert len(pool.instance_group_urls) == 3


def test_cluster_references_and_ranges_are_checked(gke: Any) -> None:
    missing_range = cluster(
        ip_allocation_policy={"use_ip_aliases": True, "cluster_secondary_range_name": "nope"}
    )
    wide_master = cluster(
        private_cluster_config={"enable_private_nodes": True, "master_ipv4_cidr_block": "172.16.0.0/24"}
    )
    on_subnet = cluster(
        private_cluster_config={"enable_private_nodes": True, "master_ipv4_cidr_block": "10.0.0.0/28"}
    )
    foreign_pool = cluster(workload_identity_config={"workload_pool": "other.svc.id.goog"})

    assert (
        'Secondary range "nope"' in refused(gke.create_cluster, parent=PARENT, cluster=missing_range).message
    )
    assert "/28" in refused(gke.create_cluster, parent=PARENT, cluster=wide_master).message
    assert "overlaps" in refused(gke.create_cluster, parent=PARENT, cluster=on_subnet).message
    assert "Workload pool" in refused(gke.create_cluster, parent=PARENT, cluster=foreign_pool).message
    no_subnet = refused(gke.create_cluster, parent=PARENT, cluster=cluster(subnetwork="other"))
    assert no_subnet.code == 400 and "does not exist" in no_subnet.message
    assert gke.list_clusters(parent=f"projects/{PROJECT}/locations/-").clusters == []

    gke.create_cluster(parent=PARENT, cluster=cluster())
    assert refused(gke.create_cluster, parent=PARENT, cluster=cluster()).code == 409


def test_a_busy_cluster_refuses_a_second_operation(emu: Emulator, gke: Any) -> None:
    gke.create_cluster(parent=PARENT, cluster=cluster())
    emu.ctx.operations.delay_s = 60
    gke.set_node_pool_size(request={"name": f"{CLUSTER}/nodePools/general", "node_count": 2})

    wider = {
        "name": f"{CLUSTER}/nodePools/general",
        "autoscaling": {"enabled": True, "total_min_node_count": 0, "total_max_node_count": 5},
    }
    busy = refused(gke.set_node_pool_autoscaling, request=wider)

    assert busy.code == 400
    assert "Cluster is running incompatible operation operation-" in busy.message
    emu.advance_time(61)
    gke.set_node_pool_autoscaling(request=wider)
    emu.advance_time(61)
    assert gke.get_node_pool(name=f"{CLUSTER}/nodePools/general").autoscaling.total_max_node_count == 5


def test_operations_on_different_pools_run_side_by_side_up_to_the_quota(emu: Emulator, gke: Any) -> None:
    # One operation per node pool, none beside a cluster-level one, five at most per cluster
    # (emulator/services/_container.py, check_idle, for the sources).
    gke.create_cluster(parent=CLUSTER.rsplit("/clusters/", 1)[0], cluster=cluster())
    emu.ctx.operations.delay_s = 600
    for number in range(5):
        body = {"name": f"pool-{number}", "initial_node_count": 1}
        gke.create_node_pool(parent=CLUSTER, node_pool=body)
    too_many = refused(
        gke.create_node_pool, parent=CLUSTER, node_pool={"name": "pool-5", "initial_node_count": 1}
    )
    assert too_many.code == 429
    assert too_many.message.endswith(
        'Too many operations: cluster "gke" hits the concurrent operations quota 5, please try again later.'
    )
    same_pool = refused(
        gke.set_node_pool_size, request={"name": f"{CLUSTER}/nodePools/pool-0", "node_count": 2}
    )
    assert same_pool.code == 400 and "Cluster is running incompatible operation" in same_pool.message
    labels = {
        "name": CLUSTER,
        "resource_labels": {"env": "x"},
        "label_fingerprint": gke.get_cluster(name=CLUSTER).label_fingerprint,
    }
    assert refused(gke.set_labels, request=labels).code == 400  # cluster-level: waits for the pools
    emu.advance_time(601)

    gke.set_labels(request=labels)
    blocked = refused(
        gke.set_node_pool_size, request={"name": f"{CLUSTER}/nodePools/pool-0", "node_count": 2}
    )
    assert blocked.code == 400 and "incompatible operation" in blocked.message
    emu.advance_time(601)
    assert sorted(p.name for p in gke.list_node_pools(parent=CLUSTER).node_pools) == [
        "general",
        *(f"pool-{n}" for n in range(5)),
    ]


def test_gpu_pools_need_a_matching_machine_and_sane_autoscaling(gke: Any) -> None:
    gke.create_cluster(parent=PARENT, cluster=cluster())
    e2_with_t4 = {
        "name": "gpu",
        "initial_node_count": 1,
        "config": {"machine_type": "e2-standard-4", "accelerators": T4},
    }
    unknown_gpu = {
        "name": "gpu",
        "initial_node_count": 1,
        "config": {"machine_type": "n1-standard-4", "accelerators": [{"accelerator_type": "nvidia-t4000"}]},
    }
    upside_down = {
        "name": "gpu",
        "autoscaling": {"enabled": True, "total_min_node_count": 4, "total_max_node_count": 2},
    }

    assert (
        "needs an N1 machine type"
        in refused(gke.create_node_pool, parent=CLUSTER, node_pool=e2_with_t4).message
    )
    assert "does not exist" in refused(gke.create_node_pool, parent=CLUSTER, node_pool=unknown_gpu).message
    assert (
        "must not be greater" in refused(gke.create_node_pool, parent=CLUSTER, node_pool=upside_down).message
    )

    good = {
        "name": "gpu",
        "config": {"machine_type": "n1-standard-4", "accelerators": T4, "spot": True},
        "autoscaling": {"enabled": True, "total_min_node_count": 0, "total_max_node_count": 2},
    }
    gke.create_node_pool(parent=CLUSTER, node_pool=good)
    pool = gke.get_node_pool(name=f"{CLUSTER}/nodePools/gpu")
    assert pool.config.spot and pool.config.accelerators[0].accelerator_type == "nvidia-tesla-t4"
    assert refused(gke.create_node_pool, parent=CLUSTER, node_pool=good).code == 409


def _put(emu: Emulator, path: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(
        f"{emu.base_url}/v1/{path}",
        data=json.dumps(body).encode(),
        method="PUT",
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def test_node_pool_update_changes_only_what_can_change_in_place(emu: Emulator, gke: Any) -> None:
    gke.create_cluster(parent=PARENT, cluster=cluster())
    pool_path = f"{CLUSTER}/nodePools/general"
    etag = gke.get_node_pool(name=pool_path).etag

    spot, spot_body = _put(emu, pool_path, {"nodeVersion": "-", "imageType": "COS_CONTAINERD", "spot": True})
    stale, _ = _put(emu, pool_path, {"nodeVersion": "-", "imageType": "COS_CONTAINERD", "etag": "stale"})
    t4, t4_body = _put(
        emu, pool_path, {"nodeVersion": "-", "imageType": "COS_CONTAINERD", "accelerators": T4}
    )
    gke.update_node_pool(
        request={
            "name": pool_path,
            "node_version": "-",
            "image_type": "COS_CONTAINERD",
            "etag": etag,
            "labels": {"labels": {"workload": "tts"}},
            "taints": {"taints": [{"key": "gpu", "value": "yes", "effect": "NO_SCHEDULE"}]},
        }
    )

    assert spot == 400 and 'Unknown name "spot"' in spot_body["error"]["message"]
    assert stale == 409
    assert t4 == 400 and "N1" in t4_body["error"]["message"]
    pool = gke.get_node_pool(name=pool_path)
    assert dict(pool.config.labels) == {"workload": "tts"}
    assert pool.config.taints[0].key == "gpu" and pool.etag != etag


def test_labels_need_the_current_fingerprint(gke: Any) -> None:
    gke.create_cluster(parent=PARENT, cluster=cluster())
    fingerprint = gke.get_cluster(name=CLUSTER).label_fingerprint

    gke.set_labels(
        request={"name": CLUSTER, "resource_labels": {"env": "prod"}, "label_fingerprint": fingerprint}
    )
    stale = refused(
        gke.set_labels,
        request={"name": CLUSTER, "resource_labels": {"env": "dev"}, "label_fingerprint": fingerprint},
    )

    assert stale.code == 400 and "fingerprint" in stale.message
    assert dict(gke.get_cluster(name=CLUSTER).resource_labels) == {"env": "prod"}


def test_cluster_update_takes_one_field_at_a_time(gke: Any) -> None:
    gke.create_cluster(parent=PARENT, cluster=cluster())
    two = {"desired_release_channel": {"channel": "STABLE"}, "desired_locations": [f"{REGION}-b"]}

    assert "Exactly one update" in refused(gke.update_cluster, name=CLUSTER, update=two).message
    gke.update_cluster(name=CLUSTER, update={"desired_release_channel": {"channel": "STABLE"}})
    assert gke.get_cluster(name=CLUSTER).release_channel.channel.name == "STABLE"


def test_autopilot_is_regional_and_has_no_pools_of_ours(gke: Any) -> None:
    autopilot = cluster(autopilot={"enabled": True}, node_pools=[])

    zonal = refused(gke.create_cluster, parent=f"projects/{PROJECT}/locations/{REGION}-b", cluster=autopilot)
    with_pools = refused(
        gke.create_cluster, parent=PARENT, cluster={**autopilot, "node_pools": cluster()["node_pools"]}
    )
    gke.create_cluster(parent=PARENT, cluster=autopilot)
    pool = {"name": "extra", "initial_node_count": 1}

    assert "must be regional" in zonal.message
    assert with_pools.code == 400
    assert "Autopilot" in refused(gke.create_node_pool, parent=CLUSTER, node_pool=pool).message
    assert gke.get_cluster(name=CLUSTER).workload_identity_config.workload_pool == f"{PROJECT}.svc.id.goog"


def test_a_failed_operation_is_done_with_a_message_and_leaves_nothing(emu: Emulator, gke: Any) -> None:
    emu.faults.configure(operation_failure_rate=1.0)
    op = gke.create_cluster(parent=PARENT, cluster=cluster())
    emu.faults.clear()

    failed = gke.get_operation(name=f"{PARENT}/operations/{op.name}")

    assert failed.status == container_v1.Operation.Status.DONE
    assert failed.status_message and failed.error.message == failed.status_message
    assert gke.list_clusters(parent=PARENT).clusters == []
    listed = gke.list_operations(parent=PARENT).operations
    assert [o.name for o in listed] == [op.name]


@pytest.mark.skipif(shutil.which("gcloud") is None, reason="gcloud is not on PATH")
def test_gcloud_lists_and_describes_clusters(emu: Emulator, gke: Any, tmp_path: Path) -> None:
    gke.create_cluster(parent=PARENT, cluster=cluster())
    # A throwaway configuration, so the developer's own gcloud setup is neither used nor changed.
    env = {
        **os.environ,
        "CLOUDSDK_CONFIG": str(tmp_path / "gcloud"),
        "CLOUDSDK_CORE_DISABLE_PROMPTS": "1",
        "CLOUDSDK_API_ENDPOINT_OVERRIDES_CONTAINER": emu.base_url + "/",
        "CLOUDSDK_AUTH_DISABLE_CREDENTIALS": "true",
        "CLOUDSDK_CORE_PROJECT": PROJECT,
    }

    listed = _gcloud(env, "container", "clusters", "list", "--format=json")
    described = _gcloud(
        env, "container", "clusters", "describe", "gke", f"--location={REGION}", "--format=json"
    )

    assert listed.returncode == 0, listed.stderr
    assert [(c["name"], c["location"], c["status"]) for c in json.loads(listed.stdout)] == [
        ("gke", REGION, "RUNNING")
    ]
    assert described.returncode == 0, described.stderr
    assert json.loads(described.stdout)["ipAllocationPolicy"]["clusterSecondaryRangeName"] == "pods"


def _gcloud(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["gcloud", *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )


def test_the_subnet_of_a_cluster_cannot_be_deleted_until_the_cluster_is(emu: Emulator, gke: Any) -> None:
    gke.create_cluster(parent=PARENT, cluster=cluster())
    compute = compute_client(emu)
    delete = compute.subnetworks().delete(project=PROJECT, region=REGION, subnetwork="sub")

    assert status_of(delete) == (400, "resourceInUseByAnotherResource")
    gke.delete_cluster(name=CLUSTER)
    assert gke.list_clusters(parent=PARENT).clusters == []
    delete.execute()


def test_node_counts_are_per_zone_as_gke_counts_them(gke: Any, emu: Emulator) -> None:
    # A regional cluster's pool spans three zones: one initial node a zone is three nodes.
    general = {
        "name": "general",
        "initial_node_count": 1,
        "autoscaling": {"enabled": True, "total_min_node_count": 3, "total_max_node_count": 6},
    }
    gke.create_cluster(parent=PARENT, cluster=cluster(node_pools=[general]))
    emu.advance_time(600)
    regional = gke.get_cluster(name=CLUSTER)
    assert len(regional.locations) == 3
    assert regional.node_pools[0].initial_node_count == 1
    assert regional.current_node_count == 3

    # A pool in one zone: its initial count is its size.
    one_zone = {
        "name": "gpu",
        "initial_node_count": 1,
        "locations": [f"{REGION}-b"],
        "config": {"machine_type": "n1-standard-4", "accelerators": T4},
        "autoscaling": {"enabled": True, "total_min_node_count": 1, "total_max_node_count": 4},
    }
    gke.create_node_pool(parent=CLUSTER, node_pool=one_zone)
    emu.advance_time(600)
    assert gke.get_cluster(name=CLUSTER).current_node_count == 4

    # setSize is per zone too: two a zone in the three-zone pool is six nodes.
    gke.set_node_pool_size(request={"name": f"{CLUSTER}/nodePools/general", "node_count": 2})
    emu.advance_time(600)
    assert gke.get_cluster(name=CLUSTER).current_node_count == 7


def test_parallel_image_pulls_default_by_the_disk_the_nodes_pull_onto() -> None:
    from emulator.services._container import show_pool

    def pulls(config: dict[str, Any]) -> Any:
        return show_pool({"config": config})["config"]["kubeletConfig"]["maxParallelImagePulls"]

    assert pulls({"machineType": "e2-medium"}) == 2
    local_ssd = {"machineType": "n2-standard-2", "ephemeralStorageLocalSsdConfig": {"localSsdCount": 1}}
    assert pulls(local_ssd) == 3
    assert pulls({**local_ssd, "ephemeralStorageLocalSsdConfig": {"localSsdCount": 0}}) == 2
    # A value the pool was given is kept.
    assert pulls({**local_ssd, "kubeletConfig": {"maxParallelImagePulls": 5}}) == 5


def test_the_pod_range_share_is_the_ranges_and_counts_the_nodes_an_upgrade_replaced() -> None:
    from emulator.services._container import registered_nodes, show_pool

    network = {"podRange": "pods", "podIpv4CidrBlock": "10.92.0.0/14"}
    default = {"name": "default-pool", "networkConfig": network, "_nodeCount": 1}
    upgraded = {"name": "p", "networkConfig": network, "_nodeCount": 1, "_replacedNodes": 1}
    other = {"name": "o", "networkConfig": {**network, "podRange": "other"}, "_nodeCount": 1}
    pools = [default, upgraded, other]
    assert [registered_nodes(p) for p in pools] == [1, 2, 1]
    # Three nodes' /24s on the shared /14, whichever pool is asked; the other range holds one.
    shares = [show_pool(p, pools)["networkConfig"].get("podIpv4RangeUtilization") for p in pools]
    assert shares == [0.003, 0.003, 0.001]
    # A pool read on its own shows no share.
    assert "podIpv4RangeUtilization" not in show_pool(upgraded)["networkConfig"]


def test_nodes_an_upgrade_replaced_still_count_in_the_cluster(gke: Any) -> None:
    gke.create_cluster(parent=PARENT, cluster=cluster())
    pool_path = f"{CLUSTER}/nodePools/general"
    before = gke.get_cluster(name=CLUSTER).current_node_count
    nodes = gke.get_node_pool(name=pool_path).initial_node_count * len(
        gke.get_node_pool(name=pool_path).locations
    )
    gke.update_node_pool(
        request={
            "name": pool_path,
            "node_version": "-",
            "image_type": "COS_CONTAINERD",
            "labels": {"labels": {"workload": "tts"}},
        }
    )
    assert gke.get_cluster(name=CLUSTER).current_node_count == before + nodes
