"""A plan: what would change, field by field, and what the live side looked like.

A plan is a reviewable artefact. Saved as JSON, it carries the desired bodies it would
write and a token per address for what it observed, so `apply plan.json` applies exactly
what was reviewed and refuses when the live side moved in between.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from provisioner.engine.ignore import IgnoredField
from provisioner.engine.resource import Address, Resource, parse_address

Action = Literal["create", "update", "replace", "delete", "abandon", "noop"]
PLAN_FORMAT_VERSION = 1

SYMBOLS: dict[str, str] = {
    "create": "+",
    "update": "~",
    "replace": "-/+",
    "delete": "-",
    "abandon": "~",
    "noop": " ",
}


@dataclass(frozen=True)
class FieldChange:
    path: str
    before: Any
    after: Any


@dataclass
class Change:
    address: Address
    kind: str
    name: str
    action: Action
    fields: list[FieldChange] = field(default_factory=list)
    reason: str | None = None
    destructive: bool = False
    blocked: str | None = None
    note: str | None = None
    desired: dict[str, Any] | None = None
    #: For deletions: what the live resource points at (it must go before those do).
    references: list[Address] = field(default_factory=list)

    @property
    def symbol(self) -> str:
        return SYMBOLS[self.action]

    @property
    def executable(self) -> bool:
        return self.action != "noop" and self.blocked is None

    def resource(self) -> Resource:
        if self.desired is None:
            raise ValueError(f"{self.address}: a {self.action} carries no desired resource")
        d = self.desired
        return Resource(
            kind=d["kind"],
            name=d["name"],
            body=d["body"],
            deps=tuple(parse_address(dep) for dep in d.get("deps", ())),
            deletion_policy=d.get("deletion_policy", "delete"),
            create_only=d.get("create_only", {}),
            display_name=d.get("display_name"),
            ignore=d.get("ignore", {}),
        )

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["symbol"] = self.symbol
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Change:
        data = dict(data)
        data.pop("symbol", None)
        data["fields"] = [FieldChange(**f) for f in data.get("fields", [])]
        data["address"] = parse_address(data["address"])
        data["references"] = [parse_address(a) for a in data.get("references", [])]
        return cls(**data)


def resource_to_dict(resource: Resource) -> dict[str, Any]:
    data = {
        "kind": resource.kind,
        "name": resource.name,
        "body": resource.body,
        "deps": list(resource.deps),
        "deletion_policy": resource.deletion_policy,
        "create_only": resource.create_only,
        "display_name": resource.display_name,
    }
    if resource.ignore:  # only then, so plans without ignore rules read as they always did
        data["ignore"] = resource.ignore
    return data


@dataclass
class Plan:
    env: str
    project: str
    changes: list[Change]
    observed: dict[Address, str | None]
    unchanged: int = 0
    created_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))
    options: dict[str, Any] = field(default_factory=dict)
    #: Unchanged resources whose state is worth telling (address → what to know).
    notices: dict[Address, str] = field(default_factory=dict)
    format_version: int = PLAN_FORMAT_VERSION
    #: Differences the spec's ignore rules keep out of the changes (address → fields), for the auditor.
    ignored: dict[Address, list[IgnoredField]] = field(default_factory=dict)

    @property
    def pending(self) -> list[Change]:
        return [c for c in self.changes if c.executable]

    @property
    def blocked(self) -> list[Change]:
        return [c for c in self.changes if c.action != "noop" and c.blocked]

    @property
    def has_changes(self) -> bool:
        return any(c.action != "noop" for c in self.changes)

    def counts(self) -> dict[str, int]:
        out = {"create": 0, "update": 0, "replace": 0, "delete": 0, "abandon": 0}
        for c in self.pending:
            out[c.action] = out.get(c.action, 0) + 1
        return out

    def to_dict(self) -> dict[str, Any]:
        data = {
            "format_version": self.format_version,
            "env": self.env,
            "project": self.project,
            "created_at": self.created_at,
            "options": self.options,
            "summary": {**self.counts(), "unchanged": self.unchanged, "blocked": len(self.blocked)},
            "changes": [c.to_dict() for c in self.changes],
            "notices": self.notices,
            "observed": self.observed,
        }
        if self.ignored:  # only then, so a plan without ignored differences reads as it always did
            data["ignored"] = {a: [f.to_dict() for f in fields] for a, fields in self.ignored.items()}
        return data

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=False, default=str)

    def save(self, path: Path) -> None:
        path.write_text(self.to_json() + "\n")

    @classmethod
    def load(cls, path: Path) -> Plan:
        data = json.loads(path.read_text())
        version = data.get("format_version")
        if version != PLAN_FORMAT_VERSION:
            raise ValueError(
                f"{path}: plan format version {version!r} is not supported"
                f" (this tool reads {PLAN_FORMAT_VERSION}); make the plan again with this version"
            )
        return cls(
            env=data["env"],
            project=data["project"],
            changes=[Change.from_dict(c) for c in data["changes"]],
            observed={parse_address(a): token for a, token in data["observed"].items()},
            unchanged=data.get("summary", {}).get("unchanged", 0),
            created_at=data["created_at"],
            options=data.get("options", {}),
            notices={parse_address(a): notice for a, notice in data.get("notices", {}).items()},
            ignored={
                parse_address(address): [IgnoredField.from_dict(f) for f in fields]
                for address, fields in data.get("ignored", {}).items()
            },
        )
