"""Replaying the whole corpus, the table per kind, the results file and the floors."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from conformance import corpus
from conformance.replay import Replay, Result
from conformance.score import Score

HERE = Path(__file__).parent
RESULTS_JSON = HERE / "results.json"
RESULTS_MD = HERE / "results.md"
FLOORS = HERE / "floors.json"

#: Targets on the implemented surface for the kinds the provisioner manages.
TARGETS = {"status": 97.0, "recall": 98.0, "values": 95.0, "extra": 2.0}
#: Kinds of the corpus the provisioner does not manage (scored, held to their floors, but
#: not to the targets): regional self-managed certificates (the load balancer is global and
#: its certificate Google-managed).
UNMANAGED = {"compute/computesslcertificate"}


@dataclass
class Run:
    results: list[Result]
    by_kind: dict[str, Score]
    total: Score  # the corpus (kcc-golden), the measure
    seeded: dict[str, list[str]]
    #: the earlier real recordings (kcc-history), scored apart
    history_total: Score = field(default_factory=Score)

    def methods(self, category: str = "scored") -> dict[str, int]:
        """Emulator method ids the replay exercised, with how many real exchanges each."""
        counts: dict[str, int] = defaultdict(int)
        for r in self.results:
            if r.category == category and r.method_id:
                counts[r.method_id] += 1
        return dict(sorted(counts.items()))


def replay_all(selection: str | None = None) -> Run:
    results: list[Result] = []
    seeded: dict[str, list[str]] = {}
    for log in corpus.every_log():
        if selection and selection not in log.name:
            continue
        replay = Replay(log)
        results.extend(replay.run())
        if replay.seeded:
            seeded[log.name] = replay.seeded
    by_kind: dict[str, Score] = defaultdict(Score)
    total, history_total = Score(), Score()
    for r in results:
        by_kind[r.kind].add(r.score)
        (history_total if r.kind.startswith(corpus.HISTORY_PREFIX) else total).add(r.score)
    return Run(results, dict(sorted(by_kind.items())), total, seeded, history_total)


def meets_targets(score: Score) -> bool:
    rates = score.rates()
    return (
        rates["status"] >= TARGETS["status"]
        and rates["recall"] >= TARGETS["recall"]
        and rates["values"] >= TARGETS["values"]
        and rates["extra"] <= TARGETS["extra"]
        and score.cascades == 0
    )


def table(run: Run) -> str:
    head = (
        "| kind | exchanges | status % | recall % | values % | extra fields | extra % | "
        "not implemented | cascades | mock-accepted | targets |\n"
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|\n"
    )
    rows = []
    totals = [("**total**", run.total)]
    if run.history_total.exchanges:
        totals.append(("**total, earlier recordings**", run.history_total))
    for kind, s in [*run.by_kind.items(), *totals]:
        r = s.rates()
        target = (
            "n/a"
            if kind in UNMANAGED or kind.startswith("**")
            else ("met" if meets_targets(s) else "not yet")
        )
        rows.append(
            f"| {kind} | {s.exchanges} | {r['status']} | {r['recall']} | {r['values']} | {s.extra} | "
            f"{r['extra']} | {s.unimplemented} | {s.cascades} | {s.mock_accepted} | {target} |"
        )
    return head + "\n".join(rows) + "\n"


def write_diffs(run: Run, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        json.dumps([{**d, "category": r.category} for r in run.results for d in r.score.diffs], indent=1)
    )


def write(run: Run) -> None:
    data: dict[str, Any] = {
        "corpus": "GoogleCloudPlatform/k8s-config-connector pkg/test/resourcefixture/testdata/basic "
        "at cdb85ecf17",
        "targets": TARGETS,
        "kinds": {k: s.summary() for k, s in run.by_kind.items()},
        "total": run.total.summary(),
        "history_total": run.history_total.summary(),
        "methods_exercised": run.methods(),
        "methods_not_implemented": run.methods("unimplemented"),
        "seeded": run.seeded,
    }
    RESULTS_JSON.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")
    RESULTS_MD.write_text(
        "# Conformance against recorded real Google Cloud traffic\n\n"
        "Written by `make conformance` (`python -m conformance`); see conformance/README.md.\n\n" + table(run)
    )


# floors: each kind's scores may only go up


def floors_of(run: Run) -> dict[str, dict[str, float]]:
    out = {}
    for kind, s in run.by_kind.items():
        r = s.rates()
        out[kind] = {
            "status": r["status"],
            "recall": r["recall"],
            "values": r["values"],
            "extra": r["extra"],
            "cascades": s.cascades,
            "exchanges": s.exchanges,
            "fields": s.fields,
        }
    return out


def below_floors(run: Run, floors: dict[str, dict[str, float]]) -> list[str]:
    """Sentences naming each score that fell below its recorded floor."""
    problems = []
    for kind, floor in sorted(floors.items()):
        score = run.by_kind.get(kind)
        if score is None:
            problems.append(f"{kind}: no exchange was scored (the floor expects {floor['exchanges']})")
            continue
        r = score.rates()
        for key in ("status", "recall", "values"):
            if r[key] < floor[key]:
                problems.append(f"{kind}: {key} {r[key]}% is below its floor {floor[key]}%")
        if r["extra"] > floor["extra"]:
            problems.append(f"{kind}: extra fields {r['extra']}% are above their ceiling {floor['extra']}%")
        if score.cascades > floor["cascades"]:
            problems.append(f"{kind}: {score.cascades} cascades, more than the {floor['cascades']} recorded")
        if score.exchanges < floor["exchanges"]:
            problems.append(
                f"{kind}: {score.exchanges} exchanges scored, fewer than the {floor['exchanges']} recorded"
            )
    return problems


def load_floors() -> dict[str, dict[str, float]]:
    return json.loads(FLOORS.read_text()) if FLOORS.exists() else {}


def raise_floors(run: Run) -> dict[str, dict[str, float]]:
    """New floors: the better of the old floor and this run, per score. A kind whose scored
    exchanges or compared fields grew (surface the emulator did not serve or answered with an
    error before, now measured) starts again from this run: its rates are over other exchanges
    than the old floor's."""
    old = load_floors()
    new = floors_of(run)
    for kind, floor in new.items():
        prev = old.get(kind)
        grew = (
            floor["exchanges"] > prev["exchanges"] or floor["fields"] > prev.get("fields", 0)
            if prev
            else True
        )
        if prev and not grew:
            for key in ("status", "recall", "values", "exchanges", "fields"):
                floor[key] = max(floor[key], prev.get(key, 0))
            for key in ("extra", "cascades"):
                floor[key] = min(floor[key], prev[key])
    FLOORS.write_text(json.dumps(new, indent=1, sort_keys=True) + "\n")
    return new
