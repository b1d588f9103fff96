"""Bad input, property 7: a malformed spec is refused with a message naming file and field.

``validate`` and ``plan`` must exit 1, print no traceback and never reach the API, whatever
is wrong with the spec: wrong types, nonsense CIDRs and names, huge values, binary junk,
YAML bombs, deep nesting, duplicate keys, tabs, or a broken ``extends`` chain.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from provisioner.spec.rules import Path as KeyPath
from provisioner.spec.rules import format_path

from .conftest import assert_refused, override_dev, run_cli, specs_copy
from .strategies import (
    FIELDS,
    bad_input_settings,
    emit,
    invalid_names,
    nested,
    nonsense_cidrs,
    wrong_type_for,
)

COMMANDS = [("validate", "--env", "dev"), ("plan", "--env", "dev")]
# Each example runs one of the two commands (drawn with the example), which halves the run
# time; over a property's examples both commands see every kind of damage.
commands = st.sampled_from(COMMANDS)


def refused(
    emulator: Any, command: tuple[str, ...], yaml_text: str, *mentions: str, raw: bytes | None = None
) -> None:
    """Write the override (or raw bytes as dev.yaml); the command refuses it and calls nothing."""
    emulator.clear_requests()
    with specs_copy() as specs:
        if raw is None:
            dev = override_dev(specs, yaml_text)
        else:
            dev = specs / "dev.yaml"
            dev.write_bytes(raw)
        assert_refused(run_cli(*command, "--specs", str(specs)), str(dev), *mentions)
    assert emulator.requests() == []


def field_override(path: KeyPath, value: Any) -> str:
    top = path[0]
    return f"{top}: {emit(nested(path[1:], value))}\n" if len(path) > 1 else f"{top}: {emit(value)}\n"


@st.composite
def wrong_field(draw: st.DrawFn) -> tuple[KeyPath, Any]:
    path, current = draw(st.sampled_from(FIELDS))
    return path, draw(wrong_type_for(current))


@bad_input_settings(examples=30)
@given(command=commands, case=wrong_field())
def test_a_value_of_the_wrong_type_names_file_and_field(
    emulator, command: tuple[str, ...], case: tuple[KeyPath, Any]
) -> None:
    path, value = case
    refused(emulator, command, field_override(path, value), format_path(path))


CIDR_FIELDS: list[KeyPath] = [
    ("network", "subnet", "cidr"),
    ("network", "subnet", "pods", "cidr"),
    ("network", "subnet", "services", "cidr"),
    ("network", "vpc_connector", "cidr"),
    ("gke", "master_cidr"),
]


@bad_input_settings(examples=15)
@given(command=commands, path=st.sampled_from(CIDR_FIELDS), cidr=nonsense_cidrs)
def test_a_nonsense_cidr_names_file_and_field(
    emulator, command: tuple[str, ...], path: KeyPath, cidr: str
) -> None:
    refused(emulator, command, field_override(path, cidr), format_path(path))


@bad_input_settings(examples=10)
@given(command=commands, cidr=nonsense_cidrs)
def test_a_nonsense_firewall_source_range_names_its_index(
    emulator, command: tuple[str, ...], cidr: str
) -> None:
    rule = {"allow-internal": {"source_ranges": ["10.0.0.0/20", cidr]}}
    text = f"network: {emit({'firewall_rules': rule})}\n"
    refused(emulator, command, text, "network.firewall_rules.allow-internal.source_ranges[1]")


@bad_input_settings(examples=25)
@given(command=commands, case=invalid_names())
def test_an_invalid_name_names_file_and_field(
    emulator, command: tuple[str, ...], case: tuple[KeyPath, Any]
) -> None:
    path, value = case
    refused(emulator, command, field_override(path, value), format_path(path))


@bad_input_settings(examples=6)
@given(
    command=commands,
    path=st.sampled_from([p for p, v in FIELDS if isinstance(v, str)]),
    size=st.integers(min_value=16 * 1024 + 1, max_value=40_000),
    # Up to the Basic Multilingual Plane: escaped, each character takes at most 6 bytes, so the
    # file stays under the loader's size limit and the value's own limit is what refuses it.
    char=st.characters(max_codepoint=0xFFFF, blacklist_categories=["Cs", "Cc"]),
)
def test_a_huge_string_is_refused_by_size(
    emulator, command: tuple[str, ...], path: KeyPath, size: int, char: str
) -> None:
    text = field_override(path, char * size)
    refused(emulator, command, text, format_path(path), "characters long")


@bad_input_settings(examples=25)
@given(command=commands, junk=st.binary(max_size=300))
def test_binary_junk_in_place_of_a_spec_is_refused(emulator, command: tuple[str, ...], junk: bytes) -> None:
    refused(emulator, command, "", raw=junk)


@bad_input_settings(examples=15)
@given(
    command=commands,
    top=st.one_of(
        st.lists(st.integers(), max_size=5),
        st.text(min_size=1, max_size=30).filter(lambda t: ":" not in t and "#" not in t),
        st.integers(),
        st.booleans(),
    ),
)
def test_a_top_level_that_is_not_a_mapping_is_refused(emulator, command: tuple[str, ...], top: Any) -> None:
    refused(emulator, command, "", raw=emit(top).encode())


def billion_laughs(width: int, levels: int) -> str:
    lines = [f"l0: &l0 [{', '.join(['lol'] * width)}]"]
    for level in range(1, levels + 1):
        lines.append(f"l{level}: &l{level} [{', '.join([f'*l{level - 1}'] * width)}]")
    return "\n".join(lines) + "\n"


@bad_input_settings(examples=8)
@given(
    command=commands,
    width=st.integers(min_value=8, max_value=12),
    levels=st.integers(min_value=6, max_value=9),
)
def test_a_yaml_bomb_is_refused_quickly(emulator, command: tuple[str, ...], width: int, levels: int) -> None:
    started = time.monotonic()
    refused(emulator, command, billion_laughs(width, levels), "aliases")
    assert time.monotonic() - started < 5, "a bomb must be refused within seconds"


@bad_input_settings(examples=8)
@given(command=commands, depth=st.integers(min_value=65, max_value=3_000), flow=st.booleans())
def test_deep_nesting_is_refused(emulator, command: tuple[str, ...], depth: int, flow: bool) -> None:
    if flow:
        text = "labels: " + "[" * depth + "]" * depth + "\n"
    else:
        text = "labels:\n" + "".join(" " * (i + 1) + f"k{i}:\n" for i in range(min(depth, 600)))
    refused(emulator, command, text, "nested more than")


@bad_input_settings(examples=4)
@given(command=commands, count=st.integers(min_value=20_000, max_value=60_000))
def test_an_enormous_document_is_refused(emulator, command: tuple[str, ...], count: int) -> None:
    text = "labels:\n" + "".join(f"  k{i}: v{i}\n" for i in range(count))
    refused(emulator, command, text, "larger than")


@bad_input_settings(examples=10)
@given(
    command=commands,
    key=st.sampled_from(["env", "project", "region", "labels", "sql"]),
    first=st.text(alphabet="abcdefgh", min_size=1, max_size=8),
    second=st.text(alphabet="abcdefgh", min_size=1, max_size=8),
)
def test_a_duplicate_key_is_refused_with_its_line(
    emulator, command: tuple[str, ...], key: str, first: str, second: str
) -> None:
    refused(emulator, command, f"{key}: {first}\n{key}: {second}\n", "dev.yaml:3", "duplicate key")


@bad_input_settings(examples=10)
@given(
    command=commands,
    line=st.integers(min_value=1, max_value=20),
    indent=st.sampled_from(["\t", " \t", "\t  "]),
)
def test_a_tab_in_the_indentation_is_refused(
    emulator, command: tuple[str, ...], line: int, indent: str
) -> None:
    with specs_copy() as specs:
        lines = (specs / "dev.yaml").read_text().splitlines()
    # The first indented line at or after `line`, so the tab sits where indentation is.
    target = next(i for i in range(line, len(lines)) if lines[i].startswith("  "))
    lines[target] = indent + lines[target].lstrip(" ")
    refused(emulator, command, "", "YAML syntax error", raw="\n".join(lines).encode())


@bad_input_settings(examples=15)
@given(
    command=commands,
    value=st.one_of(
        st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=40).map(lambda t: f"_{t}.yaml"),
        st.integers(),
        st.lists(st.integers(), max_size=2),
        st.just(""),
        st.just("."),
        st.just("a\0b.yaml"),
        st.just("x" * 5000),
    ),
)
def test_a_missing_or_malformed_extends_is_refused(emulator, command: tuple[str, ...], value: Any) -> None:
    refused(emulator, command, "", "extends", raw=f"extends: {emit(value)}\n".encode())


@bad_input_settings(examples=6)
@given(command=commands, length=st.integers(min_value=1, max_value=6))
def test_a_cyclic_extends_is_refused(emulator, command: tuple[str, ...], length: int) -> None:
    emulator.clear_requests()
    with specs_copy() as specs:
        names = ["dev.yaml", *[f"_c{i}.yaml" for i in range(1, length)]]
        for index, name in enumerate(names):
            (specs / name).write_text(f"extends: {names[(index + 1) % length]}\nenv: dev\n")
        assert_refused(run_cli(*command, "--specs", str(specs)), "extends forms a cycle")
    assert emulator.requests() == []


@pytest.mark.parametrize(
    "text",
    [
        "sql: {disk: {size_gb: " + "9" * 5000 + "}}\n",  # beyond Python's int-from-text limit
        "sql: !!python/object:os.system {}\n",
        "env: !!binary ZGV2\n",
        "labels: !!set {a, b}\n",
        'env: "\\ud800"\n',
        "? [a, b]\n: 1\n",
        "1: one\n",
        "env: dev\n---\nenv: dev\n",
        "<<: {env: staging}\nlabels: !!omap [{a: B}]\n",
    ],
    ids=[
        "huge-int",
        "python-tag",
        "binary",
        "set",
        "surrogate",
        "list-key",
        "int-key",
        "two-docs",
        "merge-omap",
    ],
)
@pytest.mark.parametrize("command", COMMANDS, ids=["validate", "plan"])
def test_exotic_yaml_is_refused(emulator, command: tuple[str, ...], text: str) -> None:
    refused(emulator, command, text)
