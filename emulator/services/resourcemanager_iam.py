"""Cloud Resource Manager v3: the project's IAM policy, read and replaced under its etag.

Policies are stored by project id whatever form the caller used. A binding naming a
service account of a known project that does not exist is refused (`emulator.iam`), as the
real API does.
"""

from __future__ import annotations

from typing import Any

from emulator import iam
from emulator.errors import invalid
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
