"""Chains of resources that point at each other: torn down and replaced in an order the API accepts."""

from __future__ import annotations

from tests.engine.fakes import STORE, Links, linked, plan_and_apply


def run(resources, **options):
    return plan_and_apply(Links(resources), **options)


CHAIN = [
    linked("rule", ref="proxy"),
    linked("proxy", ref="map"),
    linked("map", ref="backend"),
    linked("backend"),
]


def test_pruning_a_chain_deletes_it_from_the_far_end():
    assert run(CHAIN)[1].ok
    STORE.calls.clear()

    _, result = run([], prune=True)

    assert result.ok, [(o.change.address, o.detail) for o in result.outcomes]
    deletes = [name for verb, name in STORE.calls if verb == "delete"]
    assert deletes == ["rule", "proxy", "map", "backend"]


def test_replacing_the_middle_of_a_chain_replaces_what_points_at_it():
    assert run(CHAIN)[1].ok
    changed = [
        linked("rule", ref="proxy"),
        linked("proxy", ref="map"),
        linked("map", ref="backend", zone="b"),
        linked("backend"),
    ]
    STORE.calls.clear()

    plan, result = run(changed)

    actions = {c.name: c.action for c in plan.changes}
    assert actions == {"map": "replace", "proxy": "replace", "rule": "replace"}
    assert "points at fake.linked/map" in next(c.reason for c in plan.changes if c.name == "proxy")
    assert result.ok, [(o.change.address, o.detail) for o in result.outcomes]
    writes = [(verb, name) for verb, name in STORE.calls if verb != "list"]
    assert writes == [
        ("delete", "rule"),
        ("delete", "proxy"),
        ("delete", "map"),
        ("create", "map"),
        ("create", "proxy"),
        ("create", "rule"),
    ]
    assert run(changed)[0].has_changes is False
