"""Cloud Run v2 jobs and their executions.

A job holds an execution template (task count, parallelism) around a task template
(containers, retries, timeout, service account); `jobs.run` starts an execution
(`<job>-<5 characters>`) and answers with an operation that is done once the execution
has finished. The same references are checked as for services.
"""

from __future__ import annotations

import copy
import random
import string
import uuid
from typing import Any

from emulator import standard
from emulator.effects import Effect
from emulator.errors import failed_precondition, invalid
from emulator.registry import Api, Call, Reply
from emulator.services import _iam_accounts
from emulator.services import _run_methods as methods
from emulator.services._run import (
    CALLER,
    DEFAULT_LIMITS,
    EXECUTION,
    JOB,
    JOB_SIDECAR_LIMITS,
    check_containers,
    check_etag,
    check_metadata,
    check_service_account,
    check_vpc_access,
    condition,
    container_defaults,
    fetch,
    name_of,
    new_etag,
    vpc_defaults,
)

API = Api("run", "v2")

OUTPUT = {
    "name", "uid", "generation", "createTime", "updateTime", "deleteTime", "expireTime", "creator",
    "lastModifier", "observedGeneration", "terminalCondition", "conditions", "executionCount",
    "latestCreatedExecution", "reconciling", "etag", "satisfiesPzs",
}  # fmt: skip
MUTABLE = {
    "labels",
    "annotations",
    "client",
    "clientVersion",
    "launchStage",
    "binaryAuthorization",
    "template",
}
MAX_TASK_TIMEOUT_S = 7 * 86400


def _desired(call: Call, body: dict[str, Any], project_id: str, number: str, location: str) -> dict[str, Any]:
    check_metadata(body, "job")
    execution = copy.deepcopy(body.get("template") or {})
    task = execution.get("template")
    if not task:
        raise invalid("template.template is required.", field="job.template.template")
    check_metadata(execution, "job.template")
    check_containers(call, task.get("containers") or [], "job.template.template", number)
    limits = JOB_SIDECAR_LIMITS if len(task["containers"]) > 1 else DEFAULT_LIMITS
    task["containers"] = [container_defaults(c, limits) for c in task["containers"]]
    task.setdefault("maxRetries", 3)
    task.setdefault("timeout", "600s")
    # A task template sent without an execution environment comes back with the second
    # generation (kcc-golden run/v1beta1/runjob/runjob-iamserviceaccount/_http.log, every answer).
    task.setdefault("executionEnvironment", "EXECUTION_ENVIRONMENT_GEN2")
    task.setdefault("serviceAccount", _iam_accounts.default_compute_account(number))
    vpc_defaults(task)
    check_service_account(call, task["serviceAccount"], "job.template.template")
    check_vpc_access(call, task, project_id, location, "job.template.template")
    if not 0 <= task["maxRetries"] <= 10:
        raise invalid("max_retries must be between 0 and 10.", field="job.template.template.max_retries")
    if float(str(task["timeout"]).rstrip("s")) > MAX_TASK_TIMEOUT_S:
        raise invalid("timeout must be at most 168h.", field="job.template.template.timeout")
    execution.setdefault("taskCount", 1)
    if execution.get("parallelism", 0) > execution["taskCount"]:
        raise invalid("parallelism must not exceed task_count.", field="job.template.parallelism")
    execution["template"] = task
    return {**body, "template": execution, "launchStage": body.get("launchStage") or "GA"}


def _ready(job: dict[str, Any], now: str) -> dict[str, Any]:
    """What a finished write shows. `reconciling` is a proto3 bool: false is left out of the JSON
    (None removes it), as no recorded answer shows `"reconciling": false` (kcc-golden run/v1beta1)."""
    return {
        "reconciling": None,
        "observedGeneration": job["generation"],
        "terminalCondition": condition("Ready", "CONDITION_SUCCEEDED", now),
    }


def _pending(job: dict[str, Any]) -> dict[str, Any]:
    """The terminal condition while a write is being carried out: CONDITION_PENDING, on the
    condition the job had (a new job has none, so only the state shows). Recorded on real GCP
    in k8s-config-connector commit f36383ddfe, runjob-dependson/_http.log: the create (#1)
    answers `{"state": 1}`, the update (#4) and the delete (#7) `{"type": "Ready", "state": 1,
    "lastTransitionTime": ...}` (1 is CONDITION_PENDING in enum numbers)."""
    return {**(job.get("terminalCondition") or {}), "state": "CONDITION_PENDING"}


def _write(call: Call, job: dict[str, Any], verb: str) -> Reply:
    project_id, location = job["name"].split("/")[1], job["name"].split("/")[3]
    now = call.ctx.clock.rfc3339()
    job.update(reconciling=True, terminalCondition=_pending(job))
    call.ctx.store.put(JOB, job["name"], job, f"projects/{project_id}/locations/{location}")
    ready = _ready(job, now)
    failed = {
        "reconciling": None,
        "terminalCondition": condition("Ready", "CONDITION_FAILED", now, "Update failed."),
    }
    return methods.start_operation(
        call, project_id, location, job["name"], verb, "jobs",
        message_type="Job", shown=job, response={**job, **ready},
        effects=[Effect.set(JOB, job["name"], ready)], failure_effects=[Effect.set(JOB, job["name"], failed)],
    )  # fmt: skip


def _create(
    call: Call, project_id: str, number: str, location: str, job_id: str, body: dict[str, Any]
) -> Reply:
    fields = methods.created(call, JOB, f"projects/{project_id}/locations/{location}/jobs/{job_id}")
    # A job never run shows an empty `latestCreatedExecution`: so real GCP answered in
    # k8s-config-connector commit f36383ddfe ("Add test fixture and real gcp logs"),
    # runjob-dependson/_http.log, from the create's operation on; the corpus's runjob logs,
    # since written by mockgcp, keep it (runjob-iamserviceaccount/_http.log, every answer).
    fields["latestCreatedExecution"] = {}
    body = {k: v for k, v in body.items() if k not in ("name", "etag")}
    return _write(call, {**_desired(call, body, project_id, number, location), **fields}, "create")


def _update(
    call: Call, project_id: str, number: str, location: str, body: dict[str, Any], current: dict[str, Any]
) -> Reply:
    user = {k: v for k, v in body.items() if k in MUTABLE}
    desired = _desired(call, user, project_id, number, location)
    job = {**{k: v for k, v in current.items() if k in OUTPUT}, **desired}
    if desired != {k: v for k, v in current.items() if k not in OUTPUT}:
        job.update(methods.next_generation(call, current))
    return _write(call, job, "update")


methods.declare_collection(API, JOB, "jobs", "job", _create, _update)


@API.handles("run.projects.locations.jobs.delete")
def delete_job(call: Call) -> Reply:
    current = methods.delete_target(call, JOB, "jobs", "run.jobs.delete")
    now = call.ctx.clock.rfc3339()
    deleting = {**current, "reconciling": True, "deleteTime": now, "terminalCondition": _pending(current)}
    ready = {"terminalCondition": condition("Ready", "CONDITION_SUCCEEDED", now)}
    return methods.start_delete(call, JOB, EXECUTION, deleting, "jobs", "Job", finished=ready)


@API.handles("run.projects.locations.jobs.run")
def run_job(call: Call) -> Reply:
    shown = call.param("name")
    project_id, _, location, name = name_of(call, shown, "jobs", "run.jobs.run")
    job = fetch(call, JOB, name, shown)
    check_etag((call.body or {}).get("etag"), job)
    if job.get("reconciling"):
        raise failed_precondition(f"Job {name.rsplit('/', 1)[1]} is not ready; retry once it is.")
    job_id = name.rsplit("/", 1)[1]
    suffix = "".join(random.choices(string.ascii_lowercase + string.digits, k=5))
    execution_name = f"{name}/executions/{job_id}-{suffix}"
    now = call.ctx.clock.rfc3339()
    template = copy.deepcopy(job["template"])
    overrides = (call.body or {}).get("overrides") or {}
    if overrides.get("taskCount"):
        template["taskCount"] = overrides["taskCount"]
    execution = standard.drop_none(
        {
            "name": execution_name,
            "uid": str(uuid.uuid4()),
            "creator": CALLER,
            "generation": "1",
            "labels": template.get("labels"),
            "createTime": now,
            "startTime": now,
            "updateTime": now,
            "launchStage": job.get("launchStage"),
            "job": job_id,
            "parallelism": template.get("parallelism") or template["taskCount"],
            "taskCount": template["taskCount"],
            "template": template["template"],
            "reconciling": True,
            "conditions": [condition("Completed", "CONDITION_RECONCILING", now)],
            "observedGeneration": "1",
            "runningCount": template["taskCount"],
            "etag": new_etag(execution_name),
        }
    )
    call.ctx.store.put(EXECUTION, execution_name, execution, name)
    reference = {"name": execution_name, "createTime": now}
    call.ctx.store.put(
        JOB,
        name,
        {**job, "executionCount": job.get("executionCount", 0) + 1, "latestCreatedExecution": reference},
        f"projects/{project_id}/locations/{location}",
    )
    finished = {
        "reconciling": None,
        "completionTime": now,
        "runningCount": None,
        "succeededCount": template["taskCount"],
        "conditions": [condition("Completed", "CONDITION_SUCCEEDED", now)],
    }
    done_reference = {**reference, "completionTime": now, "completionStatus": "EXECUTION_SUCCEEDED"}
    failed = {
        "reconciling": None,
        "completionTime": now,
        "runningCount": None,
        "failedCount": template["taskCount"],
        "conditions": [condition("Completed", "CONDITION_FAILED", now, "Task failed.")],
    }
    return methods.start_operation(
        call, project_id, location, execution_name, "run", "jobs",
        message_type="Execution", shown=execution, response={**execution, **finished},
        effects=[Effect.set(EXECUTION, execution_name, finished),
                 Effect.set(JOB, name, {"latestCreatedExecution": done_reference})],
        failure_effects=[Effect.set(EXECUTION, execution_name, failed),
                         Effect.set(JOB, name, {"latestCreatedExecution": {
                             **reference, "completionTime": now, "completionStatus": "EXECUTION_FAILED"}})],
    )  # fmt: skip


methods.declare_children(API, (JOB, "jobs"), (EXECUTION, "executions"), order_by="createTime")
