"""Compute Engine global backend services, with serverless NEG or instance group backends.

The API fills in its defaults (a 30 s timeout, no session affinity, an empty description,
UTILIZATION balancing) and answers no protocol, CDN flag or CDN policy that was not asked for;
it checks every backend group and health check exists, refuses CDN on internal schemes, and
validates the CDN policy's TTLs against its cache mode. A backend service whose backends are
serverless NEGs (Cloud Run) refuses what serverless backends cannot have: health checks, a
timeout other than the default (the request lasts as long as Cloud Run lets it) and a maximum
utilization.
`update` (PUT) and `patch` need the current fingerprint; the scheme is fixed after creation.
`securityPolicy` is output only in the body: it is attached with setSecurityPolicy. A backend
service that a URL map uses cannot be deleted. Regional backend services
(compute_region_backend_services.py) are built by the same `build`.
"""

from __future__ import annotations

import hashlib
from typing import Any

from emulator.refusal import refusal
from emulator.registry import Api, Call, Reply
from emulator.services import _compute as c
from emulator.services import _compute_collection as cc
from emulator.services import _lb as lb

API = Api("compute", "v1")

SCHEMES = ("EXTERNAL", "EXTERNAL_MANAGED", "INTERNAL_SELF_MANAGED", "INTERNAL_MANAGED")
#: The protocols whose services the API gives the legacy `port` 80 and the `portName` "http"
#: when none is named: every recorded HTTP or HTTPS service reads back with both
#: (conformance/kcc-golden/compute/v1beta1/computetargethttpsproxy/regionaltargethttpsproxy/_http.log
#: #5 -> #7, computeurlmap/regionalcomputeurlmap-direct/_http.log #5 -> #7), every TCP, SSL, GRPC
#: or protocol-less one without (computeforwardingrule/regionalcomputeforwardingruletcp/_http.log
#: #15, globalcomputeforwardingrulessl-direct/_http.log #13, globaltargethttpproxy/_http.log #7).
NAMED_PORT_PROTOCOLS = ("HTTP", "HTTPS")
#: The collections a backend service's health check may be in: health checks and the legacy
#: HTTP and HTTPS ones (`healthChecks`, https://cloud.google.com/compute/docs/reference/rest/v1/backendServices).
HEALTH_CHECK_COLLECTIONS = ("healthChecks", "httpHealthChecks", "httpsHealthChecks")
HEALTH_CHECK_TEST = (
    "tests/emulator/test_compute_health_checks.py::"
    "test_a_backend_service_naming_a_missing_health_check_is_refused"
)
CDN_SCHEMES = ("EXTERNAL", "EXTERNAL_MANAGED")
MAX_TTL = 31622400
DEFAULT_TIMEOUT_S = 30
KEPT = ("kind", "id", "creationTimestamp", "name", "selfLink", "securityPolicy", "edgeSecurityPolicy")
CDN_ON_DEFAULTS: dict[str, Any] = {
    "cacheMode": "CACHE_ALL_STATIC",
    "negativeCaching": False,
    "serveWhileStale": 0,
    "requestCoalescing": True,
    "signedUrlCacheMaxAgeSec": "3600",
    "cacheKeyPolicy": {"includeHost": True, "includeProtocol": True, "includeQueryString": True},
}
TTL_DEFAULTS = {"defaultTtl": 3600, "maxTtl": 86400, "clientTtl": 3600}
#: The test that shows the serverless backend refusals.
SERVERLESS_TEST = (
    "tests/emulator/test_compute_lb.py::"
    "test_serverless_backends_refuse_a_timeout_health_checks_and_max_utilization"
)
KIND = c.Global("backendServices", lb.BACKEND_SERVICE, "compute#backendService", "backendService")


def _cdn_policy(enabled: bool, given: dict[str, Any] | None) -> dict[str, Any]:
    """The CDN policy as the API returns it: defaults filled in, TTLs checked against the mode."""
    given = dict(given or {})
    if not enabled:
        return {"signedUrlCacheMaxAgeSec": "3600", **given}
    mode = given.get("cacheMode", "CACHE_ALL_STATIC")
    ttls = {k: given[k] for k in TTL_DEFAULTS if k in given}
    if mode == "USE_ORIGIN_HEADERS" and ttls:
        key = sorted(ttls)[0]
        raise c.field_error(
            f"resource.cdnPolicy.{key}", ttls[key], "TTLs cannot be set with cache mode USE_ORIGIN_HEADERS."
        )
    if mode == "FORCE_CACHE_ALL" and "maxTtl" in ttls:
        raise c.field_error(
            "resource.cdnPolicy.maxTtl",
            ttls["maxTtl"],
            "maxTtl cannot be set with cache mode FORCE_CACHE_ALL.",
        )
    for key, value in ttls.items():
        if not 0 <= value <= MAX_TTL:
            raise c.field_error(f"resource.cdnPolicy.{key}", value, f"Must be between 0 and {MAX_TTL}.")
    if mode != "USE_ORIGIN_HEADERS":
        defaults = {
            k: v for k, v in TTL_DEFAULTS.items() if not (mode == "FORCE_CACHE_ALL" and k == "maxTtl")
        }
        ttls = {**defaults, **ttls}
    limit = ttls.get("maxTtl")
    for key in ("defaultTtl", "clientTtl"):
        if limit is not None and ttls.get(key, 0) > limit:
            raise c.field_error(f"resource.cdnPolicy.{key}", ttls[key], "Must not be greater than maxTtl.")
    return {**CDN_ON_DEFAULTS, **given, **ttls, "cacheMode": mode}


def _backends(call: Call, body: dict[str, Any]) -> tuple[list[dict[str, Any]], list[str]]:
    """The backends as stored and the groups they reference; serverless NEGs' limits checked."""
    out, paths, serverless = [], [], False
    for i, backend in enumerate(body.get("backends", [])):
        field = f"resource.backends[{i}].group"
        if "/instanceGroups/" in str(backend.get("group", "")):
            # An unmanaged or managed group's instance group, zonal ("group: The fully-qualified
            # URL of an instance group or network endpoint group (NEG) resource",
            # https://cloud.google.com/compute/docs/reference/rest/v1/backendServices).
            path = c.zonal_ref(call, backend.get("group"), field, "instanceGroups")
            group = c.require_existing(call, lb.store_kind(path), path)
        else:
            path, group = lb.reference(call, backend.get("group"), field, "networkEndpointGroups")
        if path in paths:
            raise c.field_error(
                field, backend.get("group"), "A group may appear only once among the backends."
            )
        if group.get("networkEndpointType") == "SERVERLESS":
            serverless = True
            if "maxUtilization" in backend:
                # Real answer quoted in terraform-google-modules/terraform-google-lb-http#110.
                raise c.field_error(
                    f"resource.backends[{i}].maxUtilization",
                    backend["maxUtilization"],
                    "Max utilization is not supported for Serverless network endpoint groups.",
                )
        scaler = backend.get("capacityScaler", 1.0)
        if not (scaler == 0 or 0.1 <= scaler <= 1):
            raise c.field_error(
                f"resource.backends[{i}].capacityScaler", scaler, "Must be 0 or between 0.1 and 1.0."
            )
        paths.append(path)
        # Google's JSON writes a whole double without a fraction: `"capacityScaler": 1`
        # (kcc-golden compute/v1beta1/computebackendservice/globalcomputebackendservice/_http.log #24).
        whole = int(scaler) if float(scaler).is_integer() else scaler
        out.append(
            {"balancingMode": "UTILIZATION", **backend, "capacityScaler": whole, "group": c.link(path)}
        )
    if serverless and body.get("healthChecks"):
        # Serverless NEGs take no health checks: hashicorp/terraform-provider-google#7433 made
        # them optional because the API refuses them, with the answer quoted in #7311 and
        # GoogleCloudPlatform/magic-modules#4053 ("Invalid value for field
        # 'resource.healthChecks': ''. A backend service cannot have a healthcheck with
        # Serverless network endpoint group backends.");
        # https://cloud.google.com/load-balancing/docs/negs/serverless-neg-concepts
        raise c.field_error(
            "resource.healthChecks",
            "",
            "A backend service cannot have a healthcheck with Serverless network endpoint group backends.",
        )
    if serverless and body.get("timeoutSec", DEFAULT_TIMEOUT_S) != DEFAULT_TIMEOUT_S:
        # Only the default stands ("timeout has to be 30 seconds", backend service limitations of
        # https://cloud.google.com/load-balancing/docs/negs/serverless-neg-concepts, as reported in
        # ahmetb/cloud-run-faq#108), so a service read and written back whole still goes through;
        # the real 400 for another value is quoted in terraform-google-modules/terraform-google-lb-http#358.
        raise c.field_error(
            "resource.timeoutSec",
            body["timeoutSec"],
            "Timeout sec is not supported for a backend service with Serverless network endpoint groups.",
        )
    return out, paths


def _health_checks(call: Call, body: dict[str, Any]) -> tuple[list[str], list[str]]:
    """The health checks as stored (full links) and those that must still exist when the
    operation is done.

    A health check that does not exist is refused with the 404 Compute answers for any
    reference to a missing resource, "The resource 'projects/p/global/healthChecks/x' was not
    found" (reason notFound; the wording of the 404 on a health check in kubernetes/kops#17692
    and /work/shared/reference/gcp-api-behaviour.md, "Compute get, missing"). "Currently, at
    most one health check can be specified for each backend service" (`healthChecks`,
    https://cloud.google.com/compute/docs/reference/rest/v1/backendServices).
    """
    given = body.get("healthChecks") or []
    if len(given) > 1:
        raise c.field_error("resource.healthChecks", len(given), "At most one health check can be specified.")
    links, refs = [], []
    for i, value in enumerate(given):
        found = [k for k in HEALTH_CHECK_COLLECTIONS if isinstance(value, str) and f"/{k}/" in value]
        collection = found[0] if found else "healthChecks"
        path, _ = lb.reference(call, value, f"resource.healthChecks[{i}]", collection)
        links.append(c.link(path))
        refs.append(path)
    return links, refs


def build(
    call: Call,
    body: dict[str, Any],
    base: dict[str, Any],
    schemes: tuple[str, ...] = SCHEMES,
    *,
    updating: bool = False,
) -> tuple[dict[str, Any], list[str]]:
    """The whole stored resource for an insert or (`updating`) an update body, and what it
    references."""
    scheme = body.get("loadBalancingScheme", "EXTERNAL")
    if scheme not in schemes:
        raise c.field_error(
            "resource.loadBalancingScheme", scheme, "Backend services here take " + ", ".join(schemes) + "."
        )
    enabled = bool(body.get("enableCDN", False))
    if enabled and scheme not in CDN_SCHEMES:
        raise c.field_error("resource.enableCDN", True, f"Cloud CDN is not available with scheme {scheme}.")
    backends, refs = _backends(call, body)
    checks, check_refs = _health_checks(call, body)
    timeout = body.get("timeoutSec", DEFAULT_TIMEOUT_S)
    if not 1 <= timeout <= 2147483647:
        raise c.field_error("resource.timeoutSec", timeout, "Must be at least 1.")
    named = {"port": 80, "portName": "http"} if body.get("protocol") in NAMED_PORT_PROTOCOLS else {}
    # An empty list is a repeated field left at its default, which the JSON form omits
    # (https://protobuf.dev/programming-guides/proto3/#json); the `customRequestHeaders: []` and
    # `customResponseHeaders: []` of the PUT kcc-golden compute/v1beta1/computebackendservice/
    # globalcomputebackendservice/_http.log #26 read back absent in #27.
    body = {k: v for k, v in body.items() if v != []}
    service = {
        # Defaults every recorded answer shows (e.g. computeurlmap/globalcomputeurlmap/_http.log
        # #10): an empty description, no session affinity, no cookie TTL.
        "description": "",
        "sessionAffinity": "NONE",
        "affinityCookieTtlSec": 0,
        "connectionDraining": {"drainingTimeoutSec": 0},
        **named,
        **body,
        **base,
        "loadBalancingScheme": scheme,
        "timeoutSec": timeout,
        "fingerprint": c.fingerprint(),
    }
    # enableCDN and cdnPolicy are answered only when asked for: no recorded answer of a
    # service created without them has either (the same logs).
    if enabled or "cdnPolicy" in body:
        service["cdnPolicy"] = _cdn_policy(enabled, body.get("cdnPolicy"))
    if backends:
        service["backends"] = backends
    else:
        service.pop("backends", None)
    if checks:
        service["healthChecks"] = checks
    else:
        service.pop("healthChecks", None)
    if isinstance(service.get("iap"), dict):
        service["iap"] = _iap_kept(service["iap"], updating=updating)
    return service, refs + check_refs


def _build(call: Call, body: dict[str, Any], base: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    return build(call, body, base)


def _iap_kept(iap: dict[str, Any], *, updating: bool = False) -> dict[str, Any]:
    """The IAP block as Google keeps it: the client secret is never given back, only its SHA-256
    ("For security reasons, this value cannot be retrieved via the API. Instead, the SHA-256 hash
    of the value is returned in the oauth2ClientSecretSha256 field", BackendServiceIAP in
    https://cloud.google.com/compute/docs/reference/rest/v1/backendServices; every backend service
    of conformance/kcc-golden/compute/ sent with `"oauth2ClientSecret": ""` reads back with the
    SHA-256 of the empty string, e.g. computeurlmap/globalcomputeurlmap/_http.log #10).

    An update keeps an empty secret as sent beside its hash: after a PUT carrying
    `"oauth2ClientSecret": ""`, both computebackendservice/globalcomputebackendservice/_http.log
    #27 and computebackendservice/regionalcomputebackendservicetd/_http.log #10 read back
    `"oauth2ClientSecret": ""` and the SHA-256 (an empty string gives nothing away; no log shows
    a secret with a value read back)."""
    if "oauth2ClientSecret" not in iap:
        return iap
    secret = iap["oauth2ClientSecret"]
    kept = {k: v for k, v in iap.items() if k != "oauth2ClientSecret" or (updating and secret == "")}
    kept["oauth2ClientSecretSha256"] = hashlib.sha256(str(iap["oauth2ClientSecret"]).encode()).hexdigest()
    return kept


def render(call: Call, service: dict[str, Any]) -> dict[str, Any]:
    """A backend service with `usedBy`: the URL maps that send traffic to it."""
    out = c.public(service)
    using = lb.users(call.ctx.store, c.relative(service["selfLink"]))
    if using:
        out["usedBy"] = [{"reference": c.link(p)} for p in using]
    return out


def rebuilt(
    call: Call,
    merged: dict[str, Any],
    current: dict[str, Any],
    schemes: tuple[str, ...] = SCHEMES,
    kept: tuple[str, ...] = KEPT,
) -> tuple[dict[str, Any], list[str]]:
    """The whole resource an update or patch leaves, global or regional: its name and load
    balancing scheme stay, the fields in `kept` are the server's, the rest is built anew."""
    if merged.get("name", current["name"]) != current["name"]:
        raise c.field_error("resource.name", merged["name"], "The name cannot be changed.")
    scheme = merged.get("loadBalancingScheme", "EXTERNAL")
    if scheme != current["loadBalancingScheme"]:
        raise c.field_error(
            "resource.loadBalancingScheme",
            scheme,
            "The load balancing scheme of a backend service cannot be changed.",
        )
    base = {k: current[k] for k in kept if k in current}
    body = {k: v for k, v in merged.items() if k not in kept and k not in ("fingerprint", "usedBy")}
    return build(call, body, base, schemes, updating=True)


def _rewrite(call: Call, merged: dict[str, Any], current: dict[str, Any], op_type: str) -> Reply:
    service, refs = rebuilt(call, merged, current)
    return lb.write(call, KIND, op_type, service, refs)


@API.handles("compute.backendServices.setSecurityPolicy")
@c.replaying
def set_security_policy(call: Call) -> Reply:
    path, current = c.global_target(call, KIND)
    given = (call.body or {}).get("securityPolicy")
    refs: list[str] = []
    value = None
    if given:
        policy_path, policy = lb.reference(call, given, "securityPolicy", "securityPolicies")
        if policy.get("type") != "CLOUD_ARMOR":
            raise c.field_error(
                "securityPolicy", given, "Only a CLOUD_ARMOR policy can be attached with setSecurityPolicy."
            )
        refs, value = [policy_path], c.link(policy_path)
    return lb.set_fields(call, KIND, "setSecurityPolicy", path, current, {"securityPolicy": value}, refs)


MISSING_HEALTH_CHECK = refusal(
    "compute.backendServices.insert|update|patch, compute.regionBackendServices.insert|update|patch",
    "a health check that does not exist (404 notFound), or more than one health check (400 invalid)",
    source="https://cloud.google.com/compute/docs/reference/rest/v1/backendServices (healthChecks); "
    "kubernetes/kops#17692 (the 404 on a missing health check)",
    test=HEALTH_CHECK_TEST,
)

COLLECTION = cc.declare(
    API,
    cc.built_whole(
        KIND,
        _build,
        _rewrite,
        render=render,
        refusals=(
            lb.IN_USE,
            lb.STALE_FINGERPRINT,
            refusal(
                "compute.backendServices.insert",
                "maxUtilization on a serverless network endpoint group backend",
                source="terraform-google-modules/terraform-google-lb-http#110",
                test=SERVERLESS_TEST,
            ),
            refusal(
                "compute.backendServices.insert",
                "health checks on a backend service with serverless network endpoint group backends",
                source="hashicorp/terraform-provider-google#7433; "
                "https://cloud.google.com/load-balancing/docs/negs/serverless-neg-concepts",
                test=SERVERLESS_TEST,
            ),
            MISSING_HEALTH_CHECK,
            refusal(
                "compute.backendServices.insert",
                "a timeoutSec other than 30 with serverless network endpoint group backends",
                source="https://cloud.google.com/load-balancing/docs/negs/serverless-neg-concepts; "
                "terraform-google-modules/terraform-google-lb-http#358",
                test=SERVERLESS_TEST,
            ),
        ),
    ),
)
