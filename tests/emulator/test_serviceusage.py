"""Service Usage v1, and the 403 SERVICE_DISABLED an emulator that enforces enabled APIs gives."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from typing import Any

import httplib2
import pytest
from googleapiclient.discovery import build_from_document
from googleapiclient.errors import HttpError

from emulator import Emulator, EmulatorConfig
from emulator.discovery import load_document
from emulator.projects import project_number
from tests.emulator.conftest import PROJECT
from tests.emulator.test_compute import compute_client
from tests.emulator.test_service_networking import client, finish

NUMBER = project_number(PROJECT)
PARENT = f"projects/{PROJECT}"


def services(emu: Emulator) -> Any:
    return client(emu, "serviceusage").services()


def enabled(emu: Emulator, page_size: int = 200) -> list[str]:
    api, names, token = services(emu), [], None
    while True:
        page = api.list(parent=PARENT, filter="state:ENABLED", pageSize=page_size, pageToken=token).execute()
        names += [s["config"]["name"] for s in page.get("services", [])]
        token = page.get("nextPageToken")
        if not token:
            return names


def error_of(exc: pytest.ExceptionInfo[HttpError]) -> dict[str, Any]:
    return json.loads(exc.value.content)["error"]


@pytest.fixture
def strict() -> Iterator[Emulator]:
    emulator = Emulator(EmulatorConfig(projects=[PROJECT], enforce_enabled_apis=True))
    emulator.start()
    yield emulator
    emulator.close()


def test_a_new_project_has_the_default_apis_and_names_them_by_project_number(emu: Emulator) -> None:
    on = enabled(emu)
    assert {"storage.googleapis.com", "logging.googleapis.com", "monitoring.googleapis.com"} <= set(on)
    assert {"serviceusage.googleapis.com", "cloudresourcemanager.googleapis.com"} <= set(on)
    assert "compute.googleapis.com" not in on and "sqladmin.googleapis.com" not in on
    first = services(emu).list(parent=PARENT, filter="state:ENABLED").execute()["services"][0]
    assert first["name"].startswith(f"projects/{NUMBER}/services/")
    assert first["parent"] == f"projects/{NUMBER}" and first["state"] == "ENABLED"


def test_list_pages_through_every_enabled_service(emu: Emulator) -> None:
    assert enabled(emu, page_size=3) == enabled(emu)
    disabled = services(emu).list(parent=PARENT, filter="state:DISABLED").execute()["services"]
    assert "compute.googleapis.com" in {s["config"]["name"] for s in disabled}


def test_list_refuses_a_filter_it_does_not_know(emu: Emulator) -> None:
    with pytest.raises(HttpError) as exc:
        services(emu).list(parent=PARENT, filter="name:compute").execute()
    assert exc.value.resp.status == 400


def test_enable_is_an_operation_and_lands_when_it_is_done() -> None:
    with Emulator(EmulatorConfig(projects=[PROJECT], operation_delay_s=30)) as emu:
        emu.start()
        api = services(emu)
        op = api.enable(name=f"{PARENT}/services/compute.googleapis.com", body={}).execute()
        assert op["name"].startswith("operations/") and not op.get("done")
        assert "compute.googleapis.com" not in enabled(emu)
        emu.advance_time(31)
        op = finish(client(emu, "serviceusage").operations(), op)
        assert op["response"]["service"]["state"] == "ENABLED"
        assert "compute.googleapis.com" in enabled(emu)
        got = api.get(name=f"projects/{NUMBER}/services/compute.googleapis.com").execute()
        assert got["state"] == "ENABLED" and got["config"]["title"] == "Compute Engine API"


def test_enabling_what_is_on_answers_a_finished_operation(emu: Emulator) -> None:
    op = services(emu).enable(name=f"{PARENT}/services/storage.googleapis.com", body={}).execute()
    assert op["done"] is True and op["response"]["service"]["state"] == "ENABLED"


def test_batch_enable_takes_at_most_twenty_and_changes_nothing_beyond(emu: Emulator) -> None:
    catalogue = [
        s["config"]["name"] for s in services(emu).list(parent=PARENT, pageSize=200).execute()["services"]
    ]
    off = [s for s in catalogue if s not in enabled(emu)]
    assert len(off) > 20
    with pytest.raises(HttpError) as exc:
        services(emu).batchEnable(parent=PARENT, body={"serviceIds": off[:21]}).execute()
    assert exc.value.resp.status == 400 and "at most 20" in error_of(exc)["message"]
    assert not set(off) & set(enabled(emu))
    op = services(emu).batchEnable(parent=PARENT, body={"serviceIds": off[:20]}).execute()
    op = finish(client(emu, "serviceusage").operations(), op)
    assert len(op["response"]["services"]) == 20
    assert set(off[:20]) <= set(enabled(emu))


def test_batch_get_reads_named_services(emu: Emulator) -> None:
    names = [f"projects/{NUMBER}/services/{s}" for s in ("compute.googleapis.com", "storage.googleapis.com")]
    got = services(emu).batchGet(parent=PARENT, names=names).execute()["services"]
    assert [(s["config"]["name"], s["state"]) for s in got] == [
        ("compute.googleapis.com", "DISABLED"),
        ("storage.googleapis.com", "ENABLED"),
    ]


def test_an_unknown_service_is_refused_as_the_api_does(emu: Emulator) -> None:
    with pytest.raises(HttpError) as exc:
        services(emu).enable(name=f"{PARENT}/services/nosuch.googleapis.com", body={}).execute()
    assert exc.value.resp.status == 403
    assert "Permission denied to enable service [nosuch.googleapis.com]" in error_of(exc)["message"]
    with pytest.raises(HttpError) as exc:
        services(emu).batchEnable(
            parent=PARENT, body={"serviceIds": ["run.googleapis.com", "nosuch.googleapis.com"]}
        ).execute()
    assert exc.value.resp.status == 403
    assert "run.googleapis.com" not in enabled(emu)


def test_disable_needs_the_service_on(emu: Emulator) -> None:
    name = f"{PARENT}/services/compute.googleapis.com"
    with pytest.raises(HttpError) as exc:
        services(emu).disable(name=name, body={}).execute()
    assert exc.value.resp.status == 400 and error_of(exc)["status"] == "FAILED_PRECONDITION"
    emu.set_services(PROJECT, enable=["compute.googleapis.com"])
    finish(client(emu, "serviceusage").operations(), services(emu).disable(name=name, body={}).execute())
    assert "compute.googleapis.com" not in enabled(emu)


def test_a_call_to_a_disabled_api_answers_service_disabled(strict: Emulator) -> None:
    compute = compute_client(strict)
    with pytest.raises(HttpError) as exc:
        compute.networks().list(project=PROJECT).execute()
    error = error_of(exc)
    assert exc.value.resp.status == 403 and error["status"] == "PERMISSION_DENIED"
    assert error["message"].startswith(f"Compute Engine API has not been used in project {NUMBER} before")
    assert error["errors"][0]["reason"] == "accessNotConfigured"
    info = next(d for d in error["details"] if d["@type"].endswith("google.rpc.ErrorInfo"))
    assert info["reason"] == "SERVICE_DISABLED" and info["domain"] == "googleapis.com"
    assert info["metadata"]["service"] == "compute.googleapis.com"
    assert info["metadata"]["consumer"] == f"projects/{NUMBER}"


def test_enabling_the_api_lets_its_calls_through(strict: Emulator) -> None:
    op = services(strict).enable(name=f"{PARENT}/services/compute.googleapis.com", body={}).execute()
    finish(client(strict, "serviceusage").operations(), op)
    assert compute_client(strict).networks().list(project=PROJECT).execute().get("items", []) == []


def test_an_api_enabled_moments_ago_answers_service_disabled_until_the_enable_propagates() -> None:
    emu = Emulator(EmulatorConfig(projects=[PROJECT], enforce_enabled_apis=True, api_propagation_s=20))
    emu.start()
    try:
        op = services(emu).enable(name=f"{PARENT}/services/compute.googleapis.com", body={}).execute()
        finish(client(emu, "serviceusage").operations(), op)
        assert "compute.googleapis.com" in enabled(emu)  # listed as on at once ...
        with pytest.raises(HttpError) as exc:  # ... but not answering yet
            compute_client(emu).networks().list(project=PROJECT).execute()
        assert exc.value.resp.status == 403
        assert "If you enabled this API recently, wait a few minutes" in error_of(exc)["message"]
        emu.advance_time(20)
        assert compute_client(emu).networks().list(project=PROJECT).execute().get("items", []) == []
    finally:
        emu.close()


def test_the_realistic_profile_models_the_propagation_and_the_flat_one_does_not() -> None:
    from emulator.durations import PROPAGATION, propagation_seconds

    assert propagation_seconds("api", profile="flat", scale=0.01, override=None) == 0
    assert propagation_seconds("metric", profile="flat", scale=0.01, override=None) == 0
    assert (
        propagation_seconds("api", profile="realistic", scale=0.01, override=None)
        == PROPAGATION["api"] * 0.01
    )
    assert propagation_seconds("metric", profile="realistic", scale=1, override=None) == 600
    assert propagation_seconds("api", profile="flat", scale=1, override=20) == 20


def test_the_project_number_and_the_api_list_work_on_a_fresh_strict_project(strict: Emulator) -> None:
    doc = load_document("cloudresourcemanager", "v3").raw
    crm = build_from_document(
        doc, http=httplib2.Http(timeout=30), client_options={"api_endpoint": strict.base_url + "/"}
    )
    assert crm.projects().get(name=PARENT).execute()["name"] == f"projects/{NUMBER}"
    assert "storage.googleapis.com" in enabled(strict)


def test_the_control_endpoint_turns_apis_on_and_off(strict: Emulator) -> None:
    payload = {
        "project": PROJECT,
        "enable": ["compute.googleapis.com"],
        "disable": ["storage.googleapis.com"],
    }
    request = urllib.request.Request(
        strict.base_url + "/_emulator/services", data=json.dumps(payload).encode(), method="POST"
    )
    with urllib.request.urlopen(request) as response:
        on = json.loads(response.read())["enabled"]
    assert "compute.googleapis.com" in on and "storage.googleapis.com" not in on
    compute_client(strict).networks().list(project=PROJECT).execute()


def test_the_fields_parameter_cuts_the_answer_to_what_was_asked(emu: Emulator) -> None:
    url = f"{emu.base_url}/v1/{PARENT}/services?filter=state:ENABLED&fields=services%2Fname%2CnextPageToken"
    with urllib.request.urlopen(url) as answer:
        page = json.loads(answer.read())
    assert page["services"] and all(set(s) == {"name"} for s in page["services"])
    assert set(page) <= {"services", "nextPageToken"}
    url = f"{emu.base_url}/v1/{PARENT}/services?filter=state:ENABLED&fields=nothingHere"
    with urllib.request.urlopen(url) as answer:
        assert json.loads(answer.read()) == {}
