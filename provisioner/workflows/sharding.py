"""Which environments one task of a Cloud Run job takes.

A job that manages several environments runs as several tasks; each task must take a
share that no other task takes, and together they must take every environment, whatever
order the environments were given in. Task i takes every count-th environment of the
sorted list, starting at i.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping


class ShardError(ValueError):
    pass


def task_position(environ: Mapping[str, str] | None = None) -> tuple[int, int]:
    """(index, count) from CLOUD_RUN_TASK_INDEX / CLOUD_RUN_TASK_COUNT; (0, 1) outside a job."""
    environ = os.environ if environ is None else environ
    try:
        index = int(environ.get("CLOUD_RUN_TASK_INDEX", "0"))
        count = int(environ.get("CLOUD_RUN_TASK_COUNT", "1"))
    except ValueError as exc:
        raise ShardError(f"CLOUD_RUN_TASK_INDEX and CLOUD_RUN_TASK_COUNT must be integers: {exc}") from None
    if count < 1 or not 0 <= index < count:
        raise ShardError(f"task index {index} is outside a job of {count} task(s)")
    return index, count


def share(envs: Iterable[str], index: int, count: int) -> list[str]:
    """The environments task `index` of `count` takes: disjoint across tasks, together all of them."""
    ordered = sorted(set(envs))
    return ordered[index::count]
