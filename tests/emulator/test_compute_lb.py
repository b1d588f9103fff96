"""The load-balancing collections of Compute Engine, through the discovery client.

What a caller notices of the real API: managed certificates stay PROVISIONING, references
are checked, a link of the chain cannot be deleted while another uses it, fingerprints guard
updates, and Cloud Armor and URL maps refuse inconsistent rules.
"""

from __future__ import annotations

from typing import Any

import pytest
from googleapiclient.errors import HttpError

from emulator import Emulator
from tests.emulator.conftest import PROJECT
from tests.emulator.test_compute import compute_client, done, status_of

REGION = "us-central1"
GLOBAL = f"projects/{PROJECT}/global"
NEG = f"projects/{PROJECT}/regions/{REGION}/networkEndpointGroups/api-neg"
ALL = {"versionedExpr": "SRC_IPS_V1", "config": {"srcIpRanges": ["*"]}}
THROTTLE = {
    "priority": 1000,
    "action": "throttle",
    "match": ALL,
    "rateLimitOptions": {
        "rateLimitThreshold": {"count": 100, "intervalSec": 60},
        "conformAction": "allow",
        "exceedAction": "deny(429)",
    },
}


@pytest.fixture
def compute(emu: Emulator) -> Any:
    return compute_client(emu)


def _message(request: Any) -> str:
    with pytest.raises(HttpError) as info:
        request.execute()
    return str(info.value.reason)


def make_backend(compute: Any, name: str = "api", **extra: Any) -> None:
    if not compute.regionNetworkEndpointGroups().list(project=PROJECT, region=REGION).execute().get("items"):
        body = {"name": "api-neg", "networkEndpointType": "SERVERLESS", "cloudRun": {"service": "api"}}
        done(compute, compute.regionNetworkEndpointGroups().insert(project=PROJECT, region=REGION, body=body))
    body = {"name": name, "loadBalancingScheme": "EXTERNAL_MANAGED", "backends": [{"group": NEG}], **extra}
    done(compute, compute.backendServices().insert(project=PROJECT, body=body))


def make_chain(compute: Any) -> None:
    """Address, certificate, backend, URL map, HTTPS proxy and a forwarding rule on 443."""
    done(compute, compute.globalAddresses().insert(project=PROJECT, body={"name": "ip"}))
    cert = {"name": "cert", "type": "MANAGED", "managed": {"domains": ["app.example.com"]}}
    done(compute, compute.sslCertificates().insert(project=PROJECT, body=cert))
    make_backend(compute)
    url_map = {"name": "map", "defaultService": f"{GLOBAL}/backendServices/api"}
    done(compute, compute.urlMaps().insert(project=PROJECT, body=url_map))
    proxy = {
        "name": "https",
        "urlMap": f"{GLOBAL}/urlMaps/map",
        "sslCertificates": [f"{GLOBAL}/sslCertificates/cert"],
    }
    done(compute, compute.targetHttpsProxies().insert(project=PROJECT, body=proxy))
    rule = {
        "name": "https",
        "IPAddress": f"{GLOBAL}/addresses/ip",
        "portRange": "443",
        "target": f"{GLOBAL}/targetHttpsProxies/https",
        "loadBalancingScheme": "EXTERNAL_MANAGED",
    }
    done(compute, compute.globalForwardingRules().insert(project=PROJECT, body=rule))


def test_managed_certificate_is_made_quickly_and_stays_provisioning(compute: Any) -> None:
    body = {"name": "cert", "type": "MANAGED", "managed": {"domains": ["app.example.com", "www.example.com"]}}
    done(compute, compute.sslCertificates().insert(project=PROJECT, body=body))

    cert = compute.sslCertificates().get(project=PROJECT, sslCertificate="cert").execute()

    assert cert["managed"]["status"] == "PROVISIONING"
    assert cert["managed"]["domainStatus"] == {
        "app.example.com": "PROVISIONING",
        "www.example.com": "PROVISIONING",
    }
    bad = {"name": "bad", "type": "MANAGED", "managed": {"domains": ["not a domain"]}}
    assert status_of(compute.sslCertificates().insert(project=PROJECT, body=bad)) == (400, "invalid")
    many = {
        "name": "many",
        "type": "MANAGED",
        "managed": {"domains": [f"d{i}.example.com" for i in range(101)]},
    }
    assert status_of(compute.sslCertificates().insert(project=PROJECT, body=many)) == (400, "invalid")
    assert status_of(compute.sslCertificates().insert(project=PROJECT, body=body)) == (409, "alreadyExists")


def test_every_link_of_the_chain_refuses_deletion_while_used(compute: Any) -> None:
    make_chain(compute)

    message = _message(compute.sslCertificates().delete(project=PROJECT, sslCertificate="cert"))
    assert message == (
        f"The ssl_certificate resource '{GLOBAL}/sslCertificates/cert' is already being used by "
        f"'{GLOBAL}/targetHttpsProxies/https'"
    )
    in_use = (400, "resourceInUseByAnotherResource")
    assert status_of(compute.globalAddresses().delete(project=PROJECT, address="ip")) == in_use
    assert status_of(compute.targetHttpsProxies().delete(project=PROJECT, targetHttpsProxy="https")) == in_use
    assert status_of(compute.urlMaps().delete(project=PROJECT, urlMap="map")) == in_use
    assert status_of(compute.backendServices().delete(project=PROJECT, backendService="api")) == in_use
    group = compute.regionNetworkEndpointGroups().delete(
        project=PROJECT, region=REGION, networkEndpointGroup="api-neg"
    )
    assert status_of(group) == in_use

    # front to back, each delete succeeds once nothing uses it any more
    done(compute, compute.globalForwardingRules().delete(project=PROJECT, forwardingRule="https"))
    done(compute, compute.targetHttpsProxies().delete(project=PROJECT, targetHttpsProxy="https"))
    done(compute, compute.urlMaps().delete(project=PROJECT, urlMap="map"))
    done(compute, compute.backendServices().delete(project=PROJECT, backendService="api"))
    done(compute, group)
    done(compute, compute.sslCertificates().delete(project=PROJECT, sslCertificate="cert"))
    done(compute, compute.globalAddresses().delete(project=PROJECT, address="ip"))


def test_an_address_is_in_use_while_a_forwarding_rule_serves_on_it(compute: Any) -> None:
    make_chain(compute)
    address = compute.globalAddresses().get(project=PROJECT, address="ip").execute()
    assert address["status"] == "IN_USE"
    assert address["users"] == [f"https://www.googleapis.com/compute/v1/{GLOBAL}/forwardingRules/https"]
    listed = compute.globalAddresses().list(project=PROJECT).execute()["items"]
    assert [(a["name"], a["status"]) for a in listed] == [("ip", "IN_USE")]

    done(compute, compute.globalForwardingRules().delete(project=PROJECT, forwardingRule="https"))
    address = compute.globalAddresses().get(project=PROJECT, address="ip").execute()
    assert address["status"] == "RESERVED"
    assert "users" not in address


def test_backend_service_defaults_references_and_fingerprint(compute: Any) -> None:
    make_backend(compute, securityPolicy=f"{GLOBAL}/securityPolicies/ignored")
    service = compute.backendServices().get(project=PROJECT, backendService="api").execute()
    assert service["timeoutSec"] == 30 and service["description"] == ""
    # No protocol, CDN flag or CDN policy that was not asked for, as real answers show
    # (conformance/kcc-golden/compute/v1beta1/computeurlmap/globalcomputeurlmap/_http.log #10).
    assert not {"protocol", "enableCDN", "cdnPolicy"} & set(service)
    assert "securityPolicy" not in service  # output only: attached with setSecurityPolicy
    assert service["backends"][0]["balancingMode"] == "UTILIZATION"

    missing = {"name": "x", "backends": [{"group": NEG.replace("api-neg", "nope")}]}
    assert status_of(compute.backendServices().insert(project=PROJECT, body=missing))[0] == 404
    checked = {"name": "y", "backends": [{"group": NEG}], "healthChecks": [f"{GLOBAL}/healthChecks/hc"]}
    assert status_of(compute.backendServices().insert(project=PROJECT, body=checked)) == (400, "invalid")
    origin = {
        "name": "z",
        "enableCDN": True,
        "cdnPolicy": {"cacheMode": "USE_ORIGIN_HEADERS", "defaultTtl": 60},
    }
    assert status_of(compute.backendServices().insert(project=PROJECT, body=origin)) == (400, "invalid")

    stale = {"enableCDN": True, "fingerprint": "c3RhbGVzdGFsZQ=="}
    request = compute.backendServices().patch(project=PROJECT, backendService="api", body=stale)
    assert status_of(request) == (412, "conditionNotMet")
    fresh = {"enableCDN": True, "fingerprint": service["fingerprint"]}
    done(compute, compute.backendServices().patch(project=PROJECT, backendService="api", body=fresh))
    updated = compute.backendServices().get(project=PROJECT, backendService="api").execute()
    assert updated["enableCDN"] and updated["fingerprint"] != service["fingerprint"]
    # read whole, written back whole: nothing the API refuses comes back in the read
    done(compute, compute.backendServices().update(project=PROJECT, backendService="api", body=updated))


def test_serverless_backends_refuse_a_timeout_health_checks_and_max_utilization(compute: Any) -> None:
    """Serverless NEG backends keep the default timeout (the request lasts as long as Cloud Run
    lets it).

    Real answers quoted in terraform-google-modules/terraform-google-lb-http#358 (timeoutSec)
    and #110 (maxUtilization).
    """
    make_backend(compute)
    for timeout in (3600, 120):
        body = {"name": "ws", "backends": [{"group": NEG}], "timeoutSec": timeout}
        assert _message(compute.backendServices().insert(project=PROJECT, body=body)) == (
            f"Invalid value for field 'resource.timeoutSec': '{timeout}'. Timeout sec is not supported"
            " for a backend service with Serverless network endpoint groups."
        )
    utilization = {"name": "ws", "backends": [{"group": NEG, "maxUtilization": 1.0}]}
    assert _message(compute.backendServices().insert(project=PROJECT, body=utilization)) == (
        "Invalid value for field 'resource.backends[0].maxUtilization': '1.0'. Max utilization is not"
        " supported for Serverless network endpoint groups."
    )
    current = compute.backendServices().get(project=PROJECT, backendService="api").execute()
    patch = {"timeoutSec": 3600, "fingerprint": current["fingerprint"]}
    request = compute.backendServices().patch(project=PROJECT, backendService="api", body=patch)
    assert status_of(request) == (400, "invalid")
    # without backends there is nothing serverless about it: the timeout is the API's default
    done(compute, compute.backendServices().insert(project=PROJECT, body={"name": "empty", "timeoutSec": 60}))
    empty = compute.backendServices().get(project=PROJECT, backendService="empty").execute()
    assert empty["timeoutSec"] == 60


def _url_safe(fingerprint: str) -> str:
    """The same bytes as gcloud writes them: URL-safe alphabet, no padding."""
    return fingerprint.replace("+", "-").replace("/", "_").rstrip("=")


def test_fingerprints_compare_as_bytes_not_text(compute: Any) -> None:
    # Until a fingerprint holds '+' or '/', each accepted update renews it; every one of them
    # is sent back URL-safe and unpadded, as gcloud does, and must be accepted.
    make_backend(compute)
    seen = []
    for number in range(40):
        current = compute.backendServices().get(project=PROJECT, backendService="api").execute()
        seen.append(current["fingerprint"])
        body = {"description": f"take {number}", "fingerprint": _url_safe(current["fingerprint"])}
        done(compute, compute.backendServices().patch(project=PROJECT, backendService="api", body=body))
        if any(ch in current["fingerprint"] for ch in "+/"):
            break
    assert any(ch in f for f in seen for ch in "+/")
    after = compute.backendServices().get(project=PROJECT, backendService="api").execute()
    assert after["description"] == f"take {len(seen) - 1}"
    # Other bytes stay a 412, in either alphabet.
    for wrong in ("c3RhbGVzdGFsZQ==", "c3RhbGVzdGFsZQ"):
        body = {"description": "no", "fingerprint": wrong}
        request = compute.backendServices().patch(project=PROJECT, backendService="api", body=body)
        assert status_of(request) == (412, "conditionNotMet")
    assert c_same("ab+/Cg==", "ab-_Cg") and not c_same("ab+/Cg==", "ab+/Cw==")


def c_same(left: str, right: str) -> bool:
    from emulator.services._compute import same_fingerprint

    return same_fingerprint(left, right)


def test_cloud_armor_rules(compute: Any) -> None:
    done(
        compute,
        compute.securityPolicies().insert(project=PROJECT, body={"name": "armor", "rules": [THROTTLE]}),
    )
    policy = compute.securityPolicies().get(project=PROJECT, securityPolicy="armor").execute()
    assert [r["priority"] for r in policy["rules"]] == [1000, 2147483647]  # the default rule is added
    assert policy["rules"][1]["action"] == "allow"
    assert policy["rules"][0]["rateLimitOptions"]["enforceOnKey"] == "ALL"

    def refused(**rule: Any) -> tuple[int, str]:
        return status_of(
            compute.securityPolicies().addRule(project=PROJECT, securityPolicy="armor", body=rule)
        )

    assert refused(**THROTTLE) == (400, "invalid")  # priority already used
    assert refused(**{**THROTTLE, "priority": 10, "rateLimitOptions": None}) == (400, "required")
    banned = {**THROTTLE["rateLimitOptions"], "banDurationSec": 600}
    assert refused(**{**THROTTLE, "priority": 10, "rateLimitOptions": banned}) == (400, "invalid")
    interval = {**THROTTLE["rateLimitOptions"], "rateLimitThreshold": {"count": 5, "intervalSec": 7}}
    assert refused(**{**THROTTLE, "priority": 10, "rateLimitOptions": interval}) == (400, "invalid")
    default = compute.securityPolicies().removeRule(
        project=PROJECT, securityPolicy="armor", priority=2147483647
    )
    assert status_of(default) == (400, "invalid")

    ban = {**THROTTLE, "priority": 10, "action": "rate_based_ban", "rateLimitOptions": banned}
    done(compute, compute.securityPolicies().addRule(project=PROJECT, securityPolicy="armor", body=ban))
    done(
        compute, compute.securityPolicies().removeRule(project=PROJECT, securityPolicy="armor", priority=1000)
    )
    after = compute.securityPolicies().get(project=PROJECT, securityPolicy="armor").execute()
    assert [r["priority"] for r in after["rules"]] == [10, 2147483647]
    assert after["fingerprint"] != policy["fingerprint"]


def test_url_map_consistency(compute: Any) -> None:
    make_backend(compute)
    service = f"{GLOBAL}/backendServices/api"

    def refused(**body: Any) -> tuple[int, str]:
        return status_of(compute.urlMaps().insert(project=PROJECT, body={"name": "map", **body}))

    assert refused(defaultService=service, defaultUrlRedirect={"httpsRedirect": True}) == (400, "invalid")
    assert refused() == (400, "invalid")
    assert refused(defaultService=service.replace("api", "nope"))[0] == 404
    matcher = {
        "name": "m",
        "defaultService": service,
        "pathRules": [{"paths": ["/api/*"], "service": service}],
    }
    assert refused(
        defaultService=service, hostRules=[{"hosts": ["*"], "pathMatcher": "other"}], pathMatchers=[matcher]
    ) == (
        400,
        "invalid",
    )
    assert refused(defaultService=service, pathMatchers=[matcher]) == (400, "invalid")  # used by no host rule

    body = {
        "name": "map",
        "defaultService": service,
        "hostRules": [{"hosts": ["*"], "pathMatcher": "m"}],
        "pathMatchers": [matcher],
    }
    done(compute, compute.urlMaps().insert(project=PROJECT, body=body))
    current = compute.urlMaps().get(project=PROJECT, urlMap="map").execute()
    assert current["pathMatchers"][0]["pathRules"][0]["service"].startswith(
        "https://www.googleapis.com/compute/v1/"
    )
    stale = {**current, "fingerprint": "c3RhbGVzdGFsZQ=="}
    assert status_of(compute.urlMaps().update(project=PROJECT, urlMap="map", body=stale)) == (
        412,
        "conditionNotMet",
    )
    done(
        compute,
        compute.urlMaps().update(
            project=PROJECT, urlMap="map", body={**current, "hostRules": [], "pathMatchers": []}
        ),
    )
    assert "pathMatchers" not in compute.urlMaps().get(project=PROJECT, urlMap="map").execute()
    # An update without a fingerprint is applied, as Google answers it (kcc-golden
    # compute/v1beta1/computeurlmap/globalcomputeurlmap/_http.log #18).
    unfingerprinted = {k: v for k, v in current.items() if k != "fingerprint"}
    done(
        compute,
        compute.urlMaps().update(
            project=PROJECT, urlMap="map", body={**unfingerprinted, "description": "no fingerprint"}
        ),
    )
    assert compute.urlMaps().get(project=PROJECT, urlMap="map").execute()["description"] == "no fingerprint"


def test_forwarding_rule_scheme_ports_target_and_labels(compute: Any) -> None:
    make_chain(compute)
    rule = compute.globalForwardingRules().get(project=PROJECT, forwardingRule="https").execute()
    address = compute.globalAddresses().get(project=PROJECT, address="ip").execute()
    assert rule["IPAddress"] == address["address"] and rule["portRange"] == "443-443"

    twin = {
        "name": "twin",
        "IPAddress": address["address"],
        "portRange": "443",
        "target": f"{GLOBAL}/targetHttpsProxies/https",
        "loadBalancingScheme": "EXTERNAL_MANAGED",
    }
    assert status_of(compute.globalForwardingRules().insert(project=PROJECT, body=twin)) == (400, "invalid")
    classic = {**twin, "portRange": "8443", "loadBalancingScheme": "EXTERNAL"}
    assert status_of(compute.globalForwardingRules().insert(project=PROJECT, body=classic)) == (
        400,
        "invalid",
    )
    elsewhere = {**twin, "portRange": "8443", "IPAddress": "203.0.113.7"}
    assert status_of(compute.globalForwardingRules().insert(project=PROJECT, body=elsewhere)) == (
        400,
        "invalid",
    )

    done(
        compute,
        compute.urlMaps().insert(
            project=PROJECT, body={"name": "redirect", "defaultUrlRedirect": {"httpsRedirect": True}}
        ),
    )
    done(
        compute,
        compute.targetHttpProxies().insert(
            project=PROJECT, body={"name": "http", "urlMap": f"{GLOBAL}/urlMaps/redirect"}
        ),
    )
    target = {"target": f"{GLOBAL}/targetHttpProxies/http"}
    done(
        compute,
        compute.globalForwardingRules().setTarget(project=PROJECT, forwardingRule="https", body=target),
    )
    moved = compute.globalForwardingRules().get(project=PROJECT, forwardingRule="https").execute()
    assert moved["target"].endswith("/targetHttpProxies/http")

    labels = {"labels": {"team": "web"}, "labelFingerprint": "c3RhbGVzdGFsZQ=="}
    request = compute.globalForwardingRules().setLabels(project=PROJECT, resource="https", body=labels)
    assert status_of(request) == (412, "conditionNotMet")
    labels["labelFingerprint"] = moved["labelFingerprint"]
    done(compute, compute.globalForwardingRules().setLabels(project=PROJECT, resource="https", body=labels))
    assert compute.globalForwardingRules().get(project=PROJECT, forwardingRule="https").execute()[
        "labels"
    ] == {"team": "web"}


def test_https_proxy_setters(compute: Any) -> None:
    make_chain(compute)
    cert = {"name": "cert2", "type": "MANAGED", "managed": {"domains": ["new.example.com"]}}
    done(compute, compute.sslCertificates().insert(project=PROJECT, body=cert))
    missing = {"sslCertificates": [f"{GLOBAL}/sslCertificates/nope"]}
    request = compute.targetHttpsProxies().setSslCertificates(
        project=PROJECT, targetHttpsProxy="https", body=missing
    )
    assert status_of(request)[0] == 404
    proxy = compute.targetHttpsProxies().get(project=PROJECT, targetHttpsProxy="https").execute()
    patch = {"urlMap": f"{GLOBAL}/urlMaps/other", "fingerprint": proxy["fingerprint"]}
    request = compute.targetHttpsProxies().patch(project=PROJECT, targetHttpsProxy="https", body=patch)
    # A patch may move the proxy to another URL map, as Google lets it (recorded), if it exists.
    assert status_of(request)[0] == 404

    swap = {"sslCertificates": [f"{GLOBAL}/sslCertificates/cert2"]}
    done(
        compute,
        compute.targetHttpsProxies().setSslCertificates(project=PROJECT, targetHttpsProxy="https", body=swap),
    )
    done(compute, compute.sslCertificates().delete(project=PROJECT, sslCertificate="cert"))
    proxy = compute.targetHttpsProxies().get(project=PROJECT, targetHttpsProxy="https").execute()
    assert [c.rsplit("/", 1)[-1] for c in proxy["sslCertificates"]] == ["cert2"]


def test_an_iap_client_secret_is_kept_only_as_its_sha256(compute: Any) -> None:
    make_backend(compute, "guarded", iap={"enabled": False, "oauth2ClientId": "", "oauth2ClientSecret": ""})
    iap = compute.backendServices().get(project=PROJECT, backendService="guarded").execute()["iap"]
    assert iap == {
        "enabled": False,
        "oauth2ClientId": "",
        "oauth2ClientSecretSha256": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    }


def test_a_url_map_routes_to_a_backend_bucket_and_its_writes_start_running(compute: Any) -> None:
    # Recorded on real GCP: conformance/kcc-history/compute/v1beta1/computeurlmap/
    # globalcomputeurlmap@7f9957d926 #16 (a path matcher on a backend bucket, answered RUNNING
    # at progress 0 with its operationType, targetLink and user).
    make_backend(compute)
    bucket = {"name": "static", "bucketName": "digitwin-static"}
    done(compute, compute.backendBuckets().insert(project=PROJECT, body=bucket))
    body = {
        "name": "map",
        "defaultService": f"{GLOBAL}/backendServices/api",
        "hostRules": [{"hosts": ["*"], "pathMatcher": "static"}],
        "pathMatchers": [{"name": "static", "defaultService": f"{GLOBAL}/backendBuckets/static"}],
    }
    started = compute.urlMaps().insert(project=PROJECT, body=body).execute()
    assert (started["operationType"], started["targetLink"].rsplit("/", 1)[1]) == ("insert", "map")
    assert "user" in started
    done(compute, compute.urlMaps().insert(project=PROJECT, body={**body, "name": "map2"}))
    (matcher,) = compute.urlMaps().get(project=PROJECT, urlMap="map2").execute()["pathMatchers"]
    assert matcher["defaultService"].endswith(f"{GLOBAL}/backendBuckets/static")
    # The bucket is now in use.
    assert status_of(compute.backendBuckets().delete(project=PROJECT, backendBucket="static"))[0] == 400
