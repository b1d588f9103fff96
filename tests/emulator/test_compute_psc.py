"""Private Service Connect: service attachments and the consumer rules that reach them.

What a caller notices of the real API: an attachment fronts an existing producer forwarding rule
through NAT subnetworks of purpose PRIVATE_SERVICE_CONNECT, is read back without a region, and is
named in its own words when it is not there; a consumer forwarding rule with no scheme sends to
the attachment from the IP it is given.
"""

from __future__ import annotations

from typing import Any

import pytest

from emulator import Emulator
from tests.emulator.conftest import PROJECT
from tests.emulator.test_compute import (
    NET,
    REGION,
    compute_client,
    done,
    make_network,
    make_subnet,
    status_of,
)

REGIONAL = f"projects/{PROJECT}/regions/{REGION}"
SUB = f"{REGIONAL}/subnetworks/sub"
NAT = f"{REGIONAL}/subnetworks/nat"
PRODUCER = f"{REGIONAL}/forwardingRules/ilb"


@pytest.fixture
def compute(emu: Emulator) -> Any:
    client = compute_client(emu)
    make_network(client)
    make_subnet(client)
    make_subnet(client, "nat", "10.1.0.0/16", purpose="PRIVATE_SERVICE_CONNECT")
    service = {"name": "svc", "loadBalancingScheme": "INTERNAL", "protocol": "TCP"}
    done(client, client.regionBackendServices().insert(project=PROJECT, region=REGION, body=service))
    rule = {
        "name": "ilb",
        "loadBalancingScheme": "INTERNAL",
        "allPorts": True,
        "network": NET,
        "subnetwork": SUB,
        "backendService": f"{REGIONAL}/backendServices/svc",
    }
    done(client, client.forwardingRules().insert(project=PROJECT, region=REGION, body=rule))
    return client


def _attachment(**extra: Any) -> dict[str, Any]:
    return {
        "name": "sa",
        "connectionPreference": "ACCEPT_AUTOMATIC",
        "consumerRejectLists": [],
        "enableProxyProtocol": True,
        "natSubnets": [NAT],
        "targetService": PRODUCER,
        **extra,
    }


def test_attachment_is_served_and_reached_by_a_consumer_rule(compute: Any) -> None:
    attachments = compute.serviceAttachments()
    missing = attachments.get(project=PROJECT, region=REGION, serviceAttachment="sa")
    assert status_of(missing) == (404, "notFound")
    with pytest.raises(Exception) as info:
        missing.execute()
    assert f'serviceAttachment "{REGIONAL}/serviceAttachments/sa" not found' in str(info.value)
    done(compute, attachments.insert(project=PROJECT, region=REGION, body=_attachment()))
    got = attachments.get(project=PROJECT, region=REGION, serviceAttachment="sa").execute()
    assert got["kind"] == "compute#serviceAttachment"
    assert got["targetService"].endswith(PRODUCER) and got["natSubnets"][0].endswith(NAT)
    assert got["enableProxyProtocol"] is True and got["fingerprint"]
    assert "region" not in got and "consumerRejectLists" not in got
    consumer = {
        "name": "psc",
        "IPAddress": "8.8.8.8",
        "loadBalancingScheme": "",
        "network": NET,
        "target": f"{REGIONAL}/serviceAttachments/sa",
    }
    done(compute, compute.forwardingRules().insert(project=PROJECT, region=REGION, body=consumer))
    rule = compute.forwardingRules().get(project=PROJECT, region=REGION, forwardingRule="psc").execute()
    assert rule["IPAddress"] == "8.8.8.8" and "loadBalancingScheme" not in rule
    assert rule["target"].endswith("/serviceAttachments/sa")
    listed = attachments.list(project=PROJECT, region=REGION).execute()
    assert [a["name"] for a in listed["items"]] == ["sa"]
    done(compute, compute.forwardingRules().delete(project=PROJECT, region=REGION, forwardingRule="psc"))
    done(compute, attachments.delete(project=PROJECT, region=REGION, serviceAttachment="sa"))
    assert status_of(missing)[0] == 404


def test_attachment_needs_its_parts(compute: Any) -> None:
    attachments = compute.serviceAttachments()

    def insert(**extra: Any) -> Any:
        return attachments.insert(project=PROJECT, region=REGION, body=_attachment(**extra))

    assert status_of(insert(connectionPreference="SOMETIMES"))[0] == 400
    assert status_of(insert(targetService=f"{REGIONAL}/forwardingRules/nope"))[0] == 404
    assert status_of(insert(natSubnets=[]))[0] == 400
    assert status_of(insert(natSubnets=[f"{REGIONAL}/subnetworks/nope"]))[0] == 404
    done(compute, insert())
    patch = attachments.patch
    stale = {"fingerprint": "c3RhbGVzdGFsZQ==", "description": "x"}
    assert status_of(patch(project=PROJECT, region=REGION, serviceAttachment="sa", body=stale))[0] == 412
    for wrong in ({"connectionPreference": "SOMETIMES"}, {"natSubnets": []}, {"targetService": SUB}):
        assert status_of(patch(project=PROJECT, region=REGION, serviceAttachment="sa", body=wrong))[0] == 400


def test_attachment_patch_changes_connection_settings(compute: Any) -> None:
    attachments = compute.serviceAttachments()
    done(compute, attachments.insert(project=PROJECT, region=REGION, body=_attachment()))
    before = attachments.get(project=PROJECT, region=REGION, serviceAttachment="sa").execute()
    body = {
        "fingerprint": before["fingerprint"],
        "connectionPreference": "ACCEPT_MANUAL",
        "consumerRejectLists": ["other-project"],
        "enableProxyProtocol": False,
    }
    done(compute, attachments.patch(project=PROJECT, region=REGION, serviceAttachment="sa", body=body))
    after = attachments.get(project=PROJECT, region=REGION, serviceAttachment="sa").execute()
    assert after["connectionPreference"] == "ACCEPT_MANUAL"
    assert after["consumerRejectLists"] == ["other-project"] and after["enableProxyProtocol"] is False
    assert after["fingerprint"] != before["fingerprint"] and after["targetService"] == before["targetService"]


def test_a_psc_subnetwork_takes_its_range_as_given(emu: Emulator) -> None:
    client = compute_client(emu)
    make_network(client)
    make_subnet(client, "auto", "10.180.0.0/20")
    # Host bits set and over another subnetwork: refused for an ordinary subnetwork ...
    body = {"name": "plain", "network": NET, "ipCidrRange": "10.180.0.0/10"}
    assert status_of(client.subnetworks().insert(project=PROJECT, region=REGION, body=body))[0] == 400
    # ... taken and read back as sent for Private Service Connect, as real GCP answers it.
    psc = make_subnet(client, "psc", "10.180.0.0/10", purpose="PRIVATE_SERVICE_CONNECT")
    assert psc["ipCidrRange"] == "10.180.0.0/10" and psc["purpose"] == "PRIVATE_SERVICE_CONNECT"
