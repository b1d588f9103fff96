"""Compute Engine Cloud Routers, with Cloud NAT as entries of `nats[]`.

A router has no fingerprint: patch replaces whole lists (callers rewrite the
entire `nats` list) and update replaces the router. Its network and region are
fixed. NAT entries are checked as the API checks them and get the API's
defaults (idle timeouts, endpoint types).
"""

from __future__ import annotations

import re
from typing import Any

from emulator import standard
from emulator.registry import Api, Call, Reply
from emulator.services import _compute as c
from emulator.services import _compute_collection as cc

API = Api("compute", "v1")

FIXED = ("name", "network", "region", "encryptedInterconnectRouter")
# What Google shows of a NAT it was given without them: the endpoint types and the type, and
# the effective TIME_WAIT timeout, but not the timeouts themselves (every router read of
# conformance/kcc-golden/compute/v1beta1/computerouternat/computerouternatbasic-direct/_http.log).
NAT_DEFAULTS: dict[str, Any] = {
    "endpointTypes": ["ENDPOINT_TYPE_VM"],
    "type": "PUBLIC",
}
#: The timeouts Google applies when a NAT names none
#: (https://cloud.google.com/nat/docs/tune-nat-configuration#nat-timeouts).
NAT_TIMEOUTS: dict[str, int] = {
    "udpIdleTimeoutSec": 30,
    "icmpIdleTimeoutSec": 30,
    "tcpEstablishedIdleTimeoutSec": 1200,
    "tcpTransitoryIdleTimeoutSec": 30,
    "tcpTimeWaitTimeoutSec": 120,
}


KIND = c.Regional("routers", c.ROUTER, "compute#router", "router")


def _nat(call: Call, nat: dict[str, Any], i: int, network_path: str, region_name: str) -> dict[str, Any]:
    field = f"resource.nats[{i}]"
    c.check_name(nat.get("name"), f"{field}.name")
    source = nat.get("sourceSubnetworkIpRangesToNat")
    if not source:
        raise c.required_error(f"{field}.sourceSubnetworkIpRangesToNat")
    nat_type = nat.get("type", "PUBLIC")
    option = nat.get("natIpAllocateOption")
    if nat_type == "PUBLIC":
        if not option:
            raise c.required_error(f"{field}.natIpAllocateOption")
        if option == "MANUAL_ONLY" and not nat.get("natIps"):
            raise c.field_error(
                f"{field}.natIps", [], "natIps must be set when natIpAllocateOption is MANUAL_ONLY."
            )
        if option == "AUTO_ONLY" and nat.get("natIps"):
            raise c.field_error(
                f"{field}.natIps",
                nat["natIps"],
                "natIps must be empty when natIpAllocateOption is AUTO_ONLY.",
            )
    subnets = nat.get("subnetworks", [])
    if source == "LIST_OF_SUBNETWORKS" and not subnets:
        raise c.field_error(
            f"{field}.subnetworks",
            [],
            "subnetworks must be set when sourceSubnetworkIpRangesToNat is LIST_OF_SUBNETWORKS.",
        )
    if source != "LIST_OF_SUBNETWORKS" and subnets:
        raise c.field_error(
            f"{field}.subnetworks",
            subnets,
            "subnetworks may be set only when sourceSubnetworkIpRangesToNat is LIST_OF_SUBNETWORKS.",
        )
    normalised_subnets = []
    for j, entry in enumerate(subnets):
        path = c.parse_ref(
            call, entry.get("name"), f"{field}.subnetworks[{j}].name", "subnetworks", region_name
        )
        subnet = c.require_existing(call, c.SUBNETWORK, path)
        if c.relative(subnet["network"]) != network_path:
            raise c.field_error(
                f"{field}.subnetworks[{j}].name",
                entry.get("name"),
                "The subnetwork is not in the router's network.",
            )
        normalised_subnets.append({**entry, "name": c.link(path)})
    out = {**NAT_DEFAULTS, **nat}
    out["effectiveTcpTimeWaitTimeoutSec"] = int(
        nat.get("tcpTimeWaitTimeoutSec") or NAT_TIMEOUTS["tcpTimeWaitTimeoutSec"]
    )
    if normalised_subnets:
        out["subnetworks"] = normalised_subnets
    # The project's default tier, whichever way the NAT's addresses are allocated: every NAT read
    # of kcc-golden has it, the MANUAL_ONLY ones too (compute/v1beta1/computerouternat/
    # computerouternat-direct/_http.log #33 and #42).
    out.setdefault("autoNetworkTier", "PREMIUM")
    if "logConfig" in nat:
        out["logConfig"] = {
            "enable": bool(nat["logConfig"].get("enable", False)),
            "filter": "ALL",
            **nat["logConfig"],
        }
    if out.get("minPortsPerVm") is not None and out.get("enableDynamicPortAllocation"):
        ports = int(out["minPortsPerVm"])
        if ports & (ports - 1):
            raise c.field_error(
                f"{field}.minPortsPerVm",
                ports,
                "With dynamic port allocation minPortsPerVm must be a power of 2.",
            )
    return out


def _router(call: Call, body: dict[str, Any], network_path: str, region_name: str) -> dict[str, Any]:
    nats = body.get("nats", [])
    names = [n.get("name") for n in nats]
    duplicate = next((n for n in names if names.count(n) > 1), None)
    if duplicate:
        raise c.field_error("resource.nats", duplicate, f"Duplicate NAT name '{duplicate}'.")
    router = {**body, "nats": [_nat(call, n, i, network_path, region_name) for i, n in enumerate(nats)]}
    # Shown false when not asked (conformance/kcc-golden/compute/v1beta1/computerouternat/
    # computerouternatbasic-direct/_http.log).
    router.setdefault("encryptedInterconnectRouter", False)
    if not router["nats"]:
        router.pop("nats")
    if "bgp" in router:
        asn = router["bgp"].get("asn")
        if asn is not None and not (64512 <= asn <= 65534 or 4200000000 <= asn <= 4294967294 or asn == 16550):
            raise c.field_error("resource.bgp.asn", asn, "The ASN must be a private ASN (RFC 6996) or 16550.")
        router["bgp"] = {"advertiseMode": "DEFAULT", "keepaliveInterval": 20, **router["bgp"]}
    return router


@API.handles("compute.routers.insert")
@c.replaying
def insert_router(call: Call) -> Reply:
    project_id, region_name, body, path, base = c.regional_insert(call, KIND)
    network_path = c.parse_ref(call, body.get("network"), "resource.network", "networks")
    c.require_existing(call, c.NETWORK, network_path)
    router = {
        **base,
        **_router(call, body, network_path, region_name),
        "name": body["name"],
        "network": c.link(network_path),
        "region": c.link(f"projects/{project_id}/regions/{region_name}"),
        "selfLink": c.link(path),
    }
    return c.regional_write(call, KIND, "insert", router)


def _replace(call: Call, current: dict[str, Any], wanted: dict[str, Any], op_type: str) -> Reply:
    region_name = current["region"].rsplit("/", 1)[1]
    for key in FIXED:
        if key not in wanted or key not in current:
            continue
        same = wanted[key] == current[key]
        if key == "network":
            same = c.parse_ref(call, wanted[key], "resource.network", "networks") == c.relative(current[key])
        elif key == "region":
            same = re.sub(r".*/", "", str(wanted[key])) == region_name
        if not same:
            raise c.field_error(
                f"resource.{key}", wanted[key], "This field cannot be changed after creation."
            )
    network_path = c.relative(current["network"])
    kept = {
        k: current[k] for k in ("kind", "id", "creationTimestamp", "name", "network", "region", "selfLink")
    }
    router = {
        **_router(call, {k: v for k, v in wanted.items() if k not in kept}, network_path, region_name),
        **kept,
    }
    return c.regional_write(call, KIND, op_type, router)


@API.handles("compute.routers.patch")
@c.replaying
def patch_router(call: Call) -> Reply:
    _, _, _, current = c.regional_target(call, KIND)
    body = standard.drop_none(call.body or {})
    wanted = {**current, **{k: v for k, v in body.items()}}
    for key, value in body.items():
        if isinstance(value, dict) and isinstance(current.get(key), dict):
            wanted[key] = standard.merge_patch(current[key], value)
    return _replace(call, current, wanted, "patch")


@API.handles("compute.routers.update")
@c.replaying
def update_router(call: Call) -> Reply:
    _, _, _, current = c.regional_target(call, KIND)
    body = standard.drop_none(call.body or {})
    if "network" not in body:
        raise c.required_error("resource.network")
    return _replace(call, current, body, "update")


COLLECTION = cc.declare(API, cc.Collection(KIND, frozenset({"get", "list", "aggregatedList", "delete"})))
