"""The monthly budget an environment was designed for, which `cost` and `plan` hold it to."""

from __future__ import annotations

from pydantic import Field

from .base import StrictModel


class BudgetSpec(StrictModel):
    """What the environment may cost a month at list prices, as `cost` reckons it: every
    autoscaler at its minimum, usage-dependent charges (traffic, requests, data stored) left
    out. `cost` shows the budget beside the estimate and flags an estimate above it; `plan`
    warns when applying would take the environment above it. Neither refuses anything: a
    budget is a design promise to review, not a quota."""

    monthly_usd: float = Field(gt=0)
    """The most the baseline may cost a month, in US dollars at list prices."""
