"""API descriptions from the discovery documents that googleapiclient ships.

Routes, parameters and schemas all come from these documents so that the
emulator accepts exactly what the real API accepts.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import googleapiclient

DOCUMENTS_DIR = Path(googleapiclient.__file__).parent / "discovery_cache" / "documents"


@dataclass(frozen=True)
class ApiDocument:
    name: str
    version: str
    service_path: str
    schemas: dict[str, Any]
    parameters: dict[str, Any]
    raw: dict[str, Any] = field(repr=False)

    def schema(self, ref: str) -> dict[str, Any]:
        return self.schemas[ref]


@dataclass(frozen=True)
class Method:
    id: str
    api: ApiDocument
    http_method: str
    path: str
    parameters: dict[str, Any]
    request_ref: str | None
    response_ref: str | None
    spec: dict[str, Any] = field(repr=False)

    @property
    def query_parameters(self) -> dict[str, Any]:
        return {k: v for k, v in self.parameters.items() if v.get("location") == "query"}


@cache
def load_document(name: str, version: str) -> ApiDocument:
    raw = json.loads((DOCUMENTS_DIR / f"{name}.{version}.json").read_text())
    return ApiDocument(
        name=raw["name"],
        version=raw["version"],
        service_path=raw.get("servicePath", ""),
        schemas=raw.get("schemas", {}),
        parameters=raw.get("parameters", {}),
        raw=raw,
    )


def iter_methods(doc: ApiDocument) -> list[Method]:
    found: list[Method] = []

    def walk(resources: dict[str, Any]) -> None:
        for resource in resources.values():
            for spec in resource.get("methods", {}).values():
                found.append(
                    Method(
                        id=spec["id"],
                        api=doc,
                        http_method=spec["httpMethod"],
                        path=spec["path"],
                        parameters=spec.get("parameters", {}),
                        request_ref=(spec.get("request") or {}).get("$ref"),
                        response_ref=(spec.get("response") or {}).get("$ref"),
                        spec=spec,
                    )
                )
            walk(resource.get("resources", {}))

    walk(doc.raw.get("resources", {}))
    return found


_VAR = re.compile(r"\{(\+?)([^}]+)\}")


@cache
def _compile(template: str, open_tail: bool = False) -> tuple[re.Pattern[str], list[str], int]:
    """A path template as an anchored regex, its variable names and its literal length.

    `open_tail` lets the last variable span several segments, for names whose final
    part holds slashes (a metric descriptor named by its metric type).

    Cached: the discovery documents hold more templates than `re` keeps compiled,
    and every emulator instance (one per test) routes the same ones."""
    pattern, names, literal, pos = "", [], 0, 0
    matches = list(_VAR.finditer(template))
    for i, m in enumerate(matches):
        text = template[pos : m.start()]
        pattern += re.escape(text)
        literal += len(text)
        group = f"v{len(names)}"
        names.append(m.group(2))
        spans = m.group(1) or (open_tail and i == len(matches) - 1)
        pattern += f"(?P<{group}>.+?)" if spans else f"(?P<{group}>[^/]+)"
        pos = m.end()
    tail = template[pos:]
    pattern += re.escape(tail)
    literal += len(tail)
    return re.compile(f"^{pattern}$"), names, literal


def _open_tail(method: Method) -> bool:
    """Whether the method's name parameter ends in a multi-segment wildcard (`.../.*`).

    Flat paths give every variable one segment; the parameter's own pattern says when
    the last one may hold slashes."""
    m = _VAR.search(method.path)
    if not m or not m.group(1):
        return False
    pattern = str(method.parameters.get(m.group(2), {}).get("pattern", ""))
    return pattern.endswith("/.*$")


@dataclass(frozen=True)
class Route:
    method: Method
    matcher: re.Pattern[str]
    literal_length: int
    params_matcher: re.Pattern[str]
    param_names: tuple[str, ...]
    upload: bool = False

    def path_params(self, path: str) -> dict[str, str]:
        m = self.params_matcher.match(path)
        if not m:
            return {}
        return {name: m.group(f"v{i}") for i, name in enumerate(self.param_names)}


class RouteTable:
    """Maps (HTTP method, path) to a discovery method, most literal template first."""

    def __init__(self) -> None:
        self._routes: list[Route] = []
        self.methods: dict[str, Method] = {}

    def add_document(self, doc: ApiDocument) -> None:
        for method in iter_methods(doc):
            self.methods[method.id] = method
            self._add(
                method,
                "/" + doc.service_path + method.spec.get("flatPath", method.path),
                "/" + doc.service_path + method.path,
                open_tail=_open_tail(method),
            )
            protocols = method.spec.get("mediaUpload", {}).get("protocols", {})
            simple = protocols.get("simple", {}).get("path")
            if simple:
                self._add(method, simple, simple, upload=True)
            if method.spec.get("useMediaDownloadService"):
                download = "/download/" + doc.service_path + method.path
                self._add(method, download, download)
        self._routes.sort(key=lambda r: -r.literal_length)

    def _add(
        self, method: Method, flat: str, path: str, upload: bool = False, open_tail: bool = False
    ) -> None:
        matcher, _, literal = _compile(flat, open_tail)
        params_matcher, names, _ = _compile(path)
        self._routes.append(Route(method, matcher, literal, params_matcher, tuple(names), upload))

    def candidates(self, http_method: str, path: str) -> list[Route]:
        """Routes matching the request, most literal template first."""
        return [r for r in self._routes if r.method.http_method == http_method and r.matcher.match(path)]

    def path_exists(self, path: str) -> bool:
        return any(r.matcher.match(path) for r in self._routes)
