"""Bad input, property 7, for the command line: junk arguments get a clear message, no traceback.

The parser refuses what it can parse itself (unknown commands and options, numbers out of
range) with its usage message, everything else the CLI refuses with a message; both exit 1,
never 2, which `plan --detailed-exitcode` and `drift` keep for "changes found".
None of it may reach the API.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from provisioner.engine.plan import PLAN_FORMAT_VERSION, Plan
from tests.cli_commands import top_level_commands

from .conftest import assert_refused, run_cli, specs_copy
from .strategies import bad_input_settings

#: Read from the parser, so a new command is never mistaken for an unknown one.
COMMANDS = top_level_commands()
ENV_NAME = re.compile(r"[a-z][a-z0-9-]{1,14}")
SHIPPED_ENVS = {"dev", "staging", "prod"}
USAGE = 1


def words(alphabet: str = "abcdefghijklmnopqrstuvwxyz-_0123456789", size: int = 12) -> st.SearchStrategy[str]:
    return st.text(alphabet=alphabet, min_size=1, max_size=size)


@bad_input_settings(examples=20)
@given(command=st.text(max_size=20).filter(lambda t: t not in COMMANDS and not t.startswith("-")))
def test_an_unknown_command_is_a_usage_error(emulator, command: str) -> None:
    emulator.clear_requests()
    assert_refused(run_cli(command), "invalid choice", codes=(USAGE,))
    assert emulator.requests() == []


@bad_input_settings(examples=20)
@given(command=st.sampled_from(["validate", "plan", "apply"]), option=words())
def test_an_unknown_option_is_a_usage_error(emulator, command: str, option: str) -> None:
    emulator.clear_requests()
    with specs_copy() as specs:
        run = run_cli(command, "--env", "dev", "--specs", str(specs), f"--zz-{option}")
    assert_refused(run, "unrecognized arguments", codes=(USAGE,))
    assert emulator.requests() == []


@bad_input_settings(examples=30)
@given(command=st.sampled_from(["validate", "plan"]), env=st.text(max_size=30))
def test_an_env_that_is_not_a_spec_is_refused(emulator, command: str, env: str) -> None:
    assume(env not in SHIPPED_ENVS and not env.startswith("-"))
    emulator.clear_requests()
    with specs_copy() as specs:
        run = run_cli(command, "--env", env, "--specs", str(specs))
    assert_refused(run, "environment")
    assert emulator.requests() == []


@bad_input_settings(examples=15)
@given(
    command=st.sampled_from([("validate",), ("validate", "--env", "dev"), ("plan", "--env", "dev")]),
    missing=st.lists(words(), min_size=1, max_size=3),
)
def test_a_missing_specs_folder_is_named(emulator, command: tuple[str, ...], missing: list[str]) -> None:
    emulator.clear_requests()
    with tempfile.TemporaryDirectory() as folder:
        specs = Path(folder).joinpath(*missing)
        assert_refused(run_cli(*command, "--specs", str(specs)), str(specs), "does not exist")
    assert emulator.requests() == []


@pytest.mark.parametrize("command", [("validate",), ("validate", "--env", "dev"), ("plan", "--env", "dev")])
def test_a_file_given_as_specs_folder_is_named(emulator, tmp_path: Path, command: tuple[str, ...]) -> None:
    emulator.clear_requests()
    specs = tmp_path / "dev.yaml"
    specs.write_text("env: dev\n")
    assert_refused(run_cli(*command, "--specs", str(specs)), str(specs), "is not a folder")
    assert emulator.requests() == []


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root reads any folder")
@pytest.mark.parametrize("command", [("validate",), ("validate", "--env", "dev"), ("plan", "--env", "dev")])
def test_an_unreadable_specs_folder_is_named(emulator, tmp_path: Path, command: tuple[str, ...]) -> None:
    emulator.clear_requests()
    with specs_copy() as source:
        specs = tmp_path / "specs"
        specs.mkdir()
        for file in source.iterdir():
            (specs / file.name).write_bytes(file.read_bytes())
    specs.chmod(0)
    try:
        assert_refused(run_cli(*command, "--specs", str(specs)), str(specs), "cannot be read")
    finally:
        specs.chmod(0o755)
    assert emulator.requests() == []


@bad_input_settings(examples=15)
@given(targets=st.lists(st.text(max_size=30), min_size=1, max_size=3))
def test_a_target_that_matches_nothing_is_refused_before_any_call(emulator, targets: list[str]) -> None:
    assume(all("." not in t and "/" not in t and not t.startswith("-") for t in targets))
    emulator.clear_requests()
    argv = ["plan", "--env", "dev"]
    for target in targets:
        argv += ["--target", target]
    with specs_copy() as specs:
        assert_refused(run_cli(*argv, "--specs", str(specs)), "--target", "matches nothing")
    assert emulator.requests() == []


def _plan_json(**overrides: Any) -> str:
    data = Plan(env="dev", project="digitwin-live-dev", changes=[], observed={}).to_dict()
    data.update(overrides)
    return json.dumps(data, indent=2)


plan_files = st.one_of(
    st.binary(max_size=200),
    # Truncated anywhere short of its last character: never a whole JSON document.
    st.integers(min_value=0, max_value=len(_plan_json()) - 2).map(lambda n: _plan_json()[:n].encode()),
    st.one_of(st.integers(), st.text(max_size=5), st.none(), st.floats(allow_nan=False))
    .filter(lambda v: v != PLAN_FORMAT_VERSION)
    .map(lambda v: _plan_json(format_version=v).encode()),
    st.sampled_from([[], "plan", 1, None, {}, {"format_version": 1}]).map(lambda v: json.dumps(v).encode()),
    st.sampled_from(
        [
            {"env": 5},
            {"env": None},
            {"changes": "none"},
            {"changes": [1]},
            {"changes": [{"address": "x"}]},
            {"observed": []},
        ]
    ).map(lambda v: _plan_json(**v).encode()),
    st.integers(min_value=2_000, max_value=50_000).map(lambda n: ("[" * n + "]" * n).encode()),
)


@bad_input_settings(examples=40)
@given(content=plan_files)
def test_a_plan_file_that_is_not_a_plan_is_refused(emulator, content: bytes) -> None:
    emulator.clear_requests()
    with specs_copy() as specs:
        planfile = specs.parent / "plan.json"
        planfile.write_bytes(content)
        run = run_cli("apply", str(planfile), "--auto-approve", "--specs", str(specs))
        assert_refused(run, str(planfile))
    assert emulator.requests() == []


def test_a_plan_file_that_is_missing_or_a_folder_is_refused(emulator, tmp_path: Path) -> None:
    emulator.clear_requests()
    for planfile in (tmp_path / "missing.json", tmp_path):
        assert_refused(run_cli("apply", str(planfile), "--auto-approve"), str(planfile))
    assert emulator.requests() == []


not_positive = st.one_of(
    st.integers(max_value=0).map(str),
    st.sampled_from(["1.5", "x", "", "eight", "0x8", "1e3"]),
)
not_non_negative = st.one_of(
    st.floats(max_value=-1e-9, allow_nan=False).map(repr),
    st.sampled_from(["nan", "inf", "-inf", "x", "", "1,5"]),
)


@bad_input_settings(examples=25)
@given(
    command=st.sampled_from(["plan", "apply"]),
    option=st.sampled_from(["--parallelism", "--local-scale", "--lock-timeout"]),
    data=st.data(),
)
def test_numbers_out_of_range_are_usage_errors(
    emulator, command: str, option: str, data: st.DataObject
) -> None:
    assume(not (option == "--lock-timeout" and command != "apply"))
    value = data.draw(not_positive if option == "--parallelism" else not_non_negative)
    emulator.clear_requests()
    with specs_copy() as specs:
        run = run_cli(command, "--env", "dev", "--specs", str(specs), f"{option}={value}")
    assert_refused(run, option, codes=(USAGE,))
    assert emulator.requests() == []


def test_a_plan_out_path_in_a_missing_folder_is_refused_before_any_call(emulator, tmp_path: Path) -> None:
    emulator.clear_requests()
    out = tmp_path / "no" / "such" / "plan.json"
    with specs_copy() as specs:
        assert_refused(
            run_cli("plan", "--env", "dev", "--specs", str(specs), "--out", str(out)), str(out.parent)
        )
    assert emulator.requests() == []
