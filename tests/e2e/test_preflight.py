"""Preflight: a project that would refuse part of the spec is refused before the first write.

Each case sets up the project through the emulator's control surface (billing, quotas, the
caller's permissions, organisation policies), then runs `preflight` and `apply` as an
operator would; the request log shows that nothing was written.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from provisioner.workflows import preflight

DEV = "digitwin-live-dev"


def writes(emulator) -> list[str]:
    return [f"{r.http_method} {r.path}" for r in emulator.requests() if r.is_write]


def test_an_established_project_passes_and_apply_goes_on(apis_on, cli):
    checked = cli("preflight", "--env", "dev")

    assert checked.code == 0, checked.out + checked.err
    assert "ok        billing: enabled (billingAccounts/" in checked.out
    assert "permissions: the caller holds all" in checked.out
    assert "Preflight passed." in checked.out
    assert writes(apis_on) == []
    applied = cli("apply", "--env", "dev", "--auto-approve", "-q")
    assert applied.code == 0, applied.err
    assert "Apply complete:" in applied.out


def test_a_project_without_billing_is_refused_before_any_write(emulator, cli):
    emulator.set_billing(DEV, False)

    checked = cli("preflight", "--env", "dev")
    applied = cli("apply", "--env", "dev", "--auto-approve")

    assert checked.code == 1
    assert f"FAILED    billing: project {DEV} has no billing account linked" in checked.out
    assert f"fix: gcloud billing projects link {DEV} --billing-account=BILLING_ACCOUNT_ID" in checked.out
    assert "Preflight failed: 1 problem; nothing was written." in checked.out
    assert applied.code == 1
    assert "has no billing account linked" in applied.err
    assert "Apply complete" not in applied.out
    assert writes(emulator) == []


def test_a_project_without_gpu_quota_is_refused_naming_the_quota_and_where_to_ask(apis_on, cli):
    apis_on.set_quota(DEV, None, "GPUS_ALL_REGIONS", 0)

    checked = cli("preflight", "--env", "dev")
    applied = cli("apply", "--env", "dev", "--auto-approve")

    assert checked.code == 1
    line = next(x for x in checked.out.splitlines() if "GPUS_ALL_REGIONS" in x)
    # dev's GPU pools start at 0 nodes, but with no quota at all they could never start one.
    assert line.strip().startswith(
        "FAILED    quotas: GPUS_ALL_REGIONS: lipsync-gpu-pool, tts-gpu-pool need 0"
    )
    assert "up to 4; limit 0, 0 in use" in line
    assert f"https://console.cloud.google.com/iam-admin/quotas?project={DEV}" in checked.out
    assert applied.code == 1
    assert "GPUS_ALL_REGIONS" in applied.err
    assert writes(apis_on) == []


def test_regional_t4_quota_below_what_the_pools_start_with_is_refused(apis_on, cli):
    apis_on.set_quota("digitwin-live-prod", "us-central1", "NVIDIA_T4_GPUS", 4, usage=3)

    checked = cli("preflight", "--env", "prod")

    assert checked.code == 1
    line = next(x for x in checked.out.splitlines() if "NVIDIA_T4_GPUS in us-central1" in x)
    assert "FAILED" in line
    assert "limit 4, 3 in use" in line


def test_quota_short_of_the_autoscaling_maximum_only_warns(apis_on, cli):
    apis_on.set_quota(DEV, "us-central1", "PREEMPTIBLE_NVIDIA_T4_GPUS", 2)

    checked = cli("preflight", "--env", "dev")

    assert checked.code == 0, checked.out
    assert "warning   quotas: PREEMPTIBLE_NVIDIA_T4_GPUS in us-central1:" in checked.out
    assert "can scale only to 2 of the 4 the spec allows" in checked.out


def test_spot_gpus_draw_on_the_standard_quota_when_there_is_no_preemptible_one(apis_on, cli):
    apis_on.set_quota(DEV, "us-central1", "PREEMPTIBLE_NVIDIA_T4_GPUS", 0)
    apis_on.set_quota(DEV, "us-central1", "NVIDIA_T4_GPUS", 0)

    checked = cli("preflight", "--env", "dev")

    assert checked.code == 1
    assert "FAILED    quotas: NVIDIA_T4_GPUS in us-central1:" in checked.out


def test_resources_that_exist_already_draw_nothing_new(apis_on, cli):
    assert cli("apply", "--env", "dev", "--auto-approve", "-q").code == 0
    apis_on.set_quota(DEV, None, "GPUS_ALL_REGIONS", 0)

    checked = cli("preflight", "--env", "dev")

    assert checked.code == 0, checked.out
    assert "quotas: enough for what an apply would create (nothing new)" in checked.out


def test_missing_permissions_are_named_with_what_needs_them(emulator, cli):
    held = preflight.all_permissions(_reconcilers())
    emulator.set_caller_permissions(DEV, [p for p in held if p not in ("compute.firewalls.create",)])

    checked = cli("preflight", "--env", "dev")
    applied = cli("apply", "--env", "dev", "--auto-approve")

    assert checked.code == 1
    assert "FAILED    permissions: the caller lacks 1 of the" in checked.out
    assert "compute.firewalls.create (compute.firewall)" in checked.out
    assert "--add-permissions=compute.firewalls.create" in checked.out
    assert applied.code == 1
    assert writes(emulator) == []


def test_a_region_the_organisation_does_not_allow_is_refused(emulator, cli):
    emulator.set_org_policy(
        DEV, "gcp.resourceLocations", {"listPolicy": {"allowedValues": ["in:europe-locations"]}}
    )

    checked = cli("preflight", "--env", "dev")

    assert checked.code == 1
    assert "FAILED    organisation policies: gcp.resourceLocations refuses us-central1" in checked.out
    assert "allowed: in:europe-locations" in checked.out
    assert "gcloud org-policies describe gcp.resourceLocations" in checked.out
    assert writes(emulator) == []


def test_the_shipped_spec_names_a_key_wherever_the_organisation_requires_cmek(emulator, cli):
    services = ["sqladmin.googleapis.com", "storage.googleapis.com", "secretmanager.googleapis.com"]
    emulator.set_org_policy(DEV, "gcp.restrictNonCmekServices", {"listPolicy": {"deniedValues": services}})

    checked = cli("preflight", "--env", "dev")

    assert checked.code == 0, checked.out
    assert "organisation policies: none in force refuses what the spec asks for" in checked.out


def test_a_resource_without_a_key_where_the_organisation_requires_cmek_is_refused(emulator):
    emulator.set_org_policy(
        DEV, "gcp.restrictNonCmekServices", {"listPolicy": {"deniedValues": ["secretmanager.googleapis.com"]}}
    )
    planner = _planner(emulator)
    secret = next(r for r in planner.desired() if r.kind == "secrets.secret")
    body = {**secret.body, "replication": {"userManaged": {"replicas": [{"location": "us-central1"}]}}}
    _swap(planner, replace(secret, body=body))

    report = preflight.run(planner)

    (finding,) = report.failed
    assert "gcp.restrictNonCmekServices requires a customer-managed key" in finding.message
    assert f"{secret.address} (secretmanager.googleapis.com)" in finding.message
    assert writes(emulator) == []


def test_public_members_under_an_allowed_domains_policy_are_refused_before_any_write(emulator):
    """A spec granting allUsers (public Cloud Run behind the load balancer) meets an organisation
    that allows only its own customer: preflight refuses, and Google itself would refuse the grant."""
    emulator.set_org_policy(
        DEV, "iam.allowedPolicyMemberDomains", {"listPolicy": {"allowedValues": ["C03xyz123"]}}
    )
    planner = _planner(emulator)
    key_iam = next(r for r in planner.desired() if r.kind == "kms.key_iam")
    _swap(
        planner,
        replace(key_iam, body={"members": {"roles/cloudkms.cryptoKeyEncrypterDecrypter": ["allUsers"]}}),
    )

    report = preflight.run(planner)

    assert not report.ok
    (finding,) = report.failed
    assert finding.check == "organisation policies"
    assert f"{key_iam.address} grants allUsers" in finding.message
    assert "iam.allowedPolicyMemberDomains" in finding.message
    assert "gcloud org-policies describe iam.allowedPolicyMemberDomains" in (finding.fix or "")
    assert writes(emulator) == []


def test_the_permission_list_is_each_kinds_declaration_and_the_engines():
    listed = preflight.all_permissions(_reconcilers())

    assert listed == sorted(set(listed))
    assert {"compute.firewalls.create", "container.clusters.update", "serviceusage.services.enable"} <= set(
        listed
    )
    assert {"storage.objects.create", "resourcemanager.projects.get"} <= set(listed)  # the lock, the engine
    assert not [p for p in listed if "*" in p]


def test_the_permission_list_is_printed_without_any_api_call(cli):
    listed = cli("preflight", "--env", "dev", "--list-permissions")

    assert listed.code == 0
    assert listed.out.split() == preflight.all_permissions(_reconcilers())


def test_skipping_preflight_meets_google_refusing_the_first_write_instead(emulator, cli):
    """What preflight spares: Service Usage refuses to enable paid APIs on a project without
    billing, so the apply fails part-way, with what needs those APIs skipped."""
    emulator.set_billing(DEV, False)

    applied = cli("apply", "--env", "dev", "--auto-approve", "--skip-preflight")

    assert applied.code == 1
    assert "billing:" not in applied.err
    assert "Billing must be enabled for activation of service(s)" in applied.err + applied.out
    assert [r.method_id for r in emulator.requests() if "getBillingInfo" in (r.method_id or "")] == []
    enables = [r for r in emulator.requests() if r.is_write and "enable" in (r.method_id or "").lower()]
    assert any(r.status == 400 for r in enables)


@pytest.fixture(autouse=True)
def _fast_retries(monkeypatch):
    monkeypatch.setenv("PROVISIONER_RETRY_DEADLINE", "5")


def _reconcilers():
    from reconcilers import all_reconcilers

    return all_reconcilers()


def _planner(emulator):
    from provisioner.engine.context import Context
    from provisioner.engine.planner import Planner
    from provisioner.google.clients import ClientFactory, Endpoints
    from provisioner.spec.loader import load_env_spec
    from tests.e2e.conftest import SPECS

    ctx = Context(spec=load_env_spec(SPECS, "dev"), clients=ClientFactory(Endpoints(default=emulator.url)))
    return Planner(ctx, _reconcilers())


def _swap(planner, changed) -> None:
    """The spec's resources with one of them as a spec option not shipped today would make it."""
    spec_desired = planner.desired
    planner.desired = lambda: [changed if r.address == changed.address else r for r in spec_desired()]
