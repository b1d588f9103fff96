"""A synthetic reconciler over in-memory kinds, to plan thousands of resources without an API.

Tenants each get buckets and alert policies shaped like the real ones (labels, lifecycle
rules, nested conditions), and the in-memory API fills in what a real one does (ids,
timestamps, etags), so the diff does the same work per resource as against Google.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from types import SimpleNamespace
from typing import Any, ClassVar

from provisioner.engine.context import Context
from provisioner.engine.kind import Kind, KindMeta, Reconciler
from provisioner.engine.operations import DoneOperation, Operation
from provisioner.engine.plan import FieldChange
from provisioner.engine.resource import LiveResource, Resource
from provisioner.engine.retry import RetryPolicy
from provisioner.google.clients import ClientFactory, Endpoints

PER_TENANT = 10  # 1 bucket of state, 4 more buckets, 5 alert policies


class Store:
    """The in-memory API: bodies by kind and name, and how many list calls were made."""

    def __init__(self) -> None:
        self.items: dict[str, dict[str, dict[str, Any]]] = {}
        self.lists = 0
        self.lock = threading.Lock()


class MemoryKind(Kind):
    store: ClassVar[Store] = Store()

    def observe(self, desired: Sequence[Resource]) -> list[LiveResource]:
        with self.store.lock:
            self.store.lists += 1
            items = dict(self.store.items.get(self.meta.kind, {}))
        return [
            LiveResource(
                self.meta.kind, name, body, managed=self.ctx.is_ours(body.get("labels")), version=body["etag"]
            )
            for name, body in items.items()
        ]

    def create(self, desired: Resource) -> Operation:
        body = {**desired.body, "id": f"{len(desired.name)}-{desired.name}", "etag": "CAE="}
        body["timeCreated"] = body["updated"] = "2025-01-01T00:00:00.000Z"
        with self.store.lock:
            self.store.items.setdefault(self.meta.kind, {})[desired.name] = body
        return DoneOperation()

    def update(self, desired: Resource, live: LiveResource, changes: Sequence[FieldChange]) -> Operation:
        return self.create(desired)

    def delete(self, live: LiveResource) -> Operation:
        with self.store.lock:
            self.store.items.get(self.meta.kind, {}).pop(live.name, None)
        return DoneOperation()


class Bucket(MemoryKind):
    meta = KindMeta(
        kind="synthetic.bucket", immutable=("location",), api_defaults={"storageClass": "STANDARD"}
    )


class AlertPolicy(MemoryKind):
    meta = KindMeta(kind="synthetic.alert_policy", unordered=("notificationChannels",))


class SyntheticReconciler(Reconciler):
    family = "synthetic"
    kinds = (Bucket, AlertPolicy)

    def __init__(self, resources: int) -> None:
        self.tenants = max(1, resources // PER_TENANT)

    def desired(self, ctx: Context) -> list[Resource]:
        out: list[Resource] = []
        for t in range(self.tenants):
            tenant = f"tenant-{t:05d}"
            labels = ctx.labels({"tenant": tenant})
            state = Resource(Bucket.meta.kind, f"{tenant}-state", _bucket(labels, 30), ())
            out.append(state)
            for purpose in ("voice", "face", "documents", "history"):
                out.append(
                    Resource(Bucket.meta.kind, f"{tenant}-{purpose}", _bucket(labels, 90), (state.address,))
                )
            for metric in ("error-rate", "latency", "db-connections", "cpu", "memory"):
                out.append(
                    Resource(
                        AlertPolicy.meta.kind,
                        f"{tenant}-{metric}",
                        _policy(labels, tenant, metric),
                        (state.address,),
                    )
                )
        return out


def _bucket(labels: dict[str, str], days: int) -> dict[str, Any]:
    return {
        "location": "US-CENTRAL1",
        "labels": labels,
        "versioning": {"enabled": True},
        "iamConfiguration": {
            "uniformBucketLevelAccess": {"enabled": True},
            "publicAccessPrevention": "enforced",
        },
        "lifecycle": {
            "rule": [
                {"action": {"type": "Delete"}, "condition": {"age": days, "isLive": False}},
                {"action": {"type": "SetStorageClass", "storageClass": "NEARLINE"}, "condition": {"age": 30}},
            ]
        },
        "encryption": {"defaultKmsKeyName": "projects/p/locations/us-central1/keyRings/r/cryptoKeys/storage"},
    }


def _policy(labels: dict[str, str], tenant: str, metric: str) -> dict[str, Any]:
    return {
        "displayName": f"{tenant} {metric}",
        "combiner": "OR",
        "userLabels": labels,
        "labels": labels,
        "conditions": [
            {
                "displayName": f"{metric} too high",
                "conditionThreshold": {
                    "filter": f'metric.type="custom.googleapis.com/{metric}" '
                    f'resource.label.tenant="{tenant}"',
                    "comparison": "COMPARISON_GT",
                    "thresholdValue": 0.8,
                    "duration": "300s",
                    "aggregations": [{"alignmentPeriod": "60s", "perSeriesAligner": "ALIGN_MEAN"}],
                },
            }
        ],
        "notificationChannels": [
            f"projects/p/notificationChannels/{tenant}-a",
            f"projects/p/notificationChannels/{tenant}-b",
        ],
    }


def context() -> Context:
    spec = SimpleNamespace(env="prod", project="digitwin-live-prod", labels={"app": "digitwin"}, is_prod=True)
    return Context(spec=spec, clients=ClientFactory(Endpoints(default="http://unused")), retry=RetryPolicy())


def converged_planner(resources: int) -> Any:
    """A planner whose in-memory API already holds everything it asks for."""
    from provisioner.engine.planner import Planner

    MemoryKind.store = Store()
    ctx = context()
    planner = Planner(ctx, [SyntheticReconciler(resources)])
    for resource in planner.desired():
        planner.kinds[resource.kind].create(resource)
    return planner
