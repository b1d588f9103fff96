"""Settings of one emulator instance."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class EmulatorConfig:
    state_path: str | Path = ":memory:"
    latency_ms: int = 0
    # Seconds every operation takes under the "flat" profile.
    operation_delay_s: float = 0.0
    # "flat" or "realistic" (per-kind durations, see emulator.durations).
    operation_profile: str = "flat"
    # Multiplier of the realistic durations (0.01: a 10-minute create takes 6 s).
    profile_scale: float = 0.01
    # Seconds, after an API's enable operation is done, that calls to it still answer 403
    # SERVICE_DISABLED; and after a user-defined metric is created, that an alert policy naming
    # it is refused with 404. None: the profile's (flat: none; realistic: see
    # emulator.durations.PROPAGATION, times profile_scale).
    api_propagation_s: float | None = None
    metric_propagation_s: float | None = None
    # Longest time compute's operations.wait holds a request before answering.
    operation_wait_cap_s: float = 5.0
    seed: int = 0
    projects: list[str] = field(default_factory=list)
    # Answer calls to an API the project has not enabled with 403 SERVICE_DISABLED, as Google
    # does; off by default so a test of one API need not enable it first.
    enforce_enabled_apis: bool = False
    host: str = "127.0.0.1"
