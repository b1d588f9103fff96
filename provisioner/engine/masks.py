"""Update masks built from the diff, in the spelling each API expects.

A partial update names the fields it writes (`updateMask`): the fields the diff found
changed, at the depth the API replaces them, and nothing else, so that a label edit never
rewrites a service's template. A kind declares its mask once, as an `UpdateMask`: which
fields an update may name (or every changed top-level field), in which order they are sent,
which fields travel together (a KMS key's rotation period and its next rotation time), and
whether the API spells them in camelCase (discovery clients) or snake_case (gRPC-style
clients, and Monitoring). The same shape is Config Connector's `DiffForTopLevelFields`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from provisioner.engine.labels import labels_kept
from provisioner.engine.plan import FieldChange

_CAPITAL = re.compile(r"(?<!^)(?=[A-Z])")


def snake_case(path: str) -> str:
    """`versionTemplate.algorithm` → `version_template.algorithm`."""
    return ".".join(_CAPITAL.sub("_", part).lower() for part in path.split("."))


def top_level(changes: Sequence[FieldChange]) -> set[str]:
    """The top-level fields the changes touch."""
    return {c.path.split(".")[0] for c in changes}


def _touches(change: FieldChange, path: str) -> bool:
    return change.path == path or change.path.startswith(path + ".")


@dataclass(frozen=True)
class UpdateMask:
    """How one kind's partial update names what it writes."""

    #: The body paths an update may write, in the order the mask lists them; empty: every
    #: changed top-level field, in name order.
    fields: tuple[str, ...] = ()
    #: Paths written along with a field whenever it is (a new rotation period restarts the
    #: schedule, so the next rotation time goes with it).
    together: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    #: The API spells mask paths in snake_case.
    snake: bool = False

    def changed(self, changes: Sequence[FieldChange]) -> list[str]:
        """The fields (body spelling) an update for these changes writes, in mask order."""
        if not self.fields:
            return sorted(top_level(changes))
        return [f for f in self.fields if any(_touches(c, f) for c in changes)]

    def paths(self, fields: Iterable[str]) -> list[str]:
        """The mask for writing `fields`: each with what travels with it, in the API's spelling."""
        out: list[str] = []
        for name in fields:
            for path in (name, *self.together.get(name, ())):
                out.append(snake_case(path) if self.snake else path)
        return out

    def body(
        self,
        fields: Iterable[str],
        desired: Mapping[str, Any],
        live: Mapping[str, Any],
        labels: str = "labels",
    ) -> dict[str, Any]:
        """What an update of top-level `fields` sends: the spec's values, except that the labels
        field carries the live labels with the spec's over them (`labels_kept`)."""
        out = {name: desired[name] for name in fields}
        if labels in out:
            out[labels] = labels_kept(live.get(labels), desired[labels])
        return out

    def joined(self, fields: Iterable[str]) -> str:
        """The mask as a discovery client's `updateMask` parameter."""
        return ",".join(self.paths(fields))
