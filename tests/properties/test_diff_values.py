"""Whether a field differs: value equality across JSON types, list order, what the spec owns.

A wrong answer here is either a perpetual diff (the plan never settles) or drift never
seen, so equality is checked over the whole space of JSON values, not a few examples.
"""

from __future__ import annotations

import copy
import datetime
import json
import random
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from provisioner.engine.diff import deep_merge, field_changes, live_view, scalars_equal, values_equal
from provisioner.engine.kind import Kind, KindMeta
from provisioner.engine.plan import FieldChange
from provisioner.engine.resource import LiveResource, Resource

SETTINGS = settings(max_examples=150, derandomize=True, database=None, deadline=None)

keys = st.text(alphabet="abcdefgh", min_size=1, max_size=3)
numbers = st.integers(-(10**9), 10**9) | st.floats(allow_nan=False, allow_infinity=False, width=32)
scalars = st.none() | st.booleans() | numbers | st.text(max_size=6)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=4),
    max_leaves=12,
)
bodies = st.dictionaries(keys, json_values, min_size=1, max_size=5)


class Plain(Kind):
    """A kind with no defaults and no normalisation: the diff as it is."""

    meta = KindMeta(kind="test.plain")

    def observe(self, desired):  # pragma: no cover - the diff never lists
        return []

    create = update = delete = observe


class Ordered(Plain):
    meta = KindMeta(
        kind="test.ordered",
        unordered=("members", "rules.sources"),
        api_defaults={"tier": "standard", "retention": {"days": 7, "locked": False}},
    )


def changes(body: dict[str, Any], live: dict[str, Any], kind: type[Kind] = Plain) -> list[FieldChange]:
    return field_changes(
        kind(None), Resource(kind.meta.kind, "r", body), LiveResource(kind.meta.kind, "r", live, True)
    )


# -- scalars -------------------------------------------------------------------------------------
@SETTINGS
@given(scalars)
def test_every_scalar_equals_itself(value):
    assert scalars_equal(value, value)
    assert values_equal(value, value)


@SETTINGS
@given(scalars, scalars)
def test_scalar_equality_is_symmetric(a, b):
    assert scalars_equal(a, b) == scalars_equal(b, a)


@SETTINGS
@given(st.booleans(), st.integers(-2, 2) | st.floats(-2, 2) | st.just("true") | st.just("1"))
def test_a_bool_equals_only_the_same_bool(flag, other):
    """YAML's `true` is not the API's 1 or "true": a bool against anything else differs."""
    assert not scalars_equal(flag, other)
    assert not scalars_equal(other, flag)
    assert scalars_equal(flag, bool(flag))
    assert not scalars_equal(flag, not flag)


@SETTINGS
@given(st.integers(-(10**12), 10**12))
def test_an_int64_spelt_as_a_string_equals_its_number(number):
    """Some APIs send int64 fields as JSON strings ("604800"), others as numbers."""
    assert scalars_equal(number, str(number))
    assert scalars_equal(str(number), number)
    assert scalars_equal(float(number), str(number))
    assert not scalars_equal(number, str(number + 1))
    assert not scalars_equal(str(number + 1), number)


@SETTINGS
@given(numbers, st.text(alphabet="abcxyz -", min_size=1, max_size=6))
def test_a_number_never_equals_a_word(number, word):
    assert not scalars_equal(number, word)
    assert not scalars_equal(word, number)


@SETTINGS
@given(st.integers(-1000, 1000))
def test_an_int_equals_the_same_float_and_no_other(number):
    assert scalars_equal(number, float(number))
    assert scalars_equal(float(number), number)
    assert not scalars_equal(number, number + 0.5)


@SETTINGS
@given(st.text(max_size=6), st.text(max_size=6))
def test_strings_are_equal_only_when_identical(a, b):
    assert scalars_equal(a, b) == (a == b)
    assert not scalars_equal(a, None) and not scalars_equal(None, a)


# -- maps and lists ------------------------------------------------------------------------------
def _leaves(value: Any, path: tuple = ()) -> list[tuple]:
    if isinstance(value, dict):
        return [leaf for k, v in value.items() for leaf in _leaves(v, (*path, k))]
    if isinstance(value, list):
        return [leaf for i, v in enumerate(value) for leaf in _leaves(v, (*path, i))]
    return [path]


def _set(value: Any, path: tuple, new: Any) -> Any:
    out = copy.deepcopy(value)
    node = out
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = new
    return out


def _other(value: Any) -> Any:
    """A scalar that differs from `value` by every reading of equality."""
    return "something else" if value != "something else" else 12345


@SETTINGS
@given(json_values)
def test_every_json_value_equals_a_copy_of_itself(value):
    assert values_equal(value, copy.deepcopy(value))
    assert values_equal(value, copy.deepcopy(value), unordered=True)


@SETTINGS
@given(json_values, st.data())
def test_changing_any_one_leaf_makes_values_differ(value, data):
    leaves = [p for p in _leaves(value) if p]
    if not leaves:
        return
    path = data.draw(st.sampled_from(leaves))
    node = value
    for step in path:
        node = node[step]
    changed = _set(value, path, _other(node))
    assert not values_equal(value, changed)
    assert not values_equal(changed, value)


@SETTINGS
@given(st.dictionaries(keys, scalars, min_size=1, max_size=4), keys, scalars)
def test_a_map_with_a_key_more_or_less_differs(mapping, key, extra):
    if key in mapping:
        return
    bigger = {**mapping, key: extra}
    assert not values_equal(mapping, bigger)
    assert not values_equal(bigger, mapping)
    assert not values_equal(mapping, list(mapping.values()))
    assert not values_equal(mapping, None)


@SETTINGS
@given(st.lists(scalars, min_size=1, max_size=5), scalars)
def test_a_list_with_an_item_more_or_less_differs(items, extra):
    for unordered in (False, True):
        assert not values_equal(items, [*items, extra], unordered=unordered)
        assert not values_equal([*items, extra], items, unordered=unordered)
        assert not values_equal(items, items[0], unordered=unordered)
        assert not values_equal(items, {"0": items[0]}, unordered=unordered)


def _shuffled(value: Any, rng: random.Random) -> Any:
    """The same list in another order, each map's keys in another order too (JSON does not keep it)."""
    if isinstance(value, dict):
        keys_ = list(value)
        rng.shuffle(keys_)
        return {k: _shuffled(value[k], rng) for k in keys_}
    if isinstance(value, list):
        items = [_shuffled(v, rng) for v in value]
        rng.shuffle(items)
        return items
    return value


distinct_items = st.lists(
    st.dictionaries(keys, st.integers(0, 3), min_size=1, max_size=3)
    | st.integers(0, 9)
    | st.text(alphabet="xyz", max_size=3),
    min_size=2,
    max_size=6,
    unique_by=lambda v: json.dumps(v, sort_keys=True),
)


@SETTINGS
@given(distinct_items, st.randoms(use_true_random=False))
def test_an_unordered_list_equals_any_order_of_itself(items, rng):
    assert values_equal(items, _shuffled(items, rng), unordered=True)


@SETTINGS
@given(distinct_items)
def test_an_ordered_list_differs_from_another_order_of_itself(items):
    assert not values_equal(items, list(reversed(items)))


def test_unordered_maps_are_matched_by_content_whatever_their_key_order():
    want = [{"b": 0, "a": 1}, {"a": 2, "b": 0}]
    have = [{"a": 1, "b": 0}, {"a": 2, "b": 0}]
    assert values_equal(want, have, unordered=True)
    assert values_equal(have, want, unordered=True)


def test_an_unordered_list_may_hold_values_json_cannot_spell():
    """YAML reads `2026-01-01` as a date; sorting such a list must not fail."""
    day = datetime.date(2026, 1, 1)
    assert values_equal([day, "x"], ["x", day], unordered=True)


def test_only_the_outer_list_is_unordered():
    """A list inside an unordered list's item keeps its order: the API keeps that one."""
    want = [{"ports": ["80", "443"]}, {"ports": ["22"]}]
    assert values_equal(want, [{"ports": ["22"]}, {"ports": ["80", "443"]}], unordered=True)
    assert not values_equal(want, [{"ports": ["443", "80"]}, {"ports": ["22"]}], unordered=True)
    assert not values_equal([["a", "b"], ["c"]], [["c"], ["b", "a"]], unordered=True)
    assert not values_equal({"m": ["a", "b"]}, {"m": ["b", "a"]}, unordered=True)


# -- what the spec owns --------------------------------------------------------------------------
@SETTINGS
@given(bodies, st.dictionaries(keys, json_values, max_size=3))
def test_a_live_body_holding_the_spec_and_more_has_no_changes(body, extra):
    live = {**extra, **copy.deepcopy(body)}
    assert changes(body, live) == []


@SETTINGS
@given(bodies, st.data())
def test_one_changed_leaf_is_one_change_at_its_path(body, data):
    leaves = [p for p in _leaves(body) if not any(isinstance(s, int) for s in p)]
    if not leaves:
        return
    path = data.draw(st.sampled_from(leaves))
    node = body
    for step in path:
        node = node[step]
    if node is None or node == {} or node == []:
        return  # the spec leaves an unset field, an empty map or list to the API
    live = _set(body, path, _other(node))
    assert changes(body, live) == [FieldChange(".".join(path), _other(node), node)]


@SETTINGS
@given(bodies)
def test_changes_come_in_path_order_with_live_values_before_spec_values(body):
    found = changes(body, {})
    paths = [c.path for c in found]
    assert paths == sorted(paths)
    for change in found:
        assert change.before is None and change.after is not None


def test_a_list_where_the_live_side_has_none_differs_unless_empty():
    assert changes({"tags": ["a"]}, {}) == [FieldChange("tags", None, ["a"])]
    assert changes({"tags": []}, {}) == []
    assert changes({"tags": []}, {"tags": ["a"]}) == [FieldChange("tags", ["a"], [])]
    assert changes({"flag": False}, {}) == [FieldChange("flag", None, False)]
    assert changes({"count": 0}, {}) == [FieldChange("count", None, 0)]
    assert changes({"name": ""}, {}) == [FieldChange("name", None, "")]


def test_a_map_against_a_live_scalar_is_one_change_of_the_whole_map():
    assert changes({"a": {"b": 1, "c": 2}}, {"a": "flat"}) == [FieldChange("a", "flat", {"b": 1, "c": 2})]
    assert changes({"a": {"b": 1}}, {"a": [1]}) == [FieldChange("a", [1], {"b": 1})]
    assert changes({"a": {"b": 1}}, {"a": None}) == [FieldChange("a.b", None, 1)]
    assert changes({"a": {"b": {"c": 1}}}, {}) == [FieldChange("a.b.c", None, 1)]


def test_unset_and_empty_maps_in_the_spec_own_nothing():
    assert changes({"a": None, "b": {}}, {"a": 5, "b": {"x": 1}}) == []
    assert changes({"b": {"c": {}}}, {"b": {"c": {"x": 1}}}) == []


def test_unordered_paths_are_kind_specific_and_exact():
    live = {"members": ["b", "a"], "rules": {"sources": ["y", "x"], "targets": ["2", "1"]}, "other": [2, 1]}
    body = {"members": ["a", "b"], "rules": {"sources": ["x", "y"], "targets": ["1", "2"]}, "other": [1, 2]}
    assert [c.path for c in changes(body, live, Ordered)] == ["other", "rules.targets"]
    expected = ["members", "other", "rules.sources", "rules.targets"]
    assert [c.path for c in changes(body, live, Plain)] == expected


# -- the live side as the diff sees it -----------------------------------------------------------
def test_api_defaults_fill_what_the_live_side_leaves_unset():
    body = {"tier": "standard", "retention": {"days": 7, "locked": False}}
    assert changes(body, {}, Ordered) == []
    assert changes(body, {"retention": {"days": 30}}, Ordered) == [FieldChange("retention.days", 30, 7)]
    assert changes({"tier": "premium"}, {}, Ordered) == [FieldChange("tier", "standard", "premium")]


def test_the_live_view_leaves_the_kind_and_the_live_body_untouched():
    class Lowering(Ordered):
        def normalise(self, body):
            body["tier"] = str(body.get("tier", "standard")).lower()
            body.setdefault("retention", {})["days"] = 1
            return body

    live = LiveResource(Lowering.meta.kind, "r", {"tier": "PREMIUM", "retention": {"locked": True}}, True)
    view = live_view(Lowering(None), live)
    assert view == {"tier": "premium", "retention": {"days": 1, "locked": True}}
    assert live.body == {"tier": "PREMIUM", "retention": {"locked": True}}
    view["retention"]["days"] = 99
    assert Ordered.meta.api_defaults == {"tier": "standard", "retention": {"days": 7, "locked": False}}


@SETTINGS
@given(st.dictionaries(keys, json_values, max_size=4), st.dictionaries(keys, json_values, max_size=4))
def test_a_merge_keeps_the_base_and_lets_the_override_win(base, override):
    before = copy.deepcopy((base, override))
    merged = deep_merge(base, override)
    assert (base, override) == before
    for key, value in override.items():
        if not (isinstance(value, dict) and isinstance(base.get(key), dict)):
            assert merged[key] == value
        else:
            assert merged[key] == deep_merge(base[key], value)
    for key in set(base) - set(override):
        assert merged[key] == base[key]
    assert set(merged) == set(base) | set(override)
    for key, value in merged.items():
        if isinstance(value, (dict, list)):
            assert value is not base.get(key) and value is not override.get(key)


def test_a_merge_shares_nothing_with_what_it_merged():
    """Lists of maps too: editing the merged view must never edit the API's defaults or the live body."""
    base = {"rules": [{"port": 80}], "meta": {"tags": ["a"]}}
    override = {"sources": [{"range": "10.0.0.0/8"}], "meta": {"more": [{"x": 1}]}}
    merged = deep_merge(base, override)
    merged["rules"][0]["port"] = 1
    merged["sources"][0]["range"] = "0.0.0.0/0"
    merged["meta"]["tags"].append("b")
    merged["meta"]["more"][0]["x"] = 2
    assert base == {"rules": [{"port": 80}], "meta": {"tags": ["a"]}}
    assert override == {"sources": [{"range": "10.0.0.0/8"}], "meta": {"more": [{"x": 1}]}}
