"""Reading spec files: YAML with line numbers, ``extends`` chains and deep merge.

The position index maps every key path to the file and line its value came
from after merging, so a mistake inherited from ``base.yaml`` is reported in
``base.yaml`` rather than in the environment file that extends it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from .errors import SpecError, SpecProblem
from .rules import Path as KeyPath

EXTENDS_KEY = "extends"


@dataclass(frozen=True)
class Position:
    file: Path
    line: int | None


@dataclass
class SourceDoc:
    data: dict[str, Any]
    positions: dict[KeyPath, Position] = field(default_factory=dict)
    chain: list[Path] = field(default_factory=list)
    """The files that contributed, base first."""


def _plain(node: Any, file: Path, path: KeyPath, positions: dict[KeyPath, Position]) -> Any:
    """Convert ruamel's round-trip types to plain Python, recording where each key sits."""
    if isinstance(node, CommentedMap):
        out: dict[Any, Any] = {}
        for key in node:
            plain_key = _plain_scalar(key)
            line = node.lc.key(key)[0] + 1
            child = (*path, plain_key)
            positions[child] = Position(file, line)
            out[plain_key] = _plain(node[key], file, child, positions)
        return out
    if isinstance(node, CommentedSeq):
        items = []
        for index, item in enumerate(node):
            child = (*path, index)
            positions[child] = Position(file, node.lc.item(index)[0] + 1)
            items.append(_plain(item, file, child, positions))
        return items
    return _plain_scalar(node)


def _plain_scalar(value: Any) -> Any:
    if value is None or type(value) in (bool, int, float, str):
        return value
    # ruamel's ScalarBoolean subclasses int, so it must be caught before the int case.
    if type(value).__name__ == "ScalarBoolean":
        return bool(value)
    for kind in (int, float, str):
        if isinstance(value, kind):
            return kind(value)
    return value


def read_yaml(file: Path) -> SourceDoc:
    """Parse one file; syntax errors become a :class:`SpecError` naming file and line."""
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SpecError([SpecProblem(file, None, "", "file not found")]) from None
    except OSError as exc:
        raise SpecError([SpecProblem(file, None, "", f"cannot read file: {exc.strerror}")]) from None
    yaml = YAML(typ="rt")
    try:
        root = yaml.load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        reason = " ".join(filter(None, [exc.context, exc.problem])) or "invalid YAML"
        raise SpecError([SpecProblem(file, line, "", f"YAML syntax error: {reason}")]) from None
    except YAMLError as exc:
        raise SpecError([SpecProblem(file, None, "", f"YAML syntax error: {exc}")]) from None
    if root is None:
        root = CommentedMap()
    if not isinstance(root, CommentedMap):
        raise SpecError(
            [SpecProblem(file, 1, "", f"a spec file must be a mapping of keys, not a {type(root).__name__}")]
        )
    positions: dict[KeyPath, Position] = {(): Position(file, None)}
    data = _plain(root, file, (), positions)
    return SourceDoc(data=data, positions=positions, chain=[file])


def _drop_subtree(positions: dict[KeyPath, Position], prefix: KeyPath) -> None:
    size = len(prefix)
    for key in [k for k in positions if k[:size] == prefix]:
        del positions[key]


def _copy_subtree(source: dict[KeyPath, Position], target: dict[KeyPath, Position], prefix: KeyPath) -> None:
    size = len(prefix)
    for key, position in source.items():
        if key[:size] == prefix:
            target[key] = position


def _merge_into(
    base: dict[str, Any],
    override: dict[str, Any],
    path: KeyPath,
    positions: dict[KeyPath, Position],
    override_positions: dict[KeyPath, Position],
) -> None:
    """Maps merge key by key; anything else (lists, scalars, null) replaces the base value."""
    for key, value in override.items():
        child = (*path, key)
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            if child in override_positions:
                positions[child] = override_positions[child]
            _merge_into(base[key], value, child, positions, override_positions)
        else:
            base[key] = value
            _drop_subtree(positions, child)
            _copy_subtree(override_positions, positions, child)


def merge(base: SourceDoc, override: SourceDoc) -> SourceDoc:
    positions = dict(base.positions)
    data = _deep_copy(base.data)
    _merge_into(data, override.data, (), positions, override.positions)
    positions[()] = override.positions.get((), Position(override.chain[-1], None))
    return SourceDoc(data=data, positions=positions, chain=[*base.chain, *override.chain])


def _deep_copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _deep_copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_deep_copy(v) for v in value]
    return value


def load_with_extends(file: Path, _stack: tuple[Path, ...] = ()) -> SourceDoc:
    """Read ``file`` and, recursively, the files it extends, merged base first."""
    doc = read_yaml(file)
    if EXTENDS_KEY not in doc.data:
        return doc
    target = doc.data.pop(EXTENDS_KEY)
    where = doc.positions.pop((EXTENDS_KEY,), Position(file, None))
    if not isinstance(target, str) or not target:
        raise SpecError(
            [SpecProblem(file, where.line, EXTENDS_KEY, "extends must be a file name such as 'base.yaml'")]
        )
    parent = (file.parent / target).resolve()
    chain = (*_stack, file.resolve())
    if parent in chain:
        cycle = " -> ".join(p.name for p in (*chain, parent))
        raise SpecError([SpecProblem(file, where.line, EXTENDS_KEY, f"extends forms a cycle: {cycle}")])
    if not parent.is_file():
        raise SpecError(
            [
                SpecProblem(
                    file,
                    where.line,
                    EXTENDS_KEY,
                    f"extends names {target!r}, but {parent} does not exist"
                    " (paths are relative to the extending file)",
                )
            ]
        )
    base = load_with_extends(_display_path(parent, file), chain)
    return merge(base, doc)


def _display_path(parent: Path, child: Path) -> Path:
    """Keep paths as short as the caller gave them: relative to the child's folder when possible."""
    try:
        return child.parent / parent.relative_to(child.parent.resolve())
    except ValueError:
        return parent
