"""A wait that grows: the one shape of every wait between two tries.

Retrying a call that failed for a transient reason (`provisioner.engine.retry`) and polling an
operation that has not finished yet (`provisioner.engine.operations`) both wait short at first,
because most answers come quickly, and longer each time, up to a cap, so that a slow answer
costs few calls. Only their numbers differ, so the numbers are one record and the growth one
computation.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from itertools import islice


@dataclass(frozen=True)
class Backoff:
    """Waits from `initial` seconds, each `multiplier` times the one before, capped at `maximum`."""

    initial: float
    maximum: float
    #: Doubling, the exponential backoff Google's APIs recommend.
    multiplier: float = 2.0

    def waits(self) -> Iterator[float]:
        """The waits in order, endlessly: each grown from the one before, so it never overflows."""
        wait = self.initial
        while True:
            yield wait
            wait = min(self.maximum, wait * self.multiplier)

    def wait(self, tries: int) -> float:
        """The wait after the `tries`-th try (1 for the first)."""
        return next(islice(self.waits(), tries - 1, None))

    def scaled(self, scale: float) -> Backoff:
        """The same growth on a faster clock (an emulator running scaled-down durations)."""
        return Backoff(self.initial * scale, self.maximum * scale, self.multiplier)
