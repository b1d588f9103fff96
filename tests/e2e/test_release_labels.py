"""Releasing a resource removes every label that says "ours", and only those."""

from __future__ import annotations

from provisioner.engine.context import Context
from provisioner.engine.operations import PollSchedule, wait_for
from provisioner.engine.resource import Resource
from provisioner.engine.retry import RetryPolicy
from provisioner.google.clients import ClientFactory, Endpoints
from provisioner.spec.loader import load_env_spec
from provisioner.spec.ownership import DELETION_POLICY_LABEL, OWNERSHIP_KEYS
from reconcilers.network import GlobalAddress
from tests.e2e.conftest import SPECS


def test_a_released_global_address_keeps_only_the_labels_that_are_not_ours(apis_on):
    ctx = Context(spec=load_env_spec(SPECS, "dev"), clients=ClientFactory(Endpoints(default=apis_on.url)))
    kind = GlobalAddress(ctx)
    labels = {**ctx.labels({"team": "web"}), DELETION_POLICY_LABEL: "abandon"}
    body = {"addressType": "EXTERNAL", "ipVersion": "IPV4", "labels": labels}
    created = kind.create(Resource(kind.meta.kind, "digitwin-dev-kept-ip", body))
    wait_for(created, RetryPolicy(), PollSchedule())
    live = next(a for a in kind.observe([]) if a.name == "digitwin-dev-kept-ip")
    assert set(OWNERSHIP_KEYS) <= set(live.body["labels"])

    released = kind.abandon(live)
    assert released is not None
    wait_for(released, RetryPolicy(), PollSchedule())

    after = next(a for a in kind.observe([]) if a.name == "digitwin-dev-kept-ip")
    assert after.body.get("labels") == {**ctx.spec.labels, "team": "web"}
    assert not after.managed
