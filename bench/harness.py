"""What every benchmark shares: an in-process emulator, the engine wired to it, rows."""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SPECS = ROOT / "specs"
PROJECTS = ["digitwin-live-dev", "digitwin-live-staging", "digitwin-live-prod"]


@dataclass
class Row:
    """One measured figure, its baseline and whether it meets its target."""

    bench: str
    measure: str
    value: float
    unit: str
    baseline: float | None = None
    ratio: float | None = None
    target: str = ""
    met: bool | None = None
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class BenchResult:
    name: str
    rows: list[Row] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)

    def add(self, measure: str, value: float, unit: str, **extra: Any) -> Row:
        row = Row(self.name, measure, value, unit, **extra)
        self.rows.append(row)
        return row

    def add_quotient(self, measure: str, value: float, baseline: float, **extra: Any) -> Row:
        """A figure that is itself `value / baseline` (wall time over a critical path, calls per
        resource): shown in "x" with its baseline beside it, the quotient computed once."""
        quotient = ratio(value, baseline)
        return self.add(measure, quotient, "x", baseline=baseline, ratio=quotient, **extra)

    def add_against_baseline(
        self, measure: str, value: float, unit: str, baseline: float, at_least: float, **extra: Any
    ) -> Row:
        """A figure the naive way (the baseline) should take at least `at_least` times as much of."""
        gain = ratio(baseline, value)
        target = f"baseline/value >= {at_least:g}"
        return self.add(
            measure, value, unit, baseline=baseline, ratio=gain, target=target, met=gain >= at_least, **extra
        )

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "rows": [r.to_dict() for r in self.rows], "details": self.details}


@contextmanager
def emulator(
    latency_ms: int = 0, profile: str = "flat", scale: float = 0.01, projects: list[str] | None = None
) -> Iterator[Any]:
    """An emulator in this process, with every API endpoint of the engine pointed at it."""
    from emulator import Emulator, EmulatorConfig

    emu = Emulator(
        EmulatorConfig(
            projects=projects or PROJECTS,
            latency_ms=latency_ms,
            operation_profile=profile,
            profile_scale=scale,
            seed=7,
            enforce_enabled_apis=True,
        )
    )
    emu.url = emu.start(port=0)
    try:
        with _endpoints_at(emu.url):
            yield emu
    finally:
        emu.close()


@contextmanager
def _endpoints_at(url: str) -> Iterator[None]:
    """Every API endpoint of the engine pointed at `url` while inside; as it was afterwards."""
    saved = {k: os.environ.get(k) for k in ("PROVISIONER_ENDPOINT", "STORAGE_EMULATOR_HOST")}
    os.environ["PROVISIONER_ENDPOINT"] = url
    os.environ.pop("STORAGE_EMULATOR_HOST", None)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


class EmulatorProcess:
    """The emulator in a process of its own, driven through its `/_emulator/` control endpoints.

    A real API never runs inside the controller's interpreter; an in-process emulator would take
    the GIL from the client it serves and bill its own CPU to the client's wall time (and to the
    baseline's). Benchmarks that compare wall times of reads use this one.
    """

    def __init__(self, url: str) -> None:
        self.url = url

    def _control(self, method: str, route: str, body: dict[str, Any] | None = None) -> Any:
        import json
        import urllib.request

        data = json.dumps(body).encode() if body is not None else None
        headers = {"Content-Type": "application/json"}
        address = f"{self.url}/_emulator/{route}"
        request = urllib.request.Request(address, data=data, method=method, headers=headers)
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read() or b"{}")

    def configure(self, **faults: Any) -> None:
        self._control("POST", "faults", faults)

    def requests(self) -> list[dict[str, Any]]:
        return list(self._control("GET", "requests")["requests"])

    def clear_requests(self) -> None:
        self._control("DELETE", "requests")

    def operations(self) -> list[dict[str, Any]]:
        return list(self._control("GET", "operations")["operations"])


@contextmanager
def emulator_process(
    latency_ms: int = 0, profile: str = "flat", scale: float = 0.01, projects: list[str] | None = None
) -> Iterator[EmulatorProcess]:
    """`python -m emulator` on a free port with a state file of its own, every endpoint pointed at it."""
    import subprocess
    import sys
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        command = [sys.executable, "-m", "emulator", "--port", "0", "--state", f"{folder}/emulator.sqlite"]
        command += ["--enforce-enabled-apis", "--latency-ms", str(latency_ms), "--seed", "7"]
        command += ["--operation-profile", profile, "--profile-scale", str(scale)]
        for project in projects or PROJECTS:
            command += ["--project", project]
        process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True)
        try:
            assert process.stdout is not None
            url = process.stdout.readline().strip()
            if not url.startswith("http"):
                raise RuntimeError(f"the emulator did not start (exit code {process.poll()})")
            with _endpoints_at(url):
                yield EmulatorProcess(url)
        finally:
            process.terminate()
            process.wait(timeout=30)


def planner(env: str, url: str, poll_scale: float = 1.0, parallelism: int = 8, spec: Any = None) -> Any:
    """The engine as `plan`/`apply` build it, with fresh clients (nothing cached from a previous run)."""
    from provisioner.engine.backoff import Backoff
    from provisioner.engine.context import Context
    from provisioner.engine.planner import Planner
    from provisioner.engine.retry import RetryPolicy
    from provisioner.google.clients import ClientFactory, Endpoints
    from provisioner.spec.loader import load_env_spec
    from reconcilers import all_reconcilers

    ctx = Context(
        spec=spec if spec is not None else load_env_spec(SPECS, env),
        clients=ClientFactory(Endpoints(default=url)),
        retry=RetryPolicy(Backoff(initial=0.05, maximum=1.0), deadline=60.0),
        poll_scale=poll_scale,
    )
    return Planner(ctx, all_reconcilers(), parallelism=parallelism)


def apply(planner_: Any, reporter: Any = None) -> tuple[Any, Any]:
    """Plan and apply everything, as `apply --auto-approve` does (without the lock)."""
    from provisioner.engine.apply import Executor

    observation = planner_.snapshot()
    plan = planner_.plan(observation=observation)
    executor = Executor(
        ctx=planner_.ctx,
        kinds=planner_.kinds,
        live=observation.live,
        reporter=reporter,
        parallelism=planner_.parallelism,
    )
    return plan, executor.run(plan)


def timed(fn: Callable[[], Any]) -> tuple[float, float, Any]:
    """Wall and CPU seconds of one call, and what it returned."""
    wall, cpu = time.perf_counter(), time.process_time()
    out = fn()
    return time.perf_counter() - wall, time.process_time() - cpu, out


def median(values: list[float]) -> float:
    return statistics.median(values) if values else 0.0


def ratio(a: float, b: float) -> float:
    return a / b if b else float("inf")
