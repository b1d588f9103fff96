"""What GKE fills in or leaves out of what a cluster and its pools were sent: node
auto-provisioning's pool defaults, confidential nodes, addon enums at their zero,
the key decrypted secrets are still read with, queued provisioning and zero autoscaling limits."""

from __future__ import annotations

import json
import urllib.request
from typing import Any

import pytest

from emulator import Emulator
from tests.emulator.test_container import CLUSTER, PARENT, cluster, gke  # noqa: F401

KEY = "projects/p/locations/us-central1/keyRings/ring/cryptoKeys/key"


def _get(emu: Emulator, path: str) -> dict[str, Any]:
    with urllib.request.urlopen(f"{emu.base_url}/v1beta1/{path}") as response:
        return dict(json.loads(response.read()))


def _send(emu: Emulator, method: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
    request = urllib.request.Request(
        f"{emu.base_url}/v1beta1/{path}",
        data=json.dumps(body).encode(),
        method=method,
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request) as response:
        answer = dict(json.loads(response.read()))
    emu.advance_time(600)
    return answer


def _create(emu: Emulator, body: dict[str, Any]) -> dict[str, Any]:
    """A cluster created over JSON with `body` as its own fields; its read."""
    base = {
        "name": "gke",
        "network": "vpc",
        "subnetwork": "sub",
        "ipAllocationPolicy": {"useIpAliases": True},
        "nodePools": [{"name": "general", "initialNodeCount": 1}],
    }
    _send(emu, "POST", f"{PARENT}/clusters", {"cluster": {**base, **body}})
    return _get(emu, CLUSTER)


@pytest.fixture
def ready(gke: Any) -> Any:  # noqa: F811
    return gke


def test_auto_provisioned_pools_are_managed_and_surge_upgraded(emu: Emulator, ready: Any) -> None:
    nap = {
        "enableNodeAutoprovisioning": True,
        "resourceLimits": [{"resourceType": "cpu", "maximum": "10"}],
        "autoprovisioningNodePoolDefaults": {"upgradeSettings": {}},
    }
    live = _create(emu, {"autoscaling": nap})
    defaults = live["autoscaling"]["autoprovisioningNodePoolDefaults"]
    assert defaults["management"] == {"autoRepair": True, "autoUpgrade": True}
    assert defaults["upgradeSettings"] == {"strategy": "SURGE"}

    # Empty blue-green settings do not stay beside a surge strategy; a blue-green strategy keeps them.
    for strategy, kept in (("SURGE", False), ("BLUE_GREEN", True)):
        settings = {"strategy": strategy, "blueGreenSettings": {}}
        update = {**nap, "autoprovisioningNodePoolDefaults": {"upgradeSettings": settings}}
        _send(emu, "PUT", CLUSTER, {"update": {"desiredClusterAutoscaling": update}})
        shown = _get(emu, CLUSTER)["autoscaling"]["autoprovisioningNodePoolDefaults"]["upgradeSettings"]
        assert ("blueGreenSettings" in shown) is kept


def test_management_sent_for_auto_provisioned_pools_is_kept(emu: Emulator, ready: Any) -> None:
    nap = {
        "enableNodeAutoprovisioning": True,
        "resourceLimits": [{"resourceType": "cpu", "maximum": "10"}],
        "autoprovisioningNodePoolDefaults": {"management": {"autoUpgrade": True}},
    }
    live = _create(emu, {"autoscaling": nap})
    assert live["autoscaling"]["autoprovisioningNodePoolDefaults"]["management"] == {"autoUpgrade": True}


def test_confidential_nodes_of_the_cluster_stay_on_the_cluster(emu: Emulator, ready: Any) -> None:
    sent = {"enabled": True, "confidentialInstanceType": "SEV"}
    live = _create(emu, {"confidentialNodes": sent})
    assert live["confidentialNodes"] == sent
    assert "confidentialNodes" not in live["nodeConfig"]
    assert "confidentialNodes" not in live["nodePools"][0]["config"]


def test_confidential_nodes_of_a_pool_default_to_sev(emu: Emulator, ready: Any) -> None:
    pools = [{"name": "general", "initialNodeCount": 1, "config": {"confidentialNodes": {"enabled": True}}}]
    live = _create(emu, {"nodePools": pools})
    assert live["nodePools"][0]["config"]["confidentialNodes"]["confidentialInstanceType"] == "SEV"

    plain = _create_second_pool(emu, {"name": "plain", "initialNodeCount": 1})
    assert "confidentialNodes" not in plain["config"]


def _create_second_pool(emu: Emulator, pool: dict[str, Any]) -> dict[str, Any]:
    _send(emu, "POST", f"{CLUSTER}/nodePools", {"nodePool": pool})
    return _get(emu, f"{CLUSTER}/nodePools/{pool['name']}")


def test_an_addon_enum_at_its_zero_is_not_shown(emu: Emulator, ready: Any) -> None:
    _create(emu, {})
    istio = {"istioConfig": {"auth": "AUTH_NONE", "disabled": False}}
    _send(emu, "PUT", CLUSTER, {"update": {"desiredAddonsConfig": istio}})
    assert _get(emu, CLUSTER)["addonsConfig"]["istioConfig"] == {}

    mutual = {"istioConfig": {"auth": "AUTH_MUTUAL_TLS", "disabled": True}}
    _send(emu, "PUT", CLUSTER, {"update": {"desiredAddonsConfig": mutual}})
    assert _get(emu, CLUSTER)["addonsConfig"]["istioConfig"] == {"auth": "AUTH_MUTUAL_TLS", "disabled": True}


def test_decrypted_secrets_are_still_read_with_the_old_key(emu: Emulator, ready: Any) -> None:
    _create(emu, {"databaseEncryption": {"state": "ENCRYPTED", "keyName": KEY}})
    assert "decryptionKeys" not in _get(emu, CLUSTER)["databaseEncryption"]

    _send(emu, "PUT", CLUSTER, {"update": {"desiredDatabaseEncryption": {"state": "DECRYPTED"}}})
    encryption = _get(emu, CLUSTER)["databaseEncryption"]
    assert encryption["state"] == "DECRYPTED"
    assert encryption["decryptionKeys"] == [KEY]


def test_queued_provisioning_is_kept_and_a_zero_limit_not_shown(emu: Emulator, ready: Any) -> None:
    _create(emu, {})
    pool = _create_second_pool(
        emu,
        {
            "name": "queued",
            "autoscaling": {"enabled": True, "minNodeCount": 0, "maxNodeCount": 3},
            "queuedProvisioning": {"enabled": True},
        },
    )
    assert pool["queuedProvisioning"] == {"enabled": True}
    assert "minNodeCount" not in pool["autoscaling"]
    assert pool["autoscaling"]["maxNodeCount"] == 3


def test_private_nodes_sent_false_on_a_pool_are_shown_false(emu: Emulator, ready: Any) -> None:
    _create(emu, {})
    sent = _create_second_pool(
        emu, {"name": "public", "initialNodeCount": 1, "networkConfig": {"enablePrivateNodes": False}}
    )
    assert sent["networkConfig"]["enablePrivateNodes"] is False
    unsent = _create_second_pool(emu, {"name": "plain", "initialNodeCount": 1})
    assert "enablePrivateNodes" not in unsent["networkConfig"]


def test_a_kubelet_config_from_an_update_pulls_three_images_at_once(emu: Emulator, ready: Any) -> None:
    _create(emu, {})
    pool = f"{CLUSTER}/nodePools/general"
    assert _get(emu, pool)["config"]["kubeletConfig"]["maxParallelImagePulls"] == 2

    _send(emu, "PUT", pool, {"kubeletConfig": {"cpuCfsQuota": True}})
    assert _get(emu, pool)["config"]["kubeletConfig"]["maxParallelImagePulls"] == 3

    _send(emu, "PUT", pool, {"kubeletConfig": {"maxParallelImagePulls": 4}})
    assert _get(emu, pool)["config"]["kubeletConfig"]["maxParallelImagePulls"] == 4


def test_nodes_an_upgrade_replaced_outlast_their_deleted_pool(emu: Emulator, ready: Any) -> None:
    _create(emu, {})
    alone = _get(emu, CLUSTER)["currentNodeCount"]  # one node in each of the region's zones
    _create_second_pool(emu, {"name": "extra", "initialNodeCount": 1})
    extra = f"{CLUSTER}/nodePools/extra"
    _send(emu, "PUT", extra, {"kubeletConfig": {"cpuCfsQuota": True}})
    assert _get(emu, CLUSTER)["currentNodeCount"] == 3 * alone

    request = urllib.request.Request(f"{emu.base_url}/v1beta1/{extra}", method="DELETE")
    urllib.request.urlopen(request).close()
    emu.advance_time(600)
    live = _get(emu, CLUSTER)
    assert [p["name"] for p in live["nodePools"]] == ["general"]
    assert live["currentNodeCount"] == 2 * alone
    # The Pod range counts the remaining pool's nodes only: a /24 each of a /14.
    assert live["ipAllocationPolicy"]["defaultPodIpv4RangeUtilization"] == round(alone / 1024, 3)
