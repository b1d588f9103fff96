"""What Cloud Resource Manager keeps about a project beyond its id and number.

A project registered by hand (an established project the emulator starts with) has no record:
it reads as an ACTIVE project under organisation 0, named by its id. A project made through
`projects.create` keeps what the request said (display name, labels, parent) and when it was
made, and `projects.delete` marks it DELETE_REQUESTED, as the v1 API describes
(https://cloud.google.com/resource-manager/reference/rest/v1/projects#Project).
"""

from __future__ import annotations

from typing import Any

from emulator.state import Store

KIND = "cloudresourcemanager.project"
#: A project made before the emulator started reads as created at this time.
ESTABLISHED = "2024-01-01T00:00:00.000Z"


def record(store: Store, project_id: str) -> dict[str, Any]:
    """What was said about the project when it was made; empty for an established one."""
    return store.get(KIND, project_id) or {}


def v1_view(store: Store, project_id: str, number: str) -> dict[str, Any]:
    """The v1 Project as `projects.get` answers it."""
    return v1_view_of(record(store, project_id), project_id, number)


def v1_view_of(made: dict[str, Any], project_id: str, number: str) -> dict[str, Any]:
    """The v1 Project, shaped as recorded in kcc-golden compute/v1beta1/computeforwardingrule/
    regionalcomputeforwardingrulepsc-direct/_http.log #6 (createTime, labels, lifecycleState,
    name = the display name, parent {id, type}, projectId, projectNumber)."""
    view: dict[str, Any] = {
        "projectNumber": number,
        "projectId": project_id,
        "lifecycleState": made.get("lifecycleState", "ACTIVE"),
        "name": made.get("name", project_id),
        "createTime": made.get("createTime", ESTABLISHED),
    }
    # A project made without a parent has none (Project.parent is optional on create).
    parent = made.get("parent") if made else {"type": "organization", "id": "0"}
    if parent:
        view["parent"] = parent
    if made.get("labels"):
        view["labels"] = made["labels"]
    return view


def v3_view(store: Store, project_id: str, number: str) -> dict[str, Any]:
    """The same project as v3 names it (https://cloud.google.com/resource-manager/reference/rest/
    v3/projects#Project: `name` projects/{number}, `parent` type/id, `state`, `displayName`)."""
    v1 = v1_view(store, project_id, number)
    view: dict[str, Any] = {
        "name": f"projects/{number}",
        "projectId": project_id,
        "state": v1["lifecycleState"],
        "displayName": v1["name"],
        "createTime": v1["createTime"],
        "updateTime": v1["createTime"],
        "etag": f'W/"{number}"',
    }
    if v1.get("parent"):
        view["parent"] = f"{v1['parent']['type']}s/{v1['parent']['id']}"
    if v1.get("labels"):
        view["labels"] = v1["labels"]
    return view
