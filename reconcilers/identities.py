"""Service agents, asked for before anything grants them a role.

A service agent (`service-<number>@gcp-sa-cloud-sql.iam.gserviceaccount.com`) is the identity
a Google service acts as in the project. Google creates one "at some point after you activate
and use the API", and until then no policy may name it: granting it a role answers 400
"Service account ... does not exist." (https://cloud.google.com/iam/docs/create-service-agents).
On a brand-new project the key grants of customer-managed encryption come before any use, so
the agents are asked for first, the way the services' CMEK guides do by hand:

- most services: Service Usage v1beta1 `services.generateServiceIdentity` (what
  `gcloud beta services identity create` and Terraform's `google_project_service_identity` call);
- Cloud Storage: the JSON API's `projects.serviceAccount.get`, which creates the agent on the
  first call (https://cloud.google.com/storage/docs/getting-service-agent).

Both are idempotent. An agent has no read call that does not also create it, so a plan infers
it: an agent that a live policy already names exists (a policy cannot name one that does not);
otherwise it is shown as to create, and asking again is harmless. Kinds that grant to agents
say where to look (`granted`). Agents are never deleted: Google owns them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from provisioner.engine.api_kind import ApiKind
from provisioner.engine.kind import KindMeta
from provisioner.engine.operations import DoneOperation, Operation, wait_for
from provisioner.engine.plan import FieldChange
from provisioner.engine.resource import LiveResource, Resource
from reconcilers._operations import LongRunningOperation
from reconcilers.services import api_address

KIND = "serviceusage.service_identity"
#: The service whose agent `projects.serviceAccount.get` of the storage JSON API makes.
STORAGE = "storage.googleapis.com"


class ServiceIdentity(ApiKind):
    """One service's agent in the project: generated once, never updated or deleted."""

    meta = KindMeta(
        kind=KIND,
        api="serviceusage.googleapis.com",
        labels_path=None,
    )
    no_charge = "service agents are free"

    def granted(self, desired: Sequence[Resource]) -> set[str]:
        """The agents among `desired` that live policies already name (so they exist)."""
        return set()

    def observe(self, desired: Sequence[Resource]) -> list[LiveResource]:
        seen = self.granted(desired)
        return [
            LiveResource(self.meta.kind, r.name, dict(r.body), managed=True)
            for r in desired
            if r.body["email"] in seen
        ]

    def create(self, desired: Resource) -> Operation:
        service = desired.name
        if service == STORAGE:
            client = self.ctx.clients.storage(self.ctx.project)
            email = self.call(client.get_service_account_email, project=self.ctx.project)
        else:
            api = self.ctx.clients.discovery("serviceusage", "v1beta1")
            parent = f"projects/{self.ctx.project_number}/services/{service}"
            body = self.call(api.services().generateServiceIdentity(parent=parent).execute)
            operation = LongRunningOperation(
                self.ctx, "serviceusage", "v1beta1", body, f"generate {service}'s agent"
            )
            wait_for(operation, self.ctx.retry, self.meta.poll_schedule.scaled(self.ctx.poll_scale))
            email = str((operation.body.get("response") or {}).get("email", ""))
        if email and email != desired.body["email"]:
            raise RuntimeError(
                f"{service}'s service agent is {email}, not {desired.body['email']} as expected"
            )
        return DoneOperation(f"generated {desired.body['email']}")

    def update(self, desired: Resource, live: LiveResource, changes: Sequence[FieldChange]) -> Operation:
        return self.create(desired)

    def delete(self, live: LiveResource) -> Operation:
        return DoneOperation(f"leave {live.body.get('email')} in place")

    def delete_effect(self, live: LiveResource) -> str | None:
        return "service agents belong to Google and cannot be deleted: it stays, with no roles from this tool"


def identity(ctx: Any, service: str, email: str) -> Resource:
    """The desired agent of `service`, after the service's API when the spec enables it."""
    deps = (api_address(service),) if service in ctx.spec.apis else ()
    return Resource(kind=KIND, name=service, body={"email": email}, deps=deps)
