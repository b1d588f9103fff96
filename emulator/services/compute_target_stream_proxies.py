"""Compute Engine target gRPC, SSL and TCP proxies (global, and regional TCP).

A gRPC proxy points at a URL map, as an HTTP proxy does; an SSL or TCP proxy straight at a
backend service, an SSL proxy also at 1 to 15 certificates. Each reference must exist, and a
proxy a forwarding rule targets cannot be deleted. The backend service, the proxy header and
the certificates change through their setters; a gRPC proxy through patch.
"""

from __future__ import annotations

from typing import Any

from emulator.effects import Effect
from emulator.refusal import refusal
from emulator.registry import Api, Call, Reply
from emulator.services import _compute as c
from emulator.services import _compute_collection as cc
from emulator.services import _lb as lb

API = Api("compute", "v1")

GRPC = c.Global("targetGrpcProxies", lb.GRPC_PROXY, "compute#targetGrpcProxy", "targetGrpcProxy")
SSL = c.Global("targetSslProxies", lb.SSL_PROXY, "compute#targetSslProxy", "targetSslProxy")
TCP = c.Global("targetTcpProxies", lb.TCP_PROXY, "compute#targetTcpProxy", "targetTcpProxy")
REGIONAL_TCP = c.Regional("targetTcpProxies", lb.REGION_TCP_PROXY, "compute#targetTcpProxy", "targetTcpProxy")
# "proxyHeader: ... either NONE or PROXY_V1. The default is NONE."
# (https://cloud.google.com/compute/docs/reference/rest/v1/targetTcpProxies)
PROXY_HEADERS = ("NONE", "PROXY_V1")
MAX_CERTIFICATES = 15
# What a gRPC proxy's patch may not change (https://cloud.google.com/compute/docs/reference/rest/
# v1/targetGrpcProxies/patch changes the rest: description, urlMap, validateForProxyless).
GRPC_FIXED = ("name",)


def _region_of(kind: c.Global | c.Regional, path: str) -> str | None:
    return path.split("/")[3] if isinstance(kind, c.Regional) else None


def _base(call: Call, kind: c.Global | c.Regional) -> tuple[dict[str, Any], str, dict[str, Any]]:
    """(body, path, the fields every insert sets) of an insert, the name free."""
    if isinstance(kind, c.Regional):
        project_id, region_name, body, path, base = c.regional_insert(call, kind)
        # `region` is output only; the recording sends the bare name and Google answers 200
        # (exchange 17 of conformance/kcc-golden/compute/v1beta1/computeforwardingrule/
        # regionalcomputeforwardingruletcp/_http.log) and shows the link.
        body.pop("region", None)
        base = {**base, "name": body["name"], "selfLink": c.link(path)}
        base["region"] = c.link(f"projects/{project_id}/regions/{region_name}")
        return body, path, base
    _, body, path, base = c.global_insert(call, kind)
    return body, path, base


def _proxy_header(value: Any, field: str = "resource.proxyHeader") -> str:
    header = value or "NONE"
    if header not in PROXY_HEADERS:
        raise c.field_error(field, header, "The proxy header must be NONE or PROXY_V1.")
    return header


def _service(call: Call, value: Any, field: str, region_name: str | None) -> str:
    if not value:
        raise c.required_error(field)
    path, _ = lb.reference(call, value, field, "backendServices", region_name)
    if (region_name is None) != (path.split("/")[2] == "global"):
        raise c.field_error(field, value, "A regional proxy takes a backend service of its region.")
    return path


def _certificates(call: Call, values: Any, field: str) -> list[str]:
    if not values:
        raise c.required_error(field)
    if len(values) > MAX_CERTIFICATES:
        raise c.field_error(field, len(values), f"At most {MAX_CERTIFICATES} certificates are allowed.")
    return [lb.reference(call, v, f"{field}[{i}]", "sslCertificates")[0] for i, v in enumerate(values)]


def _stream_insert(call: Call, kind: c.Global | c.Regional) -> Reply:
    if (known := c.replay(call)) is not None:
        return known
    body, path, base = _base(call, kind)
    service = _service(call, body.get("service"), "resource.service", _region_of(kind, path))
    # An SSL or TCP proxy is shown without a fingerprint (exchanges 41 of conformance/kcc-golden/
    # compute/v1beta1/computeforwardingrule/globalcomputeforwardingrulessl-direct/_http.log and
    # 37 of .../globalcomputeforwardingruletcp-direct-directtcp/_http.log).
    proxy: dict[str, Any] = {
        **body,
        **base,
        "service": c.link(service),
        "proxyHeader": _proxy_header(body.get("proxyHeader")),
    }
    refs = [service]
    if kind is SSL:
        if body.get("certificateMap"):
            raise c.field_error(
                "resource.certificateMap", body["certificateMap"], "Certificate maps are not served."
            )
        certificates = _certificates(call, body.get("sslCertificates"), "resource.sslCertificates")
        proxy["sslCertificates"] = [c.link(p) for p in certificates]
        refs += certificates
    elif "sslCertificates" in body:
        raise c.field_error("resource.sslCertificates", "", "A TCP proxy takes no certificates.")
    return lb.write(call, kind, "insert", proxy, refs)


def _grpc_insert(call: Call, kind: c.Global) -> Reply:
    if (known := c.replay(call)) is not None:
        return known
    body, path, base = _base(call, kind)
    map_path, _ = lb.reference(call, body.get("urlMap"), "resource.urlMap", "urlMaps")
    # Shown with a fingerprint and selfLinkWithId (exchange 30 of conformance/kcc-golden/compute/
    # v1beta1/computeforwardingrule/globalcomputeforwardingrulegrpcproxy-direct/_http.log).
    proxy = {
        **body,
        **base,
        "urlMap": c.link(map_path),
        "selfLinkWithId": c.link(c.global_path(path.split("/")[1], kind.collection, base["id"])),
        "fingerprint": c.fingerprint(),
    }
    return lb.write(call, kind, GRPC_OPERATIONS["insert"], proxy, [map_path])


def _grpc_patch(call: Call, kind: c.Global) -> Reply:
    if (known := c.replay(call)) is not None:
        return known
    path, current, body = lb.fingerprinted(call, kind, required=False)
    lb.check_unchanged(body, current, GRPC_FIXED)
    changes = {k: v for k, v in body.items() if k not in GRPC_FIXED and k not in c.OUTPUT_ONLY}
    refs: list[str] = []
    if "urlMap" in body:
        map_path, _ = lb.reference(call, body["urlMap"], "resource.urlMap", "urlMaps")
        changes["urlMap"] = c.link(map_path)
        refs.append(map_path)
    return lb.set_fields(call, kind, GRPC_OPERATIONS["patch"], path, current, changes, refs or None)


def _set(call: Call, kind: c.Global, op_type: str, fields: dict[str, Any], refs: list[str]) -> Reply:
    """A setter of an SSL or TCP proxy: the fields change when the operation is done (no
    fingerprint: these proxies show none)."""
    if (known := c.replay(call)) is not None:
        return known
    path, current = c.global_target(call, kind)
    effects = [Effect.hook("compute.lb.present", paths=refs), Effect.set(kind.store_kind, path, fields)]
    return c.global_operation(call, kind, op_type, path, current["id"], effects)


def _set_backend_service(call: Call, kind: c.Global) -> Reply:
    service = _service(call, (call.body or {}).get("service"), "service", None)
    return _set(call, kind, "setBackendService", {"service": c.link(service)}, [service])


def _set_proxy_header(call: Call, kind: c.Global) -> Reply:
    header = _proxy_header((call.body or {}).get("proxyHeader"), "proxyHeader")
    return _set(call, kind, "setProxyHeader", {"proxyHeader": header}, [])


def _set_certificates(call: Call, kind: c.Global) -> Reply:
    paths = _certificates(call, (call.body or {}).get("sslCertificates"), "sslCertificates")
    return _set(call, kind, "setSslCertificates", {"sslCertificates": [c.link(p) for p in paths]}, paths)


def _tcp_aggregated(call: Call, _: c.Global) -> dict[str, Any]:
    """`targetTcpProxies.aggregatedList`: global proxies under `global`, regional ones under
    their region (https://cloud.google.com/compute/docs/reference/rest/v1/targetTcpProxies/
    aggregatedList)."""
    project_id = c.project(call)
    items = [
        c.public(p)
        for kind in (lb.TCP_PROXY, lb.REGION_TCP_PROXY)
        for p in call.ctx.store.list(kind)
        if p["selfLink"].split("/")[6] == project_id
    ]
    return lb.aggregated(
        call, "compute#targetTcpProxyAggregatedList", "targetTcpProxies", items, "targetTcpProxies"
    )


STREAM_REFERENCES = refusal(
    "compute.targetSslProxies|targetTcpProxies|targetGrpcProxies.insert",
    "a backend service, URL map or certificate that does not exist; an SSL proxy without "
    "certificates; a proxy header other than NONE or PROXY_V1",
    source="https://cloud.google.com/compute/docs/reference/rest/v1/targetSslProxies (service, "
    "sslCertificates, proxyHeader)",
    test="tests/emulator/test_compute_stream_proxies.py::test_ssl_and_tcp_proxies_need_what_they_point_at",
)

#: A gRPC proxy's operations are named by the whole method (exchanges 8 and 28 of conformance/
#: kcc-golden/compute/v1beta1/computeforwardingrule/globalcomputeforwardingrulegrpcproxy-direct/
#: _http.log: `compute.targetGrpcProxies.insert`, `compute.targetGrpcProxies.delete`).
GRPC_OPERATIONS = {op: f"compute.targetGrpcProxies.{op}" for op in ("insert", "delete", "patch")}

COLLECTIONS = (
    cc.declare(
        API,
        cc.Collection(
            GRPC,
            frozenset({"get", "list", "delete"}),
            referenced=True,
            own={"insert": _grpc_insert, "patch": _grpc_patch},
            operation_names=GRPC_OPERATIONS,
            refusals=(lb.IN_USE, STREAM_REFERENCES),
        ),
    ),
    cc.declare(
        API,
        cc.Collection(
            SSL,
            frozenset({"get", "list", "delete"}),
            referenced=True,
            own={
                "insert": _stream_insert,
                "setBackendService": _set_backend_service,
                "setProxyHeader": _set_proxy_header,
                "setSslCertificates": _set_certificates,
            },
            refusals=(lb.IN_USE, STREAM_REFERENCES),
        ),
    ),
    cc.declare(
        API,
        cc.Collection(
            TCP,
            frozenset({"get", "list", "delete"}),
            referenced=True,
            own={
                "insert": _stream_insert,
                "setBackendService": _set_backend_service,
                "setProxyHeader": _set_proxy_header,
                "aggregatedList": _tcp_aggregated,
            },
            refusals=(lb.IN_USE, STREAM_REFERENCES),
        ),
    ),
    cc.declare(
        API,
        cc.Collection(
            REGIONAL_TCP,
            frozenset({"get", "list", "delete"}),
            resource="regionTargetTcpProxies",
            referenced=True,
            own={"insert": _stream_insert},
            refusals=(lb.IN_USE, STREAM_REFERENCES),
        ),
    ),
)
