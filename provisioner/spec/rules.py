"""Rule violations that know which field they are about.

A plain ``ValueError`` raised from a pydantic validator is reported at the
location of the model that raised it. Cross-field rules concern specific
fields (often several at once), and the loader maps every field back to a YAML
line, so a rule raises :class:`RuleViolations` carrying the relative path of
each offending field; the loader extends the pydantic location with it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

PathPart = str | int
Path = tuple[PathPart, ...]


@dataclass(frozen=True)
class Violation:
    path: Path
    message: str


def format_path(path: Iterable[PathPart]) -> str:
    """Render a location as ``a.b[0].c``; keys that contain dots are quoted."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        elif "." in part or " " in part:
            out += f"[{part!r}]"
        else:
            out += f".{part}" if out else part
    return out


class RuleViolations(ValueError):
    """One or more broken rules, raised from a model validator."""

    def __init__(self, violations: list[Violation]) -> None:
        self.violations = violations
        super().__init__(
            "; ".join(f"{format_path(v.path)}: {v.message}" if v.path else v.message for v in violations)
        )


class ViolationCollector:
    """Collects every broken rule of a model so they are all reported together."""

    def __init__(self) -> None:
        self.violations: list[Violation] = []

    def add(self, path: Path, message: str) -> None:
        self.violations.append(Violation(path, message))

    def check_not_greater(self, model: object, low: str, high: str, *, say_rule: bool = True) -> None:
        """Adds a violation on field ``low`` when its value is greater than field ``high``'s.

        Several sections bound one number by another (min and max instances, min and max
        nodes, default and max TTL); each tells the operator both values in the same words.
        ``say_rule`` ends the message with the rule itself (``low must be at most high``).
        """
        low_value, high_value = getattr(model, low), getattr(model, high)
        if low_value > high_value:
            rule = f"; {low} must be at most {high}" if say_rule else ""
            self.add((low,), f"{low} ({low_value}) is greater than {high} ({high_value}){rule}")

    def raise_if_any(self) -> None:
        if self.violations:
            raise RuleViolations(self.violations)
