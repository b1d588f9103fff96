"""Ignore rules checked against the resources an environment really has, before any API call.

A rule that matches nothing is a trap: a typo in `gke.node_pool/tts-gpu-pool` (the address
is `gke.node_pool/us-central1-a/digitwin-dev-gke/tts-gpu-pool`) would silently ignore
nothing, and the drift it was meant to tolerate would be reverted at the next apply. So
the resources are built (as `plan` would build them, without reading anything) and every
rule must name some, and every field pattern some field the spec sets on them. Rules may
not cover what identifies a resource (its name, our ownership labels) or what cannot
change in place (the kind's immutable fields): ignoring those means nothing.

Resources may be legitimately absent from an environment (an Autopilot cluster has no
node pools of ours), so a rule written in a file the environment extends (`base.yaml`)
and matching nothing there is a warning; `validate` over every environment makes it an
error only when it matches nothing in any of them. A rule written in the environment's
own file must match there.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any, cast

from provisioner.engine.context import Context
from provisioner.engine.ignore import body_paths, matching_pattern, rule_matches
from provisioner.engine.kind import Kind, Reconciler
from provisioner.engine.resource import OWNERSHIP_KEYS, Resource
from provisioner.spec.errors import SpecError, SpecProblem
from provisioner.spec.ignore import IgnoreRuleSpec, RuleSource

#: How many addresses a message lists when a rule matches none.
LISTED = 6


class _AddressesOnly(Context):
    """Builds desired resources without the API: no address depends on the project number,
    which only a service agent's identity (in a body, never an address) is named after."""

    @property
    def project_number(self) -> str:
        return "000000000000"


@dataclass
class IgnoreCheck:
    """What one environment's ignore rules amount to there."""

    env: str
    errors: list[SpecProblem] = field(default_factory=list)
    #: Parts of rules written in a base file that match nothing in this environment (the
    #: message says what matches nothing; where is for the reader to add).
    unmatched: list[SpecProblem] = field(default_factory=list)

    @property
    def warnings(self) -> list[str]:
        return [
            f"warning: {_where(p, f'in {self.env}')}; it comes from {p.file.name}, which other environments"
            " share, so it is not an error here (`validate` fails if it matches in no environment)"
            for p in self.unmatched
        ]


def _where(problem: SpecProblem, suffix: str) -> SpecProblem:
    return SpecProblem(problem.file, problem.line, problem.field, f"{problem.message} {suffix}")


def offline_resources(spec: Any, reconcilers: Sequence[Reconciler]) -> tuple[list[Resource], dict[str, Kind]]:
    """The desired resources and the kinds, built as a plan builds them, with no API call."""
    from provisioner.engine.planner import Planner

    ctx = _AddressesOnly(spec=spec, clients=cast(Any, None))
    planner = Planner(ctx, reconcilers)
    return planner.desired(), planner.kinds


def check(spec: Any, reconcilers: Sequence[Reconciler]) -> IgnoreCheck:
    """Every problem of the spec's ignore rules in its own environment."""
    result = IgnoreCheck(env=spec.env)
    rules: list[IgnoreRuleSpec] = list(spec.ignore)
    if not rules:
        return result
    resources, kinds = offline_resources(spec, reconcilers)
    for rule in rules:
        _check_rule(rule, resources, kinds, result)
    return result


def enforce(spec: Any, reconcilers: Sequence[Reconciler]) -> IgnoreCheck:
    """The check, its errors raised (before any API call) and its warnings left to show."""
    result = check(spec, reconcilers)
    if result.errors:
        raise SpecError(result.errors)
    return result


def across_environments(results: Sequence[IgnoreCheck]) -> list[SpecProblem]:
    """Base-file rule parts that match nothing in any environment: those are mistakes."""
    if not results:
        return []
    keys = [{(str(p.file), p.line, p.field) for p in r.unmatched} for r in results]
    everywhere = set.intersection(*keys)
    envs = ", ".join(r.env for r in results)
    fix = "write it as plans show it (`plan --format json` lists every address and field), or remove it"
    out: dict[tuple[str, int | None, str], SpecProblem] = {}
    for problem in results[0].unmatched:
        key = (str(problem.file), problem.line, problem.field)
        if key in everywhere and key not in out:
            out[key] = _where(problem, f"in any environment ({envs}); {fix}")
    return list(out.values())


def _add(
    result: IgnoreCheck,
    source: RuleSource,
    line: int | None,
    field: str,
    message: str,
    unmatched: str | None = None,
) -> None:
    """Record a problem. A rule part that matches nothing here (`unmatched` says what) is an
    error in the environment's own file, and only noted when it comes from a shared one."""
    if unmatched is not None and source.inherited:
        result.unmatched.append(SpecProblem(source.file, line, field, unmatched))
    else:
        result.errors.append(SpecProblem(source.file, line, field, message))


def _check_rule(
    rule: IgnoreRuleSpec, resources: Sequence[Resource], kinds: dict[str, Kind], result: IgnoreCheck
) -> None:
    source = rule.source or RuleSource(0, Path("<spec>"), None, tuple(None for _ in rule.fields), False)
    where = f"ignore[{source.index}]"
    kind_part = rule.resource.split("/", 1)[0]
    named_kinds = sorted(k for k in kinds if fnmatchcase(k, kind_part))
    if not named_kinds:
        guess = difflib.get_close_matches(kind_part, sorted(kinds), n=1, cutoff=0.6)
        hint = f"did you mean {guess[0]!r}?" if guess else f"kinds: {', '.join(sorted(kinds))}"
        message = f"{rule.resource!r} names no kind of resource ({kind_part!r} is not one); {hint}"
        _add(result, source, source.resource_line, f"{where}.resource", message)
        return
    matched = [r for r in resources if rule_matches(rule.resource, r.address, r.kind)]
    if not matched:
        candidates = [r for r in resources if r.kind in named_kinds]
        message = f"{rule.resource!r} matches no resource in {result.env}; " + _addresses_hint(
            rule.resource, named_kinds, candidates
        )
        unmatched = f"{rule.resource!r} matches no resource"
        _add(result, source, source.resource_line, f"{where}.resource", message, unmatched)
        return
    for index, pattern in enumerate(rule.fields):
        line = source.field_lines[index] if index < len(source.field_lines) else source.resource_line
        path = f"{where}.fields[{index}]"
        protected = _protected(pattern, matched, kinds)
        if protected:
            _add(result, source, line, path, protected)
            continue
        owned = sorted({p for r in matched for p in body_paths(r.body)})
        if any(matching_pattern(p, (pattern,)) for p in owned):
            continue
        if any(matching_pattern(p, (pattern,)) for r in matched for p in body_paths(r.create_only)):
            message = (
                f"field {pattern!r} is sent only when the resource is created and never compared"
                " afterwards, so there is nothing to ignore; remove it"
            )
            _add(result, source, line, path, message)
            continue
        unmatched = f"field {pattern!r} matches no field the spec sets on {rule.resource!r}"
        _add(result, source, line, path, _field_hint(pattern, rule.resource, owned, result.env), unmatched)


def _protected(pattern: str, matched: Iterable[Resource], kinds: dict[str, Kind]) -> str | None:
    """Why `pattern` may not be ignored on these resources: it covers identity or a fixed field."""
    for resource in matched:
        meta = kinds[resource.kind].meta
        for fixed in meta.immutable:
            covered = sorted(
                p
                for p in {*body_paths(resource.body), fixed}
                if (p == fixed or p.startswith(fixed + ".")) and matching_pattern(p, (pattern,))
            )
            if covered:
                return (
                    f"field {pattern!r} covers {covered[0]}, which a {resource.kind} cannot change in"
                    " place (a change replaces it); ignore rules cannot hold back a replacement."
                    " Name only fields that change in place"
                )
        if meta.labels_path:
            for key in OWNERSHIP_KEYS:
                label = f"{meta.labels_path}.{key}"
                if matching_pattern(label, (pattern,)):
                    return (
                        f"field {pattern!r} covers the ownership label {label}, which is how the"
                        f" provisioner knows the resource is its own; name the labels to leave alone,"
                        f" e.g. {meta.labels_path}.team"
                    )
    return None


def _addresses_hint(pattern: str, kinds: Sequence[str], candidates: Sequence[Resource]) -> str:
    """The addresses the rule may have meant, and a glob that would match them."""
    if not candidates:
        return (
            f"this environment has no {' or '.join(kinds)} resources: remove the rule, or keep it"
            " only in the files of environments that have them"
        )
    addresses = sorted(r.address for r in candidates)
    last = pattern.rsplit("/", 1)[-1]
    same_name = [a for a in addresses if a.rsplit("/", 1)[-1] == last and "/" in pattern]
    close = same_name or difflib.get_close_matches(pattern, addresses, n=3, cutoff=0.5)
    hint = ""
    if close:
        hint = f"did you mean {close[0]!r}"
        if same_name and close[0].count("/") > 1:
            hint += f" (or the glob '{close[0].split('/', 1)[0]}/*/{last}')"
        hint += "? "
    shown = ", ".join(addresses[:LISTED])
    if len(addresses) > LISTED:
        shown += f", … and {len(addresses) - LISTED} more"
    return f"{hint}addresses are <kind>/<name> as plans show them: {shown}"


def _field_hint(pattern: str, resource_pattern: str, owned: Sequence[str], env: str) -> str:
    guess = difflib.get_close_matches(pattern, owned, n=1, cutoff=0.6)
    hint = f"did you mean {guess[0]!r}? " if guess else ""
    tops = sorted({p.split(".", 1)[0] for p in owned})
    return (
        f"field {pattern!r} matches no field the spec sets on {resource_pattern!r} in {env}, so it would"
        f" ignore nothing (fields the spec does not set are never compared); {hint}"
        f"paths are dotted as plans show them, under: {', '.join(tops)}"
    )
