"""Optional protocol: leave a resource in place but out of management.

A resource whose spec says `deletion_policy: abandon` carries that policy in a label; when
it leaves the spec, the apply drops our ownership labels instead of deleting it. Only a kind
that keeps labels (`meta.labels_path`) and knows how to drop them can do that.
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

from provisioner.engine.kind import Kind
from provisioner.engine.operations import Operation
from provisioner.engine.resource import LiveResource


@runtime_checkable
class Abandonable(Protocol):
    def abandon(self, live: LiveResource) -> Operation | None:
        """Drop our ownership labels from `live`; None when nothing is left to wait on."""
        ...


def can_abandon(kind: Kind) -> bool:
    return isinstance(kind, Abandonable) and kind.meta.labels_path is not None


def abandon(kind: Kind, live: LiveResource) -> Operation | None:
    return kind.abandon(live) if isinstance(kind, Abandonable) else None


def labels_in(kind: Kind, body: dict[str, Any]) -> dict[str, Any] | None:
    """The labels mapping inside `body` itself, wherever this kind keeps it; None: there is none."""
    node: Any = body
    for part in (kind.meta.labels_path or "").split("."):
        if not part or not isinstance(node, dict):
            return None
        node = node.get(part)
    return node if isinstance(node, dict) else None


def labels(kind: Kind, body: dict[str, Any]) -> dict[str, str]:
    """The labels of a body, wherever this kind keeps them."""
    return dict(labels_in(kind, body) or {})
