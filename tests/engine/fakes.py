"""An in-memory kind for exercising the engine without any API."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from types import SimpleNamespace
from typing import Any

from provisioner.engine.backoff import Backoff
from provisioner.engine.context import Context
from provisioner.engine.kind import Kind, KindMeta, Reconciler
from provisioner.engine.operations import DoneOperation, Operation
from provisioner.engine.plan import FieldChange
from provisioner.engine.resource import LiveResource, Resource
from provisioner.engine.retry import RetryPolicy
from provisioner.google.clients import ClientFactory, Endpoints
from provisioner.google.errors import ApiError, ApiErrorException


def fake_context() -> Context:
    spec = SimpleNamespace(env="dev", project="p-dev", labels={})
    return Context(
        spec=spec,
        clients=ClientFactory(Endpoints(default="http://unused")),
        retry=RetryPolicy(Backoff(initial=0.001, maximum=0.002), deadline=2),
    )


class Store:
    def __init__(self) -> None:
        self.items: dict[str, dict[str, Any]] = {}
        self.calls: list[tuple[str, str]] = []
        self.fail: dict[tuple[str, str], ApiError] = {}
        self.lock = threading.Lock()

    def record(self, verb: str, name: str) -> None:
        with self.lock:
            self.calls.append((verb, name))
            err = self.fail.get((verb, name))
        if err:
            raise ApiErrorException(err)


STORE = Store()


class Thing(Kind):
    meta = KindMeta(kind="fake.thing", immutable=("zone",))

    def observe(self, desired: Sequence[Resource]) -> list[LiveResource]:
        STORE.record("list", "*")
        return [
            LiveResource(
                self.meta.kind,
                name,
                dict(body),
                managed=body.get("labels", {}).get("managed-by") == "digitwin-provisioner",
            )
            for name, body in STORE.items.items()
        ]

    def create(self, desired: Resource) -> Operation:
        STORE.record("create", desired.name)
        if desired.name in STORE.items:
            raise ApiErrorException(ApiError(409, "alreadyExists", "exists"))
        STORE.items[desired.name] = dict(desired.body)
        return DoneOperation()

    def update(self, desired: Resource, live: LiveResource, changes: Sequence[FieldChange]) -> Operation:
        STORE.record("update", desired.name)
        STORE.items[desired.name] = dict(desired.body)
        return DoneOperation()

    def delete(self, live: LiveResource) -> Operation:
        STORE.record("delete", live.name)
        del STORE.items[live.name]
        return DoneOperation()


class Things(Reconciler):
    family = "fake"
    kinds = (Thing,)

    def __init__(self, resources: list[Resource]) -> None:
        self.resources = resources

    def desired(self, ctx: Context) -> list[Resource]:
        return self.resources


def thing(name: str, deps: tuple[str, ...] = (), **body: Any) -> Resource:
    body.setdefault("labels", {"managed-by": "digitwin-provisioner"})
    return Resource(kind=Thing.meta.kind, name=name, body=body, deps=deps)


class Linked(Thing):
    """A thing that may point at another (`ref`); the fake API refuses to delete what is in use."""

    meta = KindMeta(kind="fake.linked", immutable=("zone",))

    def references(self, live: LiveResource) -> tuple[str, ...]:
        ref = live.body.get("ref")
        return (f"{self.meta.kind}/{ref}",) if ref else ()

    def observe(self, desired: Sequence[Resource]) -> list[LiveResource]:
        STORE.record("list", "*")
        return [
            LiveResource(self.meta.kind, name, dict(body), managed=True) for name, body in STORE.items.items()
        ]

    def create(self, desired: Resource) -> Operation:
        ref = desired.body.get("ref")
        if ref and ref not in STORE.items:
            raise ApiErrorException(ApiError(404, "notFound", f"{ref} does not exist"))
        return super().create(desired)

    def delete(self, live: LiveResource) -> Operation:
        users = [n for n, b in STORE.items.items() if b.get("ref") == live.name]
        STORE.record("delete", live.name)
        if users:
            raise ApiErrorException(ApiError(400, "resourceInUseByAnotherResource", f"used by {users}"))
        del STORE.items[live.name]
        return DoneOperation()


class Links(Things):
    kinds = (Linked,)


def linked(name: str, ref: str | None = None, **body: Any) -> Resource:
    if ref:
        body["ref"] = ref
    deps = (f"fake.linked/{ref}",) if ref else ()
    return Resource(kind=Linked.meta.kind, name=name, body=body, deps=deps)


def plan_and_apply(reconciler: Reconciler, **options: Any) -> tuple[Any, Any]:
    """Plan with `options` and apply, as `apply --auto-approve` does, on the in-memory store."""
    from provisioner.engine.apply import Executor
    from provisioner.engine.planner import Planner, PlanOptions

    ctx = fake_context()
    planner = Planner(ctx, [reconciler])
    obs = planner.snapshot()
    plan = planner.plan(PlanOptions(**options), obs)
    return plan, Executor(ctx, planner.kinds, obs.live, parallelism=4).run(plan)
