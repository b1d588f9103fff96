"""The composition root: the one module of `provisioner` that names the service families.

Everything below the CLI (the engine, the workflows, the cost model, the ignore-rule check)
takes the reconcilers' registry and the price table as values; only this module imports
`reconcilers`, so the engine names no service and a test can hand it any registry it likes.
Import-linter's contracts in pyproject.toml keep it that way.
"""

from __future__ import annotations

from pathlib import Path

from provisioner.engine.kind import Reconciler
from reconcilers import PRICE_TABLE, all_reconcilers

#: List prices the kinds' cost estimates read, unless `cost --prices FILE` names another table.
DEFAULT_PRICE_TABLE: Path = PRICE_TABLE


def registry() -> list[Reconciler]:
    """Every service family, in the order their resources usually depend on each other."""
    return all_reconcilers()


def kind_names() -> set[str]:
    """The kind of every resource the registry can manage ("sql.instance", ...)."""
    return {kind.kind for reconciler in registry() for kind in reconciler.kinds}
