"""Cloud Scheduler: the schedule that starts the drift-correction job.

On the spec's cron schedule and time zone, Cloud Scheduler calls the Cloud Run Admin
API's `jobs:run` for the drift job with an OAuth token of the drift-corrector account.
Scheduler jobs carry no labels; they are ours by their `digitwin-<env>-` name. Turning
the drift job off in the spec (`enabled: false`) takes the schedule out of the spec and
leaves the job, so it can still be run by hand.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from provisioner.cost.pricing import CostLine, PriceTable
from provisioner.engine.api_kind import ApiKind
from provisioner.engine.context import Context
from provisioner.engine.kind import KindMeta, Reconciler
from provisioner.engine.masks import UpdateMask
from provisioner.engine.operations import DoneOperation, Operation
from provisioner.engine.permissions import RUNS_AS_ACCOUNT, permissions_of
from provisioner.engine.plan import FieldChange
from provisioner.engine.resource import LiveResource, Resource, address_of
from provisioner.spec.ownership import ownership_note
from reconcilers._compute import list_all, owned_by_name
from reconcilers.iam import ProjectRoles, ServiceAccount, account_email
from reconcilers.run import RunJob

CLOUD_PLATFORM = "https://www.googleapis.com/auth/cloud-platform"
RUN_API = "https://run.googleapis.com/v2"
#: Everything but a job's name and region can be patched.
MASK = UpdateMask(("attemptDeadline", "description", "httpTarget", "retryConfig", "schedule", "timeZone"))


def _jobs(ctx: Context) -> Any:
    return ctx.clients.discovery("cloudscheduler", "v1").projects().locations().jobs()


def _full(ctx: Context, short: str) -> str:
    region, job_id = short.split("/")
    return f"projects/{ctx.project}/locations/{region}/jobs/{job_id}"


class SchedulerJob(ApiKind):
    """A cron-triggered HTTP call; everything but its name and region can be patched."""

    meta = KindMeta(
        kind="scheduler.job",
        api="cloudscheduler.googleapis.com",
        permissions=permissions_of("cloudscheduler.jobs", also=RUNS_AS_ACCOUNT),
    )

    def monthly_cost(self, name: str, body: dict[str, Any], prices: PriceTable) -> list[CostLine] | None:
        note = "the billing account's 3 free jobs are not applied"
        return [prices.charge("scheduler.job", name.split("/")[0], 1, "job", note)]

    def observe(self, desired: Sequence[Resource]) -> list[LiveResource]:
        api = _jobs(self.ctx)
        found = []
        for region in sorted({r.name.split("/")[0] for r in desired} | {self.ctx.spec.region}):
            parent = f"projects/{self.ctx.project}/locations/{region}"
            items = self.call(
                list_all, lambda token, p=parent: api.list(parent=p, pageToken=token), key="jobs"
            )
            for job in items:
                job_id = job["name"].rsplit("/", 1)[1]
                found.append(
                    LiveResource(
                        self.meta.kind, f"{region}/{job_id}", job, managed=owned_by_name(self.ctx, job_id)
                    )
                )
        return found

    def create(self, desired: Resource) -> Operation:
        region = desired.name.split("/")[0]
        body = {**desired.body, "name": _full(self.ctx, desired.name)}
        parent = f"projects/{self.ctx.project}/locations/{region}"
        self.call(_jobs(self.ctx).create(parent=parent, body=body).execute)
        return DoneOperation(f"create schedule {desired.name}")

    def update(self, desired: Resource, live: LiveResource, changes: Sequence[FieldChange]) -> Operation:
        fields = MASK.changed(changes)
        body = MASK.body(fields, desired.body, live.body)
        request = _jobs(self.ctx).patch(
            name=_full(self.ctx, desired.name), updateMask=MASK.joined(fields), body=body
        )
        self.call(request.execute)
        return DoneOperation(f"update schedule {desired.name}")

    def delete(self, live: LiveResource) -> Operation:
        self.call(_jobs(self.ctx).delete(name=_full(self.ctx, live.name)).execute)
        return DoneOperation(f"delete schedule {live.name}")


def drift_trigger(ctx: Context) -> Resource:
    """Run the drift job on the spec's schedule, as its own service account."""
    spec, job = ctx.spec, ctx.spec.drift_job
    run_job = f"projects/{ctx.project}/locations/{spec.region}/jobs/{spec.drift_job_name}"
    return Resource(
        kind=SchedulerJob.meta.kind,
        name=f"{spec.region}/{spec.drift_job_name}",
        body={
            "description": f"{ownership_note(ctx.env)}: starts the drift-correction job",
            "schedule": job.schedule,
            "timeZone": job.time_zone,
            "httpTarget": {
                "uri": f"{RUN_API}/{run_job}:run",
                "httpMethod": "POST",
                "oauthToken": {
                    "serviceAccountEmail": account_email(ctx, job.service_account),
                    "scope": CLOUD_PLATFORM,
                },
            },
        },
        deps=(
            address_of(RunJob.meta.kind, f"{spec.region}/{spec.drift_job_name}"),
            address_of(ServiceAccount.meta.kind, job.service_account),
            address_of(ProjectRoles.meta.kind, job.service_account),
        ),
        deletion_policy=job.deletion_policy,
    )


class SchedulerReconciler(Reconciler):
    family = "scheduler"
    kinds = (SchedulerJob,)

    def desired(self, ctx: Context) -> list[Resource]:
        return [drift_trigger(ctx)] if ctx.spec.drift_job.enabled else []
