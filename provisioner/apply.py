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

from provisioner.context import Context
from provisioner.diff import field_changes
from provisioner.errors import ApiErrorException, classify
from provisioner.kind import Kind
from provisioner.operations import Operation, wait_for
from provisioner.plan import Change, Plan
from provisioner.resource import LiveResource

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
    def finished(self, outcome: Outcome) -> None: ...


class SilentReporter:
    def started(self, change: Change) -> None:
        pass

    def waiting(self, change: Change, op: Operation) -> None:
        pass

    def finished(self, outcome: Outcome) -> None:
        pass


class Executor:
    def __init__(
        self,
        ctx: Context,
        kinds: dict[str, Kind],
        live: dict[str, LiveResource],
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
        changes = plan.pending
        waits_on = _dependencies(changes)
        result = ApplyResult()
        remaining = {c.address: set(waits_on[c.address]) for c in changes}
        by_address = {c.address: c for c in changes}
        finished: set[str] = set()
        running: dict[Future[Outcome], str] = {}

        def settle(outcome: Outcome) -> None:
            result.outcomes.append(outcome)
            self.reporter.finished(outcome)
            finished.add(outcome.change.address)

        with ThreadPoolExecutor(max_workers=self.parallelism) as pool:
            while remaining or running:
                for address in [a for a, deps in remaining.items() if not deps]:
                    del remaining[address]
                    running[pool.submit(self._execute, by_address[address])] = address
                if not running:
                    break  # only changes waiting on failed work remain; handled below
                done, _ = wait(list(running), return_when=FIRST_COMPLETED)
                for future in done:
                    address = running.pop(future)
                    outcome = future.result()
                    settle(outcome)
                    if outcome.status == "done":
                        for deps in remaining.values():
                            deps.discard(address)
                    else:
                        for skipped in _transitive_waiters(address, remaining):
                            del remaining[skipped]
                            settle(
                                Outcome(
                                    by_address[skipped], "skipped", f"needs {address}, which did not complete"
                                )
                            )
        return result

    # -- one change ------------------------------------------------------------------
    def _execute(self, change: Change) -> Outcome:
        started = time.monotonic()
        self.reporter.started(change)
        try:
            detail = self._perform(change)
            status: Status = "done"
        except Exception as exc:  # one change's failure must not stop its independent peers
            err = classify(exc)
            detail = str(err) if err else f"{type(exc).__name__}: {exc}"
            status = "failed"
        return Outcome(change, status, detail, time.monotonic() - started)

    def _wait(self, change: Change, kind: Kind, op: Operation) -> None:
        wait_for(
            op,
            self.ctx.retry,
            kind.poll_schedule.scaled(self.ctx.poll_scale),
            sleep=self.sleep,
            on_poll=lambda o: self.reporter.waiting(change, o),
        )

    def _perform(self, change: Change) -> str:
        kind = self.kinds[change.kind]
        live = self.live.get(change.address)
        if change.action == "create":
            return self._create(change, kind)
        if live is None:
            raise RuntimeError(f"{change.address} was not observed; make a new plan")
        if change.action == "update":
            self._wait(change, kind, kind.update(change.resource(), live, change.fields))
            return "updated"
        if change.action == "replace":
            if kind.create_before_destroy:
                self._wait(change, kind, kind.create(change.resource()))
                self._wait(change, kind, kind.delete(live))
            else:
                self._wait(change, kind, kind.delete(live))
                self._wait(change, kind, kind.create(change.resource()))
            return "replaced"
        if change.action == "delete":
            self._wait(change, kind, kind.delete(live))
            return "deleted" if not change.note else change.note
        if change.action == "abandon":
            op = kind.abandon(live)
            if op is not None:
                self._wait(change, kind, op)
            return "left in place, no longer managed"
        raise ValueError(f"unknown action {change.action}")

    def _create(self, change: Change, kind: Kind) -> str:
        resource = change.resource()
        try:
            op = kind.create(resource)
        except Exception as exc:
            err = classify(exc)
            if err is None or not err.conflict:
                raise
            # Someone (often our own earlier, interrupted run) made it already: read and converge.
            live = kind.read(resource)
            if live is None:
                raise
            if not live.managed and not self.adopt:
                raise ApiErrorException(err) from exc
            fields = field_changes(kind, resource, live)
            if fields:
                self._wait(change, kind, kind.update(resource, live, fields))
                return "already existed; updated to match"
            return "already existed and matches"
        self._wait(change, kind, op)
        return "created"


def _dependencies(changes: Sequence[Change]) -> dict[str, set[str]]:
    """Which pending changes each change must wait for.

    Creates and updates wait for the changes of what they depend on; deletions wait for the
    deletions of whatever depends on them, so a chain is torn down from the far end.
    """
    addresses = {c.address for c in changes}
    deps_of = {c.address: set((c.desired or {}).get("deps", ())) | set(c.references) for c in changes}
    waits: dict[str, set[str]] = {c.address: set() for c in changes}
    deleting = {c.address for c in changes if c.action == "delete"}
    for change in changes:
        if change.action == "delete":
            waits[change.address] = {a for a in deleting if change.address in deps_of.get(a, set())}
        else:
            waits[change.address] = {
                d for d in deps_of[change.address] if d in addresses and d not in deleting
            }
    return waits


def _transitive_waiters(address: str, remaining: dict[str, set[str]]) -> list[str]:
    out: list[str] = []
    frontier = {address}
    while frontier:
        nxt = {a for a, deps in remaining.items() if deps & frontier and a not in out}
        out.extend(sorted(nxt))
        frontier = nxt
    return out
