"""Optional protocols: how a kind prices its resources at list price.

Pricing is not part of converging a resource, so a kind that can say what its resources cost
offers one of these; the estimate (`cost.estimate`) asks through the functions below, which
answer "not priced" for a kind that offers none. A kind prices API-shaped bodies, desired and
live alike, so one method serves the plan's before and after.
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

from provisioner.cost.pricing import CostLine, PriceTable, free
from provisioner.engine.kind import Kind
from provisioner.engine.resource import Resource


@runtime_checkable
class Priced(Protocol):
    def monthly_cost(self, name: str, body: dict[str, Any], prices: PriceTable) -> list[CostLine] | None:
        """List-price lines of one resource; None: it cannot be priced, and the estimate says so."""
        ...


@runtime_checkable
class PricedTogether(Protocol):
    """A kind whose price depends on how many there are (a charge shared by the first few of
    a kind in a project)."""

    def monthly_costs(
        self, bodies: dict[str, dict[str, Any]], prices: PriceTable
    ) -> dict[str, list[CostLine] | None]: ...


@runtime_checkable
class Free(Protocol):
    """A kind whose resources cost nothing by themselves."""

    #: Why, in a few words the estimate shows.
    no_charge: str


@runtime_checkable
class CreatedShape(Protocol):
    """A kind whose create sends create-only values somewhere else than the top of the body."""

    def body_as_created(self, desired: Resource) -> dict[str, Any]: ...


def body_as_created(kind: Kind, desired: Resource) -> dict[str, Any]:
    """The body a create sends (owned and create-only fields): what a new resource will be."""
    if isinstance(kind, CreatedShape):
        return kind.body_as_created(desired)
    return {**desired.body, **desired.create_only}


def monthly_cost(kind: Kind, name: str, body: dict[str, Any], prices: PriceTable) -> list[CostLine] | None:
    if isinstance(kind, Priced):
        return kind.monthly_cost(name, body, prices)
    if isinstance(kind, Free):
        return [free("no charge of its own", kind.no_charge)]
    return None


def monthly_costs(
    kind: Kind, bodies: dict[str, dict[str, Any]], prices: PriceTable
) -> dict[str, list[CostLine] | None]:
    """Every resource of this kind at once, by name."""
    if isinstance(kind, PricedTogether):
        return kind.monthly_costs(bodies, prices)
    return {name: monthly_cost(kind, name, body, prices) for name, body in bodies.items()}
