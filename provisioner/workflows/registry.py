"""The service families a run manages and the price table their kinds are priced at, as one value.

The composition root (`provisioner.cli.compose`) builds it; sessions, workflows, the cost
model and the ignore-rule check are handed it, so none of them names a service family.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from provisioner.engine.kind import Reconciler


@dataclass(frozen=True)
class Registry:
    #: Every service family, in the order their resources usually depend on each other.
    reconcilers: tuple[Reconciler, ...]
    #: List prices the kinds' cost estimates read, unless `cost --prices FILE` names another.
    price_table: Path

    def kind_names(self) -> set[str]:
        """The kind of every resource the registry can manage ("sql.instance", ...)."""
        return {kind.meta.kind for reconciler in self.reconcilers for kind in reconciler.kinds}
