"""Carry out a plan: a dependency DAG run with bounded parallelism.

A failed change skips everything that depends on it while independent branches go on; the
result says what was done, failed and skipped. Every write is idempotent from the outside:
a create that answers 409 re-reads the resource and carries on, so a rerun converges.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Literal, Protocol

from provisioner.engine import observing
from provisioner.engine.abandon import abandon
from provisioner.engine.batching import planned
from provisioner.engine.context import Context
from provisioner.engine.diff import field_changes, with_live_ignored
from provisioner.engine.kind import Kind
from provisioner.engine.operations import Operation, wait_for
from provisioner.engine.plan import Change, Plan
from provisioner.engine.resource import Address, LiveResource
from provisioner.google.errors import ApiErrorException, classify

Status = Literal["done", "failed", "skipped"]


@dataclass
class Outcome:
    change: Change
    status: Status
    detail: str = ""
    seconds: float = 0.0


@dataclass
class ApplyResult:
    outcomes: list[Outcome] = field(default_factory=list)

    def of(self, status: Status) -> list[Outcome]:
        return [o for o in self.outcomes if o.status == status]

    @property
    def ok(self) -> bool:
        return not self.of("failed") and not self.of("skipped")


class Reporter(Protocol):
    def started(self, change: Change) -> None: ...
    def waiting(self, change: Change, op: Operation) -> None: ...
    def note(self, change: Change, text: str) -> None:
        """Something the change waits out (an API enabled moments ago), worth a line of its own."""

    def finished(self, outcome: Outcome) -> None: ...


class SilentReporter:
    def started(self, change: Change) -> None:
        pass

    def waiting(self, change: Change, op: Operation) -> None:
        pass

    def note(self, change: Change, text: str) -> None:
        pass

    def finished(self, outcome: Outcome) -> None:
        pass


class Executor:
    def __init__(
        self,
        ctx: Context,
        kinds: dict[str, Kind],
        live: dict[Address, LiveResource],
        reporter: Reporter | None = None,
        parallelism: int = 8,
        adopt: bool = False,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.ctx = ctx
        self.kinds = kinds
        self.live = live
        self.reporter = reporter or SilentReporter()
        self.parallelism = max(1, parallelism)
        self.adopt = adopt
        self.sleep = sleep
        self._lock = threading.Lock()

    def run(self, plan: Plan) -> ApplyResult:
        changes = {c.address: c for c in plan.pending}
        for name, kind in self.kinds.items():
            planned(kind, [c for c in plan.pending if c.kind == name])
        # APIs found enabled may still be propagating from a recent enable: wait out their 403s.
        self.ctx.retry.expect_enabled(
            live.name
            for live in self.live.values()
            if live.kind in self.kinds and self.kinds[live.kind].meta.enables_api
        )
        waits = schedule(plan.pending, self.kinds)
        remaining = {step: set(deps) for step, deps in waits.items()}
        steps_left = {address: {s for s in waits if s.address == address} for address in changes}
        details: dict[Address, list[str]] = {address: [] for address in changes}
        started: dict[Address, float] = {}
        result = ApplyResult()
        settled: set[Address] = set()
        running: dict[Future[tuple[Step, str | None, str]], Step] = {}

        def settle(address: Address, status: Status, detail: str) -> None:
            if address in settled:
                return
            settled.add(address)
            seconds = time.monotonic() - started.get(address, time.monotonic())
            outcome = Outcome(changes[address], status, detail, seconds)
            result.outcomes.append(outcome)
            self.reporter.finished(outcome)

        # A step is started only when a worker is free for it, and the free worker takes the
        # ready step with the longest chain of steps behind it: the network before the bucket,
        # so the slow chain (network, peering, database) never queues behind leaves.
        priority = _chain_lengths(waits)
        with ThreadPoolExecutor(max_workers=self.parallelism) as pool:
            while remaining or running:
                ready = sorted(
                    (s for s, deps in remaining.items() if not deps),
                    key=lambda s: (-priority[s], *_step_order(s)),
                )
                for step in ready[: self.parallelism - len(running)]:
                    del remaining[step]
                    if step.address not in started:
                        started[step.address] = time.monotonic()
                        self.reporter.started(changes[step.address])
                    running[pool.submit(self._execute, changes[step.address], step)] = step
                if not running:
                    break
                done, _ = wait(list(running), return_when=FIRST_COMPLETED)
                for future in done:
                    step = running.pop(future)
                    _, error, detail = future.result()
                    if error is None:
                        details[step.address].append(detail)
                        steps_left[step.address].discard(step)
                        for deps in remaining.values():
                            deps.discard(step)
                        if not steps_left[step.address]:
                            settle(step.address, "done", "; ".join(details[step.address]))
                        continue
                    settle(step.address, "failed", error)
                    for skipped in _transitive_waiters(step, remaining):
                        del remaining[skipped]
                        settle(skipped.address, "skipped", f"needs {step.address}, which did not complete")
        for step in remaining:
            settle(step.address, "skipped", "its prerequisites did not complete")
        return result

    # -- one step of one change ------------------------------------------------------
    def _execute(self, change: Change, step: Step) -> tuple[Step, str | None, str]:
        try:
            with self.ctx.retry.reporting(lambda text: self.reporter.note(change, text)):
                done = self._perform(change, step)
            if self.kinds[change.kind].meta.enables_api and step.phase == "put":
                # Enabled now, usable in a few minutes: its 403s from here on are propagation.
                self.ctx.retry.expect_enabled([change.name])
            return step, None, done
        except Exception as exc:  # one change's failure must not stop its independent peers
            err = classify(exc)
            return step, str(err) if err else f"{type(exc).__name__}: {exc}", ""

    def _wait(self, change: Change, kind: Kind, op: Operation) -> None:
        wait_for(
            op,
            self.ctx.retry,
            kind.meta.poll_schedule.scaled(self.ctx.poll_scale),
            sleep=self.sleep,
            on_poll=lambda o: self.reporter.waiting(change, o),
        )

    def _perform(self, change: Change, step: Step) -> str:
        kind = self.kinds[change.kind]
        if step.phase == "put" and change.action == "create":
            done = self._create(change, kind)
            return f"{done}; {change.note}" if change.note else done
        live = self.live.get(change.address)
        if live is None:
            raise RuntimeError(f"{change.address} was not observed; make a new plan")
        if step.phase == "put" and change.action == "update":
            # Ignored fields as the live side holds them now, not as they were when planned.
            desired = with_live_ignored(kind, change.resource(), live)
            self._wait(change, kind, kind.update(desired, live, change.fields))
            return "updated"
        if step.phase == "put":  # the new half of a replacement
            self._wait(change, kind, kind.create(change.resource()))
            return "replaced"
        if change.action == "abandon":
            op = abandon(kind, live)
            if op is not None:
                self._wait(change, kind, op)
            return "left in place, no longer managed"
        self._wait(change, kind, kind.delete(live))
        if change.action == "replace":
            return "old one removed"
        return change.note or "deleted"

    def _create(self, change: Change, kind: Kind) -> str:
        resource = change.resource()
        try:
            # A create that starts its request only once waited on (a chain of steps) meets
            # its conflict while waiting, so the wait is inside.
            self._wait(change, kind, kind.create(resource))
        except Exception as exc:
            err = classify(exc)
            if err is None or not err.conflict:
                raise
            # Someone (often our own earlier, interrupted run) made it already: read and converge.
            live = observing.read(kind, resource)
            if live is None:
                raise
            if not live.managed and not self.adopt:
                raise ApiErrorException(err) from exc
            fields = field_changes(kind, resource, live)
            if fields:
                self._wait(change, kind, kind.update(with_live_ignored(kind, resource, live), live, fields))
                return "already existed; updated to match"
            return "already existed and matches"
        return "created"


@dataclass(frozen=True)
class Step:
    """Half of a change: `put` creates or updates, `remove` deletes. A replacement has both."""

    address: Address
    phase: Literal["put", "remove"]


def _step_order(step: Step) -> tuple[int, Address]:
    return (0 if step.phase == "remove" else 1, step.address)


def schedule(changes: Sequence[Change], kinds: dict[str, Kind]) -> dict[Step, set[Step]]:
    """Every step of every change, with the steps it must wait for.

    - a put waits for the puts of what it depends on, and for its own removal when a
      replacement must free the name first;
    - a removal waits for the removals of whatever points at it (a chain is torn down from
      the far end), and, when the kind replaces create-before-destroy, for its own new half
      and for the updates that move dependents over to it.
    """
    steps: dict[Step, set[Step]] = {}
    for change in changes:
        if change.action in ("create", "update", "replace"):
            steps[Step(change.address, "put")] = set()
        if change.action in ("delete", "abandon", "replace"):
            steps[Step(change.address, "remove")] = set()
    needs = {c.address: set((c.desired or {}).get("deps", ())) for c in changes}
    points_at = {c.address: needs[c.address] | set(c.references) for c in changes}
    for change in changes:
        put, remove = Step(change.address, "put"), Step(change.address, "remove")
        before_first = kinds[change.kind].meta.create_before_destroy
        if put in steps:
            steps[put] |= {Step(d, "put") for d in needs[change.address]} & steps.keys()
            if remove in steps and not before_first:
                steps[put].add(remove)
        if remove in steps:
            steps[remove] |= {Step(a, "remove") for a, refs in points_at.items() if change.address in refs}
            steps[remove] &= steps.keys()
            steps[remove].discard(remove)
            if put in steps and before_first:
                steps[remove].add(put)
                steps[remove] |= {Step(a, "put") for a, deps in needs.items() if change.address in deps}
                steps[remove] &= steps.keys()
    return steps


def _chain_lengths(waits: dict[Step, set[Step]]) -> dict[Step, int]:
    """For each step, how many steps the longest chain waiting on it holds, itself included."""
    waiters: dict[Step, set[Step]] = {step: set() for step in waits}
    for step, deps in waits.items():
        for dep in deps:
            waiters.setdefault(dep, set()).add(step)
    lengths: dict[Step, int] = {}

    def length(step: Step) -> int:
        if step not in lengths:
            lengths[step] = 1 + max((length(w) for w in waiters[step]), default=0)
        return lengths[step]

    for step in waits:
        length(step)
    return lengths


def _transitive_waiters(step: Step, remaining: dict[Step, set[Step]]) -> list[Step]:
    out: list[Step] = []
    frontier = {step}
    while frontier:
        nxt = {s for s, deps in remaining.items() if deps & frontier and s not in out}
        out.extend(sorted(nxt, key=_step_order))
        frontier = nxt
    return out
