"""Cloud SQL for PostgreSQL: the instance, the application database and its user."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import Field

from .base import DeletionPolicy, Labels, ResourceName, SecretId, StrictModel, matches

_TIER = re.compile(
    r"^db-(custom-\d+-\d+|f1-micro|g1-small|perf-optimized-N-\d+|[a-z0-9]+-[a-z0-9-]+)$", re.ASCII
)
_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$", re.ASCII)
_PG_IDENT = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
_POSTGRES_VERSION = re.compile(r"POSTGRES_(1[2-9]|[2-9]\d)", re.ASCII)
_PG_IDENT_RULE = (
    "is invalid; use lowercase letters, digits and '_', starting with a letter or '_' (at most 63 characters)"
)

BackupStartTime = Annotated[
    str, matches(_HHMM, "start_time {value!r} is invalid; use 24-hour 'HH:MM' in UTC, e.g. '03:00'")
]
PgDatabaseName = Annotated[str, matches(_PG_IDENT, "database name {value!r} " + _PG_IDENT_RULE)]
PgUserName = Annotated[str, matches(_PG_IDENT, "user name {value!r} " + _PG_IDENT_RULE)]
PostgresVersion = Annotated[
    str,
    matches(
        _POSTGRES_VERSION,
        "database_version {value!r} is not supported; use POSTGRES_<major>, e.g. POSTGRES_15",
    ),
]
SqlTier = Annotated[
    str,
    matches(
        _TIER,
        "tier {value!r} is invalid; use e.g. 'db-custom-<vCPUs>-<memory MB>' such as"
        " 'db-custom-2-7680', or 'db-g1-small'",
    ),
]


class SqlDiskSpec(StrictModel):
    type: Literal["PD_SSD", "PD_HDD"] = "PD_SSD"
    size_gb: int = Field(default=20, ge=10, le=65536)
    """With autoresize on, the live size may grow past this; the diff ignores a larger live size."""
    autoresize: bool = True
    autoresize_limit_gb: int = Field(default=0, ge=0)
    """0 means no limit."""


class SqlBackupSpec(StrictModel):
    enabled: bool = True
    start_time: BackupStartTime = "03:00"
    """UTC, ``HH:MM``; backups start within four hours of it."""
    retention_days: int = Field(default=30, ge=1, le=365)
    """Backups run daily, so this is also the number of backups kept."""
    point_in_time_recovery: bool = False
    transaction_log_retention_days: int = Field(default=7, ge=1, le=7)
    location: str | None = None
    """Multi-region or region for backup storage; None lets Google pick the nearest multi-region."""


class QueryInsightsSpec(StrictModel):
    """Cloud SQL Query Insights: which queries load the instance, with their plans. Free for the
    Enterprise edition (https://cloud.google.com/sql/docs/postgres/using-query-insights); the
    CPU alert's runbook sends on-call to it."""

    enabled: bool = True
    query_string_length: int = Field(default=1024, ge=256, le=4500)
    """Characters of each query kept; longer queries are cut."""
    record_application_tags: bool = False
    """Keep the tags applications add to queries (sqlcommenter)."""
    record_client_address: bool = False
    """Keep the client IP of each query; inside the VPC that is a connector or node address."""


class MaintenanceWindowSpec(StrictModel):
    day: Literal["MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN"] = "SUN"
    hour: int = Field(default=4, ge=0, le=23)
    """UTC."""
    update_track: Literal["stable", "canary", "week5"] = "stable"

    @property
    def day_number(self) -> int:
        """The API's form: 1 is Monday."""
        return ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN").index(self.day) + 1


class SqlDatabaseSpec(StrictModel):
    name: PgDatabaseName
    charset: Literal["UTF8"] = "UTF8"
    collation: str = "en_US.UTF8"
    """PostgreSQL takes charset and collation at creation only."""
    deletion_policy: DeletionPolicy = "abandon"
    """PostgreSQL refuses to drop a database other users can still reach; abandon is the safe default."""


class SqlUserSpec(StrictModel):
    name: PgUserName
    password_secret: SecretId
    """Secret Manager secret id holding the generated password; the password never appears in a spec."""
    deletion_policy: DeletionPolicy = "abandon"


class SqlSpec(StrictModel):
    instance_name: ResourceName | None = None
    """Defaults to ``<name_prefix>-pg``. A deleted name stays taken for about a week."""
    database_version: PostgresVersion = "POSTGRES_15"
    tier: SqlTier
    edition: Literal["ENTERPRISE", "ENTERPRISE_PLUS"] = "ENTERPRISE"
    """Set explicitly: PostgreSQL 16+ defaults to ENTERPRISE_PLUS, which rejects custom tiers."""
    availability: Literal["ZONAL", "REGIONAL"] = "ZONAL"
    allow_high_availability_outside_prod: bool = False
    """REGIONAL doubles the instance cost, so outside prod it must be asked for."""
    disk: SqlDiskSpec = Field(default_factory=SqlDiskSpec)
    private_ip_only: bool = True
    """No public IPv4 address; clients come in through private service access."""
    ssl_mode: Literal[
        "ENCRYPTED_ONLY", "TRUSTED_CLIENT_CERTIFICATE_REQUIRED", "ALLOW_UNENCRYPTED_AND_ENCRYPTED"
    ] = "ENCRYPTED_ONLY"
    backups: SqlBackupSpec = Field(default_factory=SqlBackupSpec)
    kms_key: str = "database"
    """Name of a key in ``kms.keys``; CMEK is set at creation only, a change replaces the instance."""
    deletion_protection: bool = True
    allow_deletion_protection_off_in_prod: bool = False
    database_flags: dict[str, str] = Field(default_factory=dict)
    """Values are strings, as the API takes them; applied at restart."""
    maintenance_window: MaintenanceWindowSpec = Field(default_factory=MaintenanceWindowSpec)
    query_insights: QueryInsightsSpec = Field(default_factory=QueryInsightsSpec)
    database: SqlDatabaseSpec
    user: SqlUserSpec
    labels: Labels = Field(default_factory=dict)
    deletion_policy: DeletionPolicy = "abandon"
