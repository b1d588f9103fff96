"""Secret Manager: where generated credentials live, encrypted with the environment's own key."""

from __future__ import annotations

from pydantic import Field

from .base import DeletionPolicy, StrictModel


class SecretsSpec(StrictModel):
    kms_key: str | None = "secrets"
    """Name of a key in ``kms.keys``; None uses Google-managed encryption."""
    replica_locations: list[str] = Field(default_factory=list)
    """Empty means the environment's region, the location of the CMEK key."""
    deletion_policy: DeletionPolicy = "abandon"
    """Abandon by default: deleting a secret deletes the only copy of a generated password."""
