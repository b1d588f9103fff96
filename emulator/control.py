"""Plain-JSON control endpoints under /_emulator/; faults never apply here."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from emulator.dispatch import Outcome, json_outcome
from emulator.errors import ApiError
from emulator.faults import FaultRule

if TYPE_CHECKING:
    from emulator.app import Emulator

PREFIX = "/_emulator/"

#: The fault settings `POST /faults` takes, by the name `Faults.configure` takes them under.
CONFIGURABLE = ("error_rate", "drop_rate", "operation_failure_rate", "latency_ms", "seed", "lost_answer_rate")


def handle_control(emu: Emulator, http_method: str, path: str, body: bytes) -> Outcome:
    route = path[len(PREFIX) :].strip("/")
    try:
        payload: Any = json.loads(body) if body.strip() else {}
    except ValueError:
        return json_outcome(400, {"error": "body is not JSON"})
    if (http_method, route) == ("GET", "health"):
        return json_outcome(200, {"status": "ok", "projects": emu.ctx.projects.store.projects()})
    if (http_method, route) == ("GET", "requests"):
        return json_outcome(200, {"requests": [r.to_json() for r in emu.requests()]})
    if (http_method, route) == ("DELETE", "requests"):
        emu.clear_requests()
        return json_outcome(200, {})
    if (http_method, route) == ("GET", "operations"):
        return json_outcome(200, {"operations": emu.store.list_operations()})
    if (http_method, route) == ("GET", "faults"):
        return json_outcome(200, emu.faults.to_json())
    if (http_method, route) == ("POST", "faults"):
        for rule in payload.get("rules", []):
            emu.faults.add_rule(
                FaultRule(
                    rule["method"],
                    int(rule["status"]),
                    int(rule.get("times", 1)),
                    rule.get("message"),
                    after_acting=bool(rule.get("after_acting", False)),
                )
            )
        emu.faults.configure(**{name: payload.get(name) for name in CONFIGURABLE})
        return json_outcome(200, emu.faults.to_json())
    if (http_method, route) == ("DELETE", "faults"):
        emu.faults.clear()
        return json_outcome(200, emu.faults.to_json())
    if (http_method, route) == ("POST", "reset"):
        emu.reset()
        return json_outcome(200, {})
    if (http_method, route) == ("POST", "projects"):
        ids = payload.get("projects") or [payload.get("projectId") or payload.get("project_id")]
        if not all(isinstance(i, str) and i for i in ids):
            return json_outcome(400, {"error": "give projectId or projects"})
        return json_outcome(200, {"projects": {i: emu.register_project(i) for i in ids}})
    if (http_method, route) == ("POST", "services"):
        project, enable = payload.get("project"), payload.get("enable", [])
        disable = payload.get("disable", [])
        if not isinstance(project, str) or not all(isinstance(s, str) for s in [*enable, *disable]):
            return json_outcome(400, {"error": "give project, and enable and/or disable as service lists"})
        try:
            emu.set_services(project, enable, disable)
        except (ValueError, ApiError) as exc:
            return json_outcome(400, {"error": str(exc)})
        return json_outcome(200, {"enabled": emu.enabled_services(project)})
    if http_method == "POST" and route in _GUARDRAILS:
        try:
            return json_outcome(200, _GUARDRAILS[route](emu, payload))
        except (ValueError, TypeError, KeyError, ApiError) as exc:
            return json_outcome(400, {"error": str(exc)})
    if (http_method, route) == ("POST", "time"):
        emu.clock.advance(float(payload.get("advance_s", 0)))
        return json_outcome(200, {"now": emu.clock.rfc3339()})
    return json_outcome(404, {"error": f"no control endpoint {http_method} {path}"})


def _billing(emu: Emulator, payload: dict[str, Any]) -> dict[str, Any]:
    """{"project": ID, "enabled": false}: unlink (or link) the project's billing account."""
    return emu.set_billing(_project(payload), bool(payload["enabled"]))


def _quota(emu: Emulator, payload: dict[str, Any]) -> dict[str, Any]:
    """{"project": ID, "region": "us-central1" or absent for project-wide, "metric": M,
    "limit": N, "usage": N (optional)}."""
    usage = payload.get("usage")
    return emu.set_quota(
        _project(payload),
        payload.get("region"),
        str(payload["metric"]),
        float(payload["limit"]),
        None if usage is None else float(usage),
    )


def _permissions(emu: Emulator, payload: dict[str, Any]) -> dict[str, Any]:
    """{"project": ID, "granted": [permissions] or null for every permission}."""
    granted = payload.get("granted")
    if granted is not None and not all(isinstance(p, str) for p in granted):
        raise ValueError("granted must be a list of permission names, or null")
    return emu.set_caller_permissions(_project(payload), granted)


def _org_policy(emu: Emulator, payload: dict[str, Any]) -> dict[str, Any]:
    """{"project": ID, "constraint": "iam.allowedPolicyMemberDomains", "policy": {"listPolicy":
    {...}} or null to clear}: the v1 OrgPolicy in force on the project. `"allowedValues": [...]`
    in place of `policy` is short for a list policy allowing those values."""
    policy = payload.get("policy")
    if "allowedValues" in payload and "policy" not in payload:
        allowed = payload["allowedValues"]
        policy = None if allowed is None else {"listPolicy": {"allowedValues": list(allowed)}}
    if policy is not None and not isinstance(policy, dict):
        raise ValueError("policy must be an object (a v1 OrgPolicy) or null")
    return emu.set_org_policy(_project(payload), str(payload["constraint"]), policy)


def _project(payload: dict[str, Any]) -> str:
    project = payload.get("project")
    if not isinstance(project, str) or not project:
        raise ValueError("give project")
    return project


_GUARDRAILS = {
    "billing": _billing,
    "quotas": _quota,
    "permissions": _permissions,
    "org-policies": _org_policy,
}
