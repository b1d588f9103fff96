"""Ignore rules as the operator writes them: where they add up, and every mistake named by line.

A rule that ignores nothing (a typo'd address or field) would let the drift it was meant
to tolerate be reverted, so `validate` (and every engine command, before any API call)
refuses it, with the addresses or fields it may have meant.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from provisioner.cli.main import main
from provisioner.spec import SpecError, load_env_spec

from .conftest import line_of, override

TTS_POOL = "gke.node_pool/us-central1-a/digitwin-dev-gke/tts-gpu-pool"


def _validate(capsys: pytest.CaptureFixture[str], specs: Path, *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(["validate", "--specs", str(specs), *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _add_to_base(specs: Path, text: str) -> Path:
    base = specs / "base.yaml"
    base.write_text(base.read_text() + "\n" + textwrap.dedent(text).lstrip("\n"))
    return base


def test_an_environment_s_rules_come_on_top_of_the_base_rules(specs: Path, capsys) -> None:
    base = _add_to_base(
        specs,
        """
        ignore:
          - resource: "storage.bucket/*-documents"
            fields: [labels.team]
            reason: the data team labels its own buckets
        """,
    )
    env_file = override(
        specs,
        "dev",
        """
        ignore:
          - resource: gke.node_pool
            fields: [autoscaling.totalMaxNodeCount]
            reason: the on-call team raises the ceiling for launches
        """,
    )

    spec = load_env_spec(specs, "dev")
    code, out, err = _validate(capsys, specs, "--env", "dev")

    assert [(r.resource, r.fields) for r in spec.ignore] == [
        ("storage.bucket/*-documents", ["labels.team"]),
        ("gke.node_pool", ["autoscaling.totalMaxNodeCount"]),
    ]
    first, second = (r.source for r in spec.ignore)
    assert (first.file, first.resource_line, first.inherited) == (
        base,
        line_of(base, "storage.bucket/*-documents"),
        True,
    )
    assert (second.file, second.field_lines, second.inherited) == (
        env_file,
        (line_of(env_file, "autoscaling.totalMaxNodeCount"),),
        False,
    )
    assert (code, out, err) == (0, "dev: valid\n", "")
    # Staging has no rule of its own: only the base's applies there.
    assert [r.resource for r in load_env_spec(specs, "staging").ignore] == ["storage.bucket/*-documents"]


def test_a_rule_without_fields_or_reason_or_with_an_unknown_key_is_refused_by_line(specs: Path) -> None:
    env_file = override(
        specs,
        "dev",
        """
        ignore:
          - resource: gke.node_pool
            field: [autoscaling.totalMaxNodeCount]
            reason: the on-call team raises the ceiling
          - resource: storage.bucket
            fields: []
            reason: the data team labels its own buckets
          - resource: run.service
            fields: [template.scaling.maxInstanceCount]
            reason: "  "
          - resource: run.service
            fields: [labels.team]
        """,
    )

    with pytest.raises(SpecError) as caught:
        load_env_spec(specs, "dev")

    found = {(p.line, p.field): p.message for p in caught.value.problems}
    assert found[(line_of(env_file, "field: ["), "ignore[0].field")].startswith(
        "unknown key 'field'; did you mean 'fields'?"
    )
    assert (line_of(env_file, "fields: []"), "ignore[1].fields") in found
    assert "at least 1 item" in found[(line_of(env_file, "fields: []"), "ignore[1].fields")]
    assert found[(line_of(env_file, 'reason: "  "'), "ignore[2].reason")].startswith(
        "reason is empty; say who"
    )
    assert found[(line_of(env_file, "resource: run.service", 2), "ignore[3].reason")] == (
        "required key 'reason' is missing"
    )
    assert all(p.file == env_file for p in caught.value.problems)


@pytest.mark.parametrize("pattern", ["name", "*", "n*"])
def test_ignoring_the_name_is_refused_as_meaningless(specs: Path, pattern: str) -> None:
    env_file = override(
        specs,
        "dev",
        f"""
        ignore:
          - resource: storage.bucket
            fields: ["{pattern}"]
            reason: someone renames buckets
        """,
    )

    with pytest.raises(SpecError) as caught:
        load_env_spec(specs, "dev")

    (problem,) = caught.value.problems
    assert (problem.file, problem.line, problem.field) == (
        env_file,
        line_of(env_file, "fields:"),
        "ignore[0].fields[0]",
    )
    assert "the resource's identity" in problem.message and "deletion_policy: abandon" in problem.message


def test_rules_that_would_ignore_nothing_or_what_cannot_be_ignored_are_refused_with_the_fix(
    specs: Path, capsys
) -> None:
    env_file = override(
        specs,
        "dev",
        """
        ignore:
          - resource: "gke.nodepool/*"
            fields: [autoscaling.totalMaxNodeCount]
            reason: the on-call team raises the ceiling for launches
          - resource: "gke.node_pool/tts-gpu-pool"
            fields: [autoscaling.totalMaxNodeCount]
            reason: the on-call team raises the ceiling for launches
          - resource: gke.node_pool
            fields:
              - autoscaling.totalMaxNodes
              - config.machineType
              - initialNodeCount
            reason: the on-call team resizes pools
          - resource: "storage.bucket/*"
            fields: ["labels.*"]
            reason: the data team labels its own buckets
        """,
    )

    code, out, err = _validate(capsys, specs, "--env", "dev")

    assert code == 1 and out == ""
    assert (
        f"{env_file}:{line_of(env_file, 'gke.nodepool')}: ignore[0].resource: 'gke.nodepool/*' names no kind"
        in err
    )
    assert "did you mean 'gke.node_pool'?" in err
    assert (
        f"{env_file}:{line_of(env_file, 'gke.node_pool/tts-gpu-pool')}: ignore[1].resource:"
        f" 'gke.node_pool/tts-gpu-pool' matches no resource in dev; did you mean '{TTS_POOL}'"
        " (or the glob 'gke.node_pool/*/tts-gpu-pool')?"
    ) in err
    assert (
        f"{env_file}:{line_of(env_file, 'totalMaxNodes')}: ignore[2].fields[0]: field"
        " 'autoscaling.totalMaxNodes' matches no field the spec sets"
    ) in err
    assert "did you mean 'autoscaling.totalMaxNodeCount'?" in err
    assert (
        f"{env_file}:{line_of(env_file, 'config.machineType')}: ignore[2].fields[1]:"
        " field 'config.machineType' covers config.machineType, which a gke.node_pool cannot change in place"
    ) in err
    assert (
        f"{env_file}:{line_of(env_file, 'initialNodeCount')}: ignore[2].fields[2]: field 'initialNodeCount'"
        " is sent only when the resource is created and never compared afterwards"
    ) in err
    assert (
        f"{env_file}:{line_of(env_file, 'labels.*')}: ignore[3].fields[0]: field 'labels.*' covers the"
        " ownership label labels.managed-by"
    ) in err
    assert "6 problems in" in err


def test_a_base_rule_for_resources_one_environment_lacks_is_a_warning_there(specs: Path, capsys) -> None:
    base = _add_to_base(
        specs,
        """
        ignore:
          - resource: "storage.bucket/digitwin-live-dev-*"
            fields: [labels.team]
            reason: in dev the data team labels the buckets
        """,
    )

    staging = _validate(capsys, specs, "--env", "staging")
    every = _validate(capsys, specs)

    code, out, err = staging
    assert (code, out) == (0, "staging: valid\n")
    assert err.startswith(
        f"warning: {base}:{line_of(base, 'digitwin-live-dev-*')}: ignore[0].resource:"
        " 'storage.bucket/digitwin-live-dev-*' matches no resource in staging;"
    )
    assert "it comes from base.yaml, which other environments share, so it is not an error here" in err
    assert every == (0, "dev: valid\nprod: valid\nstaging: valid\n", "")


def test_a_base_rule_matching_nothing_in_any_environment_fails_validate(specs: Path, capsys) -> None:
    base = _add_to_base(
        specs,
        """
        ignore:
          - resource: "storage.bucket/digitwin-live-qa-*"
            fields: [labels.team]
            reason: the QA team labels its buckets
        """,
    )

    code, out, err = _validate(capsys, specs)

    assert code == 1
    assert out == "dev: valid\nprod: valid\nstaging: valid\n"
    assert (
        f"{base}:{line_of(base, 'digitwin-live-qa-*')}: ignore[0].resource:"
        " 'storage.bucket/digitwin-live-qa-*' matches no resource in any environment (dev, prod, staging);"
        " write it as plans show it"
    ) in err
