"""Cloud Resource Manager v1: the project as `gcloud projects describe` reads it, and the
organisation policies in force on it."""

from __future__ import annotations

from typing import Any

from emulator import guardrails
from emulator.errors import ApiError, invalid, permission_denied
from emulator.registry import Api, Call
from emulator.services._resourcemanager import v1_view

API = Api("cloudresourcemanager", "v1")


@API.handles("cloudresourcemanager.projects.get")
def get_project(call: Call) -> dict[str, Any]:
    wanted = call.param("projectId")
    try:
        project_id, number = call.ctx.projects.require(wanted, "resourcemanager.projects.get")
    except ApiError as refused:
        # v1 answers a project that does not exist, or that the caller may not see, with one
        # 403 and this message (kcc-golden compute/v1beta1/computeforwardingrule/
        # regionalcomputeforwardingrulepsc-direct/_http.log #0, before the log creates the
        # project; "The 403 vs 404 is intended behavior":
        # https://github.com/googleapis/google-cloud-java/issues/440).
        raise permission_denied("The caller does not have permission") from refused
    return v1_view(call.ctx.store, project_id, number)


@API.handles("cloudresourcemanager.projects.getEffectiveOrgPolicy")
def get_effective_org_policy(call: Call) -> dict[str, Any]:
    # Reading policies needs orgpolicy.policy.get
    # (https://cloud.google.com/resource-manager/docs/organization-policy/creating-managing-policies).
    project_id, _ = call.ctx.projects.require(
        call.param("resource").removeprefix("projects/"), "orgpolicy.policy.get"
    )
    constraint = str((call.body or {}).get("constraint") or "")
    if not constraint:
        raise invalid("constraint is required.", field="constraint")
    return guardrails.effective_org_policy(call.ctx.store, project_id, constraint)
