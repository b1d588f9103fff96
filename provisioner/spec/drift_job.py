"""The scheduled drift-correction job: this provisioner, run by Cloud Scheduler as a Cloud Run Job."""

from __future__ import annotations

import re
import zoneinfo
from typing import Literal

from pydantic import Field, field_validator

from .base import DeletionPolicy, Role, ServiceAccountId, StrictModel

#: The custom metric each drift run writes a point to, and the job's metric descriptor declares.
DRIFT_METRIC = "custom.googleapis.com/digitwin/provisioner/drift"

_CRON_FIELD = re.compile(r"^[\d*/,\-A-Za-z]+$", re.ASCII)


class DriftJobSpec(StrictModel):
    enabled: bool = True
    """False removes the schedule but keeps the job, so it can still be run by hand."""
    image: str
    schedule: str = "*/30 * * * *"
    """Unix cron with five fields."""
    time_zone: str = "Etc/UTC"
    mode: Literal["report", "correct"] = "correct"
    """``report`` only records drift; ``correct`` also applies the spec."""
    service_account: ServiceAccountId = "drift-corrector"
    roles: list[Role] = Field(default_factory=list)
    timeout_seconds: int = Field(default=1800, ge=60, le=86400)
    max_retries: int = Field(default=0, ge=0, le=10)
    """Retries would overlap with the next run; the schedule is the retry."""
    deletion_policy: DeletionPolicy = "delete"

    @field_validator("schedule")
    @classmethod
    def _cron(cls, value: str) -> str:
        fields = value.split()
        if len(fields) != 5 or not all(_CRON_FIELD.fullmatch(f) for f in fields):
            raise ValueError(
                f"schedule {value!r} is not a cron expression; use five fields"
                " (minute hour day-of-month month day-of-week), e.g. '*/30 * * * *'"
            )
        return value

    @field_validator("time_zone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"time_zone {value!r} is not an IANA time zone; use e.g. 'Etc/UTC' or 'Europe/Berlin'"
            ) from None
        return value
