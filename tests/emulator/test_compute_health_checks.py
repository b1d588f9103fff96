"""Health checks, backend buckets and regional backend services, through the discovery client.

What a caller notices of the real API: a health check comes back with the defaults Compute
fills in, a timeout longer than the interval or a protocol block that is not the type's is
refused, a backend service cannot name a health check that does not exist, and a health check
a backend service uses cannot be deleted.
"""

from __future__ import annotations

from typing import Any

import pytest

from emulator import Emulator
from tests.emulator.conftest import PROJECT
from tests.emulator.test_compute import compute_client, done, status_of

REGION = "us-central1"
GLOBAL = f"projects/{PROJECT}/global"
REGIONAL = f"projects/{PROJECT}/regions/{REGION}"
ROOT = "https://www.googleapis.com/compute/v1/"


@pytest.fixture
def compute(emu: Emulator) -> Any:
    return compute_client(emu)


def make_check(compute: Any, name: str = "hc", region: str | None = None, **fields: Any) -> None:
    body = {"name": name, "type": "HTTP", "httpHealthCheck": {}, **fields}
    if region:
        done(compute, compute.regionHealthChecks().insert(project=PROJECT, region=region, body=body))
    else:
        done(compute, compute.healthChecks().insert(project=PROJECT, body=body))


def test_a_health_check_comes_back_with_the_defaults_compute_fills_in(compute: Any) -> None:
    make_check(compute)
    check = compute.healthChecks().get(project=PROJECT, healthCheck="hc").execute()
    assert check["kind"] == "compute#healthCheck"
    assert (check["checkIntervalSec"], check["timeoutSec"]) == (5, 5)
    assert (check["healthyThreshold"], check["unhealthyThreshold"]) == (2, 2)
    assert check["httpHealthCheck"] == {"port": 80, "proxyHeader": "NONE", "requestPath": "/"}
    assert "description" not in check and "region" not in check

    # `region` is output only: what a client sends there is not heard
    tcp = {"name": "tcp", "type": "TCP", "tcpHealthCheck": {"port": 8080}, "region": "ignored"}
    done(compute, compute.regionHealthChecks().insert(project=PROJECT, region=REGION, body=tcp))
    regional = compute.regionHealthChecks().get(project=PROJECT, region=REGION, healthCheck="tcp").execute()
    assert regional["region"] == f"{ROOT}{REGIONAL}"
    assert regional["selfLink"] == f"{ROOT}{REGIONAL}/healthChecks/tcp"
    assert regional["tcpHealthCheck"] == {"port": 8080, "proxyHeader": "NONE"}
    assert [c["name"] for c in compute.healthChecks().list(project=PROJECT).execute()["items"]] == ["hc"]
    listed = compute.regionHealthChecks().list(project=PROJECT, region=REGION).execute()["items"]
    assert [c["name"] for c in listed] == ["tcp"]

    done(
        compute,
        compute.healthChecks().patch(project=PROJECT, healthCheck="hc", body={"checkIntervalSec": 10}),
    )
    patched = compute.healthChecks().get(project=PROJECT, healthCheck="hc").execute()
    assert patched["checkIntervalSec"] == 10 and patched["id"] == check["id"]
    assert patched["httpHealthCheck"]["requestPath"] == "/"


def test_a_timeout_longer_than_the_interval_is_refused(compute: Any) -> None:
    body = {"name": "slow", "type": "TCP", "tcpHealthCheck": {}, "checkIntervalSec": 5, "timeoutSec": 10}
    assert status_of(compute.healthChecks().insert(project=PROJECT, body=body)) == (400, "invalid")
    request = compute.regionHealthChecks().insert(project=PROJECT, region=REGION, body=body)
    assert status_of(request) == (400, "invalid")

    make_check(compute)
    longer = compute.healthChecks().patch(project=PROJECT, healthCheck="hc", body={"timeoutSec": 6})
    assert status_of(longer) == (400, "invalid")
    assert compute.healthChecks().get(project=PROJECT, healthCheck="hc").execute()["timeoutSec"] == 5


def test_the_protocol_block_must_be_the_one_the_type_takes(compute: Any) -> None:
    untyped = {"name": "a", "tcpHealthCheck": {"port": 80}}
    assert status_of(compute.healthChecks().insert(project=PROJECT, body=untyped)) == (400, "required")
    bare = {"name": "b", "type": "HTTP"}
    assert status_of(compute.healthChecks().insert(project=PROJECT, body=bare)) == (400, "invalid")
    crossed = {"name": "c", "type": "TCP", "httpHealthCheck": {"port": 80}}
    assert status_of(compute.healthChecks().insert(project=PROJECT, body=crossed)) == (400, "invalid")
    bad_name = {"name": "Upper", "type": "TCP", "tcpHealthCheck": {}}
    assert status_of(compute.healthChecks().insert(project=PROJECT, body=bad_name)) == (400, "invalid")
    assert (
        "items" not in compute.healthChecks().list(project=PROJECT).execute()
        or not (compute.healthChecks().list(project=PROJECT).execute()["items"])
    )


def test_a_backend_service_naming_a_missing_health_check_is_refused(compute: Any) -> None:
    missing = {"name": "api", "healthChecks": [f"{GLOBAL}/healthChecks/nope"]}
    assert status_of(compute.backendServices().insert(project=PROJECT, body=missing)) == (404, "notFound")
    regional = {
        "name": "api",
        "loadBalancingScheme": "INTERNAL",
        "healthChecks": [f"{REGIONAL}/healthChecks/nope"],
    }
    request = compute.regionBackendServices().insert(project=PROJECT, region=REGION, body=regional)
    assert status_of(request) == (404, "notFound")

    make_check(compute)
    make_check(compute, "other")
    two = {"name": "api", "healthChecks": [f"{GLOBAL}/healthChecks/hc", f"{GLOBAL}/healthChecks/other"]}
    assert status_of(compute.backendServices().insert(project=PROJECT, body=two)) == (400, "invalid")
    named = {"name": "api", "healthChecks": [f"{GLOBAL}/healthChecks/hc"]}
    done(compute, compute.backendServices().insert(project=PROJECT, body=named))
    service = compute.backendServices().get(project=PROJECT, backendService="api").execute()
    assert service["healthChecks"] == [f"{ROOT}{GLOBAL}/healthChecks/hc"]

    gone = {"healthChecks": [f"{GLOBAL}/healthChecks/nope"], "fingerprint": service["fingerprint"]}
    request = compute.backendServices().patch(project=PROJECT, backendService="api", body=gone)
    assert status_of(request) == (404, "notFound")


def test_a_health_check_a_backend_service_uses_cannot_be_deleted(compute: Any) -> None:
    make_check(compute, "hc", REGION)
    body = {"name": "api", "loadBalancingScheme": "INTERNAL", "healthChecks": [f"{REGIONAL}/healthChecks/hc"]}
    done(compute, compute.regionBackendServices().insert(project=PROJECT, region=REGION, body=body))
    request = compute.regionHealthChecks().delete(project=PROJECT, region=REGION, healthCheck="hc")
    assert status_of(request) == (400, "resourceInUseByAnotherResource")

    done(
        compute, compute.regionBackendServices().delete(project=PROJECT, region=REGION, backendService="api")
    )
    done(compute, compute.regionHealthChecks().delete(project=PROJECT, region=REGION, healthCheck="hc"))
    gone = compute.regionHealthChecks().get(project=PROJECT, region=REGION, healthCheck="hc")
    assert status_of(gone) == (404, "notFound")


def test_a_regional_backend_service_answers_as_a_global_one_with_its_region(compute: Any) -> None:
    make_check(compute, "hc", REGION)
    body = {
        "name": "web",
        "loadBalancingScheme": "EXTERNAL_MANAGED",
        "protocol": "HTTPS",
        "healthChecks": [f"{REGIONAL}/healthChecks/hc"],
        "region": f"projects/{PROJECT}/global/regions/{REGION}",
        "iap": {"enabled": False, "oauth2ClientId": "", "oauth2ClientSecret": ""},
    }
    done(compute, compute.regionBackendServices().insert(project=PROJECT, region=REGION, body=body))
    service = (
        compute.regionBackendServices().get(project=PROJECT, region=REGION, backendService="web").execute()
    )
    assert service["region"] == f"{ROOT}{REGIONAL}"
    assert (service["port"], service["portName"], service["timeoutSec"]) == (80, "http", 30)
    assert service["description"] == "" and "enableCDN" not in service
    assert "oauth2ClientSecret" not in service["iap"] and service["iap"]["oauth2ClientSecretSha256"]
    assert (
        "items" not in compute.backendServices().list(project=PROJECT).execute()
        or not (compute.backendServices().list(project=PROJECT).execute()["items"])
    )

    stale = {**body, "description": "x", "fingerprint": "c3RhbGVzdGFsZQ=="}
    request = compute.regionBackendServices().update(
        project=PROJECT, region=REGION, backendService="web", body=stale
    )
    assert status_of(request) == (412, "conditionNotMet")
    fresh = {**body, "description": "x", "fingerprint": service["fingerprint"]}
    done(
        compute,
        compute.regionBackendServices().update(
            project=PROJECT, region=REGION, backendService="web", body=fresh
        ),
    )
    updated = (
        compute.regionBackendServices().get(project=PROJECT, region=REGION, backendService="web").execute()
    )
    assert updated["description"] == "x" and updated["id"] == service["id"]
    # an update keeps the empty secret it was sent beside its hash, as recorded answers show
    assert updated["iap"]["oauth2ClientSecret"] == "" and updated["iap"]["oauth2ClientSecretSha256"]
    assert updated["region"] == f"{ROOT}{REGIONAL}"


def test_a_backend_bucket_is_answered_as_sent(compute: Any) -> None:
    missing = compute.backendBuckets().get(project=PROJECT, backendBucket="static")
    assert status_of(missing) == (404, "notFound")
    no_bucket = {"name": "static"}
    assert status_of(compute.backendBuckets().insert(project=PROJECT, body=no_bucket)) == (400, "required")
    body = {"name": "static", "bucketName": "assets", "description": "static files"}
    done(compute, compute.backendBuckets().insert(project=PROJECT, body=body))
    bucket = compute.backendBuckets().get(project=PROJECT, backendBucket="static").execute()
    assert {k: bucket[k] for k in body} == body
    assert bucket["kind"] == "compute#backendBucket" and "enableCdn" not in bucket
    done(compute, compute.backendBuckets().delete(project=PROJECT, backendBucket="static"))
    assert status_of(compute.backendBuckets().get(project=PROJECT, backendBucket="static"))[0] == 404


def test_a_legacy_http_health_check_fills_its_defaults_and_guards_its_users(compute: Any) -> None:
    missing = compute.httpHealthChecks().get(project=PROJECT, httpHealthCheck="legacy")
    assert status_of(missing) == (404, "notFound")
    started = compute.httpHealthChecks().insert(project=PROJECT, body={"name": "legacy"}).execute()
    # Kept as a health check: the operation read afterwards names it so.
    assert started["targetLink"].endswith("/global/httpHealthChecks/legacy")
    polled = compute.globalOperations().get(project=PROJECT, operation=started["name"]).execute()
    assert polled["targetLink"].endswith("/global/healthChecks/legacy")
    check = compute.httpHealthChecks().get(project=PROJECT, httpHealthCheck="legacy").execute()
    assert check["kind"] == "compute#httpHealthCheck"
    assert (check["port"], check["requestPath"], check["proxyHeader"]) == (80, "/", "NONE")
    assert (check["checkIntervalSec"], check["timeoutSec"]) == (5, 5)

    nowhere = {"name": "old", "healthChecks": [f"{GLOBAL}/httpHealthChecks/nope"]}
    assert status_of(compute.backendServices().insert(project=PROJECT, body=nowhere)) == (404, "notFound")
    body = {"name": "old", "healthChecks": [f"{GLOBAL}/httpHealthChecks/legacy"]}
    done(compute, compute.backendServices().insert(project=PROJECT, body=body))
    request = compute.httpHealthChecks().delete(project=PROJECT, httpHealthCheck="legacy")
    assert status_of(request) == (400, "resourceInUseByAnotherResource")
