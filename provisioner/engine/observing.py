"""Optional protocols of reading: one resource at a time, the spec's spelling, references.

`Kind.observe` is all the engine needs to read; these refine it where a kind has more to
say. Each function beside its protocol is what the engine asks, with its own answer where
the kind offers nothing.
"""

from __future__ import annotations

from typing import Any, Protocol, cast, runtime_checkable

from provisioner.engine.kind import Kind
from provisioner.engine.offers import offers
from provisioner.engine.resource import Address, LiveResource, Resource


@runtime_checkable
class ReadsOne(Protocol):
    """A kind that can look up one resource more cheaply than listing its collection."""

    def read(self, desired: Resource) -> LiveResource | None: ...


@runtime_checkable
class Normalising(Protocol):
    """A kind whose API spells a body differently from the spec (case, units, resource paths)."""

    def normalise(self, body: dict[str, Any]) -> dict[str, Any]:
        """Rewrite a live body into the spec's spelling."""
        ...


@runtime_checkable
class Referencing(Protocol):
    """A kind whose live resources point at others (the API refuses to delete what is in use)."""

    def references(self, live: LiveResource) -> tuple[Address, ...]:
        """Addresses this live resource points at; deletions are ordered by them."""
        ...


def read(kind: Kind, desired: Resource) -> LiveResource | None:
    """The one live resource for `desired` (after a 409 on create, for instance)."""
    if isinstance(kind, ReadsOne):
        return kind.read(desired)
    for live in kind.observe([desired]):
        if live.name == desired.name:
            return live
    return None


def normalise(kind: Kind, body: dict[str, Any]) -> dict[str, Any]:
    # Asked for every live resource read: `offers` keeps the answer per class.
    return cast(Normalising, kind).normalise(body) if offers(kind, Normalising) else body


def references(kind: Kind, live: LiveResource) -> tuple[Address, ...]:
    return cast(Referencing, kind).references(live) if offers(kind, Referencing) else ()
