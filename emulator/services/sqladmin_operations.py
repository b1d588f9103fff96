"""Cloud SQL operations: get and list `sql#operation`s from the shared operation table."""

from __future__ import annotations

from typing import Any

from emulator import standard
from emulator.registry import Api, Call
from emulator.services._sqladmin import SqlError, project_id

API = Api("sqladmin", "v1")


def _operation_not_found(name: str) -> SqlError:
    return SqlError(404, f"The Cloud SQL operation {name} does not exist.", reason="operationDoesNotExist")


@API.handles("sql.operations.get")
def get_operation(call: Call) -> dict[str, Any]:
    project, _ = project_id(call)
    name = call.param("operation")
    record = call.ctx.operations.record(name)
    if record is None or record.get("style") != "sqladmin" or record["extra"].get("targetProject") != project:
        raise _operation_not_found(name)
    return call.ctx.operations.view(record)


@API.handles("sql.operations.list")
def list_operations(call: Call) -> dict[str, Any]:
    """Newest first; `instance` narrows the list to one instance, as gcloud and Terraform use it."""
    project, _ = project_id(call)
    instance = call.query.get("instance")
    records = [
        r
        for r in call.ctx.store.list_operations()
        if r.get("style") == "sqladmin"
        and r["extra"].get("targetProject") == project
        and (not instance or r["extra"].get("targetId") == instance)
    ]
    records.sort(key=lambda r: (r["created"], r["name"]), reverse=True)
    views = [call.ctx.operations.view(r) for r in records]
    head = {"kind": "sql#operationsList"}
    return standard.list_answer(call, "items", views, head=head, size_param="maxResults", default_size=500)
