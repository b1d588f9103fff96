"""The scheduled drift-correction job: this provisioner, run by Cloud Scheduler as a Cloud Run Job."""

from __future__ import annotations

import re
import zoneinfo
from typing import Annotated, Literal

from pydantic import Field

from .base import DeletionPolicy, Role, ServiceAccountId, StrictModel, valid_when

#: The custom metric each drift run writes a point to, and the job's metric descriptor declares.
DRIFT_METRIC = "custom.googleapis.com/digitwin/provisioner/drift"

_CRON_FIELD = re.compile(r"^[\d*/,\-A-Za-z]+$", re.ASCII)


def _is_cron(value: str) -> bool:
    """Five fields of digits, names, ``*``, ``/``, ``,`` and ``-``: the Unix cron Cloud Scheduler takes."""
    fields = value.split()
    return len(fields) == 5 and all(_CRON_FIELD.fullmatch(f) for f in fields)


def _is_time_zone(value: str) -> bool:
    """A name in the IANA time zone database, as Cloud Scheduler's ``timeZone`` wants."""
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return False
    return True


CronSchedule = Annotated[
    str,
    valid_when(
        _is_cron,
        "schedule {value!r} is not a cron expression; use five fields"
        " (minute hour day-of-month month day-of-week), e.g. '*/30 * * * *'",
    ),
]
TimeZone = Annotated[
    str,
    valid_when(
        _is_time_zone, "time_zone {value!r} is not an IANA time zone; use e.g. 'Etc/UTC' or 'Europe/Berlin'"
    ),
]


class DriftJobSpec(StrictModel):
    enabled: bool = True
    """False removes the schedule but keeps the job, so it can still be run by hand."""
    image: str
    schedule: CronSchedule = "*/30 * * * *"
    """Unix cron with five fields."""
    time_zone: TimeZone = "Etc/UTC"
    mode: Literal["report", "correct"] = "correct"
    """``report`` only records drift; ``correct`` also applies the spec."""
    service_account: ServiceAccountId = "drift-corrector"
    roles: list[Role] = Field(default_factory=list)
    timeout_seconds: int = Field(default=1800, ge=60, le=86400)
    max_retries: int = Field(default=0, ge=0, le=10)
    """Retries would overlap with the next run; the schedule is the retry."""
    deletion_policy: DeletionPolicy = "delete"
