"""The catalogue of refusals: constraints real Google Cloud enforces that the emulator checks.

A refusal is declared once, beside the collection whose handlers enforce it, with the source
that shows Google enforcing it (a recorded log under conformance/, a documentation URL or a
public issue) and the test that shows the emulator refusing. `python -m emulator.refusals`
lists them all with a count, so what the emulator holds a client to is readable in one place.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass


@dataclass(frozen=True)
class Refusal:
    """One constraint: what is refused, by which method, why we believe Google refuses it."""

    method: str
    what: str
    source: str
    test: str


#: Every declared refusal, in declaration order.
CATALOGUE: list[Refusal] = []


def refusal(method: str, what: str, *, source: str, test: str) -> Refusal:
    """Declare a refusal and enter it in the catalogue."""
    rule = Refusal(method, what, source, test)
    if rule not in CATALOGUE:
        CATALOGUE.append(rule)
    return rule


def loaded() -> list[Refusal]:
    """The catalogue once every service module has declared its collections."""
    # Imported by name: under `python -m` this file is `__main__`, while the service modules
    # declare into `emulator.refusals`.
    from emulator import refusals
    from emulator.services import all_apis

    all_apis()
    return sorted(refusals.CATALOGUE, key=lambda r: (r.method, r.what))


def table(rules: list[Refusal]) -> str:
    lines = [
        f"{len(rules)} refusals",
        "",
        "| method | refused | source | test |",
        "| --- | --- | --- | --- |",
    ]
    lines += [f"| {r.method} | {r.what} | {r.source} | {r.test} |" for r in rules]
    return "\n".join(lines)


def main() -> int:
    sys.stdout.write(table(loaded()) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
