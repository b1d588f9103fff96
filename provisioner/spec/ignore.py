"""`ignore:` rules: fields of existing resources that someone other than the spec owns.

The successor of Terraform's `lifecycle { ignore_changes = [...] }` and driftctl's
`.driftignore`. Each rule names resources (an address glob such as `gke.node_pool/*`, or a
kind) and body fields (dotted paths as plans show them, globs allowed), and says why: a
reviewer meeting an ignored difference in a plan should not have to guess.

This module checks what a rule can be checked for on its own. Whether a rule matches any
resource or field of an environment is known only once the resources are built; that is
`provisioner.workflows.ignore_check`'s job, and it reports at the lines recorded here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path

from pydantic import Field, PrivateAttr, model_validator

from .base import StrictModel
from .rules import Path as KeyPath
from .rules import ViolationCollector
from .yaml_source import Position

#: The name is what a resource is: a different name is a different resource, not a change.
IDENTITY_FIELD = "name"
_SPACE = re.compile(r"\s")


@dataclass(frozen=True)
class RuleSource:
    """Where a rule was written, so a problem found later can point at its lines."""

    index: int
    file: Path
    resource_line: int | None
    field_lines: tuple[int | None, ...]
    #: Written in a file the environment extends (base.yaml), not in the environment's own.
    inherited: bool


class IgnoreRuleSpec(StrictModel):
    resource: str
    """An address glob (`storage.bucket/*-documents`, `gke.node_pool/*`) or a kind (`run.service`)."""
    fields: list[str] = Field(min_length=1)
    """Dotted body paths as plans show them (`autoscaling.totalMaxNodeCount`); `*` and `?` are globs,
    and a path also ignores everything under it (`labels.team`, `template.scaling`)."""
    reason: str
    """Why someone else owns these fields; shown next to every difference the rule hides."""

    _source: RuleSource | None = PrivateAttr(default=None)

    @property
    def source(self) -> RuleSource | None:
        return self._source

    @model_validator(mode="after")
    def _check(self) -> IgnoreRuleSpec:
        problems = ViolationCollector()
        if not self.resource.strip() or _SPACE.search(self.resource):
            problems.add(
                ("resource",),
                f"resource {self.resource!r} is not an address pattern; write a resource address or"
                " glob without spaces, such as 'gke.node_pool/*' or 'storage.bucket/*-documents', or a kind",
            )
        for index, pattern in enumerate(self.fields):
            problem = field_pattern_problem(pattern)
            if problem:
                problems.add(("fields", index), problem)
        duplicates = sorted({f for f in self.fields if self.fields.count(f) > 1})
        if duplicates:
            problems.add(
                ("fields",), f"field(s) {', '.join(map(repr, duplicates))} are listed more than once"
            )
        if not self.reason.strip():
            problems.add(
                ("reason",),
                "reason is empty; say who or what owns these fields (e.g. 'the autoscaler sizes the"
                " pool'), so a reviewer reading the plan knows why they are left alone",
            )
        problems.raise_if_any()
        return self


def field_pattern_problem(pattern: str) -> str | None:
    """What is wrong with one field pattern on its own, or None."""
    if not pattern or _SPACE.search(pattern):
        return (
            f"field {pattern!r} is not a field path; write a dotted path without spaces, as plans"
            " show it, such as 'autoscaling.totalMaxNodeCount' or 'labels.team'"
        )
    if pattern.startswith(".") or pattern.endswith(".") or ".." in pattern:
        return (
            f"field {pattern!r} has an empty part between dots; write it as plans show it, e.g. 'labels.team'"
        )
    if fnmatchcase(IDENTITY_FIELD, pattern):
        what = "is" if pattern == IDENTITY_FIELD else f"covers {IDENTITY_FIELD!r}, which is"
        return (
            f"field {pattern!r} {what} the resource's identity: a different name is a different"
            " resource, so ignoring it means nothing. To stop managing a resource, remove it from the"
            " spec (deletion_policy: abandon leaves it in place)"
        )
    return None


def record_sources(rules: list[IgnoreRuleSpec], positions: dict[KeyPath, Position], env_file: Path) -> None:
    """Remember each rule's file and lines (the loader's position index is gone after loading)."""
    for index, rule in enumerate(rules):
        where = positions.get(("ignore", index, "resource")) or positions.get(("ignore", index))
        where = where or Position(env_file, None)
        fields = [positions.get(("ignore", index, "fields", i)) for i in range(len(rule.fields))]
        rule._source = RuleSource(
            index=index,
            file=where.file,
            resource_line=where.line,
            field_lines=tuple(p.line if p else where.line for p in fields),
            inherited=where.file != env_file,
        )
