"""The VPC and everything attached to it: subnet, NAT, private service access, connector, firewall."""

from __future__ import annotations

import ipaddress
import re
from typing import Literal

from pydantic import Field, field_validator, model_validator

from .base import Cidr, Cidr28, DeletionPolicy, ResourceName, StrictModel
from .rules import ViolationCollector

_PORT = re.compile(r"[0-9]{1,5}")


class SecondaryRangeSpec(StrictModel):
    name: ResourceName | None = None
    """Defaults to ``<name_prefix>-pods`` / ``<name_prefix>-services``."""
    cidr: Cidr


class SubnetSpec(StrictModel):
    name: ResourceName | None = None
    """Defaults to ``<name_prefix>-subnet``."""
    cidr: Cidr
    """Can only grow in place; a smaller range means replacing the subnet and everything in it."""
    private_google_access: bool = True
    flow_logs: bool = False
    pods: SecondaryRangeSpec
    services: SecondaryRangeSpec


class NatSpec(StrictModel):
    name: ResourceName | None = None
    """Defaults to ``<name_prefix>-nat``."""
    log_filter: Literal["ERRORS_ONLY", "TRANSLATIONS_ONLY", "ALL"] | None = "ERRORS_ONLY"
    """None turns NAT logging off; errors only is enough to see exhausted ports."""
    min_ports_per_vm: int | None = Field(default=None, ge=2, le=65536)


class RouterSpec(StrictModel):
    name: ResourceName | None = None
    """Defaults to ``<name_prefix>-router``."""
    nat: NatSpec = Field(default_factory=NatSpec)


class PrivateServiceAccessSpec(StrictModel):
    """The range Google's producer networks (Cloud SQL) take their addresses from."""

    name: ResourceName | None = None
    """Defaults to ``<name_prefix>-psa``."""
    address: str
    prefix_length: int = Field(ge=8, le=24)
    """Cloud SQL needs at least a /24; /16 or /20 leaves room for more producers."""

    @field_validator("address")
    @classmethod
    def _ipv4(cls, value: str) -> str:
        try:
            ipaddress.IPv4Address(value)
        except ValueError:
            raise ValueError(f"{value!r} is not an IPv4 address (expected e.g. '10.100.0.0')") from None
        return value

    @model_validator(mode="after")
    def _aligned(self) -> PrivateServiceAccessSpec:
        try:
            ipaddress.IPv4Network(f"{self.address}/{self.prefix_length}", strict=True)
        except ValueError:
            base = ipaddress.IPv4Network(f"{self.address}/{self.prefix_length}", strict=False)
            problems = ViolationCollector()
            problems.add(
                ("address",),
                f"{self.address} is not the start of a /{self.prefix_length} range;"
                f" use {base.network_address}",
            )
            problems.raise_if_any()
        return self

    @property
    def cidr(self) -> str:
        return f"{self.address}/{self.prefix_length}"


class VpcConnectorSpec(StrictModel):
    """Serverless VPC Access, so Cloud Run reaches Cloud SQL's private IP."""

    name: str | None = None
    """Defaults to ``<name_prefix>-conn``; at most 25 characters."""
    cidr: Cidr28
    machine_type: Literal["f1-micro", "e2-micro", "e2-standard-4"] = "e2-micro"
    min_instances: int = Field(default=2, ge=2, le=9)
    max_instances: int = Field(default=3, ge=3, le=10)
    """Instance counts only grow in place; lowering either replaces the connector."""
    deletion_policy: DeletionPolicy = "delete"

    @model_validator(mode="after")
    def _min_below_max(self) -> VpcConnectorSpec:
        problems = ViolationCollector()
        if self.min_instances >= self.max_instances:
            problems.add(
                ("min_instances",),
                f"min_instances ({self.min_instances}) must be less than max_instances"
                f" ({self.max_instances})",
            )
        problems.raise_if_any()
        return self


class FirewallAllowSpec(StrictModel):
    protocol: Literal["tcp", "udp", "icmp", "all"]
    ports: list[str] = Field(default_factory=list)
    """Single ports or ranges as strings: ``"443"``, ``"8000-8100"``; tcp/udp only."""

    @model_validator(mode="after")
    def _ports(self) -> FirewallAllowSpec:
        problems = ViolationCollector()
        if self.ports and self.protocol not in ("tcp", "udp"):
            problems.add(("ports",), f"ports are only valid for tcp and udp, not {self.protocol}")
        for index, port in enumerate(self.ports):
            bounds = port.split("-")
            if len(bounds) > 2 or not all(_PORT.fullmatch(b) and 0 < int(b) < 65536 for b in bounds):
                problems.add(
                    ("ports", index),
                    f"port {port!r} is invalid; use a number 1-65535 or a range like '8000-8100'",
                )
        problems.raise_if_any()
        return self


class FirewallRuleSpec(StrictModel):
    direction: Literal["INGRESS", "EGRESS"] = "INGRESS"
    action: Literal["allow", "deny"] = "allow"
    priority: int = Field(default=1000, ge=0, le=65535)
    rules: list[FirewallAllowSpec] = Field(min_length=1)
    source_ranges: list[Cidr] = Field(default_factory=list)
    destination_ranges: list[Cidr] = Field(default_factory=list)
    target_tags: list[str] = Field(default_factory=list)
    description: str = ""
    logging: bool = False

    @model_validator(mode="after")
    def _ranges_match_direction(self) -> FirewallRuleSpec:
        problems = ViolationCollector()
        if self.direction == "INGRESS" and self.destination_ranges:
            problems.add(("destination_ranges",), "destination_ranges is only valid for EGRESS rules")
        if self.direction == "EGRESS" and self.source_ranges:
            problems.add(("source_ranges",), "source_ranges is only valid for INGRESS rules")
        problems.raise_if_any()
        return self


class NetworkSpec(StrictModel):
    vpc_name: ResourceName | None = None
    """Defaults to ``<name_prefix>-vpc``."""
    routing_mode: Literal["REGIONAL", "GLOBAL"] = "REGIONAL"
    mtu: int = Field(default=1460, ge=1300, le=8896)
    subnet: SubnetSpec
    router: RouterSpec = Field(default_factory=RouterSpec)
    private_service_access: PrivateServiceAccessSpec
    vpc_connector: VpcConnectorSpec
    firewall_rules: dict[ResourceName, FirewallRuleSpec] = Field(default_factory=dict)
    """Keyed by short name (the rule is called ``<name_prefix>-<key>``), so an environment can
    override one rule of the base."""
    deletion_policy: DeletionPolicy = "delete"
