"""What the load-balancing modules share: who points at whom, and the rules that follow.

A global HTTPS load balancer is a chain of references (forwarding rule -> target proxy ->
URL map -> backend service -> network endpoint group, with certificates, a security policy
and an address on the side). The real API refuses to delete a link that another one still
uses, refuses a reference to something missing, and guards updates with fingerprints;
those rules live here once, for every module of the chain.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from emulator import standard
from emulator.effects import Effect, effect_hook
from emulator.errors import ApiError
from emulator.refusal import refusal
from emulator.registry import Call, Reply
from emulator.services import _compute as c
from emulator.state import Store

CERTIFICATE = "compute.sslCertificate"
NEG = "compute.regionNetworkEndpointGroup"
BACKEND_SERVICE = "compute.backendService"
SECURITY_POLICY = "compute.securityPolicy"
URL_MAP = "compute.urlMap"
HTTPS_PROXY = "compute.targetHttpsProxy"
HTTP_PROXY = "compute.targetHttpProxy"
FORWARDING_RULE = "compute.globalForwardingRule"
#: Global and regional health checks share one store kind (their paths tell them apart), so a
#: reference by path finds either; the same holds for global and regional backend services.
HEALTH_CHECK = "compute.healthCheck"
LEGACY_HTTP_CHECK = "compute.httpHealthCheck"
LEGACY_HTTPS_CHECK = "compute.httpsHealthCheck"
BACKEND_BUCKET = "compute.backendBucket"
GRPC_PROXY = "compute.targetGrpcProxy"
SSL_PROXY = "compute.targetSslProxy"
TCP_PROXY = "compute.targetTcpProxy"
# The regional collections (`projects/*/regions/*/...`), each in a store kind of its own, but
# for backend services and health checks, which share the global kind (see above).
REGION_ADDRESS = "compute.address"
REGION_FORWARDING_RULE = "compute.forwardingRule"
REGION_BACKEND_SERVICE = BACKEND_SERVICE
REGION_URL_MAP = "compute.regionUrlMap"
REGION_HTTPS_PROXY = "compute.regionTargetHttpsProxy"
REGION_HTTP_PROXY = "compute.regionTargetHttpProxy"
REGION_TCP_PROXY = "compute.regionTargetTcpProxy"
REGION_CERTIFICATE = "compute.regionSslCertificate"
REGION_SECURITY_POLICY = "compute.regionSecurityPolicy"
SERVICE_ATTACHMENT = "compute.serviceAttachment"
# Certificate Manager resources, stored under their relative names.
CM_CERTIFICATE = "certificatemanager.certificate"
CM_MAP = "certificatemanager.certificateMap"
CM_PREFIX = "//certificatemanager.googleapis.com/"

#: Which store kind a reference to a collection lands in.
COLLECTIONS = {
    "sslCertificates": CERTIFICATE,
    "networkEndpointGroups": NEG,
    "backendServices": BACKEND_SERVICE,
    "backendBuckets": BACKEND_BUCKET,
    "healthChecks": HEALTH_CHECK,
    "httpHealthChecks": LEGACY_HTTP_CHECK,
    "httpsHealthChecks": LEGACY_HTTPS_CHECK,
    "securityPolicies": SECURITY_POLICY,
    "urlMaps": URL_MAP,
    "targetHttpsProxies": HTTPS_PROXY,
    "targetHttpProxies": HTTP_PROXY,
    "forwardingRules": FORWARDING_RULE,
    "addresses": c.ADDRESS,
    "targetGrpcProxies": GRPC_PROXY,
    "targetSslProxies": SSL_PROXY,
    "targetTcpProxies": TCP_PROXY,
}
#: Which store kind a reference to a regional collection lands in.
REGIONAL_COLLECTIONS = {
    "networkEndpointGroups": NEG,
    "addresses": REGION_ADDRESS,
    "forwardingRules": REGION_FORWARDING_RULE,
    "backendServices": REGION_BACKEND_SERVICE,
    "healthChecks": HEALTH_CHECK,
    "urlMaps": REGION_URL_MAP,
    "targetHttpsProxies": REGION_HTTPS_PROXY,
    "targetHttpProxies": REGION_HTTP_PROXY,
    "targetTcpProxies": REGION_TCP_PROXY,
    "sslCertificates": REGION_CERTIFICATE,
    "securityPolicies": REGION_SECURITY_POLICY,
    "subnetworks": c.SUBNETWORK,
    "serviceAttachments": SERVICE_ATTACHMENT,
    # Served by no module here, so a reference to one never finds it.
    "targetVpnGateways": "compute.targetVpnGateway",
    "targetPools": "compute.targetPool",
}
#: Which store kind a reference to a zonal collection lands in (a backend service's unmanaged
#: instance group backends).
INSTANCE_GROUP = "compute.instanceGroup"
ZONAL_COLLECTIONS = {"instanceGroups": INSTANCE_GROUP}

#: How the in-use error names a resource of each collection (Compute's own words).
NOUNS = {
    "sslCertificates": "ssl_certificate",
    "networkEndpointGroups": "network_endpoint_group",
    "backendServices": "backend_service",
    "backendBuckets": "backend_bucket",
    "healthChecks": "health_check",
    "httpHealthChecks": "http_health_check",
    "httpsHealthChecks": "https_health_check",
    "securityPolicies": "security_policy",
    "urlMaps": "url_map",
    "targetHttpsProxies": "target_https_proxy",
    "targetHttpProxies": "target_http_proxy",
    "addresses": "address",
    "targetGrpcProxies": "target_grpc_proxy",
    "targetSslProxies": "target_ssl_proxy",
    "targetTcpProxies": "target_tcp_proxy",
    "instanceGroups": "instance_group",
    "targetVpnGateways": "target_vpn_gateway",
}

USING_KINDS = (
    BACKEND_SERVICE,
    REGION_BACKEND_SERVICE,
    URL_MAP,
    HTTPS_PROXY,
    HTTP_PROXY,
    FORWARDING_RULE,
    GRPC_PROXY,
    SSL_PROXY,
    TCP_PROXY,
    REGION_FORWARDING_RULE,
    REGION_URL_MAP,
    REGION_HTTPS_PROXY,
    REGION_HTTP_PROXY,
    REGION_TCP_PROXY,
)

IN_USE = refusal(
    "compute.<load balancing collection>.delete",
    "a resource another one of the load-balancing chain still points at (400, at the start and "
    "again when the operation completes)",
    source="kubernetes/kops#13855; googleapis/java-compute PR #161 "
    "(/work/shared/reference/gcp-api-behaviour.md C.2)",
    test="tests/emulator/test_compute_lb.py::test_every_link_of_the_chain_refuses_deletion_while_used",
)
STALE_FINGERPRINT = refusal(
    "compute.<collection>.patch|update|setLabels",
    "a fingerprint or labelFingerprint that is not the current one (412 conditionNotMet)",
    source="https://cloud.google.com/compute/docs/reference/rest/v1/backendServices (fingerprint); "
    "gravitational/teleport PR #43219",
    test="tests/emulator/test_compute_lb.py::test_backend_service_defaults_references_and_fingerprint",
)


def references(kind: str, resource: dict[str, Any]) -> list[str]:
    """The relative paths a stored resource points at."""
    found: list[str] = []
    if kind in (BACKEND_SERVICE, REGION_BACKEND_SERVICE):
        found.extend(b["group"] for b in resource.get("backends", []) if b.get("group"))
        found.extend(resource.get("healthChecks", []))
        if resource.get("securityPolicy"):
            found.append(resource["securityPolicy"])
    elif kind in (URL_MAP, REGION_URL_MAP):
        found.extend(url_map_services(resource))
    elif kind in (HTTPS_PROXY, REGION_HTTPS_PROXY):
        found.append(resource.get("urlMap", ""))
        found.extend(resource.get("sslCertificates", []))
    elif kind in (HTTP_PROXY, REGION_HTTP_PROXY, GRPC_PROXY):
        found.append(resource.get("urlMap", ""))
    elif kind in (SSL_PROXY, TCP_PROXY, REGION_TCP_PROXY):
        found.append(resource.get("service", ""))
        found.extend(resource.get("sslCertificates", []))
    elif kind in (FORWARDING_RULE, REGION_FORWARDING_RULE):
        found.append(resource.get("target", ""))
        found.append(resource.get("backendService", ""))
        found.append(resource.get("_address", ""))
    return [c.relative(p) for p in found if p]


def url_map_services(url_map: dict[str, Any]) -> list[str]:
    """Every backend a URL map can send a request to."""
    found = [url_map.get("defaultService", "")]
    weighted = (url_map.get("defaultRouteAction") or {}).get("weightedBackendServices", [])
    found.extend(w.get("backendService", "") for w in weighted)
    for matcher in url_map.get("pathMatchers", []):
        found.append(matcher.get("defaultService", ""))
        found.extend(rule.get("service", "") for rule in matcher.get("pathRules", []))
        found.extend(rule.get("service", "") for rule in matcher.get("routeRules", []))
    return [s for s in found if s]


def users(store: Store, path: str) -> list[str]:
    """Relative paths of the load-balancing resources that point at `path`."""
    out = []
    for kind in USING_KINDS:
        for item in store.list(kind):
            if path in references(kind, item):
                out.append(c.relative(item["selfLink"]))
    return sorted(out)


def collection_of(path: str) -> str:
    parts = path.split("/")
    return parts[3] if parts[2] == "global" else parts[4]


def store_kind(path: str) -> str:
    """The store kind of the resource at a global, regional or zonal path."""
    collection = collection_of(path)
    scope = path.split("/")[2]
    if scope == "zones":
        return ZONAL_COLLECTIONS[collection]
    return REGIONAL_COLLECTIONS[collection] if scope == "regions" else COLLECTIONS[collection]


def in_use(path: str, user: str) -> ApiError:
    return c.in_use_error(NOUNS.get(collection_of(path), "resource"), path, user)


def refuse_if_used(call: Call, path: str) -> None:
    """A delete of something still referenced is a 400, as the real API answers."""
    found = users(call.ctx.store, path)
    if found:
        raise in_use(path, found[0])


@effect_hook("compute.lb.unused")
def _still_unused(store: Store, args: dict[str, Any]) -> None:
    """At completion, a delete fails if something started using the resource meanwhile."""
    found = users(store, args["path"])
    if found:
        raise in_use(args["path"], found[0])


@effect_hook("compute.lb.present")
def _still_present(store: Store, args: dict[str, Any]) -> None:
    """At completion, a write fails if a resource it points at went away meanwhile."""
    for path in args["paths"]:
        if store.get(store_kind(path), path) is None:
            raise c.missing_error(path)


def reference_path(
    call: Call, value: Any, field: str, collection: str, region_name: str | None = None
) -> str:
    """The canonical path of a global or regional reference (regional where it names a region)."""
    if region_name is None and isinstance(value, str) and "/regions/" in f"/{value}":
        region_name = f"/{value}".split("/regions/", 1)[1].split("/", 1)[0]
    return c.parse_ref(call, value, field, collection, region_name)


def reference(
    call: Call, value: Any, field: str, collection: str, region_name: str | None = None
) -> tuple[str, dict[str, Any]]:
    """A reference that must name an existing, settled resource: its path and the resource."""
    path = reference_path(call, value, field, collection, region_name)
    return path, c.require_existing(call, store_kind(path), path)


def check_fingerprint(
    body: dict[str, Any], current: dict[str, Any], field: str = "fingerprint", *, required: bool = True
) -> None:
    """Updates carry the fingerprint they read; a stale one is a 412, a missing one a 400
    unless `required` is False."""
    supplied = body.pop(field, None)
    if not supplied and not required:
        return
    if not supplied:
        raise c.required_error(f"resource.{field}")
    if not c.same_fingerprint(supplied, current.get(field)):
        raise c.fingerprint_error()


def check_unchanged(body: dict[str, Any], current: dict[str, Any], fields: Iterable[str]) -> None:
    """Fields fixed at creation may be repeated in an update, never changed."""
    for key in fields:
        if key in body and body[key] != current.get(key):
            raise c.field_error(f"resource.{key}", body[key], "This field cannot be changed after creation.")


def aggregated(
    call: Call, api_kind: str, key: str, items: list[dict[str, Any]], collection: str
) -> dict[str, Any]:
    """An aggregatedList page: the list rules, then grouped by scope (`global`, `regions/<r>`)."""
    project_id = c.project(call)
    page = c.list_reply(call, api_kind, items, f"projects/{project_id}/aggregated/{collection}")
    grouped: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for item in page["items"]:
        region = str(item.get("region", "")).rsplit("/", 1)[-1]
        grouped.setdefault(f"regions/{region}" if region else "global", {key: []})[key].append(item)
    return {**page, "items": grouped}


# the steps every global collection of the chain takes alike


def fingerprinted(
    call: Call, kind: c.Global, *, required: bool = True
) -> tuple[str, dict[str, Any], dict[str, Any]]:
    """The (path, resource, body) of an update or patch, which must carry the current fingerprint
    (or, where `required` is False, a current one if any)."""
    path, current = c.global_target(call, kind)
    body = standard.drop_none(call.body or {})
    check_fingerprint(body, current, required=required)
    return path, current, body


def _operation(
    call: Call, kind: c.Global | c.Regional, op_type: str, path: str, target_id: str, effects: list[Effect]
) -> Reply:
    """The global or regional operation of a change to the resource at `path`."""
    if isinstance(kind, c.Regional):
        return c.operation(
            call,
            op_type=op_type,
            collection=kind.collection,
            target_path=path,
            target_id=target_id,
            effects=effects,
            region_name=path.split("/")[3],
        )
    return c.global_operation(call, kind, op_type, path, target_id, effects)


def write(
    call: Call,
    kind: c.Global | c.Regional,
    op_type: str,
    resource: dict[str, Any],
    refs: Sequence[str] | None,
) -> Reply:
    """Store a whole resource when the operation is done; with `refs`, only if they still exist then."""
    path = c.relative(resource["selfLink"])
    parent = (
        "/".join(path.split("/")[:4]) if isinstance(kind, c.Regional) else f"projects/{path.split('/')[1]}"
    )
    effects = [Effect.put(kind.store_kind, path, resource, parent)]
    if refs is not None:
        effects.insert(0, Effect.hook("compute.lb.present", paths=list(refs)))
    return _operation(call, kind, op_type, path, resource["id"], effects)


def set_fields(
    call: Call,
    kind: c.Global | c.Regional,
    op_type: str,
    path: str,
    current: dict[str, Any],
    fields: dict[str, Any],
    refs: Sequence[str] | None = None,
) -> Reply:
    """Change some fields when the operation is done; the resource gets a new fingerprint. With
    `refs`, the change lands only if what it points at still exists then."""
    changes = {**fields, "fingerprint": c.fingerprint()}
    effects = [Effect.set(kind.store_kind, path, changes)]
    if refs is not None:
        effects.insert(0, Effect.hook("compute.lb.present", paths=list(refs)))
    return _operation(call, kind, op_type, path, current["id"], effects)


Render = Callable[[dict[str, Any]], dict[str, Any]]


def project_items(call: Call, kind: c.Global, project_id: str, render: Render) -> list[dict[str, Any]]:
    """Every resource of the collection in a project, of every scope (the regional backend
    services and health checks share their global kind's store), as the API shows it."""
    return [
        render(i)
        for i in call.ctx.store.list(kind.store_kind)
        if c.relative(i["selfLink"]).split("/")[1] == project_id
    ]


def aggregated_list(call: Call, kind: c.Global, api_kind: str, render: Render = c.public) -> dict[str, Any]:
    """`aggregatedList` of the collection: the project's resources, under `global` and, for the
    collections that have regional resources too, `regions/<r>` ("Retrieves the list of all
    BackendService resources, regional and global", backendServices.aggregatedList in
    https://cloud.google.com/compute/docs/reference/rest/v1/backendServices)."""
    items = project_items(call, kind, c.project(call), render)
    return aggregated(call, api_kind, kind.collection, items, kind.collection)


MISSING_CERTIFICATE_MANAGER_REFERENCE = refusal(
    "compute.targetHttpsProxies.insert|compute.regionTargetHttpsProxies.insert",
    "a Certificate Manager certificate or certificate map that does not exist (404 notFound, as any "
    "missing reference of the chain)",
    source="hashicorp/terraform-provider-google#17176 (a proxy refuses a certificate reference it "
    "cannot resolve); https://cloud.google.com/certificate-manager/docs/maps (create the map, then "
    "attach it to the proxy)",
    test="tests/emulator/test_certificate_manager.py::test_global_proxy_keeps_a_certificate_map_as_sent",
)


def certificate_manager_reference(call: Call, value: Any, field: str, kind: str) -> str:
    """A Certificate Manager certificate or map a target proxy names: it must exist; it is kept
    as sent, `//certificatemanager.googleapis.com/projects/...` for a certificate (conformance/
    kcc-golden/compute/v1beta1/computetargethttpsproxy/globaltargethttpsproxycertificatemanager
    certificates-direct/_http.log #19, #21) and `projects/...` for a map (.../globaltargethttps
    proxy-certmap-direct/_http.log #19, #21)."""
    text = str(value or "")
    name = text[len(CM_PREFIX) :] if text.startswith(CM_PREFIX) else text
    if call.ctx.store.get(kind, name) is None:
        raise c.missing_error(name)
    return text


def is_certificate_manager(value: Any) -> bool:
    return str(value or "").startswith(CM_PREFIX)
