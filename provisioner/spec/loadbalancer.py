"""The global external HTTPS load balancer in front of the Cloud Run services."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from .base import DeletionPolicy, Labels, ResourceName, StrictModel, each_matches
from .rules import ViolationCollector

_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
RATE_LIMIT_INTERVALS = (10, 30, 60, 120, 180, 240, 300, 600, 900, 1200, 1800, 2700, 3600)


class CdnSpec(StrictModel):
    cache_mode: Literal["CACHE_ALL_STATIC", "USE_ORIGIN_HEADERS", "FORCE_CACHE_ALL"] = "CACHE_ALL_STATIC"
    default_ttl_seconds: int = Field(default=3600, ge=0)
    max_ttl_seconds: int = Field(default=86400, ge=0)
    client_ttl_seconds: int = Field(default=3600, ge=0)

    @model_validator(mode="after")
    def _ttls(self) -> CdnSpec:
        problems = ViolationCollector()
        problems.check_not_greater(self, "default_ttl_seconds", "max_ttl_seconds", say_rule=False)
        problems.raise_if_any()
        return self


class LbRouteSpec(StrictModel):
    paths: list[str] = Field(min_length=1)
    """URL-map path patterns, e.g. ``/api/*``."""
    service: str
    """Key of a service in ``run.services``."""
    timeout_seconds: int | None = None
    """Refused when set. The routes reach Cloud Run through serverless NEGs, whose backend
    services keep the API's default timeout (Compute answers 400 "Timeout sec is not supported
    for a backend service with Serverless network endpoint groups" to any other): how long a
    request, or an open websocket, may last is the Cloud Run service's own
    ``run.services.<key>.timeout_seconds``."""
    cdn: CdnSpec | None = None

    @field_validator("timeout_seconds")
    @classmethod
    def _no_backend_timeout(cls, value: int | None) -> int | None:
        if value is not None:
            raise ValueError(
                f"timeout_seconds ({value}) cannot be honoured: a backend service in front of Cloud"
                " Run (a serverless NEG) takes no timeout of its own; remove it and set"
                " timeout_seconds on the route's service under run.services instead (at most 3600 s,"
                " long enough for a websocket)"
            )
        return value

    @field_validator("paths")
    @classmethod
    def _absolute(cls, paths: list[str]) -> list[str]:
        for path in paths:
            if not path.startswith("/") or ("*" in path and not path.endswith("/*")):
                raise ValueError(f"path {path!r} is invalid; paths start with '/' and may only end in '/*'")
        return paths


class LbRoutesSpec(StrictModel):
    websocket: LbRouteSpec
    api: LbRouteSpec
    static: LbRouteSpec
    default: Literal["websocket", "api", "static"] = "api"
    """Where requests that match no path go."""


class RateLimitSpec(StrictModel):
    requests: int = Field(ge=1)
    """Requests allowed per client IP per interval."""
    interval_seconds: int
    action: Literal["throttle", "rate_based_ban"] = "throttle"
    ban_duration_seconds: int | None = Field(default=None, ge=1)
    """Only with rate_based_ban: how long an offending client stays blocked."""
    exceed_action: Literal["deny(403)", "deny(404)", "deny(429)", "deny(502)"] = "deny(429)"
    priority: int = Field(default=1000, ge=0, le=2147483646)

    @field_validator("interval_seconds")
    @classmethod
    def _interval(cls, value: int) -> int:
        if value not in RATE_LIMIT_INTERVALS:
            raise ValueError(
                f"interval_seconds {value} is not offered by Cloud Armor; use one of"
                f" {', '.join(map(str, RATE_LIMIT_INTERVALS))}"
            )
        return value

    @model_validator(mode="after")
    def _ban(self) -> RateLimitSpec:
        problems = ViolationCollector()
        if self.action == "rate_based_ban" and self.ban_duration_seconds is None:
            problems.add(("ban_duration_seconds",), "action rate_based_ban needs ban_duration_seconds")
        if self.action == "throttle" and self.ban_duration_seconds is not None:
            problems.add(
                ("ban_duration_seconds",),
                "ban_duration_seconds is only valid with action rate_based_ban, not throttle",
            )
        problems.raise_if_any()
        return self


class ArmorSpec(StrictModel):
    policy_name: ResourceName | None = None
    """Defaults to ``<name_prefix>-armor``."""
    rate_limit: RateLimitSpec
    default_action: Literal["allow", "deny(403)", "deny(404)"] = "allow"
    """The catch-all rule, declared so the API does not add one the diff would then see."""


class LoadBalancerSpec(StrictModel):
    domains: Annotated[
        list[str],
        each_matches(
            _DOMAIN,
            "domain {value!r} is invalid; use a lowercase fully qualified name such as"
            " 'dev.digitwin.example.com' (no scheme, no trailing dot, no wildcard)",
        ),
    ] = Field(min_length=1)
    static_ip_name: ResourceName | None = None
    """Defaults to ``<name_prefix>-lb-ip``."""
    certificate_name: ResourceName | None = None
    """Defaults to ``<name_prefix>-cert``. Managed certificates cannot change: new domains mean a new one."""
    http_to_https_redirect: bool = True
    routes: LbRoutesSpec
    armor: ArmorSpec
    load_balancing_scheme: Literal["EXTERNAL_MANAGED", "EXTERNAL"] = "EXTERNAL_MANAGED"
    labels: Labels = Field(default_factory=dict)
    deletion_policy: DeletionPolicy = "delete"

    @field_validator("domains")
    @classmethod
    def _domains(cls, domains: list[str]) -> list[str]:
        if len(set(domains)) != len(domains):
            raise ValueError("domains contain duplicates")
        if len(domains) > 100:
            raise ValueError("a managed certificate covers at most 100 domains")
        return domains
