"""Pub/Sub topics as Secret Manager's event notifications need them: made, read, deleted and
granted, and a secret that names a topic refused unless the topic exists and Secret Manager's
service agent may publish to it (as recorded in kcc-golden secretmanager/v1beta1/
secretmanagersecret/fullsecretmanagersecret-auto-direct/_http.log #7-#23)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from google.auth.credentials import AnonymousCredentials
from googleapiclient.errors import HttpError

from emulator import Emulator
from tests.emulator.conftest import PROJECT

TOPIC = f"projects/{PROJECT}/topics/events"


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


def test_a_topic_is_made_read_and_deleted_once(emu: Emulator) -> None:
    topics = client(emu, "pubsub", "v1").projects().topics()
    made = topics.create(name=TOPIC, body={"labels": {"team": "data"}}).execute()
    read = topics.get(topic=TOPIC).execute()
    with pytest.raises(HttpError) as again:
        topics.create(name=TOPIC, body={}).execute()
    listed = topics.list(project=f"projects/{PROJECT}").execute()
    assert topics.delete(topic=TOPIC).execute() == {}
    with pytest.raises(HttpError) as gone:
        topics.get(topic=TOPIC).execute()

    assert made == read == {"name": TOPIC, "labels": {"team": "data"}}
    assert error_of(again)["code"] == 409
    assert [t["name"] for t in listed["topics"]] == [TOPIC]
    assert error_of(gone)["code"] == 404
    assert error_of(gone)["message"] == "Resource not found (resource=events)."


def test_a_topic_name_must_start_with_a_letter_and_not_with_goog(emu: Emulator) -> None:
    topics = client(emu, "pubsub", "v1").projects().topics()
    for bad in ("9lives", "googthing", "ab"):
        with pytest.raises(HttpError) as refused:
            topics.create(name=f"projects/{PROJECT}/topics/{bad}", body={}).execute()
        assert error_of(refused)["code"] == 400


def _agent(emu: Emulator) -> str:
    usage = client(emu, "serviceusage", "v1beta1").services()
    answer = usage.generateServiceIdentity(
        parent=f"projects/{PROJECT}/services/secretmanager.googleapis.com"
    ).execute()
    return str(answer["response"]["email"])


def _secret(topics: list[str], **extra: Any) -> dict[str, Any]:
    return {"replication": {"automatic": {}}, "topics": [{"name": t} for t in topics], **extra}


def test_a_secret_names_only_a_topic_that_exists_and_its_agent_may_publish_to(emu: Emulator) -> None:
    secrets = client(emu, "secretmanager", "v1").projects().secrets()
    topics = client(emu, "pubsub", "v1").projects().topics()
    parent = f"projects/{PROJECT}"

    with pytest.raises(HttpError) as missing:
        secrets.create(parent=parent, secretId="s1", body=_secret([TOPIC])).execute()
    topics.create(name=TOPIC, body={}).execute()
    with pytest.raises(HttpError) as not_granted:
        secrets.create(parent=parent, secretId="s1", body=_secret([TOPIC])).execute()
    policy = {"bindings": [{"role": "roles/pubsub.publisher", "members": [f"serviceAccount:{_agent(emu)}"]}]}
    granted = topics.setIamPolicy(resource=TOPIC, body={"policy": policy}).execute()
    made = secrets.create(parent=parent, secretId="s1", body=_secret([TOPIC])).execute()

    assert error_of(missing)["code"] == 400
    assert error_of(not_granted)["code"] == 400
    assert error_of(not_granted)["status"] == "FAILED_PRECONDITION"
    assert topics.getIamPolicy(resource=TOPIC).execute()["bindings"] == granted["bindings"]
    assert made["topics"] == [{"name": TOPIC}]


def test_rotation_needs_a_topic_and_a_secret_takes_at_most_ten(emu: Emulator) -> None:
    secrets = client(emu, "secretmanager", "v1").projects().secrets()
    rotation = {"rotation": {"rotationPeriod": "3600s", "nextRotationTime": "2099-01-01T00:00:00Z"}}
    with pytest.raises(HttpError) as no_topic:
        secrets.create(parent=f"projects/{PROJECT}", secretId="s2", body=_secret([], **rotation)).execute()
    eleven = [f"projects/{PROJECT}/topics/t{i:02d}" for i in range(11)]
    with pytest.raises(HttpError) as too_many:
        secrets.create(parent=f"projects/{PROJECT}", secretId="s3", body=_secret(eleven)).execute()
    assert error_of(no_topic)["code"] == 400
    assert "at most 10" in error_of(too_many)["message"]
