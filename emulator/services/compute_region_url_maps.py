"""Compute Engine regional URL maps, for the regional (internal or external managed) load
balancers of a region.

A regional URL map is checked as a global one is (one default action, path matchers used by
host rules, unique hosts and paths) and routes only to backend services of its own region,
which must exist. `update` (PUT) and `patch` need the current fingerprint; a URL map a
regional target proxy uses cannot be deleted.
"""

from __future__ import annotations

from typing import Any

from emulator import standard
from emulator.refusal import refusal
from emulator.registry import Api, Call, Reply
from emulator.services import _compute as c
from emulator.services import _compute_collection as cc
from emulator.services import _lb as lb
from emulator.services import compute_url_maps as url_maps

API = Api("compute", "v1")

KIND = c.Regional("urlMaps", lb.REGION_URL_MAP, "compute#urlMap", "urlMap")
KEPT = ("kind", "id", "creationTimestamp", "name", "selfLink", "region")


def _built(
    call: Call, body: dict[str, Any], base: dict[str, Any], region_name: str
) -> tuple[dict[str, Any], list[str]]:
    # `region` is output only: the recording sends the bare name or "projects/<p>/global/
    # regions/<r>", answered 200 (exchange 9 of conformance/kcc-golden/compute/v1beta1/
    # computeurlmap/regionalcomputeurlmap-direct/_http.log, exchange 9 of .../computetargethttpsproxy/
    # regionaltargethttpsproxy/_http.log).
    fields = {k: v for k, v in body.items() if k not in (*KEPT, "fingerprint")}
    for value in lb.url_map_services(fields):
        path = lb.reference_path(call, value, "resource.defaultService", "backendServices")
        if path.split("/")[2:4] != ["regions", region_name]:
            raise c.field_error(
                "resource.defaultService",
                value,
                f"A regional URL map routes to backend services of {region_name}.",
            )
    return url_maps.build(call, fields, base)


@API.handles("compute.regionUrlMaps.insert")
@c.replaying
def insert_url_map(call: Call) -> Reply:
    project_id, region_name, body, path, base = c.regional_insert(call, KIND)
    base = {
        **base,
        "name": body["name"],
        "region": c.link(f"projects/{project_id}/regions/{region_name}"),
        "selfLink": c.link(path),
    }
    url_map, refs = _built(call, body, base, region_name)
    return lb.write(call, KIND, "insert", url_map, refs)


def _rewrite(call: Call, body: dict[str, Any], op_type: str) -> Reply:
    _, region_name, _, current = c.regional_target(call, KIND)
    if body.get("name", current["name"]) != current["name"]:
        raise c.field_error("resource.name", body["name"], "The name cannot be changed.")
    # "An up-to-date fingerprint must be provided in order to update the UrlMap, otherwise the
    # request will fail with error 412 conditionNotMet."
    # (https://cloud.google.com/compute/docs/reference/rest/v1/regionUrlMaps, fingerprint)
    lb.check_fingerprint(body, current)
    base = {k: current[k] for k in KEPT if k in current}
    url_map, refs = _built(call, body, base, region_name)
    return lb.write(call, KIND, op_type, url_map, refs)


@API.handles("compute.regionUrlMaps.update")
@c.replaying
def update_url_map(call: Call) -> Reply:
    return _rewrite(call, standard.drop_none(call.body or {}), "update")


@API.handles("compute.regionUrlMaps.patch")
@c.replaying
def patch_url_map(call: Call) -> Reply:
    current = c.fetch(call, lb.REGION_URL_MAP, KIND.paths(call)[2])
    body = standard.drop_none(call.body or {})
    merged = standard.merge_patch(c.public(current), body)
    merged["fingerprint"] = body.get("fingerprint")
    return _rewrite(call, merged, "patch")


OWN_REGION = refusal(
    "compute.regionUrlMaps.insert|update|patch",
    "a backend service of another region or a global one, or one that does not exist",
    source="https://cloud.google.com/compute/docs/reference/rest/v1/regionUrlMaps (defaultService: "
    "a regional backend service)",
    test="tests/emulator/test_compute_regional.py::test_regional_url_map_routes_within_its_region_and_needs_its_fingerprint",
)

COLLECTION = cc.declare(
    API,
    cc.Collection(
        KIND,
        frozenset({"get", "list", "delete"}),
        resource="regionUrlMaps",
        referenced=True,
        refusals=(lb.IN_USE, lb.STALE_FINGERPRINT, OWN_REGION),
    ),
)
