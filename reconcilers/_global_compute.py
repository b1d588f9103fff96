"""What the Compute Engine collections of the load balancer share beyond `ComputeKind`.

Writing with the current fingerprint, the dedicated setters, labels through setLabels, and
the load balancer's answers that mean "busy" are the same for URL maps, proxies, backend
services and the rest.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from provisioner.engine.labels import labels_kept
from provisioner.engine.operations import Operation, Restarts
from provisioner.engine.resource import LiveResource, without_ownership
from provisioner.google.errors import ApiError
from reconcilers._compute import ComputeKind, operation

#: Answers that mean "try again": a resource we point at still has an operation running,
#: or someone wrote between our read of the fingerprint and our write (we read it again).
BUSY_REASONS = frozenset({"resourceNotReady", "conditionNotMet"})


class GlobalComputeKind(ComputeKind):
    """A Compute Engine collection of the load balancer: busy answers are waited out, writes
    guarded by fingerprints, and internal errors of an operation start it again."""

    #: A failed Compute operation has changed nothing, and an internal error is Google's own
    #: hiccup rather than an answer about the request: the same request is sent again, twice
    #: at most. Any other failure is final.
    restarts: ClassVar[Restarts] = Restarts(frozenset({500, 503}), 2)

    def retryable(self, err: ApiError) -> bool:
        return err.reason in BUSY_REASONS

    def version(self, item: dict[str, Any]) -> str | None:
        return item.get("fingerprint")

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
            written: dict[str, Any] = write(current).execute()
            return written

        what = f"{what} {self.noun} {name}"
        return self.restarts.start(what, lambda: operation(self.ctx, self.call(attempt), what))

    def set_labels(self, live: LiveResource, labels: dict[str, str]) -> Operation:
        """Labels change through setLabels with the current label fingerprint."""
        return self.set_labels_of(live.body["name"], labels)

    def set_labels_of(self, name: str, labels: dict[str, str]) -> Operation:
        """setLabels of the resource called `name`, with the label fingerprint read just before."""

        def write(current: dict[str, Any]) -> Any:
            body = {
                "labels": labels_kept(current.get("labels"), labels),
                "labelFingerprint": current["labelFingerprint"],
            }
            return self.resources().setLabels(project=self.ctx.project, resource=name, body=body)

        return self.fingerprinted(name, write, "label")

    def abandon(self, live: LiveResource) -> Operation | None:
        if not self.meta.labels_path:
            return None
        name = live.body["name"]

        def write(current: dict[str, Any]) -> Any:
            kept = without_ownership(current.get("labels"))
            body = {"labels": kept, "labelFingerprint": current["labelFingerprint"]}
            return self.resources().setLabels(project=self.ctx.project, resource=name, body=body)

        return self.fingerprinted(name, write, "release")
