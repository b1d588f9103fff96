"""Names, defaults and checks shared by the Cloud Run v2 modules.

What the real API does to every revision template and task template lives here: the
defaults it fills in (resources, probes, timeout, service account, concurrency, execution
environment),
the references it checks (service account, VPC Access connector, Secret Manager secrets)
and the metadata keys it reserves for itself.
"""

from __future__ import annotations

import copy
import hashlib
import re
import uuid
from collections.abc import Callable
from typing import Any

from emulator import enums, standard
from emulator.effects import Effect
from emulator.errors import ApiError, already_exists, invalid, not_found
from emulator.locations import is_region
from emulator.registry import Api, Call, Reply
from emulator.services import _iam_accounts
from emulator.services._compute import CONNECTOR
from emulator.services._secretmanager import SECRET, SECRET_VERSION

SERVICE = "run.service"
REVISION = "run.revision"
JOB = "run.job"
EXECUTION = "run.execution"
TYPE = "type.googleapis.com/google.cloud.run.v2."
ID_PATTERN = r"[a-z]([-a-z0-9]{0,47}[a-z0-9])?"
RESERVED_PREFIXES = (
    "run.googleapis.com",
    "cloud.googleapis.com",
    "serving.knative.dev",
    "autoscaling.knative.dev",
)
CALLER = "anonymous@emulator.invalid"
DEFAULT_LIMITS = {"cpu": "1000m", "memory": "512Mi"}
_PARENT = re.compile(r"^projects/([^/]+)/locations/([^/]+)$")
_CPU = re.compile(r"^(\d+(\.\d+)?|\d+m)$")
_MEMORY = re.compile(r"^\d+(Ki|Mi|Gi|M|G)$")
_SECRET_REF = re.compile(r"^(projects/([^/]+)/secrets/)?([A-Za-z0-9_-]{1,255})$")
_CONNECTOR_REF = re.compile(
    r"^(projects/([^/]+)/locations/([^/]+)/connectors/)?([a-z][-a-z0-9]{0,23}[a-z0-9])$"
)


def parent_of(call: Call, parent: str, permission: str) -> tuple[str, str, str]:
    """(project id, project number, location) of `projects/*/locations/*`."""
    m = _PARENT.match(parent)
    if not m:
        raise invalid(f"Invalid parent: {parent}", field="parent")
    project_id, number = call.ctx.projects.require(m.group(1), permission)
    if m.group(2) != "-" and not is_region(m.group(2)):
        raise invalid(f"Location '{m.group(2)}' is not a valid Cloud Run region.", field="parent")
    return project_id, number, m.group(2)


def name_of(call: Call, name: str, collection: str, permission: str) -> tuple[str, str, str, str]:
    """(project id, number, location, canonical name) of `projects/*/locations/*/<collection>/*`."""
    parent, sep, resource_id = name.partition(f"/{collection}/")
    if not sep or "/" in resource_id or not resource_id:
        raise invalid(f"Invalid resource name: {name}", field="name")
    project_id, number, location = parent_of(call, parent, permission)
    return (
        project_id,
        number,
        location,
        f"projects/{project_id}/locations/{location}/{collection}/{resource_id}",
    )


def fetch(call: Call, kind: str, canonical: str, shown: str) -> dict[str, Any]:
    found = call.ctx.store.get(kind, canonical)
    if found is None:
        raise not_found(
            f"Resource '{shown.rsplit('/', 1)[-1]}' of kind '{kind.split('.')[1].upper()}' in "
            f"region '{canonical.split('/')[3]}' in project '{canonical.split('/')[1]}' does not exist."
        )
    return found


def new_etag(*parts: str) -> str:
    return '"' + hashlib.sha256("/".join((*parts, uuid.uuid4().hex)).encode()).hexdigest()[:20] + '"'


def check_etag(given: str | None, current: dict[str, Any]) -> None:
    if given and given != current.get("etag"):
        raise ApiError(
            409,
            "The etag provided in the request does not match the current etag of the resource.",
            status="ABORTED",
            reason="aborted",
        )


def check_metadata(resource: dict[str, Any], field: str) -> None:
    """Labels must be well formed; neither labels nor annotations may use the system prefixes."""
    for key, value in (resource.get("labels") or {}).items():
        if key.split("/")[0] in RESERVED_PREFIXES:
            raise invalid(f"Label '{key}' uses a reserved prefix.", field=f"{field}.labels")
        if not re.fullmatch(r"[a-z][-_a-z0-9]{0,62}", key) or not re.fullmatch(
            r"[-_a-z0-9]{0,63}", str(value)
        ):
            raise invalid(f"Label '{key}: {value}' is invalid.", field=f"{field}.labels")
    for key in resource.get("annotations") or {}:
        if key.split("/")[0] in RESERVED_PREFIXES:
            raise invalid(
                f"Annotation '{key}' is not supported: annotations with the prefixes "
                f"{', '.join(RESERVED_PREFIXES)} are reserved; use the corresponding fields instead.",
                field=f"{field}.annotations",
            )


def cpu_count(value: str) -> float:
    return int(value[:-1]) / 1000 if value.endswith("m") else float(value)


#: What the API fills into a probe the caller gives without them (recorded: a job's startup probe
#: sent with only `httpGet` comes back with these, kcc-golden run/v1beta1/runjob/runjob-with-port;
#: a fully given one comes back as sent, runservice/runserviceprobes). The initial delay's
#: default, 0, is a proto3 zero and never shown.
PROBE_DEFAULTS = {"failureThreshold": 3, "periodSeconds": 10, "timeoutSeconds": 1}
#: The startup probe a new service's revision runs when its container names none, "equivalent
#: to" this, on the container's port (https://cloud.google.com/run/docs/configuring/healthchecks,
#: "The default TCP startup probe"). It is the revision's: the service's own template comes back
#: without it (kcc-golden run/v1beta1/runservice/runservicebasic, every answer).
DEFAULT_STARTUP_PROBE = {"timeoutSeconds": 240, "periodSeconds": 240, "failureThreshold": 1}
DEFAULT_PORT = 8080


def container_defaults(container: dict[str, Any]) -> dict[str, Any]:
    """A container as the API stores it in a service's or job's template.

    What it fills in, as recorded (kcc-golden run/v1beta1/runservice and runjob): the resource
    limits (1000m, 512Mi) and the missing fields of a given probe. What it does not: no `ports`
    (runservicebasic sends none and gets none back; runservicemulticontainer's second container
    neither; a port sent without a name keeps none), and no `cpuIdle` (runservicebasic sends no
    resources and gets limits without it). `cpuIdle` and `startupCpuBoost` are proto3 bools: a
    false one is left out of the JSON the API returns; a true one is kept as sent.
    """
    out = copy.deepcopy(container)
    resources = out.setdefault("resources", {})
    limits = resources.setdefault("limits", {})
    for key, value in DEFAULT_LIMITS.items():
        limits.setdefault(key, value)
    for flag in ("cpuIdle", "startupCpuBoost"):
        if resources.get(flag) is False:
            del resources[flag]
    for probe in ("startupProbe", "livenessProbe"):
        if isinstance(out.get(probe), dict):
            out[probe] = {**PROBE_DEFAULTS, **{k: v for k, v in out[probe].items() if v is not None}}
    return out


def container_port(container: dict[str, Any]) -> int:
    """The port the container listens on: the one it names, or the API's default."""
    ports = container.get("ports") or [{}]
    return int(ports[0].get("containerPort") or DEFAULT_PORT)


def revision_containers(containers: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The containers as a new revision runs them: the serving one gets the default startup probe.

    The serving container is the one that names a port, or the only one.
    """
    serving = [i for i, c in enumerate(containers) if c.get("ports")] or ([0] if len(containers) == 1 else [])
    out = copy.deepcopy(containers)
    for index in serving:
        if "startupProbe" not in out[index]:
            port = container_port(out[index])
            out[index]["startupProbe"] = {**DEFAULT_STARTUP_PROBE, "tcpSocket": {"port": port}}
    return out


def cpu_idle(container: dict[str, Any]) -> bool:
    """Whether a stored container's CPU is allocated only during requests."""
    return bool((container.get("resources") or {}).get("cpuIdle"))


def vpc_defaults(template: dict[str, Any]) -> None:
    vpc = template.get("vpcAccess")
    if vpc and (vpc.get("connector") or vpc.get("networkInterfaces")):
        vpc.setdefault("egress", "PRIVATE_RANGES_ONLY")


def check_containers(call: Call, containers: list[dict[str, Any]], field: str, project_number: str) -> None:
    if not containers:
        raise invalid("At least one container is required.", field=f"{field}.containers")
    for index, container in enumerate(containers):
        where = f"{field}.containers[{index}]"
        if not container.get("image"):
            raise invalid("Container image is required.", field=f"{where}.image")
        if len(container.get("ports") or []) > 1:
            raise invalid("Only a single port can be specified.", field=f"{where}.ports")
        limits = (container.get("resources") or {}).get("limits") or {}
        if "cpu" in limits and not _CPU.match(str(limits["cpu"])):
            raise invalid(f"Invalid cpu limit '{limits['cpu']}'.", field=f"{where}.resources.limits.cpu")
        if "memory" in limits and not _MEMORY.match(str(limits["memory"])):
            raise invalid(
                f"Invalid memory limit '{limits['memory']}'.", field=f"{where}.resources.limits.memory"
            )
        names = [e.get("name") for e in container.get("env") or []]
        for env_index, env in enumerate(container.get("env") or []):
            _check_env(call, env, f"{where}.env[{env_index}]", project_number)
        duplicates = sorted({n for n in names if names.count(n) > 1 and n})
        if duplicates:
            raise invalid(
                f"Environment variable {duplicates[0]} is set more than once.", field=f"{where}.env"
            )


def _check_env(call: Call, env: dict[str, Any], where: str, project_number: str) -> None:
    if not env.get("name"):
        raise invalid("Environment variable name is required.", field=f"{where}.name")
    ref = (env.get("valueSource") or {}).get("secretKeyRef")
    if ref is None:
        return
    if "value" in env:
        raise invalid("Only one of value and value_source may be set.", field=where)
    m = _SECRET_REF.match(ref.get("secret") or "")
    if not m:
        raise invalid(
            f"Invalid secret name '{ref.get('secret')}'.", field=f"{where}.value_source.secret_key_ref.secret"
        )
    number = project_number
    if m.group(2):
        found = call.ctx.projects.lookup(m.group(2))
        number = found[1] if found else m.group(2)
    secret = f"projects/{number}/secrets/{m.group(3)}"
    version = str(ref.get("version") or "latest")
    versions = [v for v in call.ctx.store.list(SECRET_VERSION, secret) if v.get("state") == "ENABLED"]
    shown = f"{secret}/versions/{version}"
    if call.ctx.store.get(SECRET, secret) is None or not (
        versions
        if version == "latest"
        else [v for v in versions if v["name"].endswith(f"/versions/{version}")]
    ):
        raise invalid(f"Secret {shown} was not found.", field=f"{where}.value_source.secret_key_ref.secret")


def check_service_account(call: Call, email: str | None, field: str) -> None:
    if email and _iam_accounts.missing(call.ctx.store, email):
        raise invalid(f"Service account {email} does not exist.", field=f"{field}.service_account")


def check_vpc_access(
    call: Call, template: dict[str, Any], project_id: str, location: str, field: str
) -> None:
    """The connector must exist, be ready and sit in the resource's region; stored by full name."""
    vpc = template.get("vpcAccess") or {}
    if not vpc.get("connector"):
        return
    m = _CONNECTOR_REF.match(vpc["connector"])
    where = f"{field}.vpc_access.connector"
    if not m:
        raise invalid(f"Invalid VPC connector name '{vpc['connector']}'.", field=where)
    connector_project = project_id
    if m.group(2):
        found = call.ctx.projects.lookup(m.group(2))
        connector_project = found[0] if found else m.group(2)
    region = m.group(3) or location
    if region != location:
        raise invalid(f"VPC connector must be in region {location}, not {region}.", field=where)
    full = f"projects/{connector_project}/locations/{region}/connectors/{m.group(4)}"
    connector = call.ctx.store.get(CONNECTOR, full)
    if connector is None:
        raise invalid(f"VPC connector {full} does not exist.", field=where)
    if connector.get("state") != "READY":
        raise ApiError(
            400,
            f"VPC connector {full} is not ready (state {connector.get('state')}).",
            status="FAILED_PRECONDITION",
            reason="failedPrecondition",
        )
    vpc["connector"] = full


def condition(kind: str, state: str, now: str, message: str = "") -> dict[str, Any]:
    out = {"type": kind, "state": state, "lastTransitionTime": now}
    if message:
        out["message"] = message
    return out


def in_flight(call: Call, name: str) -> None:
    if call.ctx.operations.in_flight(name):
        raise ApiError(
            409,
            f"Resource '{name.rsplit('/', 1)[1]}' is being changed by another operation;"
            " retry when it completes.",
            status="ABORTED",
            reason="aborted",
        )


#: What an operation's metadata never shows of the service or job it acts on: its uid and
#: the reconciliation bookkeeping (kcc-golden run/v1beta1/runservice/runservicebasic and
#: runjob/runjob-iamserviceaccount: the create, update and delete answers and every poll; the
#: uid appears only in the finished operation's `response`).
NOT_IN_METADATA = ("uid", "reconciling", "observedGeneration", "deleteTime")


def start_operation(
    call: Call,
    project_id: str,
    location: str,
    target: str,
    verb: str,
    collection: str,
    *,
    message_type: str,
    shown: dict[str, Any],
    response: dict[str, Any] | None,
    effects: list[Effect],
    failure_effects: list[Effect] = (),  # type: ignore[assignment]
) -> Reply:
    """A google.longrunning.Operation whose metadata and response are the resource itself.

    A field set to None (a proto3 default such as `reconciling: false`) is left out of both.
    """
    shown = {k: v for k, v in standard.drop_none(shown).items() if k not in NOT_IN_METADATA}
    record = call.ctx.operations.start(
        f"projects/{project_id}/locations/{location}",
        metadata={"@type": TYPE + message_type, **shown},
        response=None if response is None else {"@type": TYPE + message_type, **standard.drop_none(response)},
        duration_key=("run", verb, collection),
        effects=effects,
        failure_effects=list(failure_effects),
        target=target,
    )
    return Reply(body=_int_enums(call, call.ctx.operations.view(record), message_type),
                 response_ref="GoogleLongrunningOperation")


def _int_enums(call: Call, operation: dict[str, Any], message_type: str) -> dict[str, Any]:
    """The operation with the resource in its metadata and response in enum numbers, when asked.

    A client asking `$alt=json;enum-encoding=int` gets the Job inside the operation it starts in
    numbers too (`"launchStage": 4`, `"executionEnvironment": 2`, `"state": 4`), while a later
    operations.get without the parameter answers in names (kcc-golden
    run/v1beta1/runjob/runjob-iamserviceaccount/_http.log, the create and the poll after it).
    """
    if "enum-encoding=int" not in str(call.query.get("$alt", "")):
        return operation
    out = copy.deepcopy(operation)
    schemas = call.method.api.schemas
    for key in ("metadata", "response"):
        if isinstance(out.get(key), dict):
            out[key] = enums.encode_enums_as_ints("run", schemas, "GoogleCloudRunV2" + message_type, out[key])
    return out


def page(call: Call, items: list[dict[str, Any]], key: str) -> dict[str, Any]:
    chunk, token = standard.paginate(
        items, call.query.get("pageSize"), call.query.get("pageToken"), default_size=100, max_size=1000
    )
    out: dict[str, Any] = {}
    if chunk:
        out[key] = chunk
    if token:
        out["nextPageToken"] = token
    return out


def list_in(call: Call, store_kind: str, key: str, permission: str) -> dict[str, Any]:
    """`list` of services or jobs in one location, or in every location with `-`."""
    project_id, _, location = parent_of(call, call.param("parent"), permission)
    if location == "-":
        items = [
            i for i in call.ctx.store.list(store_kind) if i["name"].startswith(f"projects/{project_id}/")
        ]
    else:
        items = call.ctx.store.list(store_kind, f"projects/{project_id}/locations/{location}")
    return page(call, sorted(items, key=lambda i: i["name"]), key)


# the request steps services and jobs take alike


def _scope(name: str) -> tuple[str, str, str]:
    """(project id, location, parent) of a canonical `projects/*/locations/*/<collection>/*`."""
    parts = name.split("/")
    return parts[1], parts[3], f"projects/{parts[1]}/locations/{parts[3]}"


def create_target(call: Call, noun: str, id_param: str, permission: str) -> tuple[str, str, str, str]:
    """(project id, number, location, id) of a `create`: one concrete location, a well-formed id."""
    project_id, number, location = parent_of(call, call.param("parent"), permission)
    if location == "-":
        raise invalid(f"A location is required to create a {noun}.", field="parent")
    resource_id = standard.check_id(call.query.get(id_param), id_param, ID_PATTERN)
    return project_id, number, location, resource_id


def created(call: Call, store_kind: str, name: str) -> dict[str, Any]:
    """The output-only fields of a new resource, refusing a name already taken."""
    if call.ctx.store.get(store_kind, name) is not None:
        raise already_exists(f"Resource '{name.rsplit('/', 1)[1]}' already exists.")
    now = call.ctx.clock.rfc3339()
    return {
        "name": name,
        "uid": str(uuid.uuid4()),
        "generation": "1",
        "createTime": now,
        "updateTime": now,
        "creator": CALLER,
        "lastModifier": CALLER,
        "etag": new_etag(name),
    }


def next_generation(call: Call, current: dict[str, Any]) -> dict[str, Any]:
    """The output-only fields a real change moves on: generation, update time, modifier, etag."""
    generation = str(int(current["generation"]) + 1)
    return {
        "generation": generation,
        "updateTime": call.ctx.clock.rfc3339(),
        "lastModifier": CALLER,
        "etag": new_etag(current["name"], generation),
    }


def get_one(call: Call, store_kind: str, collection: str, permission: str) -> dict[str, Any]:
    """`get` of a service or job by its name."""
    shown = call.param("name")
    _, _, _, name = name_of(call, shown, collection, permission)
    return fetch(call, store_kind, name, shown)


def get_child(call: Call, store_kind: str, collection: str, children: str, permission: str) -> dict[str, Any]:
    """`get` of a revision or execution, named under its service or job."""
    shown = call.param("name")
    owner, _, child_id = shown.partition(f"/{children}/")
    _, _, _, owner_name = name_of(call, owner, collection, permission)
    return fetch(call, store_kind, f"{owner_name}/{children}/{child_id}", shown)


def list_children(
    call: Call, owner_kind: str, store_kind: str, collection: str, key: str, permission: str, order_by: str
) -> dict[str, Any]:
    """`list` of the revisions or executions of an existing service or job, newest first."""
    shown = call.param("parent")
    _, _, _, owner_name = name_of(call, shown, collection, permission)
    fetch(call, owner_kind, owner_name, shown)
    items = sorted(call.ctx.store.list(store_kind, owner_name), key=lambda i: i[order_by], reverse=True)
    return page(call, items, key)


def update_target(
    call: Call, store_kind: str, collection: str, permission: str
) -> tuple[str, str, str, str, dict[str, Any], dict[str, Any] | None]:
    """(project id, number, location, name, body, current) of a `patch`.

    `current` is None only for a missing resource the caller allows to be created; an existing
    one must be idle and match the etag the body carries.
    """
    shown = call.param("name")
    project_id, number, location, name = name_of(call, shown, collection, permission)
    body = standard.drop_none(call.body or {})
    if call.ctx.store.get(store_kind, name) is None and call.query.get("allowMissing"):
        return project_id, number, location, name, body, None
    current = fetch(call, store_kind, name, shown)
    in_flight(call, name)
    check_etag(body.get("etag"), current)
    return project_id, number, location, name, body, current


def delete_target(call: Call, store_kind: str, collection: str, permission: str) -> dict[str, Any]:
    """The resource a `delete` names: it must exist, match the etag given and be idle."""
    shown = call.param("name")
    _, _, _, name = name_of(call, shown, collection, permission)
    current = fetch(call, store_kind, name, shown)
    check_etag(call.query.get("etag"), current)
    in_flight(call, name)
    return current


def start_delete(
    call: Call, store_kind: str, child_kind: str, deleting: dict[str, Any], collection: str, message_type: str
) -> Reply:
    """Store the resource as being deleted; the operation removes it and its children."""
    name = deleting["name"]
    project_id, location, parent = _scope(name)
    call.ctx.store.put(store_kind, name, deleting, parent)
    effects = [Effect.delete(child_kind, c["name"]) for c in call.ctx.store.list(child_kind, name)]
    effects.append(Effect.delete(store_kind, name))
    return start_operation(
        call, project_id, location, name, "delete", collection,
        message_type=message_type, shown=deleting, effects=effects,
        # The finished delete answers with the resource as it was, not as being deleted
        # (kcc-golden run/v1beta1/runjob/runjob-iamserviceaccount, the poll after the DELETE).
        response={k: v for k, v in deleting.items() if k not in ("reconciling", "deleteTime")},
        failure_effects=[Effect.set(store_kind, name, {"reconciling": None, "deleteTime": None})],
    )  # fmt: skip


#: Builds and stores a new resource: (call, project id, project number, location, id, body).
Create = Callable[[Call, str, str, str, str, dict[str, Any]], Reply]


def declare_collection(api: Api, store_kind: str, collection: str, noun: str, create: Create) -> None:
    """Register `create`, `get` and `list` of a top-level collection (services, jobs).

    Services and jobs take these three alike: a create names its id in `<noun>Id` under one
    concrete location, a get reads one by name, a list reads one location or every location
    (`-`), each checked against `run.<collection>.<method>`. Only what a create builds differs,
    and the collection's module passes it as `create`.
    """
    prefix = f"run.projects.locations.{collection}"

    def create_handler(call: Call) -> Reply:
        project_id, number, location, resource_id = create_target(
            call, noun, f"{noun}Id", f"run.{collection}.create"
        )
        return create(call, project_id, number, location, resource_id, standard.drop_none(call.body or {}))

    def get_handler(call: Call) -> dict[str, Any]:
        return get_one(call, store_kind, collection, f"run.{collection}.get")

    def list_handler(call: Call) -> dict[str, Any]:
        return list_in(call, store_kind, collection, f"run.{collection}.list")

    api.handles(f"{prefix}.create")(create_handler)
    api.handles(f"{prefix}.get")(get_handler)
    api.handles(f"{prefix}.list")(list_handler)


def declare_children(api: Api, owner: tuple[str, str], child: tuple[str, str], order_by: str) -> None:
    """Register `get` and `list` of the read-only children of a service or job (revisions, executions).

    `owner` and `child` are each (store kind, collection). Both children are made by their
    owner, read by name under it and listed newest first (`order_by`), checked against
    `run.<children>.get` and `run.<children>.list`.
    """
    owner_kind, collection = owner
    store_kind, children = child
    prefix = f"run.projects.locations.{collection}.{children}"

    def get_handler(call: Call) -> dict[str, Any]:
        return get_child(call, store_kind, collection, children, f"run.{children}.get")

    def list_handler(call: Call) -> dict[str, Any]:
        permission = f"run.{children}.list"
        return list_children(call, owner_kind, store_kind, collection, children, permission, order_by)

    api.handles(f"{prefix}.get")(get_handler)
    api.handles(f"{prefix}.list")(list_handler)


def validated(call: Call, resource: dict[str, Any], collection: str, message_type: str) -> Reply:
    """The answer to `validateOnly`: a done-at-once operation showing what would be, changing nothing."""
    project_id, location, _ = _scope(resource["name"])
    return start_operation(
        call, project_id, location, resource["name"], "validate", collection,
        message_type=message_type, shown=resource, response=resource, effects=[],
    )  # fmt: skip
