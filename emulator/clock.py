"""Wall-clock time that tests can move forward, so scheduled transitions can be observed."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from emulator.state import Store

_OFFSET = "clock_offset_s"


class Clock:
    """Real time plus how far tests have moved it; with a store, the offset is kept in the state
    file, so a restarted emulator does not go back in time before operations it scheduled."""

    def __init__(self, store: Store | None = None) -> None:
        self._store = store
        self._offset = float(store.setting(_OFFSET, "0")) if store is not None else 0.0
        self._lock = threading.Lock()
        self._persisting = threading.Lock()

    def now(self) -> float:
        with self._lock:
            return time.time() + self._offset

    def advance(self, seconds: float) -> None:
        # Written outside the clock's lock: a request holds the store's lock while it reads the
        # clock, and the two locks must never be taken in the other order. One writer at a time,
        # so the last offset written is the latest.
        with self._persisting:
            with self._lock:
                self._offset += seconds
                offset = self._offset
            if self._store is not None:
                self._store.set_setting(_OFFSET, repr(offset))

    def datetime(self) -> datetime:
        return datetime.fromtimestamp(self.now(), UTC)

    def rfc3339(self, plus_seconds: float = 0.0) -> str:
        return format_rfc3339(self.datetime() + timedelta(seconds=plus_seconds))


def format_rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def parse_rfc3339(text: str) -> datetime:
    text = text.strip().replace("z", "Z").replace("t", "T")
    head, _, frac_zone = text.partition(".")
    if frac_zone:
        digits = "".join(c for c in frac_zone if c.isdigit())
        zone = frac_zone[len(digits) :]
        text = f"{head}.{(digits + '000000')[:6]}{zone}"
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def parse_duration(text: str) -> float:
    return float(text.rstrip("s"))
