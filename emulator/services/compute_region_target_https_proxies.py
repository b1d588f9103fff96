"""Compute Engine regional target HTTPS proxies, in front of a regional URL map.

A proxy points at a URL map of its region and at 1 to 15 certificates of its region, which
must exist. The certificates change through setSslCertificates, the URL map through
setUrlMap or patch; patch (with the current fingerprint, where one is sent) changes the rest.
A proxy a forwarding rule targets cannot be deleted.
"""

from __future__ import annotations

from typing import Any

from emulator import standard
from emulator.registry import Api, Call, Reply
from emulator.services import _compute as c
from emulator.services import _compute_collection as cc
from emulator.services import _lb as lb

API = Api("compute", "v1")

KIND = c.Regional("targetHttpsProxies", lb.REGION_HTTPS_PROXY, "compute#targetHttpsProxy", "targetHttpsProxy")
MAX_CERTIFICATES = 15
QUIC = ("NONE", "ENABLE", "DISABLE")
FIXED = ("name", "httpKeepAliveTimeoutSec", "tlsEarlyData")


def _url_map(call: Call, value: Any, field: str, region_name: str) -> str:
    if not value:
        raise c.required_error(field)
    path, _ = lb.reference(call, value, field, "urlMaps", region_name)
    return path


def _certificates(call: Call, values: Any, field: str, region_name: str) -> list[str]:
    if not values:
        raise c.required_error(field)
    if len(values) > MAX_CERTIFICATES:
        raise c.field_error(field, len(values), f"At most {MAX_CERTIFICATES} certificates are allowed.")
    return [
        lb.certificate_manager_reference(call, v, f"{field}[{i}]", lb.CM_CERTIFICATE)
        if lb.is_certificate_manager(v)
        else lb.reference(call, v, f"{field}[{i}]", "sslCertificates", region_name)[0]
        for i, v in enumerate(values)
    ]


def _shown(reference: str) -> str:
    """A Compute certificate as a full link; a Certificate Manager one as sent (conformance/kcc-golden/
    compute/v1beta1/computetargethttpsproxy/regionaltargethttpsproxycertificatemanagercertificates/
    _http.log #19)."""
    return reference if lb.is_certificate_manager(reference) else c.link(reference)


def _compute_only(references: list[str]) -> list[str]:
    """The Compute Engine paths among references, those the completion check looks up."""
    return [r for r in references if not lb.is_certificate_manager(r)]


def _quic(value: Any, field: str) -> str:
    quic = value or "NONE"
    if quic not in QUIC:
        raise c.field_error(field, quic, "quicOverride is NONE, ENABLE or DISABLE.")
    return quic


@API.handles("compute.regionTargetHttpsProxies.insert")
@c.replaying
def insert_proxy(call: Call) -> Reply:
    project_id, region_name, body, path, base = c.regional_insert(call, KIND)
    body.pop("region", None)  # output only, as on every regional collection here
    map_path = _url_map(call, body.get("urlMap"), "resource.urlMap", region_name)
    certificates = _certificates(call, body.get("sslCertificates"), "resource.sslCertificates", region_name)
    # Shown with a fingerprint and tlsEarlyData DISABLED though neither was sent (exchange 23 of
    # conformance/kcc-golden/compute/v1beta1/computetargethttpsproxy/regionaltargethttpsproxy/
    # _http.log); quicOverride only where it was sent (exchange 19 of .../
    # regionaltargethttpsproxycertificatemanagercertificates/_http.log shows none).
    proxy: dict[str, Any] = {
        **body,
        **base,
        "name": body["name"],
        "urlMap": c.link(map_path),
        "sslCertificates": [_shown(p) for p in certificates],
        "tlsEarlyData": body.get("tlsEarlyData", "DISABLED"),
        "region": c.link(f"projects/{project_id}/regions/{region_name}"),
        "selfLink": c.link(path),
        "fingerprint": c.fingerprint(),
    }
    if "quicOverride" in body:
        proxy["quicOverride"] = _quic(body["quicOverride"], "resource.quicOverride")
    return lb.write(call, KIND, "insert", proxy, [map_path, *_compute_only(certificates)])


@API.handles("compute.regionTargetHttpsProxies.patch")
@c.replaying
def patch_proxy(call: Call) -> Reply:
    _, region_name, path, current = c.regional_target(call, KIND)
    body = standard.drop_none(call.body or {})
    # A patch without a fingerprint is applied (exchange 24 of the log above).
    lb.check_fingerprint(body, current, required=False)
    for key in ("region", *c.OUTPUT_ONLY):
        body.pop(key, None)
    lb.check_unchanged(body, current, FIXED)
    changes = {k: v for k, v in body.items() if k not in FIXED}
    refs: list[str] = []
    if "urlMap" in body:
        map_path = _url_map(call, body["urlMap"], "resource.urlMap", region_name)
        changes["urlMap"] = c.link(map_path)
        refs.append(map_path)
    if "sslCertificates" in body:
        certificates = _certificates(call, body["sslCertificates"], "resource.sslCertificates", region_name)
        changes["sslCertificates"] = [_shown(p) for p in certificates]
        refs += _compute_only(certificates)
    if "quicOverride" in body:
        changes["quicOverride"] = _quic(body["quicOverride"], "resource.quicOverride")
    return lb.set_fields(call, KIND, "patch", path, current, changes, refs or None)


@API.handles("compute.regionTargetHttpsProxies.setSslCertificates")
@c.replaying
def set_certificates(call: Call) -> Reply:
    _, region_name, path, current = c.regional_target(call, KIND)
    paths = _certificates(call, (call.body or {}).get("sslCertificates"), "sslCertificates", region_name)
    links = [_shown(p) for p in paths]
    return lb.set_fields(
        call, KIND, "setSslCertificates", path, current, {"sslCertificates": links}, _compute_only(paths)
    )


@API.handles("compute.regionTargetHttpsProxies.setUrlMap")
@c.replaying
def set_url_map(call: Call) -> Reply:
    _, region_name, path, current = c.regional_target(call, KIND)
    map_path = _url_map(call, (call.body or {}).get("urlMap"), "urlMap", region_name)
    return lb.set_fields(call, KIND, "setUrlMap", path, current, {"urlMap": c.link(map_path)}, [map_path])


COLLECTION = cc.declare(
    API,
    cc.Collection(
        KIND,
        frozenset({"get", "list", "delete"}),
        resource="regionTargetHttpsProxies",
        referenced=True,
        refusals=(lb.IN_USE,),
    ),
)
