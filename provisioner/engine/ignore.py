"""Ignore rules in the engine: which fields of which resources are left to someone else.

Semantics, as Terraform's `ignore_changes`: an ignored field is sent when the resource is
created, and from then on its live value stands. It is not compared (a resource whose only
differences are ignored is unchanged), and it is not written back: an update of another
field carries the live value, whatever form of update the kind uses. Nothing is hidden:
plans and drift scans list the ignored differences, each with the reason its rule gives.

A field pattern matches a body path, as plans spell it (`autoscaling.totalMaxNodeCount`),
or any of its parents, so `labels.team` ignores one label and `template.scaling` everything
under it. Matching is `fnmatch` without case folding; `*` also crosses dots.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from fnmatch import fnmatchcase
from typing import Any, Protocol

from provisioner.engine.resource import Address, Resource


class IgnoreRule(Protocol):
    """What the engine reads of a spec's rule (`provisioner.spec.ignore.IgnoreRuleSpec`)."""

    resource: str
    fields: list[str]
    reason: str


@dataclass(frozen=True)
class IgnoredField:
    """A difference an ignore rule keeps out of the plan: live and spec value, and why."""

    path: str
    live: Any
    desired: Any
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "live": self.live, "desired": self.desired, "reason": self.reason}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> IgnoredField:
        return cls(data["path"], data.get("live"), data.get("desired"), data.get("reason", ""))


def rule_matches(pattern: str, address: Address, kind: str) -> bool:
    """A rule's resource pattern names a resource by address glob or by its kind."""
    return fnmatchcase(address, pattern) or fnmatchcase(kind, pattern)


def attach(resources: Sequence[Resource], rules: Iterable[IgnoreRule] | None) -> list[Resource]:
    """Each resource with the field patterns (and reasons) of every rule that names it."""
    rules = list(rules or ())
    if not rules:
        return list(resources)
    out = []
    for resource in resources:
        patterns: dict[str, str] = dict(resource.ignore)
        for rule in rules:
            if rule_matches(rule.resource, resource.address, resource.kind):
                for pattern in rule.fields:
                    patterns.setdefault(pattern, rule.reason)
        out.append(replace(resource, ignore=patterns) if patterns != resource.ignore else resource)
    return out


def _prefixes(path: str) -> Iterator[str]:
    parts = path.split(".")
    for end in range(1, len(parts) + 1):
        yield ".".join(parts[:end])


def matching_pattern(path: str, patterns: Mapping[str, str] | Iterable[str]) -> str | None:
    """The pattern that ignores `path`, itself or through one of its parents; None if none does."""
    for prefix in _prefixes(path):
        for pattern in patterns:
            if fnmatchcase(prefix, pattern):
                return pattern
    return None


def body_paths(body: Mapping[str, Any], prefix: str = "") -> Iterator[str]:
    """Every dotted path of a body down through its maps (lists are compared whole, so end there)."""
    for key, value in body.items():
        path = f"{prefix}.{key}" if prefix else str(key)
        yield path
        if isinstance(value, Mapping):
            yield from body_paths(value, path)


def without_ignored(body: Mapping[str, Any], patterns: Mapping[str, str], prefix: str = "") -> dict[str, Any]:
    """The body minus every ignored path: what the spec still owns of an existing resource."""
    out: dict[str, Any] = {}
    for key, value in body.items():
        path = f"{prefix}.{key}" if prefix else str(key)
        if matching_pattern(path, patterns):
            continue
        out[key] = without_ignored(value, patterns, path) if isinstance(value, Mapping) else value
    return out


def keep_live(
    body: Mapping[str, Any], live: Mapping[str, Any] | None, patterns: Mapping[str, str], prefix: str = ""
) -> dict[str, Any]:
    """The body with each ignored field set to its live value (dropped where the live side has none).

    Kinds that send a whole map back (a pool's autoscaling, a service's template, a SQL
    instance's backup configuration) then write the live value, not the spec's.
    """
    out: dict[str, Any] = {}
    live = live if isinstance(live, Mapping) else {}
    for key, value in body.items():
        path = f"{prefix}.{key}" if prefix else str(key)
        if matching_pattern(path, patterns):
            if key in live:
                out[key] = copy.deepcopy(live[key])
            continue
        out[key] = keep_live(value, live.get(key), patterns, path) if isinstance(value, Mapping) else value
    return out
