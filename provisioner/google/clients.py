"""The one place that builds API clients: credentials and endpoints are decided here.

By default every client talks to Google with `google.auth.default()` credentials
(optionally impersonating a service account). `PROVISIONER_ENDPOINT` sends every API to
one emulator serving them all; `PROVISIONER_ENDPOINT_<SERVICE>` sends one service
elsewhere; `STORAGE_EMULATOR_HOST` is honoured for storage as the storage library does.
Any override means anonymous credentials: an emulator takes no tokens.

Client libraries are imported only when a client is first asked for, so commands that
call no API (`validate`, `--help`) start fast.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

#: Services an endpoint can be overridden for, as named in PROVISIONER_ENDPOINT_<SERVICE>.
SERVICES = (
    "storage",
    "kms",
    "compute",
    "sqladmin",
    "container",
    "run",
    "monitoring",
    "servicenetworking",
    "vpcaccess",
    "secretmanager",
    "cloudresourcemanager",
    "serviceusage",
    "iam",
    "cloudscheduler",
    "cloudbilling",
    # Where impersonation asks for the service account's tokens.
    "iamcredentials",
)

#: Discovery API name → the service name used for endpoint overrides.
_DISCOVERY_SERVICE = {"cloudkms": "kms"}


@dataclass(frozen=True)
class Endpoints:
    """Where each service lives; None means the real Google endpoint."""

    default: str | None = None
    per_service: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> Endpoints:
        environ = os.environ if environ is None else environ
        per_service: dict[str, str] = {}
        for service in SERVICES:
            value = environ.get(f"PROVISIONER_ENDPOINT_{service.upper()}")
            if value:
                per_service[service] = value.rstrip("/")
        host = environ.get("STORAGE_EMULATOR_HOST")
        if host and "storage" not in per_service:
            per_service["storage"] = host.rstrip("/") if "://" in host else f"http://{host.rstrip('/')}"
        default = environ.get("PROVISIONER_ENDPOINT")
        return cls(default=default.rstrip("/") if default else None, per_service=per_service)

    def for_service(self, service: str) -> str | None:
        return self.per_service.get(service) or self.default

    @property
    def any_override(self) -> bool:
        return bool(self.default or self.per_service)


class RequestInterceptor(Protocol):
    """Stands between every client and the network (a dry run answers writes itself).

    The factory hands over each client's HTTP layer as it builds it: the httplib2 transport
    of a discovery client, to be wrapped, and the `requests` session of a gapic or storage
    client, to mount adapters on.
    """

    def wrap_httplib2(self, http: Any, service: str) -> Any: ...

    def attach_session(self, session: Any, service: str) -> None: ...


class Interceptors:
    """Several interceptors, the first nearest the network: a recording under a dry run."""

    def __init__(self, *layers: RequestInterceptor) -> None:
        self.layers = layers

    def wrap_httplib2(self, http: Any, service: str) -> Any:
        for layer in self.layers:
            http = layer.wrap_httplib2(http, service)
        return http

    def attach_session(self, session: Any, service: str) -> None:
        for layer in self.layers:
            layer.attach_session(session, service)


LOGIN = "run `gcloud auth application-default login`"
LOCAL = "or add --local to use the embedded emulator instead of Google Cloud"


class CredentialsError(Exception):
    """Google credentials are missing or unusable: one sentence naming why, and the fix."""


def no_credentials(exc: Exception) -> str:
    """Why google.auth.default() found nothing usable, as the operator can act on it."""
    path = os.environ.get("GOOGLE_APPLICATION_CREDENTIALS")
    if path:
        first = exc.args[0] if exc.args and isinstance(exc.args[0], str) else str(exc)
        why = first.split(" To set up", 1)[0].strip().rstrip(".") + "."
        return (
            f"GOOGLE_APPLICATION_CREDENTIALS={path} cannot be used: {why} Point it at a valid"
            f" credentials file, or unset it and {LOGIN}; {LOCAL}"
        )
    return f"no Google credentials found: {LOGIN} (or set GOOGLE_APPLICATION_CREDENTIALS); {LOCAL}"


def credentials_problem(exc: BaseException, impersonate: str | None = None) -> str | None:
    """The one-line explanation of a credentials failure anywhere in `exc`'s chain, or None.

    A refresh fails on the first request, deep inside whichever client made it: an expired or
    revoked login (`invalid_grant`), or an impersonation target that does not exist or may not
    be impersonated.
    """
    from google.auth.exceptions import DefaultCredentialsError, RefreshError

    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, CredentialsError):
            return str(current)
        if isinstance(current, DefaultCredentialsError):
            return no_credentials(current)
        if isinstance(current, RefreshError):
            detail = _refresh_detail(current)
            if impersonate and "impersonat" in detail.lower():
                return (
                    f"cannot act as {impersonate}: {_short(detail)}. Check the service account's"
                    " email, and that you hold roles/iam.serviceAccountTokenCreator on it"
                    f" (gcloud iam service-accounts add-iam-policy-binding {impersonate}"
                    " --member=user:YOU --role=roles/iam.serviceAccountTokenCreator)"
                )
            return (
                f"the Google credentials could not be refreshed ({_short(detail)}): the login has"
                f" expired or been revoked; {LOGIN} again, {LOCAL}"
            )
        current = current.__cause__ or current.__context__
    return None


def _refresh_detail(exc: BaseException) -> str:
    """What the token endpoint said: the message of Google's error JSON when it sent one."""
    parts = []
    for arg in exc.args:
        if isinstance(arg, str | bytes) and str(arg).lstrip().startswith(("{", "b'{")):
            try:
                body = json.loads(arg)
            except ValueError:
                parts.append(str(arg))
                continue
            error = body.get("error") if isinstance(body, dict) else None
            if isinstance(error, dict):
                parts.append(f"{error.get('status') or error.get('code')}: {error.get('message')}")
            elif isinstance(error, str):
                parts.append(f"{error}: {body.get('error_description', '')}".strip(": "))
        elif isinstance(arg, dict):
            parts.append(f"{arg.get('error', '')}: {arg.get('error_description', '')}".strip(": "))
        elif arg:
            parts.append(str(arg))
    return "; ".join(dict.fromkeys(p for p in parts if p)) or type(exc).__name__


def _short(text: str, limit: int = 300) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


class ClientFactory:
    """Builds and caches clients; each thread sends over its own connection (httplib2 is not thread-safe)."""

    def __init__(
        self,
        endpoints: Endpoints | None = None,
        impersonate: str | None = None,
        interceptor: RequestInterceptor | None = None,
    ) -> None:
        self.endpoints = endpoints or Endpoints.from_environment()
        self.impersonate = impersonate
        self.interceptor = interceptor
        self._lock = threading.Lock()
        self._shared: dict[Any, Any] = {}
        self._local = threading.local()
        self._credentials: Any = None
        #: Why there are none: every client asks, and looking again (a metadata server probe
        #: included) would only take seconds to fail the same way.
        self._credentials_problem: CredentialsError | None = None

    # -- credentials -------------------------------------------------------------------
    def credentials(self, service: str) -> Any:
        if self.endpoints.for_service(service):
            from google.auth.credentials import AnonymousCredentials

            # google-auth leaves its constructors unannotated.
            return AnonymousCredentials()  # type: ignore[no-untyped-call]
        with self._lock:
            if self._credentials_problem is not None:
                raise self._credentials_problem
            if self._credentials is None:
                import google.auth
                from google.auth.exceptions import DefaultCredentialsError

                try:
                    creds, _ = google.auth.default(scopes=["https://www.googleapis.com/auth/cloud-platform"])
                except DefaultCredentialsError as exc:
                    self._credentials_problem = CredentialsError(no_credentials(exc))
                    raise self._credentials_problem from exc
                if self.impersonate:
                    from google.auth import impersonated_credentials

                    iam = self.endpoints.for_service("iamcredentials")
                    # google-auth leaves its constructors unannotated.
                    creds = impersonated_credentials.Credentials(  # type: ignore[no-untyped-call]
                        source_credentials=creds,
                        target_principal=self.impersonate,
                        target_scopes=["https://www.googleapis.com/auth/cloud-platform"],
                        iam_endpoint_override=(
                            f"{iam}/v1/projects/-/serviceAccounts/{self.impersonate}:generateAccessToken"
                            if iam
                            else None
                        ),
                    )
                self._credentials = creds
            return self._credentials

    # -- typed clients ------------------------------------------------------------------
    def gapic(self, service: str, client_cls: type) -> Any:
        """A google-cloud-* client over REST, so one HTTP emulator can serve it."""
        key = ("gapic", service, client_cls)
        with self._lock:
            client = self._shared.get(key)
        if client is not None:
            return client
        options: dict[str, Any] = {}
        endpoint = self.endpoints.for_service(service)
        if endpoint:
            options["api_endpoint"] = endpoint
        client = client_cls(
            transport="rest", credentials=self.credentials(service), client_options=options or None
        )
        _without_library_retries(client)
        if self.interceptor is not None:
            self.interceptor.attach_session(client.transport._session, service)
        with self._lock:
            return self._shared.setdefault(key, client)

    def storage(self, project: str) -> Any:
        key = ("storage", project)
        with self._lock:
            client = self._shared.get(key)
        if client is not None:
            return client
        import google.cloud.storage as storage

        options: dict[str, Any] = {}
        endpoint = self.endpoints.for_service("storage")
        if endpoint:
            options["api_endpoint"] = endpoint
        client = storage.Client(
            project=project, credentials=self.credentials("storage"), client_options=options or None
        )
        _storage_without_library_retries(client)
        if self.interceptor is not None:
            self.interceptor.attach_session(client._http, "storage")
        with self._lock:
            return self._shared.setdefault(key, client)

    # -- discovery clients -------------------------------------------------------------
    def discovery(self, api: str, version: str) -> Any:
        """A googleapiclient discovery client, shared by every thread.

        The client is built once: building one per thread re-renders the method docs of
        every resource it touches (most of a no-op plan's CPU time). Requests still go
        out over one connection per thread, through `ThreadLocalHttp`.
        """
        key = ("discovery", api, version)
        with self._lock:
            client = self._shared.get(key)
        if client is not None:
            return client
        import google_auth_httplib2
        from googleapiclient.discovery import build_from_document

        from provisioner.google import discovery_methods

        discovery_methods.install()
        # Every error is classified and reported by the engine; googleapiclient's own warning
        # for each 403 (an API not enabled yet, read on purpose while planning) only repeats it.
        _quiet_forbidden_warnings()
        service = _DISCOVERY_SERVICE.get(api, api)
        document = _discovery_document(api, version)
        endpoint = self.endpoints.for_service(service)
        options: dict[str, Any] = {}
        if endpoint:
            # build() drops the service path when given an endpoint: put it back.
            options["api_endpoint"] = f"{endpoint}/{document.get('servicePath', '')}"
        credentials = self.credentials(service)
        # Long enough for compute's operations.wait, which may hold its answer for two minutes.
        http = ThreadLocalHttp(
            lambda: google_auth_httplib2.AuthorizedHttp(credentials, http=send_once_http(timeout=130)),
            credentials,
        )
        if self.interceptor is not None:
            http = self.interceptor.wrap_httplib2(http, service)
        client = build_from_document(document, http=http, client_options=options or None)
        with self._lock:
            return self._shared.setdefault(key, client)


# -- retries ------------------------------------------------------------------------------
# Every call is retried in one place, the engine's `RetryPolicy`, with one backoff, deadline
# and notion of "transient". The client libraries retry on their own by default, each with
# its own: a client is built here with those switched off, so that no call site has to.


def _without_library_retries(client: Any) -> None:
    """A gapic client whose methods retry nothing by themselves.

    Each method is wrapped once, when the client is built, with its default retry
    (`google.api_core.gapic_v1.method.wrap_method`); a call that passes no `retry` uses that
    default, so clearing it here is the same as passing `retry=None` at every call.
    """
    for method in client._transport._wrapped_methods.values():
        method._retry = None


def _storage_without_library_retries(client: Any) -> None:
    """A storage client whose JSON API calls retry nothing by themselves.

    Every JSON API call of google-cloud-storage (buckets, objects' metadata, deletes) goes
    through `Connection.api_request`, which applies the `retry` its caller passed, by default
    the library's own: here the connection is handed `retry=None` whatever it is given. An
    object's upload and download do not go through it: the state lock, the one place that
    moves objects, passes `retry=None` to its object calls itself.
    """
    connection = client._connection
    send = connection.api_request

    def api_request(*args: Any, **kwargs: Any) -> Any:
        kwargs["retry"] = None
        return send(*args, **kwargs)

    connection.api_request = api_request


def send_once_http(timeout: float) -> Any:
    """An httplib2.Http that never sends a POST a second time by itself.

    httplib2 quietly sends a request again when the connection drops before the answer comes
    (taking it for a stale kept-alive connection), whatever the method. For a POST that
    created something the server names, that is a second copy made behind the retry policy's
    back; here the lost connection is raised instead, and the caller, which knows whether the
    request may have acted, decides (`RetryPolicy.create`). HTTP itself says a client must not
    resend a non-idempotent request on its own (RFC 9112, section 9.3.1, "Retrying Requests").
    """
    import httplib2

    class SendOnceHttp(httplib2.Http):  # type: ignore[misc]
        def _conn_request(self, conn: Any, request_uri: str, method: str, body: Any, headers: Any) -> Any:
            if method != "POST":
                return super()._conn_request(conn, request_uri, method, body, headers)
            return super()._conn_request(_SendOnce(conn), request_uri, method, body, headers)

    return SendOnceHttp(timeout=timeout)


class _SendOnce:
    """A connection that refuses to send a second request: httplib2's quiet resend fails loudly."""

    def __init__(self, conn: Any) -> None:
        self._conn = conn
        self._sent = False

    def __getattr__(self, name: str) -> Any:
        return getattr(self._conn, name)

    def request(self, *args: Any, **kwargs: Any) -> Any:
        if self._sent:
            raise ConnectionResetError("the connection was lost after the request was sent")
        self._sent = True
        return self._conn.request(*args, **kwargs)


class _NotTheForbiddenWarning(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("Encountered 403 Forbidden")


def _quiet_forbidden_warnings() -> None:
    """Drop googleapiclient's warning for a 403, and only that one; its others still reach the log."""
    logger = logging.getLogger("googleapiclient.http")
    if not any(isinstance(f, _NotTheForbiddenWarning) for f in logger.filters):
        logger.addFilter(_NotTheForbiddenWarning())


class ThreadLocalHttp:
    """A thread-safe transport for discovery clients: each thread has its own httplib2.Http.

    httplib2 connections must not be shared between threads; the client objects built
    from a discovery document can be, as long as what sends the bytes is per thread.
    """

    def __init__(self, factory: Callable[[], Any], credentials: Any = None) -> None:
        self._factory = factory
        self._local = threading.local()
        #: googleapiclient reads credentials off its transport (media uploads, batches).
        self.credentials = credentials

    def _http(self) -> Any:
        http = getattr(self._local, "http", None)
        if http is None:
            http = self._local.http = self._factory()
        return http

    def request(self, *args: Any, **kwargs: Any) -> Any:
        return self._http().request(*args, **kwargs)

    def close(self) -> None:
        http = getattr(self._local, "http", None)
        if http is not None:
            self._local.http = None
            http.close()


_documents: dict[tuple[str, str], dict[str, Any]] = {}
_documents_lock = threading.Lock()


def _discovery_document(api: str, version: str) -> dict[str, Any]:
    with _documents_lock:
        doc = _documents.get((api, version))
        if doc is None:
            import googleapiclient

            path = (
                Path(googleapiclient.__file__).parent
                / "discovery_cache"
                / "documents"
                / f"{api}.{version}.json"
            )
            doc = json.loads(path.read_text())
            _documents[(api, version)] = doc
        return doc
