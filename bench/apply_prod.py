"""2 and 3. Apply prod from empty with realistic operation durations, and how it polls.

The floor for a from-empty apply is the critical path of the dependency graph: the longest
chain of creates, each taking what the realistic profile says its operation takes, plus the
one round trip that starts it. Independent branches overlap, so nothing else should show.

Some waits are Google's, not operations: an API enabled by this run answers SERVICE_DISABLED
for a while after its enable is done, and Cloud Monitoring does not know a new log-based
metric for a while after it is created. The realistic profile models both
(`emulator.durations.propagation_seconds`); no caller can start earlier, so the floor charges
them on the edges that cross them: an API enabled by this run -> anything of another family
that calls it, and a log metric -> an alert policy on it. The figures are taken from the
emulator's own model, so a change of the model moves the floor with it.

Polling is held against what an exponential backoff needs at the least: doubling intervals
that start at one round trip reach an operation of d seconds in 1 + ceil(log2(d / rtt))
polls; and a whole apply should make at most three calls per resource.
"""

from __future__ import annotations

import math
import re
import threading
from typing import Any

from bench.harness import BenchResult, apply, emulator_process, planner, ratio, timed

ENV = "prod"

#: Compute kinds and the collection their insert names in the profile's keys.
_COMPUTE_COLLECTIONS = {
    "network": "networks",
    "subnetwork": "subnetworks",
    "router": "routers",
    "global_address": "globalAddresses",
    "firewall": "firewalls",
    "global_forwarding_rule": "globalForwardingRules",
    "forwarding_rule": "globalForwardingRules",
}

#: Operation names (last path segment) as the emulator generates them.
_OPERATION_NAME = re.compile(r"/operations/([^/:?]+)")


def duration_key(resource: Any, inline: set[str]) -> tuple[str, ...] | None:
    """The `emulator.durations` key of the operation that creates this resource.

    None: the create is synchronous, or (`inline`) it happens inside another resource's create.
    """
    kind, body = resource.kind, resource.body
    if resource.address in inline:
        return None
    family, _, what = kind.partition(".")
    if family == "compute":
        return ("compute", "insert", _COMPUTE_COLLECTIONS.get(what, what))
    if kind == "servicenetworking.connection":
        return ("servicenetworking", "connections")
    if kind == "vpcaccess.connector":
        return ("vpcaccess", "create")
    if kind == "sql.instance":
        settings = body.get("settings", {})
        tier = str(settings.get("tier", ""))
        if tier in ("db-f1-micro", "db-g1-small"):
            return ("sqladmin", "CREATE", "SHARED_CORE")
        if settings.get("availabilityType") == "REGIONAL":
            return ("sqladmin", "CREATE", "REGIONAL")
        return ("sqladmin", "CREATE")
    if kind == "sql.database":
        return ("sqladmin", "CREATE_DATABASE")
    if kind == "sql.user":
        return ("sqladmin", "CREATE_USER")
    if kind == "gke.cluster":
        return ("container", "CREATE_CLUSTER")
    if kind == "gke.node_pool":
        return ("container", "CREATE_NODE_POOL")
    if family == "run":
        return ("run", "create", what + "s")
    if kind == "serviceusage.service":
        return ("serviceusage", "enable")
    return None  # KMS, storage, Secret Manager, monitoring, IAM, scheduler: synchronous


def _created_inline(desired: list[Any]) -> set[str]:
    """Node pools that their cluster's create makes (a cluster is created with its pools)."""
    inline: set[str] = set()
    for resource in desired:
        pools = {p.get("name") for p in resource.create_only.get("nodePools", []) if isinstance(p, dict)}
        if not pools:
            continue
        for other in desired:
            if resource.address in other.deps and other.kind.endswith("node_pool"):
                inline.add(other.address)
    return inline


def propagation_waits(resources: list[Any], created: set[str], scale: float) -> dict[tuple[str, str], float]:
    """Seconds Google's propagation holds back a dependent after its dependency is done.

    Keyed by (dependency, dependent): an API this run enables, before a resource that calls
    it; a log metric this run creates, before an alert policy on it.
    """
    from emulator.durations import propagation_seconds

    def window(what: str) -> float:
        return propagation_seconds(what, profile="realistic", scale=scale, override=None)

    by_address = {r.address: r for r in resources}
    waits: dict[tuple[str, str], float] = {}
    for resource in resources:
        for dep in resource.deps:
            before = by_address.get(dep)
            if before is None or dep not in created:
                continue
            if before.kind == "serviceusage.service" and not resource.kind.startswith("serviceusage."):
                waits[(dep, resource.address)] = window("api")
            elif before.kind == "logging.metric" and resource.kind == "monitoring.alert_policy":
                waits[(dep, resource.address)] = window("metric")
    return waits


def critical_path(
    resources: list[Any],
    seconds: dict[str, float],
    per_step: float,
    waits: dict[tuple[str, str], float] | None = None,
) -> tuple[float, list[str]]:
    """Longest chain through `deps`, each step costing its duration plus `per_step`, each
    edge what `waits` holds for it."""
    by_address = {r.address: r for r in resources}
    memo: dict[str, tuple[float, list[str]]] = {}
    edges = waits or {}

    def finish(address: str) -> tuple[float, list[str]]:
        if address not in memo:
            before = max(
                (
                    (finish(d)[0] + edges.get((d, address), 0.0), finish(d)[1])
                    for d in by_address[address].deps
                    if d in by_address
                ),
                default=(0.0, []),
            )
            memo[address] = (before[0] + seconds[address] + per_step, [*before[1], address])
        return memo[address]

    return max((finish(a) for a in by_address), default=(0.0, []))


def min_polls(duration: float, rtt: float) -> int:
    """Polls a doubling backoff that starts at one round trip needs to see a d-second operation done."""
    if duration <= 0 or rtt <= 0:
        return 1
    return 1 + math.ceil(math.log2(max(1.0, duration / rtt)))


class CountingReporter:
    """Counts the polls that found an operation still running, per change."""

    def __init__(self) -> None:
        self.waits: dict[str, int] = {}
        self._lock = threading.Lock()

    def started(self, change: Any) -> None:
        pass

    def waiting(self, change: Any, op: Any) -> None:
        with self._lock:
            self.waits[change.address] = self.waits.get(change.address, 0) + 1

    def note(self, change: Any, text: str) -> None:
        pass

    def finished(self, outcome: Any) -> None:
        pass


def run(latency_ms: int = 50, scale: float = 0.01) -> tuple[BenchResult, BenchResult]:
    from emulator.durations import realistic_seconds

    crit = BenchResult("apply-from-empty")
    polling = BenchResult("polling")
    with emulator_process(latency_ms=latency_ms, profile="realistic", scale=scale) as emu:
        # Imports and first client builds are start-up costs (benchmark 5), not apply time.
        planner(ENV, emu.url, poll_scale=scale).plan()
        engine = planner(ENV, emu.url, poll_scale=scale)
        desired = engine.desired()
        inline = _created_inline(desired)
        seconds = {}
        for resource in desired:
            key = duration_key(resource, inline)
            seconds[resource.address] = realistic_seconds(key) * scale if key else 0.0
        rtt = latency_ms / 1000
        emu.clear_requests()
        wall, _, (plan, result) = timed(lambda: apply(engine, CountingReporter()))
        log = emu.requests()
        operations = emu.operations()
    waits = propagation_waits(desired, {c.address for c in plan.changes}, scale)
    path_s, path = critical_path(desired, seconds, 0.0, waits)
    path_rt_s, _ = critical_path(desired, seconds, rtt, waits)
    bare_s, _ = critical_path(desired, seconds, rtt)
    if not result.ok:
        failed = [f"{o.change.address}: {o.detail}" for o in result.of("failed")]
        raise RuntimeError(f"the apply of prod failed: {failed}")

    crit.add_quotient(
        "wall / critical path (+1 round trip a step)",
        wall,
        path_rt_s,
        target="<= 1.10",
        met=ratio(wall, path_rt_s) <= 1.10,
        note=f"wall {wall:.2f} s, {len(path)} steps, scale {scale}, propagation {path_rt_s - bare_s:.2f} s",
    )
    crit.add_quotient(
        "wall / critical path (profile only)",
        wall,
        path_s,
        note="the same path without the round trips",
    )
    crit.details = {
        "latency_ms": latency_ms,
        "scale": scale,
        "wall_s": wall,
        "critical_path_s": path_s,
        "critical_path_with_round_trips_s": path_rt_s,
        "propagation_on_path_s": path_rt_s - bare_s,
        "critical_path": path,
        "changes": len(plan.changes),
    }

    # Polls per operation, from the request log: every read naming an operation is a poll.
    polls: dict[str, int] = {}
    for record in log:
        match = _OPERATION_NAME.search(record["path"])
        if match and not record["is_write"]:
            polls[match.group(1)] = polls.get(match.group(1), 0) + 1
    excess: list[float] = []
    per_op: list[dict[str, Any]] = []
    for op in operations:
        short = op["name"].rsplit("/", 1)[-1]
        duration = max(0.0, op["done_at"] - op["created"])
        made = polls.get(short, 0)
        need = min_polls(duration, rtt) if duration > rtt else 0
        per_op.append({"operation": short, "seconds": round(duration, 3), "polls": made, "minimum": need})
        if need:
            excess.append(made / need)
    resources = len(plan.changes)
    calls = len(log)
    total_polls = sum(polls.values())
    total_min = sum(p["minimum"] for p in per_op)
    polling.add_quotient(
        "API calls / resources",
        calls,
        resources,
        target="<= 3",
        met=calls <= 3 * resources,
        note=f"{calls} calls for {resources} resources",
    )
    polling.add_quotient(
        "polls / backoff minimum (all operations)",
        total_polls,
        total_min,
        note=f"{total_polls} polls for {len(operations)} operations",
    )
    polling.add(
        "polls / backoff minimum (worst operation)",
        max(excess, default=0.0),
        "x",
        note="operations longer than one round trip",
    )
    polling.details = {"operations": per_op, "calls": calls, "resources": resources}
    return crit, polling
