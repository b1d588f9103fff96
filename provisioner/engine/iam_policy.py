"""Editing an IAM policy: read it, change our members, write it back under the etag it was read with.

IAM policies are edited read-modify-write. When another writer got in between, the write is
refused (409 on the stale etag) and the whole edit starts again from a fresh read: resending
the same write could only meet the same refusal. The edit runs under the engine's one retry
policy, with its backoff and deadline, so a policy other writers keep changing is retried
like any other busy resource, and a transient failure of the read or the write starts the
edit again too (a read again is harmless; a write again carries the etag of that read).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from provisioner.engine.kind import Kind
from provisioner.engine.retry_rules import retry_rules
from provisioner.google.errors import ApiError

P = TypeVar("P")
T = TypeVar("T")


def edit_policy(kind: Kind, read: Callable[[], P], edit: Callable[[P], P], write: Callable[[P], T]) -> T:
    """`write(edit(read()))`, all of it again when the write lost to another writer.

    `read` and `write` make one API call each, without retries of their own: the edit as a
    whole is what is retried, under `kind`'s own extra rules as well.
    """

    rules = retry_rules(kind)
    own = rules["extra"]

    def busy(err: ApiError) -> bool:
        return err.conflict or (own is not None and bool(own(err)))

    def attempt() -> T:
        return write(edit(read()))

    return kind.ctx.retry.call(attempt, extra=busy, settling=rules["settling"])
