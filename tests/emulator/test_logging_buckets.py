"""Log buckets and their linked datasets, as recorded on real GCP (kcc-golden monitoring/v1beta1/
monitoringalertpolicy/monitoringalertpolicysqlhourly/_http.log #0-#10)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from google.auth.credentials import AnonymousCredentials
from googleapiclient.errors import HttpError

from emulator import Emulator
from tests.emulator.conftest import PROJECT

PARENT = f"projects/{PROJECT}/locations/global"


def buckets(emu: Emulator) -> Any:
    from googleapiclient.discovery import build

    logging = build(
        "logging",
        "v2",
        credentials=AnonymousCredentials(),
        static_discovery=True,
        client_options={"api_endpoint": emu.base_url + "/"},
    )
    return logging.projects().locations()


def code_of(exc: pytest.ExceptionInfo[HttpError]) -> int:
    return int(json.loads(exc.value.content)["error"]["code"])


def test_a_bucket_defaults_to_30_days_and_is_marked_for_deletion(emu: Emulator) -> None:
    api = buckets(emu).buckets()
    made = api.create(parent=PARENT, bucketId="audit", body={"analyticsEnabled": True}).execute()
    with pytest.raises(HttpError) as again:
        api.create(parent=PARENT, bucketId="audit", body={}).execute()
    assert api.delete(name=made["name"]).execute() == {}
    gone = api.get(name=made["name"]).execute()

    assert (made["retentionDays"], made["lifecycleState"]) == (30, "ACTIVE")
    assert code_of(again) == 409
    assert gone["lifecycleState"] == "DELETE_REQUESTED"
    with pytest.raises(HttpError) as twice:
        api.delete(name=made["name"]).execute()
    assert code_of(twice) == 400


def test_a_bucket_id_and_retention_are_checked(emu: Emulator) -> None:
    api = buckets(emu).buckets()
    for bad in ("_Default", "has space", "x" * 101):
        with pytest.raises(HttpError) as refused:
            api.create(parent=PARENT, bucketId=bad, body={}).execute()
        assert code_of(refused) == 400
    with pytest.raises(HttpError) as too_long:
        api.create(parent=PARENT, bucketId="long", body={"retentionDays": 4000}).execute()
    assert code_of(too_long) == 400


def test_a_link_needs_log_analytics_and_is_made_by_an_operation(slow: Emulator) -> None:
    api = buckets(slow)
    plain = api.buckets().create(parent=PARENT, bucketId="plain", body={}).execute()
    with pytest.raises(HttpError) as refused:
        api.buckets().links().create(parent=plain["name"], linkId="lnk", body={}).execute()
    bucket = api.buckets().create(parent=PARENT, bucketId="lake", body={"analyticsEnabled": True}).execute()

    started = api.buckets().links().create(parent=bucket["name"], linkId="lnk", body={}).execute()
    with pytest.raises(HttpError) as second:
        api.buckets().links().create(parent=bucket["name"], linkId="other", body={}).execute()
    slow.advance_time(3600)
    done = api.operations().get(name=started["name"]).execute()
    link = api.buckets().links().get(name=f"{bucket['name']}/links/lnk").execute()

    assert code_of(refused) == 400
    assert code_of(second) == 400
    assert started["metadata"]["state"] == "OPERATION_STATE_SCHEDULED"
    assert done["done"] is True and done["metadata"]["state"] == "OPERATION_STATE_SUCCEEDED"
    assert link["bigqueryDataset"]["datasetId"] == f"bigquery.googleapis.com/projects/{PROJECT}/datasets/lnk"
    assert link["lifecycleState"] == "ACTIVE"
