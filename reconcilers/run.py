"""Cloud Run: the websocket server, the API gateway, and the drift-correction job.

Each service runs its image as its own service account with only the project roles it
needs, reaches Cloud SQL's private IP through the VPC Access connector, accepts traffic
only from inside the VPC and from the load balancer, and reads its secrets from Secret
Manager at start-up (the spec names the secret, never its value). A service the spec makes
public lets anyone invoke it (`reconcilers/_run_invokers.py`): the load balancer forwards
requests without identity tokens. The websocket server
keeps a websocket open for up to an hour and sends a client back to the same instance.

The drift job is this provisioner, run as a Cloud Run Job: `apply --drift-only` against its
own environment, as the drift-corrector account (Cloud Scheduler triggers it).

A revision is rolled only when the revision template changes: updates send the API an
update mask, so a label edit touches the service's labels and nothing else.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any, ClassVar

from provisioner.cost.pricing import CostLine, PriceTable
from provisioner.engine.api_kind import ApiKind
from provisioner.engine.context import Context
from provisioner.engine.diff import deep_merge
from provisioner.engine.kind import Reconciler
from provisioner.engine.labels import labels_kept
from provisioner.engine.masks import UpdateMask, top_level
from provisioner.engine.operations import Operation
from provisioner.engine.permissions import RUNS_AS_ACCOUNT, permissions_of
from provisioner.engine.plan import FieldChange
from provisioner.engine.resource import LiveResource, Resource, address_of
from provisioner.spec.drift_job import DRIFT_METRIC
from reconcilers._operations import LongRunningOperation
from reconcilers._proto import from_json_dict, to_json_dict
from reconcilers._run_api import run_client, run_message, run_meta, run_name
from reconcilers._run_invokers import PUBLIC, RunInvokers
from reconcilers.iam import ProjectRoles, ServiceAccount, account_email, service_account
from reconcilers.monitoring import MetricDescriptor
from reconcilers.network import VpcConnector
from reconcilers.secrets import GeneratedValue, Secret

INGRESS = {
    "all": "INGRESS_TRAFFIC_ALL",
    "internal": "INGRESS_TRAFFIC_INTERNAL_ONLY",
    "internal-and-cloud-load-balancing": "INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER",
}
EGRESS = {"private-ranges-only": "PRIVATE_RANGES_ONLY", "all-traffic": "ALL_TRAFFIC"}
#: What the drift job's container may use; the provisioner is I/O-bound.
DRIFT_JOB_LIMITS = {"cpu": "1", "memory": "1Gi"}
#: Container fields the API fills in that the spec never sets.
_API_FILLED = ("name",)
#: The startup probe Cloud Run gives a new service's container that names none ("The default
#: TCP startup probe", https://cloud.google.com/run/docs/configuring/healthchecks), on the
#: container's port; the Terraform provider marks `startupProbe` as filled in by the API. The
#: spec sets no probe, so a live container carrying exactly this one matches it.
DEFAULT_STARTUP_PROBE = {"timeoutSeconds": 240, "periodSeconds": 240, "failureThreshold": 1}
DEFAULT_PORT = 8080
#: Resource fields the spec leaves to others: startup CPU boost, which it does not set, and,
#: for jobs, CPU allocation, which only means something for a container serving requests.
_NOT_OWNED_RESOURCES = {"service": ("startupCpuBoost",), "job": ("cpuIdle", "startupCpuBoost")}


def _regions(ctx: Context, desired: Sequence[Resource]) -> list[str]:
    return sorted({r.name.split("/")[0] for r in desired} | {ctx.spec.region})


def _operation(ctx: Context, op: Any, description: str) -> Operation:
    """Follow a gapic operation through the API's own operations collection."""
    raw = op.operation
    body: dict[str, Any] = {"name": raw.name, "done": raw.done}
    if raw.HasField("error"):
        body["error"] = {"code": raw.error.code, "message": raw.error.message}
    return LongRunningOperation(
        ctx, "run", "v2", body, description, ("projects", "locations", "operations"), wait_timeout="60s"
    )


def _container(live: dict[str, Any], owner: str) -> dict[str, Any]:
    """A live container in the spec's spelling: API-filled fields gone, env sorted, short secret names.

    The API's defaults are taken off: the `http1` port name and the default TCP startup probe.

    A service container's `cpuIdle` is spelled out: the API leaves a false bool out of its
    answer, and with resources set, absent means CPU always allocated.
    """
    out = {k: v for k, v in live.items() if k not in _API_FILLED}
    given = out.get("resources")
    resources = {k: v for k, v in (given or {}).items() if k not in _NOT_OWNED_RESOURCES[owner]}
    if owner == "service" and given is not None:
        resources["cpuIdle"] = bool(resources.get("cpuIdle", False))
    if resources:
        out["resources"] = resources
    if "ports" in out:
        out["ports"] = [{k: v for k, v in p.items() if (k, v) != ("name", "http1")} for p in out["ports"]]
    port = ((out.get("ports") or [{}])[0]).get("containerPort") or DEFAULT_PORT
    if out.get("startupProbe") == {**DEFAULT_STARTUP_PROBE, "tcpSocket": {"port": port}}:
        del out["startupProbe"]
    env = []
    for var in out.get("env") or []:
        ref = (var.get("valueSource") or {}).get("secretKeyRef")
        if ref and str(ref.get("secret", "")).startswith("projects/"):
            var = copy.deepcopy(var)
            var["valueSource"]["secretKeyRef"]["secret"] = ref["secret"].rsplit("/", 1)[1]
        env.append(var)
    if env:
        out["env"] = sorted(env, key=lambda v: v.get("name", ""))
    return out


def _instance_shape(containers: list[dict[str, Any]]) -> tuple[float, float, bool]:
    """vCPU and GiB of one instance (all its containers) and whether CPU is idle between requests.

    The API's own defaults apply: 1 vCPU and 512 MiB a container; and `cpuIdle` is true only
    when the container sets no resources at all, false when it sets resources without it.
    """
    vcpus = memory = 0.0
    idle = True
    for container in containers or [{}]:
        resources = container.get("resources") or {}
        limits = resources.get("limits") or {}
        vcpus += _cpu(str(limits.get("cpu", "1")))
        memory += _gib(str(limits.get("memory", "512Mi")))
        if "resources" in container:
            idle = idle and bool(resources.get("cpuIdle", False))
    return vcpus, memory, idle


#: What each CPU allocation is called on a cost line, and how it is billed.
_ALLOCATION = {
    True: (
        "CPU only during requests",
        "cpuIdle true: an idle minimum instance is billed at the idle rate; while serving, at"
        " the active rate (request-based billing)",
    ),
    False: (
        "CPU always allocated",
        "cpuIdle false: every instance is billed for as long as it runs, serving or not"
        " (instance-based billing)",
    ),
}


def _cpu(text: str) -> float:
    return float(text[:-1]) / 1000 if text.endswith("m") else float(text)


_MEMORY_UNITS = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12}


def _gib(text: str) -> float:
    """A Kubernetes quantity ("512Mi", "2Gi", "1G") in GiB."""
    for suffix in sorted(_MEMORY_UNITS, key=len, reverse=True):
        if text.endswith(suffix):
            return float(text[: -len(suffix)]) * _MEMORY_UNITS[suffix] / 2**30
    return float(text) / 2**30


def _merged_template(live: dict[str, Any], want: dict[str, Any]) -> dict[str, Any]:
    """The live template with the spec's fields laid over it (containers replaced whole)."""
    return deep_merge(live, want)


class RegionalRunKind(ApiKind):
    """What Cloud Run services and jobs share; they differ in the word the API uses for them
    (`noun`) and where their containers sit (`task_path`).

    Each is named `<region>/<name>` and listed one region at a time, created under
    `<noun>_id` in its region and deleted under the etag it was read with; its containers are
    read in the spec's spelling (`_container`). The API and its client library name everything
    after the noun (`_run_api`): the collection `<noun>s`, the calls `create_<noun>` and
    `list_<noun>s`.
    """

    #: The API's word for one of these: "service" or "job".
    noun: ClassVar[str]
    #: The keys from a body down to the object that lists its containers.
    task_path: ClassVar[tuple[str, ...]]

    def task(self, body: dict[str, Any]) -> dict[str, Any]:
        """The part of a body that lists the containers (a service's template, a job's task)."""
        for key in self.task_path:
            body = body.get(key) or {}
        return body

    def method(self, verb: str) -> Any:
        """The client's call that does `verb` ("create", "update", "delete") to one of these,
        or lists them ("list")."""
        name = f"list_{self.noun}s" if verb == "list" else f"{verb}_{self.noun}"
        return getattr(run_client(self.ctx, self.noun), name)

    def full_name(self, short: str) -> str:
        """The API's name of `<region>/<name>`."""
        return run_name(self.ctx, self.noun, short)

    def observe(self, desired: Sequence[Resource]) -> list[LiveResource]:
        """One paginated list per region, named `<region>/<name>`."""
        found = []
        list_call = self.method("list")
        for region in _regions(self.ctx, desired):
            request = {"parent": f"projects/{self.ctx.project}/locations/{region}"}
            for item in self.call(lambda request=request: list(list_call(request=request))):
                body = to_json_dict(item)
                found.append(
                    LiveResource(
                        self.meta.kind,
                        f"{region}/{item.name.rsplit('/', 1)[1]}",
                        body,
                        managed=self.ctx.is_ours(body.get("labels")),
                        version=body.get("etag"),
                    )
                )
        return found

    def normalise(self, body: dict[str, Any]) -> dict[str, Any]:
        task = self.task(body)
        if task.get("containers"):
            task["containers"] = [_container(c, self.noun) for c in task["containers"]]
        return body

    def create(self, desired: Resource) -> Operation:
        """Create it in the region its name starts with."""
        region, short = desired.name.split("/")
        request = {
            "parent": f"projects/{self.ctx.project}/locations/{region}",
            f"{self.noun}_id": short,
            self.noun: from_json_dict(run_message(self.noun), desired.body),
        }
        op = self.call(self.method("create"), request=request)
        return _operation(self.ctx, op, f"create {self.noun} {short}")

    def updated(self, desired: Resource, body: dict[str, Any], **options: Any) -> Operation:
        """Send `body` as its new state (a job whole, a service's fields under the request's
        `options`: its update mask) and follow the operation."""
        request = {self.noun: from_json_dict(run_message(self.noun), body), **options}
        op = self.call(self.method("update"), request=request)
        return _operation(self.ctx, op, f"update {self.noun} {desired.name}")

    def delete(self, live: LiveResource) -> Operation:
        """Delete it under the etag it was read with."""
        request = {"name": self.full_name(live.name), "etag": live.body.get("etag")}
        op = self.call(self.method("delete"), request=request)
        return _operation(self.ctx, op, f"delete {self.noun} {live.name}")


#: What a service's update can write, in the order its mask lists it: a label edit touches the
#: labels alone, and only a template change rolls out a revision.
SERVICE_MASK = UpdateMask(("labels", "ingress", "template"))


class RunService(RegionalRunKind):
    """A Cloud Run service; labels, ingress and the revision template are updated in place."""

    meta = run_meta(
        kind="run.service",
        permissions=permissions_of("run.services", also=RUNS_AS_ACCOUNT),
        api_defaults={"template": {"scaling": {"minInstanceCount": 0}, "sessionAffinity": False}},
    )
    noun, task_path = "service", ("template",)

    def monthly_cost(self, name: str, body: dict[str, Any], prices: PriceTable) -> list[CostLine] | None:
        """Minimum instances run all month; everything above them is billed by use.

        Both follow the service's CPU allocation (`cpuIdle`), named on the lines: with CPU only
        during requests an idle minimum instance is billed at the idle rate and work by the
        request; with CPU always allocated every instance is billed at the instance-based
        rate for as long as it runs.
        """
        region = name.split("/")[0]
        template = self.task(body)
        vcpus, memory, idle = _instance_shape(template.get("containers") or [])
        minimum = max(
            int((template.get("scaling") or {}).get("minInstanceCount") or 0),
            int((body.get("scaling") or {}).get("minInstanceCount") or 0),
        )
        shape = f"{vcpus:g} vCPU, {memory:g} GiB"
        allocation, why = _ALLOCATION[idle]
        lines: list[CostLine] = []
        if minimum:
            rate = "run.idle_min_instance" if idle else "run.instance_based"
            item = f"minimum instances: {minimum} × {shape}"
            lines += [
                prices.charge(f"{rate}.cpu", region, minimum * vcpus, f"{item}, {allocation}", why),
                prices.charge(f"{rate}.memory", region, minimum * memory, f"{item}, memory"),
            ]
        if idle:
            return [
                *lines,
                prices.usage("run.request_based.cpu", region, "CPU while serving requests", shape),
                prices.usage("run.request_based.memory", region, "memory while serving requests", shape),
                prices.usage("run.requests", region, "requests"),
            ]
        return [
            *lines,
            prices.usage(
                "run.instance_based.cpu",
                region,
                "CPU of instances above the minimum",
                None if minimum else f"{allocation}: {why}",
            ),
            prices.usage("run.instance_based.memory", region, "memory of instances above the minimum"),
        ]

    def update(self, desired: Resource, live: LiveResource, changes: Sequence[FieldChange]) -> Operation:
        fields = SERVICE_MASK.changed(changes)
        body: dict[str, Any] = {
            "name": self.full_name(desired.name),
            "etag": live.body.get("etag"),
            **SERVICE_MASK.body(fields, desired.body, live.body),
        }
        if "template" in fields:
            body["template"] = _merged_template(live.body.get("template") or {}, desired.body["template"])
        mask = {"paths": SERVICE_MASK.paths(fields)}
        return self.updated(desired, body, update_mask=mask)

    def update_note(self, changes: Sequence[FieldChange]) -> str | None:
        if "template" in top_level(changes):
            return "rolls out a new revision"
        return None

    def delete_note(self, live: LiveResource) -> str | None:
        return "stops serving traffic and removes every revision"


class RunJob(RegionalRunKind):
    """A Cloud Run job; its API has no update mask, so an update sends the whole job back."""

    meta = run_meta(
        kind="run.job",
        permissions=permissions_of("run.jobs", also=RUNS_AS_ACCOUNT),
    )
    #: A job's template holds the template of its tasks, which lists the containers.
    noun, task_path = "job", ("template", "template")

    def monthly_cost(self, name: str, body: dict[str, Any], prices: PriceTable) -> list[CostLine] | None:
        """A job costs only while its tasks run, at the instance-based rates."""
        region = name.split("/")[0]
        vcpus, memory, _ = _instance_shape(self.task(body).get("containers") or [])
        shape = f"{vcpus:g} vCPU, {memory:g} GiB a task"
        return [
            prices.usage("run.instance_based.cpu", region, "CPU while executions run", shape),
            prices.usage("run.instance_based.memory", region, "memory while executions run", shape),
        ]

    def update(self, desired: Resource, live: LiveResource, changes: Sequence[FieldChange]) -> Operation:
        body: dict[str, Any] = {
            key: live.body[key]
            for key in ("annotations", "launchStage", "client", "clientVersion")
            if key in live.body
        }
        body.update(
            name=self.full_name(desired.name),
            etag=live.body.get("etag"),
            labels=labels_kept(live.body.get("labels"), desired.body.get("labels")),
            template=_merged_template(live.body.get("template") or {}, desired.body["template"]),
        )
        return self.updated(desired, body)


def connector_path(ctx: Context) -> str:
    return f"projects/{ctx.project}/locations/{ctx.spec.region}/connectors/{ctx.spec.connector_name}"


def _env(svc: Any) -> list[dict[str, Any]]:
    plain = [{"name": k, "value": v} for k, v in svc.env.items()]
    secret = [
        {"name": k, "valueSource": {"secretKeyRef": {"secret": ref.secret, "version": ref.version}}}
        for k, ref in svc.secret_env.items()
    ]
    return sorted(plain + secret, key=lambda v: v["name"])


def service_body(ctx: Context, key: str, svc: Any) -> dict[str, Any]:
    container: dict[str, Any] = {
        "image": svc.image,
        "ports": [{"containerPort": svc.port}],
        # Always sent: with resources set, leaving cpuIdle out means CPU always allocated.
        "resources": {
            "limits": {"cpu": svc.cpu, "memory": svc.memory},
            "cpuIdle": not svc.cpu_always_allocated,
        },
    }
    if svc.env or svc.secret_env:
        container["env"] = _env(svc)
    template: dict[str, Any] = {
        "serviceAccount": account_email(ctx, svc.service_account),
        "scaling": {"minInstanceCount": svc.min_instances, "maxInstanceCount": svc.max_instances},
        "maxInstanceRequestConcurrency": svc.concurrency,
        "timeout": f"{svc.timeout_seconds}s",
        "sessionAffinity": svc.session_affinity,
        "containers": [container],
    }
    if svc.vpc_egress:
        template["vpcAccess"] = {"connector": connector_path(ctx), "egress": EGRESS[svc.vpc_egress]}
    return {
        "labels": ctx.labels({**svc.labels, "service": key}),
        "ingress": INGRESS[svc.ingress],
        "template": template,
    }


def drift_job_args(ctx: Context) -> list[str]:
    """The command line the image runs: correct (or only report) drift in this environment."""
    args = ["apply", "--env", ctx.env, "--auto-approve", "--drift-only"]
    if ctx.spec.drift_job.mode == "report":
        args.append("--report-only")
    return args


def drift_job_body(ctx: Context) -> dict[str, Any]:
    job = ctx.spec.drift_job
    return {
        "labels": ctx.labels({"purpose": "drift-correction"}),
        "template": {
            "taskCount": 1,
            "template": {
                "containers": [
                    {
                        "image": job.image,
                        "args": drift_job_args(ctx),
                        "resources": {"limits": DRIFT_JOB_LIMITS},
                    }
                ],
                "serviceAccount": account_email(ctx, job.service_account),
                "timeout": f"{job.timeout_seconds}s",
                "maxRetries": job.max_retries,
            },
        },
    }


def drift_metric() -> Resource:
    """The metric each drift run writes a point to, declared so its descriptor is ours."""
    return Resource(
        kind=MetricDescriptor.meta.kind,
        name=DRIFT_METRIC,
        body={
            "type": DRIFT_METRIC,
            "metricKind": "GAUGE",
            "valueType": "INT64",
            "description": "Resources a drift run found different from the spec, by environment and outcome",
            "labels": [
                {"key": "env", "valueType": "STRING", "description": "Environment the run covered"},
                {"key": "outcome", "valueType": "STRING", "description": "drifted, corrected or failed"},
            ],
        },
    )


class RunReconciler(Reconciler):
    family = "run"
    #: The drift job reports to a custom metric, which this family declares.
    kinds = (RunService, RunInvokers, RunJob, ServiceAccount, ProjectRoles, MetricDescriptor)

    def desired(self, ctx: Context) -> list[Resource]:
        spec = ctx.spec
        resources: list[Resource] = []
        connector = address_of(VpcConnector.meta.kind, f"{spec.region}/{spec.connector_name}")
        managed_secrets = {spec.sql.user.password_secret}
        for key, svc in sorted(spec.run.services.items()):
            account, roles = service_account(ctx, svc.service_account, key, svc.roles)
            # Only secrets this tool makes can be waited for; others are managed elsewhere.
            secrets = sorted({ref.secret for ref in svc.secret_env.values()} & managed_secrets)
            deps = [account.address, roles.address]
            deps += [address_of(Secret.meta.kind, s) for s in secrets] + [
                address_of(GeneratedValue.meta.kind, s) for s in secrets
            ]
            if svc.vpc_egress:
                deps.append(connector)
            service = Resource(
                kind=RunService.meta.kind,
                name=f"{spec.region}/{spec.run_service_name(key)}",
                body=service_body(ctx, key, svc),
                deps=tuple(deps),
                deletion_policy=svc.deletion_policy,
            )
            invokers = Resource(
                kind=RunInvokers.meta.kind,
                name=service.name,
                body={"members": [PUBLIC] if svc.public else []},
                deps=(service.address,),
                deletion_policy=svc.deletion_policy,
            )
            resources += [account, roles, service, invokers]
        job = spec.drift_job
        account, roles = service_account(ctx, job.service_account, "drift-correction", job.roles)
        drift = Resource(
            kind=RunJob.meta.kind,
            name=f"{spec.region}/{spec.drift_job_name}",
            body=drift_job_body(ctx),
            deps=(account.address, roles.address),
            deletion_policy=job.deletion_policy,
        )
        return [*resources, account, roles, drift, drift_metric()]
