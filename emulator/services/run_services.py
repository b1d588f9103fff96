"""Cloud Run v2 services and their revisions.

Create, patch and delete answer with a google.longrunning.Operation; while it runs the
service shows `reconciling` and a pending `terminalCondition`, and once it is done
`observedGeneration` catches up with `generation` and the new revision becomes
`latestReadyRevision`. A revision (`<service>-<5 digits>-<3 letters>`) is made only when
the revision template changes after the API's defaults are filled in, or when the caller
forces one: a change of the service's own labels, ingress or traffic rolls nothing.
"""

from __future__ import annotations

import copy
import json
import random
import string
import uuid
from typing import Any

from emulator import iam, standard
from emulator.effects import Effect
from emulator.errors import already_exists, invalid
from emulator.registry import Api, Call, Reply
from emulator.services import _iam_accounts
from emulator.services import _run_methods as methods
from emulator.services._run import (
    REVISION,
    SERVICE,
    check_containers,
    check_metadata,
    check_service_account,
    check_vpc_access,
    condition,
    container_defaults,
    cpu_count,
    cpu_idle,
    fetch,
    name_of,
    new_etag,
    revision_containers,
    vpc_defaults,
)

API = Api("run", "v2")

OUTPUT = {
    "name",
    "uid",
    "generation",
    "createTime",
    "updateTime",
    "deleteTime",
    "expireTime",
    "creator",
    "lastModifier",
    "observedGeneration",
    "terminalCondition",
    "conditions",
    "latestReadyRevision",
    "latestCreatedRevision",
    "trafficStatuses",
    "uri",
    "urls",
    "reconciling",
    "etag",
    "satisfiesPzs",
    "threatDetectionEnabled",
}
MUTABLE = {
    "labels", "annotations", "client", "clientVersion", "ingress", "launchStage", "binaryAuthorization",
    "template", "traffic", "scaling", "description", "customAudiences", "defaultUriDisabled",
    "invokerIamDisabled", "iapEnabled", "buildConfig", "multiRegionSettings",
}  # fmt: skip
MAX_TIMEOUT_S = 3600
LATEST = [{"type": "TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST", "percent": 100}]


def template_defaults(template: dict[str, Any], project_number: str) -> dict[str, Any]:
    """The revision template as the API stores it: every default it fills in, filled in.

    As recorded (kcc-golden run/v1beta1/runservice, every case): the timeout (300s), the default
    compute service account, the concurrency (80) and the GEN2 execution environment are
    filled in; `scaling` is not (runserviceprobes sends none and gets none back).
    """
    out = copy.deepcopy(template)
    out["containers"] = [container_defaults(c) for c in out.get("containers") or []]
    out.setdefault("timeout", "300s")
    out.setdefault("serviceAccount", _iam_accounts.default_compute_account(project_number))
    out.setdefault("executionEnvironment", "EXECUTION_ENVIRONMENT_GEN2")
    cpu = cpu_count(str(out["containers"][0]["resources"]["limits"]["cpu"])) if out["containers"] else 1.0
    if not out.get("maxInstanceRequestConcurrency"):
        out["maxInstanceRequestConcurrency"] = 80 if cpu >= 1 else 1
    vpc_defaults(out)
    return out


def _same_template(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


def _desired(call: Call, body: dict[str, Any], project_id: str, number: str, location: str) -> dict[str, Any]:
    """The caller's part of a service, checked and with the API's defaults."""
    check_metadata(body, "service")
    template = body.get("template")
    if not template:
        raise invalid("template is required.", field="service.template")
    check_metadata(template, "service.template")
    check_containers(call, template.get("containers") or [], "service.template", number)
    template = template_defaults(template, number)
    check_service_account(call, template.get("serviceAccount"), "service.template")
    check_vpc_access(call, template, project_id, location, "service.template")
    scaling = template.get("scaling") or {}
    if scaling.get("minInstanceCount", 0) > scaling.get("maxInstanceCount", 100):
        raise invalid(
            "min_instance_count must be less than or equal to max_instance_count.",
            field="service.template.scaling.min_instance_count",
        )
    limits = template["containers"][0]["resources"]["limits"]
    if template["maxInstanceRequestConcurrency"] > 1 and cpu_count(str(limits["cpu"])) < 1:
        raise invalid(
            "Total cpu < 1 is not supported with concurrency > 1.",
            field="service.template.max_instance_request_concurrency",
        )
    if cpu_count(str(limits["cpu"])) < 1 and not cpu_idle(template["containers"][0]):
        # Less than one vCPU is sold with request-based billing only.
        raise invalid(
            "Total cpu < 1 is only supported with CPU allocated only during requests (cpu_idle true).",
            field="service.template.containers[0].resources.cpu_idle",
        )
    if float(str(template["timeout"]).rstrip("s")) > MAX_TIMEOUT_S:
        raise invalid("timeout must be at most 3600s.", field="service.template.timeout")
    return {
        **body,
        "template": template,
        "ingress": body.get("ingress") or "INGRESS_TRAFFIC_ALL",
        "launchStage": body.get("launchStage") or "GA",
        "traffic": body.get("traffic") or copy.deepcopy(LATEST),
    }


def _uri(service_id: str, project_number: str, location: str) -> str:
    region = "".join(part[0] for part in location.split("-"))
    return f"https://{service_id}-{project_number[-10:]}.{region}.a.run.app"


def _new_revision(call: Call, service: dict[str, Any], now: str) -> dict[str, Any]:
    template = service["template"]
    service_id = service["name"].rsplit("/", 1)[1]
    count = len(call.ctx.store.list(REVISION, service["name"])) + 1
    revision_id = template.get("revision") or (
        f"{service_id}-{count:05d}-{''.join(random.choices(string.ascii_lowercase, k=3))}"
    )
    name = f"{service['name']}/revisions/{revision_id}"
    if call.ctx.store.get(REVISION, name) is not None:
        raise already_exists(f"Revision named '{revision_id}' with different configuration already exists.")
    if template.get("revision") and not revision_id.startswith(f"{service_id}-"):
        raise invalid(f"Revision name must begin with '{service_id}-'.", field="service.template.revision")
    revision = standard.drop_none(
        {
            "name": name,
            "uid": str(uuid.uuid4()),
            "generation": "1",
            "labels": template.get("labels"),
            "annotations": template.get("annotations"),
            "createTime": now,
            "updateTime": now,
            "launchStage": service["launchStage"],
            "service": service["name"],
            **{
                k: template.get(k)
                for k in (
                    "scaling", "vpcAccess", "maxInstanceRequestConcurrency", "timeout", "serviceAccount",
                    "volumes", "executionEnvironment", "encryptionKey", "sessionAffinity",
                )
            },
            "containers": revision_containers(template.get("containers") or []),
            "reconciling": True,
            "conditions": [condition("Ready", "CONDITION_RECONCILING", now)],
            "observedGeneration": "1",
            "etag": new_etag(name),
        }
    )  # fmt: skip
    call.ctx.store.put(REVISION, name, revision, service["name"])
    return revision


def _roll_out(call: Call, service: dict[str, Any], new_revision: bool, verb: str) -> Reply:
    """Store the service as reconciling; the operation makes it (and its revision) ready."""
    project_id, location = service["name"].split("/")[1], service["name"].split("/")[3]
    parent = f"projects/{project_id}/locations/{location}"
    now = call.ctx.clock.rfc3339()
    effects: list[Effect] = []
    failure: list[Effect] = []
    if new_revision:
        revision = _new_revision(call, service, now)
        service["latestCreatedRevision"] = revision["name"]
        ready_revision = {
            "reconciling": None,
            "conditions": [condition("Ready", "CONDITION_SUCCEEDED", now)],
        }
        effects.append(Effect.set(REVISION, revision["name"], ready_revision))
        failed = [condition("Ready", "CONDITION_FAILED", now, "Revision failed to become ready.")]
        failure.append(Effect.set(REVISION, revision["name"], {"reconciling": None, "conditions": failed}))
    service["reconciling"] = True
    service["terminalCondition"] = condition("Ready", "CONDITION_RECONCILING", now)
    service["conditions"] = [
        condition("ConfigurationsReady", "CONDITION_RECONCILING", now),
        condition("RoutesReady", "CONDITION_RECONCILING", now),
    ]
    call.ctx.store.put(SERVICE, service["name"], service, parent)
    ready = {
        "reconciling": None,
        "observedGeneration": service["generation"],
        "latestReadyRevision": service.get("latestCreatedRevision"),
        "terminalCondition": condition("Ready", "CONDITION_SUCCEEDED", now),
        "conditions": [
            condition("ConfigurationsReady", "CONDITION_SUCCEEDED", now),
            condition("RoutesReady", "CONDITION_SUCCEEDED", now),
        ],
        "trafficStatuses": [
            {**t, "uri": service["uri"]} if t.get("tag") else dict(t) for t in service["traffic"]
        ],
    }
    effects.insert(0, Effect.set(SERVICE, service["name"], ready))
    failed_service = {
        "reconciling": None,
        "terminalCondition": condition("Ready", "CONDITION_FAILED", now, "Revision failed to become ready."),
    }
    failure.insert(0, Effect.set(SERVICE, service["name"], failed_service))
    return methods.start_operation(
        call,
        project_id,
        location,
        service["name"],
        verb,
        "services",
        message_type="Service",
        shown=service,
        response={**service, **ready},
        effects=effects,
        failure_effects=failure,
    )


def _create(
    call: Call, project_id: str, number: str, location: str, service_id: str, body: dict[str, Any]
) -> Reply:
    fields = methods.created(
        call, SERVICE, f"projects/{project_id}/locations/{location}/services/{service_id}"
    )
    body = {k: v for k, v in body.items() if k not in ("name", "etag")}
    uri = _uri(service_id, number, location)
    service = {**_desired(call, body, project_id, number, location), **fields, "uri": uri, "urls": [uri]}
    if call.query.get("validateOnly"):
        return methods.validated(call, service, "services", "Service")
    return _roll_out(call, service, True, "create")


def _update(
    call: Call, project_id: str, number: str, location: str, body: dict[str, Any], current: dict[str, Any]
) -> Reply:
    mask = call.query.get("updateMask")
    user = {k: v for k, v in current.items() if k not in OUTPUT}
    if mask:
        user = standard.apply_update_mask(user, body, str(mask), MUTABLE, "service")
    else:
        user = {k: v for k, v in body.items() if k not in ("name", "etag")}
    desired = _desired(call, user, project_id, number, location)
    new_revision = bool(call.query.get("forceNewRevision")) or not _same_template(
        desired["template"], current["template"]
    )
    service = {**{k: v for k, v in current.items() if k in OUTPUT}, **desired}
    if desired != {k: v for k, v in current.items() if k not in OUTPUT} or new_revision:
        service.update(methods.next_generation(call, current))
    if call.query.get("validateOnly"):
        return methods.validated(call, service, "services", "Service")
    return _roll_out(call, service, new_revision, "update")


methods.declare_collection(API, SERVICE, "services", "service", _create, _update)


@API.handles("run.projects.locations.services.delete")
def delete_service(call: Call) -> Reply:
    current = methods.delete_target(call, SERVICE, "services", "run.services.delete")
    etag = new_etag(current["name"], "delete")
    deleting = {**current, "reconciling": True, "deleteTime": call.ctx.clock.rfc3339(), "etag": etag}
    if call.query.get("validateOnly"):
        return methods.validated(call, deleting, "services", "Service")
    return methods.start_delete(call, SERVICE, REVISION, deleting, "services", "Service")


methods.declare_children(API, (SERVICE, "services"), (REVISION, "revisions"), order_by="name")


# IAM: who may invoke the service. Private by default: the policy starts empty
# (https://cloud.google.com/run/docs/authenticating/public). A policy naming allUsers is
# refused where domain restricted sharing is enforced (emulator/guardrails.py, applied by
# emulator/iam.py to every IAM policy).


def _iam_target(call: Call, permission: str) -> tuple[str, str]:
    """(project id, canonical service name) of an existing service."""
    shown = call.param("resource")
    project_id, _, _, name = name_of(call, shown, "services", permission)
    fetch(call, SERVICE, name, shown)
    return project_id, name


@API.handles("run.projects.locations.services.getIamPolicy")
def get_iam_policy(call: Call) -> dict[str, Any]:
    requested = call.query.get("options.requestedPolicyVersion")
    if requested not in (None, 0, 1, 3, "0", "1", "3"):
        raise invalid(
            f"Invalid requested policy version {requested}; valid values are 0, 1 and 3.",
            field="options.requested_policy_version",
        )
    _, name = _iam_target(call, "run.services.getIamPolicy")
    return iam.get_policy(call.ctx.store, name)


@API.handles("run.projects.locations.services.setIamPolicy")
def set_iam_policy(call: Call) -> dict[str, Any]:
    _, name = _iam_target(call, "run.services.setIamPolicy")
    policy = (call.body or {}).get("policy")
    if policy is None:
        raise invalid("The request must contain a policy.", field="policy")
    return iam.set_policy(call.ctx.store, name, policy)


@API.handles("run.projects.locations.services.testIamPermissions")
def test_iam_permissions(call: Call) -> dict[str, Any]:
    _iam_target(call, "run.services.getIamPolicy")
    permissions = (call.body or {}).get("permissions") or []
    return {"permissions": permissions} if permissions else {}
