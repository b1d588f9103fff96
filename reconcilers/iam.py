"""Service accounts and the project roles they hold.

Each workload runs as its own service account, and each account holds only the project
roles the spec lists for it. Accounts carry no labels: an account is ours when its
description says it is managed for this environment.

Project roles are granted non-authoritatively: the project IAM policy is read, our
account's bindings are set to what the spec lists, everything else in the policy is left
alone, and the policy is written back under the etag it was read with. When another
writer got in between (the API answers 409), the whole read-modify-write starts again.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from provisioner.engine.api_kind import ApiKind
from provisioner.engine.context import Context
from provisioner.engine.group_commit import GroupCommit
from provisioner.engine.iam_policy import edit_policy
from provisioner.engine.kind import KindMeta
from provisioner.engine.masks import UpdateMask
from provisioner.engine.operations import DoneOperation, Operation
from provisioner.engine.permissions import iam_policy_permissions, permissions_of
from provisioner.engine.plan import FieldChange
from provisioner.engine.resource import LiveResource, Resource
from provisioner.spec.ownership import ownership_note
from reconcilers._compute import list_all

#: setIamPolicy writes the bindings, under the etag the policy was read with.
POLICY_MASK = UpdateMask(("bindings", "etag"))


def account_email(ctx: Context, account_id: str) -> str:
    return f"{account_id}@{ctx.project}.iam.gserviceaccount.com"


def _accounts(ctx: Context) -> Any:
    return ctx.clients.discovery("iam", "v1").projects().serviceAccounts()


def _list_accounts(kind: ApiKind) -> list[dict[str, Any]]:
    api = _accounts(kind.ctx)
    parent = f"projects/{kind.ctx.project}"
    # Accounts and their project roles are observed from the same list.
    return kind.ctx.shared(
        ("iam.serviceAccounts", parent),
        lambda: kind.call(list_all, lambda token: api.list(name=parent, pageToken=token), key="accounts"),
    )


def _ours(ctx: Context, account: dict[str, Any]) -> bool:
    return str(account.get("description", "")).startswith(ownership_note(ctx.env))


#: Only an account's display name and description can change.
ACCOUNT_MASK = UpdateMask(("description", "displayName"))


class ServiceAccount(ApiKind):
    """A user-managed service account; only its display name and description can change."""

    meta = KindMeta(
        kind="iam.service_account",
        api="iam.googleapis.com",
        permissions=permissions_of("iam.serviceAccounts"),
    )
    no_charge = "service accounts are free"

    def observe(self, desired: Sequence[Resource]) -> list[LiveResource]:
        return [
            LiveResource(
                self.meta.kind,
                account["email"].split("@", 1)[0],
                account,
                managed=_ours(self.ctx, account),
                version=account.get("etag"),
            )
            for account in _list_accounts(self)
        ]

    def create(self, desired: Resource) -> Operation:
        body = {"accountId": desired.name, "serviceAccount": desired.body}
        self.call(_accounts(self.ctx).create(name=f"projects/{self.ctx.project}", body=body).execute)
        return DoneOperation(f"create service account {desired.name}")

    def update(self, desired: Resource, live: LiveResource, changes: Sequence[FieldChange]) -> Operation:
        fields = ACCOUNT_MASK.changed(changes)
        account = {**ACCOUNT_MASK.body(fields, desired.body, live.body), "etag": live.body.get("etag")}
        request = _accounts(self.ctx).patch(
            name=live.body["name"],
            body={"serviceAccount": account, "updateMask": ACCOUNT_MASK.joined(fields)},
        )
        self.call(request.execute)
        return DoneOperation(f"update service account {desired.name}")

    def delete(self, live: LiveResource) -> Operation:
        self.call(_accounts(self.ctx).delete(name=live.body["name"]).execute)
        return DoneOperation(f"delete service account {live.name}")

    def delete_note(self, live: LiveResource) -> str | None:
        return "whatever runs as this account loses its identity; its id stays reserved for 30 days"


class ProjectRoles(ApiKind):
    """The project roles one of our service accounts holds, and no others.

    The project IAM policy has no list call per member: one read of the policy (and one list
    of accounts, to find ours that the spec no longer names) observes every account at once.
    """

    meta = KindMeta(
        kind="iam.project_roles",
        api="cloudresourcemanager.googleapis.com",
        permissions=iam_policy_permissions("resourcemanager.projects"),
        grants_access=True,
        unordered=("roles",),
    )
    no_charge = "IAM bindings are free"

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        # Every account's roles live in the one project policy: grants made together are
        # written together, in one read-modify-write.
        self._edits: GroupCommit[tuple[str, set[str]]] = GroupCommit(self._write_roles, linger=0.02)

    def _crm(self) -> Any:
        return self.ctx.clients.discovery("cloudresourcemanager", "v3").projects()

    def _read_policy(self) -> dict[str, Any]:
        request = self._crm().getIamPolicy(
            resource=f"projects/{self.ctx.project}", body={"options": {"requestedPolicyVersion": 3}}
        )
        return dict(request.execute())

    def _policy(self) -> dict[str, Any]:
        return dict(self.call(self._read_policy))

    def observe(self, desired: Sequence[Resource]) -> list[LiveResource]:
        policy, accounts = self.side_by_side(self._policy, lambda: _list_accounts(self))
        wanted = {r.name: r.body["roles"] for r in desired}
        ours = {a["email"].split("@", 1)[0] for a in accounts if _ours(self.ctx, a)}
        found = []
        for account_id in sorted(set(wanted) | ours):
            roles = _roles_of(policy, f"serviceAccount:{account_email(self.ctx, account_id)}")
            # An account that should hold no roles and holds none is there already.
            if roles or (account_id in wanted and not wanted[account_id]):
                found.append(
                    LiveResource(
                        self.meta.kind, account_id, {"roles": roles}, managed=True, version=policy.get("etag")
                    )
                )
        return found

    def create(self, desired: Resource) -> Operation:
        return self._grant(desired.name, set(desired.body["roles"]))

    def update(self, desired: Resource, live: LiveResource, changes: Sequence[FieldChange]) -> Operation:
        return self._grant(desired.name, set(desired.body["roles"]))

    def delete(self, live: LiveResource) -> Operation:
        return self._grant(live.name, set())

    def _grant(self, account_id: str, roles: set[str]) -> Operation:
        """Make `roles` exactly what the account holds."""
        self._edits.submit((account_id, roles))
        return DoneOperation(f"set the project roles of {account_id}")

    def _write_roles(self, edits: list[tuple[str, set[str]]]) -> None:
        """Edit our members only, in one read-modify-write of the project policy."""

        def edit(policy: dict[str, Any]) -> dict[str, Any]:
            for account_id, roles in edits:
                policy = _with_roles(policy, f"serviceAccount:{account_email(self.ctx, account_id)}", roles)
            return policy

        def write(policy: dict[str, Any]) -> Any:
            body = {"policy": policy, "updateMask": POLICY_MASK.joined(["bindings", "etag"])}
            return self._crm().setIamPolicy(resource=f"projects/{self.ctx.project}", body=body).execute()

        edit_policy(self, self._read_policy, edit, write)


def _roles_of(policy: dict[str, Any], member: str) -> list[str]:
    return sorted(
        {
            b["role"]
            for b in policy.get("bindings", [])
            if member in b.get("members", []) and not b.get("condition")
        }
    )


def _with_roles(policy: dict[str, Any], member: str, roles: set[str]) -> dict[str, Any]:
    """The policy with `member` in exactly the unconditional bindings of `roles`."""
    bindings = []
    seen = set()
    for binding in policy.get("bindings", []):
        members = [m for m in binding.get("members", []) if m != member]
        if not binding.get("condition") and binding["role"] in roles:
            members.append(member)
            seen.add(binding["role"])
        if members:
            bindings.append({**binding, "members": sorted(members)})
    bindings += [{"role": role, "members": [member]} for role in sorted(roles - seen)]
    return {**policy, "bindings": bindings}


def service_account(
    ctx: Context, account_id: str, purpose: str, roles: Sequence[str], deletion_policy: str = "delete"
) -> tuple[Resource, Resource]:
    """A service account for one workload and the project roles it holds."""
    account = Resource(
        kind=ServiceAccount.meta.kind,
        name=account_id,
        body={
            "displayName": f"digitwin {ctx.env} {purpose}"[:100],
            "description": f"{ownership_note(ctx.env)}: {purpose}",
        },
        deletion_policy=deletion_policy,  # type: ignore[arg-type]
    )
    grants = Resource(
        kind=ProjectRoles.meta.kind,
        name=account_id,
        body={"roles": sorted(set(roles))},
        deps=(account.address,),
        deletion_policy=deletion_policy,  # type: ignore[arg-type]
    )
    return account, grants
