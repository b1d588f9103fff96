"""How a command ends: its exit codes, the refusal that is the operator's to fix, and warnings.

The CLI and the workflows it calls share these, so a workflow can refuse (or finish) in
the CLI's terms without importing the CLI.
"""

from __future__ import annotations

import sys

EXIT_OK, EXIT_ERROR, EXIT_CHANGES = 0, 1, 2


class UsageError(Exception):
    """A problem with what the operator asked for: printed plainly, exit 1."""


def warn(*lines: str) -> None:
    """Warnings go to stderr, one a line, apart from what a command prints as its result."""
    for line in lines:
        print(line, file=sys.stderr)
