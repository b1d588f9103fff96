"""Certificate Manager certificates and maps, and the target HTTPS proxies that point at them.

What a caller notices of the real API: certificates are made in `global` or a region, maps
only in `global`, each through an operation; a proxy keeps a Certificate Manager reference as
sent and refuses one that names nothing.
"""

from __future__ import annotations

import time
from typing import Any

import httplib2
import pytest
from googleapiclient.discovery import build_from_document
from googleapiclient.errors import HttpError

from emulator import Emulator, EmulatorConfig
from emulator.discovery import load_document
from tests.emulator.conftest import PROJECT
from tests.emulator.test_compute import compute_client, done, status_of
from tests.emulator.test_compute_lb import make_backend

GLOBAL = f"projects/{PROJECT}/locations/global"
REGIONAL = f"projects/{PROJECT}/locations/us-central1"
CERT = {"labels": {"team": "web"}, "scope": "ALL_REGIONS", "selfManaged": {"pemCertificate": "PEM"}}


@pytest.fixture
def certs(emu: Emulator) -> Any:
    return client_of(emu)


def client_of(emu: Emulator) -> Any:
    doc = load_document("certificatemanager", "v1").raw
    return build_from_document(
        doc, http=httplib2.Http(timeout=30), client_options={"api_endpoint": emu.base_url + "/"}
    )


@pytest.fixture
def compute(emu: Emulator) -> Any:
    return compute_client(emu)


def finish(certs: Any, op: dict[str, Any]) -> dict[str, Any]:
    operations = certs.projects().locations().operations()
    deadline = time.monotonic() + 10
    while not op.get("done") and time.monotonic() < deadline:
        time.sleep(0.02)
        op = operations.get(name=op["name"]).execute()
    assert op.get("done") and "error" not in op, op
    return op


def make_certificate(certs: Any, parent: str = GLOBAL, name: str = "cert") -> str:
    request = certs.projects().locations().certificates().create(parent=parent, certificateId=name, body=CERT)
    finish(certs, request.execute())
    return f"{parent}/certificates/{name}"


def make_map(certs: Any, name: str = "map") -> str:
    maps = certs.projects().locations().certificateMaps()
    finish(certs, maps.create(parent=GLOBAL, certificateMapId=name, body={"labels": {"a": "b"}}).execute())
    return f"{GLOBAL}/certificateMaps/{name}"


def make_url_map(compute: Any) -> str:
    make_backend(compute)
    body = {"name": "urls", "defaultService": f"projects/{PROJECT}/global/backendServices/api"}
    done(compute, compute.urlMaps().insert(project=PROJECT, body=body))
    return f"projects/{PROJECT}/global/urlMaps/urls"


def test_certificate_is_made_read_and_deleted_through_operations(certs: Any) -> None:
    certificates = certs.projects().locations().certificates()
    with pytest.raises(HttpError) as missing:
        certificates.get(name=f"{GLOBAL}/certificates/cert").execute()
    assert missing.value.resp.status == 404
    assert f'certificate "{GLOBAL}/certificates/cert" not found' in str(missing.value)

    op = certificates.create(parent=GLOBAL, certificateId="cert", body=CERT).execute()
    assert op["metadata"]["verb"] == "create" and op["metadata"]["apiVersion"] == "v1"
    assert op["metadata"]["target"] == f"{GLOBAL}/certificates/cert"
    assert op["name"].startswith(f"{GLOBAL}/operations/")
    response = finish(certs, op)["response"]
    assert response["name"] == f"{GLOBAL}/certificates/cert" and "labels" not in response

    shown = certificates.get(name=f"{GLOBAL}/certificates/cert").execute()
    assert shown["labels"] == {"team": "web"} and shown["scope"] == "ALL_REGIONS"
    assert "createTime" not in shown
    again = certificates.create(parent=GLOBAL, certificateId="cert", body=CERT)
    assert status_of(again)[0] == 409

    finish(certs, certificates.delete(name=f"{GLOBAL}/certificates/cert").execute())
    assert status_of(certificates.get(name=f"{GLOBAL}/certificates/cert"))[0] == 404


def test_regional_certificate_is_deleted_through_a_global_operation(certs: Any) -> None:
    name = make_certificate(certs, REGIONAL)
    certificates = certs.projects().locations().certificates()
    assert certificates.get(name=name).execute()["name"] == name
    op = certificates.delete(name=name).execute()
    assert op["name"].startswith(f"{GLOBAL}/operations/") and op["metadata"]["target"] == name
    finish(certs, op)
    assert status_of(certificates.get(name=name))[0] == 404


def test_certificate_map_shows_its_end_at_once_and_is_only_global(certs: Any) -> None:
    maps = certs.projects().locations().certificateMaps()
    op = maps.create(parent=GLOBAL, certificateMapId="map", body={"description": "d"}).execute()
    assert op["metadata"]["endTime"] == op["metadata"]["createTime"]
    assert finish(certs, op)["metadata"]["endTime"] == op["metadata"]["endTime"]
    shown = maps.get(name=f"{GLOBAL}/certificateMaps/map").execute()
    assert shown["createTime"] and shown["updateTime"] and shown["description"] == "d"
    assert status_of(maps.create(parent=REGIONAL, certificateMapId="map", body={}))[0] == 400
    finish(certs, maps.delete(name=f"{GLOBAL}/certificateMaps/map").execute())
    assert status_of(maps.get(name=f"{GLOBAL}/certificateMaps/map"))[0] == 404


def test_global_proxy_keeps_a_certificate_map_as_sent(certs: Any, compute: Any) -> None:
    url_map = make_url_map(compute)
    missing = {"name": "p", "urlMap": url_map, "certificateMap": f"{GLOBAL}/certificateMaps/map"}
    assert status_of(compute.targetHttpsProxies().insert(project=PROJECT, body=missing)) == (404, "notFound")
    map_name = make_map(certs)
    done(compute, compute.targetHttpsProxies().insert(project=PROJECT, body=missing))
    shown = compute.targetHttpsProxies().get(project=PROJECT, targetHttpsProxy="p").execute()
    assert shown["certificateMap"] == map_name and "sslCertificates" not in shown


def test_global_proxy_keeps_a_certificate_manager_certificate_as_sent(certs: Any, compute: Any) -> None:
    url_map = make_url_map(compute)
    reference = f"//certificatemanager.googleapis.com/{GLOBAL}/certificates/cert"
    body = {"name": "p", "urlMap": url_map, "sslCertificates": [reference]}
    assert status_of(compute.targetHttpsProxies().insert(project=PROJECT, body=body)) == (404, "notFound")
    make_certificate(certs)
    done(compute, compute.targetHttpsProxies().insert(project=PROJECT, body=body))
    shown = compute.targetHttpsProxies().get(project=PROJECT, targetHttpsProxy="p").execute()
    assert shown["sslCertificates"] == [reference]


def test_regional_proxy_keeps_a_regional_certificate_manager_certificate(certs: Any, compute: Any) -> None:
    region = "us-central1"
    body = {"name": "api", "loadBalancingScheme": "EXTERNAL_MANAGED", "protocol": "HTTP"}
    done(compute, compute.regionBackendServices().insert(project=PROJECT, region=region, body=body))
    service = f"projects/{PROJECT}/regions/{region}/backendServices/api"
    done(
        compute,
        compute.regionUrlMaps().insert(
            project=PROJECT, region=region, body={"name": "urls", "defaultService": service}
        ),
    )
    reference = f"//certificatemanager.googleapis.com/{REGIONAL}/certificates/cert"
    proxy = {
        "name": "p",
        "urlMap": f"projects/{PROJECT}/regions/{region}/urlMaps/urls",
        "sslCertificates": [reference],
    }
    proxies = compute.regionTargetHttpsProxies()
    assert status_of(proxies.insert(project=PROJECT, region=region, body=proxy)) == (404, "notFound")
    make_certificate(certs, REGIONAL)
    done(compute, proxies.insert(project=PROJECT, region=region, body=proxy))
    shown = proxies.get(project=PROJECT, region=region, targetHttpsProxy="p").execute()
    assert shown["sslCertificates"] == [reference]


def test_certificate_manager_answers_only_once_enabled_where_enablement_is_enforced() -> None:
    with Emulator(EmulatorConfig(projects=[PROJECT], enforce_enabled_apis=True)) as emu:
        emu.start()
        request = client_of(emu).projects().locations().certificates().list(parent=GLOBAL)
        with pytest.raises(HttpError) as refused:
            request.execute()
        assert refused.value.resp.status == 403 and "SERVICE_DISABLED" in str(refused.value.content)
        emu.set_services(PROJECT, enable=["certificatemanager.googleapis.com"])
        assert request.execute() == {}
