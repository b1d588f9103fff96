"""A resource-oriented (AIP) collection declared once, its get and list generated from it.

Google's resource-oriented APIs answer get and list alike (AIP-131, AIP-132): the name or parent
is checked (and the caller's access to its project), the resource is found or a 404 names it,
a list is filtered, ordered and paged. What differs between collections is declared: how a name
and a parent are read, how a resource is shown, what a list answer holds. A service module
writes by hand only what is its own (create, update, custom methods).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from emulator import standard
from emulator.refusal import Refusal
from emulator.registry import Api, Call

Resource = dict[str, Any]
#: (call, name or parent as the request gives it, permission) -> the name the store knows.
Locate = Callable[[Call, str, str], str]
Fetch = Callable[[Call, str, str, str], Resource]
Render = Callable[[Call, Resource], Resource]


def _as_is(_: Call, resource: Resource) -> Resource:
    return resource


@dataclass(frozen=True)
class Collection:
    """What a collection declares for its get and list."""

    #: The discovery method ids' prefix (`cloudkms.projects.locations.keyRings`).
    method_prefix: str
    #: The permission prefix checked on the project (`cloudkms.keyRings`).
    permission: str
    store_kind: str
    #: How a 404 names the resource (`KeyRing`).
    label: str
    #: The field of a list answer that holds the page (`keyRings`).
    list_field: str
    locate_name: Locate
    locate_parent: Locate
    #: The path parameter a list names its parent with (`parent`, or `name` in Monitoring v3).
    parent_param: str = "parent"
    #: The parent resource a list must find first, as (store kind, label), if any.
    parent_kind: tuple[str, str] | None = None
    fetch: Fetch = standard.fetch
    render: Render = _as_is
    #: The resources a list holds under a parent, before filter and order.
    items: Callable[[Call, str], list[Resource]] | None = None
    #: The list answer of the (rendered) resources; AIP-160 filter, order and paging by default.
    answer: Callable[[Call, list[Resource]], dict[str, Any]] | None = None
    #: Whether a list answer reports `totalSize` (when there is anything).
    total: bool = False
    refusals: tuple[Refusal, ...] = ()

    def get(self, call: Call) -> Resource:
        name = self.locate_name(call, call.param("name"), f"{self.permission}.get")
        return self.render(call, self.fetch(call, self.store_kind, name, self.label))

    def list(self, call: Call) -> dict[str, Any]:
        parent = self.locate_parent(call, call.param(self.parent_param), f"{self.permission}.list")
        if self.parent_kind is not None:
            standard.fetch(call, self.parent_kind[0], parent, self.parent_kind[1])
        stored = self.items(call, parent) if self.items else call.ctx.store.list(self.store_kind, parent)
        items = [self.render(call, i) for i in stored]
        if self.answer is not None:
            return self.answer(call, items)
        items = standard.filtered(call, items)
        out = standard.list_answer(call, self.list_field, items)
        if self.total and items:
            out["totalSize"] = len(items)
        return out


def _delete(collection: Collection, call: Call) -> dict[str, Any]:
    """AIP-135 delete, done at once: the resource must exist; the answer is empty."""
    name = collection.locate_name(call, call.param("name"), f"{collection.permission}.delete")
    collection.fetch(call, collection.store_kind, name, collection.label)
    call.ctx.store.delete(collection.store_kind, name)
    return {}


def declare(
    api: Api, collection: Collection, methods: frozenset[str] = frozenset({"get", "list"})
) -> Collection:
    """Register the collection's generated handlers on its API."""
    handlers = {
        "get": collection.get,
        "list": collection.list,
        "delete": lambda call: _delete(collection, call),
    }
    for name in sorted(methods):
        api.handles(f"{collection.method_prefix}.{name}")(handlers[name])
    return collection


def declare_get(
    api: Api, method_id: str, find: Callable[[Call, str, str], Resource], permission: str
) -> None:
    """A get that is a lookup of the request's `name` under `permission`, where the collection
    reads its names its own way (`find` refuses what is missing)."""

    def get(call: Call) -> Resource:
        return find(call, call.param("name"), permission)

    api.handles(method_id)(get)
