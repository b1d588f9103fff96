"""The dry run behind `plan --show-requests`, through the real client libraries.

Each of the three HTTP stacks (discovery clients over httplib2, gapic REST clients and
google-cloud-storage over `requests`) sends its writes into the dry run, which answers them
in a shape the library accepts and remembers what they made; reads still reach the API.
The emulator's request log shows that no write ever left the process.
"""

from __future__ import annotations

import base64

import pytest
from google.cloud import kms_v1, run_v2
from google.iam.v1 import policy_pb2

from provisioner.google.clients import ClientFactory, Endpoints
from provisioner.traffic.dry_run import DryRun

PROJECT = "digitwin-live-dev"
LOCATION = f"projects/{PROJECT}/locations/us-central1"


@pytest.fixture
def dry(apis_on):
    emulator = apis_on
    dry_run = DryRun()
    return dry_run, ClientFactory(Endpoints(default=emulator.url), interceptor=dry_run)


def test_writes_of_every_client_stack_are_answered_in_process_and_read_back(emulator, dry):
    dry_run, clients = dry
    emulator.clear_requests()

    compute = clients.discovery("compute", "v1")
    op = compute.networks().insert(project=PROJECT, body={"name": "vpc-a", "mtu": 1460}).execute()
    waited = compute.globalOperations().wait(project=PROJECT, operation=op["name"]).execute()
    network = compute.networks().get(project=PROJECT, network="vpc-a").execute()
    networks = compute.networks().list(project=PROJECT).execute()

    services = clients.gapic("run", run_v2.ServicesClient)
    created = services.create_service(
        parent=LOCATION, service_id="svc", service=run_v2.Service(labels={"app": "digitwin"})
    ).result()

    kms = clients.gapic("kms", kms_v1.KeyManagementServiceClient)
    ring = kms.create_key_ring(parent=LOCATION, key_ring_id="ring", key_ring={})
    fresh = kms.get_iam_policy(request={"resource": ring.name})
    binding = policy_pb2.Binding(role="roles/cloudkms.viewer", members=["user:a@example.com"])
    kms.set_iam_policy(request={"resource": ring.name, "policy": policy_pb2.Policy(bindings=[binding])})
    granted = kms.get_iam_policy(request={"resource": ring.name})

    gcs = clients.storage(PROJECT)
    bucket = gcs.create_bucket("digitwin-dry-bucket")
    again = gcs.get_bucket("digitwin-dry-bucket")

    assert (op["kind"], op["status"], waited["status"]) == ("compute#operation", "DONE", "DONE")
    assert network == {"name": "vpc-a", "mtu": 1460} and networks["items"] == [network]
    assert created.name == f"{LOCATION}/services/svc" and created.labels["app"] == "digitwin"
    assert ring.name == f"{LOCATION}/keyRings/ring"
    assert not fresh.bindings and [b.role for b in granted.bindings] == ["roles/cloudkms.viewer"]
    assert bucket.name == again.name == "digitwin-dry-bucket"
    assert [r for r in emulator.requests() if r.is_write] == []
    assert [r.method_id for r in emulator.requests()] == ["compute.networks.list"]
    held = dry_run.requests()
    assert [(r.service, r.method, r.operation) for r in held] == [
        ("compute", "POST", True),
        ("run", "POST", True),
        ("kms", "POST", False),
        ("kms", "POST", False),
        ("storage", "POST", False),
    ]
    assert held[0].url.startswith(f"{emulator.url}/compute/v1/projects/{PROJECT}/global/networks")
    assert "serviceId=svc" in held[1].url and held[1].body == {"labels": {"app": "digitwin"}}


def test_lists_show_what_was_made_and_every_secret_is_masked(emulator, dry):
    dry_run, clients = dry
    monitoring = clients.discovery("monitoring", "v3").projects().notificationChannels()
    channel = monitoring.create(
        name=f"projects/{PROJECT}", body={"type": "email", "labels": {"email_address": "a@example.com"}}
    ).execute()
    listed = monitoring.list(name=f"projects/{PROJECT}").execute()

    secrets = clients.discovery("secretmanager", "v1").projects().secrets()
    value = "correct-horse-battery-staple"
    encoded = base64.b64encode(value.encode()).decode()
    secrets.create(
        parent=f"projects/{PROJECT}", secretId="pw", body={"replication": {"automatic": {}}}
    ).execute()
    secrets.addVersion(parent=f"projects/{PROJECT}/secrets/pw", body={"payload": {"data": encoded}}).execute()
    read = secrets.versions().access(name=f"projects/{PROJECT}/secrets/pw/versions/latest").execute()
    sql = clients.discovery("sqladmin", "v1")
    sql.users().insert(
        project=PROJECT, instance="pg", body={"name": "app", "password": value, "host": f"x-{value}"}
    ).execute()

    assert channel["name"].startswith(f"projects/{PROJECT}/notificationChannels/dry-run-")
    assert [c["name"] for c in listed["notificationChannels"]] == [channel["name"]]
    assert read["payload"]["data"] == encoded
    bodies = [r.body for r in dry_run.requests()]
    assert bodies[2] == {"payload": {"data": "(sensitive)"}}
    assert bodies[3] == {"name": "app", "password": "(sensitive)", "host": "x-(sensitive)"}
    shown = repr(dry_run.requests())
    assert value not in shown and encoded not in shown
    assert [r for r in emulator.requests() if r.is_write] == []
