"""The Google APIs an environment's project has enabled (`apis:` in the spec).

One resource per API, named by its service (`serviceusage.service/compute.googleapis.com`).
Every other kind names the API its calls go to (`KindMeta.api`), and the planner makes each
resource wait for that API, so a fresh project gets its APIs enabled before anything else.

Enabling is batched: the engine creates resources one change at a time, in parallel, and
the enables that arrive while one `batchEnable` is under way go out together in the next
(at most 20 services per call, the API's limit), so fifteen APIs take a few calls instead of
fifteen operations.

An API is never disabled. Disabling one breaks every resource that uses it and can lose
their data, so an API dropped from the spec is left enabled, and the plan says so. APIs
carry no labels: one is ours when this tool's kinds call it; any other enabled API (a
default, or one enabled by hand) is not ours and never touched.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any

from provisioner.engine.api_kind import ApiKind
from provisioner.engine.context import Context
from provisioner.engine.group_commit import GroupCommit
from provisioner.engine.kind import KindMeta, Reconciler
from provisioner.engine.operations import DoneOperation, Operation, wait_for
from provisioner.engine.permissions import permissions_of
from provisioner.engine.plan import Change, FieldChange
from provisioner.engine.resource import Address, LiveResource, Resource, address_of
from reconcilers._compute import list_all
from reconcilers._operations import LongRunningOperation

#: Most services one `batchEnable` call may name.
BATCH_LIMIT = 20
LEFT_ENABLED = (
    "left enabled: an API is never disabled, since that breaks every resource using it "
    "(disable it by hand with `gcloud services disable` if nothing needs it)"
)


def _services(ctx: Context) -> Any:
    return ctx.clients.discovery("serviceusage", "v1").services()


@cache
def _called_by_our_kinds() -> frozenset[str]:
    """The APIs this tool's kinds call: an enabled one of these that the spec dropped was ours."""
    from reconcilers import all_reconcilers

    return frozenset(
        kind.meta.api
        for reconciler in all_reconcilers()
        for kind in reconciler.kinds
        if kind.meta.api is not None
    )


class ProjectService(ApiKind):
    """One API enabled on the project; there is nothing to update, only to enable."""

    meta = KindMeta(
        kind="serviceusage.service",
        api="serviceusage.googleapis.com",
        # An API is enabled again to update it, and never disabled.
        permissions=permissions_of("serviceusage.services", write=("enable",), delete=()),
        labels_path=None,
        enables_api=True,
    )
    no_charge = "enabling an API costs nothing; what it serves is billed on its own lines"

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        #: APIs this apply enables, told before it starts; those already asked for in a call.
        self._to_enable: set[str] = set()
        self._asked: set[str] = set()
        # The enables of a fresh project all start at once: wait a moment to send them together.
        self._enables: GroupCommit[str] = GroupCommit(self._batch_enable, linger=0.02)

    def observe(self, desired: Sequence[Resource]) -> list[LiveResource]:
        api = _services(self.ctx)
        parent = f"projects/{self.ctx.project}"
        enabled = self.call(
            list_all,
            lambda token: api.list(parent=parent, filter="state:ENABLED", pageSize=200, pageToken=token),
            key="services",
        )
        # Only the APIs that are ours: the defaults of every project and APIs others enabled are
        # not resources of this environment (they would read as unmanaged in every drift report).
        ours = _called_by_our_kinds() | {r.name for r in desired}
        return [
            LiveResource(self.meta.kind, s["config"]["name"], s, managed=True)
            for s in enabled
            if s["config"]["name"] in ours
        ]

    def create(self, desired: Resource) -> Operation:
        self._enables.submit(desired.name)
        return DoneOperation(f"enable {desired.name}")

    def planned(self, changes: Sequence[Change]) -> None:
        self._to_enable = {c.name for c in changes if c.action in ("create", "update")}

    def _batch_enable(self, services: list[str]) -> None:
        """Enable `services`, and every other API this apply enables, in calls of at most twenty,
        each waited on before the next: a fresh project's APIs go out in one call, not one per
        worker that happened to be free. One already asked for (and waited on) is not again."""
        api = _services(self.ctx)
        parent = f"projects/{self.ctx.project}"
        wanted = sorted((set(services) | self._to_enable) - self._asked)
        self._asked |= set(wanted)
        try:
            self._enable(api, parent, wanted)
        except Exception:
            # From now on each API on its own: the next asker sends its own again, and hears why.
            self._asked -= set(wanted)
            self._to_enable = set()
            raise

    def _enable(self, api: Any, parent: str, wanted: list[str]) -> None:
        for start in range(0, len(wanted), BATCH_LIMIT):
            chunk = wanted[start : start + BATCH_LIMIT]
            if len(chunk) == 1:
                request = api.enable(name=f"{parent}/services/{chunk[0]}", body={})
            else:
                request = api.batchEnable(parent=parent, body={"serviceIds": chunk})
            body = self.call(request.execute)
            operation = LongRunningOperation(
                self.ctx, "serviceusage", "v1", body, f"enable {', '.join(chunk)}"
            )
            wait_for(operation, self.ctx.retry, self.meta.poll_schedule.scaled(self.ctx.poll_scale))

    def update(self, desired: Resource, live: LiveResource, changes: Sequence[FieldChange]) -> Operation:
        return self.create(desired)

    def delete(self, live: LiveResource) -> Operation:
        return DoneOperation(f"leave {live.name} enabled")

    def delete_effect(self, live: LiveResource) -> str | None:
        return LEFT_ENABLED


def enabled_api(ctx: Context, service: str) -> Resource:
    """`service` enabled on the project, under the spec's deletion policy for its APIs."""
    return Resource(
        kind=ProjectService.meta.kind,
        name=service,
        body={"state": "ENABLED"},
        deletion_policy=ctx.spec.apis_deletion_policy,
    )


def api_address(service: str) -> Address:
    """The address of the resource that enables `service`, which what calls it waits for."""
    return address_of(ProjectService.meta.kind, service)


class ServicesReconciler(Reconciler):
    family = "services"
    kinds = (ProjectService,)

    def desired(self, ctx: Context) -> list[Resource]:
        return [enabled_api(ctx, api) for api in ctx.spec.apis]
