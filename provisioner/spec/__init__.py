"""The desired-state spec: typed models per environment and the YAML loader that fills them."""

from .errors import SpecError, SpecProblem
from .loader import is_base_file, list_envs, load_env_spec
from .models import EnvSpec

__all__ = ["EnvSpec", "SpecError", "SpecProblem", "is_base_file", "list_envs", "load_env_spec"]
