"""The services behind the load balancer can be reached: public through IAM, in by the load
balancer only; an organisation policy against public members is named with its fix; a grant
taken away by hand is drift."""

from __future__ import annotations

import json

import requests

PARENT = "projects/digitwin-live-dev/locations/us-central1"
SERVICES = [f"{PARENT}/services/digitwin-dev-websocket-server", f"{PARENT}/services/digitwin-dev-api-gateway"]
WEBSOCKET = "run.invokers/us-central1/digitwin-dev-websocket-server"


def _policy(emulator, service: str) -> dict:
    return requests.get(f"{emulator.url}/v2/{service}:getIamPolicy", timeout=10).json()


def test_services_behind_the_load_balancer_are_public_and_reachable_only_through_it(emulator, cli):
    applied = cli("apply", "--env", "dev", "--auto-approve")
    assert applied.code == 0, applied.out + applied.err

    for service in SERVICES:
        assert _policy(emulator, service)["bindings"] == [
            {"role": "roles/run.invoker", "members": ["allUsers"]}
        ]
        live = requests.get(f"{emulator.url}/v2/{service}", timeout=10).json()
        assert live["ingress"] == "INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER"
    # with no timeout on the load balancer's side, an open websocket lasts Cloud Run's longest
    websocket = requests.get(f"{emulator.url}/v2/{SERVICES[0]}", timeout=10).json()
    assert websocket["template"]["timeout"] == "3600s"
    grants = [
        r.body for r in emulator.requests() if r.method_id == "run.projects.locations.services.setIamPolicy"
    ]
    assert len(grants) == 2
    assert cli("plan", "--env", "dev", "--detailed-exitcode").code == 0


def test_domain_restricted_sharing_is_named_with_its_fix_and_the_rest_is_applied(emulator, cli):
    emulator.set_org_policy("digitwin-live-dev", "iam.allowedPolicyMemberDomains", ["C0abc123"])

    applied = cli("apply", "--env", "dev", "--auto-approve")

    assert applied.code == 1
    out = applied.out
    assert "Traceback" not in out + applied.err
    refused = [
        r for r in emulator.requests() if r.method_id == "run.projects.locations.services.setIamPolicy"
    ]
    assert [r.status for r in refused] == [400, 400]  # asked once each: a refusal is no hiccup
    assert out.count("iam.allowedPolicyMemberDomains (domain restricted sharing) refuses allUsers") == 2
    assert "gcloud org-policies reset iam.allowedPolicyMemberDomains --project=digitwin-live-dev" in out
    assert "run.services.websocket-server.public: false" in out
    assert "2 failed, 0 skipped" in out
    for service in SERVICES:  # the services themselves are there, private
        assert requests.get(f"{emulator.url}/v2/{service}", timeout=10).status_code == 200
        assert "bindings" not in _policy(emulator, service)

    emulator.set_org_policy("digitwin-live-dev", "iam.allowedPolicyMemberDomains", None)
    assert cli("apply", "--env", "dev", "--auto-approve").code == 0
    assert cli("plan", "--env", "dev", "--detailed-exitcode").code == 0


def test_a_removed_invoker_grant_is_drift_reported_and_left_for_a_reviewed_apply(emulator, cli):
    assert cli("apply", "--env", "dev", "--auto-approve").code == 0
    service = SERVICES[0]
    policy = _policy(emulator, service)
    policy.pop("bindings")
    reply = requests.post(f"{emulator.url}/v2/{service}:setIamPolicy", json={"policy": policy}, timeout=10)
    assert reply.status_code == 200

    drifted = cli("drift", "--env", "dev", "--format", "json")
    assert drifted.code == 2, drifted.out + drifted.err
    (item,) = json.loads(drifted.out)["drifted"]
    assert item["address"] == WEBSOCKET
    assert item["fields"] == [{"path": "members", "live": [], "desired": ["allUsers"]}]

    emulator.clear_requests()
    job = cli("apply", "--env", "dev", "--auto-approve", "--drift-only")
    assert job.code == 0, job.out + job.err
    assert WEBSOCKET in job.out and "never change who may do what" in job.out
    assert not [r for r in emulator.requests() if r.path.endswith(":setIamPolicy")]

    assert cli("apply", "--env", "dev", "--auto-approve").code == 0  # the reviewed apply
    assert _policy(emulator, service)["bindings"][0]["members"] == ["allUsers"]
