"""1. A no-op plan of prod against a refresh-per-resource baseline.

The baseline reads every live resource with one GET of its own, ten at a time (Terraform's
default parallelism), which is what a tool that refreshes each resource from a state file
does. The controller lists collections instead, so both its calls and its wall time should
come out well below. Its wall time is also held against the floor the APIs set: the longest
chain of calls that must follow one another (the project number before anything named by it)
times one round trip, plus the CPU time of the diff itself.
"""

from __future__ import annotations

import http.client
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import quote, urlsplit

from bench.harness import BenchResult, apply, emulator_process, median, planner, timed

ENV = "prod"
BASELINE_PARALLELISM = 10

#: Where each API lives under the emulator's one host, for bodies that carry only a `name`.
_NAME_PREFIX = {
    "iam.": "/v1/",
    "kms.": "/v1/",
    "monitoring.dashboard": "/v1/",
    "monitoring.": "/v3/",
    "run.": "/v2/",
    "scheduler.": "/v1/",
    "secrets.": "/v1/",
    "serviceusage.": "/v1/",
    "vpcaccess.": "/v1/",
}


#: Kinds read at neither their selfLink nor their name: an IAM policy is read through its
#: resource, a sub-resource through its parent, a service agent through its service.
_OWN_READS: dict[str, Callable[[Any, str], tuple[str, str]]] = {
    "sql.user": lambda live, project: (
        "GET",
        f"/v1/projects/{project}/instances/{live.name.split('/')[0]}/users/{quote(live.body.get('name'))}",
    ),
    "kms.key_iam": lambda live, project: ("GET", f"/v1/{_kms_key(project, live.name)}:getIamPolicy"),
    "iam.project_roles": lambda live, project: ("POST", f"/v3/projects/{project}:getIamPolicy"),
    "run.invokers": lambda live, project: (
        "GET",
        "/v2/projects/{}/locations/{}/services/{}:getIamPolicy".format(project, *live.name.split("/")),
    ),
    "servicenetworking.connection": lambda live, project: (
        "GET",
        "/v1/services/servicenetworking.googleapis.com/connections?network="
        + quote(str(live.body.get("network", "")), safe=""),
    ),
    # A service agent has no read of its own: the service it belongs to is read instead.
    "serviceusage.service_identity": lambda live, project: (
        "GET",
        f"/v1/projects/{project}/services/{live.name}",
    ),
    "logging.metric": lambda live, project: (
        "GET",
        f"/v2/projects/{project}/metrics/{quote(live.name, safe='')}",
    ),
    "secrets.generated_value": lambda live, project: (
        "GET",
        f"/v1/projects/{project}/secrets/{live.name}/versions/latest",
    ),
}


def get_path(kind: str, live: Any, project: str) -> tuple[str, str]:
    """The one read a refresh-per-resource tool makes for this live resource: (method, path)."""
    body = live.body
    link = body.get("selfLink")
    if isinstance(link, str) and "://" in link:
        path = urlsplit(link).path
        if "www.googleapis.com/compute" in link or path.startswith(("/storage/", "/compute/")):
            return "GET", path
        return "GET", path if path.startswith("/v1/") else "/v1" + path.removeprefix("/v1")
    own_read = _OWN_READS.get(kind)
    if own_read is not None:
        return own_read(live, project)
    name = body.get("name")
    if isinstance(name, str) and name.startswith("projects/"):
        for prefix, root in _NAME_PREFIX.items():
            if kind.startswith(prefix):
                return "GET", root + name
    raise LookupError(f"no GET known for {kind} {live.name}")


def _kms_key(project: str, short: str) -> str:
    location, ring, key = short.split("/")
    return f"projects/{project}/locations/{location}/keyRings/{ring}/cryptoKeys/{key}"


def baseline_refresh(url: str, reads: list[tuple[str, str]]) -> tuple[int, int]:
    """One request per resource, BASELINE_PARALLELISM at a time; returns (calls, failures)."""
    split = urlsplit(url)
    local = threading.local()
    failures = 0
    lock = threading.Lock()

    def read(item: tuple[str, str]) -> None:
        nonlocal failures
        conn = getattr(local, "conn", None)
        if conn is None:
            conn = local.conn = http.client.HTTPConnection(split.hostname, split.port, timeout=30)
        method, path = item
        body = b"{}" if method == "POST" else None
        conn.request(method, path, body=body, headers={"Content-Type": "application/json"})
        response = conn.getresponse()
        response.read()
        if response.status >= 400:
            with lock:
                failures += 1

    with ThreadPoolExecutor(max_workers=BASELINE_PARALLELISM) as pool:
        list(pool.map(read, reads))
    return len(reads), failures


def run(latency_ms: int = 50, repeats: int = 5) -> BenchResult:
    result = BenchResult("noop-plan")
    with emulator_process() as emu:
        engine = planner(ENV, emu.url)
        _, applied = apply(engine)
        if not applied.ok:
            raise RuntimeError(f"prod did not converge: {[o.detail for o in applied.of('failed')]}")
        spec = engine.ctx.spec
        observation = planner(ENV, emu.url, spec=spec).snapshot()
        reads = [get_path(live.kind, live, engine.ctx.project) for live in observation.live.values()]
        emu.configure(latency_ms=latency_ms)

        walls: list[float] = []
        calls: list[int] = []
        repeats_seen: list[int] = []
        changes: list[int] = []
        diffs: list[float] = []
        rtts: list[float] = []
        base_walls: list[float] = []
        base_calls: list[int] = []
        base_failures: list[int] = []
        for _ in range(repeats):
            # One round trip, the unit of everything below.
            wall, _, _ = timed(lambda: baseline_refresh(emu.url, reads[:1]))
            rtts.append(wall)

            fresh = planner(ENV, emu.url, spec=spec)
            emu.clear_requests()
            wall, _, plan = timed(fresh.plan)
            walls.append(wall)
            made = emu.requests()
            calls.append(len(made))
            repeats_seen.append(len(made) - len({(r["method_id"], r["path"], r["query"]) for r in made}))
            changes.append(len(plan.changes))

            # CPU of the diff alone: the same plan from an observation already made.
            seen = fresh.snapshot()
            _, cpu, _ = timed(lambda fresh=fresh, seen=seen: fresh.plan(observation=seen))
            diffs.append(cpu)

            emu.clear_requests()
            wall, _, (_, failed) = timed(lambda: baseline_refresh(emu.url, reads))
            base_walls.append(wall)
            base_calls.append(len(emu.requests()))
            base_failures.append(failed)

    wall, base_wall, rtt, diff_cpu = median(walls), median(base_walls), median(rtts), median(diffs)
    n_calls, n_base = median(calls), median(base_calls)
    floor = 3 * rtt + diff_cpu
    result.add("live resources read", len(reads), "", note=f"{max(changes)} changes in the plan (0 expected)")
    result.add_against_baseline("API calls", n_calls, "calls", n_base, at_least=3)
    result.add(
        "reads that repeat an earlier read",
        max(repeats_seen),
        "calls",
        target="0 (every collection and location listed once)",
        met=max(repeats_seen) == 0,
        note=f"{n_calls - max(repeats_seen)} distinct reads for {len(reads)} resources: one per collection "
        "and location (and per IAM policy, per SQL instance's users and databases) is the floor",
    )
    result.add_against_baseline("wall time", wall, "s", base_wall, at_least=4)
    result.add_quotient(
        "wall / (3 x round trip + diff CPU)",
        wall,
        floor,
        target="<= 1",
        met=wall <= floor,
        note=f"round trip {rtt * 1000:.0f} ms, diff CPU {diff_cpu * 1000:.0f} ms",
    )
    result.details = {
        "latency_ms": latency_ms,
        "repeats": repeats,
        "walls": walls,
        "baseline_walls": base_walls,
        "round_trips": rtts,
        "diff_cpu": diffs,
        "calls": calls,
        "baseline_calls": base_calls,
        "baseline_failures": base_failures,
        "repeated_reads": repeats_seen,
        "plan_changes": changes,
    }
    return result
