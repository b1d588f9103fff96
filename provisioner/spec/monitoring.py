"""Monitoring: who is told, when, and which business KPIs are recorded."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import Field, field_validator

from .base import StrictModel, listed_once, matches, repeated, valid_when

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_METRIC_NAME = re.compile(r"^[a-z][a-z0-9_]*(/[a-z][a-z0-9_]*)*$")
_URL_PATH = re.compile(r"^/[^\s#]*$")

EmailAddress = Annotated[str, matches(_EMAIL, "{value!r} is not an email address")]
MetricName = Annotated[
    str,
    matches(
        _METRIC_NAME,
        "metric name {value!r} is invalid; use lowercase words joined by '_' or '/',"
        " e.g. 'conversations/started'",
    ),
]


class EmailChannelSpec(StrictModel):
    display_name: str = Field(min_length=1)
    email: EmailAddress


class AlertThresholdsSpec(StrictModel):
    error_rate_percent: float = Field(default=5.0, gt=0, le=100)
    """Share of 5xx responses over the window."""
    latency_p95_seconds: float = Field(default=3.0, gt=0)
    db_connection_failures: int = Field(default=1, ge=1)
    """Failed connections per window that raise an alert."""
    cpu_percent: float = Field(default=80.0, gt=0, le=100)
    window_seconds: int = Field(default=300, ge=60)
    """How long a condition must hold before the alert fires."""


class CustomMetricSpec(StrictModel):
    """A metric descriptor under ``custom.googleapis.com/digitwin/``."""

    name: MetricName
    kind: Literal["GAUGE", "DELTA", "CUMULATIVE"]
    value_type: Literal["BOOL", "INT64", "DOUBLE", "STRING", "DISTRIBUTION"]
    unit: str = "1"
    description: str = Field(min_length=1)
    display_name: str | None = None

    @property
    def metric_type(self) -> str:
        return f"custom.googleapis.com/digitwin/{self.name}"


UptimeRegion = Literal[
    "USA", "EUROPE", "SOUTH_AMERICA", "ASIA_PACIFIC", "USA_OREGON", "USA_IOWA", "USA_VIRGINIA"
]
#: Checker locations per region: `USA` is Oregon, Iowa and Virginia, the others one each
#: (https://github.com/2i2c-org/infrastructure/issues/2320 lists the six a check runs from).
UPTIME_LOCATIONS: dict[str, int] = {"USA": 3}
#: Every region, which is where the API runs a check that names none.
ALL_UPTIME_REGIONS: list[UptimeRegion] = ["USA", "EUROPE", "SOUTH_AMERICA", "ASIA_PACIFIC"]


class UptimeCheckSpec(StrictModel):
    """An HTTPS check of the load balancer's first domain from Google's checkers, so an outage
    of the public entry point is seen from outside.

    The API's rules (https://cloud.google.com/monitoring/api/ref_v3/rest/v3/projects.uptimeCheckConfigs):
    a period of 60, 300, 600 or 900 seconds, a timeout of 1 to 60 seconds, and regions that
    hold at least 3 checker locations.
    """

    enabled: bool = True
    path: Annotated[str, matches(_URL_PATH, "uptime check path {value!r} must start with '/'")] = "/"
    period: Literal["60s", "300s", "600s", "900s"] = "60s"
    timeout_seconds: int = Field(default=10, ge=1, le=60)
    regions: Annotated[
        list[UptimeRegion],
        listed_once("region"),
        valid_when(
            lambda regions: sum(UPTIME_LOCATIONS.get(r, 1) for r in regions) >= 3,
            "the regions must hold at least 3 checker locations (USA holds 3, the others 1)",
        ),
    ] = Field(default_factory=lambda: list(ALL_UPTIME_REGIONS))
    """Where the checks run from; every region unless narrowed."""


class MonitoringSpec(StrictModel):
    notification_channels: list[EmailChannelSpec] = Field(default_factory=list)
    alerts_enabled: bool = True
    thresholds: AlertThresholdsSpec = Field(default_factory=AlertThresholdsSpec)
    dashboard: bool = True
    uptime_check: UptimeCheckSpec = Field(default_factory=UptimeCheckSpec)
    """An uptime check of the public endpoint; ``enabled: false`` turns it off."""
    custom_metrics: list[CustomMetricSpec] = Field(default_factory=list)

    @field_validator("custom_metrics")
    @classmethod
    def _unique(cls, metrics: list[CustomMetricSpec]) -> list[CustomMetricSpec]:
        duplicates = repeated(m.name for m in metrics)
        if duplicates:
            raise ValueError(f"custom metric(s) {', '.join(duplicates)} are declared more than once")
        return metrics
