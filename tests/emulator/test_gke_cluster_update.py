"""ClusterUpdate fields beyond the first few: addons, node auto-provisioning, secrets
encryption, control plane endpoints, in-transit encryption; each an UPDATE_CLUSTER operation on
the cluster that lands when it is done."""

from __future__ import annotations

from typing import Any

import pytest
from google.cloud import container_v1

from emulator import Emulator
from tests.emulator.test_container import CLUSTER, PARENT, cluster, gke, refused  # noqa: F401

KEY = "projects/p/locations/us-central1/keyRings/ring/cryptoKeys/key"


@pytest.fixture
def running(emu: Emulator, gke: Any) -> Any:  # noqa: F811
    gke.create_cluster(parent=PARENT, cluster=cluster())
    emu.advance_time(600)
    return gke


def _update(emu: Emulator, client: Any, update: dict[str, Any]) -> container_v1.Cluster:
    op = client.update_cluster(name=CLUSTER, update=update)
    assert op.operation_type == container_v1.Operation.Type.UPDATE_CLUSTER
    assert op.target_link.endswith("/clusters/gke")
    emu.advance_time(600)
    return client.get_cluster(name=CLUSTER)


def test_addons_named_are_set_and_the_others_stay(emu: Emulator, running: Any) -> None:
    addons = {"http_load_balancing": {"disabled": True}, "dns_cache_config": {"enabled": True}}
    live = _update(emu, running, {"desired_addons_config": addons})

    assert live.addons_config.http_load_balancing.disabled
    assert live.addons_config.dns_cache_config.enabled
    assert live.addons_config.gce_persistent_disk_csi_driver_config.enabled

    # An addon turned off stays off; GKE's default for it no longer applies.
    off = _update(emu, running, {"desired_addons_config": {"dns_cache_config": {"enabled": False}}})
    assert not off.addons_config.dns_cache_config.enabled
    assert off.addons_config.http_load_balancing.disabled


def test_secrets_encryption_needs_a_key_to_turn_on(emu: Emulator, running: Any) -> None:
    keyless = {"desired_database_encryption": {"state": "ENCRYPTED"}}
    assert refused(running.update_cluster, name=CLUSTER, update=keyless).code == 400

    on = {"desired_database_encryption": {"state": "ENCRYPTED", "key_name": KEY}}
    live = _update(emu, running, on)
    assert live.database_encryption.key_name == KEY
    # GKE 1.35 reads ENCRYPTED back as ALL_OBJECTS_ENCRYPTION_ENABLED (recorded on real GCP).
    assert live.database_encryption.state.name == "ALL_OBJECTS_ENCRYPTION_ENABLED"
    assert live.database_encryption.current_state.name == "CURRENT_STATE_ALL_OBJECTS_ENCRYPTION_ENABLED"

    off = _update(emu, running, {"desired_database_encryption": {"state": "DECRYPTED"}})
    assert off.database_encryption.state.name == "DECRYPTED" and not off.database_encryption.key_name


def test_node_auto_provisioning_and_its_network_tags(emu: Emulator, running: Any) -> None:
    nap = {
        "enable_node_autoprovisioning": True,
        "resource_limits": [
            {"resource_type": "cpu", "maximum": 4},
            {"resource_type": "memory", "maximum": 64},
        ],
        "autoprovisioning_node_pool_defaults": {"min_cpu_platform": "automatic"},
    }
    live = _update(emu, running, {"desired_cluster_autoscaling": nap})
    assert live.autoscaling.enable_node_autoprovisioning
    assert [r.maximum for r in live.autoscaling.resource_limits] == [4, 64]
    # "automatic" unsets the minimum CPU platform (AutoprovisioningNodePoolDefaults.min_cpu_platform).
    assert not live.autoscaling.autoprovisioning_node_pool_defaults.min_cpu_platform

    tags = {"desired_node_pool_auto_config_network_tags": {"tags": ["web"]}}
    assert list(_update(emu, running, tags).node_pool_auto_config.network_tags.tags) == ["web"]


def test_control_plane_endpoints_and_their_older_mirrors(emu: Emulator, running: Any) -> None:
    endpoints = {
        "dns_endpoint_config": {"allow_external_traffic": True},
        "ip_endpoints_config": {"enabled": True, "enable_public_endpoint": False, "global_access": True},
    }
    live = _update(emu, running, {"desired_control_plane_endpoints_config": endpoints})

    assert live.control_plane_endpoints_config.dns_endpoint_config.allow_external_traffic
    assert live.control_plane_endpoints_config.ip_endpoints_config.global_access
    assert live.private_cluster_config.enable_private_endpoint
    assert live.private_cluster_config.master_global_access_config.enabled

    off_but_public = {"ip_endpoints_config": {"enabled": False, "enable_public_endpoint": True}}
    update = {"desired_control_plane_endpoints_config": off_but_public}
    assert refused(running.update_cluster, name=CLUSTER, update=update).code == 400


def test_in_transit_encryption_takes_a_known_setting(emu: Emulator, running: Any) -> None:
    setting = container_v1.InTransitEncryptionConfig.IN_TRANSIT_ENCRYPTION_INTER_NODE_TRANSPARENT
    live = _update(emu, running, {"desired_in_transit_encryption_config": setting})
    assert live.network_config.in_transit_encryption_config == setting


def test_a_second_update_waits_for_the_first(emu: Emulator, running: Any) -> None:
    emu.ctx.operations.delay_s = 60
    running.update_cluster(name=CLUSTER, update={"desired_default_enable_private_nodes": True})
    busy = refused(
        running.update_cluster, name=CLUSTER, update={"desired_addons_config": {"http_load_balancing": {}}}
    )
    assert busy.code == 400 and "incompatible operation" in busy.message
    emu.advance_time(61)
    assert running.get_cluster(name=CLUSTER).network_config.default_enable_private_nodes


def test_a_cluster_made_with_a_key_has_its_secrets_encrypted(emu: Emulator, gke: Any) -> None:  # noqa: F811
    keyless = cluster(database_encryption={"state": "ENCRYPTED"})
    assert refused(gke.create_cluster, parent=PARENT, cluster=keyless).code == 400

    gke.create_cluster(
        parent=PARENT, cluster=cluster(database_encryption={"state": "ENCRYPTED", "key_name": KEY})
    )
    emu.advance_time(600)
    live = gke.get_cluster(name=CLUSTER)
    assert live.database_encryption.state.name == "ALL_OBJECTS_ENCRYPTION_ENABLED"
    assert live.database_encryption.current_state.name == "CURRENT_STATE_ALL_OBJECTS_ENCRYPTION_ENABLED"


def test_nodes_that_boot_only_from_hyperdisk_get_a_hyperdisk(emu: Emulator, running: Any) -> None:
    running.create_node_pool(
        parent=CLUSTER,
        node_pool={"name": "n4", "initial_node_count": 1, "config": {"machine_type": "n4-standard-2"}},
    )
    emu.advance_time(600)
    config = running.get_node_pool(name=f"{CLUSTER}/nodePools/n4").config
    assert config.disk_type == "hyperdisk-balanced"
    assert running.get_node_pool(name=f"{CLUSTER}/nodePools/general").config.disk_type == "pd-balanced"
