"""Compute Engine global target HTTPS and HTTP proxies.

A proxy points at a URL map that must exist; an HTTPS proxy also at 1 to 15 certificates
that must exist. The URL map changes only through setUrlMap, the certificates only through
setSslCertificates; patch (with the current fingerprint) changes the rest. A proxy that a
forwarding rule targets cannot be deleted.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from emulator.registry import Api, Call, Reply
from emulator.services import _compute as c
from emulator.services import _compute_collection as cc
from emulator.services import _lb as lb

API = Api("compute", "v1")

MAX_CERTIFICATES = 15
# A patch may change the URL map and the QUIC override too (exchange 22 of conformance/
# kcc-golden/compute/v1beta1/computetargethttpsproxy/globaltargethttpsproxy/_http.log changes
# both and Google answers 200); the certificates only through their own method.
OWN_SETTER = {
    "sslCertificates": "setSslCertificates",
    "certificateMap": "setCertificateMap",
}
FIXED = ("name", "description", "httpKeepAliveTimeoutSec", "proxyBind", "tlsEarlyData")


@dataclass(frozen=True)
class ProxyKind(c.Global):
    https: bool = False


HTTPS = ProxyKind(
    "targetHttpsProxies", lb.HTTPS_PROXY, "compute#targetHttpsProxy", "targetHttpsProxy", https=True
)
HTTP = ProxyKind("targetHttpProxies", lb.HTTP_PROXY, "compute#targetHttpProxy", "targetHttpProxy")


def _certificates(call: Call, values: Any, field: str) -> tuple[list[str], list[str]]:
    if not values:
        raise c.required_error(field)
    if len(values) > MAX_CERTIFICATES:
        raise c.field_error(field, len(values), f"At most {MAX_CERTIFICATES} certificates are allowed.")
    paths: list[str] = []
    links: list[str] = []
    for i, value in enumerate(values):
        if lb.is_certificate_manager(value):
            links.append(lb.certificate_manager_reference(call, value, f"{field}[{i}]", lb.CM_CERTIFICATE))
            continue
        path = lb.reference(call, value, f"{field}[{i}]", "sslCertificates")[0]
        paths.append(path)
        links.append(c.link(path))
    return paths, links


def _insert(call: Call, kind: ProxyKind) -> Reply:
    if (known := c.replay(call)) is not None:
        return known
    _, body, path, base = c.global_insert(call, kind)
    map_path, _ = lb.reference(call, body.get("urlMap"), "resource.urlMap", "urlMaps")
    refs = [map_path]
    proxy: dict[str, Any] = {
        **base,
        **body,
        "name": base["name"],
        "urlMap": c.link(map_path),
        "selfLink": c.link(path),
        "fingerprint": c.fingerprint(),
    }
    if kind.https:
        proxy["quicOverride"] = body.get("quicOverride", "NONE")
        if body.get("certificateMap"):
            # A certificate map instead of certificates: kept as sent, and no sslCertificates shown
            # (conformance/kcc-golden/compute/v1beta1/computetargethttpsproxy/globaltargethttpsproxy-
            # certmap-direct/_http.log #19, #21).
            proxy["certificateMap"] = lb.certificate_manager_reference(
                call, body["certificateMap"], "resource.certificateMap", lb.CM_MAP
            )
        else:
            cert_paths, links = _certificates(call, body.get("sslCertificates"), "resource.sslCertificates")
            refs += cert_paths
            proxy["sslCertificates"] = links
        proxy.setdefault("tlsEarlyData", "DISABLED")
    elif "sslCertificates" in body:
        raise c.field_error("resource.sslCertificates", "", "An HTTP proxy takes no certificates.")
    return lb.write(call, kind, "insert", proxy, refs)


def _aggregated(call: Call, kind: ProxyKind) -> dict[str, Any]:
    project_id = c.project(call)
    page = COLLECTIONS[kind].list(call)
    grouped = {"global": {kind.collection: page["items"]}} if page["items"] else {}
    return {
        **page,
        "kind": f"{kind.api_kind}AggregatedList",
        "id": f"projects/{project_id}/aggregated/{kind.collection}",
        "items": grouped,
    }


def _patch(call: Call, kind: ProxyKind) -> Reply:
    if (known := c.replay(call)) is not None:
        return known
    # A patch without a fingerprint is applied (exchange 22 of conformance/kcc-golden/compute/
    # v1beta1/computetargethttpsproxy/globaltargethttpsproxy/_http.log); a stale one is a 412.
    path, current, body = lb.fingerprinted(call, kind, required=False)
    for key, value in body.items():
        if key in OWN_SETTER and c.relative(str(value)) != c.relative(str(current.get(key))):
            raise c.field_error(
                f"resource.{key}", value, f"This field can only be changed with {OWN_SETTER[key]}."
            )
    lb.check_unchanged(body, current, FIXED)
    changes = {k: v for k, v in body.items() if k not in OWN_SETTER and k not in FIXED}
    refs: list[str] = []
    if "urlMap" in body:
        map_path, _ = lb.reference(call, body["urlMap"], "urlMap", "urlMaps")
        changes["urlMap"] = c.link(map_path)
        refs.append(map_path)
    if "quicOverride" in body and kind.https:
        changes["quicOverride"] = body["quicOverride"]
    return lb.set_fields(call, kind, "patch", path, current, changes, refs or None)


def _set_url_map(call: Call, kind: ProxyKind) -> Reply:
    if (known := c.replay(call)) is not None:
        return known
    path, current = c.global_target(call, kind)
    map_path, _ = lb.reference(call, (call.body or {}).get("urlMap"), "urlMap", "urlMaps")
    return lb.set_fields(call, kind, "setUrlMap", path, current, {"urlMap": c.link(map_path)}, [map_path])


# HTTPS


@API.handles("compute.targetHttpsProxies.setSslCertificates")
@c.replaying
def set_certificates(call: Call) -> Reply:
    path, current = c.global_target(call, HTTPS)
    paths, links = _certificates(call, (call.body or {}).get("sslCertificates"), "sslCertificates")
    return lb.set_fields(call, HTTPS, "setSslCertificates", path, current, {"sslCertificates": links}, paths)


@API.handles("compute.targetHttpsProxies.setQuicOverride")
def set_quic_override(call: Call) -> Reply:
    path, current = c.global_target(call, HTTPS)
    value = (call.body or {}).get("quicOverride") or "NONE"
    return lb.set_fields(call, HTTPS, "setQuicOverride", path, current, {"quicOverride": value})


# HTTP


COLLECTIONS = {
    kind: cc.declare(
        API,
        cc.Collection(
            kind,
            frozenset({"get", "list", "delete"}),
            referenced=True,
            own={
                "insert": _insert,
                "aggregatedList": _aggregated,
                "patch": _patch,
                "setUrlMap": _set_url_map,
            },
            refusals=(lb.IN_USE,),
        ),
    )
    for kind in (HTTPS, HTTP)
}
