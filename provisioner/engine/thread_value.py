"""A value set for the current thread for the length of a block.

The engine tells per-thread context without passing it down every call: which change a
request belongs to (`attribution`), and who listens to what a retry waits for (`retry`).
Both set it for a block and put back what was there, so blocks nest.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


@contextmanager
def set_for_thread(local: threading.local, name: str, value: Any) -> Iterator[None]:
    """`local.<name>` is `value` on this thread inside the block, and what it was after."""
    previous = getattr(local, name, None)
    setattr(local, name, value)
    try:
        yield
    finally:
        setattr(local, name, previous)
