"""Optional protocol: what a resource draws on the project's Compute Engine quotas.

Preflight adds up the needs of what an apply would create (CPUs and GPUs of node pools) and
compares them with what the project has left, before the apply fails halfway on a quota.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from provisioner.engine.kind import Kind
from provisioner.engine.resource import Resource


@dataclass(frozen=True)
class QuotaNeed:
    """What one resource draws on a Compute Engine quota: at least `low` once made (its
    autoscaling minimum), up to `high` at its maximum."""

    metric: str
    #: The region whose quota it draws on; None for a project-wide quota (`GPUS_ALL_REGIONS`).
    region: str | None
    low: float
    high: float
    #: Drawn on this metric instead when the project has none of `metric` (Spot VMs use the
    #: preemptible quota when there is one, the standard one otherwise).
    fallback: str | None = None


@runtime_checkable
class DrawsQuota(Protocol):
    def quota_needs(self, desired: Resource) -> list[QuotaNeed]: ...


def quota_needs(kind: Kind, desired: Resource) -> list[QuotaNeed]:
    return kind.quota_needs(desired) if isinstance(kind, DrawsQuota) else []
