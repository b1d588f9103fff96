"""Private service access and Serverless VPC Access through discovery clients."""

from __future__ import annotations

import time
from typing import Any

import httplib2
import pytest
from googleapiclient.discovery import build_from_document
from googleapiclient.errors import HttpError

from emulator import Emulator
from emulator.discovery import load_document
from emulator.projects import project_number
from tests.emulator.conftest import PROJECT, SLOW_OPERATION_S
from tests.emulator.test_compute import NET, REGION, compute_client, done, make_network, make_subnet

SERVICE = "services/servicenetworking.googleapis.com"
PARENT = f"projects/{PROJECT}/locations/{REGION}"


def client(emu: Emulator, api: str) -> Any:
    doc = load_document(api, "v1").raw
    return build_from_document(
        doc, http=httplib2.Http(timeout=30), client_options={"api_endpoint": emu.base_url + "/"}
    )


def finish(operations: Any, op: dict[str, Any]) -> dict[str, Any]:
    deadline = time.monotonic() + 10
    while not op.get("done"):
        assert time.monotonic() < deadline
        op = operations.get(name=op["name"]).execute()
    return op


def numbered(network: str = "vpc") -> str:
    return f"projects/{project_number(PROJECT)}/global/networks/{network}"


def reserve(compute: Any, name: str = "psa", address: str = "10.60.0.0") -> None:
    body = {
        "name": name,
        "purpose": "VPC_PEERING",
        "addressType": "INTERNAL",
        "prefixLength": 16,
        "address": address,
        "network": NET,
    }
    done(compute, compute.globalAddresses().insert(project=PROJECT, body=body))


def test_connection_peers_the_network(emu: Emulator) -> None:
    compute, sn = compute_client(emu), client(emu, "servicenetworking")
    make_network(compute)
    reserve(compute)
    api, ops = sn.services().connections(), sn.operations()
    body = {"network": f"projects/{PROJECT}/global/networks/vpc", "reservedPeeringRanges": ["psa"]}
    op = finish(ops, api.create(parent=SERVICE, body=body).execute())
    assert "error" not in op, op
    listed = api.list(parent=SERVICE, network=numbered()).execute()["connections"]
    assert listed == [
        {
            "network": numbered(),
            "reservedPeeringRanges": ["psa"],
            "peering": "servicenetworking-googleapis-com",
            "service": SERVICE,
        }
    ]
    network = compute.networks().get(project=PROJECT, network="vpc").execute()
    assert [p["name"] for p in network["peerings"]] == ["servicenetworking-googleapis-com"]
    assert network["peerings"][0]["state"] == "ACTIVE"
    with pytest.raises(HttpError) as info:
        compute.networks().delete(project=PROJECT, network="vpc").execute()
    assert info.value.resp.status == 400
    with pytest.raises(HttpError):
        compute.globalAddresses().delete(project=PROJECT, address="psa").execute()

    reserve(compute, "psa2", "10.61.0.0")
    name = f"{SERVICE}/connections/servicenetworking-googleapis-com"
    grow = {"network": numbered(), "reservedPeeringRanges": ["psa", "psa2"]}
    assert "error" not in finish(
        ops, api.patch(name=name, updateMask="reservedPeeringRanges", body=grow).execute()
    )
    shrink = {"network": numbered(), "reservedPeeringRanges": ["psa2"]}
    refused = finish(ops, api.patch(name=name, updateMask="reservedPeeringRanges", body=shrink).execute())
    assert refused["error"]["code"] == 9
    forced = api.patch(name=name, updateMask="reservedPeeringRanges", force=True, body=shrink).execute()
    assert "error" not in finish(ops, forced)
    assert api.list(parent=SERVICE, network=numbered()).execute()["connections"][0][
        "reservedPeeringRanges"
    ] == ["psa2"]

    emu.store.put(
        "sqladmin.instance",
        f"{PROJECT}/db",
        {
            "name": "db",
            "settings": {"ipConfiguration": {"privateNetwork": f"projects/{PROJECT}/global/networks/vpc"}},
        },
    )
    blocked = finish(ops, api.deleteConnection(name=name, body={"consumerNetwork": numbered()}).execute())
    assert blocked["error"]["code"] == 9 and "Producer services" in blocked["error"]["message"]
    emu.store.delete("sqladmin.instance", f"{PROJECT}/db")
    gone = finish(ops, api.deleteConnection(name=name, body={"consumerNetwork": numbered()}).execute())
    assert "error" not in gone
    assert api.list(parent=SERVICE, network=numbered()).execute() == {}
    assert "peerings" not in compute.networks().get(project=PROJECT, network="vpc").execute()


def test_remove_peering_ends_the_connection_and_frees_its_range(emu: Emulator) -> None:
    # Real Compute accepts the range's delete right after removePeering
    # (kcc-golden/servicenetworking/v1beta1/servicenetworkingconnection/_http.log).
    compute, sn = compute_client(emu), client(emu, "servicenetworking")
    make_network(compute)
    reserve(compute)
    api, ops = sn.services().connections(), sn.operations()
    body = {"network": f"projects/{PROJECT}/global/networks/vpc", "reservedPeeringRanges": ["psa"]}
    assert "error" not in finish(ops, api.create(parent=SERVICE, body=body).execute())
    with pytest.raises(HttpError) as info:
        compute.networks().removePeering(project=PROJECT, network="vpc", body={"name": "other"}).execute()
    assert info.value.resp.status == 404

    request = compute.networks().removePeering(
        project=project_number(PROJECT), network="vpc", body={"name": "servicenetworking-googleapis-com"}
    )
    op = done(compute, request)
    # Typed and attributed, as real Compute Engine answered it
    # (kcc-history sql/v1beta1/sqlinstance/postgresinstance@a0c29df460 #51, #52).
    assert op["status"] == "DONE" and op["progress"] == 100
    assert op["operationType"] == "removePeering" and op["targetLink"].endswith("/global/networks/vpc")
    assert {"targetId", "user"} <= set(op)
    assert "peerings" not in compute.networks().get(project=PROJECT, network="vpc").execute()
    assert api.list(parent=SERVICE, network=numbered()).execute().get("connections", []) == []
    done(compute, compute.globalAddresses().delete(project=PROJECT, address="psa"))
    done(compute, compute.networks().delete(project=PROJECT, network="vpc"))


def test_unknown_range_fails_the_operation_with_code_9(emu: Emulator) -> None:
    compute, sn = compute_client(emu), client(emu, "servicenetworking")
    make_network(compute)
    body = {"network": numbered(), "reservedPeeringRanges": ["nope"]}
    op = finish(sn.operations(), sn.services().connections().create(parent=SERVICE, body=body).execute())
    assert op["error"] == {"code": 9, "message": "Allocated IP range 'nope' not found in network."}
    assert sn.services().connections().list(parent=SERVICE, network=numbered()).execute() == {}
    assert "peerings" not in compute.networks().get(project=PROJECT, network="vpc").execute()


def test_connector_lifecycle(emu: Emulator) -> None:
    compute, va = compute_client(emu), client(emu, "vpcaccess")
    make_network(compute)
    make_subnet(compute, cidr="10.8.0.0/28", name="conn-sub")
    api, ops = va.projects().locations().connectors(), va.projects().locations().operations()
    base = {"network": "vpc", "ipCidrRange": "10.8.0.16/28", "maxInstances": 4}
    for bad_id in ("Upper", "a" * 26, "ends-"):
        with pytest.raises(HttpError):
            api.create(parent=PARENT, connectorId=bad_id, body=base).execute()
    for bad in (
        {**base, "ipCidrRange": "10.8.0.0/28"},  # overlaps the subnet
        {**base, "ipCidrRange": "10.9.0.0/24"},
        {**base, "subnet": {"name": "conn-sub"}},
        {"network": "vpc", "ipCidrRange": "10.8.0.16/28"},  # no max
    ):
        with pytest.raises(HttpError) as info:
            api.create(parent=PARENT, connectorId="conn", body=bad).execute()
        assert info.value.resp.status == 400
    op = finish(ops, api.create(parent=PARENT, connectorId="conn", body=base).execute())
    assert op["response"]["state"] == "READY"
    got = api.get(name=f"{PARENT}/connectors/conn").execute()
    assert got["machineType"] == "e2-micro" and got["minInstances"] == 2 and got["maxThroughput"] == 400
    with pytest.raises(HttpError) as info:
        api.patch(name=got["name"], updateMask="maxInstances", body={"maxInstances": 3}).execute()
    assert info.value.resp.status == 400
    with pytest.raises(HttpError):
        api.patch(name=got["name"], updateMask="ipCidrRange", body={"ipCidrRange": "10.8.0.32/28"}).execute()
    finish(
        ops,
        api.patch(
            name=got["name"],
            updateMask="maxInstances,machineType",
            body={"maxInstances": 6, "machineType": "f1-micro"},
        ).execute(),
    )
    got = api.get(name=got["name"]).execute()
    assert (got["maxInstances"], got["machineType"], got["state"]) == (6, "f1-micro", "READY")
    by_subnet = {"subnet": {"name": "conn-sub"}, "minThroughput": 200, "maxThroughput": 500}
    finish(ops, api.create(parent=PARENT, connectorId="conn2", body=by_subnet).execute())
    second = api.get(name=f"{PARENT}/connectors/conn2").execute()
    assert (second["network"], second["maxInstances"]) == ("vpc", 5)
    assert [c["name"].rsplit("/", 1)[1] for c in api.list(parent=PARENT).execute()["connectors"]] == [
        "conn",
        "conn2",
    ]
    overlapping = {"name": "x", "network": NET, "ipCidrRange": "10.8.0.16/29"}
    with pytest.raises(HttpError):
        compute.subnetworks().insert(project=PROJECT, region=REGION, body=overlapping).execute()
    with pytest.raises(HttpError):
        compute.subnetworks().delete(project=PROJECT, region=REGION, subnetwork="conn-sub").execute()
    finish(ops, api.delete(name=got["name"]).execute())
    with pytest.raises(HttpError) as info:
        api.get(name=got["name"]).execute()
    assert info.value.resp.status == 404


def test_connector_shows_creating_until_done(emu: Emulator) -> None:
    compute, va = compute_client(emu), client(emu, "vpcaccess")
    make_network(compute)
    emu.ctx.operations.delay_s = 60
    api = va.projects().locations().connectors()
    op = api.create(
        parent=PARENT,
        connectorId="slow",
        body={"network": "vpc", "ipCidrRange": "10.8.0.0/28", "maxInstances": 3},
    ).execute()
    assert not op["done"]
    assert api.get(name=f"{PARENT}/connectors/slow").execute()["state"] == "CREATING"
    emu.advance_time(61)
    assert api.get(name=f"{PARENT}/connectors/slow").execute()["state"] == "READY"
    emu.faults.configure(operation_failure_rate=1.0)
    body = {"network": "vpc", "ipCidrRange": "10.8.0.16/28", "maxInstances": 3}
    api.create(parent=PARENT, connectorId="doomed", body=body).execute()
    assert api.get(name=f"{PARENT}/connectors/doomed").execute()["state"] == "CREATING"
    emu.advance_time(61)
    with pytest.raises(HttpError) as info:
        api.get(name=f"{PARENT}/connectors/doomed").execute()
    assert info.value.resp.status == 404


def test_connector_operation_names_the_version_called_and_its_end_once_done(slow: Emulator) -> None:
    emu = slow
    compute_client(emu).networks().insert(
        project=PROJECT, body={"name": "vpc", "autoCreateSubnetworks": False}
    ).execute()
    emu.advance_time(SLOW_OPERATION_S + 1)
    for version, cidr in (("v1", "10.8.0.16/28"), ("v1beta1", "10.8.0.32/28")):
        body = {"network": "vpc", "ipCidrRange": cidr, "maxInstances": 4}
        doc = load_document("vpcaccess", version).raw
        va = build_from_document(
            doc, http=httplib2.Http(timeout=30), client_options={"api_endpoint": emu.base_url + "/"}
        )
        api, ops = va.projects().locations().connectors(), va.projects().locations().operations()
        started = api.create(parent=PARENT, connectorId=f"c-{version}", body=body).execute()
        method = f"google.cloud.vpcaccess.{version}.VpcAccessService.CreateConnector"
        assert started["metadata"]["method"] == method
        assert (
            started["metadata"]["@type"] == "type.googleapis.com/google.cloud.vpcaccess.v1.OperationMetadata"
        )
        assert "endTime" not in started["metadata"] and not started.get("done")
        emu.advance_time(SLOW_OPERATION_S + 1)
        done = ops.get(name=started["name"]).execute()
        assert done["metadata"]["endTime"] >= done["metadata"]["createTime"]
