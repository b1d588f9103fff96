"""What a Cloud Run job's operations show while they run and once done, as recorded on real GCP.

Source: the real recordings of Config Connector's runjob-dependson (commit f36383ddfe) and
runjob-gcsvolume (commit 8f2068280e), vendored under conformance/kcc-history/.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import googleapiclient
import httplib2
import pytest
from googleapiclient.discovery import build_from_document

from emulator import Emulator, EmulatorConfig
from tests.emulator.conftest import PROJECT

PARENT = f"projects/{PROJECT}/locations/us-central1"
JOB = f"{PARENT}/jobs/nightly"


@pytest.fixture
def slow() -> Any:
    """An emulator whose operations take a while, so that a started one can be seen running."""
    emulator = Emulator(EmulatorConfig(projects=[PROJECT], operation_delay_s=60))
    emulator.start()
    yield emulator
    emulator.close()


@pytest.fixture
def jobs(slow: Emulator) -> Any:
    path = Path(googleapiclient.__file__).parent / "discovery_cache" / "documents" / "run.v2.json"
    run = build_from_document(
        json.loads(path.read_text()), http=httplib2.Http(), client_options={"api_endpoint": slow.base_url}
    )
    return run.projects().locations()


def _body(**probe: Any) -> dict[str, Any]:
    container = {"image": "us-docker.pkg.dev/cloudrun/container/job", **probe}
    return {"template": {"template": {"containers": [container]}}}


def test_a_started_write_shows_the_job_reconciling_and_the_finished_one_as_it_ended(
    slow: Emulator, jobs: Any
) -> None:
    started = jobs.jobs().create(parent=PARENT, jobId="nightly", body=_body()).execute()
    assert started["metadata"]["reconciling"] is True
    assert started["metadata"]["terminalCondition"] == {"state": "CONDITION_PENDING"}
    assert "observedGeneration" not in started["metadata"] and "uid" not in started["metadata"]
    slow.advance_time(120)
    done = jobs.operations().get(name=started["name"]).execute()
    assert done["done"] is True and "reconciling" not in done["metadata"]
    assert done["metadata"]["observedGeneration"] == "1"
    assert done["metadata"]["terminalCondition"]["state"] == "CONDITION_SUCCEEDED"
    assert {k: v for k, v in done["response"].items() if k != "uid"} == done["metadata"]

    patch = _body()
    patch["labels"] = {"team": "data"}
    updating = jobs.jobs().patch(name=JOB, body=patch).execute()["metadata"]
    assert (updating["generation"], updating["observedGeneration"]) == ("2", "1")
    assert updating["terminalCondition"]["type"] == "Ready"
    assert updating["terminalCondition"]["state"] == "CONDITION_PENDING"


def test_a_delete_moves_the_generation_on_and_keeps_the_job_thirty_days(slow: Emulator, jobs: Any) -> None:
    jobs.jobs().create(parent=PARENT, jobId="nightly", body=_body()).execute()
    slow.advance_time(120)
    deleting = jobs.jobs().delete(name=JOB).execute()
    metadata = deleting["metadata"]
    assert (metadata["generation"], metadata["observedGeneration"], metadata["reconciling"]) == (
        "2",
        "1",
        True,
    )
    deleted = datetime.fromisoformat(metadata["deleteTime"].replace("Z", "+00:00"))
    expires = datetime.fromisoformat(metadata["expireTime"].replace("Z", "+00:00"))
    assert (expires - deleted).days == 30
    slow.advance_time(120)
    done = jobs.operations().get(name=deleting["name"]).execute()
    assert done["response"]["observedGeneration"] == "2"
    assert done["response"]["deleteTime"] == metadata["deleteTime"]
    assert "reconciling" not in done["response"]


def test_a_probe_without_a_port_is_read_on_the_containers_port(slow: Emulator, jobs: Any) -> None:
    jobs.jobs().create(
        parent=PARENT, jobId="nightly", body=_body(startupProbe={"httpGet": {"path": "/"}})
    ).execute()
    (container,) = jobs.jobs().get(name=JOB).execute()["template"]["template"]["containers"]
    assert container["startupProbe"]["httpGet"] == {"path": "/", "port": 8080}


def test_a_job_of_several_containers_gives_each_a_smaller_default(slow: Emulator, jobs: Any) -> None:
    one = _body()
    three = {"template": {"template": {"containers": [{**one_container(), "name": n} for n in "abc"]}}}
    jobs.jobs().create(parent=PARENT, jobId="single", body=one).execute()
    jobs.jobs().create(parent=PARENT, jobId="trio", body=three).execute()
    single = jobs.jobs().get(name=f"{PARENT}/jobs/single").execute()["template"]["template"]["containers"]
    trio = jobs.jobs().get(name=f"{PARENT}/jobs/trio").execute()["template"]["template"]["containers"]
    assert [c["resources"]["limits"] for c in single] == [{"cpu": "1000m", "memory": "512Mi"}]
    assert [c["resources"]["limits"] for c in trio] == [{"cpu": "1000m", "memory": "256Mi"}] * 3


def one_container() -> dict[str, Any]:
    return {"image": "us-docker.pkg.dev/cloudrun/container/job"}
