"""Projects made, read and deleted through Cloud Resource Manager v1, and linked to billing,
as Config Connector's fixtures do on real Google Cloud (kcc-golden compute/v1beta1/
computeforwardingrule/regionalcomputeforwardingrulepsc-direct/_http.log #0-#6)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from google.auth.credentials import AnonymousCredentials
from googleapiclient.errors import HttpError

from emulator import Emulator, EmulatorConfig
from tests.emulator.conftest import PROJECT

NEW = "dependent-project-01"


def client(emu: Emulator, api: str, version: str) -> Any:
    from googleapiclient.discovery import build

    return build(
        api,
        version,
        credentials=AnonymousCredentials(),
        static_discovery=True,
        client_options={"api_endpoint": emu.base_url + "/"},
    )


def error_of(exc: pytest.ExceptionInfo[HttpError]) -> dict[str, Any]:
    return json.loads(exc.value.content)["error"]


def create(emu: Emulator, body: dict[str, Any]) -> dict[str, Any]:
    crm = client(emu, "cloudresourcemanager", "v1")
    started = crm.projects().create(body=body).execute()
    emu.advance_time(3600)
    return crm.operations().get(name=started["name"]).execute()


def test_a_project_that_does_not_exist_is_refused_as_one_the_caller_may_not_see(emu: Emulator) -> None:
    crm = client(emu, "cloudresourcemanager", "v1")
    with pytest.raises(HttpError) as refused:
        crm.projects().get(projectId=NEW).execute()
    assert error_of(refused)["code"] == 403
    assert error_of(refused)["status"] == "PERMISSION_DENIED"
    assert error_of(refused)["message"] == "The caller does not have permission"


def test_a_created_project_reads_back_with_its_name_labels_and_parent(slow: Emulator) -> None:
    emu = slow
    crm = client(emu, "cloudresourcemanager", "v1")
    body = {
        "projectId": NEW,
        "name": "Dependent Project",
        "labels": {"cnrm-test": "true"},
        "parent": {"type": "folder", "id": "123456"},
    }
    started = crm.projects().create(body=body).execute()
    assert set(started) <= {"name", "done"} and started["name"].startswith("operations/")
    with pytest.raises(HttpError):  # not there until its creation has finished
        crm.projects().get(projectId=NEW).execute()

    emu.advance_time(3600)
    done = crm.operations().get(name=started["name"]).execute()
    project = crm.projects().get(projectId=NEW).execute()

    assert done["done"] is True
    assert done["metadata"]["@type"].endswith("v1.ProjectCreationStatus")
    assert done["response"]["projectId"] == NEW
    assert project["name"] == "Dependent Project"
    assert project["labels"] == {"cnrm-test": "true"}
    assert project["parent"] == {"type": "folder", "id": "123456"}
    assert project["lifecycleState"] == "ACTIVE"
    v3 = client(emu, "cloudresourcemanager", "v3").projects().get(name=f"projects/{NEW}").execute()
    assert (v3["displayName"], v3["parent"]) == ("Dependent Project", "folders/123456")


def test_a_project_id_in_use_or_malformed_is_refused(emu: Emulator) -> None:
    crm = client(emu, "cloudresourcemanager", "v1")
    with pytest.raises(HttpError) as taken:
        crm.projects().create(body={"projectId": PROJECT}).execute()
    with pytest.raises(HttpError) as malformed:
        crm.projects().create(body={"projectId": "Bad_Project"}).execute()
    with pytest.raises(HttpError) as missing:
        crm.projects().create(body={"name": "No id"}).execute()
    assert error_of(taken)["code"] == 409
    assert error_of(malformed)["code"] == 400
    assert error_of(missing)["code"] == 400


def test_a_new_project_has_no_billing_until_an_account_is_linked(emu: Emulator) -> None:
    create(emu, {"projectId": NEW})
    billing = client(emu, "cloudbilling", "v1")
    name = f"projects/{NEW}"

    before = billing.projects().getBillingInfo(name=name).execute()
    linked = (
        billing.projects()
        .updateBillingInfo(name=name, body={"billingAccountName": "billingAccounts/0A1B2C-3D4E5F-6A7B8C"})
        .execute()
    )
    after = billing.projects().getBillingInfo(name=name).execute()

    assert (before["billingEnabled"], before["billingAccountName"]) == (False, "")
    assert linked == after
    assert (after["billingEnabled"], after["billingAccountName"]) == (
        True,
        "billingAccounts/0A1B2C-3D4E5F-6A7B8C",
    )
    with pytest.raises(HttpError) as bad:
        billing.projects().updateBillingInfo(name=name, body={"billingAccountName": "0A1B2C"}).execute()
    assert error_of(bad)["code"] == 400


def test_the_caller_holds_what_it_asks_on_a_billing_account(emu: Emulator) -> None:
    billing = client(emu, "cloudbilling", "v1")
    asked = {"permissions": ["billing.resourceAssociations.create"]}
    answer = (
        billing.billingAccounts()
        .testIamPermissions(resource="billingAccounts/0A1B2C-3D4E5F-6A7B8C", body=asked)
        .execute()
    )
    assert answer == asked


def test_a_deleted_project_is_marked_for_deletion_once(emu: Emulator) -> None:
    create(emu, {"projectId": NEW, "name": "Doomed"})
    crm = client(emu, "cloudresourcemanager", "v1")

    assert crm.projects().delete(projectId=NEW).execute() == {}
    assert crm.projects().get(projectId=NEW).execute()["lifecycleState"] == "DELETE_REQUESTED"
    with pytest.raises(HttpError) as again:
        crm.projects().delete(projectId=NEW).execute()
    assert error_of(again)["code"] == 400


def test_a_project_made_through_the_api_starts_with_no_api_enabled() -> None:
    with Emulator(EmulatorConfig(projects=[PROJECT], enforce_enabled_apis=True)) as emu:
        emu.start()
        create(emu, {"projectId": NEW})
        usage = client(emu, "serviceusage", "v1")
        parent = f"projects/{NEW}"

        def enabled() -> list[str]:
            listed = usage.services().list(parent=parent, filter="state:ENABLED").execute()
            return [s["name"].rsplit("/", 1)[1] for s in listed.get("services", [])]

        # Service Usage and Resource Manager calls naming it are the caller's, so they answer.
        assert enabled() == []
        client(emu, "cloudresourcemanager", "v1").projects().get(projectId=NEW).execute()
        account = {"billingAccountName": "billingAccounts/0A1B2C-3D4E5F-6A7B8C"}
        client(emu, "cloudbilling", "v1").projects().updateBillingInfo(name=parent, body=account).execute()
        usage.services().enable(name=f"{parent}/services/compute.googleapis.com", body={}).execute()
        emu.advance_time(3600)
        assert enabled() == ["compute.googleapis.com"]
        # An API the project has not enabled is refused for it.
        with pytest.raises(HttpError) as refused:
            client(emu, "sqladmin", "v1beta4").instances().list(project=NEW).execute()
        assert error_of(refused)["code"] == 403
        # The project the emulator was started with keeps the defaults of a console project.
        home = usage.services().list(parent=f"projects/{PROJECT}", filter="state:ENABLED").execute()
        assert "storage.googleapis.com" in [s["name"].rsplit("/", 1)[1] for s in home["services"]]
