"""`--local`: the embedded emulator, with its state kept under `.provisioner/`.

State lives in a SQLite file, so `plan` in a new process sees what `apply` made.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

DEFAULT_STATE_DIR = Path(".provisioner")


def start_local_emulator(
    project: str, state_dir: Path = DEFAULT_STATE_DIR, profile: str = "flat", scale: float = 0.01
) -> tuple[str, Any]:
    """Start the emulator in this process; `profile="realistic"` makes operations take scaled real time."""
    from emulator import Emulator, EmulatorConfig

    state_dir.mkdir(parents=True, exist_ok=True)
    config = EmulatorConfig(
        state_path=state_dir / "emulator.sqlite",
        projects=[project],
        operation_profile=profile,
        profile_scale=scale,
        # As on a real project: nothing but the default APIs answers until the spec enables it.
        enforce_enabled_apis=True,
    )
    emulator = Emulator(config)
    url = emulator.start(port=0)
    return url, emulator
