"""`plan --show-requests`: the exact API requests apply would send, worked out by a dry run.

The requests are not described per kind (a description would drift from the code that
really sends them): the plan's changes run through the real `Executor` and the real
reconcilers, over clients whose writes a `DryRun` holds back and answers. One change runs
at a time, so the listing comes out in a stable order. No lock is taken and nothing is
written: reads go to the API, writes stay in this process.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from provisioner.engine.apply import Executor
from provisioner.engine.attribution import AttributedKind
from provisioner.engine.context import Context
from provisioner.engine.kind import Kind
from provisioner.engine.plan import Plan
from provisioner.engine.planner import Observation, Planner
from provisioner.engine.resource import Address, LiveResource
from provisioner.google.clients import ClientFactory, Interceptors
from provisioner.traffic.dry_run import DryRun, HeldRequest
from provisioner.traffic.dry_run_shapes import google_host

#: Compute's idempotency token (`requestId=<uuid>`): each apply sends a fresh one.
_REQUEST_ID = re.compile(r"([?&]requestId=)[0-9a-fA-F-]{36}")


@dataclass
class RequestListing:
    """What apply would send, and the changes whose requests could not be worked out."""

    requests: list[HeldRequest]
    #: (address, why) for each change the dry run could not carry through.
    problems: list[tuple[Address, str]] = field(default_factory=list)
    #: The embedded emulator's base URL, shown as the Google host it stands in for.
    local_base: str | None = None
    #: Changes carried out with no request of their own (made by another change's request).
    silent: list[Address] = field(default_factory=list)

    def url(self, request: HeldRequest) -> str:
        url = _REQUEST_ID.sub(r"\1{uuid}", request.url)  # a fresh one each run: shown as what it is
        if self.local_base and url.startswith(self.local_base + "/"):
            return f"https://{google_host(request.service)}{url[len(self.local_base) :]}"
        return url

    def by_address(self) -> list[tuple[str, list[HeldRequest]]]:
        """Requests grouped per change, groups in the order of their first request."""
        groups: dict[str, list[HeldRequest]] = {}
        for request in self.requests:
            groups.setdefault(request.address or "(no change)", []).append(request)
        return list(groups.items())


def requests_of(
    planner: Planner, plan: Plan, observation: Observation, local_base: str | None = None
) -> RequestListing:
    """Dry-run the changes of a plan made from `observation`; `local_base` is the emulator's
    address with --local, shown as the Google host it stands in for."""
    return collect(planner.ctx, planner.kinds, plan, observation.live, local_base=local_base)


def collect(
    ctx: Context,
    kinds: Mapping[str, Kind],
    plan: Plan,
    live: dict[Address, LiveResource],
    local_base: str | None = None,
) -> RequestListing:
    """Run `plan` with writes held back; what would have been sent, change by change."""
    dry_run = DryRun()
    # Reads go over the wire: a recording (--record-http) under the dry run keeps them.
    recording = ctx.clients.interceptor
    interceptor = dry_run if recording is None else Interceptors(recording, dry_run)
    clients = ClientFactory(
        ctx.clients.endpoints, impersonate=ctx.clients.impersonate, interceptor=interceptor
    )
    dry_ctx = dataclasses.replace(ctx, clients=clients)
    if "project_number" in vars(ctx):  # already read: no need to read it again
        vars(dry_ctx)["project_number"] = ctx.project_number
    attributed: dict[str, Any] = {
        name: AttributedKind(type(kind)(dry_ctx), dry_run) for name, kind in kinds.items()
    }
    result = Executor(ctx=dry_ctx, kinds=attributed, live=live, parallelism=1).run(plan)
    problems = [(o.change.address, o.detail) for o in result.outcomes if o.status != "done"]
    requests = dry_run.requests()
    sending = {r.address for r in requests}
    silent = sorted(
        o.change.address for o in result.outcomes if o.status == "done" and o.change.address not in sending
    )
    return RequestListing(requests, problems, local_base, silent)
