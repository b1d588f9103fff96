"""Cloud Run decides a service's CPU allocation as the Admin API v2 documents `cpuIdle`.

"true by default. However, if ResourceRequirements is set, the caller must explicitly set
this field to true": a container that sets its resources without `cpuIdle` has CPU always
allocated, and the API's JSON leaves the false field out. Read through the raw REST surface,
as gcloud or curl would see it, so an omitted field and a false one are told apart.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import googleapiclient
import httplib2
import pytest
from googleapiclient.discovery import build_from_document
from googleapiclient.errors import HttpError

from tests.emulator.conftest import PROJECT

PARENT = f"projects/{PROJECT}/locations/us-central1"


@pytest.fixture
def run(emu) -> Any:
    path = Path(googleapiclient.__file__).parent / "discovery_cache" / "documents" / "run.v2.json"
    doc = json.loads(path.read_text())
    return build_from_document(doc, http=httplib2.Http(), client_options={"api_endpoint": emu.base_url})


def _create(run: Any, service_id: str, container: dict[str, Any], **template: Any) -> dict[str, Any]:
    body = {"template": {"containers": [{"image": "gcr.io/p/app:1", **container}], **template}}
    services = run.projects().locations().services()
    services.create(parent=PARENT, serviceId=service_id, body=body).execute()
    return services.get(name=f"{PARENT}/services/{service_id}").execute()


def _resources(service: dict[str, Any]) -> dict[str, Any]:
    return service["template"]["containers"][0]["resources"]


def test_cpu_is_idle_between_requests_only_when_the_container_sets_no_resources(run):
    untouched = _create(run, "untouched", {})
    limited = _create(run, "limited", {"resources": {"limits": {"cpu": "2", "memory": "1Gi"}}})
    idle = _create(run, "idle", {"resources": {"limits": {"cpu": "2", "memory": "1Gi"}, "cpuIdle": True}})
    always = _create(run, "always", {"resources": {"limits": {"cpu": "2"}, "cpuIdle": False}})

    # The default (CPU during requests only) is not spelled out: recorded in kcc-golden
    # run/v1beta1/runservice/runservicebasic, no resources sent, limits alone come back.
    assert _resources(untouched) == {"limits": {"cpu": "1000m", "memory": "512Mi"}}
    assert _resources(limited) == {"limits": {"cpu": "2", "memory": "1Gi"}}
    assert _resources(idle) == {"limits": {"cpu": "2", "memory": "1Gi"}, "cpuIdle": True}
    assert _resources(always) == {"limits": {"cpu": "2", "memory": "512Mi"}}


def test_the_revision_runs_with_the_allocation_the_service_was_given(run):
    service = _create(run, "app", {"resources": {"limits": {"cpu": "1"}, "cpuIdle": True}})
    revisions = run.projects().locations().services().revisions()
    revision = revisions.get(name=service["latestCreatedRevision"]).execute()
    assert revision["containers"][0]["resources"]["cpuIdle"] is True

    services = run.projects().locations().services()
    patch = {"template": {"containers": [{"image": "gcr.io/p/app:1", "resources": {"limits": {"cpu": "1"}}}]}}
    services.patch(name=service["name"], updateMask="template", body=patch).execute()
    rolled = services.get(name=service["name"]).execute()

    assert "cpuIdle" not in _resources(rolled)
    assert rolled["latestCreatedRevision"] != service["latestCreatedRevision"]


def test_less_than_one_cpu_needs_cpu_only_during_requests(run):
    small = {"resources": {"limits": {"cpu": "500m"}}}

    with pytest.raises(HttpError) as refused:
        _create(run, "small", small, maxInstanceRequestConcurrency=1)
    accepted = _create(
        run, "small", {"resources": {**small["resources"], "cpuIdle": True}}, maxInstanceRequestConcurrency=1
    )

    assert refused.value.status_code == 400
    error = json.loads(refused.value.content)["error"]
    assert "cpu_idle true" in error["message"]
    assert _resources(accepted)["cpuIdle"] is True
