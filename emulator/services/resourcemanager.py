"""Cloud Resource Manager v3: enough for clients to learn a project's number."""

from __future__ import annotations

from typing import Any

from emulator.registry import Api, Call
from emulator.services._resourcemanager import v3_view

API = Api("cloudresourcemanager", "v3")


@API.handles("cloudresourcemanager.projects.get")
def get_project(call: Call) -> dict[str, Any]:
    wanted = call.param("name").removeprefix("projects/")
    project_id, number = call.ctx.projects.require(wanted)
    return v3_view(call.ctx.store, project_id, number)
