"""What Cloud Run fills into a service or job it is given, field by field, as recorded on GCP.

The recorded answers are in ../shared/conformance/kcc-golden/run/v1beta1/ (runservice,
runjob); the default startup probe is the one the health-check documentation describes. Read
through the raw REST surface, as gcloud or curl would see it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import googleapiclient
import httplib2
import pytest
from googleapiclient.discovery import build_from_document

from tests.emulator.conftest import PROJECT

PARENT = f"projects/{PROJECT}/locations/us-central1"

DEFAULT_PROBE = {"timeoutSeconds": 240, "periodSeconds": 240, "failureThreshold": 1}


@pytest.fixture
def run(emu: Any) -> Any:
    path = Path(googleapiclient.__file__).parent / "discovery_cache" / "documents" / "run.v2.json"
    doc = json.loads(path.read_text())
    return build_from_document(doc, http=httplib2.Http(), client_options={"api_endpoint": emu.base_url})


def _create(run: Any, service_id: str, **container: Any) -> dict[str, Any]:
    body = {"template": {"containers": [{"image": "gcr.io/cloudrun/hello", **container}]}}
    services = run.projects().locations().services()
    services.create(parent=PARENT, serviceId=service_id, body=body).execute()
    return services.get(name=f"{PARENT}/services/{service_id}").execute()


def test_a_bare_service_comes_back_as_recorded(run: Any) -> None:
    """runservicebasic and runserviceprobes: no ports, no scaling, no cpuIdle, GEN2."""
    service = _create(run, "bare")
    template = service["template"]

    assert template["containers"] == [
        {"image": "gcr.io/cloudrun/hello", "resources": {"limits": {"cpu": "1000m", "memory": "512Mi"}}}
    ]
    assert template["executionEnvironment"] == "EXECUTION_ENVIRONMENT_GEN2"
    assert template["maxInstanceRequestConcurrency"] == 80 and template["timeout"] == "300s"
    assert template["serviceAccount"].endswith("-compute@developer.gserviceaccount.com")
    assert "scaling" not in template


def test_the_revision_runs_the_default_tcp_startup_probe_on_the_containers_port(run: Any) -> None:
    revisions = run.projects().locations().services().revisions()
    bare = _create(run, "bare")
    ported = _create(run, "ported", ports=[{"containerPort": 9000}])

    (container,) = revisions.get(name=bare["latestCreatedRevision"]).execute()["containers"]
    assert container["startupProbe"] == {**DEFAULT_PROBE, "tcpSocket": {"port": 8080}}
    (container,) = revisions.get(name=ported["latestCreatedRevision"]).execute()["containers"]
    assert container["startupProbe"] == {**DEFAULT_PROBE, "tcpSocket": {"port": 9000}}
    # the service's own template keeps what was sent: a port without a name stays without one
    assert ported["template"]["containers"][0]["ports"] == [{"containerPort": 9000}]
    assert "startupProbe" not in ported["template"]["containers"][0]


def test_a_probe_given_in_part_gets_the_apis_defaults_for_the_rest(run: Any) -> None:
    """runjob-with-port: a startup probe sent with only httpGet comes back with 3, 10 and 1."""
    service = _create(run, "probed", startupProbe={"httpGet": {"path": "/", "port": 8080}})
    (container,) = service["template"]["containers"]
    assert container["startupProbe"] == {
        "httpGet": {"path": "/", "port": 8080},
        "failureThreshold": 3,
        "periodSeconds": 10,
        "timeoutSeconds": 1,
    }
