"""The global HTTPS load balancer through the CLI: converge, correct drift, swap the
certificate, replace a backend in the middle of the chain, and tear the chain down.

The load balancer is driven on its own (with the Cloud Run services it points at reported
as existing), so each test stays fast.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Sequence
from typing import Any

import httplib2
import pytest
from googleapiclient.discovery import build_from_document

from emulator.discovery import load_document
from provisioner.engine.kind import Kind, KindMeta, Reconciler
from provisioner.engine.operations import DoneOperation, Operation
from provisioner.engine.resource import LiveResource, Resource
from reconcilers.lb import LoadBalancerReconciler
from tests.e2e.conftest import SPECS

PROJECT = "digitwin-live-dev"
GLOBAL = f"projects/{PROJECT}/global"


class ExistingRunService(Kind):
    """Stands in for the Cloud Run services: every one the spec names already exists."""

    meta = KindMeta(kind="run.service")

    def observe(self, desired: Sequence[Resource]) -> list[LiveResource]:
        return [LiveResource(self.meta.kind, r.name, {}, managed=True) for r in desired]

    def create(self, desired: Resource) -> Operation:
        return DoneOperation()

    def update(self, desired: Resource, live: LiveResource, changes: Any) -> Operation:
        return DoneOperation()

    def delete(self, live: LiveResource) -> Operation:
        return DoneOperation()


class RunServices(Reconciler):
    family = "run"
    kinds = (ExistingRunService,)

    def desired(self, ctx: Any) -> list[Resource]:
        spec = ctx.spec
        return [
            Resource(ExistingRunService.meta.kind, f"{spec.region}/{spec.run_service_name(key)}", {})
            for key in spec.run.services
        ]


class WithoutLoadBalancer(LoadBalancerReconciler):
    """The load balancer's kinds, with nothing desired: what pruning the whole chain sees."""

    def desired(self, ctx: Any) -> list[Resource]:
        return []


@pytest.fixture
def lb_only(monkeypatch, apis_on):
    monkeypatch.setattr("reconcilers.all_reconcilers", lambda: [LoadBalancerReconciler(), RunServices()])


@pytest.fixture
def compute(emulator):
    doc = load_document("compute", "v1").raw
    return build_from_document(
        doc, http=httplib2.Http(timeout=30), client_options={"api_endpoint": emulator.url + "/compute/v1/"}
    )


def _wait(compute, op):
    while op["status"] != "DONE":
        op = compute.globalOperations().wait(project=PROJECT, operation=op["name"]).execute()
    assert "error" not in op, op


def _apply(cli, *extra: str) -> None:
    result = cli("apply", "--env", "dev", "--auto-approve", *extra)
    assert result.code == 0, result.out + result.err
    assert "0 failed, 0 skipped" in result.out


def _converged(cli, *extra: str) -> None:
    planned = cli("plan", "--env", "dev", "--detailed-exitcode", *extra)
    assert planned.code == 0, planned.out


def _names(compute, collection: str) -> list[str]:
    return [
        i["name"] for i in getattr(compute, collection)().list(project=PROJECT).execute().get("items", [])
    ]


def test_load_balancer_converges_and_is_idempotent(emulator, cli, lb_only, compute):
    _apply(cli)
    _converged(cli)
    # Serverless NEG backends take no timeout; the API refuses one (see the emulator's source).
    inserts = [
        r.body for r in emulator.requests() if r.method_id == "compute.backendServices.insert" and r.body
    ]
    assert len(inserts) == 3 and not [b for b in inserts if "timeoutSec" in b]

    (rule,) = [
        r
        for r in compute.globalForwardingRules().list(project=PROJECT).execute()["items"]
        if r["portRange"] == "443-443"
    ]
    address = compute.globalAddresses().get(project=PROJECT, address="digitwin-dev-lb-ip").execute()
    assert rule["IPAddress"] == address["address"]
    assert rule["loadBalancingScheme"] == "EXTERNAL_MANAGED"
    websocket = (
        compute.backendServices()
        .get(project=PROJECT, backendService="digitwin-dev-websocket-backend")
        .execute()
    )
    static = (
        compute.backendServices().get(project=PROJECT, backendService="digitwin-dev-static-backend").execute()
    )
    assert websocket["timeoutSec"] == 30 and not websocket["enableCDN"]  # the API's, unchangeable
    assert static["enableCDN"] and static["cdnPolicy"]["cacheMode"] == "CACHE_ALL_STATIC"
    assert websocket["securityPolicy"].endswith("/securityPolicies/digitwin-dev-armor")
    armor = compute.securityPolicies().get(project=PROJECT, securityPolicy="digitwin-dev-armor").execute()
    throttle = armor["rules"][0]
    assert throttle["action"] == "throttle"
    assert throttle["rateLimitOptions"]["rateLimitThreshold"] == {"count": 100, "intervalSec": 60}
    redirect = compute.urlMaps().get(project=PROJECT, urlMap="digitwin-dev-lb-redirect").execute()
    assert redirect["defaultUrlRedirect"]["httpsRedirect"] is True

    emulator.clear_requests()
    assert cli("apply", "--env", "dev", "--auto-approve").code == 0
    assert [r for r in emulator.requests() if r.is_write] == []


def test_drift_is_put_back_with_each_apis_own_update_form(emulator, cli, lb_only, compute):
    _apply(cli)
    url_map = compute.urlMaps().get(project=PROJECT, urlMap="digitwin-dev-lb").execute()
    url_map["pathMatchers"][0]["pathRules"] = url_map["pathMatchers"][0]["pathRules"][:1]
    _wait(
        compute, compute.urlMaps().update(project=PROJECT, urlMap="digitwin-dev-lb", body=url_map).execute()
    )
    backend = (
        compute.backendServices().get(project=PROJECT, backendService="digitwin-dev-api-backend").execute()
    )
    body = {"enableCDN": True, "fingerprint": backend["fingerprint"]}
    _wait(
        compute,
        compute.backendServices().patch(project=PROJECT, backendService=backend["name"], body=body).execute(),
    )
    _wait(
        compute,
        compute.backendServices()
        .setSecurityPolicy(project=PROJECT, backendService=backend["name"], body={"securityPolicy": None})
        .execute(),
    )
    _wait(
        compute,
        compute.securityPolicies()
        .removeRule(project=PROJECT, securityPolicy="digitwin-dev-armor", priority=1000)
        .execute(),
    )
    _wait(
        compute,
        compute.targetHttpsProxies()
        .setUrlMap(
            project=PROJECT,
            targetHttpsProxy="digitwin-dev-lb-https",
            body={"urlMap": f"{GLOBAL}/urlMaps/digitwin-dev-lb-redirect"},
        )
        .execute(),
    )
    rule = (
        compute.globalForwardingRules().get(project=PROJECT, forwardingRule="digitwin-dev-lb-https").execute()
    )
    labels = {
        "labels": {**rule["labels"], "team": "someone-else"},
        "labelFingerprint": rule["labelFingerprint"],
    }
    _wait(
        compute,
        compute.globalForwardingRules()
        .setLabels(project=PROJECT, resource=rule["name"], body=labels)
        .execute(),
    )

    planned = json.loads(cli("plan", "--env", "dev", "--format", "json").out)
    changed = {c["address"]: c["action"] for c in planned["changes"] if c["action"] != "noop"}
    assert changed == {
        "compute.url_map/digitwin-dev-lb": "update",
        "compute.backend_service/digitwin-dev-api-backend": "update",
        "compute.security_policy/digitwin-dev-armor": "update",
        "compute.target_https_proxy/digitwin-dev-lb-https": "update",
        "compute.global_forwarding_rule/digitwin-dev-lb-https": "update",
    }

    emulator.clear_requests()
    _apply(cli)
    writes = {(r.http_method, r.path.rsplit("/", 1)[-1]) for r in emulator.requests() if r.is_write}
    assert ("PUT", "digitwin-dev-lb") in writes  # the whole URL map, with its fingerprint
    assert ("PATCH", "digitwin-dev-api-backend") in writes
    assert {
        ("POST", "setSecurityPolicy"),
        ("POST", "addRule"),
        ("POST", "setUrlMap"),
        ("POST", "setLabels"),
    } <= writes
    _converged(cli)


def test_new_domains_swap_in_a_new_certificate_before_the_old_one_goes(
    emulator, cli, lb_only, compute, tmp_path
):
    _apply(cli)
    (old,) = _names(compute, "sslCertificates")
    specs = tmp_path / "specs"
    shutil.copytree(SPECS, specs)
    dev = specs / "dev.yaml"
    dev.write_text(
        dev.read_text().replace(
            "[dev.digitwin.example.com]", "[dev.digitwin.example.com, app.dev.digitwin.example.com]"
        )
    )

    planned = cli("plan", "--env", "dev", "--specs", str(specs))
    assert "-/+ compute.ssl_certificate/digitwin-dev-cert" in planned.out
    assert "PROVISIONING" in planned.out
    assert "~ compute.target_https_proxy/digitwin-dev-lb-https" in planned.out

    emulator.clear_requests()
    _apply(cli, "--specs", str(specs))
    writes = [(r.http_method, r.path.split("/")[-2:]) for r in emulator.requests() if r.is_write]
    created = writes.index(("POST", ["global", "sslCertificates"]))
    swapped = writes.index(("POST", ["digitwin-dev-lb-https", "setSslCertificates"]))
    removed = writes.index(("DELETE", ["sslCertificates", old]))
    assert created < swapped < removed
    (new,) = _names(compute, "sslCertificates")
    assert new != old and new.startswith("digitwin-dev-cert-")
    cert = compute.sslCertificates().get(project=PROJECT, sslCertificate=new).execute()
    assert cert["managed"]["status"] == "PROVISIONING"
    assert sorted(cert["managed"]["domains"]) == ["app.dev.digitwin.example.com", "dev.digitwin.example.com"]
    proxy = (
        compute.targetHttpsProxies().get(project=PROJECT, targetHttpsProxy="digitwin-dev-lb-https").execute()
    )
    assert [c.rsplit("/", 1)[-1] for c in proxy["sslCertificates"]] == [new]
    _converged(cli, "--specs", str(specs))


def test_changing_the_scheme_replaces_backends_and_everything_in_front_of_them(
    emulator, cli, lb_only, compute, tmp_path
):
    _apply(cli)
    specs = tmp_path / "specs"
    shutil.copytree(SPECS, specs)
    base = specs / "base.yaml"
    base.write_text(
        base.read_text().replace("load_balancing_scheme: EXTERNAL_MANAGED", "load_balancing_scheme: EXTERNAL")
    )

    planned = json.loads(cli("plan", "--env", "dev", "--specs", str(specs), "--format", "json").out)
    replaced = {c["address"] for c in planned["changes"] if c["action"] == "replace"}
    assert "compute.backend_service/digitwin-dev-api-backend" in replaced
    assert "compute.url_map/digitwin-dev-lb" in replaced

    _apply(cli, "--specs", str(specs))
    backend = (
        compute.backendServices().get(project=PROJECT, backendService="digitwin-dev-api-backend").execute()
    )
    assert backend["loadBalancingScheme"] == "EXTERNAL"
    _converged(cli, "--specs", str(specs))


def test_pruning_the_chain_deletes_it_front_to_back(emulator, cli, lb_only, compute, monkeypatch):
    _apply(cli)
    monkeypatch.setattr("reconcilers.all_reconcilers", lambda: [WithoutLoadBalancer(), RunServices()])

    planned = cli("plan", "--env", "dev", "--prune")
    assert "the certificate was still PROVISIONING" in planned.out

    emulator.clear_requests()
    _apply(cli, "--prune")
    deleted = ["/".join(r.path.split("/")[-2:]) for r in emulator.requests() if r.http_method == "DELETE"]
    at = {path: i for i, path in enumerate(deleted)}
    # Each link goes only after everything that points at it (the two chains run side by side).
    https = [
        "forwardingRules/digitwin-dev-lb-https",
        "targetHttpsProxies/digitwin-dev-lb-https",
        "urlMaps/digitwin-dev-lb",
    ]
    redirect = [
        "forwardingRules/digitwin-dev-lb-http",
        "targetHttpProxies/digitwin-dev-lb-http",
        "urlMaps/digitwin-dev-lb-redirect",
    ]
    for chain in (https, redirect):
        assert [at[p] for p in chain] == sorted(at[p] for p in chain), deleted
    backends = [p for p in deleted if p.startswith("backendServices/")]
    assert all(at["urlMaps/digitwin-dev-lb"] < at[b] for b in backends)
    assert all(at[b] < at[n] for b in backends for n in deleted if n.startswith("networkEndpointGroups/"))
    assert all(at[b] < at["securityPolicies/digitwin-dev-armor"] for b in backends)
    cert = next(p for p in deleted if p.startswith("sslCertificates/"))
    assert at["targetHttpsProxies/digitwin-dev-lb-https"] < at[cert]
    assert max(at[https[0]], at[redirect[0]]) < at["addresses/digitwin-dev-lb-ip"]
    for collection in (
        "globalForwardingRules",
        "urlMaps",
        "backendServices",
        "sslCertificates",
        "securityPolicies",
    ):
        assert _names(compute, collection) == []


@pytest.mark.skipif(shutil.which("gcloud") is None, reason="gcloud is not on PATH")
def test_gcloud_lists_the_forwarding_rules(emulator, cli, lb_only, tmp_path):
    _apply(cli)
    env = {**os.environ, "CLOUDSDK_CONFIG": str(tmp_path / "gcloud"), "CLOUDSDK_CORE_DISABLE_PROMPTS": "1"}
    for prop, value in (
        ("api_endpoint_overrides/compute", emulator.url + "/compute/v1/"),
        ("auth/disable_credentials", "true"),
        ("core/project", PROJECT),
    ):
        subprocess.run(["gcloud", "config", "set", prop, value], env=env, capture_output=True, check=True)

    listed = subprocess.run(
        ["gcloud", "compute", "forwarding-rules", "list", "--format=json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert listed.returncode == 0, listed.stderr
    rules = {r["name"]: r for r in json.loads(listed.stdout)}
    assert set(rules) == {"digitwin-dev-lb-https", "digitwin-dev-lb-http"}
    assert rules["digitwin-dev-lb-https"]["portRange"] == "443-443"
    assert rules["digitwin-dev-lb-http"]["target"].endswith("/targetHttpProxies/digitwin-dev-lb-http")
