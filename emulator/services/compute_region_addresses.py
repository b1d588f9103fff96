"""Compute Engine regional addresses: external IPs of a region and internal IPs of a subnetwork.

An EXTERNAL address gets an IP of the region's pool (or keeps the one asked for) on a network
tier; an INTERNAL one an IP of its subnetwork's primary range, free of the other addresses
there, and the purpose GCE_ENDPOINT unless another is named. Everything but labels is fixed at
creation; labels change through setLabels with the current label fingerprint. While a
regional forwarding rule serves on an address, it shows IN_USE with the rule among its users,
and it cannot be released.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from emulator.refusal import refusal
from emulator.registry import Api, Call, Reply
from emulator.services import _compute as c
from emulator.services import _compute_collection as cc
from emulator.services import _lb as lb
from emulator.services import compute_addresses

API = Api("compute", "v1")

KIND = c.Regional("addresses", lb.REGION_ADDRESS, "compute#address", "address")
ADDRESS_TYPES = ("EXTERNAL", "INTERNAL")
TIERS = ("PREMIUM", "STANDARD", "FIXED_STANDARD", "STANDARD_OVERRIDES_FIXED_STANDARD")
# The purposes an address of a subnetwork takes; `subnetwork` "can only be used with INTERNAL
# type with a GCE_ENDPOINT or DNS_RESOLVER purpose" (and SHARED_LOADBALANCER_VIP, which names
# a subnetwork too): https://cloud.google.com/compute/docs/reference/rest/v1/addresses
SUBNETWORK_PURPOSES = ("GCE_ENDPOINT", "DNS_RESOLVER", "SHARED_LOADBALANCER_VIP")


def _external_address(resource_id: str) -> str:
    n = int(resource_id)
    return f"35.{192 + n % 32}.{(n >> 8) % 256}.{(n >> 16) % 254 + 1}"


def _taken(call: Call, subnetwork_path: str) -> set[str]:
    """The IPs other addresses already hold on a subnetwork."""
    return {
        a["address"]
        for a in call.ctx.store.list(lb.REGION_ADDRESS)
        if c.relative(a.get("subnetwork", "")) == subnetwork_path and a.get("address")
    }


def _internal_address(call: Call, body: dict[str, Any], subnetwork_path: str) -> str:
    """The IP asked for, inside the subnetwork's primary range and free, or the first free one
    after the network address and the gateway (https://cloud.google.com/vpc/docs/subnets,
    "Reserved IP addresses in IPv4 subnets")."""
    subnet = c.require_existing(call, c.SUBNETWORK, subnetwork_path)
    net = c.stored_range(subnet)
    taken = _taken(call, subnetwork_path)
    wanted = body.get("address")
    if wanted:
        try:
            ip = ipaddress.IPv4Address(wanted)
        except ValueError:
            raise c.field_error(
                "resource.address", wanted, "The address is not a valid IPv4 address."
            ) from None
        if ip not in net or ip in (net.network_address, net.network_address + 1, net.broadcast_address):
            raise c.field_error(
                "resource.address",
                wanted,
                f"Requested internal IP address is not within the range {net} of subnetwork "
                f"'{subnetwork_path}' or is reserved.",
            )
        if wanted in taken:
            raise c.field_error(
                "resource.address", wanted, "IP address is already reserved for another resource."
            )
        return str(ip)
    for host in list(net.hosts())[1:]:
        if str(host) not in taken:
            return str(host)
    raise c.field_error("resource.subnetwork", subnetwork_path, "The subnetwork has no free IP address left.")


def _internal(call: Call, body: dict[str, Any], region_name: str) -> dict[str, Any]:
    purpose = body.get("purpose") or "GCE_ENDPOINT"
    if not body.get("subnetwork"):
        raise c.required_error("resource.subnetwork")
    if purpose not in SUBNETWORK_PURPOSES:
        raise c.field_error(
            "resource.purpose",
            purpose,
            "An address of a subnetwork has purpose GCE_ENDPOINT or DNS_RESOLVER.",
        )
    subnetwork_path = c.parse_ref(call, body["subnetwork"], "resource.subnetwork", "subnetworks", region_name)
    placed = {
        "address": _internal_address(call, body, subnetwork_path),
        "subnetwork": c.link(subnetwork_path),
        # An INTERNAL address is shown with purpose GCE_ENDPOINT and networkTier PREMIUM though
        # neither was sent: exchange 5 of conformance/kcc-golden/compute/v1beta1/computeaddress/
        # regionalcomputeaddress-direct/_http.log.
        "purpose": purpose,
        "networkTier": "PREMIUM",
    }
    if body.get("network"):
        placed["network"] = c.link(c.parse_ref(call, body["network"], "resource.network", "networks"))
    return placed


def _external(body: dict[str, Any], resource_id: str) -> dict[str, Any]:
    for key in ("subnetwork", "network", "prefixLength"):
        if key in body:
            # https://cloud.google.com/compute/docs/reference/rest/v1/addresses (subnetwork,
            # network, prefixLength: for INTERNAL addresses only)
            raise c.field_error(
                f"resource.{key}", body[key], f"{key} can only be set for INTERNAL addresses."
            )
    tier = body.get("networkTier", "PREMIUM")
    if tier not in TIERS:
        raise c.field_error(
            "resource.networkTier", tier, f"The network tier must be one of {', '.join(TIERS)}."
        )
    # The tier is PREMIUM where none was sent: exchange 3 of conformance/kcc-golden/compute/
    # v1beta1/computeforwardingrule/regionalcomputeforwardingrule-direct/_http.log.
    return {"address": body.get("address") or _external_address(resource_id), "networkTier": tier}


@API.handles("compute.addresses.insert")
@c.replaying
def insert_address(call: Call) -> Reply:
    project_id, region_name, body, path, base = c.regional_insert(call, KIND)
    # `region` is output only: Config Connector sends "projects/<p>/global/regions/<r>" and
    # Google answers 200 (exchange 1 of conformance/kcc-golden/compute/v1beta1/
    # computeforwardingrule/regionalcomputeforwardingrule-direct/_http.log).
    body.pop("region", None)
    c.check_labels(body.get("labels"))
    address_type = body.get("addressType", "EXTERNAL")
    if address_type not in ADDRESS_TYPES:
        raise c.field_error(
            "resource.addressType", address_type, "The address type must be EXTERNAL or INTERNAL."
        )
    if body.get("ipVersion") not in (None, "IPV4"):
        # "ipVersion ... can only be specified for a global address":
        # https://cloud.google.com/compute/docs/reference/rest/v1/addresses
        raise c.field_error(
            "resource.ipVersion", body["ipVersion"], "ipVersion can only be set on a global address."
        )
    placed = _internal(call, body, region_name) if address_type == "INTERNAL" else _external(body, base["id"])
    labels = body.get("labels") or {}
    address = {
        **body,
        **base,
        **placed,
        # Shown empty where none was sent: exchange 3 of conformance/kcc-golden/compute/v1beta1/
        # computeforwardingrule/regionalcomputeforwardingrule-direct/_http.log.
        "description": body.get("description", ""),
        "name": body["name"],
        "addressType": address_type,
        "status": "RESERVED",
        "region": c.link(f"projects/{project_id}/regions/{region_name}"),
        "selfLink": c.link(path),
        "labelFingerprint": c.fingerprint(labels),
    }
    return c.regional_write(call, KIND, "insert", address)


def _with_users(call: Call, address: dict[str, Any]) -> dict[str, Any]:
    """`status` is IN_USE and `users` lists the forwarding rules while any rule serves on it
    (https://cloud.google.com/compute/docs/reference/rest/v1/addresses: status, users)."""
    path = c.relative(address["selfLink"])
    users = [
        rule["selfLink"]
        for rule in call.ctx.store.list(lb.REGION_FORWARDING_RULE, "/".join(path.split("/")[:4]))
        if rule.get("_address") == path
    ]
    shown = c.public(address)
    return {**shown, "status": "IN_USE", "users": users} if users else shown


def _aggregated(call: Call, _: c.Regional) -> dict[str, Any]:
    """`addresses.aggregatedList`: the project's global addresses under `global`, its regional
    ones under their region (https://cloud.google.com/compute/docs/reference/rest/v1/addresses/
    aggregatedList)."""
    project_id = c.project(call)
    global_render = compute_addresses.COLLECTION.render
    items = [global_render(call, a) for a in call.ctx.store.list(c.ADDRESS, f"projects/{project_id}")]
    items += [
        _with_users(call, a)
        for a in call.ctx.store.list(lb.REGION_ADDRESS)
        if a["selfLink"].split("/")[6] == project_id
    ]
    return lb.aggregated(call, "compute#addressAggregatedList", "addresses", items, "addresses")


SUBNETWORK_RANGE = refusal(
    "compute.addresses.insert",
    "an INTERNAL address without a subnetwork, outside its subnetwork's range or on an IP another "
    "address holds; subnetwork, network or prefixLength on an EXTERNAL address",
    source="https://cloud.google.com/compute/docs/reference/rest/v1/addresses (address, subnetwork)",
    test="tests/emulator/test_compute_regional.py::test_internal_address_takes_an_ip_of_its_subnetwork",
)

COLLECTION = cc.declare(
    API,
    cc.Collection(
        KIND,
        frozenset({"get", "list", "setLabels", "delete"}),
        own={"aggregatedList": _aggregated},
        render=_with_users,
        referenced=True,
        label_fingerprint_field="labelFingerprint",
        refusals=(lb.IN_USE, lb.STALE_FINGERPRINT, SUBNETWORK_RANGE),
    ),
)
