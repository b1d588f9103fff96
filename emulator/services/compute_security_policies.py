"""Cloud Armor security policies and their rules.

Rules are keyed by priority, which must be unique; the default rule (priority 2147483647,
matching every address) always exists: the API adds an `allow` one when a policy is created
without it and refuses to remove it. Rate-limiting rules (`throttle`, `rate_based_ban`) need
their options, and only they may have them. Rules change through addRule, patchRule and
removeRule; patch changes the rest with the current fingerprint, and replaces the rules when
it carries them (as recorded on real GCP). Labels
change through setLabels with the label fingerprint. A policy attached to a backend
service cannot be deleted.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from emulator import standard
from emulator.registry import Api, Call, Reply
from emulator.services import _compute as c
from emulator.services import _compute_collection as cc
from emulator.services import _lb as lb

API = Api("compute", "v1")

DEFAULT_PRIORITY = 2147483647
RATE_LIMIT_ACTIONS = ("throttle", "rate_based_ban")
INTERVALS = (10, 30, 60, 120, 180, 240, 300, 600, 900, 1200, 1800, 2700, 3600)
_ACTION = re.compile(r"^(allow|deny\((403|404|429|502)\)|redirect|throttle|rate_based_ban)$")
_EXCEED = re.compile(r"^(deny\((403|404|429|502)\)|redirect)$")
PATCHABLE = {
    "description",
    "adaptiveProtectionConfig",
    "advancedOptionsConfig",
    "recaptchaOptionsConfig",
    "ddosProtectionConfig",
    "userDefinedFields",
}
DEFAULT_RULE: dict[str, Any] = {
    "kind": "compute#securityPolicyRule",
    "description": "default rule",
    "priority": DEFAULT_PRIORITY,
    "match": {"versionedExpr": "SRC_IPS_V1", "config": {"srcIpRanges": ["*"]}},
    "action": "allow",
    "preview": False,
}


KIND = c.Global("securityPolicies", lb.SECURITY_POLICY, "compute#securityPolicy", "securityPolicy")


def _match(rule: dict[str, Any], field: str) -> None:
    match = rule.get("match")
    if not match:
        raise c.required_error(f"{field}.match")
    if match.get("versionedExpr"):
        ranges = (match.get("config") or {}).get("srcIpRanges") or []
        if not 1 <= len(ranges) <= 10:
            raise c.field_error(
                f"{field}.match.config.srcIpRanges", ranges, "Between 1 and 10 source IP ranges are needed."
            )
        if match.get("expr"):
            raise c.field_error(f"{field}.match", "", "Give either versionedExpr or expr, not both.")
    elif not (match.get("expr") or {}).get("expression"):
        raise c.required_error(f"{field}.match.expr.expression")


def _rate_limit(rule: dict[str, Any], field: str) -> None:
    action = rule["action"]
    options = rule.get("rateLimitOptions")
    if action not in RATE_LIMIT_ACTIONS:
        if options:
            raise c.field_error(
                f"{field}.rateLimitOptions",
                "",
                f"Rate limit options need action throttle or rate_based_ban, not {action}.",
            )
        return
    if not options:
        raise c.required_error(f"{field}.rateLimitOptions")
    where = f"{field}.rateLimitOptions"
    threshold = options.get("rateLimitThreshold") or {}
    if not threshold.get("count") or threshold["count"] < 1:
        raise c.required_error(f"{where}.rateLimitThreshold.count")
    if threshold.get("intervalSec") not in INTERVALS:
        raise c.field_error(
            f"{where}.rateLimitThreshold.intervalSec",
            threshold.get("intervalSec"),
            f"The interval must be one of {', '.join(map(str, INTERVALS))} seconds.",
        )
    if options.get("conformAction") != "allow":
        raise c.field_error(f"{where}.conformAction", options.get("conformAction", ""), "Must be 'allow'.")
    if not _EXCEED.match(str(options.get("exceedAction", ""))):
        raise c.field_error(
            f"{where}.exceedAction",
            options.get("exceedAction", ""),
            "Must be deny(403), deny(404), deny(429), deny(502) or redirect.",
        )
    ban = {k for k in ("banThreshold", "banDurationSec") if k in options}
    if action == "throttle" and ban:
        raise c.field_error(
            f"{where}.{sorted(ban)[0]}", "", "Ban settings are only valid with action rate_based_ban."
        )
    if action == "rate_based_ban" and not options.get("banDurationSec"):
        raise c.required_error(f"{where}.banDurationSec")


def checked_rule(rule: dict[str, Any], field: str) -> dict[str, Any]:
    """A rule as the API stores it, after the checks the API makes."""
    priority = rule.get("priority")
    if priority is None:
        raise c.required_error(f"{field}.priority")
    if not 0 <= priority <= DEFAULT_PRIORITY:
        raise c.field_error(
            f"{field}.priority", priority, f"Priority must be between 0 and {DEFAULT_PRIORITY}."
        )
    action = rule.get("action")
    if not action:
        raise c.required_error(f"{field}.action")
    if not _ACTION.match(action):
        raise c.field_error(f"{field}.action", action, "The action is not supported.")
    _match(rule, field)
    _rate_limit(rule, field)
    if priority == DEFAULT_PRIORITY:
        ranges = (rule["match"].get("config") or {}).get("srcIpRanges")
        if rule["match"].get("versionedExpr") != "SRC_IPS_V1" or ranges != ["*"]:
            raise c.field_error(
                f"{field}.match", "", "The default rule must match all source IP ranges ('*')."
            )
    # A rule sent without a description is shown with an empty one (exchange 3 of conformance/
    # kcc-golden/compute/v1beta1/computesecuritypolicy/computesecuritypolicy-direct/_http.log).
    stored = {"kind": "compute#securityPolicyRule", "description": "", "preview": False, **rule}
    if "rateLimitOptions" in stored:
        stored["rateLimitOptions"] = {"enforceOnKey": "ALL", **stored["rateLimitOptions"]}
    return stored


def rules_of(body: dict[str, Any]) -> list[dict[str, Any]]:
    """The rules of a policy body, checked, with the default rule added where it is missing."""
    rules = [checked_rule(r, f"resource.rules[{i}]") for i, r in enumerate(body.get("rules", []))]
    priorities = [r["priority"] for r in rules]
    for p in priorities:
        if priorities.count(p) > 1:
            raise c.field_error(
                "resource.rules", p, f"Two rules share the priority {p}; priorities are unique."
            )
    if DEFAULT_PRIORITY not in priorities:
        rules.append(copy.deepcopy(DEFAULT_RULE))
    return sorted(rules, key=lambda r: r["priority"])


@API.handles("compute.securityPolicies.insert")
@c.replaying
def insert_policy(call: Call) -> Reply:
    _, body, path, base = c.global_insert(call, KIND)
    policy_type = body.get("type", "CLOUD_ARMOR")
    if policy_type not in ("CLOUD_ARMOR", "CLOUD_ARMOR_EDGE"):
        raise c.field_error(
            "resource.type", policy_type, "Global policies are CLOUD_ARMOR or CLOUD_ARMOR_EDGE."
        )
    c.check_labels(body.get("labels"))
    labels = body.get("labels") or {}
    policy = {
        **base,
        **body,
        "name": base["name"],
        "type": policy_type,
        "rules": rules_of(body),
        "selfLink": c.link(path),
        "fingerprint": c.fingerprint(),
        "labelFingerprint": c.fingerprint(labels),
    }
    return lb.write(call, KIND, "insert", policy, None)


@API.handles("compute.securityPolicies.patch")
@c.replaying
def patch_policy(call: Call) -> Reply:
    path, current, body = lb.fingerprinted(call, KIND)
    # Rules sent with a patch replace the policy's rules, checked as on insert: Google applies
    # them though the reference points to addRule/patchRule/removeRule (exchanges 4 and 6 of
    # conformance/kcc-golden/compute/v1beta1/computesecuritypolicy/computesecuritypolicy-direct/
    # _http.log: four new rules sent, the same four read back).
    new_rules = rules_of(body) if "rules" in body else None
    body.pop("rules", None)
    lb.check_unchanged(body, current, ("name", "type"))
    for key in body:
        if key not in PATCHABLE | {"name", "type", "labels", "labelFingerprint"}:
            raise c.field_error(f"resource.{key}", body[key], "This field cannot be updated with patch.")
    changes = {k: v for k, v in body.items() if k in PATCHABLE}
    for key in str(call.query.get("updateMask") or "").split(","):
        key = standard.camel(key.strip())
        if key and key.split(".")[0] not in PATCHABLE:
            raise c.field_error("updateMask", key, "This field cannot be updated with patch.")
        if key:
            changes[key] = standard.get_path(body, key)
    if new_rules is not None:
        changes["rules"] = new_rules
    return lb.set_fields(call, KIND, "patch", path, current, changes)


def _priority(call: Call, current: dict[str, Any], *, present: bool) -> int:
    raw = call.query.get("priority")
    priority = int(raw) if raw is not None else None
    if priority is None:
        raise c.required_error("priority")
    known = any(r["priority"] == priority for r in current.get("rules", []))
    if present and not known:
        raise c.field_error("priority", priority, "The security policy has no rule with this priority.")
    return priority


def _with_rules(
    call: Call, path: str, current: dict[str, Any], rules: list[dict[str, Any]], op_type: str
) -> Reply:
    rules = sorted(rules, key=lambda r: r["priority"])
    return lb.set_fields(call, KIND, op_type, path, current, {"rules": rules})


@API.handles("compute.securityPolicies.getRule")
def get_rule(call: Call) -> dict[str, Any]:
    current = c.fetch(call, lb.SECURITY_POLICY, KIND.path(call))
    raw = call.query.get("priority")
    priority = int(raw) if raw is not None else 0
    for rule in current.get("rules", []):
        if rule["priority"] == priority:
            return rule
    raise c.field_error("priority", priority, "The security policy has no rule with this priority.")


@API.handles("compute.securityPolicies.addRule")
def add_rule(call: Call) -> Reply:
    path, current = c.global_target(call, KIND)
    rule = checked_rule(standard.drop_none(call.body or {}), "resource")
    if any(r["priority"] == rule["priority"] for r in current.get("rules", [])):
        raise c.field_error(
            "resource.priority", rule["priority"], "A rule with this priority already exists in the policy."
        )
    return _with_rules(call, path, current, [*current.get("rules", []), rule], "addRule")


@API.handles("compute.securityPolicies.patchRule")
def patch_rule(call: Call) -> Reply:
    path, current = c.global_target(call, KIND)
    priority = _priority(call, current, present=True)
    body = standard.drop_none(call.body or {})
    old = next(r for r in current["rules"] if r["priority"] == priority)
    merged = {k: v for k, v in old.items() if k != "kind"}
    merged.update(body)
    for key in str(call.query.get("updateMask") or "").split(","):
        key = standard.camel(key.strip())
        if key:
            standard.set_path(merged, key, standard.get_path(body, key))
    rule = checked_rule(merged, "resource")
    rest = [r for r in current["rules"] if r["priority"] != priority]
    if any(r["priority"] == rule["priority"] for r in rest):
        raise c.field_error(
            "resource.priority", rule["priority"], "A rule with this priority already exists in the policy."
        )
    if priority == DEFAULT_PRIORITY and rule["priority"] != DEFAULT_PRIORITY:
        raise c.field_error("resource.priority", rule["priority"], "The default rule keeps its priority.")
    return _with_rules(call, path, current, [*rest, rule], "patchRule")


@API.handles("compute.securityPolicies.removeRule")
def remove_rule(call: Call) -> Reply:
    path, current = c.global_target(call, KIND)
    priority = _priority(call, current, present=True)
    if priority == DEFAULT_PRIORITY:
        raise c.field_error("priority", priority, "The default rule of a security policy cannot be removed.")
    rest = [r for r in current["rules"] if r["priority"] != priority]
    return _with_rules(call, path, current, rest, "removeRule")


COLLECTION = cc.declare(
    API,
    cc.Collection(
        KIND,
        frozenset({"get", "list", "aggregatedList", "setLabels", "delete"}),
        aggregated_kind="compute#securityPoliciesAggregatedList",
        referenced=True,
        refusals=(lb.IN_USE, lb.STALE_FINGERPRINT),
    ),
)
