"""Compute Engine regional forwarding rules: passthrough and proxy load balancers, VPN and
Private Service Connect endpoints of a region.

A rule sends to a target (a regional proxy, a VPN gateway, a service attachment) or, for a
passthrough load balancer, to a regional backend service: exactly one of the two, which must
exist. Its IP is a reserved regional address (by reference or as its literal IP), an internal
IP of its subnetwork, or one chosen for it; internal schemes live on a network (the
subnetwork's, else the one named, else `default`). The target (setTarget), the labels
(setLabels, with the label fingerprint) and, through patch, global access and the network
tier change after creation.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any

from emulator.refusal import refusal
from emulator.registry import Api, Call, Reply
from emulator.services import _compute as c
from emulator.services import _compute_collection as cc
from emulator.services import _lb as lb

API = Api("compute", "v1")

KIND = c.Regional("forwardingRules", lb.REGION_FORWARDING_RULE, "compute#forwardingRule", "forwardingRule")
# https://cloud.google.com/compute/docs/reference/rest/v1/forwardingRules (loadBalancingScheme,
# IPProtocol, networkTier enums)
SCHEMES = ("EXTERNAL", "EXTERNAL_MANAGED", "INTERNAL", "INTERNAL_MANAGED", "INTERNAL_SELF_MANAGED")
INTERNAL = ("INTERNAL", "INTERNAL_MANAGED", "INTERNAL_SELF_MANAGED")
PROTOCOLS = ("TCP", "UDP", "ESP", "AH", "SCTP", "ICMP", "L3_DEFAULT")
PORTED = ("TCP", "UDP", "SCTP")
TIERS = ("PREMIUM", "STANDARD")
TARGETS = (
    "targetHttpProxies",
    "targetHttpsProxies",
    "targetTcpProxies",
    "targetVpnGateways",
    "targetPools",
    "serviceAttachments",
)
#: What patch changes: allowGlobalAccess (exchange 22 of conformance/kcc-golden/compute/v1beta1/
#: computeforwardingrule/regionalcomputeforwardingrulefull-direct/_http.log, answered 200) and
#: the network tier ("Currently, you can only patch the network_tier field":
#: https://cloud.google.com/compute/docs/reference/rest/v1/forwardingRules/patch).
PATCHABLE = ("allowGlobalAccess", "allowPscGlobalAccess", "networkTier")
MAX_PORTS = 5
_PORTS = re.compile(r"^(\d{1,5})(?:-(\d{1,5}))?$")


def _port_range(value: Any) -> str:
    """`portRange` as the API shows it, `low-high` (exchange 19 of conformance/kcc-golden/
    compute/v1beta1/computeforwardingrule/regionalcomputeforwardingruletcp/_http.log sends "90"
    and reads "90-90")."""
    m = _PORTS.match(str(value))
    low = int(m.group(1)) if m else 0
    high = int(m.group(2) or low) if m else 0
    if not m or not 1 <= low <= high <= 65535:
        raise c.field_error("resource.portRange", value, "The port range must look like '80' or '80-90'.")
    return f"{low}-{high}"


def _ports(body: dict[str, Any], protocol: str) -> dict[str, Any]:
    """portRange, ports and allPorts: at most one, and only on a protocol with ports
    (https://cloud.google.com/compute/docs/reference/rest/v1/forwardingRules: portRange, ports,
    allPorts)."""
    given = [k for k in ("portRange", "ports", "allPorts") if body.get(k)]
    if len(given) > 1:
        raise c.field_error(
            f"resource.{given[1]}", body[given[1]], f"{given[1]} cannot be set with {given[0]}."
        )
    if not given:
        return {}
    if protocol not in PORTED and protocol != "L3_DEFAULT":
        raise c.field_error(f"resource.{given[0]}", body[given[0]], f"Protocol {protocol} takes no ports.")
    if given[0] == "portRange":
        return {"portRange": _port_range(body["portRange"])}
    if given[0] == "ports":
        ports = [str(p) for p in body["ports"]]
        if len(ports) > MAX_PORTS:
            raise c.field_error("resource.ports", len(ports), f"At most {MAX_PORTS} ports are allowed.")
        for port in ports:
            _port_range(port)
        return {"ports": ports}
    return {"allPorts": True}


def _target(call: Call, value: Any, field: str, region_name: str) -> str:
    text = str(value or "")
    collection = next((t for t in TARGETS if f"/{t}/" in f"/{text}"), None)
    if collection is None:
        raise c.field_error(field, value, f"The target must be one of the regional {', '.join(TARGETS)}.")
    path, _ = lb.reference(call, value, field, collection, region_name)
    return path


def _network(call: Call, body: dict[str, Any], project_id: str, region_name: str) -> dict[str, Any]:
    """The network and subnetwork of an internal rule: "If the subnetwork is specified, the
    network of the subnetwork will be used. If neither subnetwork nor this field is specified,
    the default network will be used." (https://cloud.google.com/compute/docs/reference/rest/v1/
    forwardingRules, network)."""
    out: dict[str, Any] = {}
    network_path = ""
    if body.get("subnetwork"):
        subnet_path = c.parse_ref(call, body["subnetwork"], "resource.subnetwork", "subnetworks", region_name)
        subnet = c.require_existing(call, c.SUBNETWORK, subnet_path)
        out["subnetwork"] = c.link(subnet_path)
        network_path = c.relative(subnet["network"])
    if body.get("network"):
        named = c.parse_ref(call, body["network"], "resource.network", "networks")
        if network_path and named != network_path:
            raise c.field_error("resource.network", body["network"], "The subnetwork is not in this network.")
        network_path = named
    if not network_path:
        network_path = c.global_path(project_id, "networks", "default")
    c.require_existing(call, c.NETWORK, network_path)
    out["network"] = c.link(network_path)
    return out


def _is_ip(value: Any) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def _chosen_ip(call: Call, internal: bool, subnetwork: str, resource_id: str) -> str:
    if not internal:
        n = int(resource_id)
        return f"35.{224 + n % 32}.{(n >> 8) % 256}.{(n >> 16) % 254 + 1}"
    if not subnetwork:
        raise c.required_error("resource.subnetwork")
    subnet = call.ctx.store.get(c.SUBNETWORK, c.relative(subnetwork)) or {}
    net = c.stored_range(subnet)
    taken = {a.get("address") for a in call.ctx.store.list(lb.REGION_ADDRESS)}
    taken |= {r.get("IPAddress") for r in call.ctx.store.list(lb.REGION_FORWARDING_RULE)}
    return next(str(h) for h in list(net.hosts())[1:] if str(h) not in taken)


def _address(
    call: Call, body: dict[str, Any], scheme: str, placed: dict[str, Any], region_name: str, resource_id: str
) -> tuple[str, str | None]:
    """The rule's IP and, where it is a reserved address, that address's path. An EXTERNAL
    address serves an external scheme, an INTERNAL one an internal scheme
    (https://cloud.google.com/compute/docs/reference/rest/v1/forwardingRules, IPAddress)."""
    internal = scheme in INTERNAL
    wanted_type = "INTERNAL" if internal else "EXTERNAL"
    value = body.get("IPAddress")
    if not value:
        return _chosen_ip(call, internal, placed.get("subnetwork", ""), resource_id), None
    project_id = call.ctx.projects.require(call.param("project"), "compute.projects.get")[0]
    if not scheme and _is_ip(value):
        # A Private Service Connect rule (no scheme) takes the IP it is given, reserved or not:
        # exchange 53 of conformance/kcc-golden/compute/v1beta1/computeforwardingrule/
        # regionalcomputeforwardingrulepsc-direct/_http.log sends 8.8.8.8, answered 200.
        return value, None
    if not _is_ip(value):
        path, address = lb.reference(call, value, "resource.IPAddress", "addresses", region_name)
    else:
        parent = f"projects/{project_id}/regions/{region_name}"
        found = [a for a in call.ctx.store.list(lb.REGION_ADDRESS, parent) if a.get("address") == value]
        if not found:
            if not internal:
                raise c.field_error(
                    "resource.IPAddress", value, "An external IP must be reserved in this region first."
                )
            return value, None
        address = found[0]
        path = c.relative(address["selfLink"])
    if address.get("addressType", "EXTERNAL") != wanted_type:
        raise c.field_error(
            "resource.IPAddress", value, f"A {scheme} forwarding rule needs a {wanted_type} address."
        )
    return address["address"], path


def _one_destination(call: Call, body: dict[str, Any], region_name: str) -> tuple[dict[str, Any], str]:
    """Exactly one of target and backendService ("backendService ... must be omitted for all
    other load balancer types": https://cloud.google.com/compute/docs/reference/rest/v1/
    forwardingRules)."""
    if body.get("target") and body.get("backendService"):
        raise c.field_error(
            "resource.backendService",
            body["backendService"],
            "A rule takes a target or a backend service, not both.",
        )
    if body.get("backendService"):
        path, _ = lb.reference(
            call, body["backendService"], "resource.backendService", "backendServices", region_name
        )
        return {"backendService": c.link(path)}, path
    if not body.get("target"):
        raise c.required_error("resource.target")
    path = _target(call, body["target"], "resource.target", region_name)
    return {"target": c.link(path)}, path


@API.handles("compute.forwardingRules.insert")
@c.replaying
def insert_rule(call: Call) -> Reply:
    project_id, region_name, body, path, base = c.regional_insert(call, KIND)
    # `region` is output only (exchange 23 of conformance/kcc-golden/compute/v1beta1/
    # computeregionnetworkendpointgroup/privateserviceconnectioncomputeregionnetworkendpointgroup/
    # _http.log sends "projects/<p>/global/regions/<r>", answered 200).
    body.pop("region", None)
    # An empty scheme is the one of a Private Service Connect rule (exchange 53 of
    # conformance/kcc-golden/compute/v1beta1/computeforwardingrule/regionalcomputeforwardingrulepsc-
    # direct/_http.log); otherwise the default is EXTERNAL (API reference, loadBalancingScheme).
    psc = "/serviceAttachments/" in str(body.get("target", ""))
    scheme = body.get("loadBalancingScheme") or ("" if psc else "EXTERNAL")
    if scheme and scheme not in SCHEMES:
        raise c.field_error("resource.loadBalancingScheme", scheme, f"Must be one of {', '.join(SCHEMES)}.")
    protocol = body.get("IPProtocol", "TCP")
    if protocol not in PROTOCOLS:
        raise c.field_error("resource.IPProtocol", protocol, f"Must be one of {', '.join(PROTOCOLS)}.")
    tier = body.get("networkTier", "PREMIUM")
    if tier not in TIERS or (tier == "STANDARD" and scheme in INTERNAL):
        raise c.field_error("resource.networkTier", tier, "Internal forwarding rules are PREMIUM tier.")
    if body.get("allowGlobalAccess") and scheme not in INTERNAL:
        # "allowGlobalAccess ... used along with the backend_service field for internal load
        # balancing": https://cloud.google.com/compute/docs/reference/rest/v1/forwardingRules
        raise c.field_error(
            "resource.allowGlobalAccess", True, "Global access is for internal forwarding rules."
        )
    c.check_labels(body.get("labels"))
    # Labels sent with the insert are not applied: the rule is read back without them and takes
    # them through setLabels (exchanges 17, 19 and 20 of conformance/kcc-golden/compute/v1beta1/
    # computeforwardingrule/regionalcomputeforwardingrulefull-direct/_http.log), as a global one.
    body.pop("labels", None)
    ports = _ports(body, protocol)
    placed = (
        _network(call, body, project_id, region_name)
        if scheme in INTERNAL or psc or body.get("network")
        else {}
    )
    ip, address_path = _address(call, body, scheme, placed, region_name, base["id"])
    destination, destination_path = _one_destination(call, body, region_name)
    labels: dict[str, str] = {}
    rule: dict[str, Any] = {
        **{k: v for k, v in body.items() if k not in ("portRange", "ports", "allPorts", "IPAddress")},
        **base,
        **destination,
        **placed,
        **ports,
        "name": body["name"],
        # Shown empty where none was sent: exchange 42 of conformance/kcc-golden/compute/v1beta1/
        # computeregionnetworkendpointgroup/
        # privateserviceconnectioncomputeregionnetworkendpointgroup/_http.log.
        "description": body.get("description", ""),
        "IPAddress": ip,
        "IPProtocol": protocol,
        "networkTier": tier,
        "region": c.link(f"projects/{project_id}/regions/{region_name}"),
        "selfLink": c.link(path),
        "selfLinkWithId": c.link(c.regional_path(project_id, region_name, "forwardingRules", base["id"])),
        "fingerprint": c.fingerprint(),
        "labelFingerprint": c.fingerprint(labels),
    }
    if scheme:
        rule["loadBalancingScheme"] = scheme
    else:
        rule.pop("loadBalancingScheme", None)
    if not rule.get("allowGlobalAccess"):
        rule.pop("allowGlobalAccess", None)  # false is not shown (exchange 25 of the -full- log above)
    if scheme == "INTERNAL" and body.get("serviceLabel"):
        # exchange 25 of conformance/kcc-golden/compute/v1beta1/computeforwardingrule/
        # regionalcomputeforwardingrulefull-direct/_http.log
        rule["serviceName"] = (
            f"{body['serviceLabel']}.{body['name']}.il4.{region_name}.lb.{project_id}.internal"
        )
    refs = [destination_path]
    if address_path:
        rule["_address"] = address_path
        refs.append(address_path)
    return lb.write(call, KIND, "insert", rule, refs)


@API.handles("compute.forwardingRules.setTarget")
@c.replaying
def set_target(call: Call) -> Reply:
    _, region_name, path, current = c.regional_target(call, KIND)
    if current.get("backendService"):
        raise c.field_error(
            "target", (call.body or {}).get("target", ""), "This rule sends to a backend service."
        )
    target = _target(call, (call.body or {}).get("target"), "target", region_name)
    # The operation is named "SetTarget": exchange 20 of conformance/kcc-golden/compute/v1beta1/
    # computeforwardingrule/regionalcomputeforwardingrule-direct/_http.log.
    return lb.set_fields(call, KIND, "SetTarget", path, current, {"target": c.link(target)}, [target])


@API.handles("compute.forwardingRules.patch")
@c.replaying
def patch_rule(call: Call) -> Reply:
    _, _, path, current = c.regional_target(call, KIND)
    body = dict(call.body or {})
    # A patch without a fingerprint is applied (exchange 22 of the -full- log above); a stale one
    # is a 412.
    lb.check_fingerprint(body, current, required=False)
    changes: dict[str, Any] = {}
    for key, value in body.items():
        if key in PATCHABLE:
            changes[key] = value
        elif value is not None and c.relative(str(value)) != c.relative(str(current.get(key))):
            raise c.field_error(f"resource.{key}", value, "This field cannot be changed after creation.")
    if changes.get("allowGlobalAccess") and current.get("loadBalancingScheme") not in INTERNAL:
        raise c.field_error(
            "resource.allowGlobalAccess", True, "Global access is for internal forwarding rules."
        )
    if changes.get("allowGlobalAccess") is False:
        changes["allowGlobalAccess"] = None
    return lb.set_fields(call, KIND, "patch", path, current, changes)


def _aggregated(call: Call, _: c.Regional) -> dict[str, Any]:
    """`forwardingRules.aggregatedList`: the project's global rules under `global`, its regional
    ones under their region (https://cloud.google.com/compute/docs/reference/rest/v1/
    forwardingRules/aggregatedList)."""
    project_id = c.project(call)
    items = [
        c.public(r)
        for kind in (lb.FORWARDING_RULE, lb.REGION_FORWARDING_RULE)
        for r in call.ctx.store.list(kind)
        if r["selfLink"].split("/")[6] == project_id
    ]
    return lb.aggregated(
        call, "compute#forwardingRuleAggregatedList", "forwardingRules", items, "forwardingRules"
    )


ONE_DESTINATION = refusal(
    "compute.forwardingRules.insert",
    "a rule with neither or both of target and backendService, or naming one that does not exist",
    source="https://cloud.google.com/compute/docs/reference/rest/v1/forwardingRules (backendService, target)",
    test="tests/emulator/test_compute_regional.py::test_forwarding_rule_needs_a_destination_that_exists",
)
ADDRESS_TYPE = refusal(
    "compute.forwardingRules.insert",
    "an address whose type is not the scheme's (INTERNAL for internal schemes), or an external IP "
    "not reserved in the region",
    source="https://cloud.google.com/compute/docs/reference/rest/v1/forwardingRules (IPAddress)",
    test="tests/emulator/test_compute_regional.py::test_external_rule_takes_a_reserved_external_address",
)

COLLECTION = cc.declare(
    API,
    cc.Collection(
        KIND,
        frozenset({"get", "list", "setLabels", "delete"}),
        own={"aggregatedList": _aggregated},
        label_fingerprint_field="labelFingerprint",
        refusals=(lb.STALE_FINGERPRINT, ONE_DESTINATION, ADDRESS_TYPE),
    ),
)
