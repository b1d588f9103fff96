"""The kinds of the global HTTPS load balancer, one per Compute Engine collection.

Each knows how its collection is read and written (see `reconcilers/lb.py` for what the
load balancer holds), and which other resources a live one points at, so the engine can
delete the chain front to back.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

from provisioner.cost.pricing import CostLine, PriceTable
from provisioner.engine.context import Context
from provisioner.engine.kind import NoUpdate
from provisioner.engine.operations import Operation, OperationChain
from provisioner.engine.permissions import on_writes
from provisioner.engine.plan import FieldChange
from provisioner.engine.resource import Address, LiveResource, Resource, address_of
from provisioner.engine.review import immutable_reason
from reconcilers._compute import compute_meta, compute_permissions, description, relative
from reconcilers._global_compute import GlobalComputeKind
from reconcilers.network import GlobalAddress, global_addresses

_DIGEST = re.compile(r"^(?P<base>.+)-[0-9a-f]{8}$")


def _top_level(changes: Sequence[FieldChange]) -> set[str]:
    return {c.path.split(".")[0] for c in changes}


def certificate_address_name(api_name: str) -> str:
    """The stable name behind a certificate's API name, which carries a digest of its domains."""
    m = _DIGEST.match(api_name)
    return m.group("base") if m else api_name


def linked_address(link: str) -> Address | None:
    """The address of the resource a Compute link points at, if it is one of ours."""
    parts = relative(link).split("/")
    if len(parts) < 5:
        return None
    collection, name = parts[-2], parts[-1]
    if collection == "networkEndpointGroups":
        return address_of(ServerlessNeg.meta.kind, f"{parts[3]}/{name}")
    if collection == "sslCertificates":
        return address_of(ManagedCertificate.meta.kind, certificate_address_name(name))
    kind = KIND_BY_COLLECTION.get(collection)
    return address_of(kind, name) if kind else None


def _addresses(*links: str | None) -> tuple[Address, ...]:
    found = (linked_address(link) for link in links if link)
    return tuple(sorted({a for a in found if a}))


class ManagedCertificate(NoUpdate, GlobalComputeKind):
    """A Google-managed certificate: no update; new domains mean a new certificate.

    The address stays `compute.ssl_certificate/<certificate_name>` while the API name carries
    a digest of the domains, so a replacement creates the new certificate first; the proxy
    then moves to it (setSslCertificates) and the old one goes last, as Compute refuses to
    delete a certificate a proxy still lists. The certificate stays PROVISIONING until the
    domains resolve to the load balancer's address; nothing here waits for that.
    """

    collection, param, noun = "sslCertificates", "sslCertificate", "certificate"
    meta = compute_meta(
        kind="compute.ssl_certificate",
        permissions=compute_permissions(collection, update=()),
        immutable=("name", "type", "managed"),
        unordered=("managed.domains",),
        create_before_destroy=True,
    )
    no_charge = "Google-managed certificates are free"

    def api_name(self, resource: Resource) -> str:
        return str(resource.body["name"])

    def normalise(self, body: dict[str, Any]) -> dict[str, Any]:
        body = super().normalise(body)
        managed = body.get("managed") or {}
        body["managed"] = {"domains": [d.removesuffix(".") for d in managed.get("domains", [])]}
        return body

    def observe(self, desired: Sequence[Resource]) -> list[LiveResource]:
        wanted = {str(r.body.get("name")) for r in desired}
        items = sorted(super().observe(desired), key=lambda live: live.name not in wanted)
        found: dict[str, LiveResource] = {}
        for live in items:
            name = certificate_address_name(live.name)
            # A certificate left over from an interrupted swap keeps its own address, to be pruned.
            name = live.name if name in found else name
            found[name] = LiveResource(self.meta.kind, name, live.body, live.managed, live.version)
        return list(found.values())

    def replace_reason(self, changes: Sequence[FieldChange]) -> str | None:
        reason = immutable_reason(self, changes)
        if reason:
            reason += (
                "; the new certificate is made first and stays PROVISIONING until the domains"
                " point at the load balancer's address"
            )
        return reason

    def status_note(self, live: LiveResource | None) -> str | None:
        if live is None:
            return "stays PROVISIONING until the domains point at the load balancer's address"
        managed = live.body.get("managed") or {}
        status = managed.get("status")
        if status and status != "ACTIVE":
            domains = ", ".join(managed.get("domains", []))
            return f"certificate {status}: waiting for {domains} to point at the load balancer's address"
        return None

    def delete_note(self, live: LiveResource) -> str | None:
        status = (live.body.get("managed") or {}).get("status")
        if status and status != "ACTIVE":
            return f"the certificate was still {status}; it never served traffic"
        return None


class ServerlessNeg(NoUpdate, GlobalComputeKind):
    """A serverless network endpoint group naming one Cloud Run service; fixed at creation."""

    collection, param, noun = "regionNetworkEndpointGroups", "networkEndpointGroup", "network endpoint group"
    meta = compute_meta(
        kind="compute.region_network_endpoint_group",
        permissions=compute_permissions(collection, update=()),
        immutable=("networkEndpointType", "cloudRun"),
    )
    no_charge = "serverless network endpoint groups are free"
    regional, described = True, False


class SecurityPolicy(GlobalComputeKind):
    """Cloud Armor: rules keyed by priority, each added, patched or removed on its own."""

    collection, param, noun = "securityPolicies", "securityPolicy", "security policy"
    meta = compute_meta(
        kind="compute.security_policy",
        permissions=compute_permissions(collection),
        labels_path="labels",
        immutable=("type",),
        unordered=("rules",),
    )

    def monthly_cost(self, name: str, body: dict[str, Any], prices: PriceTable) -> list[CostLine] | None:
        """Cloud Armor Standard: the policy, each of its rules (the default one too), requests."""
        rules = len(body.get("rules") or [])
        return [
            prices.charge("armor.policy", "global", 1, "security policy"),
            prices.charge("armor.rule", "global", rules, f"rules: {rules}, the default rule included"),
            prices.usage("armor.requests", "global", "requests evaluated"),
        ]

    def normalise(self, body: dict[str, Any]) -> dict[str, Any]:
        body = super().normalise(body)
        body["rules"] = [{k: v for k, v in rule.items() if k != "kind"} for rule in body.get("rules", [])]
        return body

    def update(self, desired: Resource, live: LiveResource, changes: Sequence[FieldChange]) -> Operation:
        name = live.body["name"]
        steps: list[Callable[[], Operation]] = []
        changed = _top_level(changes)
        if "rules" in changed:
            have = {r["priority"]: r for r in self.normalise(dict(live.body))["rules"]}
            want = {r["priority"]: r for r in desired.body["rules"]}
            for priority, rule in sorted(want.items()):
                if priority not in have:
                    steps.append(partial(self.setter, "addRule", name, rule, "add a rule"))
                elif have[priority] != rule:
                    steps.append(partial(self._patch_rule, name, priority, rule))
            for priority in sorted(have.keys() - want.keys()):
                steps.append(partial(self._remove_rule, name, priority))
        if "labels" in changed:
            steps.append(lambda: self.set_labels(live, desired.body["labels"]))
        return OperationChain(f"update security policy {name}", steps)

    def _patch_rule(self, name: str, priority: int, rule: dict[str, Any]) -> Operation:
        request = self.resources().patchRule(
            project=self.ctx.project, securityPolicy=name, priority=priority, body=rule
        )
        return self.operation(request, f"patch rule {priority} of security policy {name}")

    def _remove_rule(self, name: str, priority: int) -> Operation:
        request = self.resources().removeRule(
            project=self.ctx.project, securityPolicy=name, priority=priority
        )
        return self.operation(request, f"remove rule {priority} of security policy {name}")


class BackendService(GlobalComputeKind):
    """A backend service: patched with its fingerprint; its policy attached with setSecurityPolicy."""

    collection, param, noun = "backendServices", "backendService", "backend service"
    meta = compute_meta(
        kind="compute.backend_service",
        permissions=compute_permissions(collection, uses=("securityPolicies", "regionNetworkEndpointGroups")),
        # Compute moves a backend service between schemes only through a staged migration.
        immutable=("loadBalancingScheme",),
        unordered=("backends",),
        api_defaults={"timeoutSec": 30, "enableCDN": False},
    )

    def monthly_cost(self, name: str, body: dict[str, Any], prices: PriceTable) -> list[CostLine] | None:
        """The service is free; the load balancer bills the data it carries, and CDN what it serves."""
        lines = [prices.usage("lb.data_processed", "global", "data processed by the load balancer")]
        if body.get("enableCDN"):
            lines.append(prices.usage("cdn.cache_egress", "global", "Cloud CDN cache egress"))
        return lines

    def normalise(self, body: dict[str, Any]) -> dict[str, Any]:
        body = super().normalise(body)
        body["backends"] = [
            {k: b[k] for k in ("group", "balancingMode", "capacityScaler") if k in b}
            for b in body.get("backends", [])
        ]
        return body

    def references(self, live: LiveResource) -> tuple[Address, ...]:
        groups = [b.get("group") for b in live.body.get("backends", [])]
        return _addresses(*groups, live.body.get("securityPolicy"))

    def create(self, desired: Resource) -> Operation:
        policy = desired.body.get("securityPolicy")
        body = {k: v for k, v in desired.body.items() if k != "securityPolicy"}
        steps = [lambda: super(BackendService, self).create(Resource(self.meta.kind, desired.name, body))]
        if policy:
            steps.append(lambda: self._attach(desired.name, policy))
        return OperationChain(f"create backend service {desired.name}", steps)

    def update(self, desired: Resource, live: LiveResource, changes: Sequence[FieldChange]) -> Operation:
        name = live.body["name"]
        changed = _top_level(changes)
        steps = []
        patch = {k: desired.body[k] for k in sorted(changed - {"securityPolicy"}) if k in desired.body}
        if patch:
            steps.append(
                lambda: self.fingerprinted(
                    name,
                    lambda cur: self.resources().patch(
                        project=self.ctx.project,
                        backendService=name,
                        body={**patch, "fingerprint": cur["fingerprint"]},
                    ),
                    "patch",
                )
            )
        if "securityPolicy" in changed:
            steps.append(lambda: self._attach(name, desired.body.get("securityPolicy")))
        return OperationChain(f"update backend service {name}", steps)

    def _attach(self, name: str, policy: str | None) -> Operation:
        return self.setter("setSecurityPolicy", name, {"securityPolicy": policy}, "attach Cloud Armor")


class UrlMap(GlobalComputeKind):
    """A URL map: rewritten whole (PUT) with its current fingerprint."""

    collection, param, noun = "urlMaps", "urlMap", "URL map"
    meta = compute_meta(
        kind="compute.url_map",
        permissions=compute_permissions(collection, uses=("backendServices",)),
    )
    no_charge = "URL maps are free; the load balancer is billed by its forwarding rules"

    def references(self, live: LiveResource) -> tuple[Address, ...]:
        body = live.body
        services = [body.get("defaultService")]
        for matcher in body.get("pathMatchers", []):
            services.append(matcher.get("defaultService"))
            services.extend(rule.get("service") for rule in matcher.get("pathRules", []))
        return _addresses(*services)

    def update(self, desired: Resource, live: LiveResource, changes: Sequence[FieldChange]) -> Operation:
        name = live.body["name"]

        def write(current: dict[str, Any]) -> Any:
            body = {
                "name": name,
                "description": current.get("description", ""),
                **desired.body,
                "fingerprint": current["fingerprint"],
            }
            return self.resources().update(project=self.ctx.project, urlMap=name, body=body)

        return self.fingerprinted(name, write, "rewrite")


class HttpsProxy(GlobalComputeKind):
    """The HTTPS proxy: URL map and certificates each change through their own setter."""

    collection, param, noun = "targetHttpsProxies", "targetHttpsProxy", "target HTTPS proxy"
    meta = compute_meta(
        kind="compute.target_https_proxy",
        permissions=compute_permissions(
            collection,
            # each field changes through its own setter (see `update`)
            update=("setUrlMap", "setSslCertificates", "setQuicOverride"),
            uses=("urlMaps",),
            also=on_writes("compute.sslCertificates.get"),
        ),
        api_defaults={"quicOverride": "NONE"},
    )
    no_charge = "target proxies are free; the load balancer is billed by its forwarding rules"

    def references(self, live: LiveResource) -> tuple[Address, ...]:
        return _addresses(live.body.get("urlMap"), *live.body.get("sslCertificates", []))

    def update(self, desired: Resource, live: LiveResource, changes: Sequence[FieldChange]) -> Operation:
        name = live.body["name"]
        changed = _top_level(changes)
        steps = []
        if "sslCertificates" in changed:
            body = {"sslCertificates": desired.body["sslCertificates"]}
            steps.append(lambda: self.setter("setSslCertificates", name, body, "set certificates"))
        if "urlMap" in changed:
            steps.append(
                lambda: self.setter("setUrlMap", name, {"urlMap": desired.body["urlMap"]}, "set URL map")
            )
        if "quicOverride" in changed:
            body = {"quicOverride": desired.body["quicOverride"]}
            steps.append(lambda: self.setter("setQuicOverride", name, body, "set QUIC override"))
        return OperationChain(f"update target HTTPS proxy {name}", steps)


class HttpProxy(GlobalComputeKind):
    """The HTTP proxy of the redirect: only its URL map can change (setUrlMap)."""

    collection, param, noun = "targetHttpProxies", "targetHttpProxy", "target HTTP proxy"
    meta = compute_meta(
        kind="compute.target_http_proxy",
        permissions=compute_permissions(collection, update=("setUrlMap",), uses=("urlMaps",)),
    )
    no_charge = "target proxies are free; the load balancer is billed by its forwarding rules"

    def references(self, live: LiveResource) -> tuple[Address, ...]:
        return _addresses(live.body.get("urlMap"))

    def update(self, desired: Resource, live: LiveResource, changes: Sequence[FieldChange]) -> Operation:
        return self.setter("setUrlMap", live.body["name"], {"urlMap": desired.body["urlMap"]}, "set URL map")


class ForwardingRule(GlobalComputeKind):
    """A global forwarding rule: its target changes with setTarget, its labels with setLabels.

    The API answers with the literal IP, not the address it came from; observing therefore
    reads the global addresses too, so the rule compares (and is ordered) by address.
    """

    collection, param, noun = "globalForwardingRules", "forwardingRule", "forwarding rule"
    meta = compute_meta(
        kind="compute.global_forwarding_rule",
        permissions=compute_permissions(
            collection,
            update=("setLabels", "setTarget"),
            uses=("targetHttpsProxies", "targetHttpProxies", "globalAddresses"),
        ),
        labels_path="labels",
        immutable=("IPAddress", "IPProtocol", "portRange", "loadBalancingScheme", "networkTier"),
    )

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        self._address_by_ip: dict[str, str] = {}

    def monthly_costs(
        self, bodies: dict[str, dict[str, Any]], prices: PriceTable
    ) -> dict[str, list[CostLine] | None]:
        """The first five global rules of a project share one hourly charge; each further rule
        has its own. Rules are counted in name order; other rules in the project are not seen."""
        names = sorted(bodies)
        sharing = min(len(names), 5)
        out: dict[str, list[CostLine] | None] = {}
        for index, name in enumerate(names):
            if index < sharing:
                item = f"share of the first-five-rules charge (1 of {sharing})"
                line = prices.charge("lb.forwarding_rules.first_five", "global", 1 / sharing, item)
            else:
                line = prices.charge(
                    "lb.forwarding_rules.additional", "global", 1, "rule beyond the first five"
                )
            out[name] = [line]
        return out

    def observe(self, desired: Sequence[Resource]) -> list[LiveResource]:
        addresses: list[dict[str, Any]]
        rules: list[LiveResource]
        addresses, rules = self.side_by_side(
            lambda: global_addresses(self), lambda: super(ForwardingRule, self).observe(desired)
        )
        self._address_by_ip = {a["address"]: relative(a["selfLink"]) for a in addresses if a.get("address")}
        return rules

    def normalise(self, body: dict[str, Any]) -> dict[str, Any]:
        body = super().normalise(body)
        ip = body.get("IPAddress")
        body["IPAddress"] = self._address_by_ip.get(ip, ip) if isinstance(ip, str) else ip
        low, _, high = str(body.get("portRange", "")).partition("-")
        if low == high:
            body["portRange"] = low
        return body

    def references(self, live: LiveResource) -> tuple[Address, ...]:
        ip = live.body.get("IPAddress")
        return _addresses(
            live.body.get("target"), self._address_by_ip.get(ip) if isinstance(ip, str) else None
        )

    def live(self, item: dict[str, Any]) -> LiveResource:
        """Ours by its labels, or, with no labels at all, by the description our insert gave it:
        an apply stopped between the insert and its setLabels (see `create`) leaves a rule
        that only the description tells is ours, and the next run finishes it."""
        found = super().live(item)
        if not found.managed and not item.get("labels") and item.get("description") == description(self.ctx):
            return dataclasses.replace(found, managed=True)
        return found

    def create(self, desired: Resource) -> Operation:
        """The insert, then the labels: Google does not apply the labels an insert of a global
        forwarding rule carries (kcc-golden compute/v1beta1/computeforwardingrule/
        globalcomputeforwardingrulehttps-direct/_http.log #33 sends them, #35 reads none back,
        #36 sets them), so without setLabels the rule would not carry our ownership labels."""
        name = self.api_name(desired)
        labels = desired.body.get("labels") or {}
        steps = [lambda: super(ForwardingRule, self).create(desired)]
        if labels:
            steps.append(lambda: self.set_labels_of(name, labels))
        return OperationChain(f"create forwarding rule {name}", steps)

    def update(self, desired: Resource, live: LiveResource, changes: Sequence[FieldChange]) -> Operation:
        name = live.body["name"]
        changed = _top_level(changes)
        steps = []
        if "target" in changed:
            steps.append(
                lambda: self.setter("setTarget", name, {"target": desired.body["target"]}, "retarget")
            )
        if "labels" in changed:
            steps.append(lambda: self.set_labels(live, desired.body["labels"]))
        return OperationChain(f"update forwarding rule {name}", steps)


KIND_BY_COLLECTION = {
    "addresses": GlobalAddress.meta.kind,
    "securityPolicies": SecurityPolicy.meta.kind,
    "backendServices": BackendService.meta.kind,
    "urlMaps": UrlMap.meta.kind,
    "targetHttpsProxies": HttpsProxy.meta.kind,
    "targetHttpProxies": HttpProxy.meta.kind,
}
