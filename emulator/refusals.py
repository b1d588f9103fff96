"""The catalogue of refusals, as a table: `python -m emulator.refusals`.

Every service module is loaded, so each declares its refusals (emulator.refusal); the table
lists them by method with their sources and tests, and counts them.
"""

from __future__ import annotations

import sys

from emulator.refusal import CATALOGUE, Refusal


def loaded() -> list[Refusal]:
    """The catalogue once every service module has declared its collections."""
    from emulator.services import all_apis

    all_apis()
    return sorted(CATALOGUE, key=lambda r: (r.method, r.what))


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
