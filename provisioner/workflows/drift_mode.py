"""`apply --drift-only`: what the scheduled drift job runs.

It corrects drift of resources that exist and are managed: only in-place updates are
applied. Anything else the plan holds (a missing resource, a replacement, a deletion, an
unmanaged look-alike) is held back and reported, for a reviewed apply to deal with; a
scheduled job must never create or destroy on its own. `--report-only` applies nothing.

Each environment's run leaves a report in its state bucket and a metric point (see
`provisioner.reports.drift_report`). Given several environments (`--env` more than once, or
`--all-envs`), each task of the Cloud Run job takes its own share of them.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from provisioner.reports.job_logging import Events, in_cloud_run_job, structured_output
from provisioner.workflows.outcome import EXIT_ERROR, EXIT_OK, UsageError
from provisioner.workflows.sharding import ShardError, share, task_position

if TYPE_CHECKING:
    from provisioner.engine.apply import Outcome
    from provisioner.engine.kind import Kind
    from provisioner.engine.operations import Operation
    from provisioner.engine.plan import Change, Plan
    from provisioner.reports.drift_report import DriftRun
    from provisioner.workflows.registry import Registry
    from provisioner.workflows.session import Session

HELD_BACK = "drift-only runs correct existing resources in place; a reviewed apply must {verb} it"
VERBS = {"create": "create", "replace": "replace", "delete": "delete", "abandon": "release"}
ACCESS_HELD_BACK = (
    "drift-only runs never change who may do what (the job holds no right to grant roles); "
    "a reviewed apply must put it back"
)


class EnvList(argparse.Action):
    """`--env` as before (the last one given), also collected in `envs` when given several times."""

    def __call__(self, parser: Any, namespace: Any, values: Any, option_string: str | None = None) -> None:
        setattr(namespace, self.dest, values)
        envs = list(getattr(namespace, "envs", None) or [])
        namespace.envs = [*envs, values]


def add_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--drift-only",
        action="store_true",
        help="correct drift of existing managed resources only; write a report and a metric point",
    )
    parser.add_argument("--report-only", action="store_true", help="with --drift-only: apply nothing")
    parser.add_argument(
        "--all-envs", action="store_true", help="with --drift-only: every environment in --specs"
    )
    parser.set_defaults(envs=[])


def keep_drift_corrections(plan: Plan, kinds: Mapping[str, Kind]) -> Plan:
    """Hold back every change that is not an in-place update of a managed resource, and any
    change to who may do what."""
    for change in plan.changes:
        if change.blocked is not None:
            continue
        if change.action in VERBS:
            change.blocked = HELD_BACK.format(verb=VERBS[change.action])
        elif kinds[change.kind].meta.grants_access:
            change.blocked = ACCESS_HELD_BACK
    return plan


def environments(args: argparse.Namespace) -> list[str]:
    """This task's share of the environments asked for."""
    from provisioner.spec.loader import list_envs

    envs = list(args.envs or ([args.env] if args.env else []))
    if args.all_envs:
        envs += list_envs(args.specs)
    if not envs:
        raise UsageError("--drift-only needs --env ENV (one or more times) or --all-envs")
    try:
        index, count = task_position()
    except ShardError as exc:
        raise UsageError(str(exc)) from None
    return share(envs, index, count)


def run(args: argparse.Namespace, registry: Registry) -> int:
    """Correct (or report) drift in this task's environments; exit 1 if any run failed."""
    if not args.drift_only:
        raise UsageError("apply takes one --env; several only with --drift-only")
    if args.planfile:
        raise UsageError("--drift-only plans for itself; it does not take a plan file")
    structured = in_cloud_run_job()
    with structured_output(structured):
        events = Events(structured)
        envs = environments(args)
        events.emit("INFO", f"drift run over {', '.join(envs) or 'no environments'}", envs=envs)
        runs = [_one(args, env, registry, events) for env in envs]
    # A run whose report or metric point was lost failed too: nobody would see what it found.
    return EXIT_ERROR if any(r.outcome == "failed" or r.unrecorded for r in runs) else EXIT_OK


def _one(args: argparse.Namespace, env: str, registry: Registry, events: Events) -> DriftRun:
    from provisioner.reports.drift_report import DriftRun
    from provisioner.workflows.session import Session

    try:
        session = Session(args, env, registry)
    except Exception as exc:
        drift = DriftRun(env=env, project="", error=f"{type(exc).__name__}: {exc}")
        events.emit("ERROR", f"{env}: cannot start: {drift.error}", env=env, outcome="failed")
        return drift
    drift = DriftRun(env=env, project=session.ctx.project, report_only=args.report_only)
    try:
        _correct(args, session, drift, events)
    except Exception as exc:  # one environment's failure must not stop the others
        from provisioner.google.errors import classify

        err = classify(exc)
        drift.error = str(err) if err else f"{type(exc).__name__}: {exc}"
    finally:
        _record(session, drift, events)
        session.close()
    return drift


def _correct(args: argparse.Namespace, session: Session, drift: DriftRun, events: Events) -> None:
    from provisioner.engine.apply import Reporter
    from provisioner.engine.planner import PlanOptions
    from provisioner.reports.render import plan_text
    from provisioner.workflows import apply_steps

    observation = session.planner.snapshot()
    plan = keep_drift_corrections(session.planner.plan(PlanOptions(), observation), session.planner.kinds)
    drift.plan = plan
    for change in (c for c in plan.changes if c.action != "noop"):
        events.emit(
            "WARNING",
            f"{drift.env}: drift on {change.address}: {change.action}"
            + (f" (held back: {change.blocked})" if change.blocked else ""),
            env=drift.env,
            address=change.address,
            action=change.action,
            fields=[f.path for f in change.fields],
            held_back=change.blocked,
        )
    if events.structured:  # on a terminal, the plan's quiet line says it
        for address, fields in sorted(plan.ignored.items()):
            events.emit(
                "INFO",
                f"{drift.env}: {address}: {len(fields)} difference(s) left alone by ignore rules",
                env=drift.env,
                address=address,
                ignored=[{"path": f.path, "reason": f.reason} for f in fields],
            )
    if not events.structured and not args.quiet:
        print(plan_text(plan, verbose=args.verbose > 0))
    if not plan.pending or args.report_only:
        return
    lock = apply_steps.take_lock(session, args)
    try:
        live = observation.live
        if lock is not None:
            if apply_steps.refuse_if_moved(session, plan, None):
                raise RuntimeError("the live side changed while the lock was taken; the next run corrects it")
            live = session.live or {}
        reporter: Reporter = (
            _JsonReporter(events, drift.env)
            if events.structured
            else apply_steps.reporter(args, len(plan.pending))
        )
        drift.result = apply_steps.execute(session, plan, live, reporter, args.parallelism)
    finally:
        if lock is not None:
            lock.release()


def _record(session: Session, drift: DriftRun, events: Events) -> None:
    """Leave the report and the metric point; failing to is itself a failure, said loudly."""
    from provisioner.reports.drift_report import write_metric, write_report

    fields = {"env": drift.env, "outcome": drift.outcome, "drifted": drift.drifted}
    try:
        names = write_report(session.ctx, drift)
        fields["report"] = names
    except Exception as exc:
        drift.unrecorded.append(f"the report could not be written: {_one_line(exc)}")
        events.emit("ERROR", f"{drift.env}: {drift.unrecorded[-1]}", **fields)
    try:
        write_metric(session.ctx, drift)
    except Exception as exc:
        drift.unrecorded.append(f"the metric point could not be written: {_one_line(exc)}")
        events.emit("ERROR", f"{drift.env}: {drift.unrecorded[-1]}", **fields)
    severity = "ERROR" if drift.outcome == "failed" else "INFO"
    message = f"{drift.env}: {drift.outcome}, {drift.drifted} resource(s) drifted"
    if drift.error:
        message += f": {drift.error}"
    events.emit(severity, message, **fields)


def _one_line(exc: BaseException) -> str:
    """An API error as its one-line summary (status, reason, message), anything else as itself."""
    from provisioner.google.errors import classify

    err = classify(exc)
    return " ".join(str(err if err else f"{type(exc).__name__}: {exc}").split())


class _JsonReporter:
    """Apply progress as structured log entries."""

    def __init__(self, events: Events, env: str) -> None:
        self.events = events
        self.env = env

    def started(self, change: Change) -> None:
        self.events.emit(
            "INFO", f"{change.address}: {change.action} started", env=self.env, address=change.address
        )

    def waiting(self, change: Change, op: Operation) -> None:
        pass

    def note(self, change: Change, text: str) -> None:
        self.events.emit("INFO", f"{change.address}: {text}", env=self.env, address=change.address)

    def finished(self, outcome: Outcome) -> None:
        severity = "INFO" if outcome.status == "done" else "ERROR"
        self.events.emit(
            severity,
            f"{outcome.change.address}: {outcome.status} ({outcome.detail})",
            env=self.env,
            address=outcome.change.address,
            status=outcome.status,
            seconds=round(outcome.seconds, 3),
        )
