"""Which fields an ignore rule leaves to others, over the whole space of bodies and patterns.

A pattern ignores a path or anything under it, segment by segment (`labels.team` is not
`labels.teams`), case-sensitively, with `*` crossing dots. What the spec still owns, and
what an update writes back, follow from that one matching rule.
"""

from __future__ import annotations

import copy
from types import SimpleNamespace
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from provisioner.engine.ignore import (
    attach,
    body_paths,
    keep_live,
    matching_pattern,
    rule_matches,
    without_ignored,
)
from provisioner.engine.resource import Resource

SETTINGS = settings(max_examples=150, derandomize=True, database=None, deadline=None)

segments = st.text(alphabet="abcAB", min_size=1, max_size=3)
paths = st.lists(segments, min_size=1, max_size=4).map(".".join)
leaves = (
    st.none()
    | st.booleans()
    | st.integers(-5, 5)
    | st.text(alphabet="xyz", max_size=3)
    | st.lists(st.integers(0, 3), max_size=2)
)
bodies = st.recursive(
    st.dictionaries(segments, leaves, max_size=3),
    lambda inner: st.dictionaries(segments, inner | leaves, max_size=3),
    max_leaves=10,
)

_MISSING = object()


def _at(body: Any, path: str) -> Any:
    node = body
    for key in path.split("."):
        if not isinstance(node, dict) or key not in node:
            return _MISSING
        node = node[key]
    return node


def _ancestors(path: str) -> list[str]:
    parts = path.split(".")
    return [".".join(parts[:end]) for end in range(1, len(parts))]


# -- matching ------------------------------------------------------------------------------------
@SETTINGS
@given(paths, st.data())
def test_a_pattern_ignores_its_path_and_everything_under_it(path, data):
    parts = path.split(".")
    cut = data.draw(st.integers(1, len(parts)))
    pattern = ".".join(parts[:cut])
    assert matching_pattern(path, [pattern]) == pattern
    assert matching_pattern(path, {pattern: "why"}) == pattern
    assert matching_pattern(path, {"zzz": "other", pattern: "why"}) == pattern


@SETTINGS
@given(paths, segments)
def test_a_pattern_below_a_path_or_beside_it_does_not_ignore_it(path, extra):
    assert matching_pattern(path, [f"{path}.{extra}"]) is None
    assert matching_pattern(path, [path + extra]) is None  # labels.teams is not labels.team
    assert matching_pattern(path, []) is None


@SETTINGS
@given(paths)
def test_matching_is_case_sensitive(path):
    swapped = path.swapcase()
    if swapped != path:
        assert matching_pattern(path, [swapped]) is None


@SETTINGS
@given(paths)
def test_a_star_crosses_dots(path):
    first = path.split(".")[0]
    assert matching_pattern(path, ["*"]) == "*"
    assert matching_pattern(path, [f"{first}*"]) == f"{first}*"
    assert matching_pattern(f"{path}.x.y", [f"{first}.*.y", "*.x"]) is not None


@SETTINGS
@given(paths)
def test_the_widest_ignored_parent_is_the_one_named(path):
    """The reason shown is that of the widest rule that covers the field, whatever the rule order."""
    parts = path.split(".")
    patterns = {".".join(parts[:end]): f"rule {end}" for end in range(len(parts), 0, -1)}
    assert matching_pattern(path, patterns) == parts[0]


def test_a_pattern_on_the_field_beats_a_star_listed_after_it():
    """Paths are matched from the top segment down; no empty path comes first for `*` to match."""
    assert matching_pattern("labels.team", {"labels": "data", "*": "everything"}) == "labels"
    assert matching_pattern("labels", ["labels.*", "*"]) == "*"


def test_matching_in_examples():
    assert matching_pattern("labels.team", ["labels.team"]) == "labels.team"
    assert matching_pattern("labels.team", ["labels"]) == "labels"
    assert matching_pattern("labels.teams", ["labels.team"]) is None
    assert matching_pattern("labels", ["labels.team"]) is None
    assert matching_pattern("template.scaling.maxInstanceCount", ["template.scaling"]) == "template.scaling"
    assert matching_pattern("autoscaling.totalMaxNodeCount", ["*MaxNodeCount"]) == "*MaxNodeCount"
    assert matching_pattern("a.b", ["b"]) is None
    assert matching_pattern("Labels.team", ["labels"]) is None


def test_a_rule_names_resources_by_address_glob_or_kind():
    assert rule_matches("gke.node_pool", "gke.node_pool/r/c/p", "gke.node_pool")
    assert rule_matches("storage.bucket/*-documents", "storage.bucket/x-documents", "storage.bucket")
    assert not rule_matches("storage.bucket/*-documents", "storage.bucket/x-media", "storage.bucket")
    assert not rule_matches("gke.node_pool", "gke.cluster/c", "gke.cluster")
    assert not rule_matches("GKE.node_pool", "gke.node_pool/p", "gke.node_pool")


# -- what an existing resource still owns --------------------------------------------------------
@SETTINGS
@given(bodies, st.data())
def test_without_ignored_drops_exactly_the_ignored_paths(body, data):
    every = list(body_paths(body))
    chosen = data.draw(st.lists(st.sampled_from(every), max_size=3)) if every else []
    patterns = {p: "why" for p in chosen}
    before = copy.deepcopy(body)
    owned = without_ignored(body, patterns)
    assert body == before
    for path in every:
        if matching_pattern(path, patterns) is not None:
            assert _at(owned, path) is _MISSING, path
        elif not isinstance(_at(body, path), dict):
            assert _at(owned, path) == _at(body, path), path
        else:
            assert isinstance(_at(owned, path), dict), path
    assert set(body_paths(owned)) <= set(every)


@SETTINGS
@given(bodies)
def test_without_patterns_a_body_is_owned_whole(body):
    assert without_ignored(body, {}) == body
    assert keep_live(body, {}, {}) == body


@SETTINGS
@given(bodies, bodies, st.data())
def test_keep_live_writes_the_live_value_of_every_ignored_field(body, live, data):
    every = list(body_paths(body))
    chosen = data.draw(st.lists(st.sampled_from(every), max_size=3)) if every else []
    patterns = {p: "why" for p in chosen}
    before = copy.deepcopy((body, live))
    kept = keep_live(body, live, patterns)
    assert (body, live) == before
    for path in every:
        if any(matching_pattern(a, patterns) for a in _ancestors(path)):
            continue  # decided by its ignored parent
        if matching_pattern(path, patterns) is not None:
            assert _at(kept, path) is _at(live, path) is _MISSING or _at(kept, path) == _at(live, path), path
        elif isinstance(_at(body, path), dict):
            assert isinstance(_at(kept, path), dict), path
        else:
            assert _at(kept, path) == _at(body, path), path


def test_keep_live_in_examples():
    body = {"autoscaling": {"min": 1, "max": 3}, "labels": {"team": "a", "env": "dev"}, "size": 10}
    live = {"autoscaling": {"min": 2, "max": 9}, "labels": {"env": "prod"}, "size": "flat"}
    patterns = {"autoscaling.max": "ops", "labels.team": "data"}
    kept = keep_live(body, live, patterns)
    assert kept == {"autoscaling": {"min": 1, "max": 9}, "labels": {"env": "dev"}, "size": 10}
    # a live side that is not a map where the body has one holds nothing to keep
    assert keep_live({"a": {"b": 1, "c": 2}}, {"a": "x"}, {"a.b": "r"}) == {"a": {"c": 2}}
    assert keep_live({"a": {"b": 1}}, None, {"a.b": "r"}) == {"a": {}}
    # the whole ignored map is the live one, and a copy of it
    whole = keep_live(body, live, {"autoscaling": "ops"})
    assert whole["autoscaling"] == {"min": 2, "max": 9}
    whole["autoscaling"]["max"] = 0
    assert live["autoscaling"]["max"] == 9
    nested_live = {"template": {"scaling": {"limits": {"max": 5}}}}
    nested = keep_live({"template": {"scaling": {}}}, nested_live, {"template.scaling": "ops"})
    nested["template"]["scaling"]["limits"]["max"] = 0
    assert nested_live["template"]["scaling"]["limits"]["max"] == 5


def test_body_paths_go_down_through_maps_and_stop_at_lists():
    body = {"a": {"b": {"c": 1}, "d": [{"e": 1}]}, "f": 2}
    assert list(body_paths(body)) == ["a", "a.b", "a.b.c", "a.d", "f"]
    assert list(body_paths({})) == []
    assert list(body_paths({1: {2: 3}})) == ["1", "1.2"]


# -- which resources a rule names ----------------------------------------------------------------
def _rule(resource: str, *fields: str, reason: str = "why") -> Any:
    return SimpleNamespace(resource=resource, fields=list(fields), reason=reason)


def test_attach_gives_each_resource_the_fields_of_every_rule_naming_it():
    pool = Resource("gke.node_pool", "r/c/gpu", {"autoscaling": {}})
    bucket = Resource("storage.bucket", "x-documents", {"labels": {}}, ignore={"labels.owner": "own reason"})
    other = Resource("storage.bucket", "x-media", {"labels": {}})
    rules = [
        _rule("gke.node_pool", "autoscaling.totalMaxNodeCount", reason="ops raise it"),
        _rule("storage.bucket/*-documents", "labels.team", "labels.owner", reason="data team"),
        _rule("storage.bucket", "labels.team", reason="later rule"),
    ]
    out = attach([pool, bucket, other], rules)
    assert [r.address for r in out] == [pool.address, bucket.address, other.address]
    assert out[0].ignore == {"autoscaling.totalMaxNodeCount": "ops raise it"}
    # the first rule naming a field gives its reason; the resource's own reason stands
    assert out[1].ignore == {"labels.owner": "own reason", "labels.team": "data team"}
    assert out[2].ignore == {"labels.team": "later rule"}
    assert bucket.ignore == {"labels.owner": "own reason"}


def test_attach_without_rules_or_matches_keeps_the_resources_as_they_are():
    bucket = Resource("storage.bucket", "b", {"labels": {}})
    assert attach([bucket], None) == [bucket]
    assert attach([bucket], []) == [bucket]
    assert attach((bucket,), iter([])) == [bucket]
    out = attach([bucket], [_rule("gke.node_pool", "x")])
    assert out == [bucket] and out[0] is bucket
    assert isinstance(attach((bucket,), None), list)
