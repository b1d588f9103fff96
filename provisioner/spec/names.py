"""Resolved resource names.

Names are deterministic (``digitwin-<env>-...``) because ownership follows from
them where an API has no labels; every default lives here so reconcilers never
invent names of their own.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

from . import ownership

if TYPE_CHECKING:
    from .models import EnvSpec


class ResolvedNames:
    """Mixed into :class:`EnvSpec`; each property resolves one spec default."""

    @property
    def name_prefix(self: EnvSpec) -> str:
        return f"digitwin-{self.env}"

    @property
    def is_prod(self: EnvSpec) -> bool:
        return self.env == "prod"

    @property
    def ownership_labels(self: EnvSpec) -> dict[str, str]:
        """The labels that mark a resource as ours; observe() filters on them."""
        return ownership.ownership_labels(self.env)

    def resource_labels(self: EnvSpec, extra: dict[str, str] | None = None) -> dict[str, str]:
        """Environment labels, then the resource's own, then ownership (which always wins)."""
        return {**self.labels, **(extra or {}), **self.ownership_labels}

    # --- KMS and storage -------------------------------------------------------------

    @property
    def kms_location(self: EnvSpec) -> str:
        return self.kms.location or self.region

    @property
    def key_ring_name(self: EnvSpec) -> str:
        return self.kms.key_ring or f"{self.name_prefix}-keyring"

    def kms_key_id(self: EnvSpec, key: str) -> str:
        """Full resource name of a key in ``kms.keys``."""
        if key not in self.kms.keys:
            raise KeyError(f"no key {key!r} in kms.keys (keys: {', '.join(self.kms.keys)})")
        return (
            f"projects/{self.project}/locations/{self.kms_location}"
            f"/keyRings/{self.key_ring_name}/cryptoKeys/{key}"
        )

    @property
    def storage_location(self: EnvSpec) -> str:
        return self.storage.location or self.region

    def bucket_name(self: EnvSpec, key: str) -> str:
        """Name of ``storage.buckets[key]``; ``state`` names the provisioner's state bucket."""
        if key == "state":
            return self.storage.state_bucket.name or f"{self.project}-provisioner-state"
        if key not in self.storage.buckets:
            raise KeyError(
                f"no bucket {key!r} in storage.buckets (buckets: {', '.join(self.storage.buckets)})"
            )
        return self.storage.buckets[key].name or f"{self.project}-{key}"

    # --- network ---------------------------------------------------------------------

    @property
    def vpc_name(self: EnvSpec) -> str:
        return self.network.vpc_name or f"{self.name_prefix}-vpc"

    @property
    def subnet_name(self: EnvSpec) -> str:
        return self.network.subnet.name or f"{self.name_prefix}-subnet"

    @property
    def pods_range_name(self: EnvSpec) -> str:
        return self.network.subnet.pods.name or f"{self.name_prefix}-pods"

    @property
    def services_range_name(self: EnvSpec) -> str:
        return self.network.subnet.services.name or f"{self.name_prefix}-services"

    @property
    def router_name(self: EnvSpec) -> str:
        return self.network.router.name or f"{self.name_prefix}-router"

    @property
    def nat_name(self: EnvSpec) -> str:
        return self.network.router.nat.name or f"{self.name_prefix}-nat"

    @property
    def psa_range_name(self: EnvSpec) -> str:
        return self.network.private_service_access.name or f"{self.name_prefix}-psa"

    @property
    def connector_name(self: EnvSpec) -> str:
        return self.network.vpc_connector.name or f"{self.name_prefix}-conn"

    def firewall_rule_name(self: EnvSpec, key: str) -> str:
        return f"{self.name_prefix}-{key}"

    # --- workloads -------------------------------------------------------------------

    @property
    def sql_instance_name(self: EnvSpec) -> str:
        return self.sql.instance_name or f"{self.name_prefix}-pg"

    @property
    def gke_cluster_name(self: EnvSpec) -> str:
        return self.gke.cluster_name or f"{self.name_prefix}-gke"

    @property
    def gke_location(self: EnvSpec) -> str:
        return self.gke.location or self.region

    def run_service_name(self: EnvSpec, key: str) -> str:
        return f"{self.name_prefix}-{key}"

    @property
    def drift_job_name(self: EnvSpec) -> str:
        return f"{self.name_prefix}-drift"

    # --- load balancer ---------------------------------------------------------------

    @property
    def static_ip_name(self: EnvSpec) -> str:
        return self.lb.static_ip_name or f"{self.name_prefix}-lb-ip"

    @property
    def certificate_name(self: EnvSpec) -> str:
        return self.lb.certificate_name or f"{self.name_prefix}-cert"

    @property
    def armor_policy_name(self: EnvSpec) -> str:
        return self.lb.armor.policy_name or f"{self.name_prefix}-armor"

    @property
    def managed_certificate_name(self: EnvSpec) -> str:
        """The certificate's API name: a managed certificate cannot change, so new domains
        get a new name (a digest of them) and the old one is swapped out, not edited."""
        digest = hashlib.sha256(",".join(sorted(self.lb.domains)).encode()).hexdigest()[:8]
        return f"{self.certificate_name[:54]}-{digest}"

    def neg_name(self: EnvSpec, service_key: str) -> str:
        """The serverless network endpoint group in front of one Cloud Run service."""
        return f"{self.name_prefix}-{service_key}-neg"

    def backend_service_name(self: EnvSpec, route: str) -> str:
        """One backend service per route (websocket, api, static), each with its own settings."""
        return f"{self.name_prefix}-{route}-backend"

    @property
    def url_map_name(self: EnvSpec) -> str:
        return f"{self.name_prefix}-lb"

    @property
    def redirect_url_map_name(self: EnvSpec) -> str:
        return f"{self.name_prefix}-lb-redirect"

    @property
    def https_proxy_name(self: EnvSpec) -> str:
        return f"{self.name_prefix}-lb-https"

    @property
    def http_proxy_name(self: EnvSpec) -> str:
        return f"{self.name_prefix}-lb-http"

    @property
    def https_forwarding_rule_name(self: EnvSpec) -> str:
        return f"{self.name_prefix}-lb-https"

    @property
    def http_forwarding_rule_name(self: EnvSpec) -> str:
        return f"{self.name_prefix}-lb-http"
