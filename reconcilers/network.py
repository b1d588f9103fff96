"""The private network of an environment.

A custom-mode VPC; one regional subnet with the GKE secondary ranges and private Google
access; a Cloud Router with Cloud NAT (error logging) so private nodes reach the internet;
the private service access range and its service networking peering, which Cloud SQL's
private IP needs; a Serverless VPC Access connector for Cloud Run; and the firewall rules
the system needs, no more.

Compute resources carry no labels (except addresses), so ownership follows from the
deterministic `digitwin-<env>-` names. Updates use each API's own form: a subnet is patched
with its current fingerprint, private Google access and range growth have their own
setters, an address's labels need its label fingerprint.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from typing import Any

from provisioner.cost.pricing import CostLine, PriceTable, free
from provisioner.engine.api_kind import ApiKind
from provisioner.engine.context import Context
from provisioner.engine.kind import KindMeta, Reconciler
from provisioner.engine.labels import labels_kept
from provisioner.engine.masks import UpdateMask, top_level
from provisioner.engine.operations import Operation, OperationChain
from provisioner.engine.permissions import permissions_of
from provisioner.engine.plan import FieldChange
from provisioner.engine.resource import LiveResource, Resource, without_ownership
from provisioner.engine.review import immutable_reason
from reconcilers._compute import (
    ComputeKind,
    compute,
    compute_meta,
    compute_permissions,
    list_all,
    network_path,
    owned_by_name,
)
from reconcilers._operations import LongRunningOperation

PEERING_SERVICE = "services/servicenetworking.googleapis.com"
#: `also` of a kind attached to the VPC network when it is created, and fixed to it from then
#: on (a subnet, a router, the peering, the connector): its create names the network, which
#: needs the right to use it.
ATTACHED_TO_NETWORK = {"create": ("compute.networks.use",)}
#: A peering's reserved ranges are all that can change (it is patched with `force`).
PEERING_MASK = UpdateMask(("reservedPeeringRanges",))
#: A connector's machine type and instance bounds are all that can change.
CONNECTOR_MASK = UpdateMask(("machineType", "maxInstances", "minInstances"))


class Network(ComputeKind):
    collection, param, noun = "networks", "network", "network"
    meta = compute_meta(
        kind="compute.network",
        permissions=compute_permissions(collection),
        immutable=("autoCreateSubnetworks",),
        api_defaults={"mtu": 1460, "routingConfig": {"routingMode": "REGIONAL"}},
        stateful=True,  # everything in the environment sits on it
    )
    no_charge = "VPC networks are free; traffic leaving a zone or region is billed as data transfer"


class Subnetwork(ComputeKind):
    collection, param, noun = "subnetworks", "subnetwork", "subnet"
    meta = compute_meta(
        kind="compute.subnetwork",
        permissions=compute_permissions(collection, also=ATTACHED_TO_NETWORK),
        immutable=("network",),
        unordered=("secondaryIpRanges",),
        api_defaults={"privateIpGoogleAccess": False, "logConfig": {"enable": False}},
        stateful=True,  # GKE nodes and the connector live on it
    )
    regional = True

    def monthly_cost(self, name: str, body: dict[str, Any], prices: PriceTable) -> list[CostLine] | None:
        return [free("subnet", "subnets are free"), *_logs(prices, body, "VPC flow logs")]

    def normalise(self, body: dict[str, Any]) -> dict[str, Any]:
        body = super().normalise(body)
        body["secondaryIpRanges"] = [
            {"rangeName": r["rangeName"], "ipCidrRange": r["ipCidrRange"]}
            for r in body.get("secondaryIpRanges", [])
        ]
        log = body.get("logConfig")
        if isinstance(log, dict):
            body["logConfig"] = {"enable": bool(log.get("enable", False))}
        return body

    def replace_reason(self, changes: Sequence[FieldChange]) -> str | None:
        reason = immutable_reason(self, changes)
        if reason:
            return reason
        for change in changes:
            if change.path == "ipCidrRange" and not _expands(change.before, change.after):
                return "ipCidrRange can only grow in place (a smaller or moved range forces replacement)"
            if change.path == "secondaryIpRanges":
                before = {r["rangeName"]: r["ipCidrRange"] for r in change.before or []}
                after = {r["rangeName"]: r["ipCidrRange"] for r in change.after or []}
                moved = sorted(n for n in before.keys() & after.keys() if before[n] != after[n])
                if moved:
                    return (
                        f"secondary range {', '.join(moved)} changes its CIDR, which cannot be done while GKE"
                        " uses it: forces replacement"
                    )
        return None

    def version(self, item: dict[str, Any]) -> str | None:
        return item.get("fingerprint")

    def update(self, desired: Resource, live: LiveResource, changes: Sequence[FieldChange]) -> Operation:
        region, name = desired.name.split("/")
        changed = top_level(changes)
        steps = []
        if "ipCidrRange" in changed:
            steps.append(lambda: self._setter("expandIpCidrRange", region, name, "ipCidrRange", desired))
        if "privateIpGoogleAccess" in changed:
            steps.append(
                lambda: self._setter(
                    "setPrivateIpGoogleAccess", region, name, "privateIpGoogleAccess", desired
                )
            )
        patchable = sorted(changed & {"secondaryIpRanges", "logConfig"})
        if patchable:
            steps.append(lambda: self._patch(region, name, {k: desired.body[k] for k in patchable}))
        return OperationChain(f"update subnet {name}", steps)

    def _setter(self, method: str, region: str, name: str, field: str, desired: Resource) -> Operation:
        """The fields with a dedicated method: range expansion and private Google access."""
        body = {field: desired.body[field]}
        request = getattr(self.resources(), method)(
            project=self.ctx.project, region=region, subnetwork=name, body=body
        )
        return self.operation(request, f"update subnet {name}", self.ctx.spec.region)

    def _patch(self, region: str, name: str, patch: dict[str, Any]) -> Operation:
        api = self.resources()
        # The fingerprint must be the current one: read it right before the write.
        current = self.call(api.get(project=self.ctx.project, region=region, subnetwork=name).execute)
        body = {**patch, "fingerprint": current["fingerprint"]}
        request = api.patch(project=self.ctx.project, region=region, subnetwork=name, body=body)
        return self.operation(request, f"update subnet {name}", self.ctx.spec.region)


def _expands(before: Any, after: Any) -> bool:
    try:
        old, new = ipaddress.ip_network(before), ipaddress.ip_network(after)
    except (TypeError, ValueError):
        return False
    # A shorter prefix from the same first address holds the old range (both are networks, with
    # no host bits set); an IPv4 and an IPv6 address are never equal, so neither expands the other.
    return new.prefixlen < old.prefixlen and new.network_address == old.network_address


NAT_FIELDS = ("name", "natIpAllocateOption", "sourceSubnetworkIpRangesToNat", "logConfig", "minPortsPerVm")


class Router(ComputeKind):
    """A Cloud Router; Cloud NAT is an element of its `nats` list, written as a whole."""

    collection, param, noun = "routers", "router", "router"
    meta = compute_meta(
        kind="compute.router",
        permissions=compute_permissions(collection, also=ATTACHED_TO_NETWORK),
        immutable=("network",),
    )
    regional = True

    def monthly_cost(self, name: str, body: dict[str, Any], prices: PriceTable) -> list[CostLine] | None:
        """The router is free; each Cloud NAT gateway on it charges by the VMs that use it."""
        region = name.split("/")[0]
        lines = [free("Cloud Router", "a Cloud Router used only for Cloud NAT is free")]
        for nat in body.get("nats") or []:
            gateway = nat.get("name", "nat")
            lines += [
                prices.usage(
                    "nat.gateway_vm",
                    region,
                    f"Cloud NAT {gateway}: gateway",
                    "per VM that uses it (the private GKE nodes), capped from 32 VMs on",
                ),
                prices.usage("nat.data_processed", region, f"Cloud NAT {gateway}: data processed"),
            ]
            if nat.get("natIpAllocateOption", "AUTO_ONLY") == "AUTO_ONLY":
                lines.append(
                    prices.usage(
                        "nat.ip_address",
                        region,
                        f"Cloud NAT {gateway}: external IP addresses",
                        "allocated automatically, as many as the VMs' connections need",
                    )
                )
            lines += _logs(prices, nat, f"Cloud NAT {gateway}: logs")
        return lines

    def normalise(self, body: dict[str, Any]) -> dict[str, Any]:
        body = super().normalise(body)
        body["nats"] = [{k: nat[k] for k in NAT_FIELDS if k in nat} for nat in body.get("nats", [])]
        return body


class GlobalAddress(ComputeKind):
    """A reserved global range or address: everything but labels is fixed at creation."""

    collection, param, noun = "globalAddresses", "address", "address"
    meta = compute_meta(
        kind="compute.global_address",
        permissions=compute_permissions(collection, update=("setLabels",)),
        immutable=("address", "addressType", "purpose", "prefixLength", "network", "ipVersion"),
        labels_path="labels",
    )

    def monthly_cost(self, name: str, body: dict[str, Any], prices: PriceTable) -> list[CostLine] | None:
        """Internal ranges are free; an external address is free while a forwarding rule uses it."""
        if body.get("addressType", "EXTERNAL") == "INTERNAL":
            return [free("internal range", "reserved internal ranges are free")]
        if body.get("status") == "RESERVED":
            return [prices.charge("address.unused", "global", 1, "static IP address, reserved and unused")]
        return [
            free("static IP address", "no charge while a forwarding rule uses it"),
            prices.usage(
                "address.unused", "global", "if left unused", "charged only while no forwarding rule uses it"
            ),
        ]

    def version(self, item: dict[str, Any]) -> str | None:
        return item.get("labelFingerprint")

    def observe(self, desired: Sequence[Resource]) -> list[LiveResource]:
        return [self.live(item) for item in global_addresses(self)]

    def create(self, desired: Resource) -> Operation:
        return self.insert(desired, f"reserve address {desired.name}")

    def update(self, desired: Resource, live: LiveResource, changes: Sequence[FieldChange]) -> Operation:
        return self._set_labels(live, labels_kept(live.body.get("labels"), desired.body.get("labels")))

    def _set_labels(self, live: LiveResource, labels: dict[str, str]) -> Operation:
        body = {"labels": labels, "labelFingerprint": live.body.get("labelFingerprint")}
        request = self.resources().setLabels(project=self.ctx.project, resource=live.name, body=body)
        return self.operation(request, f"label address {live.name}")

    def abandon(self, live: LiveResource) -> Operation | None:
        return self._set_labels(live, without_ownership(live.body.get("labels")))

    def delete(self, live: LiveResource) -> Operation:
        return self.remove(live, f"release address {live.name}")


class Firewall(ComputeKind):
    collection, param, noun = "firewalls", "firewall", "firewall rule"
    meta = compute_meta(
        kind="compute.firewall",
        permissions=compute_permissions(
            collection,
            # Firewall rules change the network's policy: https://cloud.google.com/vpc/docs/firewalls#iam
            also={a: ("compute.networks.updatePolicy",) for a in ("create", "update", "delete")},
        ),
        immutable=("network", "direction"),
        unordered=("sourceRanges", "destinationRanges", "targetTags"),
        api_defaults={"priority": 1000, "logConfig": {"enable": False}, "disabled": False},
    )
    described = False  # a rule's description is the spec's

    def monthly_cost(self, name: str, body: dict[str, Any], prices: PriceTable) -> list[CostLine] | None:
        return [free("firewall rule", "firewall rules are free"), *_logs(prices, body, "firewall rule logs")]

    def normalise(self, body: dict[str, Any]) -> dict[str, Any]:
        body = super().normalise(body)
        if isinstance(body.get("logConfig"), dict):
            body["logConfig"] = {"enable": bool(body["logConfig"].get("enable", False))}
        return body


def global_addresses(kind: ApiKind) -> list[dict[str, Any]]:
    """Every global address of the project: the addresses themselves, and what forwarding rules
    point at by IP, come from the same list."""
    api = compute(kind.ctx).globalAddresses()
    return kind.ctx.shared(
        ("compute.globalAddresses", kind.ctx.project),
        lambda: kind.call(list_all, lambda token: api.list(project=kind.ctx.project, pageToken=token)),
    )


class PeeringConnection(ApiKind):
    """The private service access peering (one per network), which Cloud SQL private IP needs.

    The API has no get, and its list needs the network, named by project *number*.
    """

    meta = KindMeta(
        kind="servicenetworking.connection",
        api="servicenetworking.googleapis.com",
        permissions=permissions_of(
            "servicenetworking.services",
            read=("get",),
            write=("addPeering",),
            delete=("deleteConnection",),
            also=ATTACHED_TO_NETWORK,
        ),
        labels_path=None,
        unordered=("reservedPeeringRanges",),
    )
    no_charge = "the peering is free; traffic over it is billed as VPC data transfer"

    def _network(self, name: str) -> str:
        return f"projects/{self.ctx.project_number}/global/networks/{name}"

    def observe(self, desired: Sequence[Resource]) -> list[LiveResource]:
        api = self.ctx.clients.discovery("servicenetworking", "v1").services().connections()
        names = {r.name for r in desired} | {self.ctx.spec.vpc_name}

        def read(name: str) -> list[LiveResource]:
            request = api.list(parent=PEERING_SERVICE, network=self._network(name))
            found = self.call(request.execute).get("connections", [])
            return [
                LiveResource(self.meta.kind, name, c, managed=owned_by_name(self.ctx, name)) for c in found
            ]

        return [live for group in self.map(read, sorted(names)) for live in group]

    def _op(self, body: dict[str, Any], description: str) -> Operation:
        return LongRunningOperation(self.ctx, "servicenetworking", "v1", body, description)

    def create(self, desired: Resource) -> Operation:
        api = self.ctx.clients.discovery("servicenetworking", "v1").services().connections()
        body = {"network": self._network(desired.name), **desired.body}
        op = self.call(api.create(parent=PEERING_SERVICE, body=body).execute)
        return self._op(op, f"peer {desired.name} with service networking")

    def update(self, desired: Resource, live: LiveResource, changes: Sequence[FieldChange]) -> Operation:
        api = self.ctx.clients.discovery("servicenetworking", "v1").services().connections()
        body = {"network": self._network(desired.name), **desired.body}
        name = f"{PEERING_SERVICE}/connections/{live.body.get('peering', 'servicenetworking-googleapis-com')}"
        mask = PEERING_MASK.joined(PEERING_MASK.changed(changes))
        request = api.patch(name=name, updateMask=mask, force=True, body=body)
        return self._op(self.call(request.execute), f"update peering of {desired.name}")

    def delete(self, live: LiveResource) -> Operation:
        api = self.ctx.clients.discovery("servicenetworking", "v1").services().connections()
        name = f"{PEERING_SERVICE}/connections/{live.body.get('peering', 'servicenetworking-googleapis-com')}"
        request = api.deleteConnection(name=name, body={"consumerNetwork": self._network(live.name)})
        return self._op(self.call(request.execute), f"remove peering of {live.name}")


class VpcConnector(ApiKind):
    """Serverless VPC Access: how Cloud Run reaches private addresses. Instances only grow."""

    meta = KindMeta(
        kind="vpcaccess.connector",
        api="vpcaccess.googleapis.com",
        permissions=permissions_of("vpcaccess.connectors", also=ATTACHED_TO_NETWORK),
        labels_path=None,
        immutable=("network", "ipCidrRange"),
        api_defaults={"machineType": "e2-micro"},
    )

    def monthly_cost(self, name: str, body: dict[str, Any], prices: PriceTable) -> list[CostLine] | None:
        """Connector instances are billed as Compute Engine VMs; it runs at least the minimum."""
        region = name.split("/")[0]
        machine = body.get("machineType") or "e2-micro"
        low, high = int(body.get("minInstances") or 2), int(body.get("maxInstances") or 10)
        scale = f"{low}–{high}" if high != low else f"{low}"
        return [
            prices.charge(
                f"compute.machine.{machine}",
                region,
                low,
                f"instances: {scale} × {machine}",
                "priced at its minimum; it scales out with traffic and never back in",
                max_quantity=high,
            ),
            free("traffic", "data through it is billed as VM data transfer, which is not estimated"),
        ]

    def replace_reason(self, changes: Sequence[FieldChange]) -> str | None:
        for change in changes:
            if change.path in ("minInstances", "maxInstances") and (change.after or 0) < (change.before or 0):
                return f"{change.path} can only grow in place (lowering it forces replacement)"
        return immutable_reason(self, changes)

    def _api(self) -> Any:
        return self.ctx.clients.discovery("vpcaccess", "v1").projects().locations().connectors()

    def observe(self, desired: Sequence[Resource]) -> list[LiveResource]:
        region = self.ctx.spec.region
        parent = f"projects/{self.ctx.project}/locations/{region}"
        api = self._api()
        items = self.call(list_all, lambda token: api.list(parent=parent, pageToken=token), key="connectors")
        found = []
        for c in items:
            name = c["name"].rsplit("/", 1)[1]
            found.append(
                LiveResource(self.meta.kind, f"{region}/{name}", c, managed=owned_by_name(self.ctx, name))
            )
        return found

    def _op(self, body: dict[str, Any], description: str) -> Operation:
        return LongRunningOperation(
            self.ctx, "vpcaccess", "v1", body, description, ("projects", "locations", "operations")
        )

    def create(self, desired: Resource) -> Operation:
        region, name = desired.name.split("/")
        parent = f"projects/{self.ctx.project}/locations/{region}"
        op = self.call(self._api().create(parent=parent, connectorId=name, body=desired.body).execute)
        return self._op(op, f"create connector {name}")

    def update(self, desired: Resource, live: LiveResource, changes: Sequence[FieldChange]) -> Operation:
        fields = CONNECTOR_MASK.changed(changes)
        body = CONNECTOR_MASK.body(fields, desired.body, live.body)
        request = self._api().patch(
            name=live.body["name"], updateMask=CONNECTOR_MASK.joined(fields), body=body
        )
        return self._op(self.call(request.execute), f"update connector {desired.name}")

    def delete(self, live: LiveResource) -> Operation:
        return self._op(
            self.call(self._api().delete(name=live.body["name"]).execute), f"delete connector {live.name}"
        )


def firewall_body(ctx: Context, rule: Any) -> dict[str, Any]:
    entries = [
        {"IPProtocol": r.protocol, **({"ports": list(r.ports)} if r.ports else {})} for r in rule.rules
    ]
    body: dict[str, Any] = {
        "network": network_path(ctx),
        "direction": rule.direction,
        "priority": rule.priority,
        "allowed" if rule.action == "allow" else "denied": entries,
        "logConfig": {"enable": rule.logging},
    }
    if rule.source_ranges:
        body["sourceRanges"] = list(rule.source_ranges)
    if rule.destination_ranges:
        body["destinationRanges"] = list(rule.destination_ranges)
    if rule.target_tags:
        body["targetTags"] = list(rule.target_tags)
    if rule.description:
        body["description"] = rule.description
    return body


def _logs(prices: PriceTable, body: dict[str, Any], item: str) -> list[CostLine]:
    """The logs `body` writes, if its `logConfig` enables them: subnets (flow logs), firewall
    rules and NAT gateways all log the same way, billed as vended network logs."""
    if not (body.get("logConfig") or {}).get("enable"):
        return []
    how = "billed by the volume of log entries"
    return [prices.usage("logging.vended_network_logs", "global", item, how)]


class NetworkReconciler(Reconciler):
    family = "network"
    kinds = (Network, Subnetwork, Router, GlobalAddress, Firewall, PeeringConnection, VpcConnector)

    def desired(self, ctx: Context) -> list[Resource]:
        spec, net = ctx.spec, ctx.spec.network
        region = spec.region
        policy = net.deletion_policy
        vpc = Resource(
            kind=Network.meta.kind,
            name=spec.vpc_name,
            body={
                "autoCreateSubnetworks": False,
                "routingConfig": {"routingMode": net.routing_mode},
                "mtu": net.mtu,
            },
            deletion_policy=policy,
        )
        subnet = Resource(
            kind=Subnetwork.meta.kind,
            name=f"{region}/{spec.subnet_name}",
            body={
                "network": network_path(ctx),
                "ipCidrRange": net.subnet.cidr,
                "privateIpGoogleAccess": net.subnet.private_google_access,
                "secondaryIpRanges": [
                    {"rangeName": spec.pods_range_name, "ipCidrRange": net.subnet.pods.cidr},
                    {"rangeName": spec.services_range_name, "ipCidrRange": net.subnet.services.cidr},
                ],
                "logConfig": {"enable": net.subnet.flow_logs},
            },
            deps=(vpc.address,),
            deletion_policy=policy,
        )
        nat: dict[str, Any] = {
            "name": spec.nat_name,
            "natIpAllocateOption": "AUTO_ONLY",
            "sourceSubnetworkIpRangesToNat": "ALL_SUBNETWORKS_ALL_IP_RANGES",
            "logConfig": {
                "enable": net.router.nat.log_filter is not None,
                "filter": net.router.nat.log_filter or "ALL",
            },
        }
        if net.router.nat.min_ports_per_vm:
            nat["minPortsPerVm"] = net.router.nat.min_ports_per_vm
        router = Resource(
            kind=Router.meta.kind,
            name=f"{region}/{spec.router_name}",
            body={"network": network_path(ctx), "nats": [nat]},
            deps=(vpc.address,),
            deletion_policy=policy,
        )
        psa = net.private_service_access
        psa_range = Resource(
            kind=GlobalAddress.meta.kind,
            name=spec.psa_range_name,
            body={
                "purpose": "VPC_PEERING",
                "addressType": "INTERNAL",
                "address": psa.address,
                "prefixLength": psa.prefix_length,
                "network": network_path(ctx),
                "labels": ctx.labels({"purpose": "private-service-access"}),
            },
            deps=(vpc.address,),
            deletion_policy=policy,
        )
        peering = Resource(
            kind=PeeringConnection.meta.kind,
            name=spec.vpc_name,
            body={"reservedPeeringRanges": [spec.psa_range_name]},
            deps=(vpc.address, psa_range.address),
            deletion_policy=policy,
        )
        conn = net.vpc_connector
        connector = Resource(
            kind=VpcConnector.meta.kind,
            name=f"{region}/{spec.connector_name}",
            body={
                "network": spec.vpc_name,
                "ipCidrRange": conn.cidr,
                "machineType": conn.machine_type,
                "minInstances": conn.min_instances,
                "maxInstances": conn.max_instances,
            },
            deps=(vpc.address,),
            deletion_policy=conn.deletion_policy,
        )
        firewalls = [
            Resource(
                kind=Firewall.meta.kind,
                name=spec.firewall_rule_name(key),
                body=firewall_body(ctx, rule),
                deps=(vpc.address,),
                deletion_policy=policy,
            )
            for key, rule in sorted(net.firewall_rules.items())
        ]
        return [vpc, subnet, router, psa_range, peering, connector, *firewalls]
