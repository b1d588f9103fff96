"""Compute Engine VPC firewall rules: insert, get, list, patch, update, delete.

Rules are checked as the API checks them: exactly one of allowed/denied,
known protocols with ports only where ports exist, valid ranges, sources only
on INGRESS rules, a priority in 0..65535. Name, network and direction are
fixed; the network must exist (the default network when none is named).
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any

from emulator import standard
from emulator.effects import Effect
from emulator.registry import Api, Call, Reply
from emulator.services import _compute as c
from emulator.services import _compute_collection as cc

API = Api("compute", "v1")

PROTOCOLS = {"tcp", "udp", "icmp", "esp", "ah", "sctp", "ipip", "all"}
PORTED = {"tcp", "udp", "sctp"}
FIXED = ("name", "network", "direction")
_PORTS = re.compile(r"^(\d{1,5})(?:-(\d{1,5}))?$")
KIND = c.Global("firewalls", c.FIREWALL, "compute#firewall", "firewall")


def _entries(entries: list[dict[str, Any]], field: str) -> None:
    for i, entry in enumerate(entries):
        protocol = str(entry.get("IPProtocol", "")).lower()
        where = f"{field}[{i}]"
        if not protocol:
            raise c.required_error(f"{where}.IPProtocol")
        if protocol not in PROTOCOLS and not (protocol.isdigit() and 0 <= int(protocol) <= 255):
            raise c.field_error(f"{where}.IPProtocol", entry["IPProtocol"], "Unknown protocol.")
        for port in entry.get("ports", []):
            if protocol not in PORTED and protocol != "all":
                raise c.field_error(
                    f"{where}.ports", port, "Ports can only be specified for tcp, udp, sctp or all."
                )
            m = _PORTS.match(str(port))
            low = int(m.group(1)) if m else -1
            high = int(m.group(2) or low) if m else -1
            if not m or not 0 <= low <= high <= 65535:
                raise c.field_error(f"{where}.ports", port, "Invalid port or port range.")


def _ranges(values: list[str], field: str) -> None:
    for value in values:
        try:
            ipaddress.ip_network(value, strict=False)
        except ValueError:
            raise c.field_error(field, value, "Invalid IP address or range.") from None


def _check(body: dict[str, Any]) -> dict[str, Any]:
    allowed, denied = body.get("allowed") or [], body.get("denied") or []
    if bool(allowed) == bool(denied):
        raise c.field_error(
            "resource.allowed" if not allowed else "resource.denied",
            allowed or denied,
            "Exactly one of allowed or denied must be specified.",
        )
    _entries(allowed, "resource.allowed")
    _entries(denied, "resource.denied")
    direction = body.get("direction", "INGRESS")
    if direction == "EGRESS":
        for key in ("sourceTags", "sourceServiceAccounts"):
            if body.get(key):
                raise c.field_error(f"resource.{key}", body[key], f"{key} cannot be set on EGRESS rules.")
    _ranges(body.get("sourceRanges", []), "resource.sourceRanges")
    _ranges(body.get("destinationRanges", []), "resource.destinationRanges")
    priority = body.get("priority", 1000)
    if not 0 <= priority <= 65535:
        raise c.field_error("resource.priority", priority, "Priority must be between 0 and 65535.")
    if body.get("targetTags") and body.get("targetServiceAccounts"):
        raise c.field_error(
            "resource.targetServiceAccounts",
            body["targetServiceAccounts"],
            "targetTags and targetServiceAccounts cannot both be set.",
        )
    out = {"direction": direction, "priority": priority, "disabled": False, **body}
    # A rule made without logConfig is answered without one (kcc-golden compute/v1beta1/
    # computefirewall/computefirewall/_http.log #1 inserts none, #4 reads none back).
    if "logConfig" in body:
        out["logConfig"] = {"enable": bool((body.get("logConfig") or {}).get("enable", False))}
        if out["logConfig"]["enable"]:
            out["logConfig"]["metadata"] = (body.get("logConfig") or {}).get(
                "metadata", "INCLUDE_ALL_METADATA"
            )
    return out


@API.handles("compute.firewalls.insert")
@c.replaying
def insert_firewall(call: Call) -> Reply:
    _, body, path, base = c.global_insert(call, KIND)
    network_path = c.parse_ref(
        call, body.get("network", "global/networks/default"), "resource.network", "networks"
    )
    c.require_existing(call, c.NETWORK, network_path)
    rule = {
        **base,
        **_check(body),
        "name": base["name"],
        "network": c.link(network_path),
        "selfLink": c.link(path),
    }
    return _write(call, "insert", rule)


def _write(call: Call, op_type: str, rule: dict[str, Any]) -> Reply:
    path = c.relative(rule["selfLink"])
    effects = [Effect.put(c.FIREWALL, path, rule, "/".join(path.split("/")[:2]))]
    return c.global_operation(call, KIND, op_type, path, rule["id"], effects)


def _replace(call: Call, current: dict[str, Any], wanted: dict[str, Any], op_type: str) -> Reply:
    for key in FIXED:
        if key not in wanted:
            continue
        same = wanted[key] == current.get(key, "INGRESS" if key == "direction" else None)
        if key == "network":
            same = c.parse_ref(call, wanted[key], "resource.network", "networks") == c.relative(current[key])
        if not same:
            raise c.field_error(
                f"resource.{key}", wanted[key], "This field cannot be changed after creation."
            )
    kept = {k: current[k] for k in ("kind", "id", "creationTimestamp", "name", "network", "selfLink")}
    rule = {**_check({k: v for k, v in wanted.items() if k not in kept}), **kept}
    return _write(call, op_type, rule)


@API.handles("compute.firewalls.patch")
@c.replaying
def patch_firewall(call: Call) -> Reply:
    _, current = c.global_target(call, KIND)
    body = standard.drop_none(call.body or {})
    wanted = {**current, **body}
    if "allowed" in body and "denied" not in body:
        wanted.pop("denied", None)
    if "denied" in body and "allowed" not in body:
        wanted.pop("allowed", None)
    return _replace(call, current, wanted, "patch")


@API.handles("compute.firewalls.update")
@c.replaying
def update_firewall(call: Call) -> Reply:
    _, current = c.global_target(call, KIND)
    body = standard.drop_none(call.body or {})
    body.setdefault("network", current["network"])
    return _replace(call, current, body, "update")


COLLECTION = cc.declare(API, cc.Collection(KIND, frozenset({"get", "list", "delete"})))
