"""What GKE answers as the earlier real recordings of Config Connector's GKE tests show
(conformance/kcc-history/container): the type of a labels operation, the cluster's telemetry
once logging and monitoring are off, auto-provisioning scopes, addons at creation, the v1beta1
Workload Identity fields, confidential nodes, global access turned off, a pool's node count and
the Pod range GKE adds to the cluster's subnetwork."""

from __future__ import annotations

import urllib.request
from typing import Any

import pytest

from emulator import Emulator
from tests.emulator.test_container import CLUSTER, PARENT, gke  # noqa: F401
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


def _delete(emu: Emulator, path: str) -> None:
    request = urllib.request.Request(f"{emu.base_url}/v1beta1/{path}", method="DELETE")
    urllib.request.urlopen(request).close()
    emu.advance_time(600)
