"""`cost` prices an environment at list prices, and what a plan would change in it.

Read as a person reads them: the text report's resource headers and totals, the Markdown
table a pull request shows, the JSON a tool would read, the error a broken price table gives,
and the emulator's request log for what `--no-plan` may not do.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from provisioner.cost.pricing import load_price_table
from reconcilers import PRICE_TABLE
from tests.e2e.conftest import SPECS

PRICES = load_price_table(PRICE_TABLE)


def _rate(key: str) -> float:
    return PRICES.price(key, "us-central1")[1]


def _money(amount: float) -> str:
    return f"${amount:,.2f}"


def _header(text: str, address: str) -> str:
    """The resource's first line in the text report: symbol, address, now → after (change)."""
    for line in text.splitlines():
        if re.fullmatch(rf"(\S+ )?{re.escape(address)}( \(held back: .*\))?  .*", line):
            return line
    raise AssertionError(f"{address} not in the report:\n{text}")


def _estimate(cli, *args: str) -> dict:
    run = cli("cost", *args, "--format", "json")
    assert run.code == 0, run.err
    return json.loads(run.out)


def _resource(report: dict, address: str) -> dict:
    return next(r for r in report["resources"] if r["address"] == address)


def test_prod_costs_more_than_dev_and_prices_its_database_as_regional(emulator, cli):
    prod = _estimate(cli, "--env", "prod", "--no-plan")
    dev = _estimate(cli, "--env", "dev", "--no-plan")

    assert prod["totals"]["after"] > dev["totals"]["after"] > 0
    database = _resource(prod, "sql.instance/digitwin-prod-pg")["after"]["lines"]
    vcpu = next(line for line in database if line["item"].startswith("vCPU"))
    assert vcpu["item"] == "vCPU: 4 × 2, REGIONAL (HA): primary and standby"
    assert vcpu["quantity"] == 8
    assert vcpu["monthly"] == round(8 * _rate("sql.enterprise.vcpu") * 730, 2)
    storage = next(line for line in database if line["item"].startswith("storage"))
    assert storage["quantity"] == 200  # 100 GiB, twice
    dev_instance = _resource(dev, "sql.instance/digitwin-dev-pg")["after"]["lines"][0]
    assert dev_instance["item"] == "instance: db-f1-micro" and dev_instance["quantity"] == 1

    text = cli("cost", "--env", "prod", "--no-plan").out
    assert "vCPU: 4 × 2, REGIONAL (HA): primary and standby" in text
    # GPU pools: priced at the autoscaling minimum, the maximum alongside.
    gpus = 20 * _rate("compute.gpu.nvidia-tesla-t4") * 730
    assert re.search(rf"GPUs: 1 × nvidia-tesla-t4 a node .* \(up to {re.escape(_money(gpus))}\)", text)
    assert re.search(r"^Total a month: \$[\d,]+\.\d\d$", text, re.M)


def test_no_plan_calls_no_api_and_names_the_price_table_date_and_sources(emulator, cli):
    emulator.clear_requests()

    run = cli("cost", "--env", "dev", "--no-plan")

    assert run.code == 0, run.err
    assert not emulator.requests()
    assert f"Price table reconcilers/prices.yaml, as of {PRICES.as_of.isoformat()}" in run.out
    for source in PRICES.sources:
        assert f"  {source}" in run.out
    # What the estimate cannot know is said, not guessed.
    assert re.search(r"not in the total: \d+ usage-dependent charges", run.out)
    assert "STANDARD storage at $" in run.out
    assert "compute.firewall/digitwin-dev-allow-internal: firewall rules are free" in run.out


def test_a_bigger_database_and_pool_show_their_delta_against_a_converged_environment(emulator, cli, tmp_path):
    assert cli("apply", "--env", "dev", "--auto-approve").code == 0
    converged = cli("cost", "--env", "dev")
    assert converged.code == 0, converged.err
    total = re.search(
        r"^Total a month: (\$[\d,.]+) now → (\$[\d,.]+) after apply \(\$0\.00\)$", converged.out, re.M
    )
    assert total and total[1] == total[2], converged.out
    assert re.search(
        r"^  budget: \$100\.00 a month; after apply \d+% of it is used, \$[\d.]+ to spare$",
        converged.out,
        re.M,
    )
    database = _header(converged.out, "sql.instance/digitwin-dev-pg")
    before = _rate("sql.tier.db-f1-micro") * 730 + 10 * _rate("sql.storage.PD_SSD")
    assert database == f"sql.instance/digitwin-dev-pg  {_money(before)} → {_money(before)}  ($0.00)"

    specs = tmp_path / "specs"
    shutil.copytree(SPECS, specs)
    dev = specs / "dev.yaml"
    text = dev.read_text()
    text = text.replace("  tier: db-f1-micro", "  tier: db-custom-1-3840")
    text = text.replace(
        "      autoscaling: {min_nodes: 1, max_nodes: 2}\n    tts-gpu-pool:",
        "      autoscaling: {min_nodes: 1, max_nodes: 4}\n    tts-gpu-pool:",
    )
    dev.write_text(text)

    changed = cli("cost", "--env", "dev", "--specs", str(specs))

    assert changed.code == 0, changed.err
    delta = (
        _rate("sql.enterprise.vcpu") * 730
        + 3.75 * _rate("sql.enterprise.memory") * 730
        - _rate("sql.tier.db-f1-micro") * 730
    )
    assert _header(changed.out, "sql.instance/digitwin-dev-pg") == (
        f"~ sql.instance/digitwin-dev-pg  {_money(before)} → {_money(before + delta)}  (+{_money(delta)})"
    )
    node = _rate("compute.machine.e2-medium") * 730 + 50 * _rate("compute.disk.pd-balanced")
    pool = _header(changed.out, "gke.node_pool/us-central1-a/digitwin-dev-gke/general-pool")
    assert pool.endswith(f"($0.00); at the autoscaling maximum {_money(2 * node)} → {_money(4 * node)}")
    assert re.search(rf"after apply \(\+{re.escape(_money(delta))}\)$", changed.out, re.M)
    # The bigger database takes dev over its budget: flagged against what apply would leave.
    assert re.search(
        r"^  OVER BUDGET: \$[\d,.]+ \(after apply\) against a budget of \$100\.00", changed.out, re.M
    )
    # Changed resources lead the report.
    first = [line for line in changed.out.splitlines() if line.startswith("~ ")][:2]
    assert {line.split()[1] for line in first} == {
        "sql.instance/digitwin-dev-pg",
        "gke.node_pool/us-central1-a/digitwin-dev-gke/general-pool",
    }

    markdown = cli("cost", "--env", "dev", "--specs", str(specs), "--format", "markdown").out
    assert markdown.startswith("### Monthly cost: dev (`digitwin-live-dev`)")
    assert f"| ~ | `sql.instance/digitwin-dev-pg` | {_money(before)} | {_money(before + delta)} |" in markdown


@pytest.mark.parametrize(
    ("old", "new", "where"),
    [
        (
            "    usd: {us-central1: 0.0413}",
            "    usd: {us-central1: cheap}",
            "prices.sql.enterprise.vcpu.usd.us-central1: a price in USD as a number, got 'cheap'",
        ),
        ("as_of: 2026-11-30", "as_of: last week", "as_of: the day the prices were read, as YYYY-MM-DD"),
        ("    source: https://cloud.google.com/nat/pricing\n", "", "prices.nat.gateway_vm.source: missing"),
    ],
)
def test_a_broken_price_table_is_refused_naming_file_line_and_field(emulator, cli, tmp_path, old, new, where):
    text = PRICE_TABLE.read_text()
    assert old in text
    broken = tmp_path / "prices.yaml"
    broken.write_text(text.replace(old, new, 1))
    emulator.clear_requests()

    run = cli("cost", "--env", "dev", "--prices", str(broken))

    assert run.code == 1
    assert re.fullmatch(rf"error: {re.escape(str(broken))}:\d+: {re.escape(where)}\n", run.err), run.err
    assert not run.out
    assert not emulator.requests()


def test_the_shipped_price_table_covers_every_chargeable_part_of_every_environment(emulator, cli):
    for env in ("dev", "staging", "prod"):
        report = _estimate(cli, "--env", env, "--no-plan")
        assert report["totals"]["not_priced"] == [], env
        assert Path(report["price_table"]["path"]) == Path("reconcilers/prices.yaml")


#: The monthly budgets the environments were designed with, at list prices (baseline).
BUDGET_RANGES = {"dev": (50, 100), "staging": (200, 400), "prod": (1000, 2000)}


@pytest.mark.parametrize("env", sorted(BUDGET_RANGES))
def test_each_environment_costs_what_it_was_designed_to_and_shows_its_budget(emulator, cli, env):
    low, high = BUDGET_RANGES[env]

    report = _estimate(cli, "--env", env, "--no-plan")
    text = cli("cost", "--env", env, "--no-plan").out

    assert low <= report["totals"]["after"] <= high, report["totals"]
    assert report["totals"]["budget"] == high and report["totals"]["over_budget"] is False
    assert re.search(
        rf"^  budget: {re.escape(_money(high))} a month; the estimate uses \d+% of it, \$[\d,.]+ to spare$",
        text,
        re.M,
    ), text
    assert "OVER BUDGET" not in text


def test_only_dev_s_zonal_cluster_takes_the_gke_free_tier_credit(emulator, cli):
    fee = _rate("gke.cluster_management") * 730
    dev = _resource(_estimate(cli, "--env", "dev", "--no-plan"), "gke.cluster/us-central1-a/digitwin-dev-gke")
    staging = _resource(
        _estimate(cli, "--env", "staging", "--no-plan"), "gke.cluster/us-central1/digitwin-staging-gke"
    )

    items = {line["item"]: line["monthly"] for line in dev["after"]["lines"]}
    assert items == {
        "cluster management fee": round(fee, 2),
        "free-tier credit of the billing account": -round(min(fee, _rate("gke.free_tier_credit")), 2),
    }
    assert dev["after"]["monthly"] == 0
    (fee_line,) = staging["after"]["lines"]
    assert fee_line["monthly"] == round(fee, 2) and "this cluster is regional" in fee_line["note"]


def test_an_estimate_above_the_budget_is_flagged_in_every_format(emulator, cli, tmp_path):
    specs = tmp_path / "specs"
    shutil.copytree(SPECS, specs)
    dev = specs / "dev.yaml"
    dev.write_text(dev.read_text().replace("  monthly_usd: 100", "  monthly_usd: 60"))

    report = _estimate(cli, "--env", "dev", "--no-plan", "--specs", str(specs))
    text = cli("cost", "--env", "dev", "--no-plan", "--specs", str(specs))
    markdown = cli("cost", "--env", "dev", "--no-plan", "--specs", str(specs), "--format", "markdown")

    total = report["totals"]["after"]
    assert total > 60 and report["totals"]["budget"] == 60 and report["totals"]["over_budget"] is True
    assert text.code == 0  # a cost is not an error; the flag is for the reader
    assert (
        f"  OVER BUDGET: {_money(total)} (estimate) against a budget of $60.00 a month,"
        f" +{_money(total - 60)} (budget.monthly_usd in the spec)"
    ) in text.out
    flag = f"⚠️ **Over budget**: {_money(total)} against $60.00 a month (+{_money(total - 60)})."
    assert flag in markdown.out


def test_plan_warns_when_a_change_would_take_the_environment_over_its_budget(emulator, cli, tmp_path):
    within = cli("plan", "--env", "dev")
    assert within.code == 0, within.err
    assert "budget" not in within.err

    specs = tmp_path / "specs"
    shutil.copytree(SPECS, specs)
    dev = specs / "dev.yaml"
    dev.write_text(dev.read_text().replace("  tier: db-f1-micro", "  tier: db-custom-4-16384"))
    after = _estimate(cli, "--env", "dev", "--no-plan", "--specs", str(specs))["totals"]["after"]
    assert after > 100

    over = cli("plan", "--env", "dev", "--specs", str(specs))

    assert over.code == 0, over.err
    assert "sql.instance/digitwin-dev-pg" in over.out
    assert (
        f"warning: applying this plan would take dev above its budget: {_money(after)} a month at"
        " list prices (now $0.00), budget $100.00 (budget.monthly_usd in its spec);"
        " `cost --env dev` itemises it"
    ) in over.err
    # A targeted plan covers part of the environment: it is not held to the whole's budget.
    targeted = cli("plan", "--env", "dev", "--specs", str(specs), "--target", "sql.instance")
    assert targeted.code == 0 and "budget" not in targeted.err


def test_validate_warns_when_two_environments_claim_the_one_free_tier_credit(emulator, cli, tmp_path):
    assert "free-tier credit" not in cli("validate").err

    specs = tmp_path / "specs"
    shutil.copytree(SPECS, specs)
    staging = specs / "staging.yaml"
    staging.write_text(
        staging.read_text().replace(
            "gke:\n", "gke:\n  location: us-central1-b\n  free_tier_credit: true\n", 1
        )
    )
    staging.write_text(
        staging.read_text().replace("{min_nodes: 3, max_nodes: 6}", "{min_nodes: 1, max_nodes: 2}")
    )

    validated = cli("validate", "--specs", str(specs))

    assert validated.code == 0, validated.err
    assert (
        "warning: dev and staging both claim the GKE free-tier credit (gke.free_tier_credit), which covers"
        " one zonal or Autopilot cluster per billing account"
    ) in validated.err
    assert not emulator.requests()
