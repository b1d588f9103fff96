"""Compute Engine networking through the googleapiclient discovery client."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any

import httplib2
import pytest
from googleapiclient.discovery import build_from_document
from googleapiclient.errors import HttpError

from emulator import Emulator, EmulatorConfig
from emulator.discovery import load_document
from tests.emulator.conftest import PROJECT

REGION = "europe-west1"
NET = f"projects/{PROJECT}/global/networks/vpc"


def compute_client(emu: Emulator) -> Any:
    doc = load_document("compute", "v1").raw
    return build_from_document(
        doc, http=httplib2.Http(timeout=30), client_options={"api_endpoint": emu.base_url + "/compute/v1/"}
    )


@pytest.fixture
def compute(emu: Emulator) -> Any:
    return compute_client(emu)


def wait(compute: Any, op: dict[str, Any], timeout: float = 10) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    region = op.get("region", "").rsplit("/", 1)[-1] or None
    zone = op.get("zone", "").rsplit("/", 1)[-1] or None
    while op["status"] != "DONE":
        assert time.monotonic() < deadline, op
        if zone:
            op = compute.zoneOperations().wait(project=PROJECT, zone=zone, operation=op["name"]).execute()
        elif region:
            op = (
                compute.regionOperations()
                .wait(project=PROJECT, region=region, operation=op["name"])
                .execute()
            )
        else:
            op = compute.globalOperations().wait(project=PROJECT, operation=op["name"]).execute()
    return op


def done(compute: Any, request: Any) -> dict[str, Any]:
    op = wait(compute, request.execute())
    assert "error" not in op, op
    return op


def make_network(compute: Any, name: str = "vpc") -> None:
    body = {"name": name, "autoCreateSubnetworks": False}
    done(compute, compute.networks().insert(project=PROJECT, body=body))


def make_subnet(compute: Any, name: str = "sub", cidr: str = "10.0.0.0/20", **extra: Any) -> dict[str, Any]:
    body = {"name": name, "network": NET, "ipCidrRange": cidr, **extra}
    done(compute, compute.subnetworks().insert(project=PROJECT, region=REGION, body=body))
    return compute.subnetworks().get(project=PROJECT, region=REGION, subnetwork=name).execute()


def status_of(request: Any) -> tuple[int, str]:
    with pytest.raises(HttpError) as info:
        request.execute()
    reason = info.value.error_details[0].get("reason", "") if info.value.error_details else ""
    return info.value.resp.status, reason


def test_network_appears_only_when_its_operation_is_done() -> None:
    with Emulator(EmulatorConfig(projects=[PROJECT], operation_delay_s=0.6)) as emu:
        emu.start()
        compute = compute_client(emu)
        op = (
            compute.networks()
            .insert(project=PROJECT, body={"name": "vpc", "autoCreateSubnetworks": False})
            .execute()
        )
        assert op["kind"] == "compute#operation"
        assert op["status"] == "RUNNING"
        assert op["targetLink"] == f"https://www.googleapis.com/compute/v1/{NET}"
        assert status_of(compute.networks().get(project=PROJECT, network="vpc"))[0] == 404
        seen = compute.globalOperations().get(project=PROJECT, operation=op["name"]).execute()
        assert seen["status"] in ("PENDING", "RUNNING")
        finished = wait(compute, op)
        assert finished["progress"] == 100 and finished["endTime"]
        network = compute.networks().get(project=PROJECT, network="vpc").execute()
        assert network["selfLink"].startswith("https://www.googleapis.com/compute/v1/projects/")
        assert network["id"].isdigit() and network["creationTimestamp"]
        # No mtu asked, none shown (Google uses 1460 and says nothing, as recorded).
        assert "mtu" not in network and "enableUlaInternalIpv6" not in network
        # No routingConfig asked, none shown (it routes regionally), as recorded.
        assert "routingConfig" not in network
        assert network["autoCreateSubnetworks"] is False
        assert not any(k.startswith("x_gcloud") for k in network)


def test_failed_operation_leaves_nothing(emu: Emulator, compute: Any) -> None:
    emu.faults.configure(operation_failure_rate=1.0)
    op = wait(
        compute,
        compute.networks()
        .insert(project=PROJECT, body={"name": "vpc", "autoCreateSubnetworks": False})
        .execute(),
    )
    assert op["error"]["errors"][0]["code"] == "INTERNAL_ERROR"
    assert op["httpErrorStatusCode"] == 500
    emu.faults.clear()
    assert status_of(compute.networks().get(project=PROJECT, network="vpc"))[0] == 404
    make_network(compute)


def test_duplicate_insert_is_409_and_request_id_replays(compute: Any) -> None:
    request_id = str(uuid.uuid4())
    body = {"name": "vpc", "autoCreateSubnetworks": False}
    first = compute.networks().insert(project=PROJECT, body=body, requestId=request_id).execute()
    wait(compute, first)
    again = compute.networks().insert(project=PROJECT, body=body, requestId=request_id).execute()
    assert again["name"] == first["name"]
    with pytest.raises(HttpError) as info:
        compute.networks().insert(project=PROJECT, body=body).execute()
    assert info.value.resp.status == 409
    assert f"The resource '{NET}' already exists" in str(info.value)


def test_auto_mode_network_gets_a_subnet_per_region(compute: Any) -> None:
    done(compute, compute.networks().insert(project=PROJECT, body={"name": "auto"}))
    network = compute.networks().get(project=PROJECT, network="auto").execute()
    assert network["autoCreateSubnetworks"] is True
    assert len(network["subnetworks"]) > 30
    # Google's auto mode range per region, in the order regions opened, not by name.
    ranges = {
        "us-central1": ("10.128.0.0/20", "10.128.0.1"),
        REGION: ("10.132.0.0/20", "10.132.0.1"),
        "europe-west9": ("10.200.0.0/20", "10.200.0.1"),
    }
    for region, (cidr, gateway) in ranges.items():
        subnet = compute.subnetworks().get(project=PROJECT, region=region, subnetwork="auto").execute()
        assert (subnet["ipCidrRange"], subnet["gatewayAddress"]) == (cidr, gateway)
    done(compute, compute.networks().delete(project=PROJECT, network="auto"))
    assert status_of(compute.subnetworks().get(project=PROJECT, region=REGION, subnetwork="auto"))[0] == 404


def test_network_immutable_fields_are_refused(compute: Any) -> None:
    make_network(compute)
    assert (
        status_of(
            compute.networks().patch(project=PROJECT, network="vpc", body={"autoCreateSubnetworks": True})
        )[0]
        == 400
    )
    done(compute, compute.networks().patch(project=PROJECT, network="vpc", body={"mtu": 1500}))
    assert compute.networks().get(project=PROJECT, network="vpc").execute()["mtu"] == 1500


def test_subnet_fingerprint_and_immutable_fields(compute: Any) -> None:
    make_network(compute)
    subnet = make_subnet(compute, secondaryIpRanges=[{"rangeName": "pods", "ipCidrRange": "10.4.0.0/14"}])
    api = compute.subnetworks()
    stale = subnet["fingerprint"]
    patch = {"logConfig": {"enable": True}, "fingerprint": stale}
    done(compute, api.patch(project=PROJECT, region=REGION, subnetwork="sub", body=patch))
    current = api.get(project=PROJECT, region=REGION, subnetwork="sub").execute()
    assert current["logConfig"]["enable"] is True and current["fingerprint"] != stale
    assert status_of(api.patch(project=PROJECT, region=REGION, subnetwork="sub", body=patch)) == (
        412,
        "conditionNotMet",
    )
    assert (
        status_of(
            api.patch(project=PROJECT, region=REGION, subnetwork="sub", body={"logConfig": {"enable": False}})
        )[0]
        == 400
    )
    renamed = {"ipCidrRange": "10.0.0.0/16", "fingerprint": current["fingerprint"]}
    assert status_of(api.patch(project=PROJECT, region=REGION, subnetwork="sub", body=renamed))[0] == 400
    shrink = {"ipCidrRange": "10.0.0.0/24"}
    assert (
        status_of(api.expandIpCidrRange(project=PROJECT, region=REGION, subnetwork="sub", body=shrink))[0]
        == 400
    )
    done(
        compute,
        api.expandIpCidrRange(
            project=PROJECT, region=REGION, subnetwork="sub", body={"ipCidrRange": "10.0.0.0/19"}
        ),
    )
    done(
        compute,
        api.setPrivateIpGoogleAccess(
            project=PROJECT, region=REGION, subnetwork="sub", body={"privateIpGoogleAccess": True}
        ),
    )
    current = api.get(project=PROJECT, region=REGION, subnetwork="sub").execute()
    assert current["ipCidrRange"] == "10.0.0.0/19" and current["privateIpGoogleAccess"] is True


def test_subnet_references_and_overlaps(compute: Any) -> None:
    api = compute.subnetworks()
    missing = {"name": "sub", "network": NET, "ipCidrRange": "10.0.0.0/20"}
    assert status_of(api.insert(project=PROJECT, region=REGION, body=missing))[0] == 404
    make_network(compute)
    make_subnet(compute, secondaryIpRanges=[{"rangeName": "pods", "ipCidrRange": "10.4.0.0/14"}])
    for cidr in ("10.0.8.0/24", "10.5.0.0/16"):
        body = {
            "name": "other",
            "network": f"https://www.googleapis.com/compute/v1/{NET}",
            "ipCidrRange": cidr,
        }
        assert status_of(api.insert(project=PROJECT, region=REGION, body=body))[0] == 400
    twice = {
        "name": "other",
        "network": NET,
        "ipCidrRange": "10.1.0.0/20",
        "secondaryIpRanges": [
            {"rangeName": "a", "ipCidrRange": "10.2.0.0/20"},
            {"rangeName": "a", "ipCidrRange": "10.3.0.0/20"},
        ],
    }
    assert status_of(api.insert(project=PROJECT, region=REGION, body=twice))[0] == 400
    ok = {"name": "other", "network": "global/networks/vpc", "ipCidrRange": "10.1.0.0/20"}
    done(compute, api.insert(project=PROJECT, region=REGION, body=ok))


def test_network_in_use_cannot_be_deleted(compute: Any) -> None:
    make_network(compute)
    make_subnet(compute)
    assert status_of(compute.networks().delete(project=PROJECT, network="vpc")) == (
        400,
        "resourceInUseByAnotherResource",
    )
    done(compute, compute.subnetworks().delete(project=PROJECT, region=REGION, subnetwork="sub"))
    done(compute, compute.networks().delete(project=PROJECT, network="vpc"))


def test_router_with_nat(compute: Any) -> None:
    make_network(compute)
    api = compute.routers()
    nat = {
        "name": "nat",
        "natIpAllocateOption": "AUTO_ONLY",
        "sourceSubnetworkIpRangesToNat": "ALL_SUBNETWORKS_ALL_IP_RANGES",
    }
    done(
        compute,
        api.insert(project=PROJECT, region=REGION, body={"name": "rtr", "network": NET, "nats": [nat]}),
    )
    router = api.get(project=PROJECT, region=REGION, router="rtr").execute()
    # Timeouts not asked are not shown; the effective TIME_WAIT one is, as Google answers.
    assert "tcpEstablishedIdleTimeoutSec" not in router["nats"][0]
    assert router["nats"][0]["effectiveTcpTimeWaitTimeoutSec"] == 120
    assert router["nats"][0]["type"] == "PUBLIC"
    assert router["nats"][0]["autoNetworkTier"] == "PREMIUM"
    patched = {**nat, "logConfig": {"enable": True, "filter": "ERRORS_ONLY"}}
    done(compute, api.patch(project=PROJECT, region=REGION, router="rtr", body={"nats": [patched]}))
    router = api.get(project=PROJECT, region=REGION, router="rtr").execute()
    assert router["nats"][0]["logConfig"] == {"enable": True, "filter": "ERRORS_ONLY"}
    # The project's default tier is read back whichever way the addresses are allocated.
    address = {"name": "ip", "region": REGION}
    done(compute, compute.addresses().insert(project=PROJECT, region=REGION, body=address))
    ip = f"projects/{PROJECT}/regions/{REGION}/addresses/ip"
    manual = {**nat, "natIpAllocateOption": "MANUAL_ONLY", "natIps": [ip]}
    done(compute, api.patch(project=PROJECT, region=REGION, router="rtr", body={"nats": [manual]}))
    router = api.get(project=PROJECT, region=REGION, router="rtr").execute()
    assert router["nats"][0]["autoNetworkTier"] == "PREMIUM"
    bad = {"nats": [{"name": "nat", "sourceSubnetworkIpRangesToNat": "ALL_SUBNETWORKS_ALL_IP_RANGES"}]}
    assert status_of(api.patch(project=PROJECT, region=REGION, router="rtr", body=bad))[0] == 400
    assert (
        status_of(
            api.patch(project=PROJECT, region=REGION, router="rtr", body={"network": "global/networks/x"})
        )[0]
        == 400
    )
    assert status_of(compute.networks().delete(project=PROJECT, network="vpc"))[0] == 400


def test_global_address_rules_and_labels(compute: Any) -> None:
    make_network(compute)
    api = compute.globalAddresses()
    base = {"name": "psa", "purpose": "VPC_PEERING", "prefixLength": 16, "network": NET}
    assert status_of(api.insert(project=PROJECT, body=base))[0] == 400  # addressType missing (EXTERNAL)
    assert (
        status_of(
            api.insert(project=PROJECT, body={**base, "addressType": "INTERNAL", "prefixLength": None})
        )[0]
        == 400
    )
    done(
        compute,
        api.insert(
            project=PROJECT,
            body={**base, "addressType": "INTERNAL", "address": "10.100.0.0", "labels": {"env": "dev"}},
        ),
    )
    address = api.get(project=PROJECT, address="psa").execute()
    assert address["status"] == "RESERVED" and address["address"] == "10.100.0.0"
    # kcc-history sql/v1beta1/sqlinstance/postgresinstance@a0c29df460 #7
    assert (address["networkTier"], address["description"]) == ("PREMIUM", "")
    stale = address["labelFingerprint"]
    done(
        compute,
        api.setLabels(
            project=PROJECT, resource="psa", body={"labels": {"env": "prod"}, "labelFingerprint": stale}
        ),
    )
    again = api.setLabels(
        project=PROJECT, resource="psa", body={"labels": {"env": "x"}, "labelFingerprint": stale}
    )
    assert status_of(again)[0] == 412
    listed = api.list(project=PROJECT, filter="labels.env = prod").execute()
    assert [a["name"] for a in listed["items"]] == ["psa"]
    assert api.list(project=PROJECT, filter='(labels.env = "dev") (name = psa)').execute()["items"] == []
    overlapping = {
        "name": "psa2",
        "purpose": "VPC_PEERING",
        "addressType": "INTERNAL",
        "prefixLength": 24,
        "address": "10.100.5.0",
        "network": NET,
    }
    assert status_of(api.insert(project=PROJECT, body=overlapping))[0] == 400


def test_firewall_rules(compute: Any) -> None:
    api = compute.firewalls()
    rule = {
        "name": "allow-ssh",
        "network": NET,
        "allowed": [{"IPProtocol": "tcp", "ports": ["22"]}],
        "sourceRanges": ["35.235.240.0/20"],
    }
    assert status_of(api.insert(project=PROJECT, body=rule))[0] == 404
    make_network(compute)
    assert (
        status_of(
            api.insert(project=PROJECT, body={**rule, "allowed": [{"IPProtocol": "icmp", "ports": ["22"]}]})
        )[0]
        == 400
    )
    done(compute, api.insert(project=PROJECT, body=rule))
    got = api.get(project=PROJECT, firewall="allow-ssh").execute()
    # Made without logConfig, read back without one, as recorded on real GCP.
    assert got["priority"] == 1000 and got["direction"] == "INGRESS" and "logConfig" not in got
    done(compute, api.patch(project=PROJECT, firewall="allow-ssh", body={"priority": 900}))
    assert api.get(project=PROJECT, firewall="allow-ssh").execute()["priority"] == 900
    assert status_of(api.patch(project=PROJECT, firewall="allow-ssh", body={"direction": "EGRESS"}))[0] == 400
    assert status_of(compute.networks().delete(project=PROJECT, network="vpc"))[0] == 400


def test_list_paging_and_filters(compute: Any) -> None:
    for name in ("a-net", "b-net", "c-net"):
        make_network(compute, name)
    page = compute.networks().list(project=PROJECT, maxResults=2).execute()
    assert [n["name"] for n in page["items"]] == ["a-net", "b-net"]
    rest = compute.networks().list(project=PROJECT, maxResults=2, pageToken=page["nextPageToken"]).execute()
    assert [n["name"] for n in rest["items"]] == ["c-net"] and "nextPageToken" not in rest
    assert [
        n["name"] for n in compute.networks().list(project=PROJECT, filter="name = b-net").execute()["items"]
    ] == ["b-net"]
    assert len(compute.networks().list(project=PROJECT, filter="name != b-net").execute()["items"]) == 2
    assert len(compute.networks().list(project=PROJECT, filter='name eq "[ab]-net"').execute()["items"]) == 2
    assert status_of(compute.networks().list(project=PROJECT, filter="name ="))[0] == 400


def test_operation_wait_returns_early_at_its_cap() -> None:
    config = EmulatorConfig(projects=[PROJECT], operation_delay_s=30, operation_wait_cap_s=0.2)
    with Emulator(config) as emu:
        emu.start()
        compute = compute_client(emu)
        op = (
            compute.networks()
            .insert(project=PROJECT, body={"name": "vpc", "autoCreateSubnetworks": False})
            .execute()
        )
        start = time.monotonic()
        waited = compute.globalOperations().wait(project=PROJECT, operation=op["name"]).execute()
        assert waited["status"] != "DONE" and time.monotonic() - start < 2
        emu.advance_time(31)
        assert (
            compute.globalOperations().wait(project=PROJECT, operation=op["name"]).execute()["status"]
            == "DONE"
        )
        other = compute.regionOperations().get(project=PROJECT, region=REGION, operation=op["name"])
        assert status_of(other)[0] == 404


@pytest.fixture
def realistic() -> Iterator[Emulator]:
    with Emulator(
        EmulatorConfig(projects=[PROJECT], operation_profile="realistic", profile_scale=0.01)
    ) as emu:
        emu.start()
        yield emu


def test_realistic_profile_router_before_network(realistic: Emulator) -> None:
    compute = compute_client(realistic)
    net_op = (
        compute.networks()
        .insert(project=PROJECT, body={"name": "vpc", "autoCreateSubnetworks": False})
        .execute()
    )
    wait(compute, net_op)
    router_op = (
        compute.routers()
        .insert(project=PROJECT, region=REGION, body={"name": "rtr", "network": NET})
        .execute()
    )
    router = wait(compute, router_op)
    network = compute.globalOperations().get(project=PROJECT, operation=net_op["name"]).execute()

    def span(op: dict[str, Any]) -> float:
        from emulator.clock import parse_rfc3339

        return (parse_rfc3339(op["endTime"]) - parse_rfc3339(op["insertTime"])).total_seconds()

    assert span(router) == pytest.approx(0.11, abs=0.01)
    assert span(network) == pytest.approx(0.22, abs=0.01)


def test_output_only_fields_sent_on_insert_are_not_heard(compute) -> None:
    body = {
        "name": "heard-net",
        "autoCreateSubnetworks": False,
        "id": "42",
        "creationTimestamp": "1999-01-01",
    }
    wait(compute, compute.networks().insert(project=PROJECT, body=body).execute())
    network = compute.networks().get(project=PROJECT, network="heard-net").execute()
    assert network["id"] != "42" and not network["creationTimestamp"].startswith("1999")


def test_an_auto_mode_network_has_no_subnet_in_me_central2(compute: Any) -> None:
    # Real GCP listed 41 subnets for an auto mode network, none in me-central2 (kcc-golden
    # compute/v1beta1/computefirewall/computefirewall/_http.log #0).
    done(compute, compute.networks().insert(project=PROJECT, body={"name": "auto"}))
    network = compute.networks().get(project=PROJECT, network="auto").execute()
    regions = {link.split("/regions/")[1].split("/")[0] for link in network["subnetworks"]}
    assert "me-central2" not in regions and "us-central1" in regions
    assert "routingConfig" not in network


def test_a_firewall_patch_names_its_operation_by_method(compute: Any) -> None:
    make_network(compute)
    rule = {"name": "fw", "network": NET, "allowed": [{"IPProtocol": "tcp"}]}
    inserted = done(compute, compute.firewalls().insert(project=PROJECT, body=rule))
    patched = done(
        compute, compute.firewalls().patch(project=PROJECT, firewall="fw", body={"disabled": True})
    )
    assert inserted["operationType"] == "insert"
    assert patched["operationType"] == "compute.firewalls.patch"


def test_a_network_made_with_a_routing_mode_reads_it_back_with_the_bgp_default(compute: Any) -> None:
    body = {"name": "routed", "autoCreateSubnetworks": False, "routingConfig": {"routingMode": "GLOBAL"}}
    done(compute, compute.networks().insert(project=PROJECT, body=body))
    network = compute.networks().get(project=PROJECT, network="routed").execute()
    assert network["routingConfig"] == {"routingMode": "GLOBAL", "bgpBestPathSelectionMode": "LEGACY"}


def test_a_regional_neg_names_its_insert_and_delete_by_method(compute: Any) -> None:
    # Recorded: kcc-golden compute/v1beta1/computeregionnetworkendpointgroup/
    # cloudruncomputeregionnetworkendpointgroup/_http.log #5 and #8.
    groups = compute.regionNetworkEndpointGroups()
    body = {"name": "named-neg", "networkEndpointType": "SERVERLESS", "cloudRun": {"service": "api"}}
    made = done(compute, groups.insert(project=PROJECT, region=REGION, body=body))
    gone = done(compute, groups.delete(project=PROJECT, region=REGION, networkEndpointGroup="named-neg"))
    assert made["operationType"] == "compute.regionNetworkEndpointGroups.insert"
    assert gone["operationType"] == "compute.regionNetworkEndpointGroups.delete"


def test_a_subnetwork_takes_its_range_from_a_reserved_internal_range(emu: Emulator, compute: Any) -> None:
    # Recorded: kcc-golden compute/v1beta1/computesubnetwork/reservedinternalrange/_http.log.
    from googleapiclient.discovery import build

    make_network(compute)
    ranges = (
        build(
            "networkconnectivity",
            "v1",
            credentials=None,
            static_discovery=True,
            developerKey="x",
            client_options={"api_endpoint": emu.base_url + "/"},
        )
        .projects()
        .locations()
        .internalRanges()
    )
    parent = f"projects/{PROJECT}/locations/global"
    body = {"ipCidrRange": "10.128.0.0/20", "network": NET, "peering": "FOR_SELF", "usage": "FOR_VPC"}
    started = ranges.create(parent=parent, internalRangeId="reserved", body=body).execute()
    assert started["metadata"]["verb"] == "create"
    emu.advance_time(3600)
    reserved = ranges.get(name=f"{parent}/internalRanges/reserved").execute()
    assert reserved["ipCidrRange"] == "10.128.0.0/20" and "purpose" not in reserved

    ref = f"networkconnectivity.googleapis.com/{parent}/internalRanges/reserved"
    missing = {"name": "sub", "network": NET, "reservedInternalRange": ref.replace("reserved", "nope")}
    assert status_of(compute.subnetworks().insert(project=PROJECT, region=REGION, body=missing))[0] == 400
    subnet_body = {"name": "sub", "network": NET, "reservedInternalRange": ref}
    done(compute, compute.subnetworks().insert(project=PROJECT, region=REGION, body=subnet_body))
    subnet = compute.subnetworks().get(project=PROJECT, region=REGION, subnetwork="sub").execute()
    assert subnet["ipCidrRange"] == "10.128.0.0/20" and subnet["state"] == "READY"
    with pytest.raises(HttpError):  # in use by the subnetwork
        ranges.delete(name=f"{parent}/internalRanges/reserved").execute()


def test_a_private_service_connect_neg_names_a_google_api_from_an_existing_subnet(compute: Any) -> None:
    # Recorded: privateserviceconnectioncomputeregionnetworkendpointgroup/_http.log #33, #35.
    make_network(compute)
    make_subnet(compute)
    groups = compute.regionNetworkEndpointGroups()
    base = {"name": "psc", "networkEndpointType": "PRIVATE_SERVICE_CONNECT", "network": NET}
    subnet = f"projects/{PROJECT}/regions/{REGION}/subnetworks/sub"
    no_target = {**base, "subnetwork": subnet}
    assert status_of(groups.insert(project=PROJECT, region=REGION, body=no_target))[0] == 400
    elsewhere = {
        **no_target,
        "pscTargetService": f"{REGION}-cloudkms.googleapis.com",
        "subnetwork": subnet + "x",
    }
    assert status_of(groups.insert(project=PROJECT, region=REGION, body=elsewhere))[0] == 404
    body = {**no_target, "pscTargetService": f"{REGION}-cloudkms.googleapis.com"}
    done(compute, groups.insert(project=PROJECT, region=REGION, body=body))
    group = groups.get(project=PROJECT, region=REGION, networkEndpointGroup="psc").execute()
    assert group["pscTargetService"] == f"{REGION}-cloudkms.googleapis.com"
    assert group["network"] == NET and group["subnetwork"] == subnet and group["size"] == 0


def test_ula_internal_ipv6_gets_a_48_of_googles_prefix(compute: Any) -> None:
    import ipaddress

    api = compute.networks()
    make_network(compute)
    before = api.get(project=PROJECT, network="vpc").execute()
    assert "internalIpv6Range" not in before
    done(compute, api.patch(project=PROJECT, network="vpc", body={"enableUlaInternalIpv6": True}))
    drawn = api.get(project=PROJECT, network="vpc").execute()["internalIpv6Range"]
    assert "::" not in drawn and drawn.endswith("/48")
    assert ipaddress.IPv6Network(drawn).subnet_of(ipaddress.IPv6Network("fd20::/20"))
    chosen = {"name": "v6", "autoCreateSubnetworks": False, "enableUlaInternalIpv6": True}
    outside = {**chosen, "internalIpv6Range": "fd30:0:0:0:0:0:0:0/48"}
    assert status_of(api.insert(project=PROJECT, body=outside))[0] == 400
    done(compute, api.insert(project=PROJECT, body={**chosen, "internalIpv6Range": "fd20:1:2:0:0:0:0:0/48"}))
    assert api.get(project=PROJECT, network="v6").execute()["internalIpv6Range"] == "fd20:1:2:0:0:0:0:0/48"
