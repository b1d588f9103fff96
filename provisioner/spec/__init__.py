"""The desired-state spec: typed models per environment and the YAML loader that fills them.

The names below are loaded on first use: the engine imports small modules of this package
(`spec.ownership`, `spec.names`) without paying for pydantic and the YAML parser, which only a
command that reads a spec needs.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .errors import SpecError, SpecProblem
    from .loader import is_base_file, list_envs, load_env_spec
    from .models import EnvSpec

_WHERE = {
    "SpecError": ".errors",
    "SpecProblem": ".errors",
    "is_base_file": ".loader",
    "list_envs": ".loader",
    "load_env_spec": ".loader",
    "EnvSpec": ".models",
}

__all__ = ["EnvSpec", "SpecError", "SpecProblem", "is_base_file", "list_envs", "load_env_spec"]


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(_WHERE[name], __name__), name)
