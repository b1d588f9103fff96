"""What a dry run and the HTTP stacks it stands in hand each other: one answer, and who gives it.

The transports in `dry_run_http` pass every request to something that answers it (the
`DryRun`); they need only this much of it, so they import this module and not the dry run.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True)
class Exchange:
    """An HTTP answer; `native` is the client stack's own response, handed back untouched."""

    status: int
    headers: Mapping[str, str]
    body: bytes
    native: Any = None


class Answers(Protocol):
    """Answers one request: `forward` sends it on to the API, for whatever the answerer lets through."""

    def exchange(
        self, service: str, method: str, url: str, body: bytes | str | None, forward: Callable[[], Exchange]
    ) -> Exchange: ...
