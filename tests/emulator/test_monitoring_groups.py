"""Monitoring groups, as recorded on real GCP (kcc-golden monitoring/v1beta1/
monitoringuptimecheckconfig/tcpuptimecheckconfig/_http.log #0, #9, #10)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from google.auth.credentials import AnonymousCredentials
from googleapiclient.errors import HttpError

from emulator import Emulator
from tests.emulator.conftest import PROJECT


def groups(emu: Emulator) -> Any:
    from googleapiclient.discovery import build

    monitoring = build(
        "monitoring",
        "v3",
        credentials=AnonymousCredentials(),
        static_discovery=True,
        client_options={"api_endpoint": emu.base_url + "/"},
    )
    return monitoring.projects().groups()


def error_of(exc: pytest.ExceptionInfo[HttpError]) -> dict[str, Any]:
    return dict(json.loads(exc.value.content)["error"])


def test_a_group_is_made_read_and_deleted(emu: Emulator) -> None:
    api = groups(emu)
    body = {
        "displayName": "sample-group",
        "filter": "resource.metadata.region=europe-west2",
        "isCluster": True,
    }
    made = api.create(name=f"projects/{PROJECT}", body=body).execute()
    assert made == {**body, "name": made["name"]}
    assert made["name"].startswith(f"projects/{PROJECT}/groups/")
    assert api.get(name=made["name"]).execute() == made
    assert api.delete(name=made["name"]).execute() == {}
    with pytest.raises(HttpError) as gone:
        api.get(name=made["name"]).execute()
    group_id = made["name"].rsplit("/", 1)[1]
    assert error_of(gone)["code"] == 404
    assert error_of(gone)["message"] == f"Could not find group definition for '{group_id}'."


def test_a_parent_must_exist_and_a_group_with_children_goes_only_recursively(emu: Emulator) -> None:
    api = groups(emu)
    parent = f"projects/{PROJECT}"
    with pytest.raises(HttpError) as orphan:
        api.create(name=parent, body={"filter": "x", "parentName": f"{parent}/groups/123"}).execute()
    top = api.create(name=parent, body={"displayName": "top", "filter": "a"}).execute()
    child = api.create(
        name=parent, body={"displayName": "child", "filter": "b", "parentName": top["name"]}
    ).execute()
    with pytest.raises(HttpError) as refused:
        api.delete(name=top["name"]).execute()
    assert api.delete(name=top["name"], recursive=True).execute() == {}
    assert error_of(orphan)["code"] == 400
    assert error_of(refused)["code"] == 400
    with pytest.raises(HttpError):
        api.get(name=child["name"]).execute()
