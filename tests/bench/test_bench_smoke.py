"""The benchmark code paths run on tiny inputs and produce their result keys (no timing)."""

from __future__ import annotations

import json

from bench import __main__ as bench_main
from bench import apply_prod, noop_plan, scale, synthetic


def test_noop_plan_reports_calls_and_wall_time() -> None:
    result = noop_plan.run(latency_ms=0, repeats=1)
    measures = {row.measure for row in result.rows}
    assert {"API calls", "wall time"} <= measures
    assert result.details["baseline_failures"] == [0]
    assert result.details["plan_changes"] == [0]


def test_apply_reports_critical_path_and_polls() -> None:
    crit, polling = apply_prod.run(latency_ms=0, scale=0.0005)
    assert crit.details["critical_path"]
    assert crit.details["critical_path_s"] > 0
    assert polling.details["resources"] > 0
    assert any(row.measure == "API calls / resources" for row in polling.rows)


def test_synthetic_plan_is_a_no_op() -> None:
    planner = synthetic.converged_planner(30)
    assert planner.plan().changes == []
    assert scale.measure(20)["changes"] == 0


def test_main_writes_results(tmp_path) -> None:
    out = tmp_path / "results.json"
    assert bench_main.main(["--only", "scale", "--sizes", "10,20", "--out", str(out)]) == 0
    payload = json.loads(out.read_text())
    rows = payload["results"][0]["rows"]
    assert {"bench", "measure", "value", "ratio", "target", "met"} <= set(rows[0])
