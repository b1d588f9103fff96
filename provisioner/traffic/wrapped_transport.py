"""The transports that wrap a client's own, for the layers that watch its traffic.

The recording layer (`http_record`) and the dry run (`dry_run_http`) each stand in front of
both HTTP stacks the client libraries send through: discovery clients' httplib2-style object
with `request()` (googleapiclient also reads the credentials off it), and the adapters of a
`requests` session (gapic REST, Cloud Storage). These bases hold what wrapping takes, once:
the wrapped transport, the layer it reports to, the API service, httplib2's `request()`
signature, and closing; each layer's subclass says only what it does with an exchange.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any, Generic, TypeVar

import httplib2
from requests.adapters import HTTPAdapter

#: The object a wrapper reports every exchange to (the recorder, the dry run).
Layer = TypeVar("Layer")

#: Sends the request on to the wrapped transport and returns its (response, content).
Send = Callable[[], tuple[httplib2.Response, bytes]]


class WrappedHttp(ABC, Generic[Layer]):
    """An httplib2-style transport in front of `inner`, for one API `service`."""

    def __init__(self, inner: Any, layer: Layer, service: str) -> None:
        self._inner = inner
        self._layer = layer
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


class WrappedAdapter(HTTPAdapter, Generic[Layer]):
    """A `requests` adapter in front of the adapter it replaced (`inner`), for one API `service`.

    Its subclass overrides `send`. It is an `HTTPAdapter` so that a layer answering a request
    itself can turn its answer into a `requests.Response` with `build_response`.
    """

    def __init__(self, inner: Any, layer: Layer, service: str) -> None:
        super().__init__()
        self._inner = inner
        self._layer = layer
        self._service = service

    def close(self) -> None:
        self._inner.close()
        super().close()
