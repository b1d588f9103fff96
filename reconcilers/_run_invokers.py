"""Who may invoke a Cloud Run service: the members of `roles/run.invoker` on it.

Cloud Run services are private by default, and a global external load balancer forwards
browser requests without identity tokens: a service behind it answers 403 unless it lets
everyone invoke it. The spec says so per service (`public`), and public access is granted as
`roles/run.invoker` for `allUsers` in the service's IAM policy rather than with the v2
service's `invokerIamDisabled`: the grant is where reviewers and tools already look for who
may call a service (`gcloud run services get-iam-policy`, policy analysers, the drift report),
it works with every client library version that speaks v2, and an organisation that forbids
public members (domain restricted sharing) refuses it openly instead of being bypassed. With
ingress limited to internal traffic and Cloud Load Balancing, the load balancer and its Cloud
Armor policy stay the only way in from the internet.

The role is ours on our services: members someone else added to it show as drift.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from provisioner.engine.api_kind import ApiKind
from provisioner.engine.iam_policy import edit_policy
from provisioner.engine.operations import DoneOperation, Operation
from provisioner.engine.permissions import iam_policy_permissions
from provisioner.engine.plan import FieldChange
from provisioner.engine.resource import LiveResource, Resource
from provisioner.google.errors import ApiError, ApiErrorException, classify
from reconcilers._run_api import run_client, run_meta, run_name

INVOKER = "roles/run.invoker"
PUBLIC = "allUsers"
#: The words of IAM's refusal under domain restricted sharing (400 FAILED_PRECONDITION).
_NOT_PERMITTED = "do not belong to a permitted customer"


def invokers(policy: Any) -> list[str]:
    """The unconditional members of the invoker role in a service's policy."""
    return sorted(
        {m for b in policy.bindings if b.role == INVOKER and not b.condition.expression for m in b.members}
    )


class RunInvokers(ApiKind):
    """The members of `roles/run.invoker` on one service; `[]` keeps it private."""

    meta = run_meta(
        kind="run.invokers",
        # The members live in the service's IAM policy: read with getIamPolicy, written whole
        # with setIamPolicy (https://cloud.google.com/run/docs/reference/iam/permissions).
        permissions=iam_policy_permissions("run.services"),
        grants_access=True,
        labels_path=None,
        unordered=("members",),
    )
    no_charge = "IAM bindings are free"

    def _read_policy(self, name: str) -> Any:
        from google.iam.v1 import iam_policy_pb2

        return run_client(self.ctx, "service").get_iam_policy(
            request=iam_policy_pb2.GetIamPolicyRequest(resource=run_name(self.ctx, "service", name))
        )

    def _policy(self, name: str) -> Any | None:
        try:
            return self.call(self._read_policy, name)
        except Exception as exc:
            err = classify(exc)
            if err is not None and err.not_found:
                return None  # the service is not there (yet): nothing can be granted on it
            raise

    def observe(self, desired: Sequence[Resource]) -> list[LiveResource]:
        """One policy read per service, side by side: IAM policies have no list call."""
        found = []
        policies = self.map(lambda r: self._policy(r.name), list(desired))
        for resource, policy in zip(desired, policies, strict=True):
            if policy is not None:
                body = {"members": invokers(policy)}
                found.append(
                    LiveResource(self.meta.kind, resource.name, body, managed=True, version=policy.etag)
                )
        return found

    def create(self, desired: Resource) -> Operation:
        return self._write(desired.name, desired.body["members"])

    def update(self, desired: Resource, live: LiveResource, changes: Sequence[FieldChange]) -> Operation:
        return self._write(desired.name, desired.body["members"])

    def delete(self, live: LiveResource) -> Operation:
        if self._policy(live.name) is None:
            return DoneOperation(f"service {live.name} is gone, and its policy with it")
        return self._write(live.name, [])

    def _write(self, name: str, members: list[str]) -> Operation:
        """Read the service's policy, make the invoker role hold exactly `members`, write it back."""
        from google.iam.v1 import iam_policy_pb2, policy_pb2

        def read() -> Any:
            try:
                return self._read_policy(name)
            except Exception as exc:
                err = classify(exc)
                if err is not None and err.not_found:
                    raise RuntimeError(
                        f"Cloud Run service {name} does not exist; its invokers cannot be set"
                    ) from exc
                raise

        def edit(policy: Any) -> Any:
            kept = [b for b in policy.bindings if b.role != INVOKER or b.condition.expression]
            del policy.bindings[:]
            policy.bindings.extend(kept)
            if members:
                policy.bindings.append(policy_pb2.Binding(role=INVOKER, members=sorted(members)))
            return policy

        def write(policy: Any) -> Any:
            resource = run_name(self.ctx, "service", name)
            request = iam_policy_pb2.SetIamPolicyRequest(resource=resource, policy=policy)
            return run_client(self.ctx, "service").set_iam_policy(request=request)

        try:
            edit_policy(self, read, edit, write)
        except Exception as exc:
            err = classify(exc)
            if err is not None and err.status == 400 and _NOT_PERMITTED in err.message and PUBLIC in members:
                raise ApiErrorException(ApiError(400, "failedPrecondition", self._refused(name))) from exc
            raise
        return DoneOperation(f"set the invokers of {name}")

    def _refused(self, name: str) -> str:
        service = name.split("/")[1]
        keys = [k for k in self.ctx.spec.run.services if self.ctx.spec.run_service_name(k) == service]
        where = f"run.services.{keys[0]}.public" if keys else "public"
        return (
            f"the organisation policy iam.allowedPolicyMemberDomains (domain restricted sharing) refuses"
            f" allUsers as invoker of Cloud Run service {service}, so the load balancer cannot reach it:"
            f" exempt project {self.ctx.project} from that constraint (gcloud org-policies reset"
            f" iam.allowedPolicyMemberDomains --project={self.ctx.project}, as an organisation policy"
            f" administrator), or set {where}: false and serve it some other way"
        )
