"""A dry run in each of the two HTTP stacks the client libraries send through.

Discovery clients send through httplib2 (a transport object with `request()`); gapic REST
clients and google-cloud-storage send through a `requests` session (adapters mounted per
URL prefix). Both hand every request to the `DryRun`, which lets reads through to the
stack's own transport and answers writes itself.
"""

from __future__ import annotations

import io
from http import HTTPStatus
from typing import Any

import httplib2
import requests
from urllib3 import HTTPResponse

from provisioner.traffic.dry_run_exchange import Answers, Exchange
from provisioner.traffic.wrapped_transport import Send, WrappedAdapter, WrappedHttp


class DryRunHttp(WrappedHttp[Answers]):
    """An httplib2-style transport: a discovery client's requests go through the dry run."""

    def exchange(
        self, uri: str, method: str, body: bytes | str | None, headers: dict[str, str] | None, send: Send
    ) -> tuple[httplib2.Response, bytes]:
        def forward() -> Exchange:
            response, content = send()
            return Exchange(response.status, dict(response), content, (response, content))

        answer = self._layer.exchange(self._service, method, uri, body, forward)
        if answer.native is not None:
            return answer.native  # type: ignore[no-any-return]
        response = httplib2.Response({**answer.headers, "status": str(answer.status)})
        response.reason = HTTPStatus(answer.status).phrase
        return response, answer.body


class DryRunAdapter(WrappedAdapter[Answers]):
    """A `requests` adapter: sends reads through the adapter it replaced, answers writes."""

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> requests.Response:
        def forward() -> Exchange:
            response = self._inner.send(request, *args, **kwargs)
            return Exchange(response.status_code, response.headers, response.content, response)

        body = request.body if isinstance(request.body, bytes | str) else None
        answer = self._layer.exchange(
            self._service, request.method or "GET", request.url or "", body, forward
        )
        if answer.native is not None:
            return answer.native  # type: ignore[no-any-return]
        raw = HTTPResponse(
            body=io.BytesIO(answer.body),
            headers=dict(answer.headers),
            status=answer.status,
            reason=HTTPStatus(answer.status).phrase,
            preload_content=False,
        )
        return self.build_response(request, raw)


def mount(session: requests.Session, dry_run: Answers, service: str) -> None:
    """Route every request of `session` through the dry run, over the adapters it had."""
    for prefix in ("https://", "http://"):
        session.mount(prefix, DryRunAdapter(session.get_adapter(prefix), dry_run, service))
