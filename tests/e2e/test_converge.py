"""Applying an environment from empty converges, and a converged environment stays put."""

from __future__ import annotations

import json

import pytest


@pytest.mark.parametrize("env", ["dev", "staging", "prod"])
def test_apply_from_empty_then_plan_shows_no_changes(emulator, cli, env):
    applied = cli("apply", "--env", env, "--auto-approve")
    assert applied.code == 0, applied.out + applied.err
    assert "0 failed, 0 skipped" in applied.out

    planned = cli("plan", "--env", env, "--detailed-exitcode")
    assert planned.code == 0, planned.out
    assert "No changes" in planned.out


def test_second_apply_only_reads(emulator, cli):
    assert cli("apply", "--env", "dev", "--auto-approve").code == 0
    emulator.clear_requests()

    again = cli("apply", "--env", "dev", "--auto-approve")

    assert again.code == 0
    writes = [(r.http_method, r.path) for r in emulator.requests() if r.is_write]
    assert writes == []
    assert emulator.requests(), "the second apply must still read the live side"


def test_plan_of_empty_project_lists_every_resource_as_create(emulator, cli):
    planned = cli("plan", "--env", "dev", "--format", "json", "--detailed-exitcode")
    assert planned.code == 2
    plan = json.loads(planned.out)
    kinds = {c["kind"] for c in plan["changes"]}
    assert {"kms.key_ring", "kms.crypto_key", "kms.key_iam", "storage.bucket"} <= kinds
    assert all(c["action"] == "create" for c in plan["changes"])
    assert not [r for r in emulator.requests() if r.is_write], "plan must never write"


def test_a_provisioning_certificate_is_reported_rather_than_waited_for(emulator, cli):
    applied = cli("apply", "--env", "dev", "--auto-approve")
    assert applied.code == 0
    assert "stays PROVISIONING" in applied.err  # the line for the certificate's create

    planned = cli("plan", "--env", "dev", "--detailed-exitcode")

    assert planned.code == 0, "a provisioning certificate is not a change"
    assert "= compute.ssl_certificate/" in planned.out and "certificate PROVISIONING" in planned.out
