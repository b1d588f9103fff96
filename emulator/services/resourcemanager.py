"""Cloud Resource Manager v3: enough for clients to learn a project's number."""

from __future__ import annotations

from typing import Any

from emulator.registry import Api, Call

API = Api("cloudresourcemanager", "v3")


@API.handles("cloudresourcemanager.projects.get")
def get_project(call: Call) -> dict[str, Any]:
    wanted = call.param("name").removeprefix("projects/")
    project_id, number = call.ctx.projects.require(wanted)
    return {
        "name": f"projects/{number}",
        "projectId": project_id,
        "state": "ACTIVE",
        "displayName": project_id,
        "parent": "organizations/0",
        "createTime": "2024-01-01T00:00:00.000Z",
        "updateTime": "2024-01-01T00:00:00.000Z",
        "etag": f'W/"{number}"',
    }
