"""Cloud Storage: the four data buckets of an environment and the provisioner's own.

Voice models, face models, documents and conversation history: versioned, uniform
bucket-level access, public access prevention enforced, encrypted with the environment's
`storage` key, with lifecycle rules that keep less in dev than in prod. The provisioner's
state bucket holds its locks and reports.

Buckets are listed once per project (filtered by name prefix, the only filter the API
has) and updated with PATCH guarded by `ifMetagenerationMatch`, so a concurrent edit
made after the plan was read fails instead of being overwritten.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from provisioner.cost.pricing import CostLine, PriceTable
from provisioner.engine.api_kind import ApiKind
from provisioner.engine.context import Context
from provisioner.engine.kind import KindMeta, Reconciler
from provisioner.engine.lock import lock_bucket
from provisioner.engine.masks import top_level
from provisioner.engine.operations import DoneOperation, Operation
from provisioner.engine.permissions import permissions_of
from provisioner.engine.plan import FieldChange
from provisioner.engine.resource import OWNERSHIP_KEYS, Address, LiveResource, Resource
from reconcilers.kms import crypto_key_path, encrypted_with


class Bucket(ApiKind):
    meta = KindMeta(
        kind="storage.bucket",
        api="storage.googleapis.com",
        permissions=permissions_of(
            "storage.buckets",
            # Deleting asks first whether the bucket still holds objects.
            also={"delete": ("storage.objects.list",)},
        ),
        cmek_path="encryption.defaultKmsKeyName",
        immutable=("location", "customPlacementConfig"),
        stateful=True,
        api_defaults={
            "storageClass": "STANDARD",
            "versioning": {"enabled": False},
            "iamConfiguration": {
                "uniformBucketLevelAccess": {"enabled": False},
                "publicAccessPrevention": "inherited",
            },
        },
    )

    def normalise(self, body: dict[str, Any]) -> dict[str, Any]:
        if "location" in body:
            body["location"] = str(body["location"]).upper()
        return body

    def monthly_cost(self, name: str, body: dict[str, Any], prices: PriceTable) -> list[CostLine] | None:
        """Stored data is billed by volume, which the spec cannot know: the price per GiB."""
        location = str(body.get("location") or self.ctx.spec.region).lower()
        storage_class = str(body.get("storageClass") or "STANDARD").upper()
        note = "billed by the data stored"
        if (body.get("versioning") or {}).get("enabled"):
            note += ", noncurrent versions included until lifecycle rules delete them"
        lines = [prices.usage(f"storage.{storage_class}", location, f"{storage_class} storage", note)]
        if (body.get("encryption") or {}).get("defaultKmsKeyName"):
            why = "CMEK: object writes and reads call the key"
            lines.append(prices.usage("kms.operations", "global", "Cloud KMS operations", why))
        return lines

    def _client(self) -> Any:
        return self.ctx.clients.storage(self.ctx.project)

    def observe(self, desired: Sequence[Resource]) -> list[LiveResource]:
        client = self._client()
        names = [r.name for r in desired] + [f"{self.ctx.project}-"]
        prefix = os.path.commonprefix(names)  # noqa: RUF071 (a string prefix is what the API filters on)
        buckets = self.call(
            lambda: list(client.list_buckets(project=self.ctx.project, prefix=prefix or None))
        )
        found = []
        for bucket in buckets:
            body = dict(bucket._properties)
            found.append(
                LiveResource(
                    self.meta.kind,
                    bucket.name,
                    body,
                    managed=self.ctx.is_ours(body.get("labels")),
                    version=str(body.get("metageneration")),
                )
            )
        return found

    def create(self, desired: Resource) -> Operation:
        client = self._client()
        body = {"name": desired.name, **desired.body}
        self.call(client._post_resource, "/b", body, query_params={"project": self.ctx.project})
        return DoneOperation(f"create bucket {desired.name}")

    def update(self, desired: Resource, live: LiveResource, changes: Sequence[FieldChange]) -> Operation:
        client = self._client()
        patch = {key: desired.body[key] for key in sorted(top_level(changes)) if key in desired.body}
        query = {"ifMetagenerationMatch": live.version} if live.version else {}

        def send() -> Any:
            return client._patch_resource(f"/b/{desired.name}", patch, query_params=query)

        def landed() -> Any:
            # After an answer lost in transit, a metageneration past the one read means the patch
            # took effect (under the lock no one else writes): resending would only meet 412.
            now = client._get_resource(f"/b/{desired.name}")
            moved = live.version and str(now.get("metageneration")) != str(live.version)
            return now if moved else None

        self.call_once(send, landed)
        return DoneOperation(f"patch bucket {desired.name}")

    def delete(self, live: LiveResource) -> Operation:
        self.call(self._client()._delete_resource, f"/b/{live.name}")
        return DoneOperation(f"delete bucket {live.name}")

    def abandon(self, live: LiveResource) -> Operation | None:
        patch = {"labels": dict.fromkeys(OWNERSHIP_KEYS)}
        self.call(self._client()._patch_resource, f"/b/{live.name}", patch)
        return DoneOperation(f"release bucket {live.name}")

    def holds_lock(self, name: str) -> bool:
        return name == lock_bucket(self.ctx)

    def standalone(self, desired: Resource) -> Resource:
        """Without its default CMEK key, which may not exist yet; everything else as the spec says."""
        body = {k: v for k, v in desired.body.items() if k != "encryption"}
        return Resource(desired.kind, desired.name, body, deletion_policy=desired.deletion_policy)

    def holds_data(self, live: LiveResource) -> bool:
        client = self._client()
        listing = self.call(
            client._get_resource,
            f"/b/{live.name}/o",
            query_params={"maxResults": 1, "fields": "items/name"},
        )
        return bool(listing.get("items"))


def lifecycle_rule(rule: Any) -> dict[str, Any]:
    action: dict[str, Any] = {"type": rule.action}
    if rule.storage_class:
        action["storageClass"] = rule.storage_class
    condition: dict[str, Any] = {}
    if rule.age_days is not None:
        condition["age"] = rule.age_days
    if rule.num_newer_versions is not None:
        condition["numNewerVersions"] = rule.num_newer_versions
    if rule.is_live is not None:
        condition["isLive"] = rule.is_live
    if rule.days_since_noncurrent_time is not None:
        condition["daysSinceNoncurrentTime"] = rule.days_since_noncurrent_time
    if rule.matches_prefix:
        condition["matchesPrefix"] = list(rule.matches_prefix)
    return {"action": action, "condition": condition}


def bucket_body(ctx: Context, spec: Any, purpose: str) -> dict[str, Any]:
    body: dict[str, Any] = {
        "location": ctx.spec.storage_location.upper(),
        "storageClass": spec.storage_class,
        "versioning": {"enabled": spec.versioning},
        "iamConfiguration": {
            "uniformBucketLevelAccess": {"enabled": spec.uniform_access},
            "publicAccessPrevention": spec.public_access_prevention,
        },
        "lifecycle": {"rule": [lifecycle_rule(r) for r in spec.lifecycle]},
        "labels": ctx.labels({**spec.labels, "purpose": purpose}),
    }
    if spec.cmek and ctx.spec.storage.kms_key:
        body["encryption"] = {"defaultKmsKeyName": crypto_key_path(ctx, ctx.spec.storage.kms_key)}
    if spec.retention_days is not None:
        body["retentionPolicy"] = {"retentionPeriod": str(spec.retention_days * 86400)}
    if spec.soft_delete_days is not None:
        body["softDeletePolicy"] = {"retentionDurationSeconds": str(spec.soft_delete_days * 86400)}
    return body


class StorageReconciler(Reconciler):
    family = "storage"
    kinds = (Bucket,)

    def desired(self, ctx: Context) -> list[Resource]:
        storage = ctx.spec.storage
        buckets = [(key, spec, ctx.spec.bucket_name(key)) for key, spec in sorted(storage.buckets.items())]
        buckets.append(("provisioner-state", storage.state_bucket, ctx.spec.bucket_name("state")))
        resources = []
        for purpose, spec, name in buckets:
            deps: tuple[Address, ...] = ()
            if spec.cmek and storage.kms_key:
                deps = encrypted_with(ctx, storage.kms_key)
            resources.append(
                Resource(
                    kind=Bucket.meta.kind,
                    name=name,
                    body=bucket_body(ctx, spec, purpose),
                    deps=deps,
                    deletion_policy=spec.deletion_policy,
                )
            )
        return resources
