"""What the operator sees while an apply runs.

On a terminal: a live progress bar with what is running now. Elsewhere (CI logs, the
drift job): one plain line per finished change, so logs stay greppable.
"""

from __future__ import annotations

import sys
import threading
import time
from typing import Any, TextIO

from provisioner.engine.apply import Outcome
from provisioner.engine.operations import Operation
from provisioner.engine.plan import Change


class LineReporter:
    def __init__(self, stream: TextIO | None = None, quiet: bool = False) -> None:
        self.stream = stream or sys.stderr
        self.quiet = quiet
        self._lock = threading.Lock()

    def started(self, change: Change) -> None:
        if not self.quiet:
            with self._lock:
                print(
                    f"{change.symbol:>3} {change.address}: {change.action} started",
                    file=self.stream,
                    flush=True,
                )

    def waiting(self, change: Change, op: Operation) -> None:
        pass

    def note(self, change: Change, text: str) -> None:
        if not self.quiet:
            with self._lock:
                print(f"{change.symbol:>3} {change.address}: {text}", file=self.stream, flush=True)

    def finished(self, outcome: Outcome) -> None:
        if self.quiet and outcome.status == "done":
            return
        with self._lock:
            print(
                f"{outcome.change.symbol:>3} {outcome.change.address}: {outcome.status} "
                f"({outcome.detail}, {outcome.seconds:.1f}s)",
                file=self.stream,
                flush=True,
            )


class TerminalReporter:
    """A rich progress bar; falls back to lines if rich cannot draw."""

    def __init__(self, total: int, console: Any) -> None:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            SpinnerColumn,
            TextColumn,
            TimeElapsedColumn,
        )

        self.console = console
        self.progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        )
        self.task = self.progress.add_task("applying", total=total)
        self.running: dict[str, float] = {}
        self._lock = threading.Lock()

    def __enter__(self) -> TerminalReporter:
        self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()

    def _describe(self) -> str:
        if not self.running:
            return "applying"
        oldest = min(self.running, key=self.running.__getitem__)
        more = f" (+{len(self.running) - 1})" if len(self.running) > 1 else ""
        return f"{oldest}{more}"

    def started(self, change: Change) -> None:
        with self._lock:
            self.running[change.address] = time.monotonic()
            self.progress.update(self.task, description=self._describe())

    def waiting(self, change: Change, op: Operation) -> None:
        pass

    def note(self, change: Change, text: str) -> None:
        with self._lock:
            self.console.print(
                f"[yellow]{change.symbol:>3} {change.address}: {text}[/yellow]", highlight=False
            )

    def finished(self, outcome: Outcome) -> None:
        colour = {"done": "green", "failed": "red", "skipped": "yellow"}[outcome.status]
        with self._lock:
            self.running.pop(outcome.change.address, None)
            self.progress.update(self.task, advance=1, description=self._describe())
            self.console.print(
                f"[{colour}]{outcome.change.symbol:>3} {outcome.change.address}: {outcome.status}[/{colour}]"
                f" ({outcome.detail}, {outcome.seconds:.1f}s)",
                highlight=False,
            )
