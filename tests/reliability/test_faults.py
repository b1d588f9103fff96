"""Property 1: apply converges under transient faults and failed operations, with no duplicates."""

from __future__ import annotations

import json


def _plan_is_empty(cli) -> bool:
    return cli("plan", "--env", "prod", "--detailed-exitcode").code == 0


def _live_addresses(cli) -> list[str]:
    """Every address a plan of prod sees, counted: a duplicate would show twice or as an orphan."""
    plan = json.loads(cli("plan", "--env", "prod", "--format", "json").out)
    return [c["address"] for c in plan["changes"]]


def test_transient_faults_are_absorbed_in_one_run(emulator, cli):
    # 20% of calls fail: 429 with a retry hint and 503 (15%), dropped connections (5%).
    emulator.faults.configure(error_rate=0.15, drop_rate=0.05, retry_after_s=0.02, seed=2026)

    applied = cli("apply", "--env", "prod", "--auto-approve")

    faults = [r for r in emulator.requests() if r.status in (0, 429, 503)]
    assert applied.code == 0, applied.out + applied.err
    assert len(faults) >= 10, "the run must actually have met faults"
    emulator.faults.clear()
    assert _plan_is_empty(cli)


def test_failed_operations_converge_within_three_runs(emulator, cli):
    # A failed Cloud SQL create keeps the instance name reserved for up to a week, as the real
    # API does: no rerun can converge on that name, so those operations are spared here (the
    # plan's replacement blocker covers that case).
    emulator.faults.configure(
        error_rate=0.15,
        drop_rate=0.05,
        operation_failure_rate=0.05,
        operation_failure_spared=("sqladmin.CREATE*",),
        retry_after_s=0.02,
        seed=7,
    )
    runs = 0
    for runs in range(1, 4):  # noqa: B007
        if cli("apply", "--env", "prod", "--auto-approve").code == 0:
            break
    emulator.faults.clear()
    final = cli("plan", "--env", "prod")
    assert final.code == 0 and "No changes" in final.out, f"not converged after {runs} runs:\n{final.out}"
    assert _live_addresses(cli) == []


def test_a_permanent_failure_fails_its_branch_only(emulator, cli):
    from emulator import FaultRule

    emulator.faults.add_rule(FaultRule(method="compute.networks.insert", status=403, times=1))

    applied = cli("apply", "--env", "prod", "--auto-approve")

    assert applied.code == 1
    assert "FAILED  compute.network/digitwin-prod-vpc" in applied.out
    assert "SKIPPED sql.instance/digitwin-prod-pg" in applied.out
    done = [line for line in applied.err.splitlines() if ": done (" in line]
    assert any("storage.bucket/" in line for line in done), "independent branches still complete"
    assert "failed" in applied.out.splitlines()[-1] and "skipped" in applied.out.splitlines()[-1]
