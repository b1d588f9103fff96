"""Regional addresses and forwarding rules, through the discovery client.

What a caller notices of the real API: an internal address takes an IP of its subnetwork and
the purpose GCE_ENDPOINT, an external one a PREMIUM tier; a forwarding rule sends to a target
or a backend service that must exist, shows its port range as `low-high`, takes a reserved
address whose type matches its scheme, and an address a rule serves on is IN_USE and kept.
"""

from __future__ import annotations

import ipaddress
from typing import Any

import pytest
from googleapiclient.errors import HttpError

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

SUB = f"projects/{PROJECT}/regions/{REGION}/subnetworks/sub"
REGIONAL = f"projects/{PROJECT}/regions/{REGION}"


@pytest.fixture
def compute(emu: Emulator) -> Any:
    client = compute_client(emu)
    make_network(client)
    make_subnet(client)
    return client


def _address(compute: Any, **body: Any) -> dict[str, Any]:
    done(compute, compute.addresses().insert(project=PROJECT, region=REGION, body=body))
    return compute.addresses().get(project=PROJECT, region=REGION, address=body["name"]).execute()


def test_internal_address_takes_an_ip_of_its_subnetwork(compute: Any) -> None:
    first = _address(compute, name="one", addressType="INTERNAL", subnetwork=SUB)
    second = _address(compute, name="two", addressType="INTERNAL", subnetwork=SUB)
    assert ipaddress.ip_address(first["address"]) in ipaddress.ip_network("10.0.0.0/20")
    assert first["address"] != second["address"]
    assert first["purpose"] == "GCE_ENDPOINT" and first["networkTier"] == "PREMIUM"
    assert first["status"] == "RESERVED" and first["description"] == ""
    assert first["subnetwork"].endswith(SUB)
    taken = {"name": "three", "addressType": "INTERNAL", "subnetwork": SUB, "address": first["address"]}
    assert status_of(compute.addresses().insert(project=PROJECT, region=REGION, body=taken))[0] == 400
    outside = {**taken, "address": "10.9.0.5"}
    assert status_of(compute.addresses().insert(project=PROJECT, region=REGION, body=outside))[0] == 400


def test_address_fields_follow_its_type(compute: Any) -> None:
    external = _address(compute, name="ext", region=f"projects/{PROJECT}/global/regions/{REGION}")
    assert external["addressType"] == "EXTERNAL" and external["networkTier"] == "PREMIUM"
    assert external["region"].endswith(REGIONAL)
    no_subnet = {"name": "int", "addressType": "INTERNAL"}
    assert status_of(compute.addresses().insert(project=PROJECT, region=REGION, body=no_subnet)) == (
        400,
        "required",
    )
    external_on_subnet = {"name": "ext2", "subnetwork": SUB}
    assert (
        status_of(compute.addresses().insert(project=PROJECT, region=REGION, body=external_on_subnet))[0]
        == 400
    )
    missing = {"name": "int2", "addressType": "INTERNAL", "subnetwork": f"{REGIONAL}/subnetworks/nope"}
    assert status_of(compute.addresses().insert(project=PROJECT, region=REGION, body=missing))[0] == 404


def test_regional_address_labels_need_the_current_fingerprint(compute: Any) -> None:
    address = _address(compute, name="ext", labels={"a": "b"})
    body = {"labels": {"a": "c"}, "labelFingerprint": "c3RhbGU="}
    request = compute.addresses().setLabels(project=PROJECT, region=REGION, resource="ext", body=body)
    assert status_of(request)[0] == 412
    body["labelFingerprint"] = address["labelFingerprint"]
    done(compute, compute.addresses().setLabels(project=PROJECT, region=REGION, resource="ext", body=body))
    again = compute.addresses().get(project=PROJECT, region=REGION, address="ext").execute()
    assert again["labels"] == {"a": "c"} and again["labelFingerprint"] != address["labelFingerprint"]


def test_forwarding_rule_needs_a_destination_that_exists(compute: Any) -> None:
    rules = compute.forwardingRules()
    no_destination = {"name": "fr", "loadBalancingScheme": "INTERNAL", "subnetwork": SUB}
    assert status_of(rules.insert(project=PROJECT, region=REGION, body=no_destination)) == (400, "required")
    missing = {**no_destination, "backendService": f"{REGIONAL}/backendServices/nope", "allPorts": True}
    assert status_of(rules.insert(project=PROJECT, region=REGION, body=missing))[0] == 404
    vpn = {"name": "fr", "IPProtocol": "ESP", "target": f"{REGIONAL}/targetVpnGateways/nope"}
    assert status_of(rules.insert(project=PROJECT, region=REGION, body=vpn))[0] == 404
    both = {**missing, "target": f"{REGIONAL}/targetVpnGateways/nope"}
    assert status_of(rules.insert(project=PROJECT, region=REGION, body=both))[0] == 400


def _tcp_proxy_rule(compute: Any, **extra: Any) -> dict[str, Any]:
    """A regional rule on a regional target TCP proxy in front of a regional backend service."""
    service = {"name": "svc", "loadBalancingScheme": "INTERNAL_MANAGED", "protocol": "TCP"}
    insert = compute.regionBackendServices().insert(project=PROJECT, region=REGION, body=service)
    try:
        done(compute, insert)
    except HttpError as error:
        if error.resp.status != 501:
            raise
        pytest.skip("regional backend services are not served by this emulator")
    proxy = {"name": "tcp", "service": f"{REGIONAL}/backendServices/svc"}
    done(compute, compute.regionTargetTcpProxies().insert(project=PROJECT, region=REGION, body=proxy))
    rule = {
        "name": "fr",
        "loadBalancingScheme": "INTERNAL_MANAGED",
        "portRange": "90",
        "network": NET,
        "subnetwork": SUB,
        "target": f"{REGIONAL}/targetTcpProxies/tcp",
        **extra,
    }
    done(compute, compute.forwardingRules().insert(project=PROJECT, region=REGION, body=rule))
    return compute.forwardingRules().get(project=PROJECT, region=REGION, forwardingRule="fr").execute()


def test_external_rule_takes_a_reserved_external_address(compute: Any) -> None:
    ext = _address(compute, name="ext")
    internal = _address(compute, name="int", addressType="INTERNAL", subnetwork=SUB)
    rules = compute.forwardingRules()
    vpn = {"name": "fr", "IPProtocol": "ESP", "target": f"{REGIONAL}/targetVpnGateways/gw"}
    wrong = {**vpn, "IPAddress": f"{REGIONAL}/addresses/int"}
    assert status_of(rules.insert(project=PROJECT, region=REGION, body=wrong))[0] == 400
    unreserved = {**vpn, "IPAddress": "203.0.113.9"}
    assert status_of(rules.insert(project=PROJECT, region=REGION, body=unreserved))[0] == 400
    assert internal["address"] != ext["address"]


def test_forwarding_rule_answers_as_google_shows_it(compute: Any) -> None:
    rule = _tcp_proxy_rule(compute, labels={"a": "b"})
    assert "labels" not in rule  # an insert's labels are not applied; setLabels sets them
    assert rule["portRange"] == "90-90" and rule["IPProtocol"] == "TCP"
    assert rule["networkTier"] == "PREMIUM" and rule["description"] == ""
    assert ipaddress.ip_address(rule["IPAddress"]) in ipaddress.ip_network("10.0.0.0/20")
    assert rule["subnetwork"].endswith(SUB) and rule["region"].endswith(REGIONAL)


def test_address_a_rule_serves_on_is_in_use_and_kept(compute: Any) -> None:
    internal = _address(compute, name="int", addressType="INTERNAL", subnetwork=SUB)
    rule = _tcp_proxy_rule(compute, IPAddress=internal["address"])
    assert rule["IPAddress"] == internal["address"]
    address = compute.addresses().get(project=PROJECT, region=REGION, address="int").execute()
    assert address["status"] == "IN_USE" and address["users"] == [rule["selfLink"]]
    request = compute.addresses().delete(project=PROJECT, region=REGION, address="int")
    assert status_of(request) == (400, "resourceInUseByAnotherResource")
    done(compute, compute.forwardingRules().delete(project=PROJECT, region=REGION, forwardingRule="fr"))
    done(compute, compute.addresses().delete(project=PROJECT, region=REGION, address="int"))


def _self_signed() -> tuple[str, str]:
    """A PEM certificate valid for a year and its key."""
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "app.example.com")])
    now = datetime.datetime(2030, 1, 1, tzinfo=datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=365))
        .sign(key, hashes.SHA256())
    )
    pem = cert.public_bytes(serialization.Encoding.PEM).decode()
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    return pem, private


def test_regional_certificate_shows_its_certificate_and_expiry(compute: Any) -> None:
    pem, key = _self_signed()
    body = {
        "name": "cert",
        "certificate": pem,
        "privateKey": key,
        "region": f"projects/{PROJECT}/global/regions/{REGION}",
    }
    done(compute, compute.regionSslCertificates().insert(project=PROJECT, region=REGION, body=body))
    cert = (
        compute.regionSslCertificates().get(project=PROJECT, region=REGION, sslCertificate="cert").execute()
    )
    assert cert["type"] == "SELF_MANAGED" and cert["selfManaged"] == {"certificate": pem}
    assert cert["expireTime"].startswith("2031-01-01T") and "privateKey" not in cert
    assert cert["region"].endswith(REGIONAL)
    keyless = {"name": "bare", "certificate": pem}
    request = compute.regionSslCertificates().insert(project=PROJECT, region=REGION, body=keyless)
    assert status_of(request) == (400, "required")


def test_regional_security_policy_keeps_a_default_rule_and_its_fingerprint(compute: Any) -> None:
    policies = compute.regionSecurityPolicies()
    deny_all = {
        "action": "deny(403)",
        "priority": 2147483647,
        "match": {"versionedExpr": "SRC_IPS_V1", "config": {"srcIpRanges": ["*"]}},
    }
    bad_type = {"name": "edge", "type": "CLOUD_ARMOR_EDGE"}
    assert status_of(policies.insert(project=PROJECT, region=REGION, body=bad_type))[0] == 400
    done(compute, policies.insert(project=PROJECT, region=REGION, body={"name": "p", "rules": [deny_all]}))
    policy = policies.get(project=PROJECT, region=REGION, securityPolicy="p").execute()
    assert policy["type"] == "CLOUD_ARMOR" and policy["region"].endswith(REGIONAL)
    assert policy["rules"] == [
        {**deny_all, "kind": "compute#securityPolicyRule", "description": "", "preview": False}
    ]
    stale = {"description": "new", "fingerprint": "c3RhbGU="}
    assert status_of(policies.patch(project=PROJECT, region=REGION, securityPolicy="p", body=stale))[0] == 412
    fresh = {"description": "new", "fingerprint": policy["fingerprint"]}
    done(compute, policies.patch(project=PROJECT, region=REGION, securityPolicy="p", body=fresh))
    assert policies.get(project=PROJECT, region=REGION, securityPolicy="p").execute()["description"] == "new"


ROUTED = {
    "name": "map",
    "hostRules": [{"hosts": ["mysite.com"], "pathMatcher": "allpaths"}],
    "pathMatchers": [
        {
            "name": "allpaths",
            "pathRules": [
                {
                    "paths": ["/home"],
                    "routeAction": {"retryPolicy": {"numRetries": 4, "perTryTimeout": {"seconds": "30"}}},
                }
            ],
        }
    ],
    "tests": [{"host": "hi.com", "path": "/home"}],
}


def test_regional_url_map_routes_within_its_region_and_needs_its_fingerprint(compute: Any) -> None:
    maps = compute.regionUrlMaps()
    elsewhere = {"name": "map", "defaultService": f"projects/{PROJECT}/global/backendServices/api"}
    assert status_of(maps.insert(project=PROJECT, region=REGION, body=elsewhere))[0] == 400
    missing = {"name": "map", "defaultService": f"{REGIONAL}/backendServices/nope"}
    assert status_of(maps.insert(project=PROJECT, region=REGION, body=missing))[0] == 404
    done(compute, maps.insert(project=PROJECT, region=REGION, body=ROUTED))
    url_map = maps.get(project=PROJECT, region=REGION, urlMap="map").execute()
    assert url_map["tests"] == [{"description": "", "host": "hi.com", "path": "/home"}]
    retry = url_map["pathMatchers"][0]["pathRules"][0]["routeAction"]["retryPolicy"]
    assert retry["perTryTimeout"] == {"seconds": "30", "nanos": 0}
    stale = {**ROUTED, "description": "new", "fingerprint": "c3RhbGU="}
    assert status_of(maps.update(project=PROJECT, region=REGION, urlMap="map", body=stale))[0] == 412
    fresh = {**stale, "fingerprint": url_map["fingerprint"]}
    done(compute, maps.update(project=PROJECT, region=REGION, urlMap="map", body=fresh))
    assert maps.get(project=PROJECT, region=REGION, urlMap="map").execute()["description"] == "new"


def test_regional_https_proxy_needs_its_map_and_certificates_and_keeps_them(compute: Any) -> None:
    done(compute, compute.regionUrlMaps().insert(project=PROJECT, region=REGION, body=ROUTED))
    pem, key = _self_signed()
    cert = {"name": "cert", "certificate": pem, "privateKey": key}
    done(compute, compute.regionSslCertificates().insert(project=PROJECT, region=REGION, body=cert))
    proxies = compute.regionTargetHttpsProxies()
    proxy = {"name": "https", "urlMap": f"{REGIONAL}/urlMaps/map"}
    assert status_of(proxies.insert(project=PROJECT, region=REGION, body=proxy)) == (400, "required")
    foreign = {
        **proxy,
        "sslCertificates": ["//certificatemanager.googleapis.com/projects/p/locations/x/certificates/c"],
    }
    # A Certificate Manager certificate that does not exist is a missing reference.
    assert status_of(proxies.insert(project=PROJECT, region=REGION, body=foreign)) == (404, "notFound")
    proxy["sslCertificates"] = [f"{REGIONAL}/sslCertificates/cert"]
    done(compute, proxies.insert(project=PROJECT, region=REGION, body=proxy))
    shown = proxies.get(project=PROJECT, region=REGION, targetHttpsProxy="https").execute()
    assert shown["tlsEarlyData"] == "DISABLED" and shown["fingerprint"] and "quicOverride" not in shown
    in_use = (400, "resourceInUseByAnotherResource")
    assert status_of(compute.regionUrlMaps().delete(project=PROJECT, region=REGION, urlMap="map")) == in_use
    request = compute.regionSslCertificates().delete(project=PROJECT, region=REGION, sslCertificate="cert")
    assert status_of(request) == in_use
    done(
        compute,
        proxies.patch(
            project=PROJECT, region=REGION, targetHttpsProxy="https", body={"quicOverride": "ENABLE"}
        ),
    )
    assert (
        proxies.get(project=PROJECT, region=REGION, targetHttpsProxy="https").execute()["quicOverride"]
        == "ENABLE"
    )
