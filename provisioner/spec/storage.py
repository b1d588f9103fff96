"""Cloud Storage: the application buckets and the provisioner's own state bucket."""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from .base import DeletionPolicy, Labels, NonNegativeInt, StrictModel, requires_keys
from .rules import ViolationCollector

REQUIRED_BUCKETS = ("voice-models", "face-models", "documents", "conversation-history")
STORAGE_CLASSES = ("STANDARD", "NEARLINE", "COLDLINE", "ARCHIVE")
StorageClass = Literal["STANDARD", "NEARLINE", "COLDLINE", "ARCHIVE"]

_BUCKET_CHARS = re.compile(r"^[a-z0-9][a-z0-9._-]*[a-z0-9]$")


def bucket_name_problem(name: str) -> str | None:
    """Why ``name`` is not a valid bucket name, or None when it is."""
    rules = (
        "bucket names are 3-63 characters (up to 222 with dots, 63 per dot-separated part) of"
        " lowercase letters, digits, '-', '_' and '.', start and end with a letter or digit,"
        " do not start with 'goog' and do not contain 'google'"
    )
    limit = 222 if "." in name else 63
    if not 3 <= len(name) <= limit:
        return f"bucket name {name!r} has {len(name)} characters; {rules}"
    if not _BUCKET_CHARS.fullmatch(name):
        return f"bucket name {name!r} is invalid; {rules}"
    if any(len(part) > 63 or not part for part in name.split(".")):
        return f"bucket name {name!r} has an empty or over-long dot-separated part; {rules}"
    if name.startswith("goog") or "google" in name or "g00gle" in name:
        return f"bucket name {name!r} is reserved; {rules}"
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return None
    return f"bucket name {name!r} looks like an IP address, which is not allowed; {rules}"


class LifecycleRule(StrictModel):
    action: Literal["Delete", "SetStorageClass", "AbortIncompleteMultipartUpload"]
    storage_class: StorageClass | None = None
    """Required for, and only valid with, ``SetStorageClass``."""
    age_days: NonNegativeInt | None = None
    num_newer_versions: NonNegativeInt | None = None
    is_live: bool | None = None
    days_since_noncurrent_time: NonNegativeInt | None = None
    matches_prefix: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _consistent(self) -> LifecycleRule:
        problems = ViolationCollector()
        conditions = (
            self.age_days,
            self.num_newer_versions,
            self.is_live,
            self.days_since_noncurrent_time,
        )
        if all(c is None for c in conditions) and not self.matches_prefix:
            problems.add(
                (),
                f"lifecycle rule '{self.action}' has no condition and would apply to every object;"
                " set at least one of age_days, num_newer_versions, is_live,"
                " days_since_noncurrent_time, matches_prefix",
            )
        if self.action == "SetStorageClass" and self.storage_class is None:
            problems.add(
                ("storage_class",),
                f"action SetStorageClass needs storage_class (one of {', '.join(STORAGE_CLASSES)})",
            )
        if self.action != "SetStorageClass" and self.storage_class is not None:
            problems.add(
                ("storage_class",),
                f"storage_class is only valid with action SetStorageClass, not {self.action}",
            )
        problems.raise_if_any()
        return self


class BucketSpec(StrictModel):
    name: str | None = None
    """Defaults to ``<project>-<key>`` (``<project>-provisioner-state`` for the state bucket)."""
    storage_class: StorageClass = "STANDARD"
    versioning: bool = True
    uniform_access: bool = True
    public_access_prevention: Literal["enforced", "inherited"] = "enforced"
    cmek: bool = True
    """Encrypt new objects with ``storage.kms_key``."""
    retention_days: int | None = Field(default=None, ge=1)
    """Objects cannot be deleted or replaced before this age (retention policy, unlocked)."""
    soft_delete_days: int | None = None
    """0 switches soft delete off; otherwise 7-90. Unset keeps the Google default (7)."""
    lifecycle: list[LifecycleRule] = Field(default_factory=list)
    labels: Labels = Field(default_factory=dict)
    deletion_policy: DeletionPolicy = "delete"

    @field_validator("soft_delete_days")
    @classmethod
    def _soft_delete_range(cls, value: int | None) -> int | None:
        if value is not None and value != 0 and not 7 <= value <= 90:
            raise ValueError(f"soft_delete_days is {value}; use 0 (off) or a value from 7 to 90")
        return value

    @field_validator("name")
    @classmethod
    def _valid_name(cls, value: str | None) -> str | None:
        if value is not None and (problem := bucket_name_problem(value)):
            raise ValueError(problem)
        return value


class StorageSpec(StrictModel):
    location: str | None = None
    """Defaults to the environment's region, which keeps the CMEK key and buckets together."""
    kms_key: str | None = "storage"
    """Name of a key in ``kms.keys`` used as default CMEK by buckets with ``cmek: true``."""
    buckets: Annotated[
        dict[str, BucketSpec],
        requires_keys(REQUIRED_BUCKETS, "missing bucket(s) {missing}; the application needs {required}"),
    ]
    state_bucket: BucketSpec = Field(default_factory=BucketSpec)
