"""Cloud Monitoring groups (v3): server-named sets of monitored resources, which uptime checks
and dashboards can target.

Real traffic first: Config Connector's recording of an uptime check on a group ("KCC log":
conformance/kcc-golden/monitoring/v1beta1/monitoringuptimecheckconfig/tcpuptimecheckconfig/
_http.log), then the API reference (https://cloud.google.com/monitoring/api/ref_v3/rest/v3/projects.groups
and the `Group` schema of the monitoring v3 discovery document). Each rule cites its source.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from emulator import standard
from emulator.collection import declare
from emulator.errors import ApiError, invalid, not_found
from emulator.registry import Api, Call
from emulator.services import _monitoring as m

API = Api("monitoring", "v3")

GROUP = "monitoring.group"
LABEL = "Group"
#: What a request may set; `name` is the server's ("Output only", Group.name).
WRITABLE = ("displayName", "parentName", "filter", "isCluster")


def _fetch(call: Call, kind: str, name: str, label: str) -> dict[str, Any]:
    found = call.ctx.store.get(kind, name)
    if found is None:
        # "Could not find group definition for '${groupID}'." (KCC log, last exchange: 404 NOT_FOUND)
        raise not_found(f"Could not find group definition for '{name.rsplit('/', 1)[-1]}'.")
    return found


def _checked(call: Call, project: str, body: dict[str, Any]) -> dict[str, Any]:
    group = {k: body[k] for k in WRITABLE if body.get(k) not in (None, "", False)}
    parent = group.get("parentName")
    if parent:
        # "The name of the group's parent, if it has one. ... For groups with no parent,
        # parent_name is the empty string" (Group.parentName): a group of the same project.
        canonical = m.canonical(call, parent, "groups", "monitoring.groups.get")
        if not canonical.startswith(f"projects/{project}/groups/"):
            raise invalid(f"Parent group {parent} is in another project.", field="group.parent_name")
        _fetch(call, GROUP, canonical, LABEL)
        group["parentName"] = canonical
    return group


def _descendants(call: Call, project: str, name: str) -> list[str]:
    children = [
        g["name"] for g in call.ctx.store.list(GROUP, f"projects/{project}") if g.get("parentName") == name
    ]
    return [d for child in children for d in (child, *_descendants(call, project, child))]


@API.handles("monitoring.projects.groups.create")
def create_group(call: Call) -> dict[str, Any]:
    project = m.project_of(call, call.param("name"), "monitoring.groups.create")
    body = standard.drop_none(call.body or {})
    group = _checked(call, project, body)
    parent = f"projects/{project}"
    # "the name of the group is assigned by the server" (projects.groups.create): a numeric id,
    # as the KCC log's `projects/${projectId}/groups/${groupID}` placeholder stands for.
    name = f"{parent}/groups/{m.new_id(call, GROUP, parent, 'groups')}"
    # The answer is the request plus the name (KCC log, exchange 0).
    stored = {**group, "name": name}
    if call.query.get("validateOnly") in ("true", True):
        # "If true, validate this request but do not create the group." (validateOnly)
        return stored
    call.ctx.store.put(GROUP, name, stored, parent)
    return stored


@API.handles("monitoring.projects.groups.update")
def update_group(call: Call) -> dict[str, Any]:
    name = m.canonical(call, call.param("name"), "groups", "monitoring.groups.update")
    _fetch(call, GROUP, name, LABEL)
    project = name.split("/")[1]
    # "Updates an existing group. You can change any group attributes except name." (update): the
    # whole group is replaced.
    group = _checked(call, project, standard.drop_none(call.body or {}))
    if group.get("parentName") == name:
        raise invalid("A group cannot be its own parent.", field="group.parent_name")
    stored = {**group, "name": name}
    if call.query.get("validateOnly") not in ("true", True):
        call.ctx.store.put(GROUP, name, stored, f"projects/{project}")
    return stored


@API.handles("monitoring.projects.groups.delete")
def delete_group(call: Call) -> dict[str, Any]:
    name = m.canonical(call, call.param("name"), "groups", "monitoring.groups.delete")
    _fetch(call, GROUP, name, LABEL)
    project = name.split("/")[1]
    descendants = _descendants(call, project, name)
    if descendants and call.query.get("recursive") not in ("true", True):
        # "If this field is true, then the request means to delete a group with all its
        # descendants. Otherwise, the request means to delete a group only when it has no
        # descendants." (projects.groups.delete, recursive)
        raise ApiError(
            400,
            f"Group {name} has descendants; delete them first or pass recursive=true.",
            status="FAILED_PRECONDITION",
        )
    for descendant in descendants:
        call.ctx.store.delete(GROUP, descendant)
    call.ctx.store.delete(GROUP, name)
    # An empty answer (KCC log, the DELETE exchange).
    return {}


GROUPS = declare(
    API,
    dataclasses.replace(m.collection("groups", GROUP, LABEL), fetch=_fetch),
    frozenset({"get", "list"}),
)
