"""Cloud Resource Manager v1: the project as `gcloud projects describe` reads it, and the
organisation policies in force on it."""

from __future__ import annotations

from typing import Any

from emulator import guardrails
from emulator.errors import invalid
from emulator.registry import Api, Call

API = Api("cloudresourcemanager", "v1")


@API.handles("cloudresourcemanager.projects.get")
def get_project(call: Call) -> dict[str, Any]:
    project_id, number = call.ctx.projects.require(call.param("projectId"), "resourcemanager.projects.get")
    return {
        "projectNumber": number,
        "projectId": project_id,
        "lifecycleState": "ACTIVE",
        "name": project_id,
        "createTime": "2024-01-01T00:00:00.000Z",
        "parent": {"type": "organization", "id": "0"},
    }


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
