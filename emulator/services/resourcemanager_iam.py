"""Cloud Resource Manager v3: the project's IAM policy, read and replaced under its etag.

Policies are stored by project id whatever form the caller used. A binding naming a
service account of a known project that does not exist is refused (`emulator.iam`), as the
real API does.
"""

from __future__ import annotations

from typing import Any

from emulator import guardrails, iam
from emulator.errors import invalid
from emulator.projects import permission_denied_for
from emulator.registry import Api, Call

API = Api("cloudresourcemanager", "v3")


def _resource(call: Call, permission: str) -> str:
    project_id, _ = call.ctx.projects.require(call.param("resource").removeprefix("projects/"), permission)
    return f"projects/{project_id}"


@API.handles("cloudresourcemanager.projects.getIamPolicy")
def get_policy(call: Call) -> dict[str, Any]:
    return iam.get_policy(call.ctx.store, _resource(call, "resourcemanager.projects.getIamPolicy"))


@API.handles("cloudresourcemanager.projects.setIamPolicy")
def set_policy(call: Call) -> dict[str, Any]:
    resource = _resource(call, "resourcemanager.projects.setIamPolicy")
    body = call.body or {}
    policy = body.get("policy")
    if policy is None:
        raise invalid("policy is required.", field="policy")
    mask = str(body.get("updateMask") or "bindings,etag")
    if {p.strip() for p in mask.split(",") if p.strip()} - {"bindings", "etag", "auditConfigs", "version"}:
        raise invalid(f"Invalid update mask '{mask}'.", field="update_mask")
    return iam.set_policy(call.ctx.store, resource, policy)


@API.handles("cloudresourcemanager.projects.testIamPermissions")
def test_permissions(call: Call) -> dict[str, Any]:
    """The permissions of those asked that the caller holds on the project.

    "There are no permissions required for making this API call"
    (https://cloud.google.com/resource-manager/reference/rest/v3/projects/testIamPermissions).
    """
    wanted = call.param("resource").removeprefix("projects/")
    found = call.ctx.projects.lookup(wanted)
    if found is None:
        raise permission_denied_for(wanted, "resourcemanager.projects.get")
    asked = [str(p) for p in (call.body or {}).get("permissions") or []]
    held = guardrails.test_permissions(call.ctx.store, found[0], asked)
    return {"permissions": held} if held else {}
