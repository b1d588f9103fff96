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
from typing import Any

from emulator.errors import ApiError, invalid, not_found
from emulator.locations import is_region
from emulator.registry import Call
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


#: The limits each container of a job's task gets when the task runs several and names none:
#: recorded on real GCP, a job of three containers without resources reads 1000m and 256Mi on
#: each (k8s-config-connector commit f36383ddfe, runjob-dependson/_http.log #1 on), where a job
#: of one reads 1000m and 512Mi (commit 8f2068280e, runjob-gcsvolume/_http.log #9).
JOB_SIDECAR_LIMITS = {"cpu": "1000m", "memory": "256Mi"}


def container_defaults(container: dict[str, Any], limits: dict[str, str] = DEFAULT_LIMITS) -> dict[str, Any]:
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
    given = resources.setdefault("limits", {})
    for key, value in limits.items():
        given.setdefault(key, value)
    for flag in ("cpuIdle", "startupCpuBoost"):
        if resources.get(flag) is False:
            del resources[flag]
    for probe in ("startupProbe", "livenessProbe"):
        if isinstance(out.get(probe), dict):
            out[probe] = {**PROBE_DEFAULTS, **{k: v for k, v in out[probe].items() if v is not None}}
            _probe_port(out[probe], container_port(out))
    return out


def _probe_port(probe: dict[str, Any], port: int) -> None:
    """An HTTP or gRPC probe without a port is read back on the container's port.

    Recorded on real GCP: a job whose containers name no port and probe `httpGet: {path: /}`
    reads `httpGet: {path: /, port: 8080}` (k8s-config-connector commit f36383ddfe, "Add test
    fixture and real gcp logs", runjob-dependson/_http.log #1 on); the probe's port defaults to
    the container's (https://cloud.google.com/run/docs/configuring/healthchecks).
    """
    for check in ("httpGet", "grpc"):
        if isinstance(probe.get(check), dict) and not probe[check].get("port"):
            probe[check] = {**probe[check], "port": port}


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
