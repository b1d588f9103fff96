"""A Cloud Run service's CPU allocation is a typed choice, refused early where Cloud Run refuses it."""

from __future__ import annotations

from pathlib import Path

import pytest

from provisioner.spec import SpecError, SpecProblem, load_env_spec

from .conftest import line_of, override


def _only_problem(specs: Path, env: str) -> SpecProblem:
    with pytest.raises(SpecError) as caught:
        load_env_spec(specs, env)
    problems = caught.value.problems
    assert len(problems) == 1, "\n".join(map(str, problems))
    return problems[0]


def test_cpu_is_allocated_only_during_requests_unless_the_spec_says_otherwise(specs: Path) -> None:
    override(specs, "staging", "run:\n  services:\n    websocket-server:\n      cpu_always_allocated: true\n")

    services = load_env_spec(specs, "staging").run.services

    assert services["websocket-server"].cpu_always_allocated is True
    assert services["api-gateway"].cpu_always_allocated is False


def test_less_than_one_cpu_cannot_have_cpu_always_allocated(specs: Path) -> None:
    env_file = override(
        specs,
        "dev",
        """
        run:
          services:
            api-gateway:
              cpu: 500m
              memory: 512Mi
              concurrency: 1
              cpu_always_allocated: true
        """,
    )

    problem = _only_problem(specs, "dev")

    assert problem.file == env_file
    assert problem.field == "run.services.api-gateway.cpu_always_allocated"
    assert problem.line == line_of(env_file, "cpu_always_allocated")
    assert "cpu 500m (less than 1)" in problem.message
    assert "set cpu_always_allocated: false or cpu: '1'" in problem.message


def test_a_string_is_not_taken_for_a_yes(specs: Path) -> None:
    env_file = override(
        specs, "prod", 'run:\n  services:\n    websocket-server:\n      cpu_always_allocated: "yes"\n'
    )

    problem = _only_problem(specs, "prod")

    assert (problem.file, problem.field) == (env_file, "run.services.websocket-server.cpu_always_allocated")
    assert problem.line == line_of(env_file, "cpu_always_allocated")
    assert "expected true or false, got 'yes'" in problem.message
