"""Shared pieces of the standard methods (create, get, list, update, delete).

Each service declares its kinds with these; the rules here are the ones
Google's resource-oriented APIs share (AIP-132/133/134/135/158/160).
"""

from __future__ import annotations

import base64
import copy
import json
import re
from typing import Any

from emulator.errors import already_exists, invalid, not_found
from emulator.registry import Call

_MISSING = object()


def operation_named(call: Call, not_found_text: str = "Operation '{name}' not found.") -> dict[str, Any]:
    """`operations.get` of a google.longrunning API: the shared operation table, by full name."""
    name = call.param("name")
    record = call.ctx.operations.record(name)
    if record is None:
        raise not_found(not_found_text.format(name=name))
    return call.ctx.operations.view(record)


def fetch(call: Call, kind: str, name: str, label: str) -> dict[str, Any]:
    found = call.ctx.store.get(kind, name)
    if found is None:
        raise not_found(f"{label} {name} not found.")
    return found


def insert(call: Call, kind: str, name: str, parent: str, resource: dict[str, Any], label: str) -> None:
    if call.ctx.store.get(kind, name) is not None:
        raise already_exists(f"{label} {name} already exists.")
    call.ctx.store.put(kind, name, resource, parent)


def check_id(value: str | None, param: str, pattern: str) -> str:
    if not value:
        raise invalid(f"Required parameter: {param}", field=param)
    if not re.fullmatch(pattern, value):
        raise invalid(
            f"Invalid {param}: '{value}'. It must match the regular expression {pattern}.", field=param
        )
    return value


def drop_none(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: drop_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [drop_none(v) for v in value]
    return value


# pagination


def _token(after: str) -> str:
    return base64.urlsafe_b64encode(json.dumps({"after": after}).encode()).decode()


def _after(token: str) -> str:
    try:
        return str(json.loads(base64.urlsafe_b64decode(token.encode()))["after"])
    except (ValueError, KeyError, TypeError):
        raise invalid(f"Invalid page token: {token}", field="page_token") from None


def paginate(
    items: list[dict[str, Any]],
    page_size: int | None,
    page_token: str | None,
    *,
    key: str = "name",
    default_size: int = 1000,
    max_size: int = 1000,
) -> tuple[list[dict[str, Any]], str | None]:
    """One page of `items` (already in order) and the token of the next page.

    Tokens name the last item returned rather than an offset, so items created
    between pages neither repeat nor vanish.
    """
    if page_size is not None and page_size < 0:
        raise invalid("page_size must not be negative.", field="page_size")
    size = min(page_size or default_size, max_size)
    start = 0
    if page_token:
        after = _after(page_token)
        found = next((i for i, item in enumerate(items) if str(item.get(key)) == after), None)
        if found is not None:
            start = found + 1
        else:
            start = next((i for i, item in enumerate(items) if str(item.get(key)) > after), len(items))
    page = items[start : start + size]
    more = start + size < len(items)
    return page, (_token(str(page[-1][key])) if more and page else None)


def list_answer(
    call: Call,
    field: str,
    items: list[dict[str, Any]],
    *,
    head: dict[str, Any] | None = None,
    size_param: str = "pageSize",
    size: Any = _MISSING,
    key: str = "name",
    default_size: int = 1000,
    max_size: int = 1000,
) -> dict[str, Any]:
    """A list method's answer: `head` (a `kind`), one page of `items` under `field` and the next
    page's token, each left out when empty as Google's list answers leave them out.

    The page size is the request's `size_param` (`pageSize`, or `maxResults` in the older
    APIs) unless the caller read it already (`size`).
    """
    wanted = call.query.get(size_param) if size is _MISSING else size
    page, token = paginate(
        items, wanted, call.query.get("pageToken"), key=key, default_size=default_size, max_size=max_size
    )
    out: dict[str, Any] = dict(head or {})
    if page:
        out[field] = page
    if token:
        out["nextPageToken"] = token
    return out


def filtered(call: Call, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """`items` that match the request's AIP-160 `filter`, in its `orderBy` order."""
    return order([i for i in items if matches_filter(i, call.query.get("filter"))], call.query.get("orderBy"))


# field masks and merges


def get_path(resource: dict[str, Any], path: str, default: Any = None) -> Any:
    value: Any = resource
    for part in path.split("."):
        if not isinstance(value, dict) or part not in value:
            return default
        value = value[part]
    return value


def set_path(resource: dict[str, Any], path: str, value: Any) -> None:
    parts = path.split(".")
    target = resource
    for part in parts[:-1]:
        target = target.setdefault(part, {})
    if value is _MISSING or value is None:
        target.pop(parts[-1], None)
    else:
        target[parts[-1]] = copy.deepcopy(value)


def camel(path: str) -> str:
    return ".".join(re.sub(r"_([a-z])", lambda m: m.group(1).upper(), p) for p in path.split("."))


def apply_update_mask(
    current: dict[str, Any], patch: dict[str, Any], mask: str, mutable: set[str], label: str
) -> dict[str, Any]:
    """Copy the masked paths from `patch` onto `current`; a path outside `mutable` is a 400."""
    updated = copy.deepcopy(current)
    paths = [camel(p.strip()) for p in mask.split(",") if p.strip()]
    if not paths:
        raise invalid("The update_mask must not be empty.", field="update_mask")
    for path in paths:
        if path not in mutable and not any(path.startswith(m + ".") for m in mutable):
            raise invalid(
                f"The field '{path}' of {label} cannot be updated; updatable fields are "
                f"{', '.join(sorted(mutable))}.",
                field="update_mask",
            )
        set_path(updated, path, get_path(patch, path, _MISSING))
    return updated


def merge_patch(current: Any, patch: Any) -> Any:
    """JSON merge patch (RFC 7396): objects merge, arrays replace, null clears."""
    if not isinstance(patch, dict) or not isinstance(current, dict):
        return copy.deepcopy(patch)
    merged = copy.deepcopy(current)
    for key, value in patch.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = merge_patch(merged.get(key), value)
    return merged


# filtering (the AIP-160 subset that list callers use) and ordering

_TERM = re.compile(r'^\s*([A-Za-z0-9_.\-]+)\s*(!=|=|:|<=|>=|<|>)\s*(?:"([^"]*)"|(\S+))\s*$')


def matches_filter(resource: dict[str, Any], expression: str | None) -> bool:
    if not expression or not expression.strip():
        return True
    terms = re.split(r"\s+AND\s+", expression.strip())
    return all(_term_matches(resource, term) for term in terms)


def _term_matches(resource: dict[str, Any], term: str) -> bool:
    negate = False
    term = term.strip()
    if term.startswith("NOT "):
        negate, term = True, term[4:]
    elif term.startswith("-"):
        negate, term = True, term[1:]
    m = _TERM.match(term)
    if not m:
        raise invalid(f"Invalid filter: {term}", field="filter")
    path, op, quoted, bare = m.groups()
    expected = quoted if quoted is not None else bare
    actual = get_path(resource, camel(path), _MISSING)
    if op == ":":
        result = actual is not _MISSING and (
            expected == "*"
            or _as_text(actual) == expected
            or (isinstance(actual, list) and expected in map(_as_text, actual))
        )
    elif actual is _MISSING:
        result = op == "!="
    else:
        text = _as_text(actual)
        result = {
            "=": text == expected,
            "!=": text != expected,
            "<": text < expected,
            ">": text > expected,
            "<=": text <= expected,
            ">=": text >= expected,
        }[op]
    return result != negate


def _as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def order(items: list[dict[str, Any]], spec: str | None) -> list[dict[str, Any]]:
    if not spec:
        return items
    result = list(items)
    for clause in reversed([c.strip() for c in spec.split(",") if c.strip()]):
        parts = clause.split()
        field = camel(parts[0])
        descending = len(parts) > 1 and parts[1].lower() == "desc"
        result.sort(key=lambda r, f=field: _as_text(get_path(r, f, "")), reverse=descending)
    return result
