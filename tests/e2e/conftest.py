"""An emulator per test and a way to run the CLI against it in-process."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from emulator import Emulator, EmulatorConfig

PROJECTS = ["digitwin-live-dev", "digitwin-live-staging", "digitwin-live-prod"]
SPECS = Path(__file__).resolve().parents[2] / "specs"


@dataclass
class Run:
    code: int
    out: str
    err: str


@pytest.fixture
def emulator(tmp_path, monkeypatch):
    config = EmulatorConfig(
        state_path=tmp_path / "emulator.sqlite", projects=PROJECTS, seed=7, enforce_enabled_apis=True
    )
    emu = Emulator(config)
    url = emu.start(port=0)
    monkeypatch.setenv("PROVISIONER_ENDPOINT", url)
    for name in ("STORAGE_EMULATOR_HOST",):
        monkeypatch.delenv(name, raising=False)
    emu.url = url
    yield emu
    emu.stop()


@pytest.fixture
def apis_on(emulator):
    """The emulator with every API of the shipped specs already enabled, as on a project set
    up long ago: for tests that run only some reconcilers, or make resources by hand."""
    from provisioner.spec.loader import load_env_spec

    for env in ("dev", "staging", "prod"):
        spec = load_env_spec(SPECS, env)
        emulator.set_services(spec.project, enable=spec.apis)
    return emulator


@pytest.fixture
def cli(capsys):
    from provisioner.cli.main import main

    def run(*args: str) -> Run:
        capsys.readouterr()
        argv = list(args)
        if "--specs" not in argv:
            argv += ["--specs", str(SPECS)]
        code = main(argv)
        captured = capsys.readouterr()
        return Run(code, captured.out, captured.err)

    return run
