"""The requests we send to Google, pinned: per kind, to create it, to correct a drift, to delete it.

`python -m tests.golden.record` (or `make golden`, or `pytest tests/golden --update-golden`)
runs the real provisioner against the embedded emulator and rewrites
`tests/golden/<kind>/<phase>/_http.log`, in the format and normalisation of the recorded
real-GCP corpus (see `provisioner/traffic/http_log.py`), through the same recording layer as
`--record-http`. `tests/golden/test_golden.py` runs the same recording and fails, with a diff,
when what we send has changed: review the diff, and rewrite the logs when the change is meant.

Three applies of one environment (the one with every kind) make every log, each with one
change at a time (parallelism 1), so the logs come out in one order:
- create: an apply from an empty project; each change's exchanges (its writes, the polls of
  its operations, the reads it makes on the way) go to its kind's log;
- drift: one resource of each kind is changed out of band (`drifts.DRIFTS`, through the kind's
  own update), then one apply corrects them all;
- delete: an apply of an empty spec with `--prune --allow-destroy --allow-prod-destroy`.
A kind with nothing to send in a phase (a node pool made by its cluster's create) has no log
there; `index.txt` lists every kind and phase with what it sends, so that is pinned too.
`permissions.txt` pins the permissions preflight tests and the deploy role is made of (the
`testIamPermissions` request and `preflight --list-permissions`), with the kinds that need each.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import shutil
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from emulator import Emulator, EmulatorConfig
from provisioner.engine.apply import Executor
from provisioner.engine.attribution import AttributedKind
from provisioner.engine.context import Context
from provisioner.engine.diff import field_changes
from provisioner.engine.kind import Reconciler
from provisioner.engine.operations import wait_for
from provisioner.engine.planner import Planner, PlanOptions
from provisioner.engine.retry import RetryPolicy
from provisioner.google.clients import ClientFactory, Endpoints
from provisioner.spec.loader import load_env_spec
from provisioner.traffic.http_log import Exchange, Normaliser, parse, render
from provisioner.traffic.http_record import LOG_NAME, HttpRecorder
from provisioner.workflows.preflight import needed_permissions
from reconcilers import all_reconcilers
from tests.golden.drifts import DRIFTS, NO_DRIFT, Deleted

GOLDEN = Path(__file__).resolve().parent
SPECS = GOLDEN.parents[1] / "specs"
#: The environment whose resources can all be deleted (prod keeps its database), with every kind.
ENV = "dev"
PROJECTS = ["digitwin-live-dev", "digitwin-live-staging", "digitwin-live-prod"]
PHASES = ("create", "drift", "delete")
INDEX = "index.txt"
PERMISSIONS = "permissions.txt"
#: How index.txt marks a kind whose drift could not be made.
MISSING_DRIFT = "NO DRIFT MADE"


class GoldenError(RuntimeError):
    """The recording could not be made as described (an apply failed, a drift went unseen)."""


def record(env: str = ENV) -> dict[str, str]:
    """Every golden file, by its path under tests/golden, from a fresh emulator."""
    with tempfile.TemporaryDirectory() as tmp:
        emulator = Emulator(
            EmulatorConfig(
                state_path=Path(tmp) / "emulator.sqlite",
                projects=PROJECTS,
                seed=7,
                enforce_enabled_apis=True,
            )
        )
        url = emulator.start(port=0)
        try:
            return _Recording(env, url).run()
        finally:
            emulator.stop()


class _Recording:
    def __init__(self, env: str, url: str) -> None:
        self.url = url
        self.spec = load_env_spec(SPECS, env)
        self.recorder = HttpRecorder()
        self.ctx = Context(
            spec=self.spec,
            clients=ClientFactory(Endpoints(default=url), interceptor=self.recorder),
            retry=RetryPolicy.from_environment(),
        )
        self.planner = Planner(self.ctx, all_reconcilers(), parallelism=1)
        #: kind → phase → that kind's exchanges in that phase, normalised.
        self.logs: dict[str, dict[str, list[Exchange]]] = {k: {} for k in self.planner.kinds}
        #: kind → why its drift could not be made (written into index.txt).
        self.drift_problems: dict[str, str] = {}
        #: Each phase's exchanges, by their position in the recording.
        self.phases: list[tuple[str, int, int]] = []
        #: (kind, phase) → the changes of it that failed or were skipped, where that is allowed.
        self.refused: dict[tuple[str, str], list[str]] = {}

    def run(self) -> dict[str, str]:
        self._phase("create", self.planner, PlanOptions())
        drifted = self._drift()
        self._phase("drift", self.planner, PlanOptions(), expect=drifted)
        everything = PlanOptions(prune=True, allow_destroy=True, allow_prod_destroy=True)
        emptied = Planner(self.ctx, [_Emptied(r) for r in all_reconcilers()], parallelism=1)
        # The database, its secret and keys are abandoned, not deleted (their deletion policy), so
        # the API refuses to delete the network under them: that refusal is pinned as well.
        self._phase("delete", emptied, everything, refusals_allowed=True)
        return self._files()

    # -- one apply, split by kind -------------------------------------------------------------
    def _phase(
        self,
        phase: str,
        planner: Planner,
        options: PlanOptions,
        expect: Sequence[str] = (),
        refusals_allowed: bool = False,
    ) -> None:
        """Plan and apply once; what each change sent goes to its kind's log of `phase`."""
        start = len(self.recorder.exchanges())
        observation = planner.snapshot()
        plan = planner.plan(options, observation)
        unseen = sorted(set(expect) - {c.address for c in plan.pending})
        if unseen:
            raise GoldenError(f"{phase}: the plan does not correct the drift of {', '.join(unseen)}")
        kinds: dict[str, Any] = {n: AttributedKind(k, self.recorder) for n, k in planner.kinds.items()}
        result = Executor(ctx=self.ctx, kinds=kinds, live=observation.live, parallelism=1).run(plan)
        problems = [o for o in result.outcomes if o.status != "done"]
        if problems and not refusals_allowed:
            lines = [f"{o.change.address}: {o.status}: {o.detail}" for o in problems]
            raise GoldenError(f"{phase}: the apply did not complete:\n  " + "\n  ".join(lines))
        for outcome in problems:
            kind = outcome.change.kind
            self.refused.setdefault((kind, phase), []).append(f"{outcome.change.address} {outcome.status}")
        self.phases.append((phase, start, len(self.recorder.exchanges())))

    def _drift(self) -> list[str]:
        """Change one live resource of each kind out of band; the addresses changed.

        A drift that cannot be made (a kind with none given yet, a field no longer in the spec)
        does not stop the recording: it is written into index.txt, which the test refuses.
        """
        observation = self.planner.snapshot()
        drifted = []
        for name, kind in sorted(self.planner.kinds.items()):
            if name not in DRIFTS:
                self.drift_problems[name] = f"{MISSING_DRIFT} (add one to tests/golden/drifts.py)"
                continue
            drift = DRIFTS[name]
            if drift is None:
                continue
            resource = next(
                (
                    r
                    for r in sorted(observation.desired, key=lambda r: r.address)
                    if r.kind == name and r.address in observation.live and drift.applies(r)
                ),
                None,
            )
            if resource is None:
                self.drift_problems[name] = f"{MISSING_DRIFT}: {ENV} has no {name} it applies to"
                continue
            live = observation.live[resource.address]
            if isinstance(drift, Deleted):
                op = kind.delete(live)
            else:
                changed = dataclasses.replace(resource, body=drift.change(resource.body))
                fields = field_changes(kind, changed, live)
                if not fields:
                    self.drift_problems[name] = f"{MISSING_DRIFT}: {drift.describe()} changes nothing"
                    continue
                op = kind.update(changed, live, fields)
            wait_for(op, self.ctx.retry, kind.meta.poll_schedule)
            drifted.append(resource.address)
        return drifted

    # -- the files ------------------------------------------------------------------------------
    def _split(self) -> None:
        """Normalised as one run (the same id is the same placeholder in every phase), then split
        by phase and by the kind of the change that sent each exchange."""
        exchanges = Normaliser(self.ctx.project, (self.url,)).normalise(self.recorder.exchanges())
        for phase, start, end in self.phases:
            for exchange in exchanges[start:end]:
                if exchange.address is not None:
                    kind = exchange.address.split("/", 1)[0]
                    self.logs[kind].setdefault(phase, []).append(exchange)

    def _files(self) -> dict[str, str]:
        self._split()
        files: dict[str, str] = {}
        index = [
            "What the provisioner sends, per kind and phase (tests/golden/record.py).",
            "'-': nothing of its own (done by another change's request, or no drift to correct).",
            "",
        ]
        for kind in sorted(self.logs):
            cells = []
            for phase in PHASES:
                exchanges = self.logs[kind].get(phase, [])
                if not exchanges:
                    cells.append(f"{phase} -")
                    continue
                files[f"{kind}/{phase}/{LOG_NAME}"] = render(exchanges) + "\n"
                writes = sum(1 for e in exchanges if e.method != "GET")
                refused = ", ".join(self.refused.get((kind, phase), []))
                cells.append(
                    f"{phase} {len(exchanges)} ({writes} not GET{'; ' + refused if refused else ''})"
                )
            drift = DRIFTS.get(kind)
            why = self.drift_problems.get(kind) or (drift.describe() if drift else NO_DRIFT.get(kind, "none"))
            cells.append(f"drift: {why}")
            index.append(f"{kind}: " + "; ".join(cells))
        files[INDEX] = "\n".join(index) + "\n"
        files[PERMISSIONS] = permissions_text()
        return files


def permissions_text() -> str:
    """Every permission the deploy role holds, a line each, with what needs it."""
    needs = needed_permissions({k.meta.kind: k for r in all_reconcilers() for k in r.kinds}.values())
    lines = ["The permissions preflight tests and the deploy role holds (tests/golden/record.py).", ""]
    lines += [f"{permission}: {', '.join(why)}" for permission, why in needs.items()]
    return "\n".join(lines) + "\n"


class _Emptied(Reconciler):
    """A family that wants nothing: its kinds' live resources are all to be pruned."""

    def __init__(self, inner: Reconciler) -> None:
        self.family = inner.family
        self.kinds = inner.kinds

    def desired(self, ctx: Context) -> list[Any]:
        return []


# -- files on disk ------------------------------------------------------------------------------
def on_disk(folder: Path = GOLDEN) -> dict[str, str]:
    """The golden files checked in under `folder`."""
    found = {name: (folder / name).read_text() for name in (INDEX, PERMISSIONS) if (folder / name).exists()}
    for path in folder.glob(f"*/*/{LOG_NAME}"):
        found[str(path.relative_to(folder))] = path.read_text()
    return found


def write(files: dict[str, str], folder: Path = GOLDEN) -> None:
    """Make `folder` hold exactly `files`: logs of kinds or phases no longer sent are removed."""
    for stale in set(on_disk(folder)) - set(files):
        (folder / stale).unlink()
    for kind_dir in folder.iterdir():
        if kind_dir.is_dir() and not kind_dir.name.startswith(("_", ".")):
            for phase_dir in kind_dir.iterdir():
                if phase_dir.is_dir() and not any(phase_dir.iterdir()):
                    phase_dir.rmdir()
            if not any(kind_dir.iterdir()):
                shutil.rmtree(kind_dir)
    for relative, text in files.items():
        path = folder / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def requests_of(text: str) -> str:
    """What a log says we sent: each request line, its headers and body, answers left out.

    The answers in the logs are the emulator's, kept for the reader; a change in them is the
    emulator's business, refreshed by the same command, not a change in what we send.
    """
    if not text.strip() or not text.lstrip().startswith(tuple(_METHODS)):
        return text  # index.txt, permissions.txt
    out = []
    for e in parse(text):
        lines = [f"{e.method} {e.url}", *(f"{k}: {v}" for k, v in e.request_headers)]
        if e.request_body is not None:
            lines += ["", json.dumps(e.request_body, indent=2, sort_keys=True, ensure_ascii=False)]
        out.append("\n".join(lines))
    return "\n\n---\n\n".join(out) + "\n"


_METHODS = ("GET ", "POST ", "PUT ", "PATCH ", "DELETE ")


def differences(
    recorded: dict[str, str], checked_in: dict[str, str], requests_only: bool = False
) -> list[str]:
    """A unified diff per file that differs, is new or is gone (of the requests alone, if asked)."""
    import difflib

    view = requests_of if requests_only else (lambda text: text)
    out = []
    for relative in sorted(set(recorded) | set(checked_in)):
        before, after = view(checked_in.get(relative, "")), view(recorded.get(relative, ""))
        if before != after:
            diff = difflib.unified_diff(
                before.splitlines(keepends=True),
                after.splitlines(keepends=True),
                f"checked in: tests/golden/{relative}",
                f"sent now: tests/golden/{relative}",
            )
            out.append("".join(diff))
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.golden.record", description=__doc__.split("\n")[0])
    parser.add_argument(
        "--check", action="store_true", help="only compare; exit 1 with the diff if they differ"
    )
    parser.add_argument(
        "--requests-only", action="store_true", help="with --check: compare what we send, not the answers"
    )
    args = parser.parse_args(argv)
    try:
        files = record()
    except GoldenError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    diffs = differences(files, on_disk(), requests_only=args.requests_only)
    if args.check:
        sys.stdout.writelines(diffs)
        return 1 if diffs else 0
    write(files)
    print(f"{len(diffs)} golden file(s) changed in {GOLDEN}; review them with `git diff tests/golden`")
    return 0


if __name__ == "__main__":
    sys.exit(main())
