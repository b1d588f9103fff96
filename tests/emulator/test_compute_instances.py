"""VM instances, unmanaged instance groups, zones, public images and target VPN gateways.

What a caller notices of the real API: an instance exists as soon as its insert is answered
and runs once the zonal operation is done, with its boot disk and network interface as Compute
made them; a family name is not an image; a group takes only instances of its zone and network,
counts them, and is kept while a backend service uses it; a VPN gateway lists the forwarding
rules that target it and is kept while one does.
"""

from __future__ import annotations

import ipaddress
from typing import Any

import pytest

from emulator import Emulator
from tests.emulator.conftest import PROJECT, SLOW_OPERATION_S
from tests.emulator.test_compute import compute_client, done, status_of

ZONE = "us-central1-a"
NETWORK = f"projects/{PROJECT}/global/networks/auto"
IMAGE = "projects/debian-cloud/global/images/family/debian-11"


@pytest.fixture
def compute(emu: Emulator) -> Any:
    client = compute_client(emu)
    done(client, client.networks().insert(project=PROJECT, body={"name": "auto"}))
    return client


def _instance_body(name: str, zone: str = ZONE, network: str = NETWORK, **extra: Any) -> dict[str, Any]:
    return {
        "name": name,
        "machineType": f"projects/{PROJECT}/zones/{zone}/machineTypes/n1-standard-1",
        "disks": [{"boot": True, "autoDelete": True, "initializeParams": {"sourceImage": IMAGE}}],
        "networkInterfaces": [{"network": network}],
        "params": {},
        **extra,
    }


def _instance(compute: Any, name: str, zone: str = ZONE, **extra: Any) -> dict[str, Any]:
    done(
        compute,
        compute.instances().insert(project=PROJECT, zone=zone, body=_instance_body(name, zone, **extra)),
    )
    return compute.instances().get(project=PROJECT, zone=zone, instance=name).execute()


def _group(compute: Any, name: str, zone: str = ZONE, **extra: Any) -> dict[str, Any]:
    body = {"name": name, **extra}
    done(compute, compute.instanceGroups().insert(project=PROJECT, zone=zone, body=body))
    return compute.instanceGroups().get(project=PROJECT, zone=zone, instanceGroup=name).execute()


def _add(compute: Any, group: str, *instances: str, zone: str = ZONE) -> Any:
    body = {"instances": [{"instance": f"projects/{PROJECT}/zones/{i}"} for i in instances]}
    return compute.instanceGroups().addInstances(project=PROJECT, zone=zone, instanceGroup=group, body=body)


def test_zones_and_public_images(emu: Emulator) -> None:
    compute = compute_client(emu)
    zone = compute.zones().get(project=PROJECT, zone=ZONE).execute()
    assert zone["status"] == "UP" and zone["region"].endswith(f"/{PROJECT}/regions/us-central1")
    assert status_of(compute.zones().get(project=PROJECT, zone="us-central1-e"))[0] == 404
    image = compute.images().getFromFamily(project="debian-cloud", family="debian-11").execute()
    assert image["name"] == "debian-11-bullseye-v20231010" and image["status"] == "READY"
    by_name = compute.images().get(project="debian-cloud", image=image["name"]).execute()
    assert by_name["family"] == "debian-11"
    assert status_of(compute.images().get(project="debian-cloud", image="debian-11")) == (404, "notFound")


def test_an_instance_is_provisioning_then_running(slow: Emulator) -> None:
    compute = compute_client(slow)
    slow.advance_time(SLOW_OPERATION_S)
    compute.networks().insert(project=PROJECT, body={"name": "auto"}).execute()
    slow.advance_time(SLOW_OPERATION_S)
    op = compute.instances().insert(project=PROJECT, zone=ZONE, body=_instance_body("vm")).execute()
    assert op["zone"].endswith(f"/zones/{ZONE}") and f"/zones/{ZONE}/operations/" in op["selfLink"]
    early = compute.instances().get(project=PROJECT, zone=ZONE, instance="vm").execute()
    assert early["status"] == "PROVISIONING"
    slow.advance_time(SLOW_OPERATION_S)
    vm = compute.instances().get(project=PROJECT, zone=ZONE, instance="vm").execute()
    assert vm["status"] == "RUNNING"
    assert vm["machineType"] == (
        f"https://www.googleapis.com/compute/v1/projects/{PROJECT}/zones/{ZONE}/machineTypes/n1-standard-1"
    )
    disk = vm["disks"][0]
    assert "initializeParams" not in disk and "params" not in vm
    assert disk["source"].endswith(f"/zones/{ZONE}/disks/vm") and disk["boot"] is True
    nic = vm["networkInterfaces"][0]
    assert nic["name"] == "nic0" and nic["subnetwork"].endswith("/regions/us-central1/subnetworks/auto")
    subnet = compute.subnetworks().get(project=PROJECT, region="us-central1", subnetwork="auto").execute()
    assert ipaddress.ip_address(nic["networkIP"]) in ipaddress.ip_network(subnet["ipCidrRange"])
    compute.instances().delete(project=PROJECT, zone=ZONE, instance="vm").execute()
    slow.advance_time(SLOW_OPERATION_S)
    assert status_of(compute.instances().get(project=PROJECT, zone=ZONE, instance="vm"))[0] == 404


def test_an_instance_from_a_missing_image_is_refused(compute: Any) -> None:
    body = _instance_body("vm")
    body["disks"][0]["initializeParams"]["sourceImage"] = "projects/debian-cloud/global/images/debian-11"
    assert status_of(compute.instances().insert(project=PROJECT, zone=ZONE, body=body)) == (404, "notFound")
    assert status_of(compute.instances().get(project=PROJECT, zone=ZONE, instance="vm"))[0] == 404


def test_a_protected_instance_is_not_deleted(compute: Any) -> None:
    _instance(compute, "vm", deletionProtection=True)
    assert status_of(compute.instances().delete(project=PROJECT, zone=ZONE, instance="vm"))[0] == 400
    assert compute.instances().get(project=PROJECT, zone=ZONE, instance="vm").execute()["status"] == "RUNNING"


def test_a_group_takes_only_instances_of_its_zone_and_network(compute: Any) -> None:
    done(compute, compute.networks().insert(project=PROJECT, body={"name": "other"}))
    _instance(compute, "here")
    _instance(compute, "elsewhere", zone="us-central1-b")
    _instance(compute, "apart", network=f"projects/{PROJECT}/global/networks/other")
    _group(compute, "web", namedPorts=[{"name": "http", "port": 8080}])
    assert status_of(_add(compute, "web", "us-central1-b/instances/elsewhere"))[0] == 400
    done(compute, _add(compute, "web", f"{ZONE}/instances/here"))
    group = compute.instanceGroups().get(project=PROJECT, zone=ZONE, instanceGroup="web").execute()
    assert group["size"] == 1 and group["network"].endswith(NETWORK)
    assert status_of(_add(compute, "web", f"{ZONE}/instances/apart"))[0] == 400
    listed = (
        compute.instanceGroups()
        .listInstances(project=PROJECT, zone=ZONE, instanceGroup="web", body={"instanceState": "ALL"})
        .execute()
    )
    assert [(i["instance"].rsplit("/", 1)[1], i["status"]) for i in listed["items"]] == [("here", "RUNNING")]
    assert listed["items"][0]["namedPorts"] == [{"name": "http", "port": 8080}]
    done(compute, compute.instances().delete(project=PROJECT, zone=ZONE, instance="here"))
    group = compute.instanceGroups().get(project=PROJECT, zone=ZONE, instanceGroup="web").execute()
    assert group["size"] == 0


def test_a_group_a_backend_service_uses_is_not_deleted(compute: Any) -> None:
    _group(compute, "web")
    check = {"name": "hc", "type": "HTTP", "httpHealthCheck": {"port": 80}}
    done(compute, compute.healthChecks().insert(project=PROJECT, body=check))
    group_link = f"https://www.googleapis.com/compute/beta/projects/{PROJECT}/zones/{ZONE}/instanceGroups/web"
    service = {
        "name": "bs",
        "backends": [{"group": group_link}],
        "healthChecks": [f"projects/{PROJECT}/global/healthChecks/hc"],
    }
    done(compute, compute.backendServices().insert(project=PROJECT, body=service))
    read = compute.backendServices().get(project=PROJECT, backendService="bs").execute()
    assert read["backends"][0]["group"].endswith(f"/projects/{PROJECT}/zones/{ZONE}/instanceGroups/web")
    refused = compute.instanceGroups().delete(project=PROJECT, zone=ZONE, instanceGroup="web")
    assert status_of(refused) == (400, "resourceInUseByAnotherResource")
    missing = {**service, "name": "bs2", "backends": [{"group": group_link.replace("/web", "/nope")}]}
    assert status_of(compute.backendServices().insert(project=PROJECT, body=missing))[0] == 404
    done(compute, compute.backendServices().delete(project=PROJECT, backendService="bs"))
    done(compute, compute.instanceGroups().delete(project=PROJECT, zone=ZONE, instanceGroup="web"))


def test_a_vpn_gateway_lists_its_forwarding_rules_and_is_kept_while_used(compute: Any) -> None:
    region = "us-central1"
    body = {
        "name": "gw",
        "network": NETWORK,
        "description": "classic",
        "region": f"projects/{PROJECT}/global/regions/{region}",
    }
    done(compute, compute.targetVpnGateways().insert(project=PROJECT, region=region, body=body))
    gateway = compute.targetVpnGateways().get(project=PROJECT, region=region, targetVpnGateway="gw").execute()
    assert gateway["status"] == "READY" and gateway["region"].endswith(f"/{PROJECT}/regions/{region}")
    assert gateway["network"].endswith(NETWORK) and "forwardingRules" not in gateway
    rule = {
        "name": "esp",
        "IPProtocol": "ESP",
        "loadBalancingScheme": "EXTERNAL",
        "target": f"projects/{PROJECT}/regions/{region}/targetVpnGateways/gw",
    }
    done(compute, compute.forwardingRules().insert(project=PROJECT, region=region, body=rule))
    gateway = compute.targetVpnGateways().get(project=PROJECT, region=region, targetVpnGateway="gw").execute()
    assert [r.rsplit("/", 1)[1] for r in gateway["forwardingRules"]] == ["esp"]
    refused = compute.targetVpnGateways().delete(project=PROJECT, region=region, targetVpnGateway="gw")
    assert status_of(refused) == (400, "resourceInUseByAnotherResource")
    done(compute, compute.forwardingRules().delete(project=PROJECT, region=region, forwardingRule="esp"))
    done(compute, compute.targetVpnGateways().delete(project=PROJECT, region=region, targetVpnGateway="gw"))
