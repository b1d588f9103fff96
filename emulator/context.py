"""Everything a handler may touch, passed explicitly rather than held in globals."""

from __future__ import annotations

from dataclasses import dataclass

from emulator.clock import Clock
from emulator.config import EmulatorConfig
from emulator.faults import Faults
from emulator.operations import Operations
from emulator.projects import Projects
from emulator.state import Store


@dataclass
class Context:
    config: EmulatorConfig
    store: Store
    projects: Projects
    operations: Operations
    faults: Faults
    clock: Clock
