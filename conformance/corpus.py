"""Reading the recorded logs: `_http.log` files of exchanges separated by `---`."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from provisioner.traffic.http_log import decode_body

#: The vendored corpus, beside this module.
CORPUS = Path(__file__).parent / "kcc-golden"
#: Earlier real recordings of logs the corpus holds only as mockgcp wrote them again, each in a
#: `<case>@<commit>` folder; their kinds are scored apart, under `history/`.
HISTORY = Path(__file__).parent / "kcc-history"
HISTORY_PREFIX = "history/"

_STATUS = re.compile(r"^(\d{3}) ")
_REQUEST = re.compile(r"^(GET|POST|PUT|PATCH|DELETE|HEAD) (\S+)$")


@dataclass
class Exchange:
    """One request and the answer real Google Cloud gave it."""

    index: int
    method: str
    url: str
    request_text: str
    status: int
    response_text: str

    @property
    def host(self) -> str:
        return urlsplit(self.url).netloc

    @property
    def path(self) -> str:
        return urlsplit(self.url).path

    @property
    def query(self) -> str:
        return urlsplit(self.url).query

    @property
    def response(self) -> Any:
        return decode_body(self.response_text)

    @property
    def request(self) -> Any:
        return decode_body(self.request_text)


@dataclass
class Log:
    """One recorded test case: its kind (the fixture folder) and its exchanges in order."""

    path: Path
    kind: str
    case: str
    exchanges: list[Exchange]

    @property
    def name(self) -> str:
        return f"{self.kind}/{self.case}"


def _split_block(lines: list[str]) -> tuple[list[str], str]:
    """Headers up to the first blank line, then the body."""
    try:
        blank = lines.index("")
    except ValueError:
        return lines, ""
    return lines[:blank], "\n".join(lines[blank + 1 :]).strip()


def parse(text: str) -> list[Exchange]:
    exchanges: list[Exchange] = []
    for chunk in re.split(r"^---$", text, flags=re.M):
        lines = chunk.strip("\n").split("\n")
        if not lines or not _REQUEST.match(lines[0]):
            continue
        method, url = _REQUEST.match(lines[0]).groups()  # type: ignore[union-attr]
        status_at = next((i for i, line in enumerate(lines) if i > 0 and _STATUS.match(line)), None)
        if status_at is None:
            continue
        _, request_body = _split_block(lines[1:status_at])
        _, response_body = _split_block(lines[status_at + 1 :])
        status = int(_STATUS.match(lines[status_at]).group(1))  # type: ignore[union-attr]
        exchanges.append(Exchange(len(exchanges), method, url, request_body, status, response_body))
    return exchanges


def load(path: Path, root: Path = CORPUS) -> Log:
    rel = path.relative_to(root).parts  # service/version/kind[/case]/_http.log
    kind = f"{rel[0]}/{rel[2]}"
    case = rel[3] if len(rel) > 4 else rel[2]
    prefix = HISTORY_PREFIX if root == HISTORY else ""
    return Log(path, prefix + kind, case, parse(path.read_text()))


def logs(root: Path = CORPUS) -> list[Log]:
    """Every log of the corpus, in a stable order."""
    return [load(p, root) for p in sorted(root.rglob("_http.log"))]


def every_log() -> list[Log]:
    """The corpus, then the earlier real recordings."""
    return [*logs(CORPUS), *logs(HISTORY)]
