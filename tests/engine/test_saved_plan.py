"""A saved plan: read back as written, ignored fields included, and refused once the live side moved.

`apply plan.json` applies exactly what was reviewed. The file must carry everything the
apply needs (the bodies, with ignored fields at their live values, and the ignored
differences for the auditor), and a change on the live side of any field the plan owns
must make it stale, while what the plan does not own (fields the API advances, fields an
ignore rule leaves to others) must not.
"""

from __future__ import annotations

import copy
import datetime
import json
from collections.abc import Sequence
from dataclasses import replace
from types import SimpleNamespace

import pytest

from provisioner.engine.ignore import IgnoredField
from provisioner.engine.plan import PLAN_FORMAT_VERSION, Change, FieldChange, Plan, resource_to_dict
from provisioner.engine.planner import Planner, PlanOptions
from provisioner.engine.resource import LiveResource, Resource
from provisioner.workflows.apply_steps import refuse_if_moved, stale
from tests.engine.fakes import STORE, Thing, Things, fake_context, thing

MANAGED = {"managed-by": "digitwin-provisioner"}


class Versioned(Thing):
    """A thing whose API keeps an etag beside the body, as most Google APIs do."""

    meta = replace(Thing.meta, kind="fake.versioned")

    def observe(self, desired: Sequence[Resource]) -> list[LiveResource]:
        return [
            LiveResource(
                self.meta.kind,
                name,
                {k: v for k, v in body.items() if k != "etag"},
                managed=True,
                version=body.get("etag"),
            )
            for name, body in STORE.items.items()
        ]


class VersionedThings(Things):
    kinds = (Versioned,)


def _pool(**body) -> Resource:
    body.setdefault("labels", dict(MANAGED))
    return Resource(
        kind=Thing.meta.kind,
        name="pool",
        body=body,
        ignore={
            "autoscaling.max": "the on-call team raises the ceiling",
            "labels.team": "set by the data team",
        },
    )


def _planner(resources: list[Resource]) -> Planner:
    versioned = any(r.kind == Versioned.meta.kind for r in resources)
    return Planner(fake_context(), [(VersionedThings if versioned else Things)(resources)])


def _plan(resources: list[Resource], **options) -> tuple[Planner, Plan]:
    planner = _planner(resources)
    return planner, planner.plan(PlanOptions(**options))


# -- the round trip ------------------------------------------------------------------------------
def test_a_saved_plan_with_ignored_fields_reads_back_as_it_was_written(tmp_path):
    STORE.items["pool"] = {
        "size": 1,
        "autoscaling": {"min": 1, "max": 9},
        "labels": {**MANAGED, "team": "data"},
    }
    desired = _pool(size=2, autoscaling={"min": 1, "max": 3}, labels={**MANAGED, "team": "platform"})
    _, plan = _plan([desired, thing("fresh", size=1)])
    assert plan.ignored == {
        "fake.thing/pool": [
            IgnoredField("autoscaling.max", 9, 3, "the on-call team raises the ceiling"),
            IgnoredField("labels.team", "data", "platform", "set by the data team"),
        ]
    }
    path = tmp_path / "plan.json"
    plan.save(path)
    loaded = Plan.load(path)

    assert loaded.to_dict() == plan.to_dict()
    assert loaded.ignored == plan.ignored
    assert (loaded.env, loaded.project, loaded.created_at) == ("dev", "p-dev", plan.created_at)
    assert loaded.observed == plan.observed and loaded.unchanged == plan.unchanged
    assert loaded.options == PlanOptions().to_dict()
    update = next(c for c in loaded.changes if c.name == "pool")
    assert update.action == "update"
    assert update.fields == [FieldChange("size", 1, 2)]
    # what the apply writes: the spec's size, and the live values of the ignored fields
    written = update.resource()
    assert written.body == {
        "size": 2,
        "autoscaling": {"min": 1, "max": 9},
        "labels": {**MANAGED, "team": "data"},
    }
    assert written.ignore == desired.ignore
    assert written.address == "fake.thing/pool"
    saved = json.loads(path.read_text())
    assert saved["format_version"] == PLAN_FORMAT_VERSION
    assert saved["summary"] == {
        "create": 1,
        "update": 1,
        "replace": 0,
        "delete": 0,
        "abandon": 0,
        "unchanged": 0,
        "blocked": 0,
    }
    assert {c["name"]: c["symbol"] for c in saved["changes"]} == {"pool": "~", "fresh": "+"}
    assert saved["ignored"]["fake.thing/pool"][0] == {
        "path": "autoscaling.max",
        "live": 9,
        "desired": 3,
        "reason": "the on-call team raises the ceiling",
    }


def test_every_field_of_a_saved_plan_is_written_as_documented_and_read_back(tmp_path):
    resource = Resource(
        "fake.thing",
        "full",
        {"size": 2},
        deps=("fake.thing/base",),
        deletion_policy="abandon",
        create_only={"rotation": "2026-12-05"},
        display_name="the full one",
        ignore={"team": "data team"},
    )
    change = Change(
        resource.address,
        resource.kind,
        resource.name,
        "update",
        fields=[FieldChange("size", 1, 2)],
        note="restarts it",
        desired=resource_to_dict(resource),
    )
    plan = Plan(
        "dev",
        "p-dev",
        [change],
        {resource.address: "0123456789abcdef"},
        unchanged=3,
        options={"prune": True},
        notices={"fake.thing/cert": "certificate provisioning"},
        ignored={resource.address: [IgnoredField("team", "data", "ml", "data team")]},
        created_at="2026-12-04T10:00:00+00:00",
    )
    path = tmp_path / "plan.json"
    plan.save(path)
    text = path.read_text()
    assert text.startswith('{\n  "format_version": 1,\n  "env": "dev",\n') and text.endswith("}\n")
    saved = json.loads(text)
    assert list(saved) == [
        "format_version",
        "env",
        "project",
        "created_at",
        "options",
        "summary",
        "changes",
        "notices",
        "observed",
        "ignored",
    ]
    assert saved["notices"] == {"fake.thing/cert": "certificate provisioning"}
    assert saved["summary"]["unchanged"] == 3
    assert saved["changes"][0]["desired"] == {
        "kind": "fake.thing",
        "name": "full",
        "body": {"size": 2},
        "deps": ["fake.thing/base"],
        "deletion_policy": "abandon",
        "create_only": {"rotation": "2026-12-05"},
        "display_name": "the full one",
        "ignore": {"team": "data team"},
    }
    loaded = Plan.load(path)
    assert loaded.to_dict() == plan.to_dict()
    assert loaded.notices == plan.notices and loaded.unchanged == 3
    assert loaded.changes[0].resource() == resource


def test_a_plan_holding_values_json_cannot_spell_is_still_saved(tmp_path):
    when = datetime.datetime(2026, 12, 4, 10, 0, tzinfo=datetime.UTC)
    change = Change("fake.thing/a", "fake.thing", "a", "update", fields=[FieldChange("updated", when, None)])
    Plan("dev", "p", [change], {}).save(tmp_path / "plan.json")
    saved = json.loads((tmp_path / "plan.json").read_text())
    assert saved["changes"][0]["fields"] == [{"path": "updated", "before": str(when), "after": None}]


def test_a_plan_without_ignored_differences_reads_as_plans_always_did(tmp_path):
    _, plan = _plan([thing("a", size=1)])
    plan.save(tmp_path / "plan.json")
    saved = json.loads((tmp_path / "plan.json").read_text())
    assert "ignored" not in saved and "ignore" not in saved["changes"][0]["desired"]
    assert Plan.load(tmp_path / "plan.json").ignored == {}


def test_an_ignored_field_missing_its_values_reads_as_unknown():
    assert IgnoredField.from_dict({"path": "labels.team"}) == IgnoredField("labels.team", None, None, "")
    field = IgnoredField("a.b", {"x": [1]}, False, "why")
    assert IgnoredField.from_dict(field.to_dict()) == field
    with pytest.raises(KeyError):
        IgnoredField.from_dict({"live": 1})


def test_a_plan_of_another_format_version_is_refused_with_the_fix(tmp_path):
    _, plan = _plan([thing("a", size=1)])
    plan.format_version = PLAN_FORMAT_VERSION + 1
    path = tmp_path / "plan.json"
    plan.save(path)
    with pytest.raises(ValueError, match=r"plan format version 2 is not supported .*make the plan again"):
        Plan.load(path)
    data = json.loads(path.read_text())
    del data["format_version"]
    path.write_text(json.dumps(data))
    with pytest.raises(ValueError, match="version None"):
        Plan.load(path)


def test_a_minimal_saved_plan_takes_the_defaults(tmp_path):
    path = tmp_path / "plan.json"
    path.write_text(
        json.dumps(
            {
                "format_version": PLAN_FORMAT_VERSION,
                "env": "dev",
                "project": "p",
                "created_at": "2026-12-04T00:00:00+00:00",
                "changes": [
                    {"address": "fake.thing/a", "kind": "fake.thing", "name": "a", "action": "delete"}
                ],
                "observed": {"fake.thing/a": "abc"},
            }
        )
    )
    plan = Plan.load(path)
    assert plan.unchanged == 0 and plan.options == {} and plan.notices == {} and plan.ignored == {}
    (change,) = plan.changes
    assert change.fields == [] and change.references == [] and change.executable
    with pytest.raises(ValueError, match=r"fake\.thing/a: a delete carries no desired resource"):
        change.resource()


def test_a_desired_resource_read_back_takes_its_defaults():
    change = Change(
        "fake.thing/a", "fake.thing", "a", "create", desired={"kind": "fake.thing", "name": "a", "body": {}}
    )
    resource = change.resource()
    assert resource == Resource("fake.thing", "a", {})
    assert (resource.deps, resource.deletion_policy, resource.create_only, resource.ignore) == (
        (),
        "delete",
        {},
        {},
    )
    assert resource.display_name is None


def test_what_is_pending_blocked_and_counted():
    changes = [
        Change("k/a", "k", "a", "create"),
        Change("k/b", "k", "b", "update"),
        Change("k/c", "k", "c", "delete", blocked="pass --prune"),
        Change("k/d", "k", "d", "noop", blocked="pass --adopt"),
        Change("k/e", "k", "e", "replace"),
        Change("k/f", "k", "f", "abandon"),
        Change("k/g", "k", "g", "update"),
    ]
    plan = Plan("dev", "p", changes, {})
    assert [c.name for c in plan.pending] == ["a", "b", "e", "f", "g"]
    assert [c.name for c in plan.blocked] == ["c"]
    assert plan.counts() == {"create": 1, "update": 2, "replace": 1, "delete": 0, "abandon": 1}
    assert plan.has_changes
    assert not Plan("dev", "p", [Change("k/d", "k", "d", "noop", blocked="x")], {}).has_changes
    assert [c.symbol for c in changes] == ["+", "~", "-", " ", "-/+", "~", "~"]
    assert not changes[3].executable and not changes[2].executable and changes[0].executable
    assert Plan("dev", "p", [], {}).to_dict()["summary"]["blocked"] == 0
    assert plan.to_dict()["summary"] == {
        "create": 1,
        "update": 2,
        "replace": 1,
        "delete": 0,
        "abandon": 1,
        "unchanged": 0,
        "blocked": 1,
    }


# -- stale plans ---------------------------------------------------------------------------------
def _session(resources: list[Resource]) -> SimpleNamespace:
    return SimpleNamespace(planner=_planner(resources), live=None)


def _moved_after(resources: list[Resource], change) -> list[str]:
    """Plan against the store, let `change` edit the store, then ask whether the plan is stale."""
    _, plan = _plan(resources, prune=True)
    change(STORE.items)
    session = _session(resources)
    moved = stale(session, plan)
    assert session.live is not None  # the apply goes on with what the check read
    return moved


def _setup_pool() -> list[Resource]:
    STORE.items["pool"] = {
        "size": 1,
        "autoscaling": {"min": 1, "max": 9},
        "labels": {**MANAGED, "team": "data"},
        "updateTime": "t1",
    }
    return [_pool(size=2, autoscaling={"min": 1, "max": 3}, labels={**MANAGED, "team": "platform"})]


@pytest.mark.parametrize(
    "edit",
    [
        pytest.param(lambda items: items["pool"].update(size=5), id="an owned field"),
        pytest.param(lambda items: items["pool"].update(size=2), id="an owned field set to the spec's value"),
        pytest.param(lambda items: items["pool"]["autoscaling"].update(min=0), id="an owned nested field"),
        pytest.param(lambda items: items["pool"]["labels"].update({"managed-by": "x"}), id="an owned label"),
        pytest.param(lambda items: items["pool"].pop("autoscaling"), id="an owned map removed"),
        pytest.param(lambda items: items["pool"].update(autoscaling="off"), id="an owned map turned scalar"),
    ],
)
def test_a_live_change_of_an_owned_field_makes_the_plan_stale(edit):
    moved = _moved_after(_setup_pool(), edit)
    assert moved == ["fake.thing/pool: was as planned, now changed"]


@pytest.mark.parametrize(
    "edit",
    [
        pytest.param(lambda items: items["pool"].update(updateTime="t2"), id="a field the API advances"),
        pytest.param(lambda items: items["pool"].update(extra={"a": 1}), id="a field the API adds"),
        pytest.param(lambda items: items["pool"]["autoscaling"].update(max=12), id="an ignored field"),
        pytest.param(lambda items: items["pool"]["labels"].update(team="ml"), id="an ignored label"),
        pytest.param(
            lambda items: items["pool"]["labels"].update(other="y"), id="a label the spec does not set"
        ),
        pytest.param(lambda items: None, id="nothing"),
    ],
)
def test_a_live_change_of_what_the_plan_does_not_own_leaves_it_fresh(edit):
    assert _moved_after(_setup_pool(), edit) == []


def test_a_resource_that_appeared_or_vanished_makes_the_plan_stale():
    resources = [thing("a", size=1), thing("b", size=1)]
    STORE.items["b"] = {"size": 1, "labels": dict(MANAGED)}
    moved = _moved_after(resources, lambda items: (items.update(a={"size": 1}), items.pop("b")))
    assert sorted(moved) == [
        "fake.thing/a: was absent, now changed",
        "fake.thing/b: was as planned, now absent",
    ]


def test_a_new_version_token_makes_the_plan_stale_even_with_the_same_body():
    STORE.items["v"] = {"size": 1, "labels": dict(MANAGED), "etag": "e1"}
    resources = [Resource(Versioned.meta.kind, "v", {"size": 2, "labels": dict(MANAGED)})]
    assert _moved_after(resources, lambda items: items["v"].update(etag="e2")) == [
        "fake.versioned/v: was as planned, now changed"
    ]
    assert _moved_after(resources, lambda items: items["v"].update(size=7)) == [
        "fake.versioned/v: was as planned, now changed"
    ]
    assert _moved_after(resources, lambda items: items["v"].update(note="n")) == []


def test_a_resource_to_delete_is_stale_on_any_live_change():
    """A deletion owns nothing of the spec's: the whole live body is what the reviewer saw."""
    STORE.items["old"] = {"size": 1, "labels": dict(MANAGED), "updateTime": "t1"}
    assert _moved_after([], lambda items: items["old"].update(updateTime="t2")) == [
        "fake.thing/old: was as planned, now changed"
    ]
    assert _moved_after([], lambda items: None) == []
    assert _moved_after([], lambda items: items.pop("old")) == ["fake.thing/old: was as planned, now absent"]


def test_a_resource_to_delete_is_not_stale_because_its_fields_came_back_in_another_order():
    STORE.items["old"] = {"size": 1, "labels": dict(MANAGED), "limits": {"cpu": 1, "memory": 2}}

    def reorder(items):
        body = items["old"]
        items["old"] = {"limits": {"memory": 2, "cpu": 1}, "labels": body["labels"], "size": 1}

    assert _moved_after([], reorder) == []


def test_a_live_value_json_cannot_spell_still_makes_a_token():
    """Client libraries hand back timestamps as datetimes; the token reads them as text."""
    when = datetime.datetime(2026, 12, 4, 10, 0, tzinfo=datetime.UTC)
    STORE.items["old"] = {"size": 1, "labels": dict(MANAGED), "updated": when}
    assert _moved_after([], lambda items: None) == []
    later = when + datetime.timedelta(seconds=1)
    assert _moved_after([], lambda items: items["old"].update(updated=later)) == [
        "fake.thing/old: was as planned, now changed"
    ]


def test_the_plan_s_own_bodies_decide_what_it_owns():
    """What the plan saw is measured by the bodies it carries, not by a spec edited since."""
    resources = _setup_pool()
    _, plan = _plan(resources)
    STORE.items["pool"]["flavour"] = "large"
    edited = [_pool(size=2, autoscaling={"min": 1, "max": 3}, labels=dict(MANAGED), flavour="small")]
    assert stale(_session(edited), plan) == []


def test_a_kind_no_longer_known_makes_the_plan_stale_and_the_rest_is_still_checked():
    resources = [thing("a", size=1), thing("r/c/pool", size=1)]
    _, plan = _plan(resources)
    plan.observed = {"fake.gone/x": "0123456789abcdef", **plan.observed}
    STORE.items["r/c/pool"] = {"size": 3}
    assert stale(_session(resources), plan) == [
        "fake.gone/x: kind no longer known",
        "fake.thing/r/c/pool: was absent, now changed",
    ]


def test_a_stale_plan_is_refused_naming_what_moved(capsys, tmp_path):
    resources = _setup_pool()
    _, plan = _plan(resources)
    session = _session(resources)
    assert refuse_if_moved(session, plan, tmp_path / "plan.json") is False
    assert capsys.readouterr().err == ""
    STORE.items["pool"]["size"] = 4
    assert refuse_if_moved(session, plan, tmp_path / "plan.json") is True
    err = capsys.readouterr().err
    assert err == (
        f"The plan {tmp_path / 'plan.json'} is stale; the live side changed since it was made:\n"
        "  fake.thing/pool: was as planned, now changed\n"
        "Make a new plan and review it.\n"
    )
    assert refuse_if_moved(session, plan, None) is True
    assert capsys.readouterr().err.startswith("The plan shown is stale;")


def test_the_token_does_not_depend_on_the_order_fields_arrive_in():
    resources = _setup_pool()
    _, plan = _plan(resources)
    STORE.items["pool"] = dict(reversed(list(copy.deepcopy(STORE.items["pool"]).items())))
    assert stale(_session(resources), plan) == []
    assert all(len(token) == 16 for token in plan.observed.values() if token)
