"""Compute Engine target VPN gateways: the regional end of a Classic VPN.

A gateway is made on a network in a region; the forwarding rules that carry its ESP and IKE
traffic (IPProtocol ESP, UDP 500 and 4500) name it as their target, and it lists them in
`forwardingRules` and its tunnels in `tunnels` (both output only). `region` is output only,
"not settable as a field in the request body": Config Connector sends it as
`projects/<p>/global/regions/<r>` and is answered 200 (conformance/kcc-golden/compute/v1beta1/
computeforwardingrule/regionalcomputeforwardingrule-direct/_http.log #9). The gateway is READY
once made (`status`: CREATING, READY, FAILED or DELETING). A gateway a forwarding rule still
targets cannot be deleted. Fields and their roles:
https://cloud.google.com/compute/docs/reference/rest/v1/targetVpnGateways.
"""

from __future__ import annotations

from typing import Any

from emulator.registry import Api, Call, Reply
from emulator.services import _compute as c
from emulator.services import _compute_collection as cc
from emulator.services import _lb as lb

API = Api("compute", "v1")

GATEWAY = lb.REGIONAL_COLLECTIONS["targetVpnGateways"]
KIND = c.Regional("targetVpnGateways", GATEWAY, "compute#targetVpnGateway", "targetVpnGateway")


@API.handles("compute.targetVpnGateways.insert")
@c.replaying
def insert_gateway(call: Call) -> Reply:
    project_id, region_name, body, path, base = c.regional_insert(call, KIND)
    body.pop("region", None)
    network_path = c.parse_ref(call, body.get("network"), "resource.network", "networks")
    c.require_existing(call, c.NETWORK, network_path)
    labels = body.get("labels") or {}
    c.check_labels(labels)
    gateway = {
        **{k: v for k, v in body.items() if k in ("description", "labels")},
        **base,
        "name": body["name"],
        "region": c.link(f"projects/{project_id}/regions/{region_name}"),
        "network": c.link(network_path),
        "status": "READY",
        "labelFingerprint": c.fingerprint(labels),
        "selfLink": c.link(path),
    }
    if not labels:
        gateway.pop("labels", None)
    return lb.write(call, KIND, "insert", gateway, None)


def render(call: Call, gateway: dict[str, Any]) -> dict[str, Any]:
    """The gateway with the forwarding rules that target it."""
    out = c.public(gateway)
    rules = [u for u in lb.users(call.ctx.store, c.relative(gateway["selfLink"])) if "/forwardingRules/" in u]
    if rules:
        out["forwardingRules"] = [c.link(p) for p in rules]
    return out


COLLECTION = cc.declare(
    API,
    cc.Collection(
        KIND,
        frozenset({"get", "list", "aggregatedList", "delete", "setLabels"}),
        render=render,
        referenced=True,
        refusals=(lb.IN_USE,),
    ),
)
