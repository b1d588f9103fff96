"""`--log-format json`: every line on stderr one JSON object, for log shippers and CI parsers.

Reuses the Cloud Run job formatter, so a line reads the same wherever it is collected:
`severity`, `message`, `time`, and for log records the `logger`. Plain lines the CLI prints
to stderr ("error: …", "warning: …") are wrapped too, their severity read from the prefix.
"""

from __future__ import annotations

import contextlib
import logging
import sys
from collections.abc import Iterator

from provisioner.reports.job_logging import JsonFormatter, JsonLines

PREFIXES = {"error:": "ERROR", "warning:": "WARNING"}


class _StderrLines(JsonLines):
    """JSON lines pass through; a plain line takes the severity its prefix names, else INFO."""

    def severity_of(self, line: str) -> str:
        return next((s for p, s in PREFIXES.items() if line.startswith(p)), self.severity)


@contextlib.contextmanager
def json_stderr(level: int) -> Iterator[None]:
    """Within the block, log records and anything printed to stderr go out as JSON lines."""
    stream = _StderrLines(sys.stderr, "INFO")
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    saved, saved_level = root.handlers[:], root.level
    root.handlers = [handler]
    root.setLevel(level)
    try:
        with contextlib.redirect_stderr(stream):
            yield
    finally:
        stream.flush()
        root.handlers = saved
        root.setLevel(saved_level)
