"""GKE v1 operations, read from the shared operation table.

`v1/projects/*/locations/*/operations/*` is the same path for every API that serves
google.longrunning operations on one host, and the route table hands it to the first API
that handles it. So `get` answers for any operation stored under that name, each shown in
its own API's shape; `list` shows only GKE's.
"""

from __future__ import annotations

from typing import Any

from emulator.errors import not_found
from emulator.registry import Api, Call
from emulator.services import _container as k

API = Api("container", "v1")


@API.handles("container.projects.locations.operations.get")
def get_operation(call: Call) -> dict[str, Any]:
    name = call.param("name")
    record = call.ctx.operations.record(name)
    if record is None:
        head, _, short = name.partition("/operations/")
        project, _, location = head.removeprefix("projects/").partition("/locations/")
        found = call.ctx.projects.lookup(project)
        if found is not None:
            record = call.ctx.operations.record(
                f"projects/{found[0]}/locations/{location}/operations/{short}"
            )
    if record is None:
        raise not_found(f'Operation "{name}" not found.')
    return call.ctx.operations.view(record)


@API.handles("container.projects.locations.operations.list")
def list_operations(call: Call) -> dict[str, Any]:
    project_id, _, location = k.parent(
        call, call.param("parent"), "container.operations.list", any_location=True
    )
    prefix = f"projects/{project_id}/locations/"
    found = [
        call.ctx.operations.view(record)
        for record in call.ctx.store.list_operations()
        if record.get("style") == "container"
        and record["name"].startswith(prefix)
        and (location == "-" or record["name"].split("/")[3] == location)
    ]
    return {"operations": found} if found else {}
