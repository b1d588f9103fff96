"""The `fields` system parameter: an answer cut down to the fields the caller asked for.

Every Google REST API takes `fields` (https://cloud.google.com/apis/docs/system-parameters,
"a FieldMask ... to select a subset of fields in the response"; syntax in
https://developers.google.com/slides/api/guides/performance#partial-response): a comma-separated
list of paths, `a/b` for a field inside another, `a(b,c)` for several under one. A path into a
list applies to every element. A field the caller did not name is left out, and an object
left empty is left out too: Service Usage answers `{}` to `services?fields=services/name` when
nothing is enabled (conformance/kcc-golden/vpcaccess/v1beta1/vpcaccessconnector/subnetconnector/
_http.log #8) and `{"services": [{"name": ...}]}` once one is (#11).
"""

from __future__ import annotations

from typing import Any

#: A selection: field name -> what to keep beneath it (an empty dict keeps the whole value).
Selection = dict[str, "Selection"]


def parse(expression: str) -> Selection:
    """`services/name,nextPageToken` -> {"services": {"name": {}}, "nextPageToken": {}}."""
    selection: Selection = {}
    for path in _split(expression):
        node = selection
        head, paren, inner = path.partition("(")
        steps = [s.strip() for s in head.split("/") if s.strip()]
        for step in steps[:-1]:
            node = node.setdefault(step, {})
        if not steps:
            continue
        leaf = node.setdefault(steps[-1], {})
        if paren:
            _merge(leaf, parse(inner.rstrip()[:-1] if inner.rstrip().endswith(")") else inner))
    return selection


def select(value: Any, selection: Selection) -> Any:
    """The parts of `value` the selection names; a list is cut element by element."""
    if not selection:
        return value
    if isinstance(value, list):
        kept = [select(v, selection) for v in value]
        return [v for v in kept if v not in ({}, None)]
    if not isinstance(value, dict):
        return value
    out: dict[str, Any] = {}
    for key, below in selection.items():
        if key == "*":
            return {k: select(v, below) for k, v in value.items()}
        if key in value:
            picked = select(value[key], below)
            if picked not in ({}, []):
                out[key] = picked
    return out


def _split(expression: str) -> list[str]:
    """Split on the commas that are not inside parentheses."""
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(expression):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(expression[start:i])
            start = i + 1
    parts.append(expression[start:])
    return [p.strip() for p in parts if p.strip()]


def _merge(into: Selection, more: Selection) -> None:
    for key, below in more.items():
        _merge(into.setdefault(key, {}), below)
