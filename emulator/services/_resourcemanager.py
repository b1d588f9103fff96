"""What Cloud Resource Manager keeps about a project beyond its id and number.

A project registered by hand (an established project the emulator starts with) has no record:
it reads as an ACTIVE project with neither display name nor parent in v1 (as recorded), and
under organisation 0, named by its id, in v3. A project made through
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
    """The v1 Project, shaped as recorded: a project made through `projects.create` shows its
    createTime, labels, lifecycleState, name (the display name), parent {id, type}, projectId
    and projectNumber (kcc-golden compute/v1beta1/computeforwardingrule/
    regionalcomputeforwardingrulepsc-direct/_http.log #6); the established project the tests
    run in shows createTime, lifecycleState, projectId and projectNumber only, no name and no
    parent (43 reads of `v1/projects/${projectId}` in kcc-golden, e.g. servicenetworking/v1beta1/
    servicenetworkingconnection/_http.log #16)."""
    view: dict[str, Any] = {
        "projectNumber": number,
        "projectId": project_id,
        "lifecycleState": made.get("lifecycleState", "ACTIVE"),
        "createTime": made.get("createTime", ESTABLISHED),
    }
    for key in ("name", "parent", "labels"):
        if made.get(key):
            view[key] = made[key]
    return view


def v3_view(store: Store, project_id: str, number: str) -> dict[str, Any]:
    """The same project as v3 names it (https://cloud.google.com/resource-manager/reference/rest/
    v3/projects#Project: `name` projects/{number}, `parent` type/id, `state`, `displayName`); an
    established project reads as one named by its id under organisation 0."""
    made = record(store, project_id)
    v1 = v1_view_of(made, project_id, number)
    parent = v1.get("parent") or ({} if made else {"type": "organization", "id": "0"})
    view: dict[str, Any] = {
        "name": f"projects/{number}",
        "projectId": project_id,
        "state": v1["lifecycleState"],
        "displayName": v1.get("name", project_id),
        "createTime": v1["createTime"],
        "updateTime": v1["createTime"],
        "etag": f'W/"{number}"',
    }
    if parent:
        view["parent"] = f"{parent['type']}s/{parent['id']}"
    if v1.get("labels"):
        view["labels"] = v1["labels"]
    return view
