"""Who may invoke a Cloud Run service: private by default, public through IAM, unless an
organisation policy (domain restricted sharing) refuses public members."""

from __future__ import annotations

import json

import pytest
import requests
from google.api_core import exceptions
from google.api_core.client_options import ClientOptions
from google.auth.credentials import AnonymousCredentials
from google.cloud import run_v2
from google.iam.v1 import iam_policy_pb2, policy_pb2

from tests.emulator.conftest import PROJECT

PARENT = f"projects/{PROJECT}/locations/us-central1"
INVOKER = "roles/run.invoker"


@pytest.fixture
def services(emu):
    options = ClientOptions(api_endpoint=emu.base_url)
    return run_v2.ServicesClient(transport="rest", credentials=AnonymousCredentials(), client_options=options)


@pytest.fixture
def service(services) -> str:
    container = run_v2.Container(image="gcr.io/p/a:1")
    body = run_v2.Service(template=run_v2.RevisionTemplate(containers=[container]))
    return services.create_service(parent=PARENT, service_id="app", service=body).result().name


def _grant(services, name: str, *members: str) -> policy_pb2.Policy:
    policy = services.get_iam_policy(request=iam_policy_pb2.GetIamPolicyRequest(resource=name))
    policy.bindings.append(policy_pb2.Binding(role=INVOKER, members=list(members)))
    return services.set_iam_policy(request=iam_policy_pb2.SetIamPolicyRequest(resource=name, policy=policy))


def test_a_new_service_is_private_and_all_users_can_be_made_invokers(services, service):
    empty = services.get_iam_policy(request=iam_policy_pb2.GetIamPolicyRequest(resource=service))
    assert list(empty.bindings) == []

    _grant(services, service, "allUsers")

    policy = services.get_iam_policy(request=iam_policy_pb2.GetIamPolicyRequest(resource=service))
    assert [(b.role, list(b.members)) for b in policy.bindings] == [(INVOKER, ["allUsers"])]


def test_domain_restricted_sharing_refuses_public_members_as_gcp_does(emu, services, service):
    reply = requests.post(
        f"{emu.base_url}/_emulator/org-policies",
        json={"project": PROJECT, "constraint": "iam.allowedPolicyMemberDomains", "allowedValues": ["C0abc"]},
        timeout=10,
    )
    assert reply.status_code == 200

    with pytest.raises(exceptions.BadRequest) as refused:
        _grant(services, service, "allUsers")

    error = json.loads(refused.value.response.content)["error"]
    assert error["status"] == "FAILED_PRECONDITION"
    assert error["message"].startswith(
        "One or more users named in the policy do not belong to a permitted customer"
    )
    (violation,) = error["details"][0]["violations"]
    assert violation["type"] == "constraints/iam.allowedPolicyMemberDomains"
    # the project's own accounts are members of the organisation: still accepted
    _grant(services, service, f"serviceAccount:caller@{PROJECT}.iam.gserviceaccount.com")

    emu.set_org_policy(PROJECT, "iam.allowedPolicyMemberDomains", None)
    _grant(services, service, "allUsers")
