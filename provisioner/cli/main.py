"""`python -m provisioner`: validate, plan and apply an environment's spec.

Heavy imports (client libraries, the engine) happen inside the commands, so `--help` and
`validate` start in a fraction of a second.
"""

from __future__ import annotations

import argparse
import logging
import math
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

from provisioner.workflows.drift_mode import EnvList
from provisioner.workflows.drift_mode import add_options as add_drift_options

EXIT_OK, EXIT_ERROR, EXIT_CHANGES = 0, 1, 2
DEFAULT_PARALLELISM = 8


class UsageError(Exception):
    """A problem with what the operator asked for: printed plainly, exit 1."""


def _positive_int(text: str) -> int:
    """argparse type: 0 or fewer operations in flight would stall every plan and apply."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _non_negative_float(text: str) -> float:
    """argparse type for scales and timeouts: negative, NaN or infinite values have no meaning."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(f"must be a finite number of 0 or more, got {text!r}")
    return value


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--specs", type=Path, default=Path("specs"), help="folder of environment specs (default: specs)"
    )
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more log output (-vv for debug)")
    parser.add_argument("-q", "--quiet", action="store_true", help="only errors and the final summary")
    parser.add_argument(
        "--log-format",
        choices=("text", "json"),
        default="text",
        help="stderr as plain lines (text) or one JSON object a line (json)",
    )


def _engine_options(parser: argparse.ArgumentParser) -> None:
    _connection_options(parser)
    _consent_options(parser)


def _connection_options(parser: argparse.ArgumentParser, parallelism: bool = True) -> None:
    """Where the APIs are and as whom: every command that calls them takes these.

    Commands that act on one resource at a time leave out --parallelism, which would change nothing.
    """
    if not parallelism:
        parser.set_defaults(parallelism=DEFAULT_PARALLELISM)
    parser.add_argument(
        "--local",
        action="store_true",
        help="use the embedded emulator, its state kept in --state-dir, instead of Google Cloud",
    )
    parser.add_argument(
        "--state-dir", type=Path, default=Path(".provisioner"), help="where --local keeps its state"
    )
    parser.add_argument(
        "--local-profile",
        choices=("flat", "realistic"),
        default="flat",
        help="with --local: operations finish at once (flat) or take scaled real durations (realistic)",
    )
    parser.add_argument(
        "--local-scale",
        type=_non_negative_float,
        default=0.01,
        help="realistic durations times this (default 0.01)",
    )
    if parallelism:
        parser.add_argument(
            "--parallelism",
            type=_positive_int,
            default=DEFAULT_PARALLELISM,
            help=f"API operations in flight at once (default {DEFAULT_PARALLELISM})",
        )
    parser.add_argument("--impersonate", metavar="SERVICE_ACCOUNT", help="act as this service account")
    parser.add_argument(
        "--record-http",
        type=Path,
        metavar="DIR",
        help="write every API exchange of this run to DIR/<command>-<env>-<time>/_http.log, normalised"
        " as the recorded real-GCP corpus is, secrets masked",
    )


def _consent_options(parser: argparse.ArgumentParser) -> None:
    """What a plan holds back until asked: only commands that plan and apply take these."""
    parser.add_argument(
        "--adopt", action="store_true", help="take over existing resources without our labels"
    )
    parser.add_argument(
        "--prune", action="store_true", help="delete managed resources the spec no longer names"
    )
    parser.add_argument(
        "--allow-destroy", action="store_true", help="allow deleting or replacing resources that hold data"
    )
    parser.add_argument(
        "--allow-prod-destroy",
        action="store_true",
        help="in production, also needed (with --allow-destroy) to destroy data",
    )


class Parser(argparse.ArgumentParser):
    """argparse, but a usage error exits 1, as every other refusal does (and as Terraform's do):
    exit 2 means "changes" from `plan --detailed-exitcode` and "drift found" from `drift`, and a
    CI step that treats 2 as a finding must never read a mistyped option as one."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(EXIT_ERROR, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="provisioner",
        description="Provision and correct the digitwin Google Cloud infrastructure from a typed spec.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    validate = sub.add_parser("validate", help="check specs without calling any API")
    validate.add_argument("--env", help="one environment (default: all)")
    _common(validate)

    plan = sub.add_parser("plan", help="show what apply would change")
    plan.add_argument("--env", required=True)
    plan.add_argument("--format", choices=("text", "json", "markdown"), default="text")
    plan.add_argument("--out", type=Path, help="save the plan as JSON, for `apply PLANFILE`")
    plan.add_argument(
        "--markdown-dir",
        type=Path,
        metavar="DIR",
        help="also write the Markdown plan as DIR/plan-1.md, plan-2.md, …, each fit for one PR comment",
    )
    plan.add_argument(
        "--detailed-exitcode", action="store_true", help="exit 0 with no changes, 2 with changes, 1 on error"
    )
    plan.add_argument(
        "--target", action="append", default=[], metavar="ADDRESS_OR_KIND", help="limit to these"
    )
    plan.add_argument(
        "--show-requests",
        action="store_true",
        help="after the plan, list the API requests apply would send (method, URL, whole body, secrets"
        " masked), worked out by running apply with every write held back: reads go to the API,"
        " nothing is written, no lock is taken. URLs are shown as addressed; with --local, the"
        " emulator's address is shown as the Google host it stands in for. Not in --markdown-dir parts",
    )
    _common(plan)
    _engine_options(plan)

    apply = sub.add_parser("apply", help="make the live resources match the spec (or a saved plan)")
    apply.add_argument("planfile", nargs="?", type=Path, help="a plan saved with `plan --out`")
    apply.add_argument("--env", action=EnvList, help="environment (required without a plan file)")
    apply.add_argument("--auto-approve", action="store_true", help="do not ask for confirmation")
    apply.add_argument(
        "--lock-timeout",
        type=_non_negative_float,
        default=0.0,
        metavar="SECONDS",
        help="wait this long for another writer",
    )
    apply.add_argument("--no-lock", action="store_true", help="apply without taking the environment's lock")
    apply.add_argument("--target", action="append", default=[], metavar="ADDRESS_OR_KIND")
    apply.add_argument(
        "--skip-preflight",
        action="store_true",
        help="do not check billing, quotas, permissions and organisation policies first",
    )
    _common(apply)
    _engine_options(apply)
    add_drift_options(apply)

    preflight = sub.add_parser(
        "preflight",
        help="check billing, quotas, permissions and organisation policies before the first apply",
    )
    preflight.add_argument("--env", required=True)
    preflight.add_argument(
        "--list-permissions",
        action="store_true",
        help="print the permissions an apply of the spec may use, one a line, and call no API",
    )
    _common(preflight)
    _connection_options(preflight, parallelism=False)

    unlock = sub.add_parser("force-unlock", help="remove a lock left by a process that is gone")
    unlock.add_argument("lock_id", metavar="LOCK_ID")
    unlock.add_argument("--env", required=True)
    _common(unlock)
    _connection_options(unlock, parallelism=False)

    drift = sub.add_parser("drift", help="report drift, unmanaged resources and coverage (read-only)")
    drift.add_argument("--env", required=True)
    drift.add_argument("--format", choices=("text", "json", "markdown"), default="text")
    _common(drift)
    _connection_options(drift)

    graph = sub.add_parser("graph", help="draw the dependency graph, marking what a plan would change")
    graph.add_argument("--env", required=True)
    graph.add_argument("--format", choices=("mermaid", "dot"), default="mermaid")
    graph.add_argument("--out", type=Path, help="write to this file (.svg renders with Graphviz)")
    graph.add_argument("--no-plan", action="store_true", help="draw without a plan, calling no API")
    _common(graph)
    _connection_options(graph)

    cost = sub.add_parser("cost", help="monthly cost at list prices, now and after what a plan would change")
    cost.add_argument("--env", required=True)
    cost.add_argument("--format", choices=("text", "json", "markdown"), default="text")
    cost.add_argument("--no-plan", action="store_true", help="price the spec alone, calling no API")
    cost.add_argument(
        "--prices", type=Path, metavar="FILE", help="price table (default: reconcilers/prices.yaml)"
    )
    cost.add_argument(
        "--target", action="append", default=[], metavar="ADDRESS_OR_KIND", help="limit to these"
    )
    _common(cost)
    _engine_options(cost)
    _recovery_parsers(sub)
    return parser


def _backup_id(text: str) -> str:
    """argparse type: backup ids are whole numbers, so anything else is refused before any API call."""
    if not text.isascii() or not text.isdigit():
        raise argparse.ArgumentTypeError(
            f"expected a backup id (a whole number, see `backups list`), got {text!r}"
        )
    return str(int(text))


def _recovery_parsers(sub: Any) -> None:
    backups = sub.add_parser("backups", help="list the environment's backups, or take one now")
    actions = backups.add_subparsers(dest="backups_command", required=True, metavar="ACTION")
    listing = actions.add_parser("list", help="list backups, newest first")
    listing.add_argument("--format", choices=("text", "json"), default="text")
    create = actions.add_parser("create", help="take an on-demand backup (before a risky change, say)")
    create.add_argument("--description", help="kept with the backup, shown by `backups list`")
    restore = sub.add_parser("restore", help="overwrite a resource's data with one of its backups")
    restore.add_argument(
        "--backup-id", required=True, type=_backup_id, metavar="ID", help="from `backups list`"
    )
    restore.add_argument("--auto-approve", action="store_true", help="do not ask for the name to be typed")
    restore.add_argument(
        "--lock-timeout",
        type=_non_negative_float,
        default=0.0,
        metavar="SECONDS",
        help="wait this long for another writer",
    )
    for parser in (listing, create, restore):
        parser.add_argument("--env", required=True)
        parser.add_argument(
            "--resource",
            metavar="ADDRESS",
            help="which resource, when the environment has several with backups",
        )
        _common(parser)
        _connection_options(parser, parallelism=False)


def _log_level(args: argparse.Namespace) -> int:
    level = logging.WARNING
    if args.verbose == 1:
        level = logging.INFO
    elif args.verbose > 1:
        level = logging.DEBUG
    if args.quiet:
        level = logging.ERROR
    return level


def _configure_logging(args: argparse.Namespace) -> None:
    fmt = "%(levelname)s %(name)s: %(message)s"
    logging.basicConfig(level=_log_level(args), format=fmt, stream=sys.stderr)


def _load_spec(specs: Path, env: str) -> Any:
    from provisioner.spec.loader import load_env_spec

    return load_env_spec(specs, env)


# -- validate --------------------------------------------------------------------------
def cmd_validate(args: argparse.Namespace) -> int:
    from provisioner.spec.loader import SpecError, list_envs, load_env_spec, specs_folder_problem
    from provisioner.workflows import ignore_check

    problem = specs_folder_problem(args.specs)
    if problem:
        raise UsageError(f"{args.specs}: {problem}")
    envs = [args.env] if args.env is not None else list_envs(args.specs)
    if not envs:
        raise UsageError(f"no environment specs found in {args.specs}")
    failed = 0
    checks = []
    loaded = []
    for env in envs:
        try:
            loaded.append(load_env_spec(args.specs, env))
            checks.append(ignore_check.enforce(loaded[-1]))
        except SpecError as exc:
            failed += 1
            print(str(exc), file=sys.stderr)
            continue
        if not args.quiet:
            print(f"{env}: valid")
    if args.env is not None:
        _warn(*(w for c in checks for w in c.warnings))
    elif not failed and (nowhere := ignore_check.across_environments(checks)):
        print(str(SpecError(nowhere)), file=sys.stderr)
        failed += 1
    if args.env is None:
        from provisioner.spec.crosschecks import across_environments

        _warn(*across_environments(loaded))
    return EXIT_ERROR if failed else EXIT_OK


def _warn(*lines: str) -> None:
    for line in lines:
        print(line, file=sys.stderr)


# -- shared engine wiring --------------------------------------------------------------
class Session:
    """Spec, clients and planner for one environment, and the emulator if --local."""

    def __init__(self, args: argparse.Namespace, env: str) -> None:
        from provisioner.engine.context import Context
        from provisioner.engine.planner import Planner
        from provisioner.google.clients import ClientFactory, Endpoints
        from reconcilers import all_reconcilers

        self.spec = _load_spec(args.specs, env)  # spec errors surface before any API call
        from provisioner.workflows.ignore_check import enforce as check_ignore_rules

        _warn(*check_ignore_rules(self.spec).warnings)
        self.emulator = None
        # Before anything starts: a folder that cannot be made is refused with nothing to undo.
        self.recording = _Recording.start(args, env) if args.record_http else None
        endpoints = Endpoints.from_environment()
        if args.local:
            from provisioner.google.local import start_local_emulator

            url, self.emulator = start_local_emulator(
                self.spec.project, args.state_dir, args.local_profile, args.local_scale
            )
            endpoints = Endpoints(default=url)
        from provisioner.engine.retry import RetryPolicy

        if self.recording is not None:
            bases = [endpoints.default, *endpoints.per_service.values()]
            self.recording.local_bases = [b for b in bases if b]
        self.ctx = Context(
            spec=self.spec,
            clients=ClientFactory(
                endpoints,
                impersonate=args.impersonate,
                interceptor=self.recording.recorder if self.recording else None,
            ),
            retry=RetryPolicy.from_environment(),
            poll_scale=args.local_scale if args.local and args.local_profile == "realistic" else 1.0,
        )
        self.planner = Planner(self.ctx, all_reconcilers(), parallelism=args.parallelism)

    def close(self) -> None:
        if self.recording is not None:
            self.recording.finish(self.spec.project)
        if self.emulator is not None:
            self.emulator.stop()


class _Recording:
    """`--record-http DIR`: this run's exchanges, written to a folder of its own when it ends."""

    def __init__(self, recorder: Any, folder: Path, quiet: bool) -> None:
        self.recorder = recorder
        self.folder = folder
        #: Emulators' addresses, written as the Google hosts they stand in for.
        self.local_bases: list[str] = []
        self.quiet = quiet

    @classmethod
    def start(cls, args: argparse.Namespace, env: str) -> _Recording:
        from provisioner.traffic.http_record import HttpRecorder, run_folder

        root: Path = args.record_http
        if root.exists() and not root.is_dir():
            raise UsageError(f"--record-http {root}: not a folder")
        command = "-".join(c for c in (args.command, getattr(args, "backups_command", None)) if c)
        folder = run_folder(root, command, env)
        try:
            folder.mkdir(parents=True)
        except OSError as exc:
            raise UsageError(f"--record-http {root}: cannot create {folder}: {exc.strerror or exc}") from exc
        return cls(HttpRecorder(), folder, args.quiet)

    def finish(self, project: str) -> None:
        try:
            path = self.recorder.write(self.folder, project, self.local_bases)
        except OSError as exc:
            reason = exc.strerror or exc
            print(f"error: cannot write the HTTP log to {self.folder}: {reason}", file=sys.stderr)
            return
        if not self.quiet:
            count = len(self.recorder.exchanges())
            print(f"Recorded {count} HTTP exchange(s) in {path}", file=sys.stderr)


def _plan_options(args: argparse.Namespace) -> Any:
    from provisioner.engine.planner import PlanOptions

    return PlanOptions(
        adopt=args.adopt,
        prune=args.prune,
        allow_destroy=args.allow_destroy,
        allow_prod_destroy=args.allow_prod_destroy,
        targets=tuple(args.target),
    )


def _check_target_kinds(targets: Sequence[str]) -> None:
    """Refuse targets of no known kind before anything is read from the API."""
    if not targets:
        return
    from reconcilers import all_reconcilers

    kinds = {kind.meta.kind for reconciler in all_reconcilers() for kind in reconciler.kinds}
    unknown = [t for t in targets if t.split("/", 1)[0] not in kinds]
    if unknown:
        raise UsageError(
            f"--target {', '.join(map(repr, unknown))} matches nothing; give a resource address"
            f" or one of: {', '.join(sorted(kinds))}"
        )


def _check_targets(session: Session, targets: Sequence[str]) -> None:
    if not targets:
        return
    desired = session.planner.desired()
    known = {r.address for r in desired} | {r.kind for r in desired} | set(session.planner.kinds)
    unknown = [t for t in targets if t not in known]
    if unknown:
        kinds = ", ".join(sorted(session.planner.kinds))
        raise UsageError(
            f"--target {', '.join(unknown)} matches nothing; give a resource address or one of: {kinds}"
        )


# -- plan ------------------------------------------------------------------------------
def cmd_plan(args: argparse.Namespace) -> int:
    from provisioner.reports.render import render_plan, use_colour

    if args.out and not args.out.parent.is_dir():
        raise UsageError(f"--out {args.out}: folder {args.out.parent} does not exist")
    _check_target_kinds(args.target)
    session = Session(args, args.env)
    listing = None
    try:
        _check_targets(session, args.target)
        options = _plan_options(args)
        observation = session.planner.snapshot(options.targets)
        plan = session.planner.plan(options, observation)
        if args.show_requests:
            from provisioner.traffic.show_requests import requests_of

            listing = requests_of(session, plan, observation)
        if not options.targets:  # a targeted plan prices part of the environment only
            _warn(*_budget_warnings(session, observation, plan))
    finally:
        session.close()
    if args.out:
        try:
            plan.save(args.out)
        except OSError as exc:
            raise UsageError(f"cannot write the plan to {args.out}: {exc.strerror or exc}") from exc
    if args.markdown_dir:
        _write_markdown_parts(plan, args.markdown_dir)
    rendered = render_plan(plan, args.format, colour=use_colour(sys.stdout), verbose=args.verbose > 0)
    if listing is not None:
        from provisioner.reports.request_render import attach

        rendered = attach(rendered, listing, args.format)
    print(rendered)
    if listing is not None and listing.problems:
        count = len(listing.problems)
        print(f"error: the requests of {count} change(s) could not be worked out", file=sys.stderr)
        return EXIT_ERROR
    if args.detailed_exitcode and plan.has_changes:
        return EXIT_CHANGES
    return EXIT_OK


def _budget_warnings(session: Session, observation: Any, plan: Any) -> list[str]:
    """A warning when applying the plan would leave the environment above its spec's budget."""
    if session.spec.budget is None:
        return []
    from provisioner.cost.estimate import load_prices, plan_estimate
    from provisioner.cost.pricing import PriceTableError
    from provisioner.cost.render import budget_warning

    try:
        report = plan_estimate(session, load_prices(None), observation, plan)
    except PriceTableError as exc:
        return [f"warning: the budget was not checked: {exc}"]
    warning = budget_warning(report)
    return [warning] if warning else []


def _write_markdown_parts(plan: Any, folder: Path) -> None:
    """Comment-sized parts, numbered; parts of an earlier, longer plan are removed first."""
    import re

    from provisioner.reports.render import plan_markdown_parts

    parts = plan_markdown_parts(plan)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.glob("plan-*.md"):
            if re.fullmatch(r"plan-\d+\.md", old.name):
                old.unlink()
        for i, part in enumerate(parts, 1):
            (folder / f"plan-{i}.md").write_text(part)
    except OSError as exc:
        raise UsageError(f"cannot write the Markdown plan to {folder}: {exc.strerror or exc}") from exc


# -- apply -----------------------------------------------------------------------------
def _confirm(plan: Any, auto_approve: bool) -> bool:
    if auto_approve:
        return True
    if not sys.stdin.isatty():
        raise UsageError("refusing to apply without confirmation: not a terminal; pass --auto-approve")
    answer = input(f"Apply these changes to {plan.env} ({plan.project})? Only 'yes' is accepted: ")
    return answer.strip() == "yes"


def _stale(session: Session, plan: Any) -> list[str]:
    """Addresses whose live side moved since the plan was made."""
    from provisioner.engine.diff import live_token

    desired = {r.address: r for r in session.planner.desired()}
    for change in plan.changes:
        if change.desired is not None:
            desired[change.address] = change.resource()
    live = session.planner.observe(list(desired.values()))
    session.live = live
    moved = []
    for address, token in plan.observed.items():
        kind = session.planner.kinds.get(address.split("/", 1)[0])
        if kind is None:
            moved.append(f"{address}: kind no longer known")
            continue
        now = live_token(kind, desired.get(address), live.get(address))
        if now != token:
            before = "absent" if token is None else "as planned"
            after = "absent" if now is None else "changed"
            moved.append(f"{address}: was {before}, now {after}")
    return moved


def _reporter(args: argparse.Namespace, total: int) -> Any:
    from provisioner.reports.progress import LineReporter, TerminalReporter

    if sys.stderr.isatty() and not args.quiet and not os.environ.get("NO_COLOR"):
        from rich.console import Console

        return TerminalReporter(total, Console(stderr=True))
    return LineReporter(quiet=args.quiet)


def _lock(
    session: Session, args: argparse.Namespace, make_home: bool = False, home_first: bool = False
) -> Any:
    """Take the environment's lock, or say plainly why this apply runs without one.

    With `make_home` (a full apply), a missing state bucket is made first to hold it; a
    `--drift-only` run creates nothing, so it runs unlocked there as it always did.
    """
    from provisioner.engine.lock import LockError, environment_lock

    if args.no_lock:
        print("warning: --no-lock: another apply could write at the same time", file=sys.stderr)
        return None
    lock = environment_lock(session.ctx, home=session.planner.lock_home if make_home else None)
    try:
        lock.acquire("apply", timeout=args.lock_timeout, home_first=home_first)
    except LockError as exc:
        # A drift-only run, or no kind in play that holds the lock: nowhere to take it.
        print(f"warning: {exc}; this apply runs without a lock", file=sys.stderr)
        return None
    return lock


def _holds_lock(session: Session, change: Any) -> bool:
    from provisioner.engine.lock_home import holds_lock

    return holds_lock(session.planner.kinds[change.kind], change.name)


def cmd_preflight(args: argparse.Namespace) -> int:
    from provisioner.workflows import preflight
    if args.list_permissions:
        _load_spec(args.specs, args.env)  # a broken spec is refused as everywhere else
        from reconcilers import all_reconcilers

        print("\n".join(preflight.all_permissions(all_reconcilers())))
        return EXIT_OK
    session = Session(args, args.env)
    try:
        report = preflight.run(session.planner)
    finally:
        session.close()
    print(report.render(quiet=args.quiet))
    return EXIT_OK if report.ok else EXIT_ERROR


def _preflight_refuses(session: Session, args: argparse.Namespace, live: Any) -> bool:
    """apply's step before its first write: a project that would refuse part of the spec is
    refused before anything is written. Only an apply that has something to write asks, and it
    hands over what it read (unless targeted: then it read only part of the project)."""
    if args.skip_preflight:
        return False
    from provisioner.workflows import preflight
    report = preflight.run(session.planner, None if args.target else live)
    text = report.render(quiet=True)
    if text:
        print(text, file=sys.stderr)
    return not report.ok


def cmd_force_unlock(args: argparse.Namespace) -> int:
    from provisioner.engine.lock import LockError, environment_lock

    session = Session(args, args.env)
    try:
        info = environment_lock(session.ctx).force_unlock(args.lock_id)
    except LockError as exc:
        raise UsageError(str(exc)) from exc
    finally:
        session.close()
    print(f"Removed {info.describe()}.")
    return EXIT_OK


def cmd_apply(args: argparse.Namespace) -> int:
    from provisioner.engine.apply import Executor
    from provisioner.engine.plan import Plan
    from provisioner.reports.render import apply_summary, plan_text, use_colour
    from provisioner.workflows.consent import protected_refusal

    if args.drift_only or len(args.envs) > 1:
        from provisioner.workflows import drift_mode
        return drift_mode.run(args)
    saved = None
    if args.planfile:
        saved = _load_plan(Plan, args.planfile)
        if args.env and args.env != saved.env:
            raise UsageError(f"{args.planfile} is a plan for {saved.env}, not {args.env}")
    env = saved.env if saved else args.env
    if not env:
        raise UsageError("apply needs --env ENV or a saved plan file")
    _check_target_kinds(args.target)
    session = Session(args, env)
    lock = None
    try:
        if saved is not None:
            if _refuse_if_moved(session, saved, args.planfile):
                return EXIT_ERROR
            plan, live = saved, session.live
        else:
            _check_targets(session, args.target)
            observation = session.planner.snapshot(tuple(args.target))
            plan = session.planner.plan(_plan_options(args), observation)
            live = observation.live
            if not args.target and plan.pending:  # shown before the question, as plan shows it
                _warn(*_budget_warnings(session, observation, plan))
        if not args.quiet:
            print(plan_text(plan, colour=use_colour(sys.stdout), verbose=args.verbose > 0))
        refusal = protected_refusal(plan, session.ctx.protected)
        if refusal:
            print(f"error: {refusal}", file=sys.stderr)
            return EXIT_ERROR
        if not plan.pending:
            return EXIT_OK  # nothing to write, so no lock to take: a converged run stays read-only
        if _preflight_refuses(session, args, live):
            return EXIT_ERROR
        if not _confirm(plan, args.auto_approve):
            print("Apply cancelled.")
            return EXIT_ERROR
        home = [c for c in plan.pending if c.action == "create" and _holds_lock(session, c)]
        lock = _lock(session, args, make_home=True, home_first=bool(home))
        made = [c.address for c in home]
        if lock is not None and lock.first_writer:
            # This apply made the lock's bucket and took the lock at once: every other writer
            # needs that lock, so nothing moved since the plan was read. Only the bucket itself
            # is read again (when the plan has it), to work out what is left of its create.
            if home:
                found = session.planner.observe([c.resource() for c in home], kinds=[c.kind for c in home])
                live = {**live, **found}
                plan = session.planner.rediff(plan, live, made)
        elif lock is not None:
            # Another writer may have finished between our reading and our lock: what was
            # shown must still be what is there, or we stop. The lock's own bucket, planned as
            # a create and made by whichever first apply took a lock first, is the one thing
            # allowed to have appeared: its change is worked out again.
            if _refuse_if_moved(session, plan, args.planfile, made):
                return EXIT_ERROR
            live = session.live
            if made:
                plan = session.planner.rediff(plan, live, made)
        reporter = _reporter(args, len(plan.pending))
        executor = Executor(
            ctx=session.ctx,
            kinds=session.planner.kinds,
            live=live,
            parallelism=args.parallelism,
            reporter=reporter,
            adopt=args.adopt,
        )
        if hasattr(reporter, "__enter__"):
            with reporter:
                result = executor.run(plan)
        else:
            result = executor.run(plan)
    finally:
        if lock is not None:
            lock.release()
        session.close()
    print(apply_summary(result))
    return EXIT_OK if result.ok else EXIT_ERROR


def _load_plan(plan_type: Any, path: Path) -> Any:
    """Read a saved plan; anything that is not a plan this version wrote is a usage error."""
    try:
        plan = plan_type.load(path)
    except OSError as exc:
        raise UsageError(f"cannot read plan {path}: {exc.strerror or exc}") from exc
    except KeyError as exc:
        raise UsageError(f"{path} is not a saved plan: it has no {exc} entry") from exc
    except (ValueError, TypeError, AttributeError, RecursionError) as exc:
        # JSON syntax errors, a truncated file, a list where a mapping belongs, wrong versions.
        reason = str(exc).removeprefix(f"{path}: ")
        raise UsageError(f"{path} is not a saved plan this version can read: {reason}") from exc
    if not isinstance(plan.env, str) or not isinstance(plan.observed, dict):
        raise UsageError(f"{path} is not a saved plan this version can read: env or observed is malformed")
    return plan


def _refuse_if_moved(session: Session, plan: Any, planfile: Path | None, made: Sequence[str] = ()) -> bool:
    moved = [line for line in _stale(session, plan) if line.split(":", 1)[0] not in made]
    if not moved:
        return False
    what = f"The plan {planfile}" if planfile else "The plan shown"
    print(f"{what} is stale; the live side changed since it was made:", file=sys.stderr)
    for line in moved:
        print(f"  {line}", file=sys.stderr)
    print("Make a new plan and review it.", file=sys.stderr)
    return True


def cmd_drift(args: argparse.Namespace) -> int:
    from provisioner.workflows import drift_scan
    session = Session(args, args.env)
    try:
        return drift_scan.run(session, args.format, verbose=args.verbose > 0)
    finally:
        session.close()


def cmd_graph(args: argparse.Namespace) -> int:
    from provisioner.reports import graph_render
    session = Session(args, args.env)
    try:
        return graph_render.run(session, args.format, args.out, with_plan=not args.no_plan)
    except graph_render.RenderError as exc:
        raise UsageError(str(exc)) from exc
    finally:
        session.close()


def cmd_cost(args: argparse.Namespace) -> int:
    from provisioner.cost import estimate as cost
    from provisioner.cost.pricing import PriceTableError

    try:
        prices = cost.load_prices(args.prices)  # a broken table is refused before any API call
    except PriceTableError as exc:
        raise UsageError(str(exc)) from exc
    _check_target_kinds(args.target)
    session = Session(args, args.env)
    try:
        if args.no_plan:
            cost.without_api(session)
        _check_targets(session, args.target)
        return cost.run(session, prices, args.format, _plan_options(args), with_plan=not args.no_plan)
    finally:
        session.close()


def cmd_recovery(args: argparse.Namespace) -> int:
    from provisioner.workflows import recovery
    command = recovery.COMMANDS[args.backups_command if args.command == "backups" else "restore"]
    session = Session(args, args.env)
    try:
        return command(session, args)
    except recovery.Refused as exc:
        raise UsageError(str(exc)) from exc
    finally:
        session.close()


COMMANDS = {
    "validate": cmd_validate,
    "plan": cmd_plan,
    "apply": cmd_apply,
    "preflight": cmd_preflight,
    "force-unlock": cmd_force_unlock,
    "drift": cmd_drift,
    "graph": cmd_graph,
    "cost": cmd_cost,
    "backups": cmd_recovery,
    "restore": cmd_recovery,
}


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.log_format == "json":
        from provisioner.reports.log_format import json_stderr

        with json_stderr(_log_level(args)):
            return _run(args)
    _configure_logging(args)
    return _run(args)


def _run(args: argparse.Namespace) -> int:
    try:
        return COMMANDS[args.command](args)
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        from provisioner.engine.lock import LockHeld
        from provisioner.google.clients import credentials_problem
        from provisioner.google.errors import ReadFailed, ServiceDisabled, classify
        from provisioner.spec.loader import SpecError

        problem = credentials_problem(exc, getattr(args, "impersonate", None))
        if problem is not None:
            print(f"error: {problem}", file=sys.stderr)
            return EXIT_ERROR

        if isinstance(exc, SpecError | LockHeld | ServiceDisabled | ReadFailed):
            print(str(exc) if isinstance(exc, SpecError) else f"error: {exc}", file=sys.stderr)
            return EXIT_ERROR
        err = classify(exc)
        if err is None:
            raise
        print(f"error: {err}", file=sys.stderr)
        return EXIT_ERROR
