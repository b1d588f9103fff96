"""What every Compute Engine kind shares: references, ownership by name, operations, and the
calls of a collection (`ComputeKind`).

Listing a collection, inserting with our description and a request id, patching the fields
that changed and deleting are the same calls for networks, firewall rules, routers, URL maps
and the rest; a kind declares its collection and the API's names for it, whether it lives in
a region, and keeps only what is particular to it.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from functools import partial
from typing import Any, ClassVar

from provisioner.engine.api_kind import ApiKind
from provisioner.engine.context import Context
from provisioner.engine.kind import KindMeta
from provisioner.engine.masks import UpdateMask
from provisioner.engine.operations import Operation, Restarts
from provisioner.engine.permissions import on_writes, permissions_of
from provisioner.engine.plan import FieldChange
from provisioner.engine.resource import LiveResource, Resource
from provisioner.spec.ownership import ownership_note
from reconcilers._operations import ComputeOperation

#: The meta of a Compute Engine kind: every one calls compute.googleapis.com, and a collection
#: carries labels only where it has a setLabels method (addresses, forwarding rules, security
#: policies say `labels_path="labels"`); the others are ours by their names (`owned_by_name`).
compute_meta = partial(KindMeta, api="compute.googleapis.com", labels_path=None)


def compute_permissions(
    collection: str,
    *,
    update: Sequence[str] = ("update",),
    uses: Sequence[str] = (),
    also: Mapping[str, Sequence[str]] | None = None,
) -> dict[str, tuple[str, ...]]:
    """The permissions of a Compute collection's kind, as IAM names them for Compute: its own
    calls are `compute.<collection>.<verb>` (read with list and get, update with `update`'s
    verbs), and a body that names resources of other collections (`uses`: a URL map names
    backend services) needs `compute.<other>.use` on every create and update."""
    extra = {action: tuple(names) for action, names in (also or {}).items()}
    for action, names in on_writes(*(f"compute.{other}.use" for other in uses)).items():
        extra[action] = (*names, *extra.get(action, ()))
    return permissions_of(f"compute.{collection}", update=update, also=extra)


API_ROOTS = ("https://www.googleapis.com/compute/v1/", "https://compute.googleapis.com/compute/v1/")


def compute(ctx: Context) -> Any:
    return ctx.clients.discovery("compute", "v1")


def relative(value: Any) -> Any:
    """A full Compute URL as the relative `projects/...` path the spec writes."""
    if isinstance(value, str):
        for root in API_ROOTS:
            if value.startswith(root):
                return value[len(root) :]
    return value


def relative_links(body: Any) -> Any:
    """Every Compute URL in a live body rewritten as a relative path, so references compare."""
    if isinstance(body, dict):
        return {k: relative_links(v) for k, v in body.items()}
    if isinstance(body, list):
        return [relative_links(v) for v in body]
    return relative(body)


def relative_body(body: dict[str, Any]) -> dict[str, Any]:
    """A live body with every Compute URL in it made relative (see `relative_links`)."""
    return {key: relative_links(value) for key, value in body.items()}


def request_id() -> str:
    """A fresh `requestId` for one Compute mutation.

    Build it into the request once: every retry of that request then carries the same id, and
    Compute answers a repeated id with the operation the first one started instead of acting
    twice (https://cloud.google.com/compute/docs/reference/rest/v1/backendServices/insert,
    `requestId`), so a retried insert whose first answer was lost does not fail on its own
    resource with 409.
    """
    return str(uuid.uuid4())


def network_path(ctx: Context, name: str | None = None) -> str:
    return f"projects/{ctx.project}/global/networks/{name or ctx.spec.vpc_name}"


def owned_by_name(ctx: Context, name: str) -> bool:
    """Kinds without labels are ours when their deterministic name is."""
    return name.startswith(f"{ctx.spec.name_prefix}-")


def description(ctx: Context) -> str:
    return f"{ownership_note(ctx.env)}; changes made elsewhere are reverted."


def list_all(request_factory: Any, key: str = "items") -> list[dict[str, Any]]:
    """Follow `nextPageToken` through a Compute-style list."""
    items: list[dict[str, Any]] = []
    token = None
    while True:
        page = request_factory(token).execute()
        items.extend(page.get(key, []))
        token = page.get("nextPageToken")
        if not token:
            return items


def operation(
    ctx: Context, body: dict[str, Any], description: str, region: str | None = None
) -> ComputeOperation:
    return ComputeOperation(ctx, ctx.project, body, description, region)


#: A Compute PATCH carries the changed top-level fields; the API has no mask.
PATCH = UpdateMask()


class ComputeKind(ApiKind):
    """A Compute Engine collection, addressed by resource name (`<region>/<name>` if regional)."""

    #: The discovery collection (`urlMaps`) and its path parameter (`urlMap`).
    collection: ClassVar[str]
    param: ClassVar[str]
    #: How reports name one of these ("URL map").
    noun: ClassVar[str]
    #: Its resources live in the spec's region, and its calls name the region.
    regional: ClassVar[bool] = False
    #: Its inserts carry our description (some collections' descriptions are the spec's).
    described: ClassVar[bool] = True
    #: Which failed operations are started again, and how often (none by default).
    restarts: ClassVar[Restarts] = Restarts()

    def resources(self) -> Any:
        return getattr(compute(self.ctx), self.collection)()

    def api_name(self, resource: Resource) -> str:
        return resource.name.rsplit("/", 1)[-1] if self.regional else resource.name

    def where(self, name: str) -> dict[str, str]:
        """The region parameter of a call about the resource at `name`, if it has one."""
        return {"region": name.split("/", 1)[0]} if self.regional else {}

    def normalise(self, body: dict[str, Any]) -> dict[str, Any]:
        return relative_body(body)

    def version(self, item: dict[str, Any]) -> str | None:
        """The API's concurrency token of a live item, where the collection has one."""
        return None

    def observe(self, desired: Sequence[Resource]) -> list[LiveResource]:
        api = self.resources()
        scope = {"region": self.ctx.spec.region} if self.regional else {}
        items = self.call(
            list_all, lambda token: api.list(project=self.ctx.project, **scope, pageToken=token)
        )
        return [self.live(item) for item in items]

    def live(self, item: dict[str, Any]) -> LiveResource:
        managed = (
            self.ctx.is_ours(item.get("labels"))
            if self.meta.labels_path
            else owned_by_name(self.ctx, item["name"])
        )
        name = f"{self.ctx.spec.region}/{item['name']}" if self.regional else item["name"]
        return LiveResource(self.meta.kind, name, item, managed=managed, version=self.version(item))

    def create(self, desired: Resource) -> Operation:
        return self.insert(desired, f"create {self.noun} {self.api_name(desired)}")

    def update(self, desired: Resource, live: LiveResource, changes: Sequence[FieldChange]) -> Operation:
        """A PATCH of what changed (networks, routers, firewall rules); collections with their
        own setters or fingerprints, or no update at all, say so by overriding this."""
        return self.patched(desired, changes, f"patch {self.noun} {self.api_name(desired)}")

    def delete(self, live: LiveResource) -> Operation:
        return self.remove(live, f"delete {self.noun} {live.body['name']}")

    # -- helpers for the kinds ---------------------------------------------------------
    def insert(self, desired: Resource, what: str) -> Operation:
        """Insert `desired` under its API name, with our description unless the kind has its own."""
        ours = {"description": description(self.ctx)} if self.described else {}
        body = {"name": self.api_name(desired), **ours, **desired.body}
        where = self.where(desired.name)
        return self.inserted(
            lambda rid: self.resources().insert(project=self.ctx.project, **where, body=body, requestId=rid),
            what,
            where.get("region"),
        )

    def remove(self, live: LiveResource, what: str) -> Operation:
        where = self.where(live.name)
        request = self.resources().delete(
            project=self.ctx.project, **where, **{self.param: live.body["name"]}
        )
        return self.operation(request, what, where.get("region"))

    def patched(self, desired: Resource, changes: Sequence[FieldChange], what: str) -> Operation:
        """A PATCH of the top-level fields that changed, which Compute merges into the resource."""
        patch = {key: desired.body[key] for key in PATCH.changed(changes) if key in desired.body}
        where = self.where(desired.name)
        name = self.api_name(desired)
        request = self.resources().patch(project=self.ctx.project, **where, **{self.param: name}, body=patch)
        return self.operation(request, what, where.get("region"))

    def operation(self, request: Any, what: str, region: str | None = None) -> Operation:
        """The operation `request` starts, started again as the kind declares (`restarts`)."""
        return self.restarts.start(
            what, lambda: operation(self.ctx, self.call(request.execute), what, region)
        )

    def inserted(self, make: Callable[[str], Any], what: str, region: str | None = None) -> Operation:
        """An insert Compute recognises when it is sent again: `make` builds it with a requestId.

        Retries of one request carry its id, so a retry after a lost answer gets the operation
        the first one started; a restart after a failed operation is a new request, with a new id.
        """
        return self.restarts.start(
            what, lambda: operation(self.ctx, self.call(make(request_id()).execute), what, region)
        )
