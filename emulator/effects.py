"""What an operation does to the stored resources once it finishes.

A mutation that the real API performs in the background must not be visible
before its operation is done, and must never happen if the operation fails.
Handlers therefore describe the change as a list of effects attached to the
operation; the operation table applies them exactly once, when the operation's
done time has passed (see `Operations.settle`).

Effects are plain JSON so that they survive in the SQLite state across
processes. Changes that need logic beyond put/delete/set/list edits are named
hooks: a service module registers a function under a name with
`effect_hook`, and an effect refers to it by that name. A hook that raises
`ApiError` fails the operation instead (its other effects are rolled back),
which is how a check that can only be made at completion time is expressed.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from emulator.state import Store

Hook = Callable[[Store, dict[str, Any]], None]

HOOKS: dict[str, Hook] = {}


def effect_hook(name: str) -> Callable[[Hook], Hook]:
    """Register `fn(store, args)` as the hook effect called `name`."""

    def register(fn: Hook) -> Hook:
        if name in HOOKS and HOOKS[name] is not fn:
            raise ValueError(f"effect hook {name!r} is already registered")
        HOOKS[name] = fn
        return fn

    return register


@dataclass(frozen=True)
class Effect:
    """One change to the store, applied when its operation completes successfully
    (or, when attached as a failure effect, when it completes with an error)."""

    action: str
    kind: str = ""
    name: str = ""
    args: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def put(cls, kind: str, name: str, data: dict[str, Any], parent: str = "") -> Effect:
        """Store `data` as the whole resource (create or replace)."""
        return cls("put", kind, name, {"data": copy.deepcopy(data), "parent": parent})

    @classmethod
    def delete(cls, kind: str, name: str) -> Effect:
        """Remove the resource; nothing happens if it is already gone."""
        return cls("delete", kind, name)

    @classmethod
    def set(cls, kind: str, name: str, fields: dict[str, Any]) -> Effect:
        """Set fields given by dotted paths; a None value removes the field.
        Nothing happens if the resource no longer exists."""
        return cls("set", kind, name, {"fields": copy.deepcopy(fields)})

    @classmethod
    def upsert(cls, kind: str, name: str, path: str, item: dict[str, Any], key: str = "name") -> Effect:
        """Replace the element of the list at `path` whose `key` equals the item's,
        or append the item; the list is created if missing."""
        return cls("upsert", kind, name, {"path": path, "item": copy.deepcopy(item), "key": key})

    @classmethod
    def remove(cls, kind: str, name: str, path: str, value: Any, key: str = "name") -> Effect:
        """Drop the elements of the list at `path` whose `key` equals `value`;
        an emptied list is removed, as the APIs omit empty lists."""
        return cls("remove", kind, name, {"path": path, "value": value, "key": key})

    @classmethod
    def hook(cls, hook_name: str, **args: Any) -> Effect:
        """Call the registered hook `hook_name` with `args`."""
        return cls("hook", "", hook_name, copy.deepcopy(args))

    def to_json(self) -> dict[str, Any]:
        return {"action": self.action, "kind": self.kind, "name": self.name, "args": self.args}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Effect:
        return cls(data["action"], data.get("kind", ""), data.get("name", ""), data.get("args") or {})


def apply_effect(store: Store, effect: Effect) -> None:
    """Apply one effect; the caller holds the store lock inside a transaction."""
    if effect.action == "put":
        store.put(effect.kind, effect.name, effect.args["data"], effect.args.get("parent", ""))
        return
    if effect.action == "delete":
        store.delete(effect.kind, effect.name)
        return
    if effect.action == "hook":
        hook = HOOKS.get(effect.name)
        if hook is None:
            raise LookupError(f"no effect hook named {effect.name!r}")
        hook(store, effect.args)
        return
    current = store.get(effect.kind, effect.name)
    if current is None:
        return
    parent = store.parent_of(effect.kind, effect.name) or ""
    if effect.action == "set":
        for path, value in effect.args["fields"].items():
            _set_path(current, path, value)
    elif effect.action == "upsert":
        items = [i for i in _list_at(current, effect.args["path"])]
        key, item = effect.args["key"], effect.args["item"]
        index = next((n for n, i in enumerate(items) if i.get(key) == item.get(key)), None)
        if index is None:
            items.append(item)
        else:
            items[index] = item
        _set_path(current, effect.args["path"], items)
    elif effect.action == "remove":
        key, value = effect.args["key"], effect.args["value"]
        items = [i for i in _list_at(current, effect.args["path"]) if i.get(key) != value]
        _set_path(current, effect.args["path"], items or None)
    else:
        raise ValueError(f"unknown effect action {effect.action!r}")
    store.put(effect.kind, effect.name, current, parent)


def _list_at(resource: dict[str, Any], path: str) -> list[dict[str, Any]]:
    value: Any = resource
    for part in path.split("."):
        if not isinstance(value, dict):
            return []
        value = value.get(part)
    return list(value) if isinstance(value, list) else []


def _set_path(resource: dict[str, Any], path: str, value: Any) -> None:
    parts = path.split(".")
    target = resource
    for part in parts[:-1]:
        target = target.setdefault(part, {})
    if value is None:
        target.pop(parts[-1], None)
    else:
        target[parts[-1]] = copy.deepcopy(value)
