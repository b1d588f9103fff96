"""The engine on an in-memory kind: ordering, failure isolation, idempotence, 409 handling."""

from __future__ import annotations

import pytest

from provisioner.engine.apply import Executor
from provisioner.engine.backoff import Backoff
from provisioner.engine.graph import GraphError
from provisioner.engine.planner import Planner, PlanOptions
from provisioner.google.errors import ApiError
from tests.engine.fakes import STORE, Things, fake_context, plan_and_apply, thing


def run(resources, **options):
    return plan_and_apply(Things(resources), **options)


def test_creates_dependencies_before_dependents_and_converges():
    resources = [thing("c", deps=("fake.thing/b",)), thing("b", deps=("fake.thing/a",)), thing("a")]
    plan, result = run(resources)
    assert [c.action for c in plan.changes] == ["create"] * 3
    creates = [name for verb, name in STORE.calls if verb == "create"]
    assert creates == ["a", "b", "c"]
    assert result.ok
    again, _ = run(resources)
    assert not again.has_changes


def test_failure_skips_dependents_but_independent_branches_go_on():
    STORE.fail[("create", "a")] = ApiError(400, "invalid", "bad request")
    resources = [thing("a"), thing("b", deps=("fake.thing/a",)), thing("x")]
    _, result = run(resources)
    status = {o.change.name: o.status for o in result.outcomes}
    assert status == {"a": "failed", "b": "skipped", "x": "done"}
    assert "bad request" in next(o.detail for o in result.outcomes if o.change.name == "a")


def test_transient_errors_are_retried_and_other_4xx_are_not():
    calls = {"n": 0}
    ctx = fake_context()

    def flaky():
        calls["n"] += 1
        if calls["n"] < 3:
            from provisioner.google.errors import ApiErrorException

            raise ApiErrorException(ApiError(503, "backendError", "try later"))
        return "ok"

    assert ctx.retry.call(flaky) == "ok" and calls["n"] == 3

    def rejected():
        calls["n"] += 1
        from provisioner.google.errors import ApiErrorException

        raise ApiErrorException(ApiError(400, "invalid", "no"))

    calls["n"] = 0
    with pytest.raises(Exception, match="no"):
        ctx.retry.call(rejected)
    assert calls["n"] == 1


def test_server_retry_hint_is_a_floor_for_the_wait():
    from provisioner.engine.retry import RetryPolicy

    policy = RetryPolicy(Backoff(initial=0.001, maximum=0.002))
    state = type("S", (), {})()
    state.attempt_number = 1
    from provisioner.google.errors import ApiErrorException

    outcome = type(
        "O", (), {"exception": lambda self: ApiErrorException(ApiError(429, "rateLimitExceeded", "", 1.5))}
    )()
    state.outcome = outcome
    assert policy._wait(None)(state) == pytest.approx(1.5)


def test_create_that_finds_the_resource_already_there_converges_instead_of_failing():
    resources = [thing("a", size=2)]
    ctx = fake_context()
    planner = Planner(ctx, [Things(resources)])
    obs = planner.snapshot()
    plan = planner.plan(PlanOptions(), obs)
    # Someone else creates it between our plan and our apply (or our last run died after the create).
    STORE.items["a"] = {"size": 1, "labels": {"managed-by": "digitwin-provisioner"}}
    result = Executor(ctx, planner.kinds, obs.live).run(plan)
    assert result.ok, result.outcomes
    assert STORE.items["a"]["size"] == 2
    assert "already existed" in result.outcomes[0].detail


def test_immutable_field_change_is_a_replacement_with_its_reason():
    run([thing("a", zone="z1")])
    plan, _ = run([thing("a", zone="z2")])
    (change,) = plan.changes
    assert change.action == "replace"
    assert "zone" in change.reason


def test_unlabelled_resource_is_held_back_unless_adopted():
    STORE.items["a"] = {"size": 1}
    plan, result = run([thing("a", size=1)])
    (change,) = plan.changes
    assert change.blocked and "--adopt" in change.blocked
    assert not [c for c in STORE.calls if c[0] != "list"]
    plan, result = run([thing("a", size=1)], adopt=True)
    assert result.ok
    assert STORE.items["a"]["labels"]["managed-by"] == "digitwin-provisioner"


def test_resources_dropped_from_the_spec_are_deleted_only_with_prune():
    run([thing("a"), thing("b")])
    plan, _ = run([thing("a")])
    (change,) = plan.changes
    assert change.action == "delete" and "--prune" in change.blocked
    assert "b" in STORE.items
    run([thing("a")], prune=True)
    assert "b" not in STORE.items


def test_graph_rejects_unknown_dependencies_and_cycles():
    with pytest.raises(GraphError, match="does not define"):
        Planner(fake_context(), [Things([thing("a", deps=("fake.thing/zz",))])]).desired()
    with pytest.raises(GraphError, match="cycle"):
        Planner(
            fake_context(), [Things([thing("a", deps=("fake.thing/b",)), thing("b", deps=("fake.thing/a",))])]
        ).desired()
