"""The Kind contract stays narrow: four verbs and `meta`; the rest is found as optional protocols.

What the engine asks beyond the four verbs goes through the function beside each protocol,
which answers for a kind that does not offer it; these tests pin those answers, and that a
kind which does offer a protocol is the one asked, also through the wrapper that attributes
requests to changes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import pytest

from provisioner.cost import priced
from provisioner.cost.pricing import PriceTable
from provisioner.engine import abandon, batching, lock_home, observing, quota, review
from provisioner.engine.attribution import AttributedKind, ThreadAddress
from provisioner.engine.kind import Kind, KindMeta
from provisioner.engine.operations import DoneOperation, Operation
from provisioner.engine.plan import FieldChange
from provisioner.engine.resource import LiveResource, Resource
from provisioner.engine.retry_rules import retry_rules
from provisioner.google.errors import ApiError
from tests.engine.fakes import fake_context


class Bare(Kind):
    """Offers nothing beyond the contract."""

    meta = KindMeta(kind="t.bare", immutable=("zone",), stateful=True, labels_path="meta.labels")

    def observe(self, desired: Sequence[Resource]) -> list[LiveResource]:
        return [LiveResource(self.meta.kind, "a", {"zone": "z1"}, managed=True)]

    def create(self, desired: Resource) -> Operation:
        return DoneOperation()

    def update(self, desired: Resource, live: LiveResource, changes: Sequence[FieldChange]) -> Operation:
        return DoneOperation()

    def delete(self, live: LiveResource) -> Operation:
        return DoneOperation()


class Rich(Bare):
    """Offers a protocol of each module."""

    meta = replace(Bare.meta, kind="t.rich")
    no_charge = "free by design"

    def normalise(self, body: dict[str, Any]) -> dict[str, Any]:
        return {**body, "zone": str(body.get("zone", "")).upper()}

    def references(self, live: LiveResource) -> tuple[str, ...]:
        return ("t.bare/a",)

    def holds_data(self, live: LiveResource) -> bool:
        return False

    def abandon(self, live: LiveResource) -> Operation | None:
        return DoneOperation("released")

    def retryable(self, err: ApiError) -> bool:
        return err.status == 400


class Withheld(Rich):
    """Rich, but abandon set to None: a protocol method blocked in a subclass is not offered."""

    meta = replace(Bare.meta, kind="t.withheld")
    abandon = None  # type: ignore[assignment]


def test_the_contract_is_four_verbs_and_meta():
    public = {name for name in [*vars(Kind), *Kind.__annotations__] if not name.startswith("_")}
    assert public == {"meta", "observe", "create", "update", "delete"}
    assert Kind.__abstractmethods__ == {"observe", "create", "update", "delete"}


def test_metadata_written_as_a_class_attribute_is_refused():
    with pytest.raises(TypeError, match=r"declare immutable in `meta"):

        class Stray(Bare):
            immutable = ("size",)


def test_without_a_protocol_the_engine_answers_for_the_kind():
    kind = Bare(fake_context())
    desired = Resource("t.bare", "a", {"zone": "z2"}, create_only={"seed": 1})
    live = kind.observe([desired])[0]
    assert observing.read(kind, desired) == live
    assert observing.read(kind, replace(desired, name="b")) is None
    assert observing.normalise(kind, {"zone": "z1"}) == {"zone": "z1"}
    assert observing.references(kind, live) == ()
    moved = [FieldChange("zone", "z1", "z2")]
    assert review.replace_reason(kind, moved) == "zone cannot be changed in place"
    assert review.replace_reason(kind, [FieldChange("size", 1, 2)]) is None
    assert review.holds_data(kind, live) is True  # from meta.stateful
    assert [review.status_note(kind, live), review.update_note(kind, moved)] == [None, None]
    assert [review.delete_effect(kind, live), review.delete_note(kind, live)] == [None, None]
    assert review.replace_blocker(kind, live) is None
    assert not abandon.can_abandon(kind) and abandon.abandon(kind, live) is None
    assert abandon.labels(kind, {"meta": {"labels": {"a": "b"}}}) == {"a": "b"}
    assert not lock_home.holds_lock(kind, "a")
    assert quota.quota_needs(kind, desired) == []
    assert batching.planned(kind, []) is None
    assert retry_rules(kind) == {"extra": None, "settling": None}
    assert priced.body_as_created(kind, desired) == {"zone": "z2", "seed": 1}
    assert priced.monthly_costs(kind, {"a": {}}, _no_prices()) == {"a": None}


def test_a_kind_offering_a_protocol_is_asked():
    kind = Rich(fake_context())
    live = kind.observe([])[0]
    assert observing.normalise(kind, {"zone": "z1"}) == {"zone": "Z1"}
    assert observing.references(kind, live) == ("t.bare/a",)
    assert review.holds_data(kind, live) is False
    assert abandon.can_abandon(kind) and abandon.abandon(kind, live) is not None
    assert retry_rules(kind)["extra"](ApiError(400, "failedPrecondition", "busy")) is True
    (line,) = priced.monthly_costs(kind, {"a": {}}, _no_prices())["a"] or []
    assert (line.status, line.note) == ("free", "free by design")


def test_a_protocol_method_set_to_none_is_not_offered():
    kind = Withheld(fake_context())
    assert not abandon.can_abandon(kind)
    assert abandon.abandon(kind, kind.observe([])[0]) is None


class Verbatim(Rich):
    """Rich, but reads bodies as the API spells them."""

    meta = replace(Bare.meta, kind="t.verbatim")
    normalise = None  # type: ignore[assignment]


def test_what_a_kind_offers_is_decided_for_its_own_class():
    # The answer is kept per class (the planner asks for every resource): a subclass that
    # withdraws a protocol method is not taken for its parent, in either order of asking.
    rich, verbatim = Rich(fake_context()), Verbatim(fake_context())
    for _ in range(2):
        assert observing.normalise(rich, {"zone": "z1"}) == {"zone": "Z1"}
        assert observing.normalise(verbatim, {"zone": "z1"}) == {"zone": "z1"}
        assert observing.references(verbatim, verbatim.observe([])[0]) == ("t.bare/a",)


def test_a_kind_attributed_to_changes_offers_what_it_wraps():
    rich = AttributedKind(Rich(fake_context()), ThreadAddress())
    bare = AttributedKind(Bare(fake_context()), ThreadAddress())
    live = LiveResource("t.rich", "a", {"zone": "z1"}, managed=True)
    assert rich.meta is Rich.meta
    assert observing.normalise(rich, {"zone": "z1"}) == {"zone": "Z1"}  # type: ignore[arg-type]
    assert observing.references(rich, live) == ("t.bare/a",)  # type: ignore[arg-type]
    assert review.holds_data(rich, live) is False  # type: ignore[arg-type]
    assert review.holds_data(bare, live) is True  # type: ignore[arg-type]
    assert observing.normalise(bare, {"zone": "z1"}) == {"zone": "z1"}  # type: ignore[arg-type]
    assert bare.read(Resource("t.bare", "a", {})) is not None  # through observe, tagged
    assert bare.abandon(live) is None


def _no_prices() -> PriceTable:
    return None  # type: ignore[return-value]  # kinds without prices never read the table
