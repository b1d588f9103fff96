"""Whether a kind offers an optional protocol, decided once per class.

`isinstance` against a runtime-checkable Protocol walks the protocol's members on every call
(Python 3.11 recomputes them each time, twice for a "no"), and the planner asks for every
resource it reads: normalise, references, status note. At 5,000 resources that was a fifth of
a no-op plan's CPU. What a class offers cannot change while a plan runs, so the answer is kept
per (class, protocol). An object that answers attributes per instance (a wrapper's
`__getattr__`) is asked each time.
"""

from __future__ import annotations

from typing import Any

#: (class, protocol) -> whether the class offers it. Kinds' planning threads share it; a race
#: computes the same answer twice.
_OFFERED: dict[tuple[type[Any], Any], bool] = {}


def offers(obj: object, protocol: Any) -> bool:
    """`isinstance(obj, protocol)`, for a runtime-checkable protocol of methods only."""
    cls: type[Any] = type(obj)
    if getattr(cls, "__getattr__", None) is not None:
        return isinstance(obj, protocol)
    known = _OFFERED.get((cls, protocol))
    if known is None:
        known = _OFFERED[(cls, protocol)] = issubclass(cls, protocol)
    return known
