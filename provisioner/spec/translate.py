"""Turn pydantic's validation errors into problems a person can act on.

Each error is placed at the nearest line the position index knows, and its
message says what was found and what would be valid.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
import types
from pathlib import Path
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from .errors import SpecProblem
from .rules import Path as KeyPath
from .rules import RuleViolations, format_path
from .yaml_source import EXTENDS_KEY, Position

_EXPECTED = {
    "int_type": "an integer",
    "int_parsing": "an integer",
    "float_type": "a number",
    "float_parsing": "a number",
    "string_type": "a string",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "dict_type": "a mapping (key: value lines)",
    "list_type": "a list",
    "model_type": "a mapping (key: value lines)",
    "model_attributes_type": "a mapping (key: value lines)",
}


def problems_from_validation(
    error: ValidationError,
    positions: dict[KeyPath, Position],
    default_file: Path,
    root: type[BaseModel],
) -> list[SpecProblem]:
    problems: list[SpecProblem] = []
    for detail in error.errors():
        loc = _clean_loc(detail["loc"])
        cause = (detail.get("ctx") or {}).get("error")
        if isinstance(cause, RuleViolations):
            for violation in cause.violations:
                problems.append(_problem((*loc, *violation.path), violation.message, positions, default_file))
            continue
        problems.append(_problem(loc, _message(detail, loc, root), positions, default_file))
    return problems


def _problem(
    loc: KeyPath, message: str, positions: dict[KeyPath, Position], default_file: Path
) -> SpecProblem:
    position = _nearest(loc, positions, default_file)
    return SpecProblem(position.file, position.line, format_path(loc), message)


def _nearest(loc: KeyPath, positions: dict[KeyPath, Position], default_file: Path) -> Position:
    for size in range(len(loc), 0, -1):
        if loc[:size] in positions:
            return positions[loc[:size]]
    return positions.get((), Position(default_file, None))


def _clean_loc(loc: tuple[int | str, ...]) -> KeyPath:
    """Drop pydantic's internal segments (``[key]``, validator and union branch names)."""
    return tuple(
        part
        for part in loc
        if isinstance(part, int) or not (part == "[key]" or re.match(r"^[a-z-]+\[.*\]$", part))
    )


def _describe(value: Any) -> str:
    if value is None:
        return "an empty value (null)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        hint = ""
        if re.fullmatch(r"-?\d+(\.\d+)?", value):
            hint = " (a quoted number; remove the quotes)"
        elif value.lower() in ("true", "false", "yes", "no", "on", "off"):
            hint = " (a string; write true or false without quotes)"
        return f"{value!r}{hint}"
    if isinstance(value, dt.date):
        return f"a date ({value.isoformat()}); quote it to make it a string"
    if isinstance(value, int | float):
        return f"{value} (a number)"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return repr(value)


def _message(detail: ErrorDetails, loc: KeyPath, root: type[BaseModel]) -> str:
    kind = detail["type"]
    value = detail.get("input")
    ctx = detail.get("ctx") or {}
    if kind == "extra_forbidden":
        return _unknown_key(loc, root)
    if kind == "missing":
        name = loc[-1] if loc else "?"
        return f"required key {name!r} is missing"
    if kind in _EXPECTED:
        expected = _EXPECTED[kind]
        if kind in ("model_type", "model_attributes_type", "dict_type"):
            model = _model_at(root, loc)
            if model is not None:
                expected += f" with keys {', '.join(model.model_fields)}"
        hint = ""
        if kind == "string_type" and isinstance(value, bool | int | float):
            hint = "; put it in quotes if it is meant as text"
        return f"expected {expected}, got {_describe(value)}{hint}"
    if kind == "literal_error":
        options = re.findall(r"'([^']*)'", str(ctx.get("expected", "")))
        guess = difflib.get_close_matches(str(value), options, n=1)
        return _with_suggestion(f"{_describe(value)} is not allowed", guess, "valid values", options)
    if kind == "value_error":
        return re.sub(r"^Value error, ", "", detail["msg"])
    message = detail["msg"].replace("Input should", "should").replace("Value should", "should")
    return f"{message}, got {_describe(value)}"


def _unknown_key(loc: KeyPath, root: type[BaseModel]) -> str:
    key = str(loc[-1]) if loc else "?"
    model = _model_at(root, loc[:-1])
    if model is None:
        return f"unknown key {key!r}"
    valid = list(model.model_fields)
    if model is root:
        valid.append(EXTENDS_KEY)
    guess = difflib.get_close_matches(key, valid, n=1, cutoff=0.6)
    return _with_suggestion(f"unknown key {key!r}", guess, "valid keys", valid)


def _with_suggestion(what: str, guess: list[str], label: str, valid: list[str]) -> str:
    """``<what>; did you mean 'x'? <label>: a, b`` (the question only when there is a close match)."""
    listing = f"{label}: {', '.join(valid)}"
    return f"{what}; did you mean {guess[0]!r}? {listing}" if guess else f"{what}; {listing}"


def _model_at(root: type[BaseModel], loc: KeyPath) -> type[BaseModel] | None:
    """The model class that validates the value at ``loc``, following fields, dicts and lists."""
    current: Any = root
    for part in loc:
        current = _unwrap(current)
        if isinstance(current, type) and issubclass(current, BaseModel):
            field = current.model_fields.get(str(part))
            if field is None:
                return None
            current = field.annotation
            continue
        origin = get_origin(current)
        args = get_args(current)
        if origin is dict and len(args) == 2:
            current = args[1]
        elif origin is list and args:
            current = args[0]
        else:
            return None
    current = _unwrap(current)
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _unwrap(annotation: Any) -> Any:
    """Strip ``Annotated`` and ``X | None`` down to the type that matters."""
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            annotation = get_args(annotation)[0]
        elif origin in (Union, types.UnionType):
            rest = [a for a in get_args(annotation) if a is not type(None)]
            if len(rest) != 1:
                return annotation
            annotation = rest[0]
        else:
            return annotation
