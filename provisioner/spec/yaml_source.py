"""Reading spec files: YAML with line numbers, ``extends`` chains and deep merge.

The position index maps every key path to the file and line its value came
from after merging, so a mistake inherited from ``base.yaml`` is reported in
``base.yaml`` rather than in the environment file that extends it.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import (
    CommentedKeyMap,
    CommentedKeySeq,
    CommentedMap,
    CommentedSeq,
    CommentedSet,
    TaggedScalar,
)
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.events import CollectionEndEvent, CollectionStartEvent

from .errors import SpecError, SpecProblem
from .rules import Path as KeyPath
from .rules import format_path

EXTENDS_KEY = "extends"
#: Lists an extending file adds to rather than replaces: an environment's ignore rules come on
#: top of the shared ones, as people expect of a list of exceptions.
ADDED_LISTS: frozenset[KeyPath] = frozenset({("ignore",)})

# Limits that keep a malformed or hostile file from eating time and memory before
# validation can say what is wrong. The shipped specs are ~10 KB, ~7 levels deep and
# ~1,000 values after merging, so the limits leave a wide margin.
MAX_FILE_BYTES = 256 * 1024
MAX_DEPTH = 64
"""Nesting of mappings and lists; deeper documents would exhaust the parser's recursion."""
MAX_VALUES = 100_000
"""Values after aliases are expanded: an alias of an alias of a list (a "billion laughs"
document) stays small as text but would expand to billions of values."""
MAX_TEXT_CHARS = 16 * 1024
"""One key or value; nothing in a spec (names, descriptions, env values) comes close."""
MAX_EXTENDS_DEPTH = 16
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
"""Google APIs carry integers as int64; a larger number could never be sent."""

_YAML_TAG_PREFIX = "tag:yaml.org,2002:"
_COLLECTION_TAGS = frozenset(f"{_YAML_TAG_PREFIX}{name}" for name in ("map", "omap", "seq"))


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


class _Converter:
    """Convert ruamel's round-trip types to plain Python, recording where each key sits.

    Aliases are walked again at every use, so the walk counts values and stops at
    :data:`MAX_VALUES`; values a spec cannot hold (custom tags, sets, binary, numbers
    beyond int64, giant strings, non-text keys) are collected as problems.
    """

    def __init__(self, file: Path) -> None:
        self.file = file
        self.positions: dict[KeyPath, Position] = {(): Position(file, None)}
        self.problems: list[SpecProblem] = []
        self.values = 0

    def problem(self, path: KeyPath, line: int | None, message: str) -> None:
        self.problems.append(SpecProblem(self.file, line, format_path(path), message))

    def _count(self) -> None:
        self.values += 1
        if self.values > MAX_VALUES:
            raise SpecError(
                [
                    SpecProblem(
                        self.file,
                        None,
                        "",
                        f"the document expands to more than {MAX_VALUES} values; aliases (*name) that"
                        " repeat large anchored blocks are refused",
                    )
                ]
            )

    def convert(self, node: Any, path: KeyPath, line: int | None) -> Any:
        self._count()
        if isinstance(node, CommentedMap):
            self._check_tag(node, path, line)
            out: dict[Any, Any] = {}
            for key in node:
                child_line = _key_line(node, key)
                plain_key = self.scalar(key, path, child_line, is_key=True)
                child = (*path, plain_key)
                self.positions[child] = Position(self.file, child_line)
                out[plain_key] = self.convert(node[key], child, child_line)
            return out
        if isinstance(node, CommentedSeq):
            self._check_tag(node, path, line)
            items = []
            for index, item in enumerate(node):
                child = (*path, index)
                child_line = _item_line(node, index, line)
                self.positions[child] = Position(self.file, child_line)
                items.append(self.convert(item, child, child_line))
            return items
        return self.scalar(node, path, line)

    def _check_tag(self, node: Any, path: KeyPath, line: int | None) -> None:
        tag = getattr(getattr(node, "tag", None), "value", None)
        if tag and tag not in _COLLECTION_TAGS:
            self.problem(path, line, f"the YAML tag {_short_tag(tag)} is not supported; remove it")

    def scalar(self, value: Any, path: KeyPath, line: int | None, is_key: bool = False) -> Any:
        what = "key" if is_key else "value"
        if isinstance(value, TaggedScalar):
            tag = value.tag.value or ""
            if tag == f"{_YAML_TAG_PREFIX}str":
                value = str(value.value)
            else:
                message = f"the YAML tag {_short_tag(tag)} is not supported; write a plain {what}"
                self.problem(path, line, message)
                return f"<{tag} {value.value}>"
        if isinstance(value, CommentedKeyMap | CommentedKeySeq | CommentedMap | CommentedSeq):
            self.problem(path, line, "a mapping or list cannot be a key; write a plain name")
            return f"<{type(value).__name__}>"
        value = _plain_scalar(value)
        if isinstance(value, bool) or value is None:
            pass
        elif isinstance(value, int):
            if not INT64_MIN <= value <= INT64_MAX:
                self.problem(
                    path, line, f"the number {_short_number(value)} is too large; numbers must fit in 64 bits"
                )
                return 0
        elif isinstance(value, str):
            if len(value) > MAX_TEXT_CHARS:
                self.problem(
                    path,
                    line,
                    f"this {what} is {len(value)} characters long; the limit is {MAX_TEXT_CHARS}",
                )
                return value[:32] + "..."
            try:
                value.encode("utf-8")
            except UnicodeEncodeError as exc:
                bad = value[exc.start]
                self.problem(path, line, f"this {what} holds {bad!r}, which is not a Unicode character")
                return value.encode("utf-8", "backslashreplace").decode("utf-8")
        elif not isinstance(value, float | dt.date):
            if isinstance(value, bytes):
                kind = "binary data (!!binary)"
            elif isinstance(value, CommentedSet):
                kind = "a set (!!set)"
            else:
                kind = f"a YAML {type(value).__name__}"
            self.problem(path, line, f"{kind} cannot be used here; write a plain {what}")
            return repr(value)[:64]
        if is_key and not isinstance(value, str):
            shown = _yaml_spelling(value)
            message = f"key {shown} is not text; quote it if it is meant as a name ('{shown}':)"
            self.problem(path, line, message)
            return shown
        return value


def _yaml_spelling(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _clip(text: str, size: int = 60) -> str:
    return text if len(text) <= size else text[: size - 3] + "..."


def _short_tag(tag: str) -> str:
    return "!!" + tag.removeprefix(_YAML_TAG_PREFIX) if tag.startswith(_YAML_TAG_PREFIX) else tag


def _key_line(node: CommentedMap, key: Any) -> int | None:
    """1-based line of ``key``; keys merged in with ``<<`` or from ``!!omap`` fall back to the map's."""
    entry = (node.lc.data or {}).get(key) if node.lc.data is not None else None
    if entry:
        return int(entry[0]) + 1
    return node.lc.line + 1 if node.lc.line is not None else None


def _item_line(node: CommentedSeq, index: int, fallback: int | None) -> int | None:
    entry = (node.lc.data or {}).get(index) if node.lc.data is not None else None
    return int(entry[0]) + 1 if entry else fallback


def _short_number(value: int) -> str:
    digits = len(str(abs(value))) if value.bit_length() < 4000 else None
    if digits is not None and digits <= 30:
        return str(value)
    return f"with {digits or 'thousands of'} digits"


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


def _expanded_size(node: Any, sizes: dict[int, int]) -> int:
    """Values ``node`` stands for once every alias is expanded.

    An alias is the same object as its anchor, so sizes are remembered per object: the
    count takes time in proportion to the text even when the expansion is astronomical.
    """
    known = sizes.get(id(node))
    if known is not None:
        return known
    if isinstance(node, CommentedMap):
        size = 1 + sum(_expanded_size(k, sizes) + _expanded_size(v, sizes) for k, v in node.items())
    elif isinstance(node, CommentedSeq):
        size = 1 + sum(_expanded_size(item, sizes) for item in node)
    else:
        return 1
    sizes[id(node)] = size
    return size


def _check_depth(text: str, file: Path) -> None:
    """Refuse documents nested deeper than :data:`MAX_DEPTH` before the recursive composer sees them."""
    depth = 0
    for event in YAML(typ="rt").parse(text):
        if isinstance(event, CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                line = event.start_mark.line + 1 if event.start_mark is not None else None
                raise SpecError(
                    [SpecProblem(file, line, "", f"mappings and lists are nested more than {MAX_DEPTH} deep")]
                )
        elif isinstance(event, CollectionEndEvent):
            depth -= 1


def read_yaml(file: Path) -> SourceDoc:
    """Parse one file; syntax errors become a :class:`SpecError` naming file and line."""
    try:
        with file.open("rb") as stream:
            raw = stream.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        raise SpecError([SpecProblem(file, None, "", "file not found")]) from None
    except IsADirectoryError:
        raise SpecError([SpecProblem(file, None, "", "is a folder, not a spec file")]) from None
    except (OSError, ValueError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise SpecError([SpecProblem(file, None, "", f"cannot read file: {reason}")]) from None
    if len(raw) > MAX_FILE_BYTES:
        message = f"the file is larger than {MAX_FILE_BYTES // 1024} KiB; is it a spec?"
        raise SpecError([SpecProblem(file, None, "", message)])
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        message = f"not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset {exc.start})"
        raise SpecError([SpecProblem(file, line, "", message)]) from None
    yaml = YAML(typ="rt")
    try:
        _check_depth(text, file)
        root = yaml.load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        marked: int | None = mark.line + 1 if mark is not None else None
        reason = " ".join(filter(None, [exc.context, exc.problem])) or "invalid YAML"
        raise SpecError([SpecProblem(file, marked, "", f"YAML syntax error: {reason}")]) from None
    except YAMLError as exc:
        raise SpecError([SpecProblem(file, None, "", f"YAML syntax error: {exc}")]) from None
    except ValueError:
        # Python refuses to read integers of more than 4,300 digits (and ruamel lets that through).
        digits = re.search(r"\d{4300}", text)
        at = text.count("\n", 0, digits.start()) + 1 if digits else None
        message = "a number has thousands of digits; numbers must fit in 64 bits"
        raise SpecError([SpecProblem(file, at, "", message)]) from None
    if root is None:
        root = CommentedMap()
    if not isinstance(root, CommentedMap):
        found = "a list" if isinstance(root, CommentedSeq) else f"a single value ({_clip(repr(root))})"
        raise SpecError([SpecProblem(file, 1, "", f"a spec file must be a mapping of keys, not {found}")])
    if _expanded_size(root, {}) > MAX_VALUES:
        message = (
            f"the document expands to more than {MAX_VALUES} values; aliases (*name) that"
            " repeat large anchored blocks are refused"
        )
        raise SpecError([SpecProblem(file, None, "", message)])
    converter = _Converter(file)
    data = converter.convert(root, (), None)
    if converter.problems:
        raise SpecError(converter.problems)
    return SourceDoc(data=data, positions=converter.positions, chain=[file])


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
    """Maps merge key by key; anything else (lists, scalars) replaces the base value, except the
    lists in :data:`ADDED_LISTS`, where the extending file's items follow the base's. A key set
    to null removes what the base says for it (a bucket, a firewall rule, an override), so the
    field falls back to its default, or the entry is gone."""
    for key, value in override.items():
        child = (*path, key)
        if value is None:
            base.pop(key, None)
            _drop_subtree(positions, child)
            continue
        if child in ADDED_LISTS and isinstance(value, list) and isinstance(base.get(key), list):
            offset = len(base[key])
            base[key] = [*base[key], *value]
            size = len(child)
            for sub, position in override_positions.items():
                if sub[:size] == child and len(sub) > size and isinstance(item := sub[size], int):
                    positions[(*child, item + offset, *sub[size + 1 :])] = position
            continue
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
    if not isinstance(target, str) or not target.strip() or "\0" in target:
        raise SpecError(
            [SpecProblem(file, where.line, EXTENDS_KEY, "extends must be a file name such as 'base.yaml'")]
        )
    chain = (*_stack, _resolve(file))
    if len(chain) > MAX_EXTENDS_DEPTH:
        raise SpecError(
            [
                SpecProblem(
                    file, where.line, EXTENDS_KEY, f"extends chains more than {MAX_EXTENDS_DEPTH} files deep"
                )
            ]
        )
    try:
        parent = (file.parent / target).resolve()
        exists, is_file = parent.exists(), parent.is_file()
    except (OSError, RuntimeError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        message = f"extends names {target!r}, which cannot be read: {reason}"
        raise SpecError([SpecProblem(file, where.line, EXTENDS_KEY, message)]) from None
    if parent in chain:
        cycle = " -> ".join(p.name for p in (*chain, parent))
        raise SpecError([SpecProblem(file, where.line, EXTENDS_KEY, f"extends forms a cycle: {cycle}")])
    if not is_file:
        problem = "is not a file" if exists else "does not exist"
        raise SpecError(
            [
                SpecProblem(
                    file,
                    where.line,
                    EXTENDS_KEY,
                    f"extends names {target!r}, but {parent} {problem}"
                    " (paths are relative to the extending file)",
                )
            ]
        )
    base = load_with_extends(_display_path(parent, file), chain)
    return merge(base, doc)


def _resolve(file: Path) -> Path:
    try:
        return file.resolve()
    except (OSError, RuntimeError):
        return file.absolute()


def _display_path(parent: Path, child: Path) -> Path:
    """Keep paths as short as the caller gave them: relative to the child's folder when possible."""
    try:
        return child.parent / parent.relative_to(child.parent.resolve())
    except ValueError:
        return parent
