"""Target gRPC, SSL and TCP proxies and the global forwarding rules in front of them.

What a caller notices of the real API: a gRPC proxy needs a URL map that exists, an SSL or TCP
proxy a backend service (and an SSL proxy certificates) that exist; a proxy a rule targets
cannot be deleted; a Traffic Director rule lands on the `default` network; the setters change
what they name.
"""

from __future__ import annotations

from typing import Any

import pytest

from emulator import Emulator
from tests.emulator.conftest import PROJECT, SLOW_OPERATION_S
from tests.emulator.test_compute import compute_client, done, make_network, status_of
from tests.emulator.test_compute_lb import make_backend

GLOBAL = f"projects/{PROJECT}/global"


@pytest.fixture
def compute(emu: Emulator) -> Any:
    return compute_client(emu)


def _tcp_backend(compute: Any, name: str = "tcp") -> None:
    body = {"name": name, "loadBalancingScheme": "EXTERNAL", "protocol": "TCP"}
    done(compute, compute.backendServices().insert(project=PROJECT, body=body))


def test_grpc_proxy_needs_its_url_map_and_serves_a_traffic_director_rule(compute: Any) -> None:
    missing = {"name": "grpc", "urlMap": f"{GLOBAL}/urlMaps/nope"}
    assert status_of(compute.targetGrpcProxies().insert(project=PROJECT, body=missing)) == (404, "notFound")
    make_backend(compute, loadBalancingScheme="INTERNAL_SELF_MANAGED")
    url_map = {"name": "map", "defaultService": f"{GLOBAL}/backendServices/api"}
    done(compute, compute.urlMaps().insert(project=PROJECT, body=url_map))
    proxy = {"name": "grpc", "urlMap": f"{GLOBAL}/urlMaps/map", "validateForProxyless": True}
    op = done(compute, compute.targetGrpcProxies().insert(project=PROJECT, body=proxy))
    assert op["operationType"] == "compute.targetGrpcProxies.insert"
    shown = compute.targetGrpcProxies().get(project=PROJECT, targetGrpcProxy="grpc").execute()
    assert shown["fingerprint"] and shown["selfLinkWithId"].endswith(shown["id"])
    assert shown["validateForProxyless"] is True

    make_network(compute, "default")
    rule = {
        "name": "td",
        "loadBalancingScheme": "INTERNAL_SELF_MANAGED",
        "IPAddress": "0.0.0.0",
        "portRange": "100",
        "target": f"{GLOBAL}/targetGrpcProxies/grpc",
    }
    done(compute, compute.globalForwardingRules().insert(project=PROJECT, body=rule))
    made = compute.globalForwardingRules().get(project=PROJECT, forwardingRule="td").execute()
    assert made["network"].endswith(f"{GLOBAL}/networks/default") and made["portRange"] == "100-100"
    assert "selfLinkWithId" not in made
    request = compute.targetGrpcProxies().delete(project=PROJECT, targetGrpcProxy="grpc")
    assert status_of(request) == (400, "resourceInUseByAnotherResource")


def test_ssl_and_tcp_proxies_need_what_they_point_at(compute: Any) -> None:
    no_service = {"name": "tcp", "service": f"{GLOBAL}/backendServices/nope"}
    assert status_of(compute.targetTcpProxies().insert(project=PROJECT, body=no_service))[0] == 404
    _tcp_backend(compute)
    no_certificates = {"name": "ssl", "service": f"{GLOBAL}/backendServices/tcp"}
    assert status_of(compute.targetSslProxies().insert(project=PROJECT, body=no_certificates)) == (
        400,
        "required",
    )
    bad_header = {"name": "tcp", "service": f"{GLOBAL}/backendServices/tcp", "proxyHeader": "V2"}
    assert status_of(compute.targetTcpProxies().insert(project=PROJECT, body=bad_header))[0] == 400

    done(
        compute, compute.targetTcpProxies().insert(project=PROJECT, body={**bad_header, "proxyHeader": None})
    )
    tcp = compute.targetTcpProxies().get(project=PROJECT, targetTcpProxy="tcp").execute()
    assert tcp["proxyHeader"] == "NONE" and "fingerprint" not in tcp
    header = {"proxyHeader": "PROXY_V1"}
    done(
        compute, compute.targetTcpProxies().setProxyHeader(project=PROJECT, targetTcpProxy="tcp", body=header)
    )
    assert compute.targetTcpProxies().get(project=PROJECT, targetTcpProxy="tcp").execute()["proxyHeader"] == (
        "PROXY_V1"
    )
    listed = compute.targetTcpProxies().aggregatedList(project=PROJECT).execute()["items"]
    assert [p["name"] for p in listed["global"]["targetTcpProxies"]] == ["tcp"]


def test_tcp_rule_takes_the_proxy_and_keeps_it(compute: Any) -> None:
    _tcp_backend(compute)
    done(
        compute,
        compute.targetTcpProxies().insert(
            project=PROJECT, body={"name": "tcp", "service": f"{GLOBAL}/backendServices/tcp"}
        ),
    )
    rule = {
        "name": "fr",
        "portRange": "110",
        "target": f"{GLOBAL}/targetTcpProxies/tcp",
        "labels": {"a": "b"},
    }
    done(compute, compute.globalForwardingRules().insert(project=PROJECT, body=rule))
    made = compute.globalForwardingRules().get(project=PROJECT, forwardingRule="fr").execute()
    assert "labels" not in made  # an insert's labels are not applied; setLabels sets them
    request = compute.targetTcpProxies().delete(project=PROJECT, targetTcpProxy="tcp")
    assert status_of(request) == (400, "resourceInUseByAnotherResource")
    target = {"target": f"{GLOBAL}/targetTcpProxies/nope"}
    request = compute.globalForwardingRules().setTarget(project=PROJECT, forwardingRule="fr", body=target)
    assert status_of(request)[0] == 404
    done(compute, compute.globalForwardingRules().delete(project=PROJECT, forwardingRule="fr"))
    done(compute, compute.targetTcpProxies().delete(project=PROJECT, targetTcpProxy="tcp"))


def test_managed_certificate_keeps_a_domain_as_sent(compute: Any) -> None:
    body = {"name": "cert", "type": "MANAGED", "managed": {"domains": ["sslcert.example.com."]}}
    done(compute, compute.sslCertificates().insert(project=PROJECT, body=body))
    cert = compute.sslCertificates().get(project=PROJECT, sslCertificate="cert").execute()
    assert cert["managed"]["domains"] == ["sslcert.example.com."]
    twice = {"name": "twice", "type": "MANAGED", "managed": {"domains": ["a.example.com", "a.example.com."]}}
    assert status_of(compute.sslCertificates().insert(project=PROJECT, body=twice)) == (400, "invalid")


def test_forwarding_rule_labels_are_set_at_once(slow: Emulator) -> None:
    """An insert takes time; setLabels of a forwarding rule is answered finished."""
    compute = compute_client(slow)

    def finished(request: Any) -> dict[str, Any]:
        op = request.execute()
        slow.advance_time(SLOW_OPERATION_S)
        return op

    backend = {"name": "tcp", "loadBalancingScheme": "EXTERNAL", "protocol": "TCP"}
    finished(compute.backendServices().insert(project=PROJECT, body=backend))
    proxy = {"name": "tcp", "service": f"{GLOBAL}/backendServices/tcp"}
    finished(compute.targetTcpProxies().insert(project=PROJECT, body=proxy))
    rule = {"name": "fr", "portRange": "110", "target": f"{GLOBAL}/targetTcpProxies/tcp"}
    assert finished(compute.globalForwardingRules().insert(project=PROJECT, body=rule))["status"] == "RUNNING"
    made = compute.globalForwardingRules().get(project=PROJECT, forwardingRule="fr").execute()
    labels = {"labels": {"a": "b"}, "labelFingerprint": made["labelFingerprint"]}
    op = compute.globalForwardingRules().setLabels(project=PROJECT, resource="fr", body=labels).execute()
    assert op["status"] == "DONE" and op["progress"] == 100 and op["endTime"]
    assert compute.globalForwardingRules().get(project=PROJECT, forwardingRule="fr").execute()["labels"] == {
        "a": "b"
    }
