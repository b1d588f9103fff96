"""Compute Engine global target HTTPS and HTTP proxies.

A proxy points at a URL map that must exist; an HTTPS proxy also at 1 to 15 certificates
that must exist. The URL map changes only through setUrlMap, the certificates only through
setSslCertificates; patch (with the current fingerprint) changes the rest. A proxy that a
forwarding rule targets cannot be deleted.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from emulator import standard
from emulator.effects import Effect
from emulator.registry import Api, Call, Reply
from emulator.services import _compute as c
from emulator.services import _lb as lb

API = Api("compute", "v1")

MAX_CERTIFICATES = 15
OWN_SETTER = {
    "urlMap": "setUrlMap",
    "sslCertificates": "setSslCertificates",
    "quicOverride": "setQuicOverride",
}
FIXED = ("name", "description", "httpKeepAliveTimeoutSec", "proxyBind", "tlsEarlyData")


@dataclass(frozen=True)
class ProxyKind:
    collection: str
    store_kind: str
    api_kind: str
    param: str
    https: bool


HTTPS = ProxyKind("targetHttpsProxies", lb.HTTPS_PROXY, "compute#targetHttpsProxy", "targetHttpsProxy", True)
HTTP = ProxyKind("targetHttpProxies", lb.HTTP_PROXY, "compute#targetHttpProxy", "targetHttpProxy", False)


def _path(call: Call, kind: ProxyKind, param: str | None = None) -> str:
    return c.global_path(c.project(call), kind.collection, call.param(param or kind.param))


def _certificates(call: Call, values: Any, field: str) -> tuple[list[str], list[str]]:
    if not values:
        raise c.required_error(field)
    if len(values) > MAX_CERTIFICATES:
        raise c.field_error(field, len(values), f"At most {MAX_CERTIFICATES} certificates are allowed.")
    paths = [lb.reference(call, v, f"{field}[{i}]", "sslCertificates")[0] for i, v in enumerate(values)]
    return paths, [c.link(p) for p in paths]


def _operation(
    call: Call, kind: ProxyKind, op_type: str, path: str, target_id: str, effects: list[Effect]
) -> Reply:
    return c.operation(
        call,
        op_type=op_type,
        collection=kind.collection,
        target_path=path,
        target_id=target_id,
        effects=effects,
    )


def _insert(call: Call, kind: ProxyKind) -> Reply:
    if (known := lb.replay(call)) is not None:
        return known
    project_id = c.project(call)
    body = standard.drop_none(call.body or {})
    name = c.check_name(body.get("name"))
    path = c.global_path(project_id, kind.collection, name)
    c.check_free(call, kind.store_kind, path)
    map_path, _ = lb.reference(call, body.get("urlMap"), "resource.urlMap", "urlMaps")
    refs = [map_path]
    proxy: dict[str, Any] = {
        "kind": kind.api_kind,
        "id": c.new_id(),
        "creationTimestamp": c.timestamp(call),
        **body,
        "name": name,
        "urlMap": c.link(map_path),
        "selfLink": c.link(path),
        "fingerprint": c.fingerprint(),
    }
    if kind.https:
        if body.get("certificateMap"):
            raise c.field_error(
                "resource.certificateMap", body["certificateMap"], "Certificate maps are not supported here."
            )
        cert_paths, links = _certificates(call, body.get("sslCertificates"), "resource.sslCertificates")
        refs += cert_paths
        proxy.update({"sslCertificates": links, "quicOverride": body.get("quicOverride", "NONE")})
        proxy.setdefault("tlsEarlyData", "DISABLED")
    elif "sslCertificates" in body:
        raise c.field_error("resource.sslCertificates", "", "An HTTP proxy takes no certificates.")
    effects = [
        Effect.hook("compute.lb.present", paths=refs),
        Effect.put(kind.store_kind, path, proxy, f"projects/{project_id}"),
    ]
    return _operation(call, kind, "insert", path, proxy["id"], effects)


def _list(call: Call, kind: ProxyKind) -> dict[str, Any]:
    project_id = c.project(call)
    items = [c.public(p) for p in call.ctx.store.list(kind.store_kind, f"projects/{project_id}")]
    return c.list_reply(
        call, f"{kind.api_kind}List", items, f"projects/{project_id}/global/{kind.collection}"
    )


def _aggregated(call: Call, kind: ProxyKind) -> dict[str, Any]:
    project_id = c.project(call)
    page = _list(call, kind)
    grouped = {"global": {kind.collection: page["items"]}} if page["items"] else {}
    return {
        **page,
        "kind": f"{kind.api_kind}AggregatedList",
        "id": f"projects/{project_id}/aggregated/{kind.collection}",
        "items": grouped,
    }


def _patch(call: Call, kind: ProxyKind) -> Reply:
    if (known := lb.replay(call)) is not None:
        return known
    path = _path(call, kind)
    current = c.fetch(call, kind.store_kind, path)
    c.check_idle(call, path)
    body = standard.drop_none(call.body or {})
    lb.check_fingerprint(body, current)
    for key, value in body.items():
        if key in OWN_SETTER and c.relative(str(value)) != c.relative(str(current.get(key))):
            raise c.field_error(
                f"resource.{key}", value, f"This field can only be changed with {OWN_SETTER[key]}."
            )
    lb.check_unchanged(body, current, FIXED)
    changes = {k: v for k, v in body.items() if k not in OWN_SETTER and k not in FIXED}
    fields = {**changes, "fingerprint": c.fingerprint()}
    return _operation(call, kind, "patch", path, current["id"], [Effect.set(kind.store_kind, path, fields)])


def _set_url_map(call: Call, kind: ProxyKind) -> Reply:
    if (known := lb.replay(call)) is not None:
        return known
    path = _path(call, kind)
    current = c.fetch(call, kind.store_kind, path)
    c.check_idle(call, path)
    map_path, _ = lb.reference(call, (call.body or {}).get("urlMap"), "urlMap", "urlMaps")
    effects = [
        Effect.hook("compute.lb.present", paths=[map_path]),
        Effect.set(kind.store_kind, path, {"urlMap": c.link(map_path), "fingerprint": c.fingerprint()}),
    ]
    return _operation(call, kind, "setUrlMap", path, current["id"], effects)


def _delete(call: Call, kind: ProxyKind) -> Reply:
    if (known := lb.replay(call)) is not None:
        return known
    path = _path(call, kind)
    current = c.fetch(call, kind.store_kind, path)
    c.check_idle(call, path)
    lb.refuse_if_used(call, path)
    effects = [Effect.hook("compute.lb.unused", path=path), Effect.delete(kind.store_kind, path)]
    return _operation(call, kind, "delete", path, current["id"], effects)


# HTTPS


@API.handles("compute.targetHttpsProxies.insert")
def insert_https(call: Call) -> Reply:
    return _insert(call, HTTPS)


@API.handles("compute.targetHttpsProxies.get")
def get_https(call: Call) -> dict[str, Any]:
    return c.public(c.fetch(call, HTTPS.store_kind, _path(call, HTTPS)))


@API.handles("compute.targetHttpsProxies.list")
def list_https(call: Call) -> dict[str, Any]:
    return _list(call, HTTPS)


@API.handles("compute.targetHttpsProxies.aggregatedList")
def aggregated_https(call: Call) -> dict[str, Any]:
    return _aggregated(call, HTTPS)


@API.handles("compute.targetHttpsProxies.patch")
def patch_https(call: Call) -> Reply:
    return _patch(call, HTTPS)


@API.handles("compute.targetHttpsProxies.setUrlMap")
def set_https_url_map(call: Call) -> Reply:
    return _set_url_map(call, HTTPS)


@API.handles("compute.targetHttpsProxies.setSslCertificates")
def set_certificates(call: Call) -> Reply:
    if (known := lb.replay(call)) is not None:
        return known
    path = _path(call, HTTPS)
    current = c.fetch(call, HTTPS.store_kind, path)
    c.check_idle(call, path)
    paths, links = _certificates(call, (call.body or {}).get("sslCertificates"), "sslCertificates")
    effects = [
        Effect.hook("compute.lb.present", paths=paths),
        Effect.set(HTTPS.store_kind, path, {"sslCertificates": links, "fingerprint": c.fingerprint()}),
    ]
    return _operation(call, HTTPS, "setSslCertificates", path, current["id"], effects)


@API.handles("compute.targetHttpsProxies.setQuicOverride")
def set_quic_override(call: Call) -> Reply:
    path = _path(call, HTTPS)
    current = c.fetch(call, HTTPS.store_kind, path)
    c.check_idle(call, path)
    value = (call.body or {}).get("quicOverride") or "NONE"
    fields = {"quicOverride": value, "fingerprint": c.fingerprint()}
    return _operation(
        call, HTTPS, "setQuicOverride", path, current["id"], [Effect.set(HTTPS.store_kind, path, fields)]
    )


@API.handles("compute.targetHttpsProxies.delete")
def delete_https(call: Call) -> Reply:
    return _delete(call, HTTPS)


# HTTP


@API.handles("compute.targetHttpProxies.insert")
def insert_http(call: Call) -> Reply:
    return _insert(call, HTTP)


@API.handles("compute.targetHttpProxies.get")
def get_http(call: Call) -> dict[str, Any]:
    return c.public(c.fetch(call, HTTP.store_kind, _path(call, HTTP)))


@API.handles("compute.targetHttpProxies.list")
def list_http(call: Call) -> dict[str, Any]:
    return _list(call, HTTP)


@API.handles("compute.targetHttpProxies.aggregatedList")
def aggregated_http(call: Call) -> dict[str, Any]:
    return _aggregated(call, HTTP)


@API.handles("compute.targetHttpProxies.patch")
def patch_http(call: Call) -> Reply:
    return _patch(call, HTTP)


@API.handles("compute.targetHttpProxies.setUrlMap")
def set_http_url_map(call: Call) -> Reply:
    return _set_url_map(call, HTTP)


@API.handles("compute.targetHttpProxies.delete")
def delete_http(call: Call) -> Reply:
    return _delete(call, HTTP)
