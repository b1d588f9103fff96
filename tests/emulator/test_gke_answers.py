"""What GKE answers as the earlier real recordings of Config Connector's GKE tests show
(conformance/kcc-history/container): the type of a labels operation, the cluster's telemetry
once logging and monitoring are off, auto-provisioning scopes, addons at creation, the v1beta1
Workload Identity fields, confidential nodes, global access turned off, a pool's node count and
the Pod range GKE adds to the cluster's subnetwork."""

from __future__ import annotations

import ipaddress
import json
import re
import urllib.request
from typing import Any

import pytest

from emulator import Emulator
from tests.emulator.conftest import PROJECT
from tests.emulator.test_compute import REGION, compute_client
from tests.emulator.test_container import CLUSTER, PARENT, cluster, gke  # noqa: F401
from tests.emulator.test_gke_shown_defaults import _create, _get, _send


@pytest.fixture
def ready(gke: Any) -> Any:  # noqa: F811
    return gke


def test_labels_are_set_by_a_cluster_update(emu: Emulator, ready: Any) -> None:
    live = _create(emu, {})
    body = {"resourceLabels": {"env": "prod"}, "labelFingerprint": live["labelFingerprint"]}
    op = _send(emu, "POST", f"{CLUSTER}:setResourceLabels", body)
    assert op["operationType"] == "UPDATE_CLUSTER"
    assert _get(emu, CLUSTER)["resourceLabels"] == {"env": "prod"}


def test_logging_and_monitoring_off_leave_the_control_plane_components(emu: Emulator, ready: Any) -> None:
    before = _create(emu, {})
    assert before["clusterTelemetry"] == {"type": "ENABLED"}
    assert before["loggingConfig"]["componentConfig"]["enableComponents"]

    off = {"desiredLoggingService": "none", "desiredMonitoringService": "none"}
    _send(emu, "PUT", CLUSTER, {"update": off})
    live = _get(emu, CLUSTER)
    assert live["loggingService"] == "none" and live["monitoringService"] == "none"
    assert live["loggingConfig"] == {"componentConfig": {}}
    assert live["monitoringConfig"]["componentConfig"]["enableComponents"] == [
        "APISERVER",
        "SCHEDULER",
        "CONTROLLER_MANAGER",
    ]
    assert live["monitoringConfig"]["managedPrometheusConfig"] == {"enabled": True}
    assert live["clusterTelemetry"] == {"type": "DISABLED"}


def test_telemetry_is_disabled_once_both_services_are_off(emu: Emulator, ready: Any) -> None:
    _create(emu, {})
    _send(emu, "PUT", CLUSTER, {"update": {"desiredLoggingService": "none"}})
    live = _get(emu, CLUSTER)
    assert live["loggingConfig"] == {"componentConfig": {}}
    assert live["clusterTelemetry"] == {"type": "ENABLED"}

    _send(emu, "PUT", CLUSTER, {"update": {"desiredMonitoringService": "none"}})
    assert _get(emu, CLUSTER)["clusterTelemetry"] == {"type": "DISABLED"}


def test_auto_provisioned_pools_sent_no_scopes_get_two(emu: Emulator, ready: Any) -> None:
    nap = {
        "enableNodeAutoprovisioning": True,
        "resourceLimits": [{"resourceType": "cpu", "maximum": "10"}],
        "autoprovisioningNodePoolDefaults": {"serviceAccount": "default"},
    }
    defaults = _create(emu, {"autoscaling": nap})["autoscaling"]["autoprovisioningNodePoolDefaults"]
    assert defaults["oauthScopes"] == [
        "https://www.googleapis.com/auth/userinfo.email",
        "https://www.googleapis.com/auth/cloud-platform",
    ]

    sent = ["https://www.googleapis.com/auth/cloud-platform"]
    nap["autoprovisioningNodePoolDefaults"] = {"oauthScopes": sent}
    _send(emu, "PUT", CLUSTER, {"update": {"desiredClusterAutoscaling": nap}})
    shown = _get(emu, CLUSTER)["autoscaling"]["autoprovisioningNodePoolDefaults"]
    assert shown["oauthScopes"] == sent


def test_addons_at_creation_get_a_load_balancer_and_the_disk_driver(emu: Emulator, ready: Any) -> None:
    addons = {"cloudRunConfig": {"disabled": True}, "gcePersistentDiskCsiDriverConfig": {"enabled": False}}
    live = _create(emu, {"addonsConfig": addons})["addonsConfig"]
    assert live["cloudRunConfig"] == {"disabled": True, "loadBalancerType": "LOAD_BALANCER_TYPE_EXTERNAL"}
    assert live["gcePersistentDiskCsiDriverConfig"] == {"enabled": True}

    # An update turns the driver off, and the load balancer stays.
    _send(emu, "PUT", CLUSTER, {"update": {"desiredAddonsConfig": addons}})
    live = _get(emu, CLUSTER)["addonsConfig"]
    assert live["gcePersistentDiskCsiDriverConfig"] == {}
    assert live["cloudRunConfig"]["loadBalancerType"] == "LOAD_BALANCER_TYPE_EXTERNAL"


def test_v1beta1_names_workload_identity_in_its_older_fields_too(emu: Emulator, ready: Any) -> None:
    pool = f"{PROJECT}.svc.id.goog"
    live = _create(emu, {"workloadIdentityConfig": {"workloadPool": pool}})
    assert live["workloadIdentityConfig"] == {
        "workloadPool": pool,
        "identityNamespace": pool,
        "identityProvider": f"https://container.googleapis.com/v1/{CLUSTER}",
    }
    metadata = {"mode": "GKE_METADATA", "nodeMetadata": "GKE_METADATA_SERVER"}
    assert live["nodeConfig"]["workloadMetadataConfig"] == metadata
    assert live["nodePools"][0]["config"]["workloadMetadataConfig"] == metadata
    assert _get(emu, f"{CLUSTER}/nodePools/general")["config"]["workloadMetadataConfig"] == metadata

    # v1 has neither.
    with urllib.request.urlopen(f"{emu.base_url}/v1/{CLUSTER}") as response:
        v1 = json.loads(response.read())
    assert v1["workloadIdentityConfig"] == {"workloadPool": pool}
    assert v1["nodeConfig"]["workloadMetadataConfig"] == {"mode": "GKE_METADATA"}


def test_global_access_turned_off_is_not_shown(emu: Emulator, ready: Any) -> None:
    private = {"enablePrivateNodes": True, "masterIpv4CidrBlock": "172.16.0.0/28"}
    _create(emu, {"privateClusterConfig": private})
    on = {"ipEndpointsConfig": {"enabled": True, "globalAccess": True}}
    _send(emu, "PUT", CLUSTER, {"update": {"desiredControlPlaneEndpointsConfig": on}})
    live = _get(emu, CLUSTER)
    assert live["controlPlaneEndpointsConfig"]["ipEndpointsConfig"]["globalAccess"] is True
    assert live["privateClusterConfig"]["masterGlobalAccessConfig"] == {"enabled": True}

    off = {"ipEndpointsConfig": {"enabled": True, "globalAccess": False}}
    _send(emu, "PUT", CLUSTER, {"update": {"desiredControlPlaneEndpointsConfig": off}})
    live = _get(emu, CLUSTER)
    assert "globalAccess" not in live["controlPlaneEndpointsConfig"]["ipEndpointsConfig"]
    assert "masterGlobalAccessConfig" not in live["privateClusterConfig"]


def test_a_pool_shows_no_zero_count_and_takes_the_size_it_is_set_to(emu: Emulator, ready: Any) -> None:
    _create(emu, {})
    pool = {"name": "auto", "autoscaling": {"enabled": True, "minNodeCount": 1, "maxNodeCount": 3}}
    _send(emu, "POST", f"{CLUSTER}/nodePools", {"nodePool": pool})
    path = f"{CLUSTER}/nodePools/auto"
    assert "initialNodeCount" not in _get(emu, path)

    _send(emu, "POST", f"{path}:setSize", {"nodeCount": 2})
    assert _get(emu, path)["initialNodeCount"] == 2


def test_operations_that_reach_no_node_count_none(emu: Emulator, ready: Any) -> None:
    _create(emu, {})
    pool = {"name": "auto", "autoscaling": {"enabled": True, "minNodeCount": 0, "maxNodeCount": 3}}
    _send(emu, "POST", f"{CLUSTER}/nodePools", {"nodePool": pool})
    none = {"metrics": [{"name": "NODES_TOTAL", "intValue": "0"}]}

    limits = {"enabled": True, "minNodeCount": 1, "maxNodeCount": 5}
    update = {"desiredNodePoolAutoscaling": limits, "desiredNodePoolId": "auto"}
    op = _send(emu, "PUT", CLUSTER, {"update": update})
    assert op["targetLink"].endswith("/nodePools/auto")
    assert _get(emu, f"{PARENT}/operations/{op['name']}")["progress"] == none

    taints = {"taints": [{"key": "k", "value": "v", "effect": "NO_SCHEDULE"}]}
    op = _send(emu, "PUT", f"{CLUSTER}/nodePools/auto", {"taints": taints})
    assert op["operationType"] == "UPGRADE_NODES"
    assert _get(emu, f"{PARENT}/operations/{op['name']}")["progress"] == none


def test_pools_are_listed_in_the_order_they_were_made(emu: Emulator, ready: Any) -> None:
    _create(emu, {"nodePools": [{"name": "general", "initialNodeCount": 2}]})
    _send(emu, "POST", f"{CLUSTER}/nodePools", {"nodePool": {"name": "added", "initialNodeCount": 1}})
    live = _get(emu, CLUSTER)
    assert [p["name"] for p in live["nodePools"]] == ["general", "added"]
    assert live["initialNodeCount"] == 2  # the first pool's


def test_private_nodes_enforce_authorized_networks_on_the_private_endpoint(emu: Emulator, ready: Any) -> None:
    public = _create(emu, {})
    assert public["masterAuthorizedNetworksConfig"] == {"gcpPublicCidrsAccessEnabled": True}
    _delete(emu, CLUSTER)

    subnet = f"https://www.googleapis.com/compute/v1/projects/{PROJECT}/regions/{REGION}/subnetworks/sub"
    endpoints = {"ipEndpointsConfig": {"enabled": True, "privateEndpointSubnetwork": subnet}}
    private = _create(
        emu, {"networkConfig": {"defaultEnablePrivateNodes": True}, "controlPlaneEndpointsConfig": endpoints}
    )
    assert private["masterAuthorizedNetworksConfig"] == {"privateEndpointEnforcementEnabled": True}
    shown = private["controlPlaneEndpointsConfig"]["ipEndpointsConfig"]["authorizedNetworksConfig"]
    assert shown == {"privateEndpointEnforcementEnabled": True}
    assert private["privateClusterConfig"]["privateEndpointSubnetwork"] == (
        f"projects/{PROJECT}/regions/{REGION}/subnetworks/sub"
    )

    # An update that does not name the switch leaves it on.
    update = {"ipEndpointsConfig": {"authorizedNetworksConfig": {"enabled": True}}}
    _send(emu, "PUT", CLUSTER, {"update": {"desiredControlPlaneEndpointsConfig": update}})
    assert _get(emu, CLUSTER)["masterAuthorizedNetworksConfig"] == {
        "enabled": True,
        "privateEndpointEnforcementEnabled": True,
    }


def test_a_private_control_plane_range_gets_a_subnetwork_for_the_endpoint(emu: Emulator, ready: Any) -> None:
    private = {"enablePrivateNodes": True, "masterIpv4CidrBlock": "172.16.0.32/28"}
    live = _create(emu, {"privateClusterConfig": private})
    subnet = live["controlPlaneEndpointsConfig"]["ipEndpointsConfig"]["privateEndpointSubnetwork"]
    assert re.fullmatch(
        rf"projects/{PROJECT}/regions/{REGION}/subnetworks/gke-gke-[0-9a-f]{{8}}-pe-subnet", subnet
    )
    assert "privateEndpointSubnetwork" not in live["privateClusterConfig"]


def _subnet(emu: Emulator) -> dict[str, Any]:
    return dict(
        compute_client(emu).subnetworks().get(project=PROJECT, region=REGION, subnetwork="sub").execute()
    )


def test_the_pod_range_gke_makes_joins_the_subnetwork_while_the_cluster_lasts(
    emu: Emulator, ready: Any
) -> None:
    before = _subnet(emu)
    assert before["privateIpGoogleAccess"] is False
    live = _create(emu, {})
    name = live["ipAllocationPolicy"]["clusterSecondaryRangeName"]
    assert name.startswith("gke-gke-pods-")

    subnet = _subnet(emu)
    assert subnet["privateIpGoogleAccess"] is True
    made = [r for r in subnet["secondaryIpRanges"] if r["rangeName"] == name]
    assert made == [
        {
            "rangeName": name,
            "ipCidrRange": live["clusterIpv4Cidr"],
            "reservedInternalRange": "https://networkconnectivity.googleapis.com/v1/projects/"
            f"{PROJECT}/locations/global/internalRanges/{name}",
        }
    ]
    assert subnet["fingerprint"] != before["fingerprint"]

    # Once the cluster is gone, so is its range; Private Google Access stays on.
    _delete(emu, CLUSTER)
    after = _subnet(emu)
    assert name not in [r["rangeName"] for r in after.get("secondaryIpRanges", [])]
    assert after["privateIpGoogleAccess"] is True


def test_clusters_on_one_network_get_pod_ranges_of_their_own(emu: Emulator, ready: Any) -> None:
    first = _create(emu, {})["clusterIpv4Cidr"]
    made = []
    for name in ("second", "third"):  # the third made while the second is being made
        body = {
            "name": name,
            "network": "vpc",
            "subnetwork": "sub",
            "ipAllocationPolicy": {"useIpAliases": True},
        }
        body["nodePools"] = [{"name": "general", "initialNodeCount": 1}]
        request = urllib.request.Request(
            f"{emu.base_url}/v1beta1/{PARENT}/clusters",
            data=json.dumps({"cluster": body}).encode(),
            method="POST",
            headers={"Content-Type": "application/json"},
        )
        urllib.request.urlopen(request).close()
        made.append(name)
    emu.advance_time(600)
    ranges = [ipaddress.IPv4Network(first)]
    ranges += [ipaddress.IPv4Network(_get(emu, f"{PARENT}/clusters/{n}")["clusterIpv4Cidr"]) for n in made]
    assert not any(a.overlaps(b) for i, a in enumerate(ranges) for b in ranges[i + 1 :])


def test_a_cluster_on_ranges_of_its_own_leaves_the_subnetwork_alone(emu: Emulator, gke: Any) -> None:  # noqa: F811
    gke.create_cluster(parent=PARENT, cluster=cluster())
    emu.advance_time(600)
    subnet = _subnet(emu)
    assert subnet["privateIpGoogleAccess"] is False
    assert [r["rangeName"] for r in subnet["secondaryIpRanges"]] == ["pods", "services"]


def _delete(emu: Emulator, path: str) -> None:
    request = urllib.request.Request(f"{emu.base_url}/v1beta1/{path}", method="DELETE")
    urllib.request.urlopen(request).close()
    emu.advance_time(600)
