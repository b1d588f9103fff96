"""The request pipeline: route, faults, validation, handler, encoding, log."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, unquote

from emulator import enums, partial_response
from emulator.context import Context
from emulator.discovery import RouteTable
from emulator.enablement import require_enabled
from emulator.errors import ApiError, invalid, unimplemented
from emulator.records import is_write, loggable_body
from emulator.registry import Api, Call, Handler, Reply
from emulator.validation import BodyValidator, validate_query


@dataclass
class Outcome:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    drop: bool = False


def json_outcome(status: int, payload: Any, headers: dict[str, str] | None = None) -> Outcome:
    data = json.dumps(payload, indent=1).encode()
    return Outcome(status, data, {"Content-Type": "application/json; charset=UTF-8", **(headers or {})})


def error_outcome(error: ApiError) -> Outcome:
    if error.code == 304:
        return Outcome(304, b"", error.headers)
    return json_outcome(error.code, error.body(), error.headers)


class Dispatcher:
    def __init__(self, ctx: Context, apis: list[Api]) -> None:
        self.ctx = ctx
        self.routes = RouteTable()
        # Keyed by version and method id: versions of one API share method ids
        # (Cloud Resource Manager's v1 and v3 both have `cloudresourcemanager.projects.get`).
        self.versioned: dict[tuple[str, str], Handler] = {}
        # By method id alone, for a version that shares another's handlers without declaring them.
        self.handlers: dict[str, Handler] = {}
        self.validators: dict[str, BodyValidator] = {}
        self.unlocked: set[tuple[str, str]] = set()
        self.unlocked_ids: set[str] = set()
        for api in apis:
            doc = api.document
            key = f"{doc.name}.{doc.version}"
            if key not in self.validators:
                self.routes.add_document(doc)
                self.validators[key] = BodyValidator(doc)
            self.versioned.update({(api.version, m): h for m, h in api.handlers.items()})
            self.handlers.update(api.handlers)
            self.unlocked |= {(api.version, m) for m in api.unlocked}
            self.unlocked_ids |= api.unlocked

    def _handler(self, method: Any) -> Handler | None:
        return self.versioned.get(_key(method)) or self.handlers.get(method.id)

    def handle(
        self, http_method: str, raw_path: str, query_string: str, headers: Any, body: bytes
    ) -> Outcome:
        method_id: str | None = None
        acted = False  # a write that took effect although its answer says otherwise
        # Operations that finished since the last request land before anything is read.
        self.ctx.operations.settle()
        try:
            candidates = self.routes.candidates(http_method, raw_path)
            if not candidates:
                status = 405 if self.routes.path_exists(raw_path) else 404
                message = (
                    "Method not allowed." if status == 405 else f"The requested URL {raw_path} was not found."
                )
                outcome = error_outcome(ApiError(status, message))
                self._log(None, http_method, raw_path, query_string, outcome.status, body)
                return outcome
            route = next((r for r in candidates if self._handler(r.method) is not None), candidates[0])
            method_id = route.method.id
            decision = self.ctx.faults.decide(method_id)
            if decision.latency_ms:
                time.sleep(decision.latency_ms / 1000)
            if decision.drop:
                self._log(method_id, http_method, raw_path, query_string, 0, body)
                return Outcome(drop=True)
            if decision.error is not None:
                raise decision.error
            if self.ctx.config.enforce_enabled_apis:
                require_enabled(self.ctx, route, candidates, raw_path, query_string)
            outcome = self._run(route, raw_path, query_string, headers, body)
        except ApiError as error:
            outcome = error_outcome(error)
        if is_write(http_method, method_id) and outcome.status < 400:
            lost = self.ctx.faults.lost_answer(method_id)
            if lost is not None:  # it took effect; the client hears only of a failure
                outcome = Outcome(0, drop=True) if lost.error is None else error_outcome(lost.error)
                acted = True
        self._log(method_id, http_method, raw_path, query_string, outcome.status, body)
        if is_write(http_method, method_id) and (outcome.status < 400 or acted):
            self.ctx.faults.after_write()
        return outcome

    def _run(self, route: Any, raw_path: str, query_string: str, headers: Any, body: bytes) -> Outcome:
        method = route.method
        query = validate_query(method, parse_qs(query_string, keep_blank_values=True))
        validator = self.validators[f"{method.api.name}.{method.api.version}"]
        parsed: dict[str, Any] | None = None
        if method.request_ref and not route.upload:
            parsed = validator.validate(method.request_ref, _path_fields_dropped(method, _parse_json(body)))
        params = {k: unquote(v) for k, v in route.path_params(raw_path).items()}
        handler = self._handler(method)
        if handler is None:
            raise unimplemented(f"Method {method.id} is not implemented by the emulator.")
        call = Call(method, params, query, parsed, body, headers, self.ctx, upload=route.upload)
        if _key(method) in self.unlocked or (
            _key(method) not in self.versioned and method.id in self.unlocked_ids
        ):
            reply = handler(call)
        else:
            with self.ctx.store.lock:
                try:
                    reply = handler(call)
                finally:
                    # An operation that is already done (zero delay) lands before the reply.
                    self.ctx.operations.settle()
        if not isinstance(reply, Reply):
            reply = Reply(body=reply)
        if isinstance(reply.body, bytes):
            return Outcome(reply.status, reply.body, {"Content-Type": reply.content_type, **reply.headers})
        payload = reply.body
        if payload is not None and "enum-encoding=int" in str(query.get("$alt", "")):
            ref = reply.response_ref or method.response_ref
            payload = enums.encode_enums_as_ints(method.api.name, method.api.schemas, ref, payload)
        if payload is None:
            return Outcome(reply.status, b"", reply.headers)
        if query.get("fields") and 200 <= reply.status < 300:
            payload = partial_response.select(payload, partial_response.parse(str(query["fields"])))
        return json_outcome(reply.status, payload, reply.headers)

    def _log(
        self, method_id: str | None, http_method: str, path: str, query: str, status: int, body: bytes
    ) -> None:
        self.ctx.store.log_request(
            method_id, http_method, path, query, status, self.ctx.clock.now(), loggable_body(body)
        )


def _key(method: Any) -> tuple[str, str]:
    return (method.api.version, method.id)


def _path_fields_dropped(method: Any, payload: Any) -> Any:
    """A gRPC-transcoded method whose body is the whole request message (`body: "*"`) also takes
    the fields bound to its path in the body: Secret Manager's addVersion accepts `parent`
    beside `payload` (conformance/kcc-golden/secretmanager/v1beta1/secretmanagersecretversion/
    secretmanagersecretversion/_http.log). Discovery leaves those fields out of the request
    schema; they are dropped here, the path being what names the resource."""
    if not isinstance(payload, dict) or "flatPath" not in method.spec:
        return payload
    schema = method.api.schemas.get(method.request_ref or "", {}).get("properties", {})
    path_params = {k for k, v in method.parameters.items() if v.get("location") == "path"}
    return {k: v for k, v in payload.items() if k in schema or k not in path_params}


def _parse_json(body: bytes) -> Any:
    if not body.strip():
        return {}
    try:
        return json.loads(body)
    except ValueError as exc:
        raise invalid(f"Invalid JSON payload received. {exc}.") from None
