"""A Compute Engine collection declared once, its standard methods generated from the declaration.

Every global or regional collection answers get, list, aggregatedList, delete and setLabels the
same way: the resource by path, a filtered and paged list, a delete started as an operation
(refused while another load-balancing resource points at it, for the links of that chain),
labels guarded by their fingerprint. A module declares which of those its collection has and
the few hooks where it differs (how a resource is shown, what else keeps it from being deleted);
it writes by hand only the methods that are its own (insert, update, patch, setters).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from emulator import standard
from emulator.effects import Effect
from emulator.refusal import Refusal
from emulator.registry import Api, Call, Reply
from emulator.services import _compute as c
from emulator.services import _lb as lb

Render = Callable[[Call, dict[str, Any]], dict[str, Any]]
#: Called before a delete starts: raises the refusal that keeps the resource, or returns the
#: effects that land with the delete (resources that go with it).
DeleteGuard = Callable[[Call, str, dict[str, Any]], list[Effect]]
#: Builds and writes the whole resource of an update or patch from (call, wanted body, current
#: resource, operation type), the fingerprint already checked.
Rewrite = Callable[[Call, dict[str, Any], dict[str, Any], str], Reply]
#: Builds a whole new resource from (call, insert body, the fields every insert sets): the
#: resource and the paths it points at (which must still exist when the operation is done).
Build = Callable[[Call, dict[str, Any], dict[str, Any]], tuple[dict[str, Any], list[str]]]
#: A method of the collection's own, given the collection's kind: (call, kind).
Own = Callable[[Call, Any], Any]

STANDARD = frozenset({"insert", "get", "list", "aggregatedList", "delete", "setLabels", "update", "patch"})
#: The methods of a collection whose resources are built whole from a body (the `build` and
#: `rewrite` hooks) and guarded by a fingerprint: backend services, URL maps.
BUILT_WHOLE = frozenset({"insert", "get", "list", "aggregatedList", "update", "patch", "delete"})


def _public(_: Call, resource: dict[str, Any]) -> dict[str, Any]:
    return c.public(resource)


@dataclass(frozen=True)
class Collection:
    """What a collection declares: where it lives and which standard methods it has."""

    kind: c.Global | c.Regional
    #: The standard methods generated for it (a subset of STANDARD).
    methods: frozenset[str]
    #: The discovery resource its methods belong to, where it is not the path's collection
    #: (`globalAddresses`, `regionNetworkEndpointGroups`).
    resource: str = ""
    #: The `kind` of an aggregatedList page, where it is not `<api kind>AggregatedList`.
    aggregated_kind: str = ""
    render: Render = _public
    #: Whether a delete is refused while another load-balancing resource points at it.
    referenced: bool = False
    delete_guard: DeleteGuard | None = None
    #: For `update` and `patch` (fingerprint-guarded): update sends the whole resource, patch a
    #: JSON merge patch (RFC 7396) onto it; both are written by this hook.
    rewrite: Rewrite | None = None
    #: For `insert` of a global collection whose resources point at others.
    build: Build | None = None
    #: Methods of its own, by method name, where several collections share them (target proxies).
    own: Mapping[str, Own] | None = None
    #: The field a setLabels without a label fingerprint is refused on.
    label_fingerprint_field: str = "resource.labelFingerprint"
    #: The constraints its handlers enforce, each with its source (see emulator.refusals).
    refusals: tuple[Refusal, ...] = ()
    #: Whether an update (PUT) without a fingerprint is refused; a stale one always is.
    update_needs_fingerprint: bool = True
    #: How its operations name a type, where not by the method's name (`delete` ->
    #: `compute.targetGrpcProxies.delete`).
    operation_names: Mapping[str, str] | None = None

    @property
    def method_prefix(self) -> str:
        if self.resource:
            return f"compute.{self.resource}"
        if isinstance(self.kind, c.Global) and self.kind.operations:
            return f"compute.{self.kind.operations}"
        return f"compute.{self.kind.collection}"

    # locating a resource

    def path(self, call: Call) -> str:
        if isinstance(self.kind, c.Regional):
            return self.kind.paths(call)[2]
        return self.kind.path(call)

    def target(self, call: Call, param: str | None = None) -> tuple[str, dict[str, Any]]:
        """(path, resource) of a change: it must exist with no other operation under way."""
        if isinstance(self.kind, c.Regional):
            _, _, path, current = c.regional_target(call, self.kind, param)
            return path, current
        return c.global_target(call, self.kind, param)

    def operation(self, call: Call, op_type: str, path: str, target_id: str, effects: list[Effect]) -> Reply:
        op_type = (self.operation_names or {}).get(op_type, op_type)
        if isinstance(self.kind, c.Regional):
            return c.operation(
                call,
                op_type=op_type,
                collection=self.kind.collection,
                target_path=path,
                target_id=target_id,
                effects=effects,
                region_name=path.split("/")[3],
            )
        return c.global_operation(call, self.kind, op_type, path, target_id, effects)

    # the standard methods

    def get(self, call: Call) -> dict[str, Any]:
        return self.render(call, c.fetch(call, self.kind.store_kind, self.path(call)))

    def list(self, call: Call) -> dict[str, Any]:
        project_id = c.project(call)
        if isinstance(self.kind, c.Regional):
            parent = f"projects/{project_id}/regions/{c.region(call)}"
        else:
            parent = f"projects/{project_id}"
        items = [self.render(call, i) for i in call.ctx.store.list(self.kind.store_kind, parent)]
        where = "" if isinstance(self.kind, c.Regional) else "/global"
        return c.list_reply(
            call, f"{self.kind.api_kind}List", items, f"{parent}{where}/{self.kind.collection}"
        )

    def aggregated_list(self, call: Call) -> dict[str, Any]:
        if isinstance(self.kind, c.Regional):
            noun = self.kind.api_kind.split("#", 1)[1]
            return c.regional_aggregated(call, self.kind.store_kind, self.kind.collection, noun)
        api_kind = self.aggregated_kind or f"{self.kind.api_kind}AggregatedList"
        render: lb.Render = lambda r: self.render(call, r)  # noqa: E731
        return lb.aggregated_list(call, self.kind, api_kind, render)

    def delete(self, call: Call) -> Reply:
        path, current = self.target(call)
        effects = [Effect.delete(self.kind.store_kind, path)]
        if self.delete_guard is not None:
            effects += self.delete_guard(call, path, current)
        if self.referenced:
            lb.refuse_if_used(call, path)
            effects.insert(0, Effect.hook("compute.lb.unused", path=path))
        return self.operation(call, "delete", path, current["id"], effects)

    def insert(self, call: Call) -> Reply:
        assert self.build is not None, "insert is declared with a build hook"
        assert isinstance(self.kind, c.Global), "regional insert is not declared yet"
        _, body, _, base = c.global_insert(call, self.kind)
        resource, refs = self.build(call, body, base)
        return lb.write(call, self.kind, "insert", resource, refs)

    def update(self, call: Call) -> Reply:
        assert self.rewrite is not None, "update is declared with a rewrite hook"
        assert isinstance(self.kind, c.Global), "regional update is not declared yet"
        _, current, body = lb.fingerprinted(call, self.kind, required=self.update_needs_fingerprint)
        return self.rewrite(call, body, current, "update")

    def patch(self, call: Call) -> Reply:
        assert self.rewrite is not None, "patch is declared with a rewrite hook"
        assert isinstance(self.kind, c.Global), "regional patch is not declared yet"
        _, current, body = lb.fingerprinted(call, self.kind)
        return self.rewrite(call, standard.merge_patch(c.public(current), body), current, "patch")

    def set_labels(self, call: Call) -> Reply:
        """`setLabels`: the whole label set, guarded by the label fingerprint, which it renews."""
        path, current = self.target(call, "resource")
        body = dict(call.body or {})
        supplied = body.pop("labelFingerprint", None)
        if not supplied:
            raise c.required_error(self.label_fingerprint_field)
        if not c.same_fingerprint(supplied, current.get("labelFingerprint")):
            raise c.fingerprint_error()
        labels = body.get("labels") or {}
        c.check_labels(labels)
        fields = {"labels": labels or None, "labelFingerprint": c.fingerprint(labels)}
        return self.operation(
            call, "setLabels", path, current["id"], [Effect.set(self.kind.store_kind, path, fields)]
        )


def built_whole(kind: c.Global, build: Build, rewrite: Rewrite, **declared: Any) -> Collection:
    """A link of the load-balancing chain built whole from a body on insert, update and patch
    (fingerprint-guarded), and refused deletion while another link points at it."""
    return Collection(kind, BUILT_WHOLE, build=build, rewrite=rewrite, referenced=True, **declared)


def declare(api: Api, collection: Collection) -> Collection:
    """Register the standard handlers a collection declares on its API."""
    unknown = collection.methods - STANDARD
    if unknown:
        raise ValueError(f"{sorted(unknown)} are not standard methods")
    prefix = collection.method_prefix
    handlers: dict[str, Callable[[Call], Any]] = {
        "insert": c.replaying(collection.insert),
        "get": collection.get,
        "list": collection.list,
        "aggregatedList": collection.aggregated_list,
        "delete": c.replaying(collection.delete),
        "setLabels": collection.set_labels,
        "update": c.replaying(collection.update),
        "patch": c.replaying(collection.patch),
    }
    for name in sorted(collection.methods):
        # aggregatedList belongs to the collection of every scope (`compute.forwardingRules`).
        scope = f"compute.{collection.kind.collection}" if name == "aggregatedList" else prefix
        api.handles(f"{scope}.{name}")(handlers[name])
    for name, method in (collection.own or {}).items():
        api.handles(f"{prefix}.{name}")(_bound(method, collection.kind))
    return collection


def _bound(method: Own, kind: c.Global | c.Regional) -> Callable[[Call], Any]:
    def run(call: Call) -> Any:
        return method(call, kind)

    return run
