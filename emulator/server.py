"""The HTTP front: stdlib ThreadingHTTPServer, one handler class for every API."""

from __future__ import annotations

import contextlib
import socket
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from emulator.control import PREFIX, handle_control
from emulator.dispatch import Outcome

if TYPE_CHECKING:
    from emulator.app import Emulator


class EmulatorServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    # A controller opens a connection per worker thread at once (thirty-odd list calls for a
    # plan); socketserver's default backlog of 5 drops the rest, and each dropped connection
    # costs the client a one-second SYN retransmit.
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], emulator: Emulator) -> None:
        self.emulator = emulator
        super().__init__(address, RequestHandler)


class RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: EmulatorServer

    def log_message(self, format: str, *args: object) -> None:
        return

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        url = urlsplit(self.path)
        emu = self.server.emulator
        if url.path.startswith(PREFIX):
            outcome = handle_control(emu, self.command, url.path, body)
        else:
            outcome = emu.dispatcher.handle(self.command, url.path, url.query, self.headers, body)
        self._send(outcome)

    def _send(self, outcome: Outcome) -> None:
        if outcome.drop:
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        self.send_response(outcome.status)
        for key, value in outcome.headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(outcome.body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(outcome.body)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _serve
