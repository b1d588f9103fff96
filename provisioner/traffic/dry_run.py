"""A dry run of apply: writes are held back and answered here, reads go to the API.

`plan --show-requests` runs the plan's changes through the real engine and the real
reconciler code, with every client's HTTP layer routed through a `DryRun`. Reads (GET, and
the POST methods that only read: IAM policies, waiting on an operation) go to the API, so a
dry run works against Google itself and stays read-only there. Writes never leave the
process: each is recorded as it would have been sent and answered with a synthesized
success in the shape that API uses, so the code that sent it carries on to its next call.

What a write made or changed is remembered for the rest of the run, so chains that read
back go on as they would: a poll of a held-back operation is answered finished; a GET of a
resource made here answers with what was written (a live one changed here, merged over
what the API holds); a list includes what was made here; an IAM policy set here is read
back as set; a secret version added here can be accessed.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from provisioner.engine.attribution import ThreadAddress
from provisioner.engine.resource import Address
from provisioner.traffic.dry_run_exchange import Exchange
from provisioner.traffic.dry_run_shapes import (
    CHILD_MAKING_VERBS,
    EMPTY_DELETES,
    EMPTY_POLICY_ETAG,
    MADE_FIELDS,
    Target,
    is_read,
    list_key,
    operation_answer,
    relative_name,
    target_of,
    verb_of,
)
from provisioner.traffic.request_secrets import KnownSecrets

#: How names the API would assign, and held-back operations, are spelt in a dry run.
ASSIGNED_PREFIX = "dry-run-"
OPERATION_PREFIX = "operation-dry-run-"
_POLLED = re.compile(r"/operations/(" + re.escape(OPERATION_PREFIX) + r"\d+)(?:[/:]|$)")


@dataclass(frozen=True)
class HeldRequest:
    """One write, as apply would send it."""

    number: int
    #: The change it belongs to (None outside any change).
    address: Address | None
    service: str
    method: str
    url: str
    body: Any
    #: The API answers it with an operation, which apply waits on.
    operation: bool


class DryRun(ThreadAddress):
    """Stands between every client and the API for one dry run; a `RequestInterceptor`."""

    def __init__(self) -> None:
        self.secrets = KnownSecrets()
        self._lock = threading.RLock()
        super().__init__()
        self._held: list[HeldRequest] = []
        self._made: dict[tuple[str, str], dict[str, Any]] = {}
        self._changed: dict[tuple[str, str], dict[str, Any]] = {}
        self._policies: dict[tuple[str, str], dict[str, Any]] = {}
        self._operations: dict[str, dict[str, Any]] = {}
        self._writes = 0

    # -- the client factory's hook -------------------------------------------------------
    def wrap_httplib2(self, http: Any, service: str) -> Any:
        from provisioner.traffic.dry_run_http import DryRunHttp

        return DryRunHttp(http, self, service)

    def attach_session(self, session: Any, service: str) -> None:
        from provisioner.traffic.dry_run_http import mount

        mount(session, self, service)

    # -- what was held back ---------------------------------------------------------------

    def requests(self) -> list[HeldRequest]:
        """Every write held back, in the order sent, with every secret masked."""
        with self._lock:
            held = list(self._held)
        return [replace(r, url=self.secrets.mask_text(r.url), body=self.secrets.mask(r.body)) for r in held]

    # -- one request ------------------------------------------------------------------------
    def exchange(
        self, service: str, method: str, url: str, body: bytes | str | None, forward: Callable[[], Exchange]
    ) -> Exchange:
        """Answer one request: `forward` sends it to the API, and only reads are let through."""
        method = method.upper()
        parts = urlsplit(url)
        path = unquote(parts.path)
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        if is_read(method, path):
            return self._read(service, path, query, forward)
        return self._hold(service, method, url, f"{parts.scheme}://{parts.netloc}", path, query, body)

    def _read(
        self, service: str, path: str, query: dict[str, str], forward: Callable[[], Exchange]
    ) -> Exchange:
        resource, verb = verb_of(path)
        key = (service, resource)
        with self._lock:
            polled = _POLLED.search(path)
            if polled and polled.group(1) in self._operations:
                return _json(self._operations[polled.group(1)])
            if verb == "getIamPolicy":
                if key in self._policies:
                    return _json(self._policies[key])
                if key in self._made:
                    # A policy never set is answered with its etag alone, as Google does
                    # (conformance/kcc-golden/container/v1beta1/containercluster/
                    # containercluster-databaseencryption-all/_http.log, the key's first read).
                    return _json({"etag": EMPTY_POLICY_ETAG})
            elif verb in (None, "access") and key in self._made:
                return _json(self._made[key])
            children = self._children(service, path) if verb is None and "pageToken" not in query else []
            overlay = self._changed.get(key) if verb is None else None
        answer = forward()
        if verb == "access" and answer.status == 200:
            self.secrets.learn_from(_parse(answer.body))
        if not children and overlay is None:
            return answer
        if answer.status == 404 and children:  # the parent itself was made in this run
            return _json({list_key(service, path): children})
        data = _parse(answer.body)
        if answer.status != 200 or not isinstance(data, dict):
            return answer
        if overlay is not None:
            return _json({**data, **overlay})
        listed = data.setdefault(list_key(service, path), [])
        names = {item.get("name") for item in listed if isinstance(item, dict)}
        listed.extend(child for child in children if child.get("name") not in names)
        return _json(data)

    def _children(self, service: str, collection: str) -> list[dict[str, Any]]:
        """Resources made in this run directly inside `collection` (`-` matches any location)."""
        want = collection.rstrip("/").split("/")
        found = []
        for (api, path), body in self._made.items():
            parts = path.split("/")
            inside = api == service and len(parts) == len(want) + 1
            if inside and all(w in (p, "-") for w, p in zip(want, parts, strict=False)):
                found.append(body)
        return found

    def _hold(
        self,
        service: str,
        method: str,
        url: str,
        origin: str,
        path: str,
        query: dict[str, str],
        raw: bytes | str | None,
    ) -> Exchange:
        body = _parse(raw)
        self.secrets.learn_from(body)
        with self._lock:
            self._writes += 1
            number = self._writes
            target = target_of(service, method, path, query, body, assign=f"{ASSIGNED_PREFIX}{number}")
            result = self._record(service, method, target, body)
            name = f"{OPERATION_PREFIX}{number}"
            operation = operation_answer(service, name, method, origin, path, target, result)
            if operation is not None:
                self._operations[name] = operation
            address = self.current_address
            self._held.append(
                HeldRequest(len(self._held) + 1, address, service, method, url, body, operation is not None)
            )
        if operation is not None:
            return _json(operation)
        if method == "DELETE":
            return Exchange(204, {}, b"") if service in EMPTY_DELETES else _json({})
        return _json(result)

    def _record(self, service: str, method: str, target: Target, body: Any) -> dict[str, Any]:
        """Remember what the write leaves behind; returns the resource as it leaves it."""
        key = (service, target.path)
        body = body if isinstance(body, dict) else {}
        if method == "DELETE":
            for store in (self._made, self._changed, self._policies):
                store.pop(key, None)
            return {}
        if target.verb == "setIamPolicy":
            policy = dict(body.get("policy") or {})
            self._policies[key] = policy
            return policy
        if target.verb in CHILD_MAKING_VERBS:
            child = f"{target.path}/{CHILD_MAKING_VERBS[target.verb]}"
            made = {"name": relative_name(child)}
            self._made[(service, child)] = {**made, **body}
            return made
        if target.verb is not None:
            return {"name": relative_name(target.path)}
        if target.creates:
            made = target.resource or {}
            resource = {**(MADE_FIELDS.get(service, {}) if "labels" in made else {}), **made}
            resource.setdefault("name", relative_name(target.path))
            self._made[key] = resource
            return resource
        if key in self._made:
            self._made[key] = {**self._made[key], **body}
            return self._made[key]
        self._changed[key] = {**self._changed.get(key, {}), **body}
        return self._changed[key]


def _json(payload: Any, status: int = 200) -> Exchange:
    return Exchange(status, {"content-type": "application/json; charset=UTF-8"}, json.dumps(payload).encode())


def _parse(raw: bytes | str | None) -> Any:
    if raw is None:
        return None
    try:
        return json.loads(raw) if raw.strip() else None
    except (ValueError, UnicodeDecodeError):
        return None
