"""Pricing rules that a cost estimate would get quietly wrong: a charge shared by the first
few rules of a project, Cloud Run's billing mode when a container sets resources, and a
price the table does not have for a region."""

from __future__ import annotations

from typing import Any

import pytest

from provisioner.cost.pricing import PriceTable, load_price_table
from reconcilers import PRICE_TABLE
from reconcilers._lb_kinds import ForwardingRule
from reconcilers.run import RunService
from reconcilers.sql import SqlInstance


@pytest.fixture(scope="module")
def prices() -> PriceTable:
    return load_price_table(PRICE_TABLE)


def _rate(prices: PriceTable, key: str) -> float:
    return prices.price(key, "us-central1")[1]


def test_the_first_five_forwarding_rules_share_one_charge_and_each_further_rule_has_its_own(prices):
    rules = {f"rule-{i}": {"portRange": "443"} for i in range(7)}

    priced = ForwardingRule(None).monthly_costs(rules, prices)  # type: ignore[arg-type]

    first, extra = (
        _rate(prices, "lb.forwarding_rules.first_five"),
        _rate(prices, "lb.forwarding_rules.additional"),
    )
    amounts = [round(lines[0].monthly, 4) for lines in priced.values() if lines]
    assert amounts == [round(first / 5 * 730, 4)] * 5 + [round(extra * 730, 4)] * 2
    assert priced["rule-0"][0].item == "share of the first-five-rules charge (1 of 5)"
    assert priced["rule-6"][0].item == "rule beyond the first five"
    assert round(sum(amounts), 2) == round((first + 2 * extra) * 730, 2)


def _service(resources: dict[str, Any], minimum: int = 2) -> dict[str, Any]:
    container = {"image": "app", "resources": resources} if resources else {"image": "app"}
    return {"template": {"scaling": {"minInstanceCount": minimum}, "containers": [container]}}


def test_cloud_run_minimum_instances_are_billed_as_the_api_will_bill_them(prices):
    kind = RunService(None)  # type: ignore[arg-type]
    limits = {"limits": {"cpu": "2", "memory": "2Gi"}}

    idle = kind.monthly_cost("us-central1/app", _service({**limits, "cpuIdle": True}), prices) or []
    always = kind.monthly_cost("us-central1/app", _service(limits), prices) or []
    default = kind.monthly_cost("us-central1/app", _service({}), prices) or []

    seconds = 730 * 3600
    assert idle[0].monthly == pytest.approx(2 * 2 * _rate(prices, "run.idle_min_instance.cpu") * seconds)
    assert always[0].monthly == pytest.approx(2 * 2 * _rate(prices, "run.instance_based.cpu") * seconds)
    # Resources without cpuIdle: the API's answer leaves the false field out.
    assert always[0].item == "minimum instances: 2 × 2 vCPU, 2 GiB, CPU always allocated"
    assert (always[0].note or "").startswith("cpuIdle false: every instance is billed")
    assert idle[0].item == "minimum instances: 2 × 2 vCPU, 2 GiB, CPU only during requests"
    # No resources at all: the API's defaults, 1 vCPU and 512 MiB, with CPU idle between requests.
    assert default[0].item == "minimum instances: 2 × 1 vCPU, 0.5 GiB, CPU only during requests"
    assert default[0].monthly == pytest.approx(2 * _rate(prices, "run.idle_min_instance.cpu") * seconds)


def test_a_price_the_table_lacks_is_named_with_the_key_to_add_not_guessed(prices):
    body = {
        "region": "europe-west1",
        "settings": {"tier": "db-custom-2-7680", "edition": "ENTERPRISE", "dataDiskSizeGb": "10"},
    }

    lines = SqlInstance(None).monthly_cost("db", body, prices) or []  # type: ignore[arg-type]

    assert [line.status for line in lines] == ["unpriced"] * 3
    assert lines[0].monthly == 0
    assert lines[0].note == (
        f"no price 'sql.enterprise.vcpu' for europe-west1 in {PRICE_TABLE};"
        " add it under prices.sql.enterprise.vcpu.usd.europe-west1"
    )


def test_a_credit_comes_off_the_total_but_never_pays_out_more_than_its_charge(prices):
    credit = _rate(prices, "gke.free_tier_credit")  # a month, per billing account
    fee = _rate(prices, "gke.cluster_management") * prices.hours_per_month

    covered = prices.credit("gke.free_tier_credit", "global", fee, "free-tier credit")
    larger = prices.credit("gke.free_tier_credit", "global", 2 * credit, "free-tier credit")
    nothing = prices.credit("gke.free_tier_credit", "global", 0.0, "free-tier credit")

    assert fee < credit and covered.monthly == -fee  # a 730-hour month's fee is under the credit
    assert larger.monthly == -credit
    assert nothing.monthly == 0
    assert covered.source == "https://cloud.google.com/kubernetes-engine/pricing"
