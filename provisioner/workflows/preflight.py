"""Preflight: what a project must allow before an apply writes anything.

A brand-new project fails an apply in the middle for reasons no plan shows: no billing
account, no GPU quota, a caller without some permission, an organisation policy that
refuses a public member or a location. Each is readable up front, so `preflight` (and
`apply`, first) reads them all and refuses, naming what is missing and how to fix it,
before the first write:

- billing: Cloud Billing's `projects.getBillingInfo`;
- permissions: Cloud Resource Manager's `projects.testIamPermissions` with every
  permission the spec's kinds declare (`KindMeta.permissions`) and the engine's own;
- organisation policies in force (`projects.getEffectiveOrgPolicy`): resource locations,
  allowed policy member domains, services that require CMEK;
- quotas: Compute Engine's region and project quotas against what the resources an apply
  would create draw on (`engine.quota`).

Nothing here knows a service by name: the kinds say what they need.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from provisioner.engine.kind import Kind, Reconciler
from provisioner.engine.permissions import ACTIONS
from provisioner.engine.quota import QuotaNeed, quota_needs
from provisioner.engine.resource import Address, LiveResource, Resource
from provisioner.google.errors import classify

if TYPE_CHECKING:
    from provisioner.engine.context import Context
    from provisioner.engine.planner import Planner

Status = Literal["ok", "failed", "warning", "unchecked"]

#: What the engine itself calls, beside the kinds: the project (its number; billing is read
#: with this permission too), the organisation policies and quotas preflight reads.
ENGINE_PERMISSIONS = {
    "resourcemanager.projects.get": "the project's number and billing account",
    "orgpolicy.policy.get": "the organisation policies preflight reads",
    "compute.regions.get": "the region's quotas preflight reads",
    "compute.projects.get": "the project-wide quotas preflight reads",
}
#: testIamPermissions takes at most this many permissions a call.
_PERMISSIONS_A_CALL = 100
PUBLIC_MEMBERS = ("allUsers", "allAuthenticatedUsers")
CONSTRAINTS = (
    "constraints/gcp.resourceLocations",
    "constraints/iam.allowedPolicyMemberDomains",
    "constraints/gcp.restrictNonCmekServices",
)


@dataclass(frozen=True)
class Finding:
    """One check's outcome, with what fixes it when it did not pass."""

    check: str
    status: Status
    message: str
    fix: str | None = None


@dataclass
class Report:
    env: str
    project: str
    findings: list[Finding] = field(default_factory=list)

    @property
    def failed(self) -> list[Finding]:
        return [f for f in self.findings if f.status == "failed"]

    @property
    def ok(self) -> bool:
        return not self.failed

    def render(self, quiet: bool = False) -> str:
        """One line a check; a fix under each that did not pass. `quiet`: problems only."""
        label = {"ok": "ok", "failed": "FAILED", "warning": "warning", "unchecked": "unchecked"}
        lines = [] if quiet else [f"Preflight of {self.env} (project {self.project})", ""]
        for finding in self.findings:
            if quiet and finding.status == "ok":
                continue
            lines.append(f"  {label[finding.status]:<9} {finding.check}: {finding.message}")
            if finding.fix:
                lines.append(f"            fix: {finding.fix}")
        if self.failed:
            count = len(self.failed)
            lines.append(f"Preflight failed: {count} problem{'s' if count > 1 else ''}; nothing was written.")
        elif not quiet:
            lines.append("Preflight passed.")
        return "\n".join(lines)


# -- what the spec needs ------------------------------------------------------------------
def needed_permissions(kinds: Iterable[Kind | type[Kind]]) -> dict[str, list[str]]:
    """Every permission an apply of these kinds may use, to what needs it."""
    from provisioner.engine.lock import PERMISSIONS as LOCK_PERMISSIONS

    needs: dict[str, set[str]] = defaultdict(set)
    for permission, why in ENGINE_PERMISSIONS.items():
        needs[permission].add(why)
    for permission in LOCK_PERMISSIONS:
        needs[permission].add("the environment's lock")
    for kind in kinds:
        for action in ACTIONS:
            for permission in kind.meta.permissions.get(action, ()):
                needs[permission].add(kind.meta.kind)
    return {p: sorted(needs[p]) for p in sorted(needs)}


def all_permissions(reconcilers: Iterable[Reconciler]) -> list[str]:
    """What the deploy account's role holds: the permissions of every kind there is (a spec
    option such as Autopilot changes which kinds an environment has), and the engine's."""
    kinds = {k.meta.kind: k for r in reconcilers for k in r.kinds}
    return list(needed_permissions(kinds.values()))


def kinds_of(planner: Planner, desired: Sequence[Resource]) -> list[Kind]:
    return [planner.kinds[name] for name in sorted({r.kind for r in desired})]


# -- the checks ------------------------------------------------------------------------------
def run(planner: Planner, live: Mapping[Address, LiveResource] | None = None) -> Report:
    """Every check, reported in the order a new project meets them; reads only. The checks read
    different APIs and depend on nothing of each other, so they go out side by side. `live`, a
    plan's own observation, spares the quota check reading what already exists again."""
    from concurrent.futures import ThreadPoolExecutor

    ctx = planner.ctx
    desired = planner.desired()
    report = Report(env=ctx.env, project=ctx.project)
    with ThreadPoolExecutor(max_workers=4) as pool:
        billing = pool.submit(check_billing, ctx)
        permissions = pool.submit(check_permissions, ctx, kinds_of(planner, desired))
        policies = pool.submit(check_org_policies, ctx, planner.kinds, desired)
        quotas = pool.submit(check_quotas, planner, desired, live)
        report.findings.append(billing.result())
        report.findings.append(permissions.result())
        report.findings.extend(policies.result())
        report.findings.extend(quotas.result())
    return report


def check_billing(ctx: Context) -> Finding:
    project = ctx.project
    link = f"https://console.cloud.google.com/billing/linkedaccount?project={project}"
    try:
        api = ctx.clients.discovery("cloudbilling", "v1").projects()
        info = ctx.retry.call(api.getBillingInfo(name=f"projects/{project}").execute)
    except Exception as exc:
        return _unreadable("billing", exc, ctx)
    if info.get("billingEnabled"):
        return Finding("billing", "ok", f"enabled ({info.get('billingAccountName')})")
    return Finding(
        "billing",
        "failed",
        f"project {project} has no billing account linked; every paid API (Compute Engine, Cloud SQL,"
        " GKE...) refuses to be enabled or used without one",
        f"gcloud billing projects link {project} --billing-account=BILLING_ACCOUNT_ID  (or {link})",
    )


def check_permissions(ctx: Context, kinds: Sequence[Kind]) -> Finding:
    needs = needed_permissions(kinds)
    wanted = list(needs)
    held: set[str] = set()
    try:
        crm = ctx.clients.discovery("cloudresourcemanager", "v3").projects()
        for start in range(0, len(wanted), _PERMISSIONS_A_CALL):
            body = {"permissions": wanted[start : start + _PERMISSIONS_A_CALL]}
            request = crm.testIamPermissions(resource=f"projects/{ctx.project}", body=body)
            held |= set(ctx.retry.call(request.execute).get("permissions") or [])
    except Exception as exc:
        return _unreadable("permissions", exc, ctx)
    missing = [p for p in wanted if p not in held]
    who = f"the service account {ctx.clients.impersonate}" if ctx.clients.impersonate else "the caller"
    if not missing:
        return Finding("permissions", "ok", f"{who} holds all {len(wanted)} permissions an apply may use")
    shown = "; ".join(f"{p} ({', '.join(needs[p])})" for p in missing)
    return Finding(
        "permissions",
        "failed",
        f"{who} lacks {len(missing)} of the {len(wanted)} permissions an apply may use: {shown}",
        f"add them to the deploy role (gcloud iam roles update digitwinDeployer --project {ctx.project}"
        f" --add-permissions={','.join(missing)}), or grant a role that has them"
        f" (https://console.cloud.google.com/iam-admin/iam?project={ctx.project})",
    )


def check_org_policies(ctx: Context, kinds: dict[str, Kind], desired: Sequence[Resource]) -> list[Finding]:
    policies: dict[str, dict[str, Any]] = {}
    try:
        crm = ctx.clients.discovery("cloudresourcemanager", "v1").projects()
        for constraint in CONSTRAINTS:
            request = crm.getEffectiveOrgPolicy(
                resource=f"projects/{ctx.project}", body={"constraint": constraint}
            )
            policies[constraint] = ctx.retry.call(request.execute)
    except Exception as exc:
        return [_unreadable("organisation policies", exc, ctx)]
    findings = [
        _locations_finding(ctx, desired, policies["constraints/gcp.resourceLocations"]),
        _public_members_finding(ctx, desired, policies["constraints/iam.allowedPolicyMemberDomains"]),
        _cmek_finding(ctx, kinds, desired, policies["constraints/gcp.restrictNonCmekServices"]),
    ]
    return [f for f in findings if f is not None] or [
        Finding("organisation policies", "ok", "none in force refuses what the spec asks for")
    ]


def _policy_fix(ctx: Context, constraint: str) -> str:
    name = constraint.removeprefix("constraints/")
    page = f"https://console.cloud.google.com/iam-admin/orgpolicies/{name.replace('.', '-')}"
    return (
        f"ask an organisation policy administrator for an exception on projects/{ctx.project}"
        f" (gcloud org-policies describe {name} --project {ctx.project} --effective;"
        f" {page}?project={ctx.project})"
    )


def _allowed(list_policy: dict[str, Any], value: str, matches: Any) -> bool:
    """Whether a list policy lets `value` through; `matches(policy_value, value)` compares."""
    if list_policy.get("allValues") == "ALLOW":
        return True
    if list_policy.get("allValues") == "DENY":
        return False
    if any(matches(v, value) for v in list_policy.get("deniedValues") or []):
        return False
    allowed = list_policy.get("allowedValues") or []
    return not allowed or any(matches(v, value) for v in allowed)


def _location_matches(policy_value: str, location: str) -> bool:
    """`us-central1`, or a value group (`in:us-locations`, `in:us-central1-locations`) covering
    every location under that prefix
    (https://cloud.google.com/resource-manager/docs/organization-policy/defining-locations)."""
    value = policy_value.lower()
    location = location.lower()
    if value.startswith("in:") and value.endswith("-locations"):
        group = value[3 : -len("-locations")]
        return location == group or location.startswith(group + "-")
    return value == location


def _locations_finding(ctx: Context, desired: Sequence[Resource], policy: dict[str, Any]) -> Finding | None:
    list_policy = policy.get("listPolicy")
    if not list_policy:
        return None
    used: dict[str, list[str]] = defaultdict(list)
    used[str(ctx.spec.region)].append("the spec's region")
    for resource in desired:
        location = resource.body.get("location")
        if isinstance(location, str) and location.lower() != "global":
            used[location.lower()].append(resource.address)
    refused = {loc: who for loc, who in used.items() if not _allowed(list_policy, loc, _location_matches)}
    if not refused:
        return None
    shown = "; ".join(
        f"{loc} ({', '.join(who[:3])}{', ...' if len(who) > 3 else ''})" for loc, who in refused.items()
    )
    allowed = ", ".join(list_policy.get("allowedValues") or ["none"])
    return Finding(
        "organisation policies",
        "failed",
        f"gcp.resourceLocations refuses {shown}; allowed: {allowed}",
        "move the environment to an allowed region (`region:` in the spec), or "
        + _policy_fix(ctx, "gcp.resourceLocations"),
    )


def _members_in(node: Any) -> Iterable[str]:
    """Every public member a body grants, wherever its kind keeps the members."""
    if isinstance(node, str):
        if node in PUBLIC_MEMBERS:
            yield node
    elif isinstance(node, dict):
        for value in node.values():
            yield from _members_in(value)
    elif isinstance(node, list):
        for value in node:
            yield from _members_in(value)


def _public_members_finding(
    ctx: Context, desired: Sequence[Resource], policy: dict[str, Any]
) -> Finding | None:
    list_policy = policy.get("listPolicy")
    if not list_policy:
        return None
    granting = {r.address: sorted(set(_members_in(r.body))) for r in desired}
    refused = {a: m for a, m in granting.items() if any(not _allowed(list_policy, x, _never) for x in m)}
    if not refused:
        return None
    shown = "; ".join(f"{address} grants {', '.join(members)}" for address, members in refused.items())
    return Finding(
        "organisation policies",
        "failed",
        "iam.allowedPolicyMemberDomains allows only members of the organisation's own domains, so"
        f' Google refuses these grants ("One or more users named in the policy do not belong to a'
        f' permitted customer"): {shown}',
        f"{_policy_fix(ctx, 'iam.allowedPolicyMemberDomains')}; or make the service private in the spec",
    )


def _never(policy_value: str, member: str) -> bool:
    """Allowed values of iam.allowedPolicyMemberDomains are customer ids: no public member is one."""
    return False


def _cmek_finding(
    ctx: Context, kinds: dict[str, Kind], desired: Sequence[Resource], policy: dict[str, Any]
) -> Finding | None:
    """gcp.restrictNonCmekServices lists the services whose resources must name a CMEK key
    (https://cloud.google.com/kms/docs/cmek-org-policy); a resource of such a service that
    can take a key (its kind declares `cmek_path`) and names none is refused on create."""
    list_policy = policy.get("listPolicy")
    if not list_policy:
        return None
    missing = []
    for resource in desired:
        meta = kinds[resource.kind].meta
        if meta.cmek_path is None or meta.api is None:
            continue
        must = list_policy.get("allValues") == "DENY" or meta.api in (list_policy.get("deniedValues") or [])
        if must and not _has_path(resource.body, meta.cmek_path.split(".")):
            missing.append(f"{resource.address} ({meta.api})")
    if not missing:
        return None
    return Finding(
        "organisation policies",
        "failed",
        "gcp.restrictNonCmekServices requires a customer-managed key, which these do not name: "
        + "; ".join(missing),
        f"set their `kms_key` in the spec, or {_policy_fix(ctx, 'gcp.restrictNonCmekServices')}",
    )


def _has_path(node: Any, parts: list[str]) -> bool:
    """Whether `parts` leads to a value in `node`; through a list, in every item of it."""
    if not parts:
        return bool(node)
    if isinstance(node, list):
        return bool(node) and all(_has_path(item, parts) for item in node)
    if isinstance(node, dict):
        return _has_path(node.get(parts[0]), parts[1:])
    return False


# -- quotas ------------------------------------------------------------------------------------
def check_quotas(
    planner: Planner, desired: Sequence[Resource], observed: Mapping[Address, LiveResource] | None = None
) -> list[Finding]:
    """What the resources an apply would create draw on, against the limits and usage read
    from Compute Engine; resources that exist already are in the usage."""
    ctx = planner.ctx
    needs = {r.address: quota_needs(planner.kinds[r.kind], r) for r in desired}
    needs = {address: n for address, n in needs.items() if n}
    if not needs:
        return [Finding("quotas", "ok", "the spec draws on no Compute Engine quota")]
    drawing = [r for r in desired if r.address in needs]
    try:
        kinds = sorted({r.kind for r in drawing})
        live = observed if observed is not None else planner.observe(desired, kinds=kinds, notices={})
        regions = sorted({n.region for ns in needs.values() for n in ns if n.region})
        compute = ctx.clients.discovery("compute", "v1")
        limits: dict[str | None, dict[str, dict[str, float]]] = {}
        for name in regions:
            found = ctx.retry.call(compute.regions().get(project=ctx.project, region=name).execute)
            limits[name] = {q["metric"]: q for q in found.get("quotas") or []}
        found = ctx.retry.call(compute.projects().get(project=ctx.project).execute)
        limits[None] = {q["metric"]: q for q in found.get("quotas") or []}
    except Exception as exc:
        return [_unreadable("quotas", exc, ctx)]
    totals: dict[tuple[str, str | None], list[Any]] = {}
    for address, resource_needs in needs.items():
        if address in live:
            continue
        for need in resource_needs:
            metric = _metric_drawn(need, limits.get(need.region, {}))
            entry = totals.setdefault((metric, need.region), [0.0, 0.0, []])
            entry[0] += need.low
            entry[1] += need.high
            entry[2].append(address)
    findings = []
    for (metric, region), (low, high, who) in sorted(
        totals.items(), key=lambda kv: (kv[0][1] or "", kv[0][0])
    ):
        finding = _quota_finding(ctx, metric, region, low, high, who, limits.get(region, {}).get(metric))
        if finding is not None:
            findings.append(finding)
    if not findings:
        what = "nothing new" if not totals else f"{len(totals)} quotas checked"
        findings.append(Finding("quotas", "ok", f"enough for what an apply would create ({what})"))
    return findings


def _metric_drawn(need: QuotaNeed, quotas: dict[str, dict[str, float]]) -> str:
    """Spot VMs draw on the preemptible quota when the project has some, else on the standard one
    (https://cloud.google.com/compute/docs/instances/spot#quotas)."""
    if need.fallback and float((quotas.get(need.metric) or {}).get("limit", 0)) <= 0:
        return need.fallback
    return need.metric


def _quota_finding(
    ctx: Context,
    metric: str,
    region: str | None,
    low: float,
    high: float,
    who: list[str],
    quota: dict[str, float] | None,
) -> Finding | None:
    where = f"{metric} in {region}" if region else metric
    limit = float((quota or {}).get("limit", 0))
    usage = float((quota or {}).get("usage", 0))
    free = max(limit - usage, 0.0)
    names = ", ".join(a.rsplit("/", 1)[-1] for a in who)
    fix = (
        f"request a limit of at least {_n(usage + high)} for {where}: https://console.cloud.google.com/iam-admin/quotas?project={ctx.project}"
        f" (filter on {metric}); increases for GPUs can take a day or two"
    )
    state = f"limit {_n(limit)}, {_n(usage)} in use" if quota is not None else "the project has no such quota"
    if low > free or (high > 0 and free <= 0):
        return Finding(
            "quotas",
            "failed",
            f"{where}: {names} need{'s' if len(who) == 1 else ''} {_n(low)} to start and up to {_n(high)};"
            f" {state}",
            fix,
        )
    if high > free:
        return Finding(
            "quotas",
            "warning",
            f"{where}: {names} can scale only to {_n(free)} of the {_n(high)} the spec allows; {state}",
            fix,
        )
    return None


def _n(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def _unreadable(check: str, exc: Exception, ctx: Context) -> Finding:
    """A check that could not be read: a disabled API is no reason to stop (apply enables it),
    anything else is reported as a failure with what was answered."""
    from provisioner.google.errors import ReadFailed, ServiceDisabled

    if isinstance(exc, ServiceDisabled):
        return Finding(check, "unchecked", str(exc))
    if isinstance(exc, ReadFailed):
        return Finding(check, "failed", str(exc), "see the permissions check above")
    err = classify(exc)
    if err is None:
        raise exc
    if err.service_disabled:
        api = err.service or "its API"
        return Finding(
            check,
            "unchecked",
            f"{api} is not enabled in {ctx.project} yet, so this cannot be read",
            f"gcloud services enable {api} --project {ctx.project}, then run preflight again",
        )
    return Finding(check, "failed", f"could not be read: {err}", "see Troubleshooting in the README")
