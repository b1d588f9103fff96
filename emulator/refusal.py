"""Declaring a refusal: a constraint real Google Cloud enforces that the emulator checks.

A refusal is declared once, beside the collection whose handlers enforce it, with the source
that shows Google enforcing it (a recorded log under conformance/, a documentation URL or a
public issue) and the test that shows the emulator refusing. `python -m emulator.refusals`
lists them all with a count, so what the emulator holds a client to is readable in one place.
"""

from __future__ import annotations

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
