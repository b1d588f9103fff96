"""An emulator shared by the bad-input properties, and the CLI run in-process against it.

Every property ends with "and nothing reached the API", so the emulator is only there to
be asked whether it was called. One instance serves a whole module; its request log is
cleared before each example.
"""

from __future__ import annotations

import contextlib
import io
import shutil
import tempfile
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from emulator import Emulator, EmulatorConfig

SHIPPED_SPECS = Path(__file__).resolve().parents[2] / "specs"


@dataclass
class Run:
    code: int | str | None
    out: str
    err: str


def run_cli(*argv: str) -> Run:
    """``provisioner.cli.main.main(argv)`` with its output captured; argparse's exit becomes the code.

    Any other exception propagates, so a property fails on it with the traceback shown.
    """
    from provisioner.cli.main import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code: int | str | None = main(list(argv))
        except SystemExit as exc:
            code = exc.code
    return Run(code, out.getvalue(), err.getvalue())


@pytest.fixture(scope="module")
def emulator() -> Iterator[Emulator]:
    emu = Emulator(EmulatorConfig(state_path=":memory:", projects=["digitwin-live-dev"]))
    url = emu.start(port=0)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PROVISIONER_ENDPOINT", url)
        patch.delenv("STORAGE_EMULATOR_HOST", raising=False)
        yield emu
    emu.close()


@contextlib.contextmanager
def specs_copy() -> Iterator[Path]:
    """A throw-away copy of the shipped specs (hypothesis examples cannot share pytest's tmp_path)."""
    with tempfile.TemporaryDirectory(prefix="specs-") as folder:
        target = Path(folder) / "specs"
        shutil.copytree(SHIPPED_SPECS, target)
        yield target


def override_dev(specs: Path, yaml_text: str) -> Path:
    """Layer ``yaml_text`` over the shipped dev spec, which becomes the base ``_dev.yaml``."""
    dev = specs / "dev.yaml"
    dev.rename(specs / "_dev.yaml")
    dev.write_text("extends: _dev.yaml\n" + textwrap.dedent(yaml_text).lstrip("\n"), encoding="utf-8")
    return dev


def assert_refused(run: Run, *mentions: str, codes: tuple[int, ...] = (1,)) -> None:
    """Refused with the expected code, a message naming what was wrong, and no traceback."""
    assert "Traceback" not in run.err, run.err
    assert run.code in codes, f"exit {run.code!r}\nstdout: {run.out[:2000]}\nstderr: {run.err[:2000]}"
    for mention in mentions:
        assert mention in run.err, f"{mention!r} not in stderr:\n{run.err[:4000]}"
