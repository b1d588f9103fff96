"""What a project allows before any resource exists: billing, quotas, the caller's permissions
and the organisation policies over it.

Each is stored per project (by id) and set through the control surface, so a test can make a
project without billing, one without GPU quota, or one under an organisation policy. Unset, a
project is an established one: billing linked, quotas that fit every shipped spec, a caller
who may do everything (an owner), and no organisation policy.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache
from typing import Any

from emulator.errors import ApiError, invalid
from emulator.refusal import refusal
from emulator.state import Store

KIND = "emulator.guardrails"
DEFAULT_BILLING_ACCOUNT = "billingAccounts/012345-6789AB-CDEF01"

#: Limits of an established project in every region. Real limits vary per project and are read
#: from the API (https://cloud.google.com/compute/resource-usage); these fit the shipped specs at
#: their autoscaling maximum, so an emulated project passes preflight unless a test lowers one.
DEFAULT_REGION_QUOTAS: dict[str, float] = {
    "CPUS": 400,
    "N2_CPUS": 400,
    "E2_CPUS": 400,
    "NVIDIA_T4_GPUS": 48,
    "PREEMPTIBLE_NVIDIA_T4_GPUS": 48,
    "IN_USE_ADDRESSES": 69,
    "STATIC_ADDRESSES": 21,
    "SUBNETWORKS": 100,
    "ROUTERS": 10,
    "SSD_TOTAL_GB": 20480,
    "DISKS_TOTAL_GB": 40960,
}
#: Project-wide limits (`projects.get`), likewise.
DEFAULT_PROJECT_QUOTAS: dict[str, float] = {
    "CPUS_ALL_REGIONS": 400,
    "GPUS_ALL_REGIONS": 48,
    "NETWORKS": 15,
    "FIREWALLS": 200,
    "STATIC_ADDRESSES": 21,
    "GLOBAL_INTERNAL_ADDRESSES": 5000,
    "SECURITY_POLICIES": 10,
    "BACKEND_SERVICES": 75,
    "URL_MAPS": 30,
    "TARGET_HTTPS_PROXIES": 30,
    "TARGET_HTTP_PROXIES": 30,
    "FORWARDING_RULES": 45,
    "SSL_CERTIFICATES": 30,
}

#: The list constraints the emulator knows, and the boolean ones.
LIST_CONSTRAINTS = frozenset(
    {
        "constraints/gcp.resourceLocations",
        "constraints/iam.allowedPolicyMemberDomains",
        "constraints/gcp.restrictNonCmekServices",
    }
)
BOOLEAN_CONSTRAINTS = frozenset({"constraints/iam.disableServiceAccountKeyCreation"})

# IAM permission names are service.resource.verb (https://cloud.google.com/iam/docs/permissions-reference);
# "Permissions with wildcards (such as * or storage.*) are not allowed"
# (https://cloud.google.com/iam/docs/reference/rest/v1/TestIamPermissionsRequest).
_PERMISSION = re.compile(r"^[a-z][a-zA-Z0-9]*(\.[a-zA-Z][a-zA-Z0-9]*){2,3}$")


def _record(store: Store, project_id: str) -> dict[str, Any]:
    return store.get(KIND, project_id) or {}


def _save(store: Store, project_id: str, record: dict[str, Any]) -> None:
    store.put(KIND, project_id, record)


# -- billing -----------------------------------------------------------------------------
def billing(store: Store, project_id: str) -> dict[str, Any]:
    """ProjectBillingInfo as Cloud Billing answers it; an unlinked project has an empty
    account name and billingEnabled false."""
    enabled = _record(store, project_id).get("billing", True)
    info: dict[str, Any] = {
        "name": f"projects/{project_id}/billingInfo",
        "projectId": project_id,
        "billingAccountName": _record(store, project_id).get("billingAccount", DEFAULT_BILLING_ACCOUNT)
        if enabled
        else "",
        "billingEnabled": bool(enabled),
    }
    return info


#: Paid services, which Service Usage enables only on a project with billing; their
#: documentation lists a linked billing account as a prerequisite.
BILLED_SERVICES = frozenset(
    {
        "compute.googleapis.com",
        "container.googleapis.com",
        "sqladmin.googleapis.com",
        "run.googleapis.com",
        "vpcaccess.googleapis.com",
        "cloudkms.googleapis.com",
        "secretmanager.googleapis.com",
        "cloudscheduler.googleapis.com",
    }
)


def refuse_unbilled_enable(store: Store, project_id: str, number: str, services: Iterable[str]) -> None:
    """Service Usage's answer to enabling paid services on a project without billing
    (recorded from gcloud in kyegomez/zeta#71): 400 FAILED_PRECONDITION, naming every service."""
    billed = [s for s in services if s in BILLED_SERVICES]
    if not billed or billing(store, project_id)["billingEnabled"]:
        return
    listed = ",".join(billed)
    raise ApiError(
        400,
        f"Billing account for project '{number}' is not found. Billing must be enabled for activation "
        f"of service(s) '{listed}' to proceed.",
        status="FAILED_PRECONDITION",
        reason="failedPrecondition",
        details=[
            {
                "@type": "type.googleapis.com/google.rpc.PreconditionFailure",
                "violations": [
                    {
                        "type": "googleapis.com/billing-enabled",
                        "subject": f"?error_code=390001&project={number}&services={listed}",
                    }
                ],
            },
            {
                "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                "reason": "UREQ_PROJECT_BILLING_NOT_FOUND",
                "domain": "serviceusage.googleapis.com/billing-enabled",
                "metadata": {"project": number, "services": listed},
            },
        ],
    )


def set_billing(store: Store, project_id: str, enabled: bool, account: str | None = None) -> None:
    """Link the project to `account` (the default one when None), or unlink it."""
    record = _record(store, project_id)
    record["billing"] = bool(enabled)
    record.pop("billingAccount", None)
    if enabled and account:
        record["billingAccount"] = account
    _save(store, project_id, record)


# -- quotas ------------------------------------------------------------------------------
@cache
def known_metrics() -> frozenset[str]:
    """The quota metrics Compute Engine names (the `Quota.metric` enum of its discovery document)."""
    from emulator.discovery import load_document

    return frozenset(load_document("compute", "v1").schemas["Quota"]["properties"]["metric"]["enum"])


def quotas(store: Store, project_id: str, region: str | None) -> list[dict[str, Any]]:
    """The quotas of one region (None: the project-wide ones), as `Quota` objects."""
    defaults = DEFAULT_REGION_QUOTAS if region else DEFAULT_PROJECT_QUOTAS
    overrides = _record(store, project_id).get("quotas", {}).get(region or "", {})
    merged = {metric: {"limit": limit, "usage": 0.0} for metric, limit in defaults.items()}
    for metric, value in overrides.items():
        merged[metric] = {**merged.get(metric, {"limit": 0.0, "usage": 0.0}), **value}
    if region:
        # What the project's GKE nodes use counts, as it does on Compute Engine.
        limits = {m: {"limit": v["limit"]} for m, v in merged.items()}
        for metric, used in _node_needs(_pools_in(store, project_id, region), limits).items():
            entry = merged.setdefault(metric, {"limit": 0.0, "usage": 0.0})
            entry["usage"] = float(entry.get("usage", 0.0)) + used
    return [
        {"metric": metric, "limit": float(v["limit"]), "usage": float(v["usage"])}
        for metric, v in sorted(merged.items())
    ]


def set_quota(
    store: Store, project_id: str, region: str | None, metric: str, limit: float, usage: float | None = None
) -> None:
    if metric not in known_metrics():
        raise ValueError(f"unknown quota metric {metric!r}")
    record = _record(store, project_id)
    entry = record.setdefault("quotas", {}).setdefault(region or "", {}).setdefault(metric, {})
    entry["limit"] = float(limit)
    if usage is not None:
        entry["usage"] = float(usage)
    _save(store, project_id, record)


# -- the caller's permissions ----------------------------------------------------------------
def granted(store: Store, project_id: str) -> frozenset[str] | None:
    """The permissions the caller holds on the project; None: every permission (an owner)."""
    held = _record(store, project_id).get("permissions")
    return None if held is None else frozenset(held)


def set_granted(store: Store, project_id: str, permissions: Iterable[str] | None) -> None:
    record = _record(store, project_id)
    record["permissions"] = None if permissions is None else sorted(set(permissions))
    _save(store, project_id, record)


def allows(store: Store, project_id: str, permission: str) -> bool:
    held = granted(store, project_id)
    return held is None or permission in held


def test_permissions(store: Store, project_id: str, permissions: list[str]) -> list[str]:
    """The subset of `permissions` the caller holds, as testIamPermissions answers.

    A malformed or wildcard permission is refused with 400, as the real API refuses it.
    """
    for index, permission in enumerate(permissions):
        if not _PERMISSION.match(permission):
            raise invalid(f"Permission {permission} is not valid.", field=f"permissions[{index}]")
    held = granted(store, project_id)
    return sorted({p for p in permissions if held is None or p in held})


# -- organisation policies -----------------------------------------------------------------
def set_org_policy(store: Store, project_id: str, constraint: str, policy: dict[str, Any] | None) -> None:
    """Set (or with None, clear) the effective policy of `constraint` on the project."""
    if not constraint.startswith("constraints/"):
        constraint = f"constraints/{constraint}"
    if constraint not in LIST_CONSTRAINTS | BOOLEAN_CONSTRAINTS:
        raise ValueError(f"unknown constraint {constraint!r}")
    record = _record(store, project_id)
    policies = record.setdefault("org_policies", {})
    if policy is None:
        policies.pop(constraint, None)
    else:
        policies[constraint] = policy
    _save(store, project_id, record)


def effective_org_policy(store: Store, project_id: str, constraint: str) -> dict[str, Any]:
    """The v1 OrgPolicy in force; a constraint nobody set comes back with only its name and an
    etag, as getEffectiveOrgPolicy answers for the constraint's default
    (https://cloud.google.com/resource-manager/reference/rest/v1/projects/getEffectiveOrgPolicy)."""
    policy = _record(store, project_id).get("org_policies", {}).get(constraint)
    body: dict[str, Any] = {"constraint": constraint, "etag": "BwXbN9eTQkI="}
    if policy:
        body.update({k: v for k, v in policy.items() if k in ("listPolicy", "booleanPolicy")})
        body["version"] = 1
        body["updateTime"] = "2024-01-01T00:00:00Z"
    return body


def _member_refused(list_policy: dict[str, Any], member: str) -> bool:
    """Whether iam.allowedPolicyMemberDomains refuses `member`.

    allUsers and allAuthenticatedUsers belong to no customer, so any allow-list refuses them
    (https://cloud.google.com/resource-manager/docs/organization-policy/restricting-domains);
    other members are not checked here: the emulator knows no customer ids.
    """
    if list_policy.get("allValues") == "ALLOW":
        return False
    if list_policy.get("allValues") == "DENY":
        return True
    if not list_policy.get("allowedValues"):
        return False
    return member in ("allUsers", "allAuthenticatedUsers")


def refuse_policy_members(store: Store, resource: str, members: Iterable[str]) -> None:
    """Refuse an IAM policy naming members the project's allowed-domains policy forbids.

    Real GCP answers 400 FAILED_PRECONDITION with a PreconditionFailure naming the constraint
    (terraform-google-modules/terraform-example-foundation#1454,
    googlemaps/js-route-optimization-app#198).
    """
    parts = resource.split("/")
    if len(parts) < 2 or parts[0] != "projects":
        return
    project_id = _project_id(store, parts[1])
    if project_id is None:
        return
    policies = _record(store, project_id).get("org_policies", {})
    policy = policies.get("constraints/iam.allowedPolicyMemberDomains")
    list_policy = (policy or {}).get("listPolicy") or {}
    refused = [m for m in members if _member_refused(list_policy, m)]
    if not refused:
        return
    raise ApiError(
        400,
        "One or more users named in the policy do not belong to a permitted customer, "
        "perhaps due to an organization policy.",
        status="FAILED_PRECONDITION",
        reason="failedPrecondition",
        details=[
            {
                "@type": "type.googleapis.com/google.rpc.PreconditionFailure",
                "violations": [
                    {
                        "type": "constraints/iam.allowedPolicyMemberDomains",
                        "subject": f"orgpolicy:projects/{project_id}?configvalue={member}",
                        "description": f"User {member} is not in permitted organization.",
                    }
                    for member in refused
                ],
            }
        ],
    )


def _project_id(store: Store, id_or_number: str) -> str | None:
    for project_id, number in store.projects().items():
        if id_or_number in (project_id, number):
            return project_id
    return None


# -- GKE nodes against the region's quotas ---------------------------------------------------
def _vcpus(machine: str) -> int:
    shared = {"e2-micro": 2, "e2-small": 2, "e2-medium": 2, "f1-micro": 1, "g1-small": 1}
    if machine in shared:
        return shared[machine]
    custom = re.search(r"custom-(\d+)-\d+", machine)
    if custom:
        return int(custom.group(1))
    last = machine.rsplit("-", 1)[-1]
    return int(last) if last.isdigit() else 1


def _node_needs(pools: Iterable[dict[str, Any]], quota: dict[str, dict[str, Any]]) -> dict[str, float]:
    """The regional quotas these GKE pools' nodes draw on, by metric."""
    needs: dict[str, float] = {}
    for pool in pools:
        count = int(pool.get("_nodeCount") or 0)
        if not count:
            continue
        config = pool.get("config") or {}
        machine = str(config.get("machineType") or "e2-medium")
        family = machine.split("-", 1)[0]
        if family in ("n1", "e2", "f1", "g1"):
            needs["CPUS"] = needs.get("CPUS", 0) + count * _vcpus(machine)
        for accelerator in config.get("accelerators") or []:
            model = re.sub(r"^nvidia-(tesla-)?", "", str(accelerator.get("acceleratorType", "")))
            metric = f"NVIDIA_{model.upper().replace('-', '_')}_GPUS"
            spot = bool(config.get("spot") or config.get("preemptible"))
            if spot and float((quota.get(f"PREEMPTIBLE_{metric}") or {}).get("limit", 0)) > 0:
                metric = f"PREEMPTIBLE_{metric}"
            needs[metric] = needs.get(metric, 0) + count * int(accelerator.get("acceleratorCount", 1))
    return needs


def _pools_in(store: Store, project_id: str, region: str) -> list[dict[str, Any]]:
    """The GKE node pools of the project whose nodes are in `region`."""
    found = []
    for pool in store.list("container.nodePool"):
        parts = str(pool.get("selfLink", "")).split("/projects/", 1)[-1].split("/")
        if len(parts) > 2 and parts[0] == project_id and _region_of(parts[2]) == region:
            found.append(pool)
    return found


def _region_of(location: str) -> str:
    return location.rsplit("-", 1)[0] if re.fullmatch(r".+\d-[a-z]", location) else location


def refuse_short_node_quota(
    store: Store, project_id: str, region: str, pools: Iterable[dict[str, Any]]
) -> None:
    """GKE refuses to create node pools whose first nodes the region's quota cannot hold, with 403
    and one line per short quota (vanvalenlab/kiosk-console#367, m-lab/etl#798, and the numbered
    form for several in kaiwaehner/hivemq-mqtt-tensorflow-kafka-realtime-iot-machine-learning-
    training-inference#48). Vcpus of N1 and E2 machines count against CPUS; GPUs of Spot nodes
    against the preemptible quota when the project has one
    (https://cloud.google.com/compute/docs/instances/spot#quotas)."""
    quota = {q["metric"]: q for q in quotas(store, project_id, region)}
    needs = _node_needs(pools, quota)
    short = []
    for metric, need in sorted(needs.items()):
        limit = float((quota.get(metric) or {}).get("limit", 0))
        free = max(limit - float((quota.get(metric) or {}).get("usage", 0)), 0.0)
        if need > free:
            short.append(
                f'insufficient regional quota to satisfy request: resource "{metric}": request requires'
                f" '{need:.1f}' and is short '{need - free:.1f}'. project has a quota of '{limit:.1f}' with"
                f" '{free:.1f}' available. View and manage quotas at"
                f" https://console.cloud.google.com/iam-admin/quotas?usage=USED&project={project_id}"
            )
    if not short:
        return
    if len(short) == 1:
        message = short[0][0].upper() + short[0][1:] + "."
    else:
        message = "\n" + "\n".join(f"({i}) {line}" for i, line in enumerate(short, 1)) + "."
    raise ApiError(403, message, reason="forbidden")


DOMAIN_RESTRICTED_SHARING = refusal(
    "*.setIamPolicy",
    "allUsers or allAuthenticatedUsers under an iam.allowedPolicyMemberDomains policy "
    "(400 FAILED_PRECONDITION)",
    source="terraform-google-modules/terraform-example-foundation#1454; "
    "googlemaps/js-route-optimization-app#198",
    test="tests/emulator/test_guardrails.py::test_public_members_are_refused_under_an_allowed_domains_policy",
)
