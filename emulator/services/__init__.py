"""Service modules; every module here that defines `API` is served.

Adding a service means adding a module with an `API = Api(name, version)` and
its handlers; nothing else has to change.
"""

from __future__ import annotations

import importlib
import pkgutil

from emulator.registry import Api


def all_apis() -> list[Api]:
    apis: list[Api] = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        api = getattr(module, "API", None)
        if isinstance(api, Api):
            apis.append(api)
    return apis
