"""Scoring one answer of the emulator against the real one.

A *field* is a leaf path of the JSON with list positions folded (`allowed[].IPProtocol`), so a
list of forty regions counts once and the order of a list does not matter. Empty objects and
lists are leaves too: real Google omits what is empty, and an emulator that returns `{}` where
Google says nothing has an extra field.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from dataclasses import fields as dataclass_fields
from typing import Any

from conformance.recorder import absent_excused, invented, value_unknown

#: Values the recorder writes in place of what changes between runs (see the corpus README).
NORMALISED = re.compile(
    r"^(2024-04-01T12:34:56\.123456Z|2025-01-01T00:00:00Z|0{21}|1{21}|8{21}|abcdef0123A=?|12345678901234"
    r"|user@example\.com|test@google\.com|8\.8\.8\.8|\$\{[A-Za-z0-9]+\}"
    # a service identity's uniqueId
    r"|12345678)$"
)
#: Keys whose value the recorder rewrites: Cloud SQL's settingsVersion is `123`; compute's
#: numeric `targetId` and the id in `selfLinkWithId` become the resource's placeholder.
#: The gateway of a subnetwork is written `10.0.0.1` whatever its range.
NORMALISED_KEYS = {
    "settingsVersion",
    "targetId",
    "selfLinkWithId",
    "gatewayAddress",
    # a Cloud SQL server certificate is written as an empty one
    "cert",
    "certSerialNumber",
    "commonName",
    "sha1Fingerprint",
    # who made or last changed a Cloud Run resource: the caller's own account, which the
    # recordings kept as it was before the recorder wrote it over (katriel@google.com in
    # kcc-history/run/v1beta1/runjob/*), not a value of the API's
    "creator",
    "lastModifier",
}


def leaves(value: Any, prefix: str = "") -> dict[str, list[Any]]:
    """Field path -> the leaf values found at it."""
    out: dict[str, list[Any]] = defaultdict(list)

    def walk(node: Any, path: str) -> None:
        if isinstance(node, dict) and node:
            for key, child in node.items():
                walk(child, f"{path}.{key}" if path else key)
        elif isinstance(node, list) and node:
            for child in node:
                walk(child, f"{path}[]")
        else:
            out[path].append(node)

    walk(value, prefix)
    return out


def _link(value: Any) -> Any:
    """Links are compared by path: whatever the host and version prefix, from `projects/` on."""
    if isinstance(value, str) and "/" in value:
        for marker in ("projects/", "locations/", "services/", "b/"):
            at = value.find(marker)
            if at == 0 or (at > 0 and value[at - 1] == "/"):
                return value[at:]
    return value


#: Cloud SQL values Config Connector's recorder writes over what Google answered (its source at
#: the corpus commit cdb85ecf17): every instance address becomes 10.10.10.10 (PRIMARY),
#: 10.10.10.11 (OUTGOING) or 10.1.2.3 (PRIVATE) (mockgcp/mocksql/normalize.go, Previsit); the
#: service account becomes p${projectNumber}-abcdef@... (tests/e2e/httplog.go,
#: addReplacement("serviceAccountEmailAddress")); gceZone is hard-coded us-central1-a and every
#: users list's items[].host is set to "" (tests/e2e/normalize_legacy.go, the sql#instance and
#: sql#usersList mutators: a europe-west1 instance reads us-central1-a in
#: sql/v1beta1/sqlinstance/sqlinstance-postgres-replication #20, a user created on host
#: 10.1.2.3 lists host "" in sql/v1beta1/sqluser/sqluser #8-#9).
NORMALISED_SQL_PATHS = {"ipAddresses[].ipAddress", "serviceAccountEmailAddress", "gceZone", "items[].host"}


def comparable(path: str, value: Any) -> bool:
    if path.rsplit(".", 1)[-1] in NORMALISED_KEYS or path in NORMALISED_SQL_PATHS:
        return False
    return not (isinstance(value, str) and NORMALISED.match(value))


#: The recorder writes Google's own protobuf packages in type URLs as mockgcp's
#: (`type.googleapis.com/mockgcp.api.serviceusage.v1beta1.ServiceIdentity` for
#: `google.api.serviceusage.v1beta1.ServiceIdentity`): both spellings mean the same type.
_RECORDED_TYPE = "type.googleapis.com/mockgcp."


def _canon(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(_RECORDED_TYPE):
        value = "type.googleapis.com/google." + value.removeprefix(_RECORDED_TYPE)
    value = _link(value)
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, (int, float)):
        return str(value)  # Google's JSON writes int64 as strings; both forms mean the same
    return value


@dataclass
class Score:
    """Counts for one or many exchanges."""

    exchanges: int = 0
    status_ok: int = 0
    fields: int = 0  # fields of the real answers
    recalled: int = 0  # of those, present in the emulator's
    values: int = 0  # comparable fields present in both
    agreed: int = 0  # of those, equal
    extra: int = 0  # fields the emulator returned that the real answer did not
    unimplemented: int = 0
    cascades: int = 0
    mock_accepted: int = 0  # requests only mockgcp accepted, refused as Google refuses them
    diffs: list[dict[str, Any]] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        """Every count by name, in declaration order: what `add` sums and `summary` reports."""
        return {f.name: getattr(self, f.name) for f in dataclass_fields(self) if f.name != "diffs"}

    def add(self, other: Score) -> None:
        for name, count in other.counts().items():
            setattr(self, name, getattr(self, name) + count)
        self.diffs.extend(other.diffs)

    def rates(self) -> dict[str, float]:
        def pct(a: int, b: int) -> float:
            return round(100.0 * a / b, 1) if b else 100.0

        return {
            "status": pct(self.status_ok, self.exchanges),
            "recall": pct(self.recalled, self.fields),
            "values": pct(self.agreed, self.values),
            "extra": pct(self.extra, self.fields) if self.fields else 0.0,
        }

    def summary(self) -> dict[str, Any]:
        return {**self.counts(), **{f"{k}_pct": v for k, v in self.rates().items()}}


def compare(
    real_status: int, recorded: Any, real: Any, emu_status: int, emu: Any, where: str, host: str = ""
) -> Score:
    """Score one exchange: the status always; the fields when both answers are successes.

    `recorded` is the real answer as written (to tell placeholders and normalised values),
    `real` the same with the placeholders bound during the replay filled in. `host` is the API
    host, for what `recorder.RULES` declares the recording cannot show of it.
    """
    score = Score(exchanges=1, status_ok=int(real_status == emu_status))
    if real_status != emu_status:
        said = (
            emu.get("error", {}).get("message")
            if isinstance(emu, dict) and isinstance(emu.get("error"), dict)
            else None
        )
        score.diffs.append({"at": where, "status": [real_status, emu_status], "message": said})
    if real_status >= 400 or emu_status >= 400:
        return score
    real_leaves = leaves(real) if isinstance(real, (dict, list)) else {}
    recorded_leaves = leaves(recorded) if isinstance(recorded, (dict, list)) else {}
    emu_leaves = leaves(emu) if isinstance(emu, (dict, list)) else {}
    missing, extra, differ = [], [], []
    for path, values in real_leaves.items():
        if path not in emu_leaves and invented(host, path, recorded, where):
            continue
        score.fields += 1
        if path not in emu_leaves:
            missing.append(path)
            continue
        score.recalled += 1
        if not all(comparable(path, v) for v in recorded_leaves.get(path, values)):
            continue
        if value_unknown(host, path, recorded, where):
            continue
        score.values += 1
        want = sorted(map(repr, map(_canon, values)))
        got = sorted(map(repr, map(_canon, emu_leaves[path])))
        if want == got:
            score.agreed += 1
        else:
            differ.append({"field": path, "real": values[:3], "emulator": emu_leaves[path][:3]})
    unshown = [p for p in emu_leaves if p not in real_leaves]
    extra = [p for p in unshown if not absent_excused(host, p, emu_leaves[p], recorded, where)]
    excused = [p for p in unshown if p not in extra]
    score.extra = len(extra)
    if missing or extra or differ:
        score.diffs.append(
            {"at": where, "missing": missing, "extra": extra, "differ": differ, "not_recorded": excused}
        )
    return score
