"""Cloud KMS: one key ring per environment, a key per kind of data."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, field_validator

from .base import DeletionPolicy, Labels, StrictModel, requires_keys, valid_when

REQUIRED_KEYS = ("database", "storage", "secrets")

RotationDays = Annotated[
    int,
    valid_when(
        lambda days: days >= 1,
        "rotation period of {value} day(s) is too short: Cloud KMS rotates at most once a day,"
        " so use 1 or more (90 is the usual choice)",
    ),
]


class KmsKeySpec(StrictModel):
    purpose: Literal["ENCRYPT_DECRYPT"] = "ENCRYPT_DECRYPT"
    rotation_period_days: RotationDays = 90
    """Cloud KMS refuses automatic rotation more often than once a day."""
    protection_level: Literal["SOFTWARE", "HSM"] = "SOFTWARE"
    """Fixed at creation: changing it means a new key."""
    algorithm: str = "GOOGLE_SYMMETRIC_ENCRYPTION"
    labels: Labels = Field(default_factory=dict)

    @property
    def rotation_period(self) -> str:
        """The API's duration form, e.g. ``7776000s``."""
        return f"{self.rotation_period_days * 86400}s"


class KmsSpec(StrictModel):
    location: str | None = None
    """Defaults to the environment's region; CMEK keys must share the location of what they protect."""
    key_ring: str | None = None
    """Defaults to ``<name_prefix>-keyring``. Key rings are never deleted: a rename leaves the old one."""
    keys: Annotated[
        dict[str, KmsKeySpec],
        requires_keys(
            REQUIRED_KEYS,
            "missing key(s) {missing}: the keys {required} are required"
            " (one each for Cloud SQL, Cloud Storage and Secret Manager)",
        ),
    ]
    deletion_policy: DeletionPolicy = "abandon"
    """Keys are never deleted outright: ``delete`` destroys their versions, making the data unreadable."""

    @field_validator("keys")
    @classmethod
    def _key_names(cls, keys: dict[str, KmsKeySpec]) -> dict[str, KmsKeySpec]:
        for name in keys:
            valid_chars = name.isascii() and all(c.isalnum() or c in "-_" for c in name)
            if not name or len(name) > 63 or not valid_chars:
                raise ValueError(
                    f"key name {name!r} is invalid: 1-63 characters of letters, digits, '-' and '_'"
                )
        return keys
