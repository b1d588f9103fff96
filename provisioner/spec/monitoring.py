"""Monitoring: who is told, when, and which business KPIs are recorded."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import Field, field_validator

from .base import StrictModel, matches, repeated

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_METRIC_NAME = re.compile(r"^[a-z][a-z0-9_]*(/[a-z][a-z0-9_]*)*$")

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


class MonitoringSpec(StrictModel):
    notification_channels: list[EmailChannelSpec] = Field(default_factory=list)
    alerts_enabled: bool = True
    thresholds: AlertThresholdsSpec = Field(default_factory=AlertThresholdsSpec)
    dashboard: bool = True
    custom_metrics: list[CustomMetricSpec] = Field(default_factory=list)

    @field_validator("custom_metrics")
    @classmethod
    def _unique(cls, metrics: list[CustomMetricSpec]) -> list[CustomMetricSpec]:
        duplicates = repeated(m.name for m in metrics)
        if duplicates:
            raise ValueError(f"custom metric(s) {', '.join(duplicates)} are declared more than once")
        return metrics
