"""Service Usage v1: which APIs a project has enabled, and turning them on and off.

Services are named `projects/{project number}/services/{api}` whichever form of the project
the caller gave. Enabling and disabling are long-running operations whose change lands when
they finish; enabling what is already on answers an operation that is already done, as the
real API does. A service the catalogue does not know is refused with 403, since the API
cannot tell "no such service" from "not shared with you".
"""

from __future__ import annotations

import uuid
from typing import Any

from emulator import guardrails
from emulator import service_catalog as sc
from emulator.durations import propagation_seconds
from emulator.effects import Effect
from emulator.errors import ApiError, failed_precondition, invalid, permission_denied
from emulator.registry import Api, Call, Reply
from emulator.standard import list_answer, operation_named

API = Api("serviceusage", "v1")

#: A single batchEnable request enables at most this many services.
BATCH_ENABLE_LIMIT = 20
#: A single batchGet request reads at most this many services.
BATCH_GET_LIMIT = 30
TYPES = "type.googleapis.com/google.api.serviceusage.v1."
NOOP_OPERATION = "operations/noop.DONE_OPERATION"


def _number(call: Call, parent: str) -> str:
    """The project number of a `projects/{id or number}` parent."""
    kind, _, project = parent.partition("/")
    if kind != "projects" or not project or "/" in project:
        raise invalid(f"Invalid parent '{parent}': only projects/{{project}} is supported.", field="parent")
    _, number = call.ctx.projects.require(project, "serviceusage.services.list")
    return number


def _split(call: Call, name: str) -> tuple[str, str]:
    """(project number, service) of `projects/{p}/services/{service}`."""
    parent, sep, service = name.partition("/services/")
    if not sep or not service or "/" in service:
        raise invalid(f"Invalid service name '{name}'.", field="name")
    return _number(call, parent), service


def _known(service: str, verb: str) -> None:
    if service not in sc.catalog():
        raise _denied(service, verb)


def _denied(service: str, verb: str) -> ApiError:
    return permission_denied(f"Permission denied to {verb} service [{service}]")


def view(store: Any, number: str, service: str, enabled: bool | None = None) -> dict[str, Any]:
    state = sc.is_enabled(store, number, service) if enabled is None else enabled
    return {
        "name": sc.record_name(number, service),
        "config": {"name": service, "title": sc.catalog()[service]},
        "state": "ENABLED" if state else "DISABLED",
        "parent": f"projects/{number}",
    }


def _operation(call: Call, number: str, services: list[str], response: dict[str, Any], enable: bool) -> Reply:
    key = ("serviceusage", "enable" if enable else "disable")
    seconds = call.ctx.operations.duration(key)
    state: dict[str, Any] = {"state": "ENABLED" if enable else "DISABLED"}
    if enable:
        # Listed as ENABLED once done, usable a while later (emulator.durations.PROPAGATION).
        config = call.ctx.config
        state["usableAt"] = (
            call.ctx.clock.now()
            + seconds
            + propagation_seconds(
                "api",
                profile=config.operation_profile,
                scale=config.profile_scale,
                override=config.api_propagation_s,
            )
        )
    record = call.ctx.operations.start(
        name=f"operations/acat.p2-{number}-{uuid.uuid4()}",
        duration_key=key,
        duration_s=seconds,
        metadata={
            "@type": f"{TYPES}OperationMetadata",
            "resourceNames": [sc.record_name(number, s) for s in services],
        },
        response=response,
        effects=[
            Effect.put(sc.KIND, sc.record_name(number, s), state, f"projects/{number}") for s in services
        ],
    )
    return Reply(body=call.ctx.operations.view(record), response_ref="Operation")


def _done(response: dict[str, Any]) -> dict[str, Any]:
    return {"name": NOOP_OPERATION, "done": True, "response": response}


@API.handles("serviceusage.services.list")
def list_services(call: Call) -> dict[str, Any]:
    number = _number(call, call.param("parent"))
    wanted = str(call.query.get("filter") or "").replace(" ", "")
    if wanted not in ("", "state:ENABLED", "state:DISABLED"):
        raise invalid(
            f"Invalid filter '{call.query['filter']}': the filters are state:ENABLED and state:DISABLED.",
            field="filter",
        )
    services = [view(call.ctx.store, number, s) for s in sc.catalog()]
    if wanted:
        services = [s for s in services if s["state"] == wanted.split(":")[1]]
    return list_answer(call, "services", services, default_size=50, max_size=200)


@API.handles("serviceusage.services.get")
def get_service(call: Call) -> dict[str, Any]:
    number, service = _split(call, call.param("name"))
    _known(service, "get")
    return view(call.ctx.store, number, service)


@API.handles("serviceusage.services.batchGet")
def batch_get(call: Call) -> dict[str, Any]:
    number = _number(call, call.param("parent"))
    names = list(call.query.get("names") or [])
    if not names:
        raise invalid("names must not be empty.", field="names")
    if len(names) > BATCH_GET_LIMIT:
        raise invalid(f"At most {BATCH_GET_LIMIT} services can be read in one request.", field="names")
    services = []
    for name in names:
        owner, service = _split(call, name)
        if owner != number:
            raise invalid(f"Service '{name}' is not under parent '{call.param('parent')}'.", field="names")
        _known(service, "get")
        services.append(view(call.ctx.store, number, service))
    return {"services": services}


@API.handles("serviceusage.services.enable")
def enable(call: Call) -> Reply:
    number, service = _split(call, call.param("name"))
    _known(service, "enable")
    response = {
        "@type": f"{TYPES}EnableServiceResponse",
        "service": view(call.ctx.store, number, service, True),
    }
    if sc.is_enabled(call.ctx.store, number, service):
        return Reply(body=_done(response), response_ref="Operation")
    _refuse_without_billing(call, number, [service])
    return _operation(call, number, [service], response, enable=True)


@API.handles("serviceusage.services.batchEnable")
def batch_enable(call: Call) -> Reply:
    number = _number(call, call.param("parent"))
    ids = list((call.body or {}).get("serviceIds") or [])
    if not ids:
        raise invalid("serviceIds must not be empty.", field="service_ids")
    if len(ids) > BATCH_ENABLE_LIMIT:
        raise invalid(
            f"Too many services ({len(ids)}) in one request: a request can enable at most "
            f"{BATCH_ENABLE_LIMIT} services.",
            field="service_ids",
        )
    unknown = [s for s in ids if s not in sc.catalog()]
    if unknown:
        raise _denied(", ".join(unknown), "enable")
    services = sorted(set(ids))
    response = {
        "@type": f"{TYPES}BatchEnableServicesResponse",
        "services": [view(call.ctx.store, number, s, True) for s in services],
    }
    pending = [s for s in services if not sc.is_enabled(call.ctx.store, number, s)]
    if not pending:
        return Reply(body=_done(response), response_ref="Operation")
    _refuse_without_billing(call, number, pending)
    return _operation(call, number, pending, response, enable=True)


def _refuse_without_billing(call: Call, number: str, services: list[str]) -> None:
    found = call.ctx.projects.lookup(number)
    if found is not None:
        guardrails.refuse_unbilled_enable(call.ctx.store, found[0], number, services)


@API.handles("serviceusage.services.disable")
def disable(call: Call) -> Reply:
    number, service = _split(call, call.param("name"))
    _known(service, "disable")
    if not sc.is_enabled(call.ctx.store, number, service):
        raise failed_precondition(
            f"Service {service} is not enabled on projects/{number}; it cannot be disabled."
        )
    response = {
        "@type": f"{TYPES}DisableServiceResponse",
        "service": view(call.ctx.store, number, service, False),
    }
    return _operation(call, number, [service], response, enable=False)


@API.handles("serviceusage.operations.get")
def get_operation(call: Call) -> dict[str, Any]:
    return operation_named(call)
