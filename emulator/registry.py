"""The declaration API: a service module names a discovery document and the
methods it implements; the server does routing, validation, faults and logging.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from emulator.discovery import ApiDocument, Method, load_document

if TYPE_CHECKING:
    from emulator.context import Context


@dataclass
class Call:
    """One validated request as a handler sees it."""

    method: Method
    params: dict[str, str]
    query: dict[str, Any]
    body: dict[str, Any] | None
    raw_body: bytes
    headers: Mapping[str, str]
    ctx: Context
    upload: bool = False

    def param(self, name: str) -> str:
        return self.params[name]


@dataclass
class Reply:
    body: Any = None
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json; charset=UTF-8"
    # Schema of the body for enum re-encoding; None means the method's response schema.
    response_ref: str | None = None


Handler = Callable[[Call], "Reply | dict[str, Any]"]


class Api:
    """Behaviour declared against one discovery document (name, version)."""

    def __init__(self, name: str, version: str) -> None:
        self.name = name
        self.version = version
        self.handlers: dict[str, Handler] = {}
        # Methods whose handler takes the store lock itself (long polls such as
        # compute's operations.wait, which must not block other requests).
        self.unlocked: set[str] = set()

    @property
    def document(self) -> ApiDocument:
        return load_document(self.name, self.version)

    def serve_as(self, version: str, *, skip_missing: bool = True) -> Api:
        """The same handlers (and so the same state) under another version's paths, where the
        two discovery documents share method ids; a method the other version lacks is skipped."""
        other = Api(self.name, version)
        known = set(_method_ids(other.document))
        for method_id, handler in self.handlers.items():
            if method_id in known or not skip_missing:
                other.handles(method_id, locked=method_id not in self.unlocked)(handler)
        return other

    def handles(self, *method_ids: str, locked: bool = True) -> Callable[[Handler], Handler]:
        """Declare `fn` as the handler of these discovery method ids.

        Handlers normally run holding the store lock, so each sees and leaves
        a consistent state; `locked=False` is for handlers that wait and take
        the lock themselves around each read.
        """

        def register(fn: Handler) -> Handler:
            known = {m for m in _method_ids(self.document)}
            for method_id in method_ids:
                if method_id not in known:
                    raise ValueError(f"{method_id} is not a method of {self.name}.{self.version}")
                self.handlers[method_id] = fn
                if not locked:
                    self.unlocked.add(method_id)
            return fn

        return register


def _method_ids(doc: ApiDocument) -> list[str]:
    from emulator.discovery import iter_methods

    return [m.id for m in iter_methods(doc)]
