"""The composition root: the one module of `provisioner` that names the service families.

Everything below the CLI (the engine, the workflows, the cost model, the ignore-rule check)
takes the reconcilers and the price table as a `Registry` value; only this module imports
`reconcilers`, so the engine names no service and a test can hand it any registry it likes.
Import-linter's contracts in pyproject.toml keep it that way.
"""

from __future__ import annotations

import reconcilers
from provisioner.workflows.registry import Registry


def registry() -> Registry:
    """Every service family this provisioner manages, and the list prices they are priced at.

    Looked up on the `reconcilers` package at each call, so a test that replaces
    `reconcilers.all_reconcilers` changes what every command manages.
    """
    return Registry(tuple(reconcilers.all_reconcilers()), reconcilers.PRICE_TABLE)
