"""5. Start-up: `--help` and `validate --env prod`, against a bare interpreter started the same way.

Both are reported as measured and with the bare interpreter's start subtracted. The Google
client libraries must not be imported by either: they cost more than everything else, and
neither command calls an API.
"""

from __future__ import annotations

import subprocess
import sys
import time

from bench.harness import ROOT, BenchResult, median

HEAVY = ("googleapiclient", "google.cloud", "google.api_core", "grpc", "google.auth")
_PROBE = (
    "import runpy, sys\n"
    "sys.argv = ['provisioner', *sys.argv[1:]]\n"
    "try:\n"
    "    runpy.run_module('provisioner', run_name='__main__')\n"
    "except SystemExit:\n"
    "    pass\n"
    "print('\\nMODULES', ' '.join(sorted(sys.modules)))\n"
)


def _time(args: list[str], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, check=False)
        times.append(time.perf_counter() - started)
    return median(times)


def heavy_imports(command: list[str]) -> list[str]:
    """Google client modules loaded by this command."""
    out = subprocess.run(
        [sys.executable, "-c", _PROBE, *command], cwd=ROOT, capture_output=True, text=True, check=False
    ).stdout
    modules = out.rsplit("MODULES", 1)[-1].split()
    return sorted({m for m in modules if m.startswith(HEAVY)})


def run(repeats: int = 5) -> BenchResult:
    result = BenchResult("start-up")
    bare = _time(["-c", "pass"], repeats)
    commands = {
        "--help": (["--help"], 0.3),
        "validate --env prod": (["validate", "--env", "prod"], 1.0),
    }
    result.add("python -c pass", bare, "s", note="the interpreter alone, subtracted below")
    for label, (args, limit) in commands.items():
        wall = _time(["-m", "provisioner", *args], repeats)
        heavy = heavy_imports(args)
        result.add(
            f"{label} (minus bare start)",
            wall - bare,
            "s",
            baseline=bare,
            ratio=wall / bare if bare else None,
            target=f"< {limit:g} s",
            met=wall - bare < limit,
            note=f"{wall:.3f} s as measured; Google client modules loaded: {len(heavy)}",
        )
        result.details[label] = {"wall_s": wall, "bare_s": bare, "google_modules": heavy}
    return result
