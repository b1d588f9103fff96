"""The base of kinds that call Google APIs: plumbing for their bodies, not part of the contract.

The engine asks a kind only for its four verbs, its `meta` and the optional protocols it
offers. How a kind makes its calls is its own business; this base gives every kind in
reconcilers/ the same three ways: one call under the engine's retry policy with the kind's
own retry rules, a create that is never sent twice, and independent reads side by side.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from provisioner.engine.kind import Kind
from provisioner.engine.retry_rules import retry_rules

T = TypeVar("T")
R = TypeVar("R")


class ApiKind(Kind):
    """A kind whose observe/create/update/delete send API calls through `call`."""

    def call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run one API call under the shared retry policy and this kind's retry rules."""
        return self.ctx.retry.call(fn, *args, **retry_rules(self), **kwargs)

    def call_once(self, send: Callable[[], T], find: Callable[[], T | None]) -> T:
        """Send a create that is not idempotent; after an ambiguous failure `find` looks for
        what it would have made before it is sent again (`RetryPolicy.create`)."""
        return self.ctx.retry.create(send, find, **retry_rules(self))

    def side_by_side(self, *reads: Callable[[], Any]) -> list[Any]:
        """Independent reads one observation needs (a policy and the accounts it names), at once."""
        return self.map(lambda read: read(), reads)

    def map(self, fn: Callable[[T], R], items: Iterable[T], workers: int = 8) -> list[R]:
        """Run independent reads side by side where the API has no list (IAM policies, say)."""
        items = list(items)
        if len(items) <= 1:
            return [fn(item) for item in items]
        with ThreadPoolExecutor(max_workers=min(workers, len(items))) as pool:
            return list(pool.map(fn, items))
