"""Settings of one emulator instance."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class EmulatorConfig:
    state_path: str | Path = ":memory:"
    latency_ms: int = 0
    operation_delay_s: float = 0.0
    seed: int = 0
    projects: list[str] = field(default_factory=list)
    host: str = "127.0.0.1"
