"""The httplib2-style transport that wraps another, for the layers that watch discovery clients' traffic.

googleapiclient sends every request through one object with httplib2's `request()` signature
and reads the credentials off it. The recording layer and the dry run each put such an
object in front of the client's own; this base gives both the signature, the credentials and
`close()` once, so each says only what it does with an exchange.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any

import httplib2

#: Sends the request on to the wrapped transport and returns its (response, content).
Send = Callable[[], tuple[httplib2.Response, bytes]]


class WrappedHttp(ABC):
    """An httplib2-style transport in front of `inner`, for one API `service`."""

    def __init__(self, inner: Any, service: str) -> None:
        self._inner = inner
        self._service = service
        #: googleapiclient reads credentials off its transport.
        self.credentials = getattr(inner, "credentials", None)

    def request(
        self,
        uri: str,
        method: str = "GET",
        body: bytes | str | None = None,
        headers: dict[str, str] | None = None,
        *args: Any,
        **kwargs: Any,
    ) -> tuple[httplib2.Response, bytes]:
        def send() -> tuple[httplib2.Response, bytes]:
            response, content = self._inner.request(uri, method, body, headers, *args, **kwargs)
            return response, content

        return self.exchange(uri, method, body, headers, send)

    @abstractmethod
    def exchange(
        self, uri: str, method: str, body: bytes | str | None, headers: dict[str, str] | None, send: Send
    ) -> tuple[httplib2.Response, bytes]:
        """What this layer does with one request; `send` passes it on to the wrapped transport."""

    def close(self) -> None:
        close = getattr(self._inner, "close", None)
        if close is not None:
            close()
