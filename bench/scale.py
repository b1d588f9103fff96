"""4. How a no-op plan's CPU time and memory grow with the number of resources.

Each size runs in its own interpreter (`python -m bench.scale SIZE`), so peak memory is that
of one plan, not of everything measured before it.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time
from typing import Any

from bench.harness import ROOT, BenchResult, ratio

SIZES = (100, 1000, 5000)


def measure(size: int) -> dict[str, Any]:
    """Plan `size` converged synthetic resources; CPU seconds and peak memory of this process."""
    from bench.synthetic import converged_planner

    planner = converged_planner(size)
    cpu = time.process_time()
    wall = time.perf_counter()
    plan = planner.plan()
    cpu = time.process_time() - cpu
    wall = time.perf_counter() - wall
    peak_kb = _peak_rss_kb()
    return {
        "resources": size,
        "changes": len(plan.changes),
        "cpu_s": cpu,
        "wall_s": wall,
        "cpu_per_resource_ms": cpu / size * 1000,
        "peak_rss_mb": peak_kb / 1024,
    }


def _peak_rss_kb() -> int:
    """This process's peak resident set, in KiB.

    /proc's VmHWM starts afresh at exec; getrusage's ru_maxrss does not (it would report the
    forking parent's size when that was larger), so it is only the fallback.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux


def run(sizes: tuple[int, ...] = SIZES) -> BenchResult:
    result = BenchResult("scale")
    measured: dict[int, dict[str, Any]] = {}
    for size in sizes:
        out = subprocess.run(
            [sys.executable, "-m", "bench.scale", str(size)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        )
        measured[size] = json.loads(out.stdout.strip().splitlines()[-1])
        m = measured[size]
        result.add(
            f"no-op plan CPU per resource at {size}",
            m["cpu_per_resource_ms"],
            "ms",
            note=f"{m['cpu_s']:.2f} s CPU, {m['changes']} changes, peak {m['peak_rss_mb']:.0f} MB",
        )
    if len(sizes) >= 2:
        small, large = sizes[-2], sizes[-1]
        growth = ratio(measured[large]["cpu_s"], measured[small]["cpu_s"])
        limit = 6 * (large / small) / 5
        result.add_quotient(
            f"CPU growth {small} -> {large}",
            measured[large]["cpu_s"],
            measured[small]["cpu_s"],
            target=f"<= {limit:g} for {large / small:g}x the resources",
            met=growth <= limit,
        )
    top = sizes[-1]
    peak = measured[top]["peak_rss_mb"]
    result.add(f"peak memory at {top}", peak, "MB", target="< 300 MB" if top >= 5000 else "", met=peak < 300)
    result.details = {"sizes": measured}
    return result


if __name__ == "__main__":
    print(json.dumps(measure(int(sys.argv[1]))))
