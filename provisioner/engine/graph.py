"""The dependency graph of desired resources: validation, order, selection."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from graphlib import CycleError, TopologicalSorter

from provisioner.engine.resource import Address, Resource


class GraphError(ValueError):
    pass


class ResourceGraph:
    def __init__(self, resources: Iterable[Resource]) -> None:
        self.resources: dict[Address, Resource] = {}
        for resource in resources:
            if resource.address in self.resources:
                raise GraphError(f"two resources share the address {resource.address}")
            self.resources[resource.address] = resource
        for resource in self.resources.values():
            for dep in resource.deps:
                if dep not in self.resources:
                    raise GraphError(f"{resource.address} depends on {dep}, which the spec does not define")
        try:
            self._order = list(
                TopologicalSorter({a: r.deps for a, r in self.resources.items()}).static_order()
            )
        except CycleError as exc:
            raise GraphError(f"dependency cycle: {' -> '.join(exc.args[1])}") from exc
        self._rank = {address: i for i, address in enumerate(self._order)}

    def order(self, addresses: Iterable[Address]) -> list[Resource]:
        """Resources in an order where every dependency comes first."""
        return [self.resources[a] for a in sorted(addresses, key=self._rank.__getitem__)]

    def dependents(self, address: Address) -> set[Address]:
        return {a for a, r in self.resources.items() if address in r.deps}

    def ancestors(self, address: Address) -> set[Address]:
        seen: set[Address] = set()
        stack = list(self.resources[address].deps)
        while stack:
            current = stack.pop()
            if current not in seen:
                seen.add(current)
                stack.extend(self.resources[current].deps)
        return seen

    def select(self, targets: Sequence[str]) -> list[Resource]:
        """The targeted resources (each target an address or a kind) and everything they depend on."""
        chosen: set[Address] = set()
        for target in targets:
            hits = [a for a, r in self.resources.items() if a == target or r.kind == target]
            for address in hits:
                chosen.add(address)
                chosen |= self.ancestors(address)
        return self.order(chosen)
