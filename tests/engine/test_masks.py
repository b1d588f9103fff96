"""Update masks come from the diff, in the order and spelling each API is sent today."""

from __future__ import annotations

from provisioner.engine.masks import UpdateMask, snake_case
from provisioner.engine.plan import FieldChange


def changes(*paths: str) -> list[FieldChange]:
    return [FieldChange(path, None, 1) for path in paths]


def test_without_declared_fields_every_changed_top_level_field_is_masked_in_name_order():
    mask = UpdateMask(snake=True)
    fields = mask.changed(changes("userLabels.team", "enabled", "conditions.0.displayName"))
    assert fields == ["conditions", "enabled", "userLabels"]
    assert mask.joined(fields) == "conditions,enabled,user_labels"


def test_declared_fields_keep_their_order_and_bring_what_travels_with_them():
    mask = UpdateMask(
        ("rotationPeriod", "labels", "versionTemplate.algorithm"),
        together={"rotationPeriod": ("nextRotationTime",)},
        snake=True,
    )
    fields = mask.changed(changes("versionTemplate.algorithm", "labels.team", "rotationPeriod"))
    assert fields == ["rotationPeriod", "labels", "versionTemplate.algorithm"]
    together = mask.paths(mask.changed(changes("labels.a", "rotationPeriod")))
    assert together == ["rotation_period", "next_rotation_time", "labels"]
    assert mask.paths(["labels", "rotationPeriod"]) == ["labels", "rotation_period", "next_rotation_time"]


def test_fields_an_update_cannot_write_are_left_out():
    mask = UpdateMask(("description", "displayName"))
    assert mask.changed(changes("email", "displayName")) == ["displayName"]
    assert mask.changed(changes("versionTemplate.protectionLevel")) == []


def test_the_body_carries_the_spec_values_and_keeps_labels_set_by_others():
    mask = UpdateMask()
    desired = {"schedule": "0 * * * *", "userLabels": {"team": "a"}, "other": 1}
    live = {"schedule": "5 * * * *", "userLabels": {"team": "b", "keep": "x"}}
    body = mask.body(["schedule", "userLabels"], desired, live, labels="userLabels")
    assert body == {"schedule": "0 * * * *", "userLabels": {"team": "a", "keep": "x"}}


def test_snake_case_spells_each_part_of_a_path():
    assert snake_case("versionTemplate.algorithm") == "version_template.algorithm"
    assert snake_case("labels") == "labels"
