"""One table of long-running operations for every service.

Operation names are unique across services, which resolves the collision of
`v1/projects/*/locations/*/operations/*` paths when all APIs share one host;
compute and Cloud SQL operations have short names and live in the same table.

An operation takes time (see `emulator.durations`) and what it changes lands
when it finishes: the handler attaches effects (`emulator.effects.Effect`)
and `settle` applies them once the done time has passed, or the failure
effects instead when the operation fails. The dispatcher settles before and
after every handler under the store lock, so every response sees a state in
which each operation either has fully happened or has not happened at all.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterable
from typing import Any

from emulator.clock import Clock
from emulator.durations import PROFILES, operation_seconds
from emulator.effects import Effect, apply_effect
from emulator.errors import ApiError
from emulator.faults import Faults
from emulator.operation_shapes import FORMATTERS
from emulator.state import Store

INJECTED_FAILURE = "Injected operation failure: an internal error has occurred."


class Operations:
    def __init__(
        self,
        store: Store,
        faults: Faults,
        clock: Clock,
        delay_s: float,
        *,
        profile: str = "flat",
        scale: float = 0.01,
    ) -> None:
        if profile not in PROFILES:
            raise ValueError(f"unknown operation profile {profile!r}; choose one of {', '.join(PROFILES)}")
        self.store = store
        self.faults = faults
        self.clock = clock
        self.delay_s = delay_s
        self.profile = profile
        self.scale = scale

    def duration(self, key: tuple[str, ...] | None = None) -> float:
        """Seconds an operation of this kind takes under the configured profile."""
        return operation_seconds(key, profile=self.profile, flat_delay_s=self.delay_s, scale=self.scale)

    def start(
        self,
        parent: str = "",
        *,
        metadata: dict[str, Any] | None = None,
        response: dict[str, Any] | None = None,
        done_metadata: dict[str, Any] | None = None,
        error: ApiError | None = None,
        style: str = "longrunning",
        extra: dict[str, Any] | None = None,
        name: str | None = None,
        duration_key: tuple[str, ...] | None = None,
        duration_s: float | None = None,
        effects: Iterable[Effect] = (),
        failure_effects: Iterable[Effect] = (),
        target: str = "",
    ) -> dict[str, Any]:
        """Record a new operation and return its record.

        `error` makes the operation fail when it finishes (fault injection may
        also fail it). `done_metadata`, when given, is the metadata a finished,
        successful operation shows instead of `metadata` (an API whose metadata is
        the resource acted on shows it as it ended). `effects` apply when it finishes without error,
        `failure_effects` when it finishes with one. `name` overrides the
        generated `<parent>/operations/operation-<hex>`; `duration_key` picks
        the duration from the profile unless `duration_s` is given. `target`
        names what the operation acts on, for `in_flight`.
        """
        if name is None:
            suffix = f"operation-{uuid.uuid4().hex}"
            name = f"{parent}/operations/{suffix}" if parent else suffix
        if self.store.get_operation(name) is not None:
            raise ValueError(f"operation {name} already exists")
        now = self.clock.now()
        if error is None and self.faults.operation_fails(duration_key):
            error = ApiError(500, INJECTED_FAILURE, reason="internalError", status="INTERNAL")
        seconds = duration_s if duration_s is not None else self.duration(duration_key)
        record = {
            "name": name,
            "style": style,
            "metadata": metadata,
            "done_metadata": done_metadata,
            "response": response,
            "error": error.rpc_status() if error is not None else None,
            "error_http": _http(error),
            "created": now,
            "done_at": now + max(0.0, seconds),
            "extra": extra or {},
            "effects": [e.to_json() for e in effects],
            "failure_effects": [e.to_json() for e in failure_effects],
            "target": target,
            "settled": False,
        }
        with self.store.lock:
            self.store.put_operation(name, record)
            self.store.schedule_operation(name, record["done_at"], target)
        return record

    def record(self, name: str) -> dict[str, Any] | None:
        return self.store.get_operation(name)

    def is_done(self, record: dict[str, Any]) -> bool:
        return self.clock.now() >= record["done_at"]

    def failed(self, record: dict[str, Any]) -> bool:
        return bool(record.get("error"))

    def in_flight(self, target: str) -> list[dict[str, Any]]:
        """Unfinished operations acting on `target`, oldest first."""
        with self.store.lock:
            self.settle()
            found = (self.store.get_operation(n) for n in self.store.scheduled_for(target))
            return [r for r in found if r is not None]

    def settle(self) -> int:
        """Apply the effects of every operation whose done time has passed, in
        done-time order, each exactly once; returns how many were settled."""
        settled = 0
        with self.store.lock:
            for name in self.store.due_operations(self.clock.now()):
                self._settle_one(name)
                settled += 1
        return settled

    def _settle_one(self, name: str) -> None:
        record = self.store.get_operation(name)
        if record is None or record.get("settled"):
            self.store.unschedule_operation(name)
            return
        try:
            with self.store.transaction():
                self._apply(record)
                record["settled"] = True
                self.store.put_operation(name, record)
                self.store.unschedule_operation(name)
            return
        except ApiError as exc:
            error = exc
        except Exception as exc:  # a broken effect shows as a failed operation, not a dead server
            error = ApiError(500, f"Internal error while completing the operation: {exc}", status="INTERNAL")
        record["error"] = error.rpc_status()
        record["error_http"] = _http(error)
        with self.store.transaction():
            for effect in record.get("failure_effects", []):
                apply_effect(self.store, Effect.from_json(effect))
            record["settled"] = True
            self.store.put_operation(name, record)
            self.store.unschedule_operation(name)

    def _apply(self, record: dict[str, Any]) -> None:
        key = "failure_effects" if record.get("error") else "effects"
        for effect in record.get(key, []):
            apply_effect(self.store, Effect.from_json(effect))

    def wait(self, name: str, cap_s: float, poll_s: float = 0.02) -> dict[str, Any] | None:
        """Block until the operation is done or `cap_s` has passed, then return
        its record. Must be called without holding the store lock, so that
        other requests proceed meanwhile."""
        deadline = time.monotonic() + cap_s
        while True:
            with self.store.lock:
                self.settle()
                record = self.store.get_operation(name)
            if record is None or self.is_done(record) or time.monotonic() >= deadline:
                return record
            remaining = min(record["done_at"] - self.clock.now(), deadline - time.monotonic())
            time.sleep(max(0.001, min(poll_s, remaining)))

    def view(self, record: dict[str, Any]) -> dict[str, Any]:
        return FORMATTERS[record["style"]](record, self.clock.now())


def _http(error: ApiError | None) -> dict[str, Any] | None:
    if error is None:
        return None
    return {"code": error.code, "reason": error.reason, "status": error.status}
