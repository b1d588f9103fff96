"""The shape every global Compute Engine collection of the load balancer shares.

Listing a collection, inserting with our description, deleting, and writing with the
current fingerprint are the same calls for URL maps, proxies, backend services and the
rest; a kind declares its collection and the API's names for it, and keeps only what is
particular to it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, ClassVar

from provisioner.engine.kind import Kind
from provisioner.engine.labels import labels_kept
from provisioner.engine.operations import Operation, Restarts
from provisioner.engine.resource import LiveResource, Resource, without_ownership
from provisioner.google.errors import ApiError
from reconcilers._compute import (
    compute,
    description,
    list_all,
    operation,
    owned_by_name,
    relative_links,
    request_id,
)

#: Answers that mean "try again": a resource we point at still has an operation running,
#: or someone wrote between our read of the fingerprint and our write (we read it again).
BUSY_REASONS = frozenset({"resourceNotReady", "conditionNotMet"})


class GlobalComputeKind(Kind):
    """A global Compute Engine collection, addressed by resource name."""

    #: The discovery collection (`urlMaps`) and its path parameter (`urlMap`).
    collection: ClassVar[str]
    param: ClassVar[str]
    #: How reports name one of these ("URL map").
    noun: ClassVar[str]
    #: Where the API keeps labels; None (most of these collections have none) means
    #: ownership follows from the `digitwin-<env>-` name.
    labels_path: ClassVar[str | None] = None
    #: A failed Compute operation has changed nothing, and an internal error is Google's own
    #: hiccup rather than an answer about the request: the same request is sent again, twice
    #: at most. Any other failure is final.
    restarts: ClassVar[Restarts] = Restarts(frozenset({500, 503}), 2)

    def resources(self) -> Any:
        return getattr(compute(self.ctx), self.collection)()

    def api_name(self, resource: Resource) -> str:
        return resource.name

    def retryable(self, err: ApiError) -> bool:
        return err.reason in BUSY_REASONS

    def normalise(self, body: dict[str, Any]) -> dict[str, Any]:
        return relative_links(body)

    def observe(self, desired: Sequence[Resource]) -> list[LiveResource]:
        api = self.resources()
        items = self.call(list_all, lambda token: api.list(project=self.ctx.project, pageToken=token))
        return [self.live(item) for item in items]

    def live(self, item: dict[str, Any]) -> LiveResource:
        managed = (
            self.ctx.is_ours(item.get("labels"))
            if self.labels_path
            else owned_by_name(self.ctx, item["name"])
        )
        return LiveResource(self.kind, item["name"], item, managed=managed, version=item.get("fingerprint"))

    def create(self, desired: Resource) -> Operation:
        body = {"name": self.api_name(desired), "description": description(self.ctx), **desired.body}
        return self.inserted(
            lambda rid: self.resources().insert(project=self.ctx.project, body=body, requestId=rid),
            f"create {self.noun} {body['name']}",
        )

    def delete(self, live: LiveResource) -> Operation:
        request = self.resources().delete(project=self.ctx.project, **{self.param: live.body["name"]})
        return self.operation(request, f"delete {self.noun} {live.body['name']}")

    # -- helpers for the kinds ---------------------------------------------------------
    def operation(self, request: Any, what: str, region: str | None = None) -> Operation:
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

    def setter(self, method: str, name: str, body: dict[str, Any], what: str) -> Operation:
        """A dedicated set method (setUrlMap, setTarget, setSecurityPolicy...)."""
        request = getattr(self.resources(), method)(project=self.ctx.project, **{self.param: name}, body=body)
        return self.operation(request, f"{what} of {self.noun} {name}")

    def fingerprinted(
        self, name: str, write: Callable[[dict[str, Any]], Any], what: str, token: str = "fingerprint"
    ) -> Operation:
        """A write guarded by the fingerprint read just before it; a stale one is read again."""

        def attempt() -> dict[str, Any]:
            current = self.resources().get(project=self.ctx.project, **{self.param: name}).execute()
            return write(current).execute()

        what = f"{what} {self.noun} {name}"
        return self.restarts.start(what, lambda: operation(self.ctx, self.call(attempt), what))

    def set_labels(self, live: LiveResource, labels: dict[str, str]) -> Operation:
        """Labels change through setLabels with the current label fingerprint."""
        name = live.body["name"]

        def write(current: dict[str, Any]) -> Any:
            body = {
                "labels": labels_kept(current.get("labels"), labels),
                "labelFingerprint": current["labelFingerprint"],
            }
            return self.resources().setLabels(project=self.ctx.project, resource=name, body=body)

        return self.fingerprinted(name, write, "label")

    def abandon(self, live: LiveResource) -> Operation | None:
        if not self.labels_path:
            return None
        name = live.body["name"]

        def write(current: dict[str, Any]) -> Any:
            kept = without_ownership(current.get("labels"))
            body = {"labels": kept, "labelFingerprint": current["labelFingerprint"]}
            return self.resources().setLabels(project=self.ctx.project, resource=name, body=body)

        return self.fingerprinted(name, write, "release")
