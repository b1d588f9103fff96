"""`--record-http DIR`: every exchange a command has with the APIs, kept as an `_http.log`.

One recording layer for every client the factory builds: discovery clients send through an
httplib2-style transport, gapic REST and Cloud Storage clients through a `requests` session,
and both are wrapped here (a `RequestInterceptor`). Exchanges are kept in the order their
answers arrived, under a lock, since the engine sends from many threads at once; each
remembers the change that sent it (see `attributed`), so a log can be split per resource.

One log per command run, `DIR/<command>-<env>-<UTC time>/_http.log`: a run is the unit the
corpus's logs are (one test case each, replayed in order from an empty project), and
everything a change needs was made or read earlier in the same run. The log is written when
the command ends, normalised as `http_log` describes, secrets masked. A request that got no
answer at all (a dropped connection) has nothing to write and is not in the log; every retry
that did get one (a 429, a 503) is.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httplib2
from requests.adapters import BaseAdapter

from provisioner.engine.attribution import ThreadAddress
from provisioner.traffic.http_log import Exchange, Normaliser, decode_body, render
from provisioner.traffic.wrapped_transport import Send, WrappedAdapter, WrappedHttp

LOG_NAME = "_http.log"


class HttpRecorder(ThreadAddress):
    """Keeps every exchange of the clients it is attached to; a `RequestInterceptor`."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        super().__init__()
        self._exchanges: list[Exchange] = []

    # -- the client factory's hook -------------------------------------------------------
    def wrap_httplib2(self, http: Any, service: str) -> Any:
        return RecordingHttp(http, self, service)

    def attach_session(self, session: Any, service: str) -> None:
        for prefix, adapter in list(session.adapters.items()):
            if isinstance(adapter, BaseAdapter) and not isinstance(adapter, RecordingAdapter):
                session.mount(prefix, RecordingAdapter(adapter, self, service))

    # -- attribution ------------------------------------------------------------------------

    # -- what was recorded --------------------------------------------------------------------
    def add(
        self,
        service: str,
        method: str,
        url: str,
        request_headers: Any,
        request_body: bytes | str | None,
        status: int,
        response_headers: Any,
        response_body: bytes | None,
    ) -> None:
        exchange = Exchange(
            method=method.upper(),
            url=url,
            request_headers=_pairs(request_headers),
            request_body=decode_body(request_body),
            status=status,
            response_headers=_pairs(response_headers),
            response_body=decode_body(response_body),
            address=self.current_address,
            service=service,
        )
        with self._lock:
            self._exchanges.append(exchange)

    def exchanges(self) -> list[Exchange]:
        """Every exchange so far, raw, in the order the answers came."""
        with self._lock:
            return list(self._exchanges)

    def clear(self) -> None:
        with self._lock:
            self._exchanges.clear()

    def normalised(self, project: str, local_bases: Sequence[str] = ()) -> list[Exchange]:
        """Every exchange so far, in the corpus's spelling (see `http_log`)."""
        return Normaliser(project, tuple(local_bases)).normalise(self.exchanges())

    def write(self, folder: Path, project: str, local_bases: Sequence[str] = ()) -> Path:
        """Write the log of everything recorded to `folder/_http.log`; returns its path."""
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / LOG_NAME
        path.write_text(render(self.normalised(project, local_bases)))
        return path


def run_folder(root: Path, command: str, env: str) -> Path:
    """A new folder under `root` for one run's log: `<command>-<env>-<UTC time>`, never reused."""
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    folder = root / f"{command}-{env}-{stamp}"
    n = 1
    while folder.exists():
        n += 1
        folder = root / f"{command}-{env}-{stamp}-{n}"
    return folder


def _pairs(headers: Any) -> tuple[tuple[str, str], ...]:
    if headers is None:
        return ()
    items = headers.items() if hasattr(headers, "items") else headers
    return tuple((_text(k), _text(v)) for k, v in items)


def _text(value: Any) -> str:
    return value.decode("latin-1") if isinstance(value, bytes) else str(value)


class RecordingHttp(WrappedHttp["HttpRecorder"]):
    """An httplib2-style transport that records what goes through the one it wraps."""

    def exchange(
        self, uri: str, method: str, body: bytes | str | None, headers: dict[str, str] | None, send: Send
    ) -> tuple[httplib2.Response, bytes]:
        response, content = send()
        answer_headers = {k: v for k, v in dict(response).items() if k not in ("status", "-content-encoding")}
        self._layer.add(
            self._service, method, uri, headers, body, int(response.status), answer_headers, content
        )
        return response, content


class RecordingAdapter(WrappedAdapter["HttpRecorder"]):
    """A `requests` adapter that records what goes through the adapter it replaced."""

    def send(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        response = self._inner.send(request, *args, **kwargs)
        # Media downloads are streamed by their caller; their bytes are not recorded.
        content = None if "alt=media" in (request.url or "") else response.content
        body = request.body if isinstance(request.body, bytes | str) else None
        self._layer.add(
            self._service,
            request.method or "GET",
            request.url or "",
            request.headers,
            body,
            response.status_code,
            response.headers,
            content,
        )
        return response
