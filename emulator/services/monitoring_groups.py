"""Cloud Monitoring groups (`projects.groups`): create, get, list, update, delete.

Shaped as recorded on real GCP in kcc-golden monitoring/v1beta1/monitoringuptimecheckconfig/
tcpuptimecheckconfig/_http.log #0 (created with displayName, filter and isCluster, answered
with those and a server-assigned `projects/{project}/groups/{id}`), #9 (delete answers `{}`)
and #10 (404 "Could not find group definition for '<id>'."). Rules from the API reference
(https://cloud.google.com/monitoring/api/ref_v3/rest/v3/projects.groups#Group): a group's
`parentName` names another group of the project; `name` is output only on create.
"""

from __future__ import annotations

from typing import Any

from emulator import standard
from emulator.errors import ApiError, invalid
from emulator.registry import Api, Call
from emulator.services import _monitoring as m

API = Api("monitoring", "v3")

GROUP = "monitoring.group"
WRITABLE = ("displayName", "parentName", "filter", "isCluster")


def _missing(group_id: str) -> ApiError:
    return ApiError(404, f"Could not find group definition for '{group_id}'.")


def _fetch(call: Call, name: str, permission: str) -> dict[str, Any]:
    canonical = m.canonical(call, name, "groups", permission)
    group = call.ctx.store.get(GROUP, canonical)
    if group is None:
        raise _missing(canonical.rsplit("/", 1)[1])
    return group


def _checked(call: Call, project: str, body: dict[str, Any], name: str | None) -> dict[str, Any]:
    group = {k: body[k] for k in WRITABLE if k in body}
    parent = group.get("parentName")
    if parent:
        wanted = m.canonical(call, parent, "groups", "monitoring.groups.get")
        if not wanted.startswith(f"projects/{project}/") or call.ctx.store.get(GROUP, wanted) is None:
            raise invalid(f"Parent group '{parent}' does not exist.", field="group.parent_name")
        if wanted == name:
            raise invalid("A group cannot be its own parent.", field="group.parent_name")
    return group


@API.handles("monitoring.projects.groups.create")
def create_group(call: Call) -> dict[str, Any]:
    project = m.project_of(call, call.param("name"), "monitoring.groups.create")
    body = standard.drop_none(call.body or {})
    parent = f"projects/{project}"
    group = _checked(call, project, body, None)
    group["name"] = f"{parent}/groups/{m.new_id(call, GROUP, parent, 'groups')}"
    if str(call.query.get("validateOnly")).lower() != "true":
        call.ctx.store.put(GROUP, group["name"], group, parent)
    return group


@API.handles("monitoring.projects.groups.get")
def get_group(call: Call) -> dict[str, Any]:
    return _fetch(call, call.param("name"), "monitoring.groups.get")


@API.handles("monitoring.projects.groups.list")
def list_groups(call: Call) -> dict[str, Any]:
    project = m.project_of(call, call.param("name"), "monitoring.groups.list")
    groups = sorted(call.ctx.store.list(GROUP, f"projects/{project}"), key=lambda g: g["name"])
    return standard.list_answer(call, "group", groups)


@API.handles("monitoring.projects.groups.update")
def update_group(call: Call) -> dict[str, Any]:
    current = _fetch(call, call.param("name"), "monitoring.groups.update")
    project = current["name"].split("/")[1]
    body = standard.drop_none(call.body or {})
    group = {**_checked(call, project, body, current["name"]), "name": current["name"]}
    if str(call.query.get("validateOnly")).lower() != "true":
        call.ctx.store.put(GROUP, current["name"], group, f"projects/{project}")
    return group


@API.handles("monitoring.projects.groups.delete")
def delete_group(call: Call) -> dict[str, Any]:
    """ "If this field is true, then the request means to delete a group with all its
    descendants. Otherwise, the request means to delete a group only when it has no
    descendants." (groups.delete, `recursive`)"""
    group = _fetch(call, call.param("name"), "monitoring.groups.delete")
    peers = call.ctx.store.list(GROUP, group["name"].rsplit("/groups/", 1)[0])
    doomed, frontier = [group["name"]], [group["name"]]
    while frontier:
        children = [g["name"] for g in peers if g.get("parentName") in frontier]
        doomed.extend(children)
        frontier = children
    if len(doomed) > 1 and str(call.query.get("recursive")).lower() != "true":
        raise ApiError(400, f"Group {group['name']} has descendants; delete them first or pass recursive.")
    for name in doomed:
        call.ctx.store.delete(GROUP, name)
    return {}
