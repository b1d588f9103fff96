"""One environment opened for a command: its spec, clients and planner, and the emulator with --local.

The CLI builds a session from its parsed arguments and the `Registry` of service families,
which the composition root (`provisioner.cli.compose`) hands over: nothing below the CLI
names a service family. A session is complete when built; `live` is what the last stale-plan check
read of the live side, kept so that an apply goes on with that read.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from provisioner.engine.context import Context
from provisioner.engine.planner import Planner
from provisioner.engine.resource import Address, LiveResource
from provisioner.engine.retry import RetryPolicy
from provisioner.google.clients import ClientFactory, Endpoints
from provisioner.spec.loader import load_env_spec
from provisioner.spec.models import EnvSpec
from provisioner.workflows.ignore_check import enforce as check_ignore_rules
from provisioner.workflows.outcome import UsageError, warn

if TYPE_CHECKING:
    from emulator import Emulator
    from provisioner.traffic.http_record import HttpRecorder
    from provisioner.workflows.registry import Registry


class Session:
    """Spec, clients and planner for one environment, and the emulator if --local."""

    registry: Registry
    spec: EnvSpec
    ctx: Context
    planner: Planner
    emulator: Emulator | None
    recording: Recording | None
    #: The live side as the last stale-plan check read it (None before any check).
    live: dict[Address, LiveResource] | None

    def __init__(self, args: argparse.Namespace, env: str, registry: Registry) -> None:
        self.registry = registry
        self.spec = load_env_spec(args.specs, env)  # spec errors surface before any API call
        warn(*check_ignore_rules(self.spec, registry.reconcilers).warnings)
        self.emulator = None
        self.live = None
        # Before anything starts: a folder that cannot be made is refused with nothing to undo.
        self.recording = Recording.start(args, env) if args.record_http else None
        endpoints = Endpoints.from_environment()
        if args.local:
            from provisioner.google.local import start_local_emulator

            url, self.emulator = start_local_emulator(
                self.spec.project, args.state_dir, args.local_profile, args.local_scale
            )
            endpoints = Endpoints(default=url)
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
        self.planner = Planner(self.ctx, registry.reconcilers, parallelism=args.parallelism)

    def close(self) -> None:
        if self.recording is not None:
            self.recording.finish(self.spec.project)
        if self.emulator is not None:
            self.emulator.stop()


class Recording:
    """`--record-http DIR`: this run's exchanges, written to a folder of its own when it ends."""

    def __init__(self, recorder: HttpRecorder, folder: Path, quiet: bool) -> None:
        self.recorder = recorder
        self.folder = folder
        #: Emulators' addresses, written as the Google hosts they stand in for.
        self.local_bases: list[str] = []
        self.quiet = quiet

    @classmethod
    def start(cls, args: argparse.Namespace, env: str) -> Recording:
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
