"""Cloud Run services: the websocket server and the API gateway."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import Field, model_validator

from .base import (
    DeletionPolicy,
    Labels,
    Role,
    SecretId,
    ServiceAccountId,
    StrictModel,
    matches,
    requires_keys,
    valid_when,
)
from .rules import ViolationCollector

REQUIRED_SERVICES = ("websocket-server", "api-gateway")

_CPU = re.compile(r"^(\d+(\.\d+)?|\d+m)$", re.ASCII)
_MEMORY = re.compile(r"^\d+(Mi|Gi)$", re.ASCII)
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")

CpuAmount = Annotated[
    str, matches(_CPU, "cpu {value!r} is invalid; use a count such as '1', '2', '4' or millicpu '500m'")
]
MemoryAmount = Annotated[str, matches(_MEMORY, "memory {value!r} is invalid; use e.g. '512Mi' or '2Gi'")]
SecretVersion = Annotated[
    str,
    valid_when(
        lambda value: value == "latest" or (value.isascii() and value.isdigit()),
        "secret version {value!r} is invalid; use 'latest' or a version number",
    ),
]


class SecretEnvRef(StrictModel):
    """A Secret Manager reference; the value is resolved by Cloud Run at start-up, never by us."""

    secret: SecretId
    version: SecretVersion = "latest"


class RunServiceSpec(StrictModel):
    image: str
    min_instances: int = Field(default=0, ge=0, le=1000)
    max_instances: int = Field(default=100, ge=1, le=1000)
    concurrency: int = Field(default=80, ge=1, le=1000)
    """Requests (or open websockets) per instance."""
    cpu: CpuAmount = "1"
    memory: MemoryAmount = "512Mi"
    cpu_always_allocated: bool = False
    """False: CPU only while serving requests (an open websocket is a request), idle minimum
    instances billed at the idle rate. True: CPU for the instance's whole life, for work done
    between requests, billed at the instance-based rate. Sent as the API's `cpuIdle`, always:
    once a container sets resources, the API's own default is CPU always allocated."""
    timeout_seconds: int = Field(default=300, ge=1, le=3600)
    """Also the longest a websocket stays open."""
    session_affinity: bool = False
    ingress: Literal["all", "internal", "internal-and-cloud-load-balancing"] = (
        "internal-and-cloud-load-balancing"
    )
    public: bool = False
    """Anyone may invoke it (``roles/run.invoker`` for ``allUsers``). Cloud Run services are
    private by default, and the load balancer forwards browser requests without identity
    tokens: a service behind it must be public, with ingress
    ``internal-and-cloud-load-balancing`` so the load balancer and Cloud Armor stay the only
    way in from the internet."""
    vpc_egress: Literal["private-ranges-only", "all-traffic"] | None = "private-ranges-only"
    """Through the VPC connector; None means no VPC access at all."""
    port: int = Field(default=8080, ge=1, le=65535)
    env: dict[str, str] = Field(default_factory=dict)
    """Plain settings only; anything secret goes in ``secret_env``."""
    secret_env: dict[str, SecretEnvRef] = Field(default_factory=dict)
    service_account: ServiceAccountId
    """Account id in the environment's project, one per service."""
    roles: list[Role] = Field(default_factory=list)
    """Project roles granted to the service account."""
    labels: Labels = Field(default_factory=dict)
    deletion_policy: DeletionPolicy = "delete"

    @property
    def cpu_count(self) -> float:
        return int(self.cpu[:-1]) / 1000 if self.cpu.endswith("m") else float(self.cpu)

    @model_validator(mode="after")
    def _consistent(self) -> RunServiceSpec:
        problems = ViolationCollector()
        problems.check_not_greater(self, "min_instances", "max_instances")
        for name in [*self.env, *self.secret_env]:
            if not _ENV_NAME.fullmatch(name):
                where = "env" if name in self.env else "secret_env"
                problems.add(
                    (where, name),
                    f"environment variable name {name!r} is invalid; use letters, digits and '_'",
                )
        for name in sorted(self.env.keys() & self.secret_env.keys()):
            problems.add(("secret_env", name), f"{name} is set in both env and secret_env; keep one")
        if self.cpu_count < 1 and self.concurrency > 1:
            problems.add(
                ("concurrency",),
                f"concurrency {self.concurrency} needs at least 1 cpu; with cpu {self.cpu} only"
                " concurrency 1 is allowed",
            )
        if self.public and self.ingress == "all":
            problems.add(
                ("ingress",),
                "ingress 'all' with public: true lets anyone call the service's own run.app URL,"
                " around the load balancer and Cloud Armor; use ingress internal-and-cloud-load-balancing",
            )
        if self.cpu_count < 1 and self.cpu_always_allocated:
            problems.add(
                ("cpu_always_allocated",),
                f"cpu {self.cpu} (less than 1) is only available with CPU allocated during requests;"
                " set cpu_always_allocated: false or cpu: '1'",
            )
        problems.raise_if_any()
        return self


class RunSpec(StrictModel):
    services: Annotated[
        dict[str, RunServiceSpec],
        requires_keys(REQUIRED_SERVICES, "missing service(s) {missing}; the system needs {required}"),
    ]
    """Keyed by service name; the service is called ``<name_prefix>-<key>``."""
