"""Compute Engine global forwarding rules in front of target proxies.

A rule takes a reserved global address (by reference or as its literal IP, which is what
the API returns) or an ephemeral one, a single port, and a target proxy that must exist
(HTTP, HTTPS or gRPC in front of a URL map, SSL or TCP in front of a backend service).
Its load-balancing scheme must match the backend services the target reaches, and no two
rules may share an IP and port; an INTERNAL_SELF_MANAGED rule lives on a network. Only the
target (setTarget) and the labels (setLabels, with the label fingerprint) change after
creation; patch, with the current fingerprint, only moves the scheme between EXTERNAL and
EXTERNAL_MANAGED.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any

from emulator.registry import Api, Call, Reply
from emulator.services import _compute as c
from emulator.services import _compute_collection as cc
from emulator.services import _lb as lb

API = Api("compute", "v1")

#: The targets a global rule takes, each with whether it reaches its backends through a URL map
#: (https://cloud.google.com/compute/docs/reference/rest/v1/globalForwardingRules, target).
TARGETS = {
    "targetHttpProxies": True,
    "targetHttpsProxies": True,
    "targetGrpcProxies": True,
    "targetSslProxies": False,
    "targetTcpProxies": False,
}
# INTERNAL_SELF_MANAGED is the scheme of a Traffic Director rule on a gRPC or HTTP proxy
# (exchanges 16 and 19 of conformance/kcc-golden/compute/v1beta1/computeforwardingrule/
# globalcomputeforwardingrule{grpcproxy,full}-direct/_http.log, answered 200).
SCHEMES = ("EXTERNAL", "EXTERNAL_MANAGED", "INTERNAL_SELF_MANAGED")
SWITCHABLE = ("EXTERNAL", "EXTERNAL_MANAGED")
_PORTS = re.compile(r"^(\d{1,5})(?:-(\d{1,5}))?$")
KIND = c.Global(
    "forwardingRules", lb.FORWARDING_RULE, "compute#forwardingRule", "forwardingRule", "globalForwardingRules"
)


def _ports(value: Any) -> tuple[int, int]:
    m = _PORTS.match(str(value or ""))
    if not m:
        raise (
            c.required_error("resource.portRange")
            if not value
            else c.field_error(
                "resource.portRange", value, "The port range must look like '443' or '443-443'."
            )
        )
    low, high = int(m.group(1)), int(m.group(2) or m.group(1))
    if not 1 <= low <= high <= 65535:
        raise c.field_error("resource.portRange", value, "Ports must be between 1 and 65535.")
    if low != high:
        raise c.field_error(
            "resource.portRange", value, "A target proxy forwarding rule takes a single port."
        )
    return low, high


def _target(call: Call, value: Any, field: str, scheme: str) -> str:
    """The target proxy's path, checked to exist and to reach backends of the rule's scheme."""
    text = str(value or "")
    collection = next((t for t in TARGETS if f"/{t}/" in f"/{text}"), None)
    if not value:
        raise c.required_error(field)
    if collection is None:
        raise c.field_error(field, value, f"The target must be one of the global {', '.join(TARGETS)}.")
    path, proxy = lb.reference(call, value, field, collection)
    if TARGETS[collection]:
        url_map = call.ctx.store.get(lb.URL_MAP, c.relative(proxy["urlMap"])) or {}
        services = lb.url_map_services(url_map)
    else:
        services = [proxy["service"]]
    for service_link in services:
        service = call.ctx.store.get(lb.BACKEND_SERVICE, c.relative(service_link)) or {}
        if service.get("loadBalancingScheme", "EXTERNAL") != scheme:
            raise c.field_error(
                "resource.loadBalancingScheme",
                scheme,
                f"The load balancing scheme of the forwarding rule must match that of backend service "
                f"'{c.relative(service_link)}' ({service.get('loadBalancingScheme')}).",
            )
    return path


def _is_ip(value: Any) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def _address(call: Call, project_id: str, value: Any, resource_id: str) -> tuple[str, str | None]:
    """The literal IP and, for a reserved one, the address resource's path."""
    if not value:
        n = int(resource_id)
        return f"34.{128 + n % 32}.{(n >> 8) % 256}.{(n >> 16) % 254 + 1}", None
    if not _is_ip(value):
        path, address = lb.reference(call, value, "resource.IPAddress", "addresses")
        if address.get("addressType", "EXTERNAL") != "EXTERNAL" or address.get("purpose"):
            raise c.field_error("resource.IPAddress", value, "The address must be an EXTERNAL address.")
        return address["address"], path
    for address in call.ctx.store.list(c.ADDRESS, f"projects/{project_id}"):
        if address.get("address") == value and address.get("addressType", "EXTERNAL") == "EXTERNAL":
            return value, c.relative(address["selfLink"])
    raise c.field_error("resource.IPAddress", value, "The IP address is not reserved in this project.")


def _clash(call: Call, project_id: str, ip: str, ports: tuple[int, int]) -> None:
    for rule in call.ctx.store.list(lb.FORWARDING_RULE, f"projects/{project_id}"):
        low, high = (int(p) for p in rule["portRange"].split("-"))
        if rule["IPAddress"] == ip and low <= ports[1] and ports[0] <= high:
            raise c.field_error(
                "resource.IPAddress",
                ip,
                f"Specified IP address is in-use and would result in a conflict with "
                f"forwarding rule '{rule['name']}'.",
            )


@API.handles("compute.globalForwardingRules.insert")
@c.replaying
def insert_rule(call: Call) -> Reply:
    project_id, body, _, base = c.global_insert(call, KIND)
    scheme = body.get("loadBalancingScheme", "EXTERNAL")
    if scheme not in SCHEMES:
        raise c.field_error("resource.loadBalancingScheme", scheme, f"Must be one of {', '.join(SCHEMES)}.")
    if body.get("networkTier", "PREMIUM") != "PREMIUM":
        raise c.field_error(
            "resource.networkTier", body["networkTier"], "Global forwarding rules are PREMIUM tier."
        )
    if body.get("IPProtocol", "TCP") != "TCP":
        raise c.field_error("resource.IPProtocol", body["IPProtocol"], "Target proxies take TCP.")
    if "ports" in body or body.get("allPorts"):
        raise c.field_error(
            "resource.ports", body.get("ports", ""), "Global forwarding rules take portRange."
        )
    ports = _ports(body.get("portRange"))
    target = _target(call, body.get("target"), "resource.target", scheme)
    c.check_labels(body.get("labels"))
    if scheme == "INTERNAL_SELF_MANAGED" and _is_ip(body.get("IPAddress")):
        # A Traffic Director rule's IP "does not need to correspond to an IP address range of a
        # subnet", 0.0.0.0 meaning any (https://cloud.google.com/traffic-director/docs/forwarding-rules).
        ip, address_path = body["IPAddress"], None
    else:
        ip, address_path = _address(call, project_id, body.get("IPAddress"), base["id"])
    _clash(call, project_id, ip, ports)
    # Labels sent with the insert are not applied: the rule is read back without them and takes
    # them through setLabels (exchanges 33, 35 and 36 of conformance/kcc-golden/compute/v1beta1/
    # computeforwardingrule/globalcomputeforwardingrulehttps-direct/_http.log; the same in every
    # global forwarding rule log of the corpus).
    body.pop("labels", None)
    labels: dict[str, str] = {}
    rule: dict[str, Any] = {
        **body,
        **base,
        "name": base["name"],
        "IPAddress": ip,
        "IPProtocol": "TCP",
        "portRange": f"{ports[0]}-{ports[1]}",
        "target": c.link(target),
        "loadBalancingScheme": scheme,
        "networkTier": "PREMIUM",
        "fingerprint": c.fingerprint(),
        "labelFingerprint": c.fingerprint(labels),
    }
    # A global rule is shown without selfLinkWithId (exchange 37 of conformance/kcc-golden/
    # compute/v1beta1/computeforwardingrule/globalcomputeforwardingrulehttps-direct/_http.log);
    # an INTERNAL_SELF_MANAGED one on its network, `default` where none is named (exchange 24 of
    # .../globalcomputeforwardingrulegrpcproxy-direct/_http.log).
    if scheme == "INTERNAL_SELF_MANAGED":
        network = body.get("network") or c.global_path(project_id, "networks", "default")
        network_path = c.parse_ref(call, network, "resource.network", "networks")
        c.require_existing(call, c.NETWORK, network_path)
        rule["network"] = c.link(network_path)
    elif "network" in body:
        raise c.field_error(
            "resource.network", body["network"], "Only an INTERNAL_SELF_MANAGED rule takes a network."
        )
    refs = [target]
    if address_path:
        rule["_address"] = address_path
        refs.append(address_path)
    return lb.write(call, KIND, "insert", rule, refs)


@API.handles("compute.globalForwardingRules.setTarget")
@c.replaying
def set_target(call: Call) -> Reply:
    path, current = c.global_target(call, KIND)
    target = _target(call, (call.body or {}).get("target"), "target", current["loadBalancingScheme"])
    # The operation is named "SetTarget" (exchange 25 of conformance/kcc-golden/compute/v1beta1/
    # computeforwardingrule/globalcomputeforwardingrulefull-direct/_http.log).
    return lb.set_fields(call, KIND, "SetTarget", path, current, {"target": c.link(target)}, [target])


@API.handles("compute.globalForwardingRules.patch")
@c.replaying
def patch_rule(call: Call) -> Reply:
    path, current, body = lb.fingerprinted(call, KIND)
    changes: dict[str, Any] = {}
    for key, value in body.items():
        migrating = key.startswith("externalManagedBackendBucketMigration")
        switching = current.get("loadBalancingScheme") in SWITCHABLE and value in SWITCHABLE
        if migrating or (key == "loadBalancingScheme" and switching):
            changes[key] = value
        elif c.relative(str(value)) != c.relative(str(current.get(key))):
            raise c.field_error(f"resource.{key}", value, "This field cannot be changed after creation.")
    return lb.set_fields(call, KIND, "patch", path, current, changes)


COLLECTION = cc.declare(
    API,
    cc.Collection(
        KIND,
        # aggregatedList, over global and regional rules, is compute_region_forwarding_rules'.
        frozenset({"get", "list", "setLabels", "delete"}),
        refusals=(lb.STALE_FINGERPRINT,),
    ),
)
