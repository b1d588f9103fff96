"""Load and validate an environment's spec from the specs folder.

File naming rule: every ``*.yaml`` file in the specs folder is an environment
named after the file (``staging.yaml`` is env ``staging``), except *base files*,
which exist only to be extended: ``base.yaml`` and any file whose name starts
with ``_`` (``_gpu.yaml``). An environment file's ``env:`` must equal its name.
"""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import ValidationError

from .errors import SpecError, SpecProblem
from .ignore import record_sources
from .models import ENV_NAME, EnvSpec
from .translate import problems_from_validation
from .yaml_source import Position, load_with_extends

SPEC_SUFFIX = ".yaml"


def is_base_file(path: Path) -> bool:
    return path.stem == "base" or path.stem.startswith("_")


def list_envs(specs_dir: Path) -> list[str]:
    """Environment names, sorted, from the spec files in ``specs_dir``."""
    return sorted(
        p.stem for p in Path(specs_dir).glob(f"*{SPEC_SUFFIX}") if p.is_file() and not is_base_file(p)
    )


def specs_folder_problem(specs_dir: Path) -> str | None:
    """Why ``specs_dir`` cannot serve as the specs folder, or None when it can."""
    try:
        if not specs_dir.is_dir():
            return f"the specs folder {'is not a folder' if specs_dir.exists() else 'does not exist'}"
        if not os.access(specs_dir, os.R_OK | os.X_OK):
            return "the specs folder cannot be read (permission denied)"
    except (OSError, ValueError) as exc:
        return f"the specs folder cannot be read: {getattr(exc, 'strerror', None) or exc}"
    return None


def load_env_spec(specs_dir: Path, env: str) -> EnvSpec:
    """Read ``specs_dir / f"{env}.yaml"`` (and what it extends) and validate it.

    Raises :class:`SpecError` listing every problem found.
    """
    specs_dir = Path(specs_dir)
    file = specs_dir / f"{env}{SPEC_SUFFIX}"
    if is_base_file(file):
        raise SpecError(
            [SpecProblem(file, None, "", f"{file.name} is a base file to extend, not an environment")]
        )
    if not ENV_NAME.fullmatch(env):
        # Checked before the name becomes part of a path that is read: '../x', '/etc/x'
        # or a NUL byte must not reach the file system.
        raise SpecError(
            [
                SpecProblem(
                    specs_dir,
                    None,
                    "",
                    f"{env!r} is not an environment name; names are 2-15 characters of lowercase"
                    " letters, digits and '-', starting with a letter (e.g. dev, staging, prod)",
                )
            ]
        )
    problem = specs_folder_problem(specs_dir)
    if problem:
        raise SpecError([SpecProblem(specs_dir, None, "", problem)])
    if not file.is_file():
        known = ", ".join(list_envs(specs_dir)) or "none"
        raise SpecError(
            [SpecProblem(file, None, "", f"no spec for environment {env!r}; environments: {known}")]
        )
    doc = load_with_extends(file)
    problems: list[SpecProblem] = []
    declared = doc.data.get("env")
    if isinstance(declared, str) and declared != env:
        where = doc.positions.get(("env",), Position(file, None))
        problems.append(
            SpecProblem(
                where.file,
                where.line,
                "env",
                f"env is {declared!r} but the file is {file.name}; the env must match the file name"
                f" (env: {env})",
            )
        )
    try:
        spec = EnvSpec.model_validate(doc.data)
    except ValidationError as exc:
        problems.extend(problems_from_validation(exc, doc.positions, file, EnvSpec))
        raise SpecError(problems) from None
    if problems:
        raise SpecError(problems)
    record_sources(spec.ignore, doc.positions, file)
    return spec
