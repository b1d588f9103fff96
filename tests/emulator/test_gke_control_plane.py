"""What a GKE cluster shows of its control plane's reach and its nodes' addresses: private nodes
by the cluster's default, the IP endpoints only where they exist, the authorized networks kept
where an update does not name them, and the share of the Pod range once GKE has measured it."""

from __future__ import annotations

from typing import Any

import pytest

from emulator import Emulator
from tests.emulator.test_container import CLUSTER, PARENT, cluster, gke  # noqa: F401


def _public(**changes: Any) -> dict[str, Any]:
    """A cluster with no privateClusterConfig: the tests set what they look at."""
    body = cluster(**changes)
    body.pop("private_cluster_config")
    return body


@pytest.fixture
def make(emu: Emulator, gke: Any) -> Any:  # noqa: F811
    def create(**changes: Any) -> Any:
        gke.create_cluster(parent=PARENT, cluster=_public(**changes))
        emu.advance_time(600)
        return gke.get_cluster(name=CLUSTER)

    return create


def test_private_nodes_follow_the_clusters_default(emu: Emulator, gke: Any, make: Any) -> None:  # noqa: F811
    live = make(network_config={"default_enable_private_nodes": True})

    assert live.private_cluster_config.enable_private_nodes
    assert live.node_pools[0].network_config.enable_private_nodes

    # A pool that says otherwise keeps what it said.
    pool = {"name": "public", "initial_node_count": 1, "network_config": {"enable_private_nodes": False}}
    gke.create_node_pool(parent=CLUSTER, node_pool=pool)
    emu.advance_time(600)
    assert not gke.get_node_pool(name=f"{CLUSTER}/nodePools/public").network_config.enable_private_nodes


def test_public_nodes_by_default(make: Any) -> None:
    live = make()

    assert not live.private_cluster_config.enable_private_nodes
    assert not live.node_pools[0].network_config.enable_private_nodes


def test_a_control_plane_without_ip_endpoints_is_reached_by_its_dns_name(make: Any) -> None:
    live = make(control_plane_endpoints_config={"ip_endpoints_config": {"enabled": False}})

    ip = live.control_plane_endpoints_config.ip_endpoints_config
    assert not ip.enabled
    assert not ip.private_endpoint and not ip.public_endpoint
    assert "enable_public_endpoint" not in ip
    assert live.endpoint == live.control_plane_endpoints_config.dns_endpoint_config.endpoint
    # The older privateClusterConfig keeps the public address, not the private one.
    assert not live.private_cluster_config.private_endpoint
    assert live.private_cluster_config.public_endpoint
    assert "master_authorized_networks_config" not in live


def test_a_control_plane_with_ip_endpoints_shows_both_addresses(make: Any) -> None:
    live = make()

    ip = live.control_plane_endpoints_config.ip_endpoints_config
    assert ip.enabled and ip.private_endpoint and ip.public_endpoint
    assert live.master_authorized_networks_config.gcp_public_cidrs_access_enabled


def test_no_public_address_once_the_public_endpoint_is_off(emu: Emulator, make: Any, gke: Any) -> None:  # noqa: F811
    make()
    off = {"ip_endpoints_config": {"enable_public_endpoint": False}}
    gke.update_cluster(name=CLUSTER, update={"desired_control_plane_endpoints_config": off})
    emu.advance_time(600)

    ip = gke.get_cluster(name=CLUSTER).control_plane_endpoints_config.ip_endpoints_config
    assert not ip.enable_public_endpoint
    assert not ip.public_endpoint
    assert ip.private_endpoint


def test_authorized_networks_sent_without_the_google_switch_keep_it(
    emu: Emulator,
    make: Any,
    gke: Any,  # noqa: F811
) -> None:
    make()
    blank = {"ip_endpoints_config": {"authorized_networks_config": {}}}
    gke.update_cluster(name=CLUSTER, update={"desired_control_plane_endpoints_config": blank})
    emu.advance_time(600)
    live = gke.get_cluster(name=CLUSTER)

    assert live.master_authorized_networks_config.gcp_public_cidrs_access_enabled
    ip = live.control_plane_endpoints_config.ip_endpoints_config
    assert ip.authorized_networks_config.gcp_public_cidrs_access_enabled

    # Named, it is set as named.
    google_off = {"gcp_public_cidrs_access_enabled": False}
    closed = {"ip_endpoints_config": {"authorized_networks_config": google_off}}
    gke.update_cluster(name=CLUSTER, update={"desired_control_plane_endpoints_config": closed})
    emu.advance_time(600)
    assert not gke.get_cluster(name=CLUSTER).master_authorized_networks_config.gcp_public_cidrs_access_enabled


def test_the_pod_range_share_is_shown_once_the_nodes_change(emu: Emulator, make: Any, gke: Any) -> None:  # noqa: F811
    live = make(node_pools=[{"name": "general", "initial_node_count": 1}])

    assert live.current_node_count
    assert not live.ip_allocation_policy.default_pod_ipv4_range_utilization
    assert not live.node_pools[0].network_config.pod_ipv4_range_utilization

    gke.set_node_pool_size(request={"name": f"{CLUSTER}/nodePools/general", "node_count": 2})
    emu.advance_time(600)
    after = gke.get_cluster(name=CLUSTER)
    assert after.ip_allocation_policy.default_pod_ipv4_range_utilization > 0
    assert after.node_pools[0].network_config.pod_ipv4_range_utilization > 0
