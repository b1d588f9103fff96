"""HTTP exchanges written as `_http.log` files, in the format of the recorded real-GCP corpus.

The corpus (Config Connector's recordings of real Google Cloud traffic) keeps one test case
per `_http.log`: exchanges separated by a line `---`, each the request line, its headers and
JSON body, then the status line, headers and JSON body of the answer. Values that change from
run to run are written as placeholders, so a log can be compared with another and replayed
against the emulator. The same normalisation is applied here, to what this tool sends:

| what | written as |
| --- | --- |
| the project id, the project number | `${projectId}`, `${projectNumber}` |
| operation names | `${operationID}` (every operation of a log alike, as in the corpus) |
| Compute's `requestId` (and the `clientOperationId` that echoes it) | `${requestId}` |
| ids the API assigns on create (channels, alert policies, ...) | `${notificationChannelID}`, ... |
| numeric `id`s and numeric `targetId`s | `000000000000000000000` |
| `uid`, `uniqueId` / `oauth2ClientId` | `111111111111111111111` / `888888888888888888888` |
| timestamps (any RFC 3339 date-time) | `2024-04-01T12:34:56.123456Z` |
| `etag`, `fingerprint`, `labelFingerprint` | `abcdef0123A=` |
| Cloud SQL `settingsVersion` | `123` |
| object and bucket `generation`s (long numbers), wherever they recur | `12345678901234` |
| who made an operation or a change (`user`, `mutatedBy`) | `user@example.com` |
| the embedded emulator's address | the Google host of the API it stands in for |
| secrets (passwords, secret payloads), plain or base64 | `(sensitive)`, as `--show-requests` has them |

Headers: requests keep `Content-Type` and `X-Goog-Request-Params`; answers keep the headers the
corpus keeps (`Content-Type`, `Server`, `Vary`, `X-Content-Type-Options`, `X-Frame-Options`,
`X-Xss-Protection`, `Pragma`). Credentials (`Authorization` and the like), dates, lengths,
client versions (`User-Agent`, `X-Goog-Api-Client`) and trace ids are dropped. JSON is written
with sorted keys and two-space indents, as in the corpus; a body that is not JSON is written as
one JSON string, so every body of a log parses as JSON.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from http import HTTPStatus
from typing import Any

from provisioner.engine.resource import Address
from provisioner.traffic.request_secrets import KnownSecrets

SEPARATOR = "\n\n---\n\n"
TIMESTAMP = "2024-04-01T12:34:56.123456Z"
FINGERPRINT = "abcdef0123A="
NUMERIC_ID = "000000000000000000000"
UID = "111111111111111111111"
CLIENT_ID = "888888888888888888888"
GENERATION = "12345678901234"
SETTINGS_VERSION = "123"
USER = "user@example.com"
OPERATION = "${operationID}"
REQUEST_ID = "${requestId}"
_REQUEST_ID = re.compile(r"[?&]requestId=([0-9a-fA-F-]{8,})")

#: Field name → the value it is always written as (when it holds a value at all).
_FIXED = {
    "etag": FINGERPRINT,
    "fingerprint": FINGERPRINT,
    "labelFingerprint": FINGERPRINT,
    "settingsVersion": SETTINGS_VERSION,
    "uid": UID,
    "uniqueId": UID,
    "oauth2ClientId": CLIENT_ID,
    "user": USER,
    "mutatedBy": USER,
    "creator": "test@google.com",
    "lastModifier": "test@google.com",
    # The checksum of a secret's payload (which is masked) says something about the secret.
    "dataCrc32c": "98593831",
    # Certificates the API makes (Cloud SQL's server CA, GKE's cluster CA).
    "cert": "-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n",
    "certSerialNumber": "0",
    "commonName": "common-name",
    "sha1Fingerprint": "12345678",
    "clusterCaCertificate": "1234567890abcdefghijklmn",
    "privateEndpoint": "${privateEndpointIPV4}",
    "publicEndpoint": "${publicEndpointIPV4}",
}
#: Addresses the API assigns (a global address, a forwarding rule's), when public.
_ASSIGNED_ADDRESS = frozenset({"address", "IPAddress"})
PUBLIC_ADDRESS = "8.8.8.8"
#: Fields written as NUMERIC_ID when they hold a number (compute's ids and operation targets).
_NUMERIC = frozenset({"id", "targetId"})
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
#: A date-time inside a longer text (a multipart upload's JSON part, say).
_DATETIME_IN_TEXT = re.compile(r"\b\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})")
_LONG_NUMBER = re.compile(r"^\d{10,}$")
_OPERATION_NAME = re.compile(r"(?:^|/)operations/([^/]+)$")
_ASSIGNED_NAME = re.compile(r"^(?:.*/)?([a-z][A-Za-z]*)/([^/]+)$")
#: Collections whose numbers name a project or its parents, never an id the API assigned to ours.
_CONTAINERS = frozenset({"projects", "folders", "organizations", "billingAccounts"})
_ASSIGNED_ID = re.compile(r"^[0-9a-fA-F-]{6,}$")
_NUMBER_ID = re.compile(r"^\d{6,}$")
_IPV4 = re.compile(r"^\d{1,3}(\.\d{1,3}){3}$")
_PRIVATE_IPV4 = re.compile(r"^(10\.|192\.168\.|172\.(1[6-9]|2\d|3[01])\.|127\.)")
#: Cloud SQL's service agent is `p<project number>-<random>@gcp-sa-cloud-sql...`.
_SQL_AGENT = re.compile(
    r"(?<![A-Za-z0-9-])(p(?:\d+|\$\{projectNumber\}))-[a-z0-9]+(@gcp-sa-cloud-sql\.iam\.gserviceaccount\.com)"
)
#: Private addresses the API assigns (Cloud SQL's), written one after another as the corpus has them.
PRIVATE_ADDRESSES = ("10.10.10.10", "10.10.10.11", "10.10.10.12", "10.10.10.13")
#: Cloud Run names revisions `<service>-<5 digits>-<3 random characters>`.
_REVISION = re.compile(r"\b([a-z][a-z0-9-]*-\d{5})-[a-z0-9]{3}\b")
_MULTIPART_BOUNDARY = re.compile(r"={5,}\d+==")

REQUEST_HEADERS = frozenset({"content-type", "x-goog-request-params"})
RESPONSE_HEADERS = frozenset(
    {"content-type", "server", "vary", "pragma"}
    | {"x-content-type-options", "x-frame-options", "x-xss-protection"}
)


@dataclass(frozen=True)
class Exchange:
    """One request and its answer, as they went over the wire (or as parsed back from a log)."""

    method: str
    url: str
    request_headers: tuple[tuple[str, str], ...] = ()
    request_body: Any = None
    status: int = 200
    response_headers: tuple[tuple[str, str], ...] = ()
    response_body: Any = None
    #: The change (resource address) that sent it, when known; not written to the log.
    address: Address | None = None
    #: The API it went to, as the client factory names them; not written to the log.
    service: str = ""
    #: A gRPC exchange's status as written (`OK`, `NOT_FOUND`); the corpus has a few.
    grpc_status: str | None = None


# -- writing -------------------------------------------------------------------------------
def render(exchanges: Iterable[Exchange]) -> str:
    """The text of an `_http.log`: the exchanges as given (normalise them first)."""
    return SEPARATOR.join(_render_one(e) for e in exchanges)


def _render_one(e: Exchange) -> str:
    request = [f"{e.method} {e.url}", *(f"{k}: {v}" for k, v in e.request_headers)]
    status = e.grpc_status if e.grpc_status is not None else _status_line(e.status)
    response = [status, *(f"{k}: {v}" for k, v in e.response_headers)]
    blocks = ["\n".join(request)]
    if e.request_body is not None:
        blocks.append(_json(e.request_body))
    blocks.append("\n".join(response))
    if e.response_body is not None:
        blocks.append(_json(e.response_body))
    return "\n\n".join(blocks)


def _status_line(status: int) -> str:
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return str(status)


def _json(value: Any) -> str:
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False)


# -- reading ---------------------------------------------------------------------------------
class LogFormatError(ValueError):
    """Text that is not an `_http.log`."""


def parse(text: str) -> list[Exchange]:
    """The exchanges of an `_http.log` (the corpus's or one written here), bodies as JSON."""
    if not text.strip():
        return []  # a run that called no API
    out = []
    for number, chunk in enumerate(text.strip("\n").split(SEPARATOR), 1):
        blocks = chunk.strip("\n").split("\n\n")
        try:
            out.append(_parse_one(blocks))
        except (ValueError, IndexError) as exc:
            raise LogFormatError(f"exchange {number}: {exc}") from exc
    return out


def _parse_one(blocks: list[str]) -> Exchange:
    head = blocks.pop(0).split("\n")
    method, _, url = head[0].partition(" ")
    if not method.isupper() or not url:
        raise ValueError(f"not a request line: {head[0]!r}")
    request_body = None
    if blocks and blocks[0][:1] in ("{", "[", '"'):
        request_body = json.loads(blocks.pop(0))
    if not blocks:
        raise ValueError("no answer")
    status_lines = blocks.pop(0).split("\n")
    code = status_lines[0].split(" ", 1)[0]
    grpc_status = None if code.isdigit() else code
    status = int(code) if grpc_status is None else _GRPC_STATUS.get(code, 500)
    response_body = json.loads("\n\n".join(blocks)) if blocks else None
    return Exchange(
        method=method,
        url=url,
        request_headers=_headers(head[1:]),
        request_body=request_body,
        status=status,
        response_headers=_headers(status_lines[1:]),
        response_body=response_body,
        grpc_status=grpc_status,
    )


#: gRPC status names as HTTP codes (google.rpc.Code's mapping), for the corpus's GRPC exchanges.
_GRPC_STATUS = {
    "OK": 200,
    "INVALID_ARGUMENT": 400,
    "FAILED_PRECONDITION": 400,
    "OUT_OF_RANGE": 400,
    "UNAUTHENTICATED": 401,
    "PERMISSION_DENIED": 403,
    "NOT_FOUND": 404,
    "ABORTED": 409,
    "ALREADY_EXISTS": 409,
    "RESOURCE_EXHAUSTED": 429,
    "CANCELLED": 499,
    "UNIMPLEMENTED": 501,
    "UNAVAILABLE": 503,
    "DEADLINE_EXCEEDED": 504,
}


def _headers(lines: Sequence[str]) -> tuple[tuple[str, str], ...]:
    out = []
    for line in lines:
        name, sep, value = line.partition(": ")
        if not sep:
            raise ValueError(f"not a header: {line!r}")
        out.append((name, value))
    return tuple(out)


# -- normalising ------------------------------------------------------------------------------
@dataclass
class Normaliser:
    """Turns raw exchanges of one run into the corpus's spelling, consistently across the log.

    Two passes: first every exchange is read for the values that stand for something (the
    project number, operation names, names the API assigned, generations, secrets), then every
    exchange is rewritten with them, so a value first seen late is replaced early too.
    """

    project: str
    #: Base URLs of emulators, written as the Google host of the API each exchange went to.
    local_bases: tuple[str, ...] = ()
    secrets: KnownSecrets = field(default_factory=KnownSecrets)
    _values: dict[str, str] = field(default_factory=dict)
    _numbers: dict[str, str] = field(default_factory=dict)
    #: Long opaque values, replaced wherever they appear (inside URL-encoded quotes, say).
    _plain: dict[str, str] = field(default_factory=dict)
    _service: str = ""

    def normalise(self, exchanges: Sequence[Exchange]) -> list[Exchange]:
        for e in exchanges:
            self._learn(e)
        return [self._rewrite(e) for e in exchanges]

    # -- first pass: what the values stand for --------------------------------------------
    def _learn(self, e: Exchange) -> None:
        self.secrets.learn_from(e.request_body)
        self.secrets.learn_from(e.response_body)
        self._learn_number(e)
        for request_id in _REQUEST_ID.findall(e.url):
            # Compute's idempotency key, a fresh uuid per create (echoed as clientOperationId).
            self._values[request_id] = REQUEST_ID
        created = e.method == "POST" and 200 <= e.status < 300
        sent = e.url + json.dumps(e.request_body)
        for obj in _objects(e.response_body):
            self._learn_object(obj)
            name = obj.get("name")
            if isinstance(name, str) and not _OPERATION_NAME.search(name):
                # Numeric names are always the API's; others only when a create's answer
                # brings a name the request did not hold.
                self._learn_assigned(name, sent, created)

    def _learn_number(self, e: Exchange) -> None:
        """A resource asked for by project id and named back by number names our number
        (Secret Manager, Service Usage): `projects/digitwin-live-dev/secrets/s` → `projects/123/...`."""
        name = e.response_body.get("name") if isinstance(e.response_body, dict) else None
        if isinstance(name, str) and f"/projects/{self.project}" in e.url:
            match = re.match(r"^projects/(\d+)(/|$)", name)
            if match:
                self._numbers[match.group(1)] = "${projectNumber}"

    def _learn_object(self, obj: dict[str, Any]) -> None:
        number = obj.get("projectNumber")
        if isinstance(number, str | int) and str(number).isdigit():
            self._numbers[str(number)] = "${projectNumber}"
        name = obj.get("name")
        if obj.get("projectId") == self.project and isinstance(name, str) and name.startswith("projects/"):
            self._numbers[name.split("/", 1)[1]] = "${projectNumber}"
        if isinstance(name, str) and _is_operation(obj):
            match = _OPERATION_NAME.search(name)
            self._values[match.group(1) if match else name] = OPERATION
        generation = obj.get("generation")
        if isinstance(generation, str) and _LONG_NUMBER.match(generation):
            self._numbers[generation] = GENERATION
        identifier = obj.get("id")
        if isinstance(identifier, str | int) and _NUMBER_ID.match(str(identifier)):
            self._numbers[str(identifier)] = NUMERIC_ID  # also in selfLinkWithId
        etag = obj.get("etag")
        if isinstance(etag, str) and len(etag.strip('"')) >= 8:
            self._plain[etag.strip('"')] = FINGERPRINT  # also in a delete's `etag=%22...%22` query
        for key in _ASSIGNED_ADDRESS:
            value = obj.get(key)
            if isinstance(value, str) and _IPV4.match(value) and not _PRIVATE_IPV4.match(value):
                self._values[value] = PUBLIC_ADDRESS
        endpoint = obj.get("endpoint")  # a GKE cluster's control plane
        if isinstance(endpoint, str) and _IPV4.match(endpoint):
            self._values[endpoint] = "${publicEndpointIPV4}"
        assigned = obj.get("ipAddress")  # a Cloud SQL instance's
        if isinstance(assigned, str) and _IPV4.match(assigned) and assigned not in self._values:
            taken = sum(1 for v in self._values.values() if v in PRIVATE_ADDRESSES)
            self._values[assigned] = PRIVATE_ADDRESSES[min(taken, len(PRIVATE_ADDRESSES) - 1)]

    def _learn_assigned(self, name: str, sent: str, created: bool) -> None:
        match = _ASSIGNED_NAME.match(name)
        if match is None:
            return
        collection, value = match.groups()
        if value in self._values or value in self._numbers or collection in _CONTAINERS:
            return
        # Assigned ids are numbers or hex (uuids); a short one ("1", a version) would match too much.
        if not (_NUMBER_ID.match(value) or (created and _ASSIGNED_ID.match(value) and value not in sent)):
            return
        singular = collection[:-3] + "y" if collection.endswith("ies") else collection.rstrip("s")
        taken = sum(1 for p in self._values.values() if p.startswith("${" + singular + "ID"))
        self._values[value] = "${" + singular + "ID" + (str(taken + 1) if taken else "") + "}"

    # -- second pass: rewriting ---------------------------------------------------------------
    def _rewrite(self, e: Exchange) -> Exchange:
        self._service = e.service
        local = any(e.url.startswith(base.rstrip("/") + "/") for base in self.local_bases)
        # An emulator's own Server header says nothing about Google's.
        answer_headers = RESPONSE_HEADERS - {"server"} if local else RESPONSE_HEADERS
        return replace(
            e,
            url=self._text(e.url),
            request_headers=self._header_lines(e.request_headers, REQUEST_HEADERS),
            request_body=self._body(e.request_body),
            response_headers=self._header_lines(e.response_headers, answer_headers),
            response_body=self._body(e.response_body),
        )

    def _unlocal(self, text: str) -> str:
        """An emulator's address (in a URL, a selfLink) as the Google host it stands in for."""
        for base in self.local_bases:
            base = base.rstrip("/")
            if base in text:
                from provisioner.traffic.dry_run_shapes import google_host

                text = text.replace(base, f"https://{google_host(self._service)}")
        return text

    def _header_lines(
        self, headers: Iterable[tuple[str, str]], keep: frozenset[str]
    ) -> tuple[tuple[str, str], ...]:
        out = []
        for name, value in headers:
            if name.lower() not in keep:
                continue
            values = [v.strip() for v in value.split(",")] if name.lower() == "vary" else [value]
            out += [(_canonical(name), self._text(v)) for v in values if v]
        return tuple(sorted(out, key=lambda h: h[0]))

    def _body(self, body: Any) -> Any:
        if body is None:
            return None
        return self._value(self.secrets.mask(body), None)

    def _value(self, value: Any, key: str | None) -> Any:
        if isinstance(value, dict):
            return {k: self._value(v, k) for k, v in value.items()}
        if isinstance(value, list):
            return [self._value(v, key) for v in value]
        if key in _FIXED and value not in (None, "", 0):
            return _FIXED[key]
        if key in _NUMERIC and (isinstance(value, int) or (isinstance(value, str) and value.isdigit())):
            return NUMERIC_ID
        if isinstance(value, str):
            if _DATETIME.match(value):
                return TIMESTAMP
            return _DATETIME_IN_TEXT.sub(TIMESTAMP, self._text(value))
        return value

    def _text(self, text: str) -> str:
        text = self._unlocal(self.secrets.mask_text(text))
        text = _MULTIPART_BOUNDARY.sub("===============0000000000000000000==", text)
        text = _REVISION.sub(r"\1-abc", text)
        text = _SQL_AGENT.sub(r"\1-abcdef\2", text)
        for value, placeholder in self._plain.items():
            text = text.replace(value, placeholder)
        for value in sorted(self._values, key=len, reverse=True):
            if value in text:
                pattern = rf"(?<![A-Za-z0-9]){re.escape(value)}(?![A-Za-z0-9])"
                text = re.sub(pattern, self._values[value], text)
        text = text.replace(self.project, "${projectId}")
        for number in sorted(self._numbers, key=len, reverse=True):
            if number in text:
                text = re.sub(rf"(?<![0-9]){number}(?![0-9])", self._numbers[number], text)
        return text


def _is_operation(obj: dict[str, Any]) -> bool:
    """Compute's and Cloud SQL's (`kind`), GKE's (a link under `/operations/`), and every
    `google.longrunning.Operation` (named `.../operations/ID`, even before it has metadata)."""
    kind = obj.get("kind")
    if isinstance(kind, str) and kind.endswith("#operation"):
        return True
    name, link = obj.get("name"), obj.get("selfLink")
    if isinstance(link, str) and "/operations/" in link and "operationType" in obj:
        return True
    return isinstance(name, str) and bool(_OPERATION_NAME.search(name))


def _objects(value: Any) -> Iterable[dict[str, Any]]:
    if isinstance(value, dict):
        yield value
        for item in value.values():
            yield from _objects(item)
    elif isinstance(value, list):
        for item in value:
            yield from _objects(item)


def _canonical(name: str) -> str:
    """`x-goog-request-params` → `X-Goog-Request-Params`, as Go (and the corpus) writes them."""
    return "-".join(part[:1].upper() + part[1:].lower() for part in name.split("-"))


def decode_body(raw: bytes | str | None) -> Any:
    """A body as JSON when it is JSON, else as text; None when there is none."""
    if raw is None:
        return None
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8")
        except UnicodeDecodeError:
            return f"({len(raw)} bytes of binary data)"
    if not raw.strip():
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return raw
