"""`python -m provisioner`: validate, plan and apply an environment's spec.

This module parses the arguments and hands each command to its workflow
(`provisioner.workflows`), with the registry of service families the composition root
(`provisioner.cli.compose`) builds. Heavy imports (client libraries, the engine) happen
inside the commands, so `--help` and `validate` start in a fraction of a second.
"""

from __future__ import annotations

import argparse
import logging
import math
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from provisioner.workflows.drift_mode import EnvList
from provisioner.workflows.drift_mode import add_options as add_drift_options
from provisioner.workflows.outcome import EXIT_ERROR, EXIT_OK, UsageError

if TYPE_CHECKING:
    from provisioner.workflows.registry import Registry
    from provisioner.workflows.session import Session

DEFAULT_PARALLELISM = 8


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


def _lock_timeout_option(parser: argparse.ArgumentParser) -> None:
    """How long a command that writes waits for the environment's lock (apply, restore)."""
    parser.add_argument(
        "--lock-timeout",
        type=_non_negative_float,
        default=0.0,
        metavar="SECONDS",
        help="wait this long for another writer",
    )


def _connection_options(parser: argparse.ArgumentParser, parallelism: bool = True) -> None:
    """The common options, then where the APIs are and as whom: every command that calls them
    takes these.

    Commands that act on one resource at a time leave out --parallelism, which would change nothing.
    """
    _common(parser)
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
    _engine_options(plan)

    apply = sub.add_parser("apply", help="make the live resources match the spec (or a saved plan)")
    apply.add_argument("planfile", nargs="?", type=Path, help="a plan saved with `plan --out`")
    apply.add_argument("--env", action=EnvList, help="environment (required without a plan file)")
    apply.add_argument("--auto-approve", action="store_true", help="do not ask for confirmation")
    _lock_timeout_option(apply)
    apply.add_argument("--no-lock", action="store_true", help="apply without taking the environment's lock")
    apply.add_argument("--target", action="append", default=[], metavar="ADDRESS_OR_KIND")
    apply.add_argument(
        "--skip-preflight",
        action="store_true",
        help="do not check billing, quotas, permissions and organisation policies first",
    )
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
    _connection_options(preflight, parallelism=False)

    unlock = sub.add_parser("force-unlock", help="remove a lock left by a process that is gone")
    unlock.add_argument("lock_id", metavar="LOCK_ID")
    unlock.add_argument("--env", required=True)
    _connection_options(unlock, parallelism=False)

    drift = sub.add_parser("drift", help="report drift, unmanaged resources and coverage (read-only)")
    drift.add_argument("--env", required=True)
    drift.add_argument("--format", choices=("text", "json", "markdown"), default="text")
    _connection_options(drift)

    graph = sub.add_parser("graph", help="draw the dependency graph, marking what a plan would change")
    graph.add_argument("--env", required=True)
    graph.add_argument("--format", choices=("mermaid", "dot"), default="mermaid")
    graph.add_argument("--out", type=Path, help="write to this file (.svg renders with Graphviz)")
    graph.add_argument("--no-plan", action="store_true", help="draw without a plan, calling no API")
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
    _lock_timeout_option(restore)
    for parser in (listing, create, restore):
        parser.add_argument("--env", required=True)
        parser.add_argument(
            "--resource",
            metavar="ADDRESS",
            help="which resource, when the environment has several with backups",
        )
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


# -- the commands: each hands the registry to a workflow ---------------------------------
def _registry() -> Registry:
    """Every service family, from the composition root (imported here: it loads the kinds)."""
    from provisioner.cli.compose import registry

    return registry()


def _session(args: argparse.Namespace, env: str) -> Session:
    """The environment opened with every service family the composition root knows."""
    from provisioner.workflows.session import Session

    return Session(args, env, _registry())


def cmd_validate(args: argparse.Namespace) -> int:
    from provisioner.workflows import validate

    return validate.run(args, _registry())


def cmd_plan(args: argparse.Namespace) -> int:
    from provisioner.workflows import plan_command

    return plan_command.run(args, _registry())


def cmd_apply(args: argparse.Namespace) -> int:
    from provisioner.workflows import apply_command

    return apply_command.run(args, _registry())


def cmd_cost(args: argparse.Namespace) -> int:
    from provisioner.workflows import cost_command

    return cost_command.run(args, _registry())


def cmd_preflight(args: argparse.Namespace) -> int:
    from provisioner.workflows import preflight

    if args.list_permissions:
        from provisioner.spec.loader import load_env_spec

        load_env_spec(args.specs, args.env)  # a broken spec is refused as everywhere else
        print("\n".join(preflight.all_permissions(_registry().reconcilers)))
        return EXIT_OK
    session = _session(args, args.env)
    try:
        report = preflight.run(session.planner)
    finally:
        session.close()
    print(report.render(quiet=args.quiet))
    return EXIT_OK if report.ok else EXIT_ERROR


def cmd_force_unlock(args: argparse.Namespace) -> int:
    from provisioner.engine.lock import LockError, environment_lock

    session = _session(args, args.env)
    try:
        info = environment_lock(session.ctx).force_unlock(args.lock_id)
    except LockError as exc:
        raise UsageError(str(exc)) from exc
    finally:
        session.close()
    print(f"Removed {info.describe()}.")
    return EXIT_OK


def cmd_drift(args: argparse.Namespace) -> int:
    from provisioner.workflows import drift_scan

    session = _session(args, args.env)
    try:
        return drift_scan.run(session.planner, args.format, verbose=args.verbose > 0)
    finally:
        session.close()


def cmd_graph(args: argparse.Namespace) -> int:
    from provisioner.reports import graph_render

    session = _session(args, args.env)
    try:
        return graph_render.run(session.planner, args.format, args.out, with_plan=not args.no_plan)
    except graph_render.RenderError as exc:
        raise UsageError(str(exc)) from exc
    finally:
        session.close()


def cmd_recovery(args: argparse.Namespace) -> int:
    from provisioner.workflows import recovery

    command = recovery.COMMANDS[args.backups_command if args.command == "backups" else "restore"]
    session = _session(args, args.env)
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
        from provisioner.spec.errors import SpecError

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
