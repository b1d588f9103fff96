"""What an apply of a protected environment refuses before it writes anything.

A plan that holds back a replacement or a deletion there is not applied in part: applying
the rest alone can leave production half moved (a new key ring and router in one region,
the database and cluster still in the other), which is worse than either side. Elsewhere,
held-back changes stay held back and the rest goes ahead.
"""

from __future__ import annotations

import re

from provisioner.engine.plan import Change, Plan

#: Actions whose held-back state stops a protected apply as a whole.
REMOVALS = ("replace", "delete", "abandon")
_FLAG = re.compile(r"--[a-z][a-z-]*[a-z]")


def removals_held_back(plan: Plan) -> list[Change]:
    return [c for c in plan.blocked if c.action in REMOVALS]


def protected_refusal(plan: Plan, protected: bool) -> str | None:
    """Why this apply writes nothing at all, or None when it may go ahead."""
    held = removals_held_back(plan)
    if not protected or not held:
        return None
    named = {flag for c in held for flag in _FLAG.findall(c.blocked or "")}
    if not plan.options.get("allow_prod_destroy"):
        named.add("--allow-prod-destroy")  # every deletion there needs it, whatever else it needs
    words = ", ".join(sorted(named)) if named else "none: change the spec instead"
    count = (
        f"{len(held)} replacement{'s' if len(held) != 1 else ''} or deletion{'s' if len(held) != 1 else ''}"
    )
    lines = [
        f"refusing to apply {plan.env}: the plan holds back {count} in a protected environment,",
        "and applying the rest without them could leave it half changed. Nothing was written.",
        f"Flags the held-back changes name: {words}. Each change above says which it needs;",
        "pass them to let those changes go ahead too, or change the spec so nothing is held back:",
    ]
    lines += [f"  {c.symbol} {c.address}: {c.blocked}" for c in held]
    return "\n".join(lines)
