"""Names, labels, records and list filters shared by the Cloud Monitoring modules.

Monitoring names its configuration by project id (`projects/my-project/alertPolicies/123`)
whatever form the caller used, assigns the ids of policies, channels and dashboards itself,
and filters lists with its own small language (`user_labels.team = "sre"`), documented in
"Sorting and filtering" of the Monitoring API reference.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Callable
from typing import Any

from emulator import standard
from emulator.collection import Collection
from emulator.errors import invalid, not_found
from emulator.registry import Call

POLICY = "monitoring.alertPolicy"
CHANNEL = "monitoring.notificationChannel"
DESCRIPTOR = "monitoring.metricDescriptor"
DASHBOARD = "monitoring.dashboard"
SERIES = "monitoring.timeSeries"

_LABEL_KEY = re.compile(r"^[a-z][a-z0-9_-]{0,62}$")
_LABEL_VALUE = re.compile(r"^[a-z0-9_-]{0,63}$")
MAX_USER_LABELS = 64


def project_of(call: Call, name: str, permission: str) -> str:
    """The project id named by `projects/<id or number>[/...]`; unknown projects are refused."""
    m = re.match(r"^projects/([^/]+)", name)
    if not m:
        raise invalid(f"Invalid resource name: {name}", field="name")
    project_id, _ = call.ctx.projects.require(m.group(1), permission)
    return project_id


def canonical(call: Call, name: str, collection: str, permission: str) -> str:
    """`projects/<id>/<collection>/<rest>` for a name given with a project id or number."""
    project = project_of(call, name, permission)
    m = re.match(rf"^projects/[^/]+/{collection}/(.+)$", name)
    if not m:
        raise invalid(f"Invalid resource name: {name}", field="name")
    return f"projects/{project}/{collection}/{m.group(1)}"


def fetch(call: Call, kind: str, name: str, label: str) -> dict[str, Any]:
    found = call.ctx.store.get(kind, name)
    if found is None:
        raise not_found(f"Requested entity was not found. {label} {name} does not exist.")
    return found


def new_id(call: Call, kind: str, parent: str, collection: str) -> str:
    """A fresh numeric id, as Monitoring assigns them, unused in `parent`."""
    while True:
        candidate = str(secrets.randbelow(9 * 10**18) + 10**18)
        if call.ctx.store.get(kind, f"{parent}/{collection}/{candidate}") is None:
            return candidate


def mutation_record(call: Call, *, by: bool = True) -> dict[str, str]:
    """When and by whom; notification channels record no author (every channel answer of
    conformance/kcc-golden/monitoring/ has `mutateTime` alone, alert policies both)."""
    record = {"mutateTime": call.ctx.clock.rfc3339()}
    if by:
        record["mutatedBy"] = "anonymous@emulator.invalid"
    return record


def new_etag(*parts: str) -> str:
    return hashlib.sha256("/".join(parts).encode()).hexdigest()[:32]


def check_user_labels(labels: dict[str, Any] | None, field: str) -> None:
    labels = labels or {}
    if len(labels) > MAX_USER_LABELS:
        raise invalid(f"{field} may hold at most {MAX_USER_LABELS} entries.", field=field)
    for key, value in labels.items():
        if not _LABEL_KEY.match(key):
            raise invalid(
                f"Label key '{key}' in {field} is invalid: keys may contain only lowercase letters,"
                " numerals, underscores and dashes, must begin with a letter and hold at most 63"
                " characters.",
                field=field,
            )
        if not isinstance(value, str) or not _LABEL_VALUE.match(value):
            raise invalid(
                f"Label value '{value}' of key '{key}' in {field} is invalid: values may contain only"
                " lowercase letters, numerals, underscores and dashes, at most 63 characters.",
                field=field,
            )


# lists: filter, order, pages

_TERM = re.compile(
    r'^\s*(?P<neg>NOT\s+|-)?(?P<path>[A-Za-z_][A-Za-z0-9_]*(?:\.(?:"[^"]+"|[A-Za-z0-9_\-]+))*)'
    r'\s*(?P<op>!=|=|:)\s*(?:"(?P<quoted>[^"]*)"|(?P<bare>\S+))\s*$'
)
#: Field names the filter language accepts besides the JSON names (`user_label.x`).
_ALIASES = {"user_label": "userLabels", "user_labels": "userLabels", "label": "labels"}


def _resolve(resource: dict[str, Any], path: str) -> Any:
    parts = re.findall(r'"[^"]+"|[^.]+', path)
    head = _ALIASES.get(parts[0], standard.camel(parts[0]))
    value: Any = resource.get(head)
    for part in parts[1:]:
        if not isinstance(value, dict):
            return None
        value = value.get(part.strip('"'))
    return value


def _term(resource: dict[str, Any], text: str) -> bool:
    m = _TERM.match(text)
    if not m:
        raise invalid(f"Invalid filter: could not parse '{text.strip()}'.", field="filter")
    expected = m.group("quoted") if m.group("quoted") is not None else m.group("bare")
    actual = _resolve(resource, m.group("path"))
    op = m.group("op")
    if isinstance(actual, bool):
        actual = "true" if actual else "false"
    if op == ":":
        if expected == "*":
            result = actual is not None
        elif isinstance(actual, list):
            result = expected in [str(a) for a in actual]
        else:
            result = actual is not None and expected.lower() in str(actual).lower()
    elif op == "=":
        result = actual is not None and str(actual) == expected
    else:
        result = actual is None or str(actual) != expected
    return result != bool(m.group("neg"))


def matches(resource: dict[str, Any], expression: str | None) -> bool:
    """The filter language's AND/OR of `field op value` terms (OR binds looser)."""
    if not expression or not expression.strip():
        return True
    return any(
        all(_term(resource, term) for term in re.split(r"\s+AND\s+", alternative.strip()))
        for alternative in re.split(r"\s+OR\s+", expression.strip())
    )


def ordered(items: list[dict[str, Any]], order_by: str | None) -> list[dict[str, Any]]:
    result = list(items)
    for clause in reversed([c.strip() for c in (order_by or "").split(",") if c.strip()]):
        descending = clause.startswith(("-", "~"))
        path = clause.lstrip("-~").strip()
        result.sort(key=lambda r, p=path: str(_resolve(r, p) or ""), reverse=descending)
    return result


def listing(
    call: Call, items: list[dict[str, Any]], key: str, *, default_size: int = 1000, total: bool = True
) -> dict[str, Any]:
    """One page of `items` after the request's filter and order, in the list response shape."""
    found = [i for i in items if matches(i, call.query.get("filter"))]
    found = ordered(found, call.query.get("orderBy"))
    out = standard.list_answer(call, key, found, default_size=default_size)
    if total:
        out["totalSize"] = len(found)
    return out


def collection(
    segment: str,
    store_kind: str,
    label: str,
    *,
    parent_param: str = "name",
    render: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
    total: bool = True,
    default_size: int = 1000,
) -> Collection:
    """A Monitoring v3 collection of a project (`projects/<id or number>/<segment>/...`): names
    are read with the project by id or number, a 404 names the resource as Monitoring does, a
    list is filtered, ordered and paged by `listing`."""

    def shown(_: Call, resource: dict[str, Any]) -> dict[str, Any]:
        return render(resource) if render else resource

    return Collection(
        f"monitoring.projects.{segment}",
        f"monitoring.{segment}",
        store_kind,
        label,
        segment,
        locate_name=lambda call, name, permission: canonical(call, name, segment, permission),
        locate_parent=lambda call, parent, permission: f"projects/{project_of(call, parent, permission)}",
        parent_param=parent_param,
        fetch=fetch,
        render=shown,
        answer=lambda call, items: listing(call, items, segment, default_size=default_size, total=total),
    )
