"""What a reconciler may use while it runs: the spec, the clients, the retry policy."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from provisioner.clients import ClientFactory
from provisioner.resource import ENV_LABEL, MANAGED_BY_LABEL, MANAGED_BY_VALUE, ownership_labels
from provisioner.retry import RetryPolicy


@dataclass
class Context:
    spec: Any
    clients: ClientFactory
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    #: Operation polling runs this much faster (an emulator with scaled-down durations).
    poll_scale: float = 1.0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def env(self) -> str:
        return str(self.spec.env)

    @property
    def project(self) -> str:
        return str(self.spec.project)

    @property
    def protected(self) -> bool:
        """Production: destroying data there takes a second, explicit flag."""
        return bool(getattr(self.spec, "is_prod", False))

    def labels(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        """The labels every labelled resource carries: the spec's, then ownership."""
        merged = dict(self.spec.labels or {})
        merged.update(extra or {})
        merged.update(ownership_labels(self.env))
        return merged

    def is_ours(self, labels: dict[str, str] | None) -> bool:
        labels = labels or {}
        return labels.get(MANAGED_BY_LABEL) == MANAGED_BY_VALUE and labels.get(ENV_LABEL) == self.env

    @cached_property
    def project_number(self) -> str:
        """The project's number, which service-agent identities are named after."""
        crm = self.clients.discovery("cloudresourcemanager", "v3")
        project = self.retry.call(crm.projects().get(name=f"projects/{self.project}").execute)
        return str(project["name"]).split("/", 1)[1]
