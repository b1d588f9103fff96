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
        field, message = _clip(self.field, 200), _clip(self.message, MAX_MESSAGE_CHARS)
        return f"{where}: {field}: {message}" if field else f"{where}: {message}"


MAX_MESSAGE_CHARS = 600
"""Messages quote the offending value; a 10,000-character value must not bury the advice after it."""
MAX_LISTED_PROBLEMS = 50
"""A list of 20,000 wrong items is one mistake made many times; the first ones show the pattern."""


def _clip(text: str, size: int) -> str:
    """Keep the start and the end (where the hint about valid values usually is)."""
    if len(text) <= size:
        return text
    head, tail = size * 2 // 3, size // 3
    return f"{text[:head]} ...[{len(text) - head - tail} characters]... {text[-tail:]}"


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
        lines = [head, *(f"  {p}" for p in self.problems[:MAX_LISTED_PROBLEMS])]
        if count > MAX_LISTED_PROBLEMS:
            lines.append(f"  ... and {count - MAX_LISTED_PROBLEMS} more")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self._render()
