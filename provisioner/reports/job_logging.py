"""Logs a Cloud Run job can index: one JSON object per line, with a severity.

Cloud Logging reads `severity` and `message` from JSON lines written to stdout or stderr
and keeps the other keys as structured fields. Inside a job (CLOUD_RUN_JOB is set) every
line the provisioner writes goes out in that form, including the lines of code that
prints plain text: those are wrapped as they are written.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import os
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any, TextIO

SEVERITIES = {
    logging.DEBUG: "DEBUG",
    logging.INFO: "INFO",
    logging.WARNING: "WARNING",
    logging.ERROR: "ERROR",
    logging.CRITICAL: "CRITICAL",
}


def in_cloud_run_job(environ: dict[str, str] | None = None) -> bool:
    return bool((os.environ if environ is None else environ).get("CLOUD_RUN_JOB"))


def json_line(severity: str, message: str, **fields: Any) -> str:
    entry = {"severity": severity, "message": message, **fields}
    entry.setdefault("time", datetime.now(UTC).isoformat(timespec="milliseconds"))
    return json.dumps(entry, default=str, sort_keys=False)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        fields = getattr(record, "fields", {}) or {}
        return json_line(
            SEVERITIES.get(record.levelno, "DEFAULT"), record.getMessage(), logger=record.name, **fields
        )


class JsonLines(io.TextIOBase):
    """A text stream that writes each complete line as a JSON log entry (JSON lines pass through)."""

    def __init__(self, target: TextIO, severity: str) -> None:
        self.target = target
        self.severity = severity
        self._buffer = ""
        self._lock = threading.Lock()

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        with self._lock:
            self._buffer += text
            while "\n" in self._buffer:
                line, self._buffer = self._buffer.split("\n", 1)
                self._emit(line)
        return len(text)

    def flush(self) -> None:
        with self._lock:
            if self._buffer:
                self._emit(self._buffer)
                self._buffer = ""
            self.target.flush()

    def isatty(self) -> bool:
        return False

    def severity_of(self, line: str) -> str:
        """The severity a plain line is written with: the stream's own, unless a subclass reads it off."""
        return self.severity

    def _emit(self, line: str) -> None:
        if not line.strip():
            return
        if line.startswith("{") and line.endswith("}"):
            self.target.write(line + "\n")
        else:
            self.target.write(json_line(self.severity_of(line), line) + "\n")
        self.target.flush()


class Events:
    """Where the drift run says what happened: JSON lines in a job, plain lines elsewhere."""

    def __init__(self, structured: bool, stream: TextIO | None = None) -> None:
        self.structured = structured
        self.stream = stream

    def emit(self, severity: str, message: str, **fields: Any) -> None:
        stream = self.stream or sys.stdout
        if self.structured:
            print(json_line(severity, message, **fields), file=stream, flush=True)
        else:
            print(message, file=stream, flush=True)


@contextlib.contextmanager
def structured_output(enabled: bool) -> Iterator[None]:
    """Within the block, stdout, stderr and the logging module all write JSON lines."""
    if not enabled:
        yield
        return
    out, err = JsonLines(sys.stdout, "INFO"), JsonLines(sys.stderr, "WARNING")
    handler = logging.StreamHandler(err)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    saved = root.handlers[:]
    root.handlers = [handler]
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            yield
    finally:
        out.flush()
        err.flush()
        root.handlers = saved
