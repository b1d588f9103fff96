"""Service Usage v1beta1: `services.generateServiceIdentity`, asking Google for a service agent.

The answer is a long-running operation, already done, whose response is the `ServiceIdentity`
(email and unique id), as recorded on real GCP and as the Terraform provider reads it
(`google_project_service_identity`); calling it again answers the same identity. From then on
IAM policies may name the agent (`emulator.service_agents`). A service whose
agent this emulator does not model answers an identity that it takes as existing already.
"""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

from emulator import service_agents
from emulator import service_catalog as sc
from emulator.errors import invalid, permission_denied
from emulator.registry import Api, Call, Reply
from emulator.standard import operation_named

API = Api("serviceusage", "v1beta1")
TYPES = "type.googleapis.com/google.api.serviceusage.v1beta1."


def _unique_id(address: str) -> str:
    return str(100_000_000_000_000_000_000 + int(hashlib.sha256(address.encode()).hexdigest(), 16) % 10**20)


@API.handles("serviceusage.services.generateServiceIdentity")
def generate_service_identity(call: Call) -> Reply:
    parent = call.param("parent")
    kind, _, rest = parent.partition("/")
    project, sep, service = rest.partition("/services/")
    if kind != "projects" or not sep or not project or not service:
        raise invalid(f"Invalid parent '{parent}'.", field="parent")
    _, number = call.ctx.projects.require(project, "serviceusage.services.generateServiceIdentity")
    if service not in sc.catalog():
        raise permission_denied(f"Permission denied to generate service identity for service [{service}]")
    address = service_agents.any_email(number, service)
    identity = {"@type": f"{TYPES}ServiceIdentity", "email": address, "uniqueId": _unique_id(address)}
    # Answered done, the identity in the response, as recorded on real GCP
    # (conformance/kcc-golden/secretmanager/v1beta1/secretmanagersecret/
    # fullsecretmanagersecret-auto-direct/_http.log, the generateServiceIdentity exchange).
    service_agents.generate(call.ctx.store, number, service)
    record = call.ctx.operations.start(
        name=f"operations/sip.p2-{number}-{uuid.uuid4()}", duration_s=0.0, response=identity
    )
    return Reply(body=call.ctx.operations.view(record), response_ref="Operation")


@API.handles("serviceusage.operations.get")
def get_operation(call: Call) -> dict[str, Any]:
    return operation_named(call)
