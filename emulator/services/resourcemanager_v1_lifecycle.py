"""Cloud Resource Manager v1: making a project, following its creation, and deleting it.

Config Connector's fixtures make the projects they test across (`example-project-01`,
`other${uniqueId}`) through `POST v1/projects` after reading them and being refused with 403
(kcc-golden compute/v1beta1/computeforwardingrule/regionalcomputeforwardingrulepsc-direct/
_http.log #0-#3; monitoring/v1beta1/monitoringdashboard/monitoringdashboardprojectref/_http.log
#0-#3, and #last for the delete). The project exists once its operation has finished; it has
no billing account until one is linked (the same dashboard log, #4: `billingEnabled: false`
right after the create), and no API enabled: the defaults of a project made in the console or
with gcloud are not there (computeregionnetworkendpointgroup/
privateserviceconnectioncomputeregionnetworkendpointgroup/_http.log #8 lists the enabled services
of the project just made: `{}`; #11, after compute's enable, only compute; vpcaccess/
vpcaccessconnector/subnetconnector/_http.log #29 only the two it enabled).
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from emulator import guardrails
from emulator import service_catalog as sc
from emulator.effects import Effect, effect_hook
from emulator.errors import ApiError, already_exists, failed_precondition, invalid
from emulator.projects import project_number
from emulator.registry import Api, Call, Reply
from emulator.services import _resourcemanager as crm
from emulator.state import Store

# Its operations are polled at a path other APIs share
# (`v1/operations/...`, as Service Usage and Service Networking): the
# dispatcher answers them from the one operation table through the first of those APIs with
# a handler, so this module declares none: its own would take those polls' method id.
API = Api("cloudresourcemanager", "v1")

TYPES = "type.googleapis.com/google.cloudresourcemanager.v1."
# "It must be 6 to 30 lowercase letters, digits, or hyphens. It must start with a letter.
# Trailing hyphens are prohibited." (https://cloud.google.com/resource-manager/reference/rest/
# v1/projects#Project, projectId)
_PROJECT_ID = re.compile(r"^[a-z][-a-z0-9]{4,28}[a-z0-9]$")
# "It must be 4 to 30 characters. Allowed characters are: lowercase and uppercase letters,
# numbers, hyphen, single-quote, double-quote, space, and exclamation point." (same page, name)
_DISPLAY_NAME = re.compile(r"^[-A-Za-z0-9'\" !]{4,30}$")
# "Supported parent types include "organization" and "folder"." (same page, ResourceId.type)
_PARENT_TYPES = ("organization", "folder")


@effect_hook("cloudresourcemanager.project.created")
def _created(store: Store, args: dict[str, Any]) -> None:
    """The project exists, with what its create said, no billing account linked and no API
    enabled."""
    project_id = args["projectId"]
    store.add_project(project_id, args["projectNumber"])
    store.put(crm.KIND, project_id, args["record"])
    guardrails.set_billing(store, project_id, False)
    for service in sc.DEFAULT_ENABLED:
        sc.set_state(store, args["projectNumber"], service, False)


def _validated(body: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    project_id = str(body.get("projectId") or "")
    if not project_id:
        raise invalid("Field 'projectId' is required.", field="project_id")
    if not _PROJECT_ID.match(project_id):
        raise invalid(
            f"Project id '{project_id}' is not valid: it must be 6 to 30 lowercase letters, digits, "
            "or hyphens, start with a letter and not end with a hyphen.",
            field="project_id",
        )
    name = body.get("name")
    if name is not None and not _DISPLAY_NAME.match(str(name)):
        raise invalid(f"Project name '{name}' is not valid.", field="name")
    record: dict[str, Any] = {"name": str(name)} if name else {}
    parent = body.get("parent")
    if parent is not None:
        if not isinstance(parent, dict) or parent.get("type") not in _PARENT_TYPES or not parent.get("id"):
            raise invalid("parent must name an organization or a folder by type and id.", field="parent")
        record["parent"] = {"id": str(parent["id"]), "type": str(parent["type"])}
    labels = body.get("labels")
    if labels:
        record["labels"] = dict(labels)
    return project_id, record


@API.handles("cloudresourcemanager.projects.create")
def create_project(call: Call) -> Reply:
    project_id, record = _validated(call.body or {})
    if call.ctx.projects.lookup(project_id) is not None:
        # Project ids are unique for ever: one in use, or deleted, cannot be taken again
        # (https://cloud.google.com/resource-manager/docs/creating-managing-projects#identifying_projects).
        raise already_exists("Requested entity already exists")
    number = project_number(project_id)
    record.update(lifecycleState="ACTIVE", createTime=call.ctx.clock.rfc3339())
    project = {"@type": f"{TYPES}Project", **crm.v1_view_of(record, project_id, number)}
    operation = call.ctx.operations.start(
        name=f"operations/cp.{uuid.uuid4().int % 10**19}",
        duration_key=("cloudresourcemanager", "projects.create"),
        metadata={"@type": f"{TYPES}ProjectCreationStatus", "gettable": True, "ready": True},
        response=project,
        effects=[
            Effect.hook(
                "cloudresourcemanager.project.created",
                projectId=project_id,
                projectNumber=number,
                record=record,
            )
        ],
    )
    # The answer that starts the creation names the operation and nothing else (the three
    # recorded creates: `{"name": "operations/${operationID}"}`; `done: false` is deleted by
    # the recorder's normaliser).
    return Reply(body={"name": operation["name"], "done": False}, response_ref="Operation")


@API.handles("cloudresourcemanager.projects.delete")
def delete_project(call: Call) -> dict[str, Any]:
    """Marks the project for deletion: it reads DELETE_REQUESTED afterwards, and only an ACTIVE
    project can be marked ("This method will only affect the Project if it has a lifecycle
    state of ACTIVE": https://cloud.google.com/resource-manager/reference/rest/v1/projects/delete).
    The answer is an empty object (monitoringdashboardprojectref/_http.log, last exchange)."""
    wanted = call.param("projectId")
    try:
        project_id, _ = call.ctx.projects.require(wanted, "resourcemanager.projects.delete")
    except ApiError as refused:
        raise ApiError(403, "The caller does not have permission") from refused
    made = crm.record(call.ctx.store, project_id)
    if made.get("lifecycleState", "ACTIVE") != "ACTIVE":
        raise failed_precondition("Request precondition failed: the project is not ACTIVE.")
    established = {"createTime": crm.ESTABLISHED}
    call.ctx.store.put(crm.KIND, project_id, {**(made or established), "lifecycleState": "DELETE_REQUESTED"})
    return {}
