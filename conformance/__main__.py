"""`python -m conformance`: replay the recorded corpus, print the table, write the results.

Options: `--kind TEXT` replays only the logs whose name contains TEXT (results are then not
written); `--raise-floors` records this run's scores as the new floors where they are better;
`--diffs FILE` writes every difference found, exchange by exchange.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from conformance import report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m conformance")
    parser.add_argument("--kind", help="replay only the logs whose name contains this text")
    parser.add_argument("--raise-floors", action="store_true", help="record better scores as floors")
    parser.add_argument("--diffs", type=Path, help="write every difference to this JSON file")
    args = parser.parse_args(argv)
    run = report.replay_all(args.kind)
    print(report.table(run), end="")
    if args.diffs:
        report.write_diffs(run, args.diffs)
    if args.kind:
        return 0
    report.write(run)
    if args.raise_floors:
        report.raise_floors(run)
    problems = report.below_floors(run, report.load_floors())
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
