"""What a broken spec looks like to the person who has to fix it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class SpecProblem:
    file: Path
    line: int | None
    """1-based; None when the problem concerns the file as a whole."""
    field: str
    """Dotted path such as ``storage.buckets.documents.lifecycle[0].age_days``; empty for the file."""
    message: str
    """What is wrong and what would be valid."""

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line is not None else str(self.file)
        return f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"


class SpecError(Exception):
    """Every problem found in one environment's spec, reported together."""

    def __init__(self, problems: list[SpecProblem]) -> None:
        self.problems = sorted(
            problems, key=lambda p: (str(p.file), p.line if p.line is not None else -1, p.field)
        )
        super().__init__(self._render())

    def _render(self) -> str:
        count = len(self.problems)
        files = sorted({str(p.file) for p in self.problems})
        head = f"{count} problem{'s' if count != 1 else ''} in {', '.join(files)}:"
        return "\n".join([head, *(f"  {p}" for p in self.problems)])

    def __str__(self) -> str:
        return self._render()
