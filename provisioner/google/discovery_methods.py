"""Discovery clients that build a method when it is first called, not all of them up front.

googleapiclient builds every method of a collection each time the collection is reached
(`compute.networks()` builds insert, list, get, patch, delete, addPeering, …): each one parses
its parameters and pretty-prints its request and response schemas into a docstring. A plan
calls one method of most collections, so building all of them was most of a no-op plan's CPU
time. Methods still come from `googleapiclient.discovery.createMethod`, unchanged; only the
moment they are built moves, from the collection's creation to the method's first use, and
their docstrings name the body's schema instead of pretty-printing a prototype of it (no one
reads the docstrings of a client built at run time; `help()` still shows every parameter).
"""

from __future__ import annotations

import threading
from typing import Any

_installed = False
_install_lock = threading.Lock()
#: createMethod fills in defaults inside the shared discovery document; one builder at a time.
_build_lock = threading.Lock()


def _without_prototypes(schemas: Any) -> Any:
    """The client's schemas, but a docstring's body prototype is just the schema's name."""
    wrapped = schemas.__dict__.get("_without_prototypes")
    if wrapped is None:
        from googleapiclient.schema import Schemas

        class SchemasWithoutPrototypes(Schemas):  # type: ignore[misc]
            def __init__(self, original: Any) -> None:
                self.schemas = original.schemas
                self.pretty: dict[str, str] = {}

            def prettyPrintByName(self, name: str) -> str:
                return f"(a {name}: see the API reference)"

            def prettyPrintSchema(self, schema: Any) -> str:
                return f"(a {schema.get('$ref', 'JSON object')}: see the API reference)"

        wrapped = schemas.__dict__["_without_prototypes"] = SchemasWithoutPrototypes(schemas)
    return wrapped


def install() -> None:
    """Make googleapiclient's `Resource` build its methods on first use (idempotent)."""
    global _installed
    with _install_lock:
        if _installed:
            return
        from googleapiclient import discovery

        eager = discovery.Resource._add_basic_methods

        def add_methods_lazily(self: Any, resource_desc: Any, root_desc: Any, schema: Any) -> None:
            # The root keeps the library's own path: it also adds new_batch_http_request.
            if resource_desc is root_desc or "methods" not in resource_desc:
                eager(self, resource_desc, root_desc, schema)
                return
            lazy: dict[str, tuple[str, Any]] = {}
            for name, desc in resource_desc["methods"].items():
                lazy[discovery.fix_method_name(name)] = (name, desc)
                if desc.get("supportsMediaDownload", False):
                    lazy[discovery.fix_method_name(name + "_media")] = (name + "_media", desc)
            self.__dict__["_lazy_methods"] = lazy

        def build_on_first_use(self: Any, attr: str) -> Any:
            lazy = self.__dict__.get("_lazy_methods")
            if not lazy or attr not in lazy:
                raise AttributeError(f"{type(self).__name__!r} object has no attribute {attr!r}")
            with _build_lock:
                built = self.__dict__.get(attr)
                if built is None:
                    name, desc = lazy[attr]
                    schema = _without_prototypes(self._schema)
                    fixed, method = discovery.createMethod(name, desc, self._rootDesc, schema)
                    built = method.__get__(self, type(self))
                    self._set_dynamic_attr(fixed, built)
            return built

        discovery.Resource._add_basic_methods = add_methods_lazily
        discovery.Resource.__getattr__ = build_on_first_use
        _installed = True
