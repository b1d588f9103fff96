"""`python -m bench`: run every benchmark, print a table, write bench/results.json."""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path
from typing import Any

from bench.harness import BenchResult, Row

RESULTS = Path(__file__).resolve().parent / "results.json"
ALL = ("noop-plan", "apply", "scale", "start-up")


def _fmt(value: float | None) -> str:
    if value is None:
        return ""
    if value == int(value) and abs(value) >= 10:
        return f"{int(value)}"
    return f"{value:.3g}"


def table(rows: list[Row]) -> str:
    head = ("benchmark", "measure", "value", "unit", "baseline", "ratio", "target", "met", "note")
    lines = [
        (
            r.bench,
            r.measure,
            _fmt(r.value),
            r.unit,
            _fmt(r.baseline),
            _fmt(r.ratio),
            r.target,
            "" if r.met is None else ("yes" if r.met else "NO"),
            r.note,
        )
        for r in rows
    ]
    widths = [max(len(str(x)) for x in col) for col in zip(head, *lines, strict=True)]
    out = [
        " | ".join(str(x).ljust(w) for x, w in zip(line, widths, strict=True)).rstrip()
        for line in [head, *lines]
    ]
    out.insert(1, "-+-".join("-" * w for w in widths))
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--latency-ms", type=int, default=50, help="emulator latency per call (default 50)")
    parser.add_argument("--scale", type=float, default=0.01, help="realistic profile scale (default 0.01)")
    parser.add_argument("--repeats", type=int, default=5, help="repeats of the timed plans (default 5)")
    parser.add_argument(
        "--sizes", default="100,1000,5000", help="synthetic spec sizes (default 100,1000,5000)"
    )
    parser.add_argument("--only", action="append", choices=ALL, help="run only these (repeatable)")
    parser.add_argument("--out", type=Path, default=RESULTS, help="where to write the results JSON")
    args = parser.parse_args(argv)
    chosen = args.only or list(ALL)

    results: list[BenchResult] = []
    started = time.perf_counter()
    if "noop-plan" in chosen:
        from bench import noop_plan

        results.append(noop_plan.run(latency_ms=args.latency_ms, repeats=args.repeats))
    if "apply" in chosen:
        from bench import apply_prod

        results.extend(apply_prod.run(latency_ms=args.latency_ms, scale=args.scale))
    if "scale" in chosen:
        from bench import scale

        results.append(scale.run(tuple(int(s) for s in args.sizes.split(","))))
    if "start-up" in chosen:
        from bench import startup

        results.append(startup.run(repeats=args.repeats))
    rows = [row for result in results for row in result.rows]
    print(table(rows))
    missed = [r for r in rows if r.met is False]
    print(f"\n{len(rows) - len(missed)} of {len(rows)} rows fine; {len(missed)} targets missed.")
    payload: dict[str, Any] = {
        "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "python": platform.python_version(),
        "machine": platform.machine(),
        "settings": {"latency_ms": args.latency_ms, "scale": args.scale, "repeats": args.repeats},
        "seconds": time.perf_counter() - started,
        "results": [r.to_dict() for r in results],
    }
    args.out.write_text(json.dumps(payload, indent=2, default=str) + "\n")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
