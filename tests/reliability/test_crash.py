"""Property 2: an apply killed at any point is finished by the next run, with no duplicate,
no orphan and no manual step.

Each kill happens at the hardest moment: the n-th write has taken effect in the API, and
its answer is held back until the process is dead, so the client never learnt of it.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from emulator import Emulator, EmulatorConfig
from tests.e2e.conftest import PROJECTS, SPECS

ROOT = Path(__file__).resolve().parents[2]
KILLS = 30
ENV = "prod"


def _writes_of_a_clean_run(tmp_path_factory) -> int:
    emu = Emulator(
        EmulatorConfig(state_path=tmp_path_factory.mktemp("clean") / "s.sqlite", projects=PROJECTS)
    )
    url = emu.start(port=0)
    try:
        env = {**os.environ, "PROVISIONER_ENDPOINT": url}
        command = [sys.executable, "-m", "provisioner", "apply", "--env", ENV, "--auto-approve", "-q"]
        subprocess.run([*command, "--specs", str(SPECS)], cwd=ROOT, env=env, check=True, capture_output=True)
        return sum(1 for r in emu.requests() if r.is_write and r.status < 400)
    finally:
        emu.stop()


#: Writes that go out together (project role grants, API enables) are gathered by timing, so
#: two clean runs may differ by a write or two: kill points stay clear of the last few.
WRITES_THAT_MAY_MERGE = 3


@pytest.fixture(scope="module")
def kill_points(tmp_path_factory) -> list[int]:
    total = _writes_of_a_clean_run(tmp_path_factory) - WRITES_THAT_MAY_MERGE
    return sorted({1 + round(i * (total - 1) / (KILLS - 1)) for i in range(KILLS)})


@pytest.mark.parametrize("index", range(KILLS))
def test_killed_apply_is_completed_by_the_next_run(index, kill_points, emulator, cli):
    if index >= len(kill_points):
        pytest.skip(f"a clean apply of {ENV} makes only {len(kill_points)} writes")
    point = kill_points[index]
    emulator.faults.hold_after_write(point)
    env = {**os.environ, "PROVISIONER_ENDPOINT": emulator.url}
    command = [sys.executable, "-m", "provisioner", "apply", "--env", ENV, "--auto-approve", "-q"]
    proc = subprocess.Popen(
        [*command, "--specs", str(SPECS)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert emulator.faults.hold_reached.wait(timeout=60), f"write {point} never came"
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        emulator.faults.clear()  # lets the held answer go to a closed socket

    rerun = cli("apply", "--env", ENV, "--auto-approve")

    assert rerun.code == 0, f"kill after write {point}:\n{rerun.out}\n{rerun.err}"
    final = cli("plan", "--env", ENV, "--format", "json", "--detailed-exitcode")
    assert final.code == 0, f"kill after write {point}: not converged:\n{final.out}"
    assert json.loads(final.out)["changes"] == [], "no orphan, no duplicate, nothing held back"
