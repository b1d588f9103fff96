"""Hypothesis strategies for malformed specs and the YAML text that carries them."""

from __future__ import annotations

import ipaddress
import json
import math
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from provisioner.spec.rules import Path as KeyPath
from provisioner.spec.yaml_source import load_with_extends

from .conftest import SHIPPED_SPECS


def bad_input_settings(examples: int) -> settings:
    """Reproducible in CI (derandomized, no example database) and without per-example deadlines,
    since some examples start a plan against the emulator."""
    return settings(
        max_examples=examples,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.large_base_example,
        ],
    )


def emit(value: Any) -> str:
    """Flow-style YAML for ``value``; JSON is YAML except for the non-finite floats."""
    if isinstance(value, float) and not math.isfinite(value):
        return ".nan" if math.isnan(value) else (".inf" if value > 0 else "-.inf")
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(str(k))}: {emit(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(emit(v) for v in value) + "]"
    return json.dumps(value)


def nested(path: KeyPath, value: Any) -> dict[str, Any]:
    """``("a", "b")`` and ``v`` become ``{"a": {"b": v}}``: an override that reaches one field."""
    out: Any = value
    for part in reversed(path):
        out = {part: out}
    return out


def _leaves(data: Any, path: KeyPath = ()) -> list[tuple[KeyPath, Any]]:
    """Every field an override can reach: values under mappings (lists count as one value)."""
    if isinstance(data, dict) and data:
        out = []
        for key, value in data.items():
            out += _leaves(value, (*path, key))
        return out
    return [(path, data)]


DEV_DATA = load_with_extends(SHIPPED_SPECS / "dev.yaml").data
FIELDS = [(path, value) for path, value in _leaves(DEV_DATA) if path and path[0] != "extends"]

junk_text = st.text(max_size=40)
huge_ints = st.one_of(st.integers(min_value=2**63), st.integers(max_value=-(2**63) - 1))
non_finite = st.sampled_from([math.nan, math.inf, -math.inf])
# Keys a model would never know, so a mapping given for a scalar cannot turn out valid.
junk_mappings = st.dictionaries(st.text(max_size=8).map(lambda k: f"zz-{k}"), st.integers(), max_size=3)


def wrong_type_for(current: Any) -> st.SearchStrategy[Any]:
    """A value the field's type can never accept (strict models: no coercion, no None)."""
    lists = st.lists(st.integers(), min_size=1, max_size=3)
    if isinstance(current, bool):
        return st.one_of(junk_text, st.integers(), lists, junk_mappings)
    if isinstance(current, int):
        return st.one_of(junk_text, huge_ints, st.floats(), st.booleans(), lists, junk_mappings)
    if isinstance(current, float):
        return st.one_of(junk_text, non_finite, st.booleans(), lists, junk_mappings)
    if isinstance(current, str):
        return st.one_of(st.integers(), huge_ints, st.floats(), st.booleans(), lists, junk_mappings)
    if isinstance(current, list):
        mapping_items = st.lists(junk_mappings, min_size=1, max_size=2)
        return st.one_of(junk_text, st.integers(), junk_mappings, mapping_items)
    return st.one_of(junk_text, st.integers(), lists)  # an (empty) mapping


def is_cidr(text: str) -> bool:
    try:
        ipaddress.IPv4Network(text, strict=True)
    except ValueError:
        return False
    return "/" in text


octet = st.integers(min_value=0, max_value=999)
nonsense_cidrs = st.one_of(
    junk_text,
    st.builds(lambda a, b, c, d, p: f"{a}.{b}.{c}.{d}/{p}", octet, octet, octet, octet, st.integers(0, 99)),
    st.builds(lambda a, b: f"10.{a}.0.0/{b}", st.integers(0, 255), st.integers(-5, 40)),
    st.builds(lambda a: f"10.0.0.{a}", st.integers(0, 255)),  # no prefix length
    st.builds(lambda a: f"10.0.0.{a}/20", st.integers(1, 255)),  # host bits set
    st.sampled_from(["::1/128", "fd00::/8", "10.0.0.0/20\n", " 10.0.0.0/20", "١٠.0.0.0/20", "10.0.0.0/٢٠"]),
).filter(lambda text: not is_cidr(text))


def _spoil(name: str, limited: bool) -> st.SearchStrategy[str]:
    """A valid name made invalid in one of the ways people (and copy-paste) do it."""
    spoiled = [
        st.just(name + "\n"),
        st.just(name.upper()),
        st.just(" " + name),
        st.just("9" + name),
        st.just(name + "é"),
        st.just(name + "٣"),  # an Arabic-Indic digit: str.isdigit() and \d say yes
        st.just(""),
        st.text(alphabet=st.characters(min_codepoint=0x80), min_size=1, max_size=12),
    ]
    if limited:
        spoiled.append(st.just(name + "a" * 70))
    return st.one_of(spoiled)


# (field, a valid value whose spoiled forms must all be refused, whether its length is limited)
NAMED_FIELDS: list[tuple[KeyPath, str, bool]] = [
    (("env",), "dev", True),
    (("project",), "digitwin-live-dev", True),
    (("region",), "us-central1", False),
    (("labels",), "cost-center", True),  # used as a label key
    (("network", "vpc_name"), "main-vpc", True),
    (("sql", "database", "name"), "digitwin", True),
    (("sql", "user", "name"), "digitwin_app", True),
    (("sql", "tier"), "db-custom-1-3840", False),
    (("sql", "backups", "start_time"), "03:00", False),
    (("apis",), "compute.googleapis.com", False),
]


@st.composite
def invalid_names(draw: st.DrawFn) -> tuple[KeyPath, Any]:
    path, valid, limited = draw(st.sampled_from(NAMED_FIELDS))
    bad = draw(_spoil(valid, limited).filter(lambda s: s != valid))
    if path == ("labels",):
        return path, {bad: "x"}
    if path == ("apis",):
        return path, [bad]
    return path, bad
