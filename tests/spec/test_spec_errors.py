"""What an operator sees when a spec file is wrong: file, line, field, and what would be valid."""

from __future__ import annotations

from pathlib import Path

import pytest

from provisioner.spec import SpecError, SpecProblem, load_env_spec

from .conftest import line_of, override


def problems_of(specs: Path, env: str) -> list[SpecProblem]:
    with pytest.raises(SpecError) as caught:
        load_env_spec(specs, env)
    return caught.value.problems


def only_problem(specs: Path, env: str) -> SpecProblem:
    problems = problems_of(specs, env)
    assert len(problems) == 1, "\n".join(map(str, problems))
    return problems[0]


def test_unknown_key_names_file_line_and_suggests_the_right_key(specs: Path) -> None:
    env_file = override(
        specs,
        "dev",
        """
        storage:
          buckets:
            documents:
              versionning: false
        """,
    )
    problem = only_problem(specs, "dev")
    assert problem.file == env_file
    assert problem.line == line_of(env_file, "versionning")
    assert problem.field == "storage.buckets.documents.versionning"
    assert "did you mean 'versioning'?" in problem.message
    assert "valid keys:" in problem.message and "lifecycle" in problem.message


def test_wrong_type_reports_line_and_what_was_expected(specs: Path) -> None:
    env_file = override(
        specs,
        "dev",
        """
        run:
          services:
            api-gateway:
              max_instances: ten
        """,
    )
    problem = only_problem(specs, "dev")
    assert problem.line == line_of(env_file, "max_instances")
    assert problem.field == "run.services.api-gateway.max_instances"
    assert problem.message == "expected an integer, got 'ten'"


def test_a_quoted_number_is_not_silently_accepted(specs: Path) -> None:
    override(specs, "dev", 'sql:\n  disk:\n    size_gb: "50"\n')
    problem = only_problem(specs, "dev")
    assert "expected an integer" in problem.message and "remove the quotes" in problem.message


def test_invalid_choice_lists_the_valid_values(specs: Path) -> None:
    override(specs, "dev", "sql:\n  availability: REGINAL\n")
    problem = only_problem(specs, "dev")
    assert problem.field == "sql.availability"
    assert "did you mean 'REGIONAL'?" in problem.message and "ZONAL" in problem.message


def test_a_secret_value_cannot_be_written_inline(specs: Path) -> None:
    override(
        specs,
        "dev",
        """
        run:
          services:
            api-gateway:
              secret_env:
                DB_PASSWORD: hunter2
        """,
    )
    problem = only_problem(specs, "dev")
    assert problem.field == "run.services.api-gateway.secret_env.DB_PASSWORD"
    assert "expected a mapping" in problem.message and "secret" in problem.message


def test_error_in_a_value_inherited_from_base_names_base_yaml(specs: Path) -> None:
    base = specs / "base.yaml"
    base.write_text(base.read_text().replace('start_time: "03:00" ', "start_time: three "))
    for env in ("dev", "prod"):
        problem = only_problem(specs, env)
        assert problem.file == base
        assert problem.line == line_of(base, "start_time: three")
        assert problem.field == "sql.backups.start_time"


def test_an_override_is_reported_where_it_is_written_not_in_base(specs: Path) -> None:
    env_file = override(specs, "staging", "sql:\n  backups:\n    retention_days: 0\n")
    problem = only_problem(specs, "staging")
    assert problem.file == env_file
    assert problem.line == 4
    assert "greater than or equal to 1" in problem.message


def test_all_problems_of_a_file_are_reported_together(specs: Path) -> None:
    env_file = override(
        specs,
        "dev",
        """
        sql:
          tierr: db-custom-1-3840
        gke:
          release_channel: 5
        monitoring:
          thresholds:
            cpu_percent: high
        """,
    )
    problems = problems_of(specs, "dev")
    assert {p.field for p in problems} == {
        "sql.tierr",
        "gke.release_channel",
        "monitoring.thresholds.cpu_percent",
    }
    assert all(p.file == env_file for p in problems)
    text = str(SpecError(problems))
    assert text.startswith("3 problems in")
    assert f"{env_file}:{line_of(env_file, 'tierr')}: sql.tierr: unknown key 'tierr'" in text


def test_yaml_syntax_error_names_file_and_line(specs: Path) -> None:
    env_file = specs / "dev.yaml"
    lines = env_file.read_text().splitlines()
    bad_line = line_of(env_file, "project:")
    lines[bad_line - 1] = "project: [digitwin-live-dev"
    env_file.write_text("\n".join(lines) + "\n")
    problem = only_problem(specs, "dev")
    assert problem.file == env_file
    assert problem.line is not None and problem.line >= bad_line
    assert "YAML syntax error" in problem.message
    assert f"{env_file}:{problem.line}:" in str(SpecError([problem]))


def test_syntax_error_in_base_names_base(specs: Path) -> None:
    base = specs / "base.yaml"
    base.write_text(base.read_text().replace("region: us-central1", "region: us-central1\n  bad: indent"))
    problem = only_problem(specs, "prod")
    assert problem.file == base
    assert problem.line == line_of(base, "bad: indent")


def test_env_value_must_match_the_file_name(specs: Path) -> None:
    env_file = override(specs, "staging", "env: stage\n")
    problem = only_problem(specs, "staging")
    assert (problem.file, problem.line, problem.field) == (env_file, 2, "env")
    assert "must match the file name" in problem.message


def test_extends_cycle_and_missing_parent(specs: Path) -> None:
    (specs / "_a.yaml").write_text("extends: _b.yaml\n")
    (specs / "_b.yaml").write_text("extends: _a.yaml\n")
    (specs / "loop.yaml").write_text("extends: _a.yaml\nenv: loop\n")
    problem = only_problem(specs, "loop")
    assert "cycle" in problem.message and problem.field == "extends"

    (specs / "orphan.yaml").write_text("env: orphan\nextends: nowhere.yaml\n")
    problem = only_problem(specs, "orphan")
    assert problem.line == 2 and "nowhere.yaml" in problem.message


def test_unknown_environment_and_base_file(specs: Path) -> None:
    problem = only_problem(specs, "qa")
    assert "environments: dev, prod, staging" in problem.message
    problem = only_problem(specs, "base")
    assert "base file" in problem.message


def test_duplicate_yaml_key_is_a_syntax_error_with_line(specs: Path) -> None:
    env_file = override(specs, "dev", "sql:\n  tier: db-custom-1-3840\n  tier: db-custom-2-7680\n")
    problem = only_problem(specs, "dev")
    assert (problem.file, problem.line) == (env_file, 4)
    assert "duplicate key" in problem.message


def test_misspelt_extends_is_caught_as_an_unknown_key(specs: Path) -> None:
    env_file = specs / "dev.yaml"
    env_file.write_text(env_file.read_text().replace("extends: base.yaml", "extend: base.yaml"))
    problems = {p.field: p for p in problems_of(specs, "dev")}
    assert "did you mean 'extends'?" in problems["extend"].message
    assert problems["extend"].line == line_of(env_file, "extend: base.yaml")


def test_a_route_timeout_is_refused_and_names_the_cloud_run_timeout_that_governs_it(specs: Path) -> None:
    """Serverless NEG backend services take no timeout: the spec cannot promise one."""
    env_file = override(
        specs,
        "dev",
        """
        lb:
          routes:
            websocket:
              timeout_seconds: 3600
        """,
    )
    problem = only_problem(specs, "dev")
    assert problem.line == line_of(env_file, "timeout_seconds")
    assert problem.field == "lb.routes.websocket.timeout_seconds"
    assert "cannot be honoured" in problem.message
    assert "timeout_seconds on the route's service under run.services" in problem.message


def test_a_service_behind_the_load_balancer_must_be_public(specs: Path) -> None:
    env_file = override(
        specs,
        "dev",
        """
        run:
          services:
            api-gateway:
              public: false
        """,
    )
    problem = only_problem(specs, "dev")
    assert problem.field == "run.services.api-gateway.public"
    assert problem.line == line_of(env_file, "public")
    assert "Cloud Run would refuse them with 403; set public: true" in problem.message


def test_a_public_service_open_to_all_ingress_is_refused(specs: Path) -> None:
    override(
        specs,
        "dev",
        """
        run:
          services:
            websocket-server:
              ingress: all
        """,
    )
    problem = only_problem(specs, "dev")
    assert problem.field == "run.services.websocket-server.ingress"
    assert "around the load balancer and Cloud Armor" in problem.message
