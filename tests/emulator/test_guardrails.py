"""What a project allows, as the emulator serves it: billing, quotas, the caller's permissions
and organisation policies, each readable through Google's own APIs and set through the
control surface."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from google.auth.credentials import AnonymousCredentials
from googleapiclient.errors import HttpError

from emulator import Emulator
from tests.emulator.conftest import PROJECT


def client(emu: Emulator, api: str, version: str) -> Any:
    from googleapiclient.discovery import build_from_document

    from provisioner.google.clients import _discovery_document

    document = _discovery_document(api, version)
    return build_from_document(
        document,
        credentials=AnonymousCredentials(),
        client_options={"api_endpoint": f"{emu.base_url}/{document.get('servicePath', '')}"},
    )


def control(emu: Emulator, route: str, payload: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(
        f"{emu.base_url}/_emulator/{route}", data=json.dumps(payload).encode(), method="POST"
    )
    try:
        with urllib.request.urlopen(request) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def error_of(exc: HttpError) -> dict[str, Any]:
    return json.loads(exc.content)["error"]


def test_billing_is_linked_until_the_control_surface_unlinks_it(emu: Emulator) -> None:
    billing = client(emu, "cloudbilling", "v1").projects()

    linked = billing.getBillingInfo(name=f"projects/{PROJECT}").execute()
    assert control(emu, "billing", {"project": PROJECT, "enabled": False})[0] == 200
    unlinked = billing.getBillingInfo(name=f"projects/{PROJECT}").execute()

    assert linked["billingEnabled"] is True
    assert linked["billingAccountName"].startswith("billingAccounts/")
    assert unlinked == {
        "name": f"projects/{PROJECT}/billingInfo",
        "projectId": PROJECT,
        "billingAccountName": "",
        "billingEnabled": False,
    }


def test_paid_apis_are_not_enabled_on_a_project_without_billing(emu: Emulator) -> None:
    emu.set_billing(PROJECT, False)
    usage = client(emu, "serviceusage", "v1").services()

    with pytest.raises(HttpError) as refused:
        usage.batchEnable(
            parent=f"projects/{PROJECT}",
            body={"serviceIds": ["compute.googleapis.com", "iam.googleapis.com"]},
        ).execute()
    free = usage.enable(name=f"projects/{PROJECT}/services/iam.googleapis.com").execute()

    error = error_of(refused.value)
    assert (error["code"], error["status"]) == (400, "FAILED_PRECONDITION")
    assert "Billing must be enabled for activation of service(s) 'compute.googleapis.com'" in error["message"]
    info = next(d for d in error["details"] if d["@type"].endswith("ErrorInfo"))
    assert info["reason"] == "UREQ_PROJECT_BILLING_NOT_FOUND"
    assert "name" in free


def test_region_and_project_quotas_carry_limits_the_control_surface_sets(emu: Emulator) -> None:
    compute = client(emu, "compute", "v1")
    status, _ = control(
        emu, "quotas", {"project": PROJECT, "region": "us-central1", "metric": "NVIDIA_T4_GPUS", "limit": 1}
    )
    assert status == 200
    emu.set_quota(PROJECT, None, "GPUS_ALL_REGIONS", 0, usage=0)

    region = compute.regions().get(project=PROJECT, region="us-central1").execute()
    project = compute.projects().get(project=PROJECT).execute()

    quotas = {q["metric"]: q for q in region["quotas"]}
    assert quotas["NVIDIA_T4_GPUS"] == {"metric": "NVIDIA_T4_GPUS", "limit": 1.0, "usage": 0.0}
    assert quotas["CPUS"]["limit"] > 0
    assert region["name"] == "us-central1" and region["status"] == "UP"
    assert {q["metric"]: q["limit"] for q in project["quotas"]}["GPUS_ALL_REGIONS"] == 0.0
    assert control(emu, "quotas", {"project": PROJECT, "metric": "NO_SUCH_METRIC", "limit": 1})[0] == 400


def test_test_iam_permissions_answers_what_the_caller_holds(emu: Emulator) -> None:
    crm = client(emu, "cloudresourcemanager", "v3").projects()
    asked = {"permissions": ["compute.networks.create", "storage.buckets.create"]}

    owner = crm.testIamPermissions(resource=f"projects/{PROJECT}", body=asked).execute()
    control(emu, "permissions", {"project": PROJECT, "granted": ["storage.buckets.create"]})
    limited = crm.testIamPermissions(resource=f"projects/{PROJECT}", body=asked).execute()
    with pytest.raises(HttpError) as wildcard:
        crm.testIamPermissions(resource=f"projects/{PROJECT}", body={"permissions": ["storage.*"]}).execute()

    assert owner == {"permissions": ["compute.networks.create", "storage.buckets.create"]}
    assert limited == {"permissions": ["storage.buckets.create"]}
    assert error_of(wildcard.value)["code"] == 400


def test_a_caller_without_the_permission_is_refused_as_if_the_project_did_not_exist(emu: Emulator) -> None:
    emu.set_caller_permissions(PROJECT, ["iam.serviceAccounts.list"])
    iam = client(emu, "iam", "v1").projects().serviceAccounts()

    listed = iam.list(name=f"projects/{PROJECT}").execute()
    with pytest.raises(HttpError) as refused:
        iam.create(name=f"projects/{PROJECT}", body={"accountId": "deployer"}).execute()

    assert listed.get("accounts", []) == []
    error = error_of(refused.value)
    assert error["code"] == 403
    assert "Permission 'iam.serviceAccounts.create' denied" in error["message"]


def test_effective_org_policies_read_as_set_and_empty_by_default(emu: Emulator) -> None:
    crm = client(emu, "cloudresourcemanager", "v1").projects()
    policy = {"listPolicy": {"allowedValues": ["in:europe-locations"]}}
    status, _ = control(
        emu, "org-policies", {"project": PROJECT, "constraint": "gcp.resourceLocations", "policy": policy}
    )
    assert status == 200

    locations = crm.getEffectiveOrgPolicy(
        resource=f"projects/{PROJECT}", body={"constraint": "constraints/gcp.resourceLocations"}
    ).execute()
    domains = crm.getEffectiveOrgPolicy(
        resource=f"projects/{PROJECT}", body={"constraint": "constraints/iam.allowedPolicyMemberDomains"}
    ).execute()

    assert locations["constraint"] == "constraints/gcp.resourceLocations"
    assert locations["listPolicy"] == {"allowedValues": ["in:europe-locations"]}
    assert (
        "listPolicy" not in domains and domains["constraint"] == "constraints/iam.allowedPolicyMemberDomains"
    )
    assert not [r for r in emu.requests() if r.is_write]  # reading a policy writes nothing


def test_public_members_are_refused_under_an_allowed_domains_policy(emu: Emulator) -> None:
    crm = client(emu, "cloudresourcemanager", "v3").projects()
    emu.set_org_policy(
        PROJECT, "iam.allowedPolicyMemberDomains", {"listPolicy": {"allowedValues": ["C0abc12"]}}
    )
    policy = crm.getIamPolicy(resource=f"projects/{PROJECT}", body={}).execute()
    policy["bindings"] = [{"role": "roles/viewer", "members": ["allUsers"]}]

    with pytest.raises(HttpError) as refused:
        crm.setIamPolicy(resource=f"projects/{PROJECT}", body={"policy": policy}).execute()
    emu.set_org_policy(PROJECT, "iam.allowedPolicyMemberDomains", None)
    allowed = crm.setIamPolicy(resource=f"projects/{PROJECT}", body={"policy": policy}).execute()

    error = error_of(refused.value)
    assert (error["code"], error["status"]) == (400, "FAILED_PRECONDITION")
    assert error["message"].startswith(
        "One or more users named in the policy do not belong to a permitted customer"
    )
    (violation,) = error["details"][0]["violations"]
    assert violation["type"] == "constraints/iam.allowedPolicyMemberDomains"
    assert violation["description"] == "User allUsers is not in permitted organization."
    assert allowed["bindings"] == [{"role": "roles/viewer", "members": ["allUsers"]}]


@pytest.mark.skipif(shutil.which("gcloud") is None, reason="gcloud is not on PATH")
def test_gcloud_describes_the_project(emu: Emulator, tmp_path: Path) -> None:
    env = {**os.environ, "CLOUDSDK_CONFIG": str(tmp_path / "gcloud"), "CLOUDSDK_CORE_DISABLE_PROMPTS": "1"}

    def gcloud(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["gcloud", *args], env=env, capture_output=True, text=True, timeout=120)

    for prop, value in (
        ("api_endpoint_overrides/cloudresourcemanager", emu.base_url + "/"),
        ("auth/disable_credentials", "true"),
    ):
        assert gcloud("config", "set", prop, value).returncode == 0

    described = gcloud("projects", "describe", PROJECT, "--format=json")

    assert described.returncode == 0, described.stderr
    project = json.loads(described.stdout)
    assert project["projectId"] == PROJECT
    assert project["lifecycleState"] == "ACTIVE"
    assert project["projectNumber"] == emu.ctx.projects.require(PROJECT)[1]
    assert [r.method_id for r in emu.requests()] == ["cloudresourcemanager.projects.get"]


def test_gke_refuses_node_pools_whose_first_nodes_the_quota_cannot_hold(emu: Emulator) -> None:
    from tests.emulator.test_compute import REGION
    from tests.emulator.test_container import CLUSTER, PARENT, T4, cluster, gke, refused

    client_ = gke.__wrapped__(emu)
    client_.create_cluster(parent=PARENT, cluster=cluster())
    emu.set_quota(PROJECT, REGION, "NVIDIA_T4_GPUS", 2)
    three_zones_one_each = {
        "name": "gpu",
        "initial_node_count": 1,
        "config": {"machine_type": "n1-standard-4", "accelerators": T4},
        "autoscaling": {"enabled": True, "total_min_node_count": 3, "total_max_node_count": 6},
    }
    from_zero = {
        **three_zones_one_each,
        "initial_node_count": 0,
        "autoscaling": {"enabled": True, "total_min_node_count": 0, "total_max_node_count": 6},
    }

    error = refused(client_.create_node_pool, parent=CLUSTER, node_pool=three_zones_one_each)
    client_.create_node_pool(parent=CLUSTER, node_pool=from_zero)

    assert error.code == 403
    assert (
        "Insufficient regional quota to satisfy request: resource \"NVIDIA_T4_GPUS\": request requires '3.0'"
        " and is short '1.0'. project has a quota of '2.0' with '2.0' available."
    ) in error.message


def test_gke_nodes_count_as_usage_of_the_region_s_quotas(emu: Emulator) -> None:
    from tests.emulator.test_compute import REGION
    from tests.emulator.test_container import CLUSTER, PARENT, cluster, gke

    client_ = gke.__wrapped__(emu)
    client_.create_cluster(parent=PARENT, cluster=cluster())
    before = _usage(emu, REGION)
    one_a_zone = {"name": "cpu", "initial_node_count": 1, "config": {"machine_type": "e2-standard-4"}}
    client_.create_node_pool(parent=CLUSTER, node_pool=one_a_zone)

    assert _usage(emu, REGION)["CPUS"] - before["CPUS"] == 3 * 4  # a node in each of three zones


def _usage(emu: Emulator, region: str) -> dict[str, float]:
    found = client(emu, "compute", "v1").regions().get(project=PROJECT, region=region).execute()
    return {q["metric"]: q["usage"] for q in found["quotas"]}
