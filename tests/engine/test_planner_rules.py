"""What the planner decides for each resource, on an in-memory kind whose answers a test sets.

Each rule a reviewer relies on, one at a time: what is held back and why, what a
replacement drags along, what waits for an API the same plan enables, what a deletion
needs, what a target narrows, and what is said about resources that do not change.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from types import SimpleNamespace
from typing import Any, ClassVar

import pytest

from provisioner.engine.context import Context
from provisioner.engine.ignore import IgnoredField
from provisioner.engine.kind import Kind, KindMeta, Reconciler
from provisioner.engine.operations import DoneOperation
from provisioner.engine.plan import FieldChange
from provisioner.engine.planner import Planner, PlanOptions, _join, _matches
from provisioner.engine.resource import DELETION_POLICY_LABEL, LiveResource, Resource
from provisioner.google.errors import ApiError, ApiErrorException, ReadFailed, ServiceDisabled
from tests.engine.fakes import fake_context

MANAGED = {"managed-by": "digitwin-provisioner"}


class Box(Kind):
    """Live bodies come from `LIVE[kind]`; notes and safety answers from class attributes."""

    meta = KindMeta(kind="t.box", immutable=("zone",), api="box.googleapis.com")
    LIVE: ClassVar[dict[str, dict[str, dict[str, Any]]]] = {}
    FAIL: ClassVar[dict[str, BaseException]] = {}
    notes: ClassVar[dict[str, Any]] = {}
    #: Per kind, the names of the desired resources each observation was handed.
    SEEN: ClassVar[dict[str, list[list[str]]]] = {}

    def observe(self, desired: Sequence[Resource]) -> list[LiveResource]:
        self.SEEN.setdefault(self.meta.kind, []).append([r.name for r in desired])
        if self.meta.kind in self.FAIL:
            raise self.FAIL[self.meta.kind]
        return [
            LiveResource(
                self.meta.kind, name, body, managed=body.get("labels", {}).get("managed-by") is not None
            )
            for name, body in self.LIVE.get(self.meta.kind, {}).items()
        ]

    def create(self, desired):  # pragma: no cover - planning writes nothing
        return DoneOperation()

    update = delete = create

    def references(self, live: LiveResource) -> tuple[str, ...]:
        ref = live.body.get("ref")
        return (ref,) if ref else ()

    def abandon(self, live):  # pragma: no cover - planning writes nothing
        return None

    def status_note(self, live):
        return self.notes.get(("status", None if live is None else live.name))

    def update_note(self, changes):
        note = self.notes.get("update")
        return note.format(paths=", ".join(c.path for c in changes)) if note else None

    def delete_effect(self, live):
        return self.notes.get(("delete_effect", live.name))

    def delete_note(self, live):
        return self.notes.get(("delete_note", live.name))

    def replace_blocker(self, live):
        return self.notes.get(("replace_blocker", live.name))

    def holds_data(self, live):
        return bool(live.body.get("data"))


class Crate(Box):
    meta = replace(Box.meta, kind="t.crate", labels_path="metadata.labels", create_before_destroy=True)


class Kept(Box):
    """Keeps labels but cannot abandon: it has no way to release a resource."""

    meta = replace(Box.meta, kind="t.kept")
    abandon = None  # type: ignore[assignment]  # a protocol method set to None is not offered


class Api(Box):
    meta = replace(Box.meta, kind="t.api", api=None, enables_api=True, labels_path=None)


class Unlabelled(Box):
    meta = replace(Box.meta, kind="t.plain", api=None, labels_path=None)


class Family(Reconciler):
    family = "test"
    kinds = (Box, Crate, Api, Unlabelled, Kept)

    def __init__(self, resources: list[Resource]) -> None:
        self.resources = resources

    def desired(self, ctx: Context) -> list[Resource]:
        return self.resources


@pytest.fixture(autouse=True)
def _clean():
    Box.LIVE.clear()
    Box.FAIL.clear()
    Box.notes.clear()
    Box.SEEN.clear()
    yield


def box(name: str, kind: str = "t.box", deps: tuple[str, ...] = (), **body) -> Resource:
    body.setdefault("labels", dict(MANAGED))
    return Resource(kind, name, body, deps=deps)


def live(name: str, kind: str = "t.box", **body) -> None:
    body.setdefault("labels", dict(MANAGED))
    Box.LIVE.setdefault(kind, {})[name] = body


def planner(resources: list[Resource], ctx: Context | None = None, **spec) -> Planner:
    ctx = ctx or fake_context()
    for key, value in spec.items():
        setattr(ctx.spec, key, value)
    return Planner(ctx, [Family(resources)])


def plan(resources: list[Resource], targets: tuple[str, ...] = (), spec: dict | None = None, **options):
    return planner(resources, **(spec or {})).plan(PlanOptions(targets=targets, **options))


def only(p, address: str):
    (change,) = [c for c in p.changes if c.address == address]
    return change


# -- what goes in ----------------------------------------------------------------------------------
def test_a_family_returning_a_kind_it_does_not_declare_is_refused():
    class Sloppy(Family):
        family = "sloppy"
        kinds = (Box,)

    with pytest.raises(ValueError, match=r"reconciler 'sloppy' returns undeclared kinds \['t.crate'\]"):
        Planner(fake_context(), [Sloppy([box("a"), box("b", "t.crate")])]).desired()


def test_a_resource_of_a_kind_nobody_registered_is_refused():
    p = planner([])
    with pytest.raises(ValueError, match=r"t\.nope/x: no kind 't\.nope' is registered"):
        p._checked([Resource("t.nope", "x", {})])


def test_the_spec_s_ignore_rules_reach_the_resources_they_name():
    rule = SimpleNamespace(resource="t.box/a", fields=["size"], reason="ops set it")
    desired = planner([box("a", size=1), box("b", size=1)], ignore=[rule]).desired()
    assert [r.ignore for r in desired] == [{"size": "ops set it"}, {}]


def test_a_resource_waits_for_the_api_its_kind_calls_when_the_plan_enables_it():
    enable = Resource("t.api", "box.googleapis.com", {})
    other_api = Resource("t.api", "other.googleapis.com", {})
    desired = planner(
        [box("a"), box("b", deps=("t.api/box.googleapis.com",)), enable, other_api, box("c", "t.plain")]
    ).desired()
    deps = {r.address: r.deps for r in desired}
    assert deps["t.box/a"] == ("t.api/box.googleapis.com",)
    assert deps["t.box/b"] == ("t.api/box.googleapis.com",)  # not twice
    assert deps["t.api/box.googleapis.com"] == () and deps["t.plain/c"] == ()
    assert planner([box("a")]).desired()[0].deps == ()  # nothing to wait for


def test_abandon_is_recorded_in_a_label_where_the_kind_keeps_labels():
    kept = Resource("t.crate", "k", {"metadata": {"labels": dict(MANAGED)}}, deletion_policy="abandon")
    bare = Resource("t.crate", "bare", {"metadata": {}}, deletion_policy="abandon")
    boxed = Resource("t.box", "b", {"labels": {}}, deletion_policy="abandon")
    plain = Resource("t.plain", "p", {"labels": {}}, deletion_policy="abandon")
    deleted = Resource("t.box", "d", {"labels": {}})
    out = {r.address: r for r in planner([kept, bare, boxed, plain, deleted]).desired()}
    assert out["t.crate/k"].body["metadata"]["labels"] == {**MANAGED, DELETION_POLICY_LABEL: "abandon"}
    assert kept.body["metadata"]["labels"] == MANAGED  # the spec's own resource is left as it was
    assert out["t.crate/bare"].body == {"metadata": {}}
    assert out["t.box/b"].body == {"labels": {DELETION_POLICY_LABEL: "abandon"}}
    assert out["t.plain/p"].body == {"labels": {}}  # its kind cannot abandon
    assert out["t.box/d"].body == {"labels": {}}


# -- reading the live side -------------------------------------------------------------------------
def _disabled(service: str | None) -> ApiErrorException:
    return ApiErrorException(
        ApiError(
            403, "accessNotConfigured", "API not enabled", info_reason="SERVICE_DISABLED", service=service
        )
    )


def test_a_disabled_api_the_plan_enables_shows_its_resources_as_to_create():
    Box.FAIL["t.box"] = _disabled("box.googleapis.com")
    p = plan([box("a"), Resource("t.api", "box.googleapis.com", {})])
    assert only(p, "t.box/a").action == "create"
    assert p.notices == {
        "t.api/box.googleapis.com": "box.googleapis.com is not enabled yet: "
        "its resources are shown as to create"
    }
    Box.FAIL["t.box"] = _disabled(None)  # the error does not name the service: the kind's API is meant
    assert plan([box("a"), Resource("t.api", "box.googleapis.com", {})]).notices


def test_a_disabled_api_the_spec_does_not_enable_is_refused_with_the_fix():
    Box.FAIL["t.box"] = _disabled("box.googleapis.com")
    with pytest.raises(ServiceDisabled, match=r"add box\.googleapis\.com to `apis:` in the spec"):
        plan([box("a")])
    with pytest.raises(ServiceDisabled, match=r"gcloud services enable box\.googleapis\.com"):
        planner([box("a")]).observe([box("a")])


def test_a_disabled_api_without_a_name_anywhere_is_raised_as_it_came():
    Box.FAIL["t.plain"] = _disabled(None)
    with pytest.raises(ApiErrorException):
        plan([box("p", "t.plain")])


def test_a_failed_read_names_the_kind_and_api_and_a_bug_is_raised_as_it_is():
    Box.FAIL["t.box"] = ApiErrorException(ApiError(403, "forbidden", "denied"))
    with pytest.raises(ReadFailed) as failed:
        plan([box("a")])
    assert "t.box" in str(failed.value)
    Box.FAIL["t.box"] = KeyError("bug")
    with pytest.raises(KeyError):
        plan([box("a")])


def test_observe_reads_the_kinds_asked_for_and_files_live_resources_by_address():
    live("a", size=1)
    live("k", "t.crate", size=2)
    p = planner([box("a")])
    assert sorted(p.observe([box("a")])) == ["t.box/a", "t.crate/k"]
    assert sorted(p.observe([box("a")], kinds=["t.crate"])) == ["t.crate/k"]


# -- what each resource gets -----------------------------------------------------------------------
def test_changes_carry_what_the_reviewer_reads():
    live("same", size=1)
    live("diff", size=1)
    Box.notes[("status", "same")] = "certificate provisioning"
    Box.notes[("status", None)] = "will take a while"
    Box.notes["update"] = "restarts it for {paths}"
    p = plan([box("same", size=1), box("diff", size=2), box("new", size=1)])
    assert [c.address for c in p.changes] == ["t.box/diff", "t.box/new"]
    assert only(p, "t.box/diff").note == "restarts it for size" and only(p, "t.box/diff").action == "update"
    assert only(p, "t.box/new").note == "will take a while" and only(p, "t.box/new").action == "create"
    assert p.notices == {"t.box/same": "certificate provisioning"}
    assert p.unchanged == 1
    assert set(p.observed) == {"t.box/same", "t.box/diff", "t.box/new"} and p.observed["t.box/new"] is None
    assert (p.env, p.project) == ("dev", "p-dev")
    assert p.options == {
        "adopt": False,
        "prune": False,
        "allow_destroy": False,
        "allow_prod_destroy": False,
        "targets": [],
    }


def test_an_unlabelled_resource_is_held_back_with_its_note_until_adopted():
    Box.LIVE["t.box"] = {"a": {"size": 1}, "b": {"size": 1}}
    Box.notes[("status", "a")] = "ready"
    unlabelled = [Resource("t.box", "a", {"size": 1}), Resource("t.box", "b", {"size": 2})]
    held = plan(unlabelled)
    assert only(held, "t.box/a").action == "noop"
    assert (
        only(held, "t.box/a").blocked
        == "exists but is not managed by this tool; pass --adopt to take it over"
    )
    assert only(held, "t.box/a").note == "exists without our ownership labels; ready"
    assert only(held, "t.box/b").action == "update" and only(held, "t.box/b").blocked
    adopted = plan(unlabelled, adopt=True)
    assert only(adopted, "t.box/b").blocked is None
    assert only(adopted, "t.box/b").note == "exists without our ownership labels"
    assert "t.box/a" not in {c.address for c in adopted.changes}
    assert adopted.notices == {"t.box/a": "exists without our ownership labels; ready"}


def test_an_update_writes_the_live_values_of_ignored_fields_and_lists_them():
    live("a", size=1, team="data")
    resource = Resource(
        "t.box", "a", {"size": 2, "team": "ml", "labels": dict(MANAGED)}, ignore={"team": "why"}
    )
    p = plan([resource])
    change = only(p, "t.box/a")
    assert change.desired["body"]["team"] == "data" and change.desired["body"]["size"] == 2
    assert p.ignored == {"t.box/a": [IgnoredField("team", "data", "ml", "why")]}
    live("b", size=1)
    quiet = Resource("t.box", "b", {"size": 1, "labels": dict(MANAGED)}, ignore={"team": "why"})
    assert plan([quiet]).ignored == {}  # nothing ignored differs: nothing listed


def test_a_replacement_takes_the_spec_s_values_of_ignored_fields():
    live("a", zone="z1", team="data")
    resource = Resource(
        "t.box", "a", {"zone": "z2", "team": "ml", "labels": dict(MANAGED)}, ignore={"team": "r"}
    )
    p = plan([resource])
    change = only(p, "t.box/a")
    assert change.action == "replace" and change.reason == "zone cannot be changed in place"
    assert change.note == "the new one takes the spec's values of team"
    assert change.desired["body"]["team"] == "ml"
    assert p.ignored == {}


def test_a_replacement_is_gated_by_what_deleting_would_do():
    live("effect", zone="z1")
    live("blocker", zone="z1")
    live("data", zone="z1", data=True)
    live("free", zone="z1")
    Box.notes[("delete_effect", "effect")] = "its name is reserved for a week"
    Box.notes[("replace_blocker", "blocker")] = "it is in use by a forwarding rule"
    resources = [box(n, zone="z2") for n in ("effect", "blocker", "data", "free")]
    p = plan(resources)
    assert (
        only(p, "t.box/effect").blocked
        == "zone cannot be changed in place, and its name is reserved for a week"
    )
    assert only(p, "t.box/blocker").blocked == "it is in use by a forwarding rule"
    assert only(p, "t.box/data").blocked == "replacing it destroys its data; pass --allow-destroy to proceed"
    assert only(p, "t.box/data").destructive and not only(p, "t.box/free").destructive
    assert only(p, "t.box/free").blocked is None
    assert only(plan(resources, allow_destroy=True), "t.box/data").blocked is None


def test_production_data_needs_the_second_flag():
    live("data", zone="z1", data=True)
    ctx = fake_context()
    ctx.spec.is_prod = True
    p = Planner(ctx, [Family([box("data", zone="z2")])])
    blocked = p.plan(PlanOptions(allow_destroy=True)).changes[0].blocked
    assert (
        blocked == "replacing it destroys data in a protected environment; pass --allow-prod-destroy as well"
    )
    assert p.plan(PlanOptions(allow_destroy=True, allow_prod_destroy=True)).changes[0].blocked is None
    assert p.plan(PlanOptions(allow_prod_destroy=True)).changes[0].blocked == (
        "replacing it destroys its data; pass --allow-destroy to proceed"
    )


# -- what a replacement drags along ----------------------------------------------------------------
def test_what_points_at_a_replaced_resource_is_replaced_too_in_a_chain():
    live("net", zone="z1")
    live("sub", ref="t.box/net", size=1)
    live("vm", ref="t.box/sub", size=1, data=True)
    live("bystander", size=1)
    resources = [
        box("net", zone="z2"),
        box("sub", deps=("t.box/net",), ref="t.box/net", size=1),
        box("vm", deps=("t.box/sub",), ref="t.box/sub", size=1),
        box("bystander", size=1),
    ]
    p = plan(resources)
    sub, vm = only(p, "t.box/sub"), only(p, "t.box/vm")
    assert (sub.action, sub.reason, sub.destructive, sub.blocked) == (
        "replace",
        "it points at t.box/net, which is replaced",
        False,
        None,
    )
    assert (vm.action, vm.reason, vm.destructive) == (
        "replace",
        "it points at t.box/sub, which is replaced",
        True,
    )
    assert vm.blocked == "replacing it destroys its data; pass --allow-destroy to proceed"
    assert only(p, "t.box/net").references == []
    assert sub.references == ["t.box/net"]
    assert [c.address for c in p.changes if c.action == "replace"] == ["t.box/net", "t.box/sub", "t.box/vm"]
    assert "t.box/bystander" not in {c.address for c in p.changes}


def test_a_blocked_dependent_keeps_its_own_reason():
    Box.LIVE["t.box"] = {
        "net": {"zone": "z1", "labels": dict(MANAGED)},
        "sub": {"ref": "t.box/net", "size": 1},
    }
    p = plan([box("net", zone="z2"), box("sub", deps=("t.box/net",), ref="t.box/net", size=1)])
    assert only(p, "t.box/sub").blocked.startswith("exists but is not managed by this tool")
    assert only(p, "t.box/sub").action == "replace"


def test_a_kind_that_creates_before_destroying_keeps_its_dependents():
    live("k", "t.crate", zone="z1")
    live("user", ref="t.crate/k", size=1)
    p = plan([box("k", "t.crate", zone="z2"), box("user", deps=("t.crate/k",), ref="t.crate/k", size=1)])
    assert only(p, "t.crate/k").action == "replace"
    assert "t.box/user" not in {c.address for c in p.changes}


def test_a_dependent_being_created_or_deleted_is_left_to_that():
    live("net", zone="z1")
    live("gone", ref="t.box/net")
    p = plan([box("net", zone="z2")], prune=True)
    assert only(p, "t.box/gone").action == "delete"


# -- what leaves the spec --------------------------------------------------------------------------
def test_deletions_need_prune_and_destroying_data_needs_more():
    live("old", size=1)
    live("db", data=True, ref="t.box/old")
    live("theirs", size=1, labels={})
    Box.notes[("delete_note", "old")] = "its name stays reserved"
    Box.notes[("delete_effect", "db")] = "backups go with it"
    held = plan([])
    assert {c.address: c.blocked for c in held.changes} == {
        "t.box/db": "no longer in the spec; pass --prune to delete it",
        "t.box/old": "no longer in the spec; pass --prune to delete it",
    }
    pruned = plan([], prune=True)
    assert [c.address for c in pruned.changes] == ["t.box/old", "t.box/db"]  # reverse order of address
    db, old = only(pruned, "t.box/db"), only(pruned, "t.box/old")
    assert (db.blocked, db.destructive, db.note) == (
        "deleting it destroys its data; pass --allow-destroy to proceed",
        True,
        "backups go with it",
    )
    assert db.references == ["t.box/old"]
    assert (old.blocked, old.destructive, old.note) == (None, False, "its name stays reserved")
    assert set(pruned.observed) == {"t.box/db", "t.box/old"} and all(pruned.observed.values())
    assert only(plan([], prune=True, allow_destroy=True), "t.box/db").blocked is None


def test_an_abandoned_resource_is_released_not_deleted():
    live("k", "t.crate", metadata={"labels": {**MANAGED, DELETION_POLICY_LABEL: "abandon"}})
    live("p", "t.plain", labels={**MANAGED, DELETION_POLICY_LABEL: "abandon"})
    held = plan([])
    crate = only(held, "t.crate/k")
    assert (crate.action, crate.blocked) == ("abandon", "no longer in the spec; pass --prune to release it")
    assert crate.note == "deletion_policy abandon: left in place, only our labels are removed"
    assert only(held, "t.plain/p").action == "delete"  # a kind that cannot abandon deletes
    assert only(plan([], prune=True), "t.crate/k").blocked is None


def test_targets_narrow_the_plan_to_them_and_what_they_need():
    live("old", size=1)
    live("k", "t.crate", size=1)
    resources = [box("net", size=1), box("app", deps=("t.box/net",), size=1), box("x", "t.crate", size=1)]
    p = plan(resources, targets=("t.box/app",), prune=True)
    assert sorted(c.address for c in p.changes) == ["t.box/app", "t.box/net"]
    assert p.options["targets"] == ["t.box/app"]
    by_kind = plan(resources, targets=("t.box",), prune=True)
    assert sorted(c.address for c in by_kind.changes) == ["t.box/app", "t.box/net", "t.box/old"]
    crates = plan([], targets=("t.crate",), prune=True)
    assert [c.address for c in crates.changes] == ["t.crate/k"]  # a targeted kind with nothing desired
    exact = plan([], targets=("t.crate/k",), prune=True)
    assert [c.address for c in exact.changes] == ["t.crate/k"]


def test_small_helpers():
    assert _join(None, "a", "", "b") == "a; b"
    assert _join(None, None) is None
    assert _join("only") == "only"
    assert _matches("t.box/a", ["t.box"]) and _matches("t.box/a", ["t.box/a"])
    assert not _matches("t.box/a", ["t.box/b", "t.bo", "t.crate"])
    assert not _matches("t.box/a/b", ["t.box/a"])


# -- more of the same, each for one decision -------------------------------------------------------
def test_the_default_parallelism_is_eight():
    assert Planner(fake_context(), []).parallelism == 8


def test_a_replacement_lists_its_fields_and_keeps_its_note():
    Box.LIVE["t.box"] = {"a": {"zone": "z1"}}
    p = plan([Resource("t.box", "a", {"zone": "z2"})], adopt=True)
    change = only(p, "t.box/a")
    assert change.action == "replace" and change.fields == [FieldChange("zone", "z1", "z2")]
    assert change.note == "exists without our ownership labels"
    live("b", zone="z1")
    assert only(plan([box("b", zone="z2")]), "t.box/b").note is None


def test_a_replacement_with_ignored_fields_adds_to_its_note_naming_each_field():
    Box.LIVE["t.box"] = {"a": {"zone": "z1", "team": "data", "owner": "x"}}
    resource = Resource(
        "t.box", "a", {"zone": "z2", "team": "ml", "owner": "y"}, ignore={"team": "r", "owner": "r"}
    )
    change = only(plan([resource], adopt=True), "t.box/a")
    assert change.note == (
        "exists without our ownership labels; the new one takes the spec's values of owner, team"
    )


def test_a_resource_to_create_with_ignore_rules_lists_nothing_ignored():
    resource = Resource("t.box", "new", {"team": "ml", "labels": dict(MANAGED)}, ignore={"team": "r"})
    p = plan([resource])
    assert only(p, "t.box/new").action == "create" and p.ignored == {}


def test_a_cascading_replacement_is_blocked_by_what_deleting_would_do():
    live("net", zone="z1")
    live("sub", ref="t.box/net", size=1)
    Box.notes[("delete_effect", "sub")] = "its address is released"
    p = plan([box("net", zone="z2"), box("sub", deps=("t.box/net",), ref="t.box/net", size=1)])
    assert (
        only(p, "t.box/sub").blocked
        == "it points at t.box/net, which is replaced, and its address is released"
    )


def test_a_create_before_destroy_replacement_does_not_stop_the_others_cascading():
    live("net", zone="z1")
    live("user", ref="t.box/net", size=1)
    live("zz", "t.crate", zone="z1")
    resources = [
        box("net", zone="z2"),
        box("user", deps=("t.box/net",), ref="t.box/net", size=1),
        box("zz", "t.crate", zone="z2"),
    ]
    p = plan(resources)
    # the crate comes after the net in the plan, so its replacement is looked at first
    assert [c.address for c in p.changes] == ["t.box/net", "t.crate/zz", "t.box/user"]
    assert only(p, "t.box/user").action == "replace"


def test_a_kind_that_cannot_abandon_gets_no_abandon_label():
    kept = Resource("t.kept", "k", {"labels": {}}, deletion_policy="abandon")
    flat = Resource("t.crate", "flat", {"metadata": "flat"}, deletion_policy="abandon")
    out = {r.address: r for r in planner([kept, flat]).desired()}
    assert out["t.kept/k"].body == {"labels": {}}
    assert out["t.crate/flat"].body == {"metadata": "flat"}


def test_deletions_are_looked_for_among_all_live_resources():
    live("a", size=1)
    live("b", size=1)
    live("c", size=1)
    p = plan([box("b", size=1)], prune=True)
    assert [c.address for c in p.changes] == ["t.box/c", "t.box/a"]


def test_each_kind_observes_the_resources_desired_of_it():
    live("x", size=1)
    p = planner([box("a"), box("b"), box("k", "t.crate")])
    obs = p.snapshot()
    assert (
        Box.SEEN["t.box"] == [["a", "b"]] and Box.SEEN["t.crate"] == [["k"]] and Box.SEEN["t.plain"] == [[]]
    )
    assert obs.kinds is p.kinds and sorted(obs.live) == ["t.box/x"]
    Box.SEEN.clear()
    assert sorted(p.observe([box("a"), box("k", "t.crate")], kinds=["t.box"])) == ["t.box/x"]
    assert Box.SEEN == {"t.box": [["a"]]}


def test_a_targeted_plan_reads_only_the_kinds_it_needs():
    live("k", "t.crate", size=1)
    live("far", "t.kept", size=1)
    resources = [box("net", size=1), box("app", deps=("t.box/net",), size=1)]
    p = planner(resources)
    obs = p.snapshot(("t.box/app", "t.crate/k"))
    assert sorted(Box.SEEN) == ["t.box", "t.crate"]
    assert Box.SEEN["t.box"] == [["net", "app"]] or Box.SEEN["t.box"] == [["app", "net"]]
    assert sorted(obs.live) == ["t.crate/k"] and obs.kinds is p.kinds
    assert [r.address for r in obs.desired] == ["t.box/net", "t.box/app"]
    pruned = p.plan(PlanOptions(targets=("t.box/app", "t.crate/k"), prune=True))
    assert sorted(c.address for c in pruned.changes) == ["t.box/app", "t.box/net", "t.crate/k"]


def test_a_target_address_with_slashes_names_its_kind_by_the_first():
    live("r/c/pool", "t.crate", size=1)
    p = plan([box("a", size=1)], targets=("t.box/a", "t.crate/r/c/pool"), prune=True)
    assert sorted(c.address for c in p.changes) == ["t.box/a", "t.crate/r/c/pool"]


def test_a_targeted_plan_still_tells_of_apis_not_enabled_yet():
    Box.FAIL["t.box"] = _disabled("box.googleapis.com")
    resources = [box("a"), Resource("t.api", "box.googleapis.com", {})]
    p = plan(resources, targets=("t.box/a",))
    assert p.notices == {
        "t.api/box.googleapis.com": "box.googleapis.com is not enabled yet: "
        "its resources are shown as to create"
    }


def test_observe_fills_the_notices_it_is_given_and_needs_none():
    Box.FAIL["t.box"] = _disabled("box.googleapis.com")
    p = planner([])
    desired = [box("a"), Resource("t.api", "box.googleapis.com", {})]
    notices: dict[str, str] = {}
    assert p.observe(desired, kinds=["t.box"], notices=notices) == {}
    assert list(notices) == ["t.api/box.googleapis.com"]
    assert p.observe(desired, kinds=["t.box"]) == {}


def test_a_failed_read_in_observe_names_its_kind_and_api():
    Box.FAIL["t.box"] = ApiErrorException(ApiError(403, "forbidden", "denied"))
    with pytest.raises(ReadFailed) as failed:
        planner([]).observe([], kinds=["t.box"])
    assert str(failed.value) == (
        "could not read the live t.box (box.googleapis.com) resources: HTTP 403 (forbidden): denied"
    )
    assert failed.value.kind == "t.box" and failed.value.error.reason == "forbidden"


def test_kinds_start_reading_once_the_families_declaring_them_are_done():
    """A family still looking something up holds back its own kinds only, never another's."""
    import threading

    crate_listing = threading.Event()
    first_done = threading.Event()
    waited = {}

    class Slow(Family):
        family = "slow"
        kinds = (Box,)

        def desired(self, ctx):
            waited["crate listed first"] = crate_listing.wait(timeout=5)
            first_done.set()
            return [box("a")]

    class Quick(Family):
        family = "quick"
        kinds = (Crate,)

        def desired(self, ctx):
            return [box("k", "t.crate")]

    class Early(Crate):
        def observe(self, desired):
            crate_listing.set()
            return super().observe(desired)

    class Late(Box):
        def observe(self, desired):
            waited["family done before box listed"] = first_done.is_set()
            return super().observe(desired)

    Slow.kinds, Quick.kinds = (Late,), (Early,)
    p = Planner(fake_context(), [Slow([]), Quick([])])
    obs = p.snapshot()
    assert waited == {"crate listed first": True, "family done before box listed": True}
    assert Box.SEEN == {"t.box": [["a"]], "t.crate": [["k"]]}
    assert [r.address for r in obs.desired] == ["t.box/a", "t.crate/k"]
