"""Secret Manager: secrets whose values the provisioner generates and never shows.

A generated value (the database password) is created once, as the first version of its
secret, and read back only by the kind that hands it to the API that needs it. It never
travels through a plan, a report or a log: desired bodies name the secret, not the value.
Secrets are replicated in the environment's region and encrypted with its `secrets` key.
"""

from __future__ import annotations

import base64
import secrets as random_source
from collections.abc import Sequence
from functools import partial
from typing import Any

from provisioner.cost.pricing import CostLine, PriceTable
from provisioner.engine.api_kind import ApiKind
from provisioner.engine.context import Context
from provisioner.engine.kind import KindMeta, NoUpdate, Reconciler
from provisioner.engine.masks import UpdateMask
from provisioner.engine.operations import DoneOperation, Operation
from provisioner.engine.permissions import permissions_of
from provisioner.engine.plan import FieldChange
from provisioner.engine.resource import Address, LiveResource, Resource, without_ownership
from reconcilers._compute import list_all
from reconcilers.kms import crypto_key_path, encrypted_with

#: The meta of a kind here: every one calls Secret Manager (secretmanager.googleapis.com).
secret_manager_meta = partial(KindMeta, api="secretmanager.googleapis.com")


def _api(ctx: Context) -> Any:
    return ctx.clients.discovery("secretmanager", "v1").projects().secrets()


def secret_path(ctx: Context, secret_id: str) -> str:
    return f"projects/{ctx.project}/secrets/{secret_id}"


def _is_not_found(exc: BaseException) -> bool:
    from provisioner.google.errors import classify

    err = classify(exc)
    return err is not None and err.not_found


#: A secret's replication is fixed at creation: its labels are all an update writes.
SECRET_MASK = UpdateMask(("labels",))


class Secret(ApiKind):
    meta = secret_manager_meta(
        kind="secrets.secret",
        permissions=permissions_of("secretmanager.secrets"),
        cmek_path="replication.userManaged.replicas.customerManagedEncryption.kmsKeyName",
        immutable=("replication",),
        stateful=True,  # deleting a secret deletes the only copy of a generated credential
    )

    def monthly_cost(self, name: str, body: dict[str, Any], prices: PriceTable) -> list[CostLine] | None:
        """Active versions are billed per replica location; ours hold one version each."""
        replication = body.get("replication") or {}
        replicas = (replication.get("userManaged") or {}).get("replicas") or []
        locations = max(len(replicas), 1)
        where = f"{locations} replica location{'s' if locations != 1 else ''}"
        if "automatic" in replication:
            where = "automatic replication, billed as one location"
        return [
            prices.charge(
                "secretmanager.version",
                "global",
                locations,
                f"1 active version × {where}",
                "each further enabled version is billed the same",
            ),
            prices.usage("secretmanager.access", "global", "access operations"),
        ]

    def observe(self, desired: Sequence[Resource]) -> list[LiveResource]:
        parent = f"projects/{self.ctx.project}"
        api = _api(self.ctx)
        items = self.call(list_all, lambda token: api.list(parent=parent, pageToken=token), key="secrets")
        return [
            LiveResource(
                self.meta.kind,
                s["name"].rsplit("/", 1)[1],
                s,
                managed=self.ctx.is_ours(s.get("labels")),
                version=s.get("etag"),
            )
            for s in items
        ]

    def create(self, desired: Resource) -> Operation:
        request = _api(self.ctx).create(
            parent=f"projects/{self.ctx.project}", secretId=desired.name, body=desired.body
        )
        self.call(request.execute)
        return DoneOperation(f"create secret {desired.name}")

    def update(self, desired: Resource, live: LiveResource, changes: Sequence[FieldChange]) -> Operation:
        return self._patch(live, SECRET_MASK.body(SECRET_MASK.changed(changes), desired.body, live.body))

    def _patch(self, live: LiveResource, fields: dict[str, Any]) -> Operation:
        body = {**fields, "etag": live.body.get("etag")}
        mask = SECRET_MASK.joined(fields)
        self.call(
            _api(self.ctx).patch(name=secret_path(self.ctx, live.name), updateMask=mask, body=body).execute
        )
        return DoneOperation(f"label secret {live.name}")

    def abandon(self, live: LiveResource) -> Operation | None:
        return self._patch(live, {"labels": without_ownership(live.body.get("labels"))})

    def delete(self, live: LiveResource) -> Operation:
        self.call(_api(self.ctx).delete(name=secret_path(self.ctx, live.name)).execute)
        return DoneOperation(f"delete secret {live.name}")


class GeneratedValue(NoUpdate, ApiKind):
    """An enabled version holding a value generated here; its content is never compared."""

    meta = secret_manager_meta(
        kind="secrets.generated_value",
        permissions=permissions_of(
            "secretmanager.versions",
            read=("list", "access"),
            write=("add",),
            delete=("destroy",),
        ),
        labels_path=None,
    )
    no_charge = "a version of its secret, billed with the secret"

    def observe(self, desired: Sequence[Resource]) -> list[LiveResource]:
        versions = _api(self.ctx).versions()

        def read(resource: Resource) -> LiveResource | None:
            request = versions.list(parent=secret_path(self.ctx, resource.name), filter="state:ENABLED")
            try:
                found = self.call(request.execute).get("versions", [])
            except Exception as exc:
                if _is_not_found(exc):
                    return None  # the secret itself does not exist yet
                raise
            if not found:
                return None
            return LiveResource(self.meta.kind, resource.name, {"state": "ENABLED"}, managed=True)

        return [live for live in self.map(read, desired) if live is not None]

    def create(self, desired: Resource) -> Operation:
        length = int(desired.create_only.get("length", 32))
        value = random_source.token_urlsafe(length)
        payload = {"payload": {"data": base64.b64encode(value.encode()).decode()}}
        parent = secret_path(self.ctx, desired.name)

        def enabled_version() -> dict[str, Any] | None:
            # The server numbers versions: after a lost answer, an enabled one is the one we added.
            request = _api(self.ctx).versions().list(parent=parent, filter="state:ENABLED")
            found = request.execute().get("versions", [])
            return found[0] if found else None

        add = _api(self.ctx).addVersion(parent=parent, body=payload)
        self.call_once(add.execute, enabled_version)
        return DoneOperation(f"store a generated value in {desired.name}")

    def delete(self, live: LiveResource) -> Operation:
        return DoneOperation("the value goes with its secret")

    def delete_effect(self, live: LiveResource) -> str | None:
        return "a generated value is removed only together with its secret"


def read_generated_value(ctx: Context, secret_id: str) -> str:
    """The latest enabled value of a secret, for the one API call that needs it."""
    request = _api(ctx).versions().access(name=f"{secret_path(ctx, secret_id)}/versions/latest")
    payload = ctx.retry.call(request.execute)["payload"]["data"]
    return base64.b64decode(payload).decode()


def generated_secret(ctx: Context, secret_id: str, purpose: str) -> tuple[Resource, Resource]:
    """A secret, encrypted with the environment's `secrets` key, holding a generated value."""
    spec = ctx.spec.secrets
    replica: dict[str, Any] = {"location": ctx.spec.kms_location}
    deps: tuple[Address, ...] = ()
    if spec.kms_key:
        replica["customerManagedEncryption"] = {"kmsKeyName": crypto_key_path(ctx, spec.kms_key)}
        deps = encrypted_with(ctx, spec.kms_key)
    locations = spec.replica_locations or [ctx.spec.kms_location]
    replicas = [{**replica, "location": location} for location in locations]
    secret = Resource(
        kind=Secret.meta.kind,
        name=secret_id,
        body={
            "replication": {"userManaged": {"replicas": replicas}},
            "labels": ctx.labels({"purpose": purpose}),
        },
        deps=deps,
        deletion_policy=spec.deletion_policy,
    )
    value = Resource(
        kind=GeneratedValue.meta.kind,
        name=secret_id,
        body={"state": "ENABLED"},
        deps=(secret.address,),
        deletion_policy="abandon",
        create_only={"length": 32},
    )
    return secret, value


class SecretsReconciler(Reconciler):
    """Owns the secret kinds; the families that need a secret ask for it by name."""

    family = "secrets"
    kinds = (Secret, GeneratedValue)

    def desired(self, ctx: Context) -> list[Resource]:
        return []
