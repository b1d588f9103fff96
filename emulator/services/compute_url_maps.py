"""Compute Engine global URL maps.

A URL map has exactly one default action (a backend service, a redirect, or weighted
backends); host rules must name path matchers that exist, each path matcher must be used by
a host rule, hosts and paths are unique, and every backend service it routes to must exist
and share one load-balancing scheme. `patch` needs the current fingerprint; `update` (PUT)
checks one if sent (a stale one is a 412) and is applied without. A URL map that a target proxy
uses cannot be deleted.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from emulator.registry import Api, Call, Reply
from emulator.services import _compute as c
from emulator.services import _compute_collection as cc
from emulator.services import _lb as lb

API = Api("compute", "v1")

KEPT = ("kind", "id", "creationTimestamp", "name", "selfLink")
_PATH = re.compile(r"^/[^*?#]*(/\*)?$|^/\*$")
REDIRECT_DEFAULTS = {"redirectResponseCode": "MOVED_PERMANENTLY_DEFAULT", "stripQuery": False}
KIND = c.Global("urlMaps", lb.URL_MAP, "compute#urlMap", "urlMap")


def _one_default(holder: dict[str, Any], field: str) -> None:
    given = [k for k in ("defaultService", "defaultUrlRedirect", "defaultRouteAction") if holder.get(k)]
    if len(given) > 1:
        raise c.field_error(
            f"{field}.{given[1]}",
            "",
            "Only one of defaultService, defaultUrlRedirect, defaultRouteAction may be set.",
        )
    # None at the top is accepted when path matchers route the traffic: a URL map of host rules
    # and path matchers only, with a default custom error policy, is made (exchange 16 of
    # conformance/kcc-golden/compute/v1beta1/computeurlmap/globalcomputeurlmap/_http.log).
    if not given and field == "resource" and not holder.get("pathMatchers"):
        raise c.field_error(
            "resource.defaultService",
            "",
            "One of defaultService, defaultUrlRedirect, defaultRouteAction is required.",
        )


def _redirect(value: dict[str, Any] | None) -> dict[str, Any] | None:
    if value is None:
        return None
    if value.get("httpsRedirect") is None and not any(
        value.get(k) for k in ("hostRedirect", "pathRedirect", "prefixRedirect")
    ):
        raise c.field_error("resource.defaultUrlRedirect", "", "A redirect must change something.")
    return {**REDIRECT_DEFAULTS, "httpsRedirect": False, **value}


def _check_matchers(body: dict[str, Any]) -> None:
    matchers = body.get("pathMatchers", [])
    names = [m.get("name") for m in matchers]
    for i, matcher in enumerate(matchers):
        field = f"resource.pathMatchers[{i}]"
        c.check_name(matcher.get("name"), f"{field}.name")
        if names.count(matcher["name"]) > 1:
            raise c.field_error(f"{field}.name", matcher["name"], "Path matcher names must be unique.")
        _one_default(matcher, field)
        seen: set[str] = set()
        for j, rule in enumerate(matcher.get("pathRules", [])):
            rule_field = f"{field}.pathRules[{j}]"
            if not rule.get("paths"):
                raise c.required_error(f"{rule_field}.paths")
            for path in rule["paths"]:
                if not _PATH.match(path):
                    raise c.field_error(
                        f"{rule_field}.paths", path, "A path starts with '/' and may only end in '/*'."
                    )
                if path in seen:
                    raise c.field_error(
                        f"{rule_field}.paths", path, "Paths must be unique within a path matcher."
                    )
                seen.add(path)
            actions = [k for k in ("service", "urlRedirect", "routeAction") if rule.get(k)]
            if len(actions) != 1:
                raise c.field_error(
                    rule_field, "", "A path rule needs exactly one of service, urlRedirect, routeAction."
                )
    hosts: set[str] = set()
    used: set[str] = set()
    for i, host_rule in enumerate(body.get("hostRules", [])):
        field = f"resource.hostRules[{i}]"
        if host_rule.get("pathMatcher") not in names:
            raise c.field_error(
                f"{field}.pathMatcher", host_rule.get("pathMatcher", ""), "The path matcher does not exist."
            )
        used.add(host_rule["pathMatcher"])
        for host in host_rule.get("hosts") or []:
            if host in hosts:
                raise c.field_error(f"{field}.hosts", host, "A host may appear in only one host rule.")
            hosts.add(host)
        if not host_rule.get("hosts"):
            raise c.required_error(f"{field}.hosts")
    for i, name in enumerate(names):
        if name not in used:
            raise c.field_error(
                f"resource.pathMatchers[{i}]", name, "The path matcher is not used by any host rule."
            )


def _backend_collection(value: Any) -> str:
    """What a global URL map's service reference names: a backend service, or a backend bucket
    ("defaultService: The full or partial URL of the defaultService resource to which traffic is
    directed ... a backendService or backendBucket", https://cloud.google.com/compute/docs/
    reference/rest/v1/urlMaps; conformance/kcc-history/compute/v1beta1/computeurlmap/
    globalcomputeurlmap@7f9957d926 #16 routes a path matcher to a backend bucket, answered 200)."""
    return "backendBuckets" if "/backendBuckets/" in f"/{value}" else "backendServices"


def _services(call: Call, body: dict[str, Any]) -> list[str]:
    """Every backend the map routes to, checked to exist, the backend services with one scheme."""
    paths: list[str] = []
    schemes: set[str] = set()
    for value in lb.url_map_services(body):
        collection = _backend_collection(value)
        path, service = lb.reference(call, value, "resource.defaultService", collection)
        if collection == "backendServices":
            schemes.add(service.get("loadBalancingScheme", "EXTERNAL"))
        if path not in paths:
            paths.append(path)
    if len(schemes) > 1:
        raise c.field_error(
            "resource",
            sorted(schemes),
            "All backend services of a URL map must use the same load balancing scheme.",
        )
    return paths


def _linked(call: Call, body: dict[str, Any]) -> dict[str, Any]:
    """The body with every backend reference written as a full link, as the API returns it."""

    def fix(value: str) -> str:
        collection = _backend_collection(value)
        return c.link(lb.reference_path(call, value, "resource.defaultService", collection))

    out = copy.deepcopy(body)
    if out.get("defaultService"):
        out["defaultService"] = fix(out["defaultService"])
    for matcher in out.get("pathMatchers", []):
        if matcher.get("defaultService"):
            matcher["defaultService"] = fix(matcher["defaultService"])
        for rule in matcher.get("pathRules", []):
            if rule.get("service"):
                rule["service"] = fix(rule["service"])
            if rule.get("urlRedirect"):
                rule["urlRedirect"] = _redirect(rule["urlRedirect"])
        if matcher.get("defaultUrlRedirect"):
            matcher["defaultUrlRedirect"] = _redirect(matcher["defaultUrlRedirect"])
    if out.get("defaultUrlRedirect"):
        out["defaultUrlRedirect"] = _redirect(out["defaultUrlRedirect"])
    _with_zero_nanos(out)
    # A test sent without a description is shown with an empty one (exchange 11 of
    # conformance/kcc-golden/compute/v1beta1/computeurlmap/regionalcomputeurlmap-direct/_http.log).
    out["tests"] = [{"description": "", **test} for test in out.get("tests", [])]
    return out


def _with_zero_nanos(value: Any) -> None:
    """A retry policy's per-try timeout is shown with `nanos: 0` where none was sent (exchanges 9
    and 11 of conformance/kcc-golden/compute/v1beta1/computeurlmap/regionalcomputeurlmap-direct/
    _http.log: `{"seconds": "30"}` sent, `{"nanos": 0, "seconds": "30"}` read)."""
    if isinstance(value, dict):
        timeout = (value.get("retryPolicy") or {}).get("perTryTimeout")
        if isinstance(timeout, dict):
            timeout.setdefault("nanos", 0)
        for item in value.values():
            _with_zero_nanos(item)
    elif isinstance(value, list):
        for item in value:
            _with_zero_nanos(item)


def build(call: Call, body: dict[str, Any], base: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """A whole URL map from a body, checked as the API checks it, and the backend services it
    routes to (global or regional: a regional URL map builds its own the same way)."""
    _one_default(body, "resource")
    _check_matchers(body)
    services = _services(call, body)
    url_map = {**_linked(call, body), **base, "fingerprint": c.fingerprint()}
    for key in ("hostRules", "pathMatchers", "tests"):
        if not url_map.get(key):
            url_map.pop(key, None)  # the API omits empty lists
    return url_map, services


def _rewrite(call: Call, body: dict[str, Any], current: dict[str, Any], op_type: str) -> Reply:
    if body.get("name", current["name"]) != current["name"]:
        raise c.field_error("resource.name", body["name"], "The name cannot be changed.")
    base = {k: current[k] for k in KEPT if k in current}
    fields = {k: v for k, v in body.items() if k not in KEPT and k != "fingerprint"}
    url_map, refs = build(call, fields, base)
    return lb.write(call, KIND, op_type, url_map, refs)


@API.handles("compute.urlMaps.invalidateCache")
def invalidate_cache(call: Call) -> Reply:
    path = KIND.path(call)
    current = c.fetch(call, lb.URL_MAP, path)
    if not (call.body or {}).get("path"):
        raise c.required_error("path")
    return c.global_operation(call, KIND, "invalidateCache", path, current["id"], [])


COLLECTION = cc.declare(
    API,
    cc.built_whole(
        KIND,
        build,
        _rewrite,
        aggregated_kind="compute#urlMapsAggregatedList",
        # An update without a fingerprint is applied: exchange 18 of conformance/kcc-golden/
        # compute/v1beta1/computeurlmap/globalcomputeurlmap/_http.log (and of its -direct,
        # additive, additive-direct and reducer-direct siblings) sends none, answered 200.
        update_needs_fingerprint=False,
        refusals=(lb.IN_USE, lb.STALE_FINGERPRINT),
    ),
)
