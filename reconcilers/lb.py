"""The global external HTTPS load balancer in front of the Cloud Run services.

Front to back: forwarding rules on 443 (HTTPS) and 80 (the redirect) share one reserved
global address; the HTTPS rule targets a proxy that holds the Google-managed certificate
and the URL map, which routes websocket, API and static paths to one backend service each;
the backend services reach the Cloud Run services through serverless network endpoint
groups, with Cloud Armor (a per-client rate limit) attached to all of them and Cloud CDN
on the static route. The port-80 rule targets a proxy whose URL map only redirects to
HTTPS.

The chain is created back to front (the dependencies below) and deleted front to back
(what each live resource references), because Compute refuses to delete anything another
resource still uses. Only forwarding rules, security policies and the address carry
labels; everything else is ours by its `digitwin-<env>-` name.
"""

from __future__ import annotations

from typing import Any

from provisioner.engine.context import Context
from provisioner.engine.kind import Reconciler
from provisioner.engine.resource import Address, Resource, address_of
from reconcilers._lb_kinds import (
    BackendService,
    ForwardingRule,
    HttpProxy,
    HttpsProxy,
    ManagedCertificate,
    SecurityPolicy,
    ServerlessNeg,
    UrlMap,
)
from reconcilers.network import GlobalAddress

ROUTES = ("websocket", "api", "static")
DEFAULT_RULE_PRIORITY = 2147483647
ALL_SOURCES = {"versionedExpr": "SRC_IPS_V1", "config": {"srcIpRanges": ["*"]}}
#: The path matcher every host uses; the load balancer answers for any host name.
PATH_MATCHER = "routes"


def _global(ctx: Context, collection: str, name: str) -> str:
    return f"projects/{ctx.project}/global/{collection}/{name}"


def _regional(ctx: Context, collection: str, region_and_name: str) -> str:
    region, name = region_and_name.split("/")
    return f"projects/{ctx.project}/regions/{region}/{collection}/{name}"


def run_service_address(ctx: Context, key: str) -> Address:
    """The Cloud Run service as `reconcilers/run.py` addresses it."""
    return address_of("run.service", f"{ctx.spec.region}/{ctx.spec.run_service_name(key)}")


def static_ip(ctx: Context) -> Resource:
    """The reserved global address both forwarding rules listen on (and DNS points at)."""
    lb = ctx.spec.lb
    return Resource(
        kind=GlobalAddress.meta.kind,
        name=ctx.spec.static_ip_name,
        body={"addressType": "EXTERNAL", "labels": ctx.labels({**lb.labels, "purpose": "load-balancer"})},
        deletion_policy=lb.deletion_policy,
    )


def certificate(ctx: Context) -> Resource:
    """The Google-managed certificate for the environment's domains."""
    return Resource(
        kind=ManagedCertificate.meta.kind,
        name=ctx.spec.certificate_name,
        body={
            "name": ctx.spec.managed_certificate_name,
            "type": "MANAGED",
            "managed": {"domains": list(ctx.spec.lb.domains)},
        },
        deletion_policy=ctx.spec.lb.deletion_policy,
    )


def serverless_neg(ctx: Context, service_key: str) -> Resource:
    """The serverless network endpoint group that reaches one Cloud Run service."""
    return Resource(
        kind=ServerlessNeg.meta.kind,
        name=f"{ctx.spec.region}/{ctx.spec.neg_name(service_key)}",
        body={
            "networkEndpointType": "SERVERLESS",
            "cloudRun": {"service": ctx.spec.run_service_name(service_key)},
        },
        deps=(run_service_address(ctx, service_key),),
        deletion_policy=ctx.spec.lb.deletion_policy,
    )


def _rate_limit_rule(rate: Any) -> dict[str, Any]:
    options: dict[str, Any] = {
        "rateLimitThreshold": {"count": rate.requests, "intervalSec": rate.interval_seconds},
        "conformAction": "allow",
        "exceedAction": rate.exceed_action,
        "enforceOnKey": "IP",
    }
    if rate.action == "rate_based_ban":
        options["banDurationSec"] = rate.ban_duration_seconds
    return {
        "description": f"at most {rate.requests} requests per client IP every {rate.interval_seconds}s",
        "priority": rate.priority,
        "action": rate.action,
        "preview": False,
        "match": ALL_SOURCES,
        "rateLimitOptions": options,
    }


def security_policy(ctx: Context) -> Resource:
    """Cloud Armor: the per-client rate limit, then the catch-all default rule."""
    armor = ctx.spec.lb.armor
    default_rule = {
        "description": "default rule",
        "priority": DEFAULT_RULE_PRIORITY,
        "action": armor.default_action,
        "preview": False,
        "match": ALL_SOURCES,
    }
    return Resource(
        kind=SecurityPolicy.meta.kind,
        name=ctx.spec.armor_policy_name,
        body={
            "type": "CLOUD_ARMOR",
            "rules": [_rate_limit_rule(armor.rate_limit), default_rule],
            "labels": ctx.labels(ctx.spec.lb.labels),
        },
        deletion_policy=ctx.spec.lb.deletion_policy,
    )


def _cdn_policy(cdn: Any) -> dict[str, Any]:
    policy: dict[str, Any] = {"cacheMode": cdn.cache_mode}
    if cdn.cache_mode != "USE_ORIGIN_HEADERS":  # the API refuses TTLs that the origin decides
        policy.update({"defaultTtl": cdn.default_ttl_seconds, "clientTtl": cdn.client_ttl_seconds})
    if cdn.cache_mode == "CACHE_ALL_STATIC":
        policy["maxTtl"] = cdn.max_ttl_seconds
    return policy


def backend_service(ctx: Context, route_name: str) -> Resource:
    """One backend per route, so each gets its own CDN setting.

    No `timeoutSec`: Compute refuses any but its default on a backend service with serverless
    NEG backends (400 "Timeout sec is not supported for a backend service with Serverless
    network endpoint groups"); a request, and an open websocket, lasts at most the Cloud Run
    service's own request timeout. No health checks, port name or balancing limits either: serverless NEGs
    take none (https://cloud.google.com/load-balancing/docs/negs/serverless-neg-concepts).
    """
    spec, route = ctx.spec, getattr(ctx.spec.lb.routes, route_name)
    neg = serverless_neg(ctx, route.service)
    policy = security_policy(ctx)
    body: dict[str, Any] = {
        "loadBalancingScheme": spec.lb.load_balancing_scheme,
        "protocol": "HTTPS",
        "backends": [
            {
                "group": _regional(ctx, "networkEndpointGroups", neg.name),
                "balancingMode": "UTILIZATION",
                "capacityScaler": 1.0,
            }
        ],
        "enableCDN": route.cdn is not None,
        "securityPolicy": _global(ctx, "securityPolicies", policy.name),
    }
    if route.cdn is not None:
        body["cdnPolicy"] = _cdn_policy(route.cdn)
    return Resource(
        kind=BackendService.meta.kind,
        name=spec.backend_service_name(route_name),
        body=body,
        deps=(neg.address, policy.address),
        deletion_policy=spec.lb.deletion_policy,
    )


def url_map(ctx: Context) -> Resource:
    """Websocket, API and static paths to their backends; anything else to the default route."""
    routes = ctx.spec.lb.routes

    def service(route_name: str) -> str:
        return _global(ctx, "backendServices", ctx.spec.backend_service_name(route_name))

    path_rules = [{"paths": list(getattr(routes, r).paths), "service": service(r)} for r in ROUTES]
    return Resource(
        kind=UrlMap.meta.kind,
        name=ctx.spec.url_map_name,
        body={
            "defaultService": service(routes.default),
            "hostRules": [{"hosts": ["*"], "pathMatcher": PATH_MATCHER}],
            "pathMatchers": [
                {"name": PATH_MATCHER, "defaultService": service(routes.default), "pathRules": path_rules}
            ],
        },
        deps=tuple(backend_service(ctx, r).address for r in ROUTES),
        deletion_policy=ctx.spec.lb.deletion_policy,
    )


def https_proxy(ctx: Context) -> Resource:
    return Resource(
        kind=HttpsProxy.meta.kind,
        name=ctx.spec.https_proxy_name,
        body={
            "urlMap": _global(ctx, "urlMaps", ctx.spec.url_map_name),
            "sslCertificates": [_global(ctx, "sslCertificates", ctx.spec.managed_certificate_name)],
        },
        deps=(url_map(ctx).address, certificate(ctx).address),
        deletion_policy=ctx.spec.lb.deletion_policy,
    )


def forwarding_rule(ctx: Context, name: str, port: str, proxy: Resource, collection: str) -> Resource:
    """A rule on the static IP, in front of a proxy."""
    ip = static_ip(ctx)
    return Resource(
        kind=ForwardingRule.meta.kind,
        name=name,
        body={
            "IPAddress": _global(ctx, "addresses", ip.name),
            "IPProtocol": "TCP",
            "portRange": port,
            "target": _global(ctx, collection, proxy.name),
            "loadBalancingScheme": ctx.spec.lb.load_balancing_scheme,
            "networkTier": "PREMIUM",
            "labels": ctx.labels(ctx.spec.lb.labels),
        },
        deps=(ip.address, proxy.address),
        deletion_policy=ctx.spec.lb.deletion_policy,
    )


def https_redirect(ctx: Context) -> list[Resource]:
    """Port 80 on the same address answers every request with a redirect to HTTPS."""
    spec = ctx.spec
    redirect_map = Resource(
        kind=UrlMap.meta.kind,
        name=spec.redirect_url_map_name,
        body={
            "defaultUrlRedirect": {
                "httpsRedirect": True,
                "redirectResponseCode": "MOVED_PERMANENTLY_DEFAULT",
                "stripQuery": False,
            }
        },
        deletion_policy=spec.lb.deletion_policy,
    )
    proxy = Resource(
        kind=HttpProxy.meta.kind,
        name=spec.http_proxy_name,
        body={"urlMap": _global(ctx, "urlMaps", redirect_map.name)},
        deps=(redirect_map.address,),
        deletion_policy=spec.lb.deletion_policy,
    )
    rule = forwarding_rule(ctx, spec.http_forwarding_rule_name, "80", proxy, "targetHttpProxies")
    return [redirect_map, proxy, rule]


class LoadBalancerReconciler(Reconciler):
    family = "lb"
    kinds = (
        GlobalAddress,
        ManagedCertificate,
        ServerlessNeg,
        SecurityPolicy,
        BackendService,
        UrlMap,
        HttpsProxy,
        HttpProxy,
        ForwardingRule,
    )

    def desired(self, ctx: Context) -> list[Resource]:
        spec = ctx.spec
        services = sorted({getattr(spec.lb.routes, r).service for r in ROUTES})
        proxy = https_proxy(ctx)
        resources = [
            static_ip(ctx),
            certificate(ctx),
            *(serverless_neg(ctx, key) for key in services),
            security_policy(ctx),
            *(backend_service(ctx, r) for r in ROUTES),
            url_map(ctx),
            proxy,
            forwarding_rule(ctx, spec.https_forwarding_rule_name, "443", proxy, "targetHttpsProxies"),
        ]
        if spec.lb.http_to_https_redirect:
            resources += https_redirect(ctx)
        return resources
