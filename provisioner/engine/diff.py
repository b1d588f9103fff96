"""Compare what the spec owns with what the API holds.

Only fields present in the desired body are compared: the API fills in many more (ids,
timestamps, defaults), and a field the spec does not set is not ours to correct. Before
comparing, the live body is normalised by its kind and the API's known defaults are filled
in, so that "unset" and "the default" never show up as a perpetual diff.
"""

from __future__ import annotations

import copy
import hashlib
import json
from dataclasses import replace
from typing import Any

from provisioner.engine.ignore import IgnoredField, keep_live, matching_pattern, without_ignored
from provisioner.engine.kind import Kind
from provisioner.engine.observing import normalise
from provisioner.engine.plan import FieldChange
from provisioner.engine.resource import LiveResource, Resource


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def deep_merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """Maps merge key by key; anything else in `override` wins."""
    out = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def scalars_equal(want: Any, have: Any) -> bool:
    if want == have and type(want) is type(have):
        return True
    if isinstance(want, bool) or isinstance(have, bool):
        return want is have or (want == have and isinstance(want, bool) and isinstance(have, bool))
    # int64 fields travel as JSON strings ("604800") in some APIs and as numbers in others.
    if (isinstance(want, int | float) and isinstance(have, str)) or (
        isinstance(have, int | float) and isinstance(want, str)
    ):
        try:
            return float(want) == float(have)
        except ValueError:
            return False
    return bool(want == have)


def values_equal(want: Any, have: Any, unordered: bool = False) -> bool:
    if isinstance(want, dict):
        if not isinstance(have, dict) or set(want) != set(have):
            return False
        return all(values_equal(want[k], have[k]) for k in want)
    if isinstance(want, list):
        if not isinstance(have, list) or len(want) != len(have):
            return False
        if unordered:
            want, have = sorted(want, key=_sort_key), sorted(have, key=_sort_key)
        return all(values_equal(w, h) for w, h in zip(want, have, strict=True))
    return scalars_equal(want, have)


def _sort_key(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def _compare(want: Any, have: Any, path: str, unordered: frozenset[str], out: list[FieldChange]) -> None:
    if want is None:
        return
    if isinstance(want, dict):
        if not want:
            return  # an empty map owns no keys
        have_map = have if isinstance(have, dict) else {}
        if have is not None and not isinstance(have, dict):
            out.append(FieldChange(path, have, want))
            return
        for key in sorted(want):
            _compare(want[key], have_map.get(key), _join(path, key), unordered, out)
        return
    if not values_equal(want, have, unordered=path in unordered):
        if have is None and want in ([], {}):
            return
        out.append(FieldChange(path, have, want))


def live_view(kind: Kind, live: LiveResource) -> dict[str, Any]:
    """The live body as the diff sees it: normalised, with API defaults filled in."""
    return deep_merge(dict(kind.meta.api_defaults), normalise(kind, copy.deepcopy(live.body)))


def _all_changes(kind: Kind, desired: Resource, view: dict[str, Any]) -> list[FieldChange]:
    out: list[FieldChange] = []
    _compare(desired.body, view, "", frozenset(kind.meta.unordered), out)
    return out


def field_changes(kind: Kind, desired: Resource, live: LiveResource) -> list[FieldChange]:
    """The differences the spec owns: fields its ignore rules leave to others are not among them."""
    out = _all_changes(kind, desired, live_view(kind, live))
    if desired.ignore:
        out = [c for c in out if matching_pattern(c.path, desired.ignore) is None]
    return out


def ignored_fields(kind: Kind, desired: Resource, live: LiveResource) -> list[IgnoredField]:
    """The differences the spec's ignore rules keep out of the plan, each with its rule's reason."""
    if not desired.ignore:
        return []
    out = []
    for change in _all_changes(kind, desired, live_view(kind, live)):
        pattern = matching_pattern(change.path, desired.ignore)
        if pattern is not None:
            out.append(IgnoredField(change.path, change.before, change.after, desired.ignore[pattern]))
    return out


def with_live_ignored(kind: Kind, desired: Resource, live: LiveResource) -> Resource:
    """The resource as an update writes it: ignored fields carry their live values."""
    if not desired.ignore:
        return desired
    return replace(desired, body=keep_live(desired.body, live_view(kind, live), desired.ignore))


def _project(shape: Any, value: Any) -> Any:
    if isinstance(shape, dict) and isinstance(value, dict):
        return {k: _project(shape[k], value.get(k)) for k in sorted(shape) if shape[k] is not None}
    return value


def live_token(kind: Kind, desired: Resource | None, live: LiveResource | None) -> str | None:
    """A short digest of what the plan saw: the owned fields plus the API's own version token.

    Only owned fields count, so fields the API advances on its own (a KMS key's next
    rotation time, a bucket's update time) do not make every saved plan stale.
    """
    if live is None:
        return None
    view = live_view(kind, live)
    if desired is None:
        seen = view
    else:  # ignored fields may move freely without making a saved plan stale
        owned = without_ignored(desired.body, desired.ignore) if desired.ignore else desired.body
        seen = _project(owned, view)
    digest = hashlib.sha256(json.dumps([seen, live.version], sort_keys=True, default=str).encode())
    return digest.hexdigest()[:16]
