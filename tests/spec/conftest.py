"""Copies of the shipped specs that a test may break without touching the real ones."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import pytest

SHIPPED_SPECS = Path(__file__).resolve().parents[2] / "specs"


@pytest.fixture
def specs(tmp_path: Path) -> Path:
    target = tmp_path / "specs"
    shutil.copytree(SHIPPED_SPECS, target)
    return target


def override(specs: Path, env: str, yaml_text: str) -> Path:
    """Layer ``yaml_text`` over the shipped ``<env>.yaml``.

    The shipped file becomes the base ``_<env>.yaml``; the new ``<env>.yaml``
    extends it, so the override text starts on line 2.
    """
    env_file = specs / f"{env}.yaml"
    env_file.rename(specs / f"_{env}.yaml")
    env_file.write_text(f"extends: _{env}.yaml\n" + textwrap.dedent(yaml_text).lstrip("\n"))
    return env_file


def line_of(file: Path, text: str, occurrence: int = 1) -> int:
    """1-based line of the ``occurrence``-th line containing ``text``."""
    seen = 0
    for number, line in enumerate(file.read_text().splitlines(), start=1):
        if text in line:
            seen += 1
            if seen == occurrence:
                return number
    raise AssertionError(f"{text!r} not found in {file}")
