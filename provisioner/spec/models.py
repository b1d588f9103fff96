"""The desired state of one environment, as loaded from ``specs/<env>.yaml``.

Section models live in their own modules and are re-exported here, so callers
need a single import: ``from provisioner.spec.models import EnvSpec, ...``.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import Field, model_validator

from .base import DeletionPolicy, Labels, StrictModel, each_matches, listed_once, matches
from .budget import BudgetSpec
from .cloudrun import RunServiceSpec, RunSpec, SecretEnvRef
from .crosschecks import check_environment
from .drift_job import DriftJobSpec
from .gke import AcceleratorSpec, AutoscalingSpec, GkeSpec, NodePoolSpec, TaintSpec
from .ignore import IgnoreRuleSpec
from .kms import KmsKeySpec, KmsSpec
from .loadbalancer import ArmorSpec, CdnSpec, LbRouteSpec, LbRoutesSpec, LoadBalancerSpec, RateLimitSpec
from .monitoring import AlertThresholdsSpec, CustomMetricSpec, EmailChannelSpec, MonitoringSpec
from .names import ResolvedNames
from .network import (
    FirewallAllowSpec,
    FirewallRuleSpec,
    NatSpec,
    NetworkSpec,
    PrivateServiceAccessSpec,
    RouterSpec,
    SecondaryRangeSpec,
    SubnetSpec,
    VpcConnectorSpec,
)
from .secrets import SecretsSpec
from .sql import (
    MaintenanceWindowSpec,
    QueryInsightsSpec,
    SqlBackupSpec,
    SqlDatabaseSpec,
    SqlDiskSpec,
    SqlSpec,
    SqlUserSpec,
)
from .storage import BucketSpec, LifecycleRule, StorageSpec

ENV_NAME = re.compile(r"^[a-z][a-z0-9-]{1,14}$")
#: A project id may not contain ``google``
#: (https://cloud.google.com/resource-manager/docs/creating-managing-projects).
_PROJECT_ID = re.compile(r"^(?!.*google)[a-z][a-z0-9-]{4,28}[a-z0-9]$")
_REGION = re.compile(r"^[a-z]+-[a-z]+\d+$", re.ASCII)
_API = re.compile(r"^[a-z][a-z0-9-]*(\.[a-z][a-z0-9-]*)*\.googleapis\.com$")

EnvName = Annotated[
    str,
    matches(
        ENV_NAME,
        "env {value!r} is invalid; use 2-15 characters of lowercase letters, digits and '-',"
        " starting with a letter (e.g. dev, staging, prod)",
    ),
]
ProjectId = Annotated[
    str,
    matches(
        _PROJECT_ID,
        "project id {value!r} is invalid; use 6-30 characters of lowercase letters, digits"
        " and '-', starting with a letter and not ending with '-'",
    ),
]
Region = Annotated[
    str, matches(_REGION, "region {value!r} is invalid; use a region name such as 'us-central1'")
]


class EnvSpec(ResolvedNames, StrictModel):
    env: EnvName
    """Short environment name (dev, staging, prod, ...); ``prod`` turns on the production rules."""
    project: ProjectId
    region: Region
    labels: Labels = Field(default_factory=dict)
    """Put on every resource that takes labels, next to the ownership labels."""
    apis: Annotated[
        list[str],
        each_matches(_API, "api {value!r} is invalid; use a service name such as 'sqladmin.googleapis.com'"),
        listed_once("api"),
    ] = Field(default_factory=list)
    """Services enabled on the project before anything else is created."""
    apis_deletion_policy: DeletionPolicy = "abandon"
    """Disabling an API can break resources it serves, so dropped APIs stay enabled by default."""
    network: NetworkSpec
    kms: KmsSpec
    secrets: SecretsSpec = Field(default_factory=SecretsSpec)
    storage: StorageSpec
    sql: SqlSpec
    gke: GkeSpec
    run: RunSpec
    lb: LoadBalancerSpec
    monitoring: MonitoringSpec = Field(default_factory=MonitoringSpec)
    drift_job: DriftJobSpec
    budget: BudgetSpec | None = None
    """The monthly list-price budget of the environment's baseline; None: no budget to hold to."""
    ignore: list[IgnoreRuleSpec] = Field(default_factory=list)
    """Fields of existing resources left to someone else; an environment's rules add to the base's."""

    @model_validator(mode="after")
    def _cross_section_rules(self) -> EnvSpec:
        check_environment(self).raise_if_any()
        return self


__all__ = [
    "AcceleratorSpec",
    "AlertThresholdsSpec",
    "ArmorSpec",
    "AutoscalingSpec",
    "BucketSpec",
    "BudgetSpec",
    "CdnSpec",
    "CustomMetricSpec",
    "DeletionPolicy",
    "DriftJobSpec",
    "EmailChannelSpec",
    "EnvSpec",
    "FirewallAllowSpec",
    "FirewallRuleSpec",
    "GkeSpec",
    "IgnoreRuleSpec",
    "KmsKeySpec",
    "KmsSpec",
    "LbRouteSpec",
    "LbRoutesSpec",
    "LifecycleRule",
    "LoadBalancerSpec",
    "MaintenanceWindowSpec",
    "MonitoringSpec",
    "NatSpec",
    "NetworkSpec",
    "NodePoolSpec",
    "PrivateServiceAccessSpec",
    "QueryInsightsSpec",
    "RateLimitSpec",
    "RouterSpec",
    "RunServiceSpec",
    "RunSpec",
    "SecondaryRangeSpec",
    "SecretEnvRef",
    "SecretsSpec",
    "SqlBackupSpec",
    "SqlDatabaseSpec",
    "SqlDiskSpec",
    "SqlSpec",
    "SqlUserSpec",
    "StorageSpec",
    "SubnetSpec",
    "TaintSpec",
    "VpcConnectorSpec",
]
