"""The IAM permissions a kind's calls need, as its `KindMeta.permissions` declares them.

Preflight tests them before an apply and the deploy account's least-privilege role is made
of them, so each kind spells them the way IAM names them: `<collection>.<verb>` for its own
calls, plus whole permissions of other resources a write names. The shapes several kinds
share (an IAM policy edited read-modify-write, a body naming the account a workload runs
as) are written here once, so a kind declares which shape it has rather than the verbs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

#: What a kind's calls do, in the order preflight reports them.
ACTIONS = ("read", "create", "update", "delete")


def permissions_of(
    collection: str,
    *,
    read: Sequence[str] = ("list", "get"),
    create: Sequence[str] = ("create",),
    update: Sequence[str] = ("update",),
    delete: Sequence[str] = ("delete",),
    write: Sequence[str] | None = None,
    also: Mapping[str, Sequence[str]] | None = None,
) -> dict[str, tuple[str, ...]]:
    """A kind's permissions, spelled the way IAM names them: `<collection>.<verb>` for the
    verbs of each action (`compute.firewalls` + `create`), plus whole permissions `also` needs
    (the service account a workload runs as: `iam.serviceAccounts.actAs`).

    `write` is for APIs whose create and update are one and the same call (an API is enabled,
    a peering or a secret version added, an IAM policy set): it stands for both."""
    if write is not None:
        create = update = write
    verbs = {"read": read, "create": create, "update": update, "delete": delete}
    out: dict[str, tuple[str, ...]] = {}
    for action in ACTIONS:
        names = [f"{collection}.{verb}" for verb in verbs[action]]
        names += list((also or {}).get(action, ()))
        out[action] = tuple(dict.fromkeys(names))
    return out


def on_writes(*permissions: str) -> dict[str, tuple[str, ...]]:
    """`also` for permissions both create and update need: a body that names another resource
    is checked for the right to use it (`compute.urlMaps.use`) whenever a write sends it."""
    return {"create": permissions, "update": permissions}


#: `also` of a kind whose body names the service account its workload runs as (a Cloud Run
#: service or job, a node pool, a scheduled call's token): creating or updating it sets the
#: account, which IAM allows only to a caller that may act as that account.
RUNS_AS_ACCOUNT = on_writes("iam.serviceAccounts.actAs")


def iam_policy_permissions(collection: str) -> dict[str, tuple[str, ...]]:
    """The permissions of a kind made of members in the IAM policy of a `collection` resource
    (a project, a key): the policy is read whole with getIamPolicy, and adding, changing or
    removing members is one setIamPolicy of the whole policy (see `engine.iam_policy`)."""
    return permissions_of(
        collection, read=("getIamPolicy",), write=("setIamPolicy",), delete=("setIamPolicy",)
    )
