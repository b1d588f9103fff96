"""Cloud Run, IAM service accounts, project policies and Cloud Scheduler through real clients."""

from __future__ import annotations

import json
from pathlib import Path

import googleapiclient
import httplib2
import pytest
from google.api_core import exceptions
from google.api_core.client_options import ClientOptions
from google.auth.credentials import AnonymousCredentials
from google.cloud import run_v2
from googleapiclient.discovery import build_from_document
from googleapiclient.errors import HttpError

from tests.emulator.conftest import PROJECT

PARENT = f"projects/{PROJECT}/locations/us-central1"
ACCOUNT = f"api-gateway@{PROJECT}.iam.gserviceaccount.com"


def _discovery(emu, api: str, version: str):
    path = Path(googleapiclient.__file__).parent / "discovery_cache" / "documents" / f"{api}.{version}.json"
    doc = json.loads(path.read_text())
    options = {"api_endpoint": f"{emu.base_url}/{doc.get('servicePath', '')}"}
    return build_from_document(doc, http=httplib2.Http(), client_options=options)


@pytest.fixture
def services(emu):
    options = ClientOptions(api_endpoint=emu.base_url)
    return run_v2.ServicesClient(transport="rest", credentials=AnonymousCredentials(), client_options=options)


@pytest.fixture
def account(emu):
    accounts = _discovery(emu, "iam", "v1").projects().serviceAccounts()
    return accounts.create(name=f"projects/{PROJECT}", body={"accountId": "api-gateway"}).execute()


def _service(image: str = "gcr.io/p/app:1", **template):
    return {"template": {"containers": [{"image": image}], **template}}


def test_service_defaults_revisions_and_etags(emu, services, account):
    created = services.create_service(
        parent=PARENT, service_id="app", service=_service(service_account=account["email"])
    ).result()
    # as recorded in kcc-golden run/v1beta1/runservice: no scaling, no ports filled in
    assert "scaling" not in created.template
    assert created.template.containers[0].resources.limits == {"cpu": "1000m", "memory": "512Mi"}
    assert not created.template.containers[0].ports
    assert created.template.execution_environment == run_v2.ExecutionEnvironment.EXECUTION_ENVIRONMENT_GEN2
    assert created.observed_generation == created.generation == 1
    assert created.terminal_condition.state == run_v2.Condition.State.CONDITION_SUCCEEDED
    revision = created.latest_ready_revision.rsplit("/", 1)[1]
    assert revision.startswith("app-00001-") and len(revision) == len("app-00001-abc")

    with pytest.raises(exceptions.Conflict):
        services.create_service(parent=PARENT, service_id="app", service=_service()).result()
    stale = services.get_service(name=created.name)
    stale.labels["team"] = "web"
    services.update_service(service=stale, update_mask={"paths": ["labels"]}).result()
    with pytest.raises(exceptions.Conflict):
        services.update_service(service=stale, update_mask={"paths": ["labels"]})
    with pytest.raises(exceptions.Conflict):
        services.delete_service(request={"name": created.name, "etag": stale.etag})

    revisions = run_v2.RevisionsClient(
        transport="rest", credentials=AnonymousCredentials(), client_options={"api_endpoint": emu.base_url}
    )
    assert len(list(revisions.list_revisions(parent=created.name))) == 1
    fresh = services.get_service(name=created.name)
    fresh.template.containers[0].image = "gcr.io/p/app:2"
    rolled = services.update_service(service=fresh).result()
    assert rolled.latest_ready_revision.rsplit("/", 1)[1].startswith("app-00002-")
    assert len(list(revisions.list_revisions(parent=created.name))) == 2


@pytest.mark.parametrize(
    ("service", "complaint"),
    [
        (_service(service_account=f"missing-one@{PROJECT}.iam.gserviceaccount.com"), "does not exist"),
        (_service(vpc_access={"connector": "digitwin-dev-conn"}), "connector"),
        ({"annotations": {"run.googleapis.com/ingress": "all"}, **_service()}, "reserved"),
        (
            _service(
                containers=[
                    {
                        "image": "gcr.io/p/app:1",
                        "env": [{"name": "DB", "value_source": {"secret_key_ref": {"secret": "nope"}}}],
                    }
                ]
            ),
            "Secret",
        ),
        (
            _service(
                containers=[{"image": "i", "resources": {"limits": {"cpu": "500m"}}}],
                max_instance_request_concurrency=50,
            ),
            "concurrency",
        ),
    ],
)
def test_service_references_and_reserved_keys_are_checked(services, service, complaint):
    with pytest.raises(exceptions.BadRequest, match=complaint):
        services.create_service(parent=PARENT, service_id="app", service=service)


def test_job_runs_an_execution(emu, account):
    jobs = run_v2.JobsClient(
        transport="rest", credentials=AnonymousCredentials(), client_options={"api_endpoint": emu.base_url}
    )
    job = jobs.create_job(
        parent=PARENT,
        job_id="drift",
        job={"template": {"template": {"containers": [{"image": "i"}], "max_retries": 0}}},
    ).result()
    assert job.template.task_count == 1 and job.template.template.max_retries == 0
    assert job.template.template.timeout.seconds == 600
    execution = jobs.run_job(name=job.name).result()
    assert execution.name.startswith(f"{job.name}/executions/drift-")
    assert execution.succeeded_count == 1
    assert jobs.get_job(name=job.name).execution_count == 1


def test_service_accounts_and_project_policy(emu, account):
    accounts = _discovery(emu, "iam", "v1").projects().serviceAccounts()
    assert account["email"] == ACCOUNT and account["uniqueId"].isdigit()
    with pytest.raises(HttpError) as short:
        accounts.create(name=f"projects/{PROJECT}", body={"accountId": "ab"}).execute()
    assert short.value.resp.status == 400
    with pytest.raises(HttpError) as duplicate:
        accounts.create(name=f"projects/{PROJECT}", body={"accountId": "api-gateway"}).execute()
    assert duplicate.value.resp.status == 409

    projects = _discovery(emu, "cloudresourcemanager", "v3").projects()
    policy = projects.getIamPolicy(resource=f"projects/{PROJECT}", body={}).execute()
    granted = {
        **policy,
        "bindings": [{"role": "roles/run.invoker", "members": [f"serviceAccount:{ACCOUNT}"]}],
    }
    projects.setIamPolicy(resource=f"projects/{PROJECT}", body={"policy": granted}).execute()
    with pytest.raises(HttpError) as stale:
        projects.setIamPolicy(resource=f"projects/{PROJECT}", body={"policy": granted}).execute()
    assert stale.value.resp.status == 409
    ghost = {
        "bindings": [
            {
                "role": "roles/run.invoker",
                "members": [f"serviceAccount:ghost-1@{PROJECT}.iam.gserviceaccount.com"],
            }
        ]
    }
    with pytest.raises(HttpError) as missing:
        projects.setIamPolicy(resource=f"projects/{PROJECT}", body={"policy": ghost}).execute()
    assert missing.value.resp.status == 400


def test_scheduler_job_validates_schedule_zone_and_token(emu, account):
    jobs = _discovery(emu, "cloudscheduler", "v1").projects().locations().jobs()
    body = {
        "name": f"{PARENT}/jobs/drift",
        "schedule": "*/30 * * * *",
        "timeZone": "Europe/Berlin",
        "httpTarget": {
            "uri": f"https://run.googleapis.com/v2/{PARENT}/jobs/drift:run",
            "oauthToken": {"serviceAccountEmail": ACCOUNT},
        },
    }
    created = jobs.create(parent=PARENT, body=body).execute()
    assert created["state"] == "ENABLED" and created["scheduleTime"]
    assert created["httpTarget"]["oauthToken"]["scope"].endswith("/auth/cloud-platform")
    for field, value in (("schedule", "61 * * * *"), ("timeZone", "Mars/Olympus")):
        with pytest.raises(HttpError) as bad:
            jobs.patch(name=body["name"], updateMask=field, body={field: value}).execute()
        assert bad.value.resp.status == 400
    ghost = {**body, "name": f"{PARENT}/jobs/other"}
    ghost["httpTarget"] = {
        **body["httpTarget"],
        "oauthToken": {"serviceAccountEmail": f"ghost-1@{PROJECT}.iam.gserviceaccount.com"},
    }
    with pytest.raises(HttpError) as missing:
        jobs.create(parent=PARENT, body=ghost).execute()
    assert missing.value.resp.status == 400


def test_an_account_patch_answers_what_it_changed_and_disable_shows_on_reads(emu, account):
    accounts = _discovery(emu, "iam", "v1").projects().serviceAccounts()
    body = {
        "serviceAccount": {"displayName": "Gateway", "etag": account["etag"]},
        "updateMask": "display_name",
    }
    patched = accounts.patch(name=account["name"], body=body).execute()
    assert patched == {"name": account["name"], "displayName": "Gateway"}
    assert accounts.disable(name=account["name"], body={}).execute() == {}
    assert accounts.get(name=account["name"]).execute()["disabled"] is True
    accounts.enable(name=account["name"], body={}).execute()
    assert "disabled" not in accounts.get(name=account["name"]).execute()
