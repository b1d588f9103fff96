"""Resolved resource names.

Names are deterministic (``digitwin-<env>-...``) because ownership follows from
them where an API has no labels; every default lives here so reconcilers never
invent names of their own.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Self, overload

from . import ownership

if TYPE_CHECKING:
    from .gke import GkeSpec
    from .kms import KmsSpec
    from .loadbalancer import LoadBalancerSpec
    from .network import NetworkSpec
    from .sql import SqlSpec
    from .storage import StorageSpec


def _no_name(spec: ResolvedNames) -> str | None:
    return None


class PrefixedName:
    """A resource name the spec may set (``chosen``), else ``<name_prefix>-<suffix>``.

    Nearly every resource is named this way: an optional name in its section of the spec and a
    default made from the environment's prefix. Declared as one line each, the naming scheme of
    the whole environment reads as a table. Without ``chosen`` the name is always the default.
    """

    def __init__(self, suffix: str, chosen: Callable[[ResolvedNames], str | None] = _no_name) -> None:
        self.suffix = suffix
        self.chosen = chosen

    @overload
    def __get__(self, spec: None, owner: type[Any]) -> Self: ...

    @overload
    def __get__(self, spec: ResolvedNames, owner: type[Any]) -> str: ...

    def __get__(self, spec: ResolvedNames | None, owner: type[Any]) -> Self | str:
        if spec is None:
            return self
        return self.chosen(spec) or f"{spec.name_prefix}-{self.suffix}"


class ResolvedNames:
    """Mixed into :class:`EnvSpec`; each property resolves one spec default."""

    if TYPE_CHECKING:  # the fields of EnvSpec these names are made from
        env: str
        project: str
        region: str
        labels: dict[str, str]
        kms: KmsSpec
        storage: StorageSpec
        network: NetworkSpec
        sql: SqlSpec
        gke: GkeSpec
        lb: LoadBalancerSpec

    @property
    def name_prefix(self) -> str:
        return f"digitwin-{self.env}"

    @property
    def is_prod(self) -> bool:
        return self.env == "prod"

    @property
    def ownership_labels(self) -> dict[str, str]:
        """The labels that mark a resource as ours; observe() filters on them."""
        return ownership.ownership_labels(self.env)

    def resource_labels(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        """Environment labels, then the resource's own, then ownership (which always wins)."""
        return {**self.labels, **(extra or {}), **self.ownership_labels}

    # --- KMS and storage -------------------------------------------------------------

    @property
    def kms_location(self) -> str:
        return self.kms.location or self.region

    key_ring_name = PrefixedName("keyring", lambda spec: spec.kms.key_ring)

    def kms_key_id(self, key: str) -> str:
        """Full resource name of a key in ``kms.keys``."""
        if key not in self.kms.keys:
            raise KeyError(f"no key {key!r} in kms.keys (keys: {', '.join(self.kms.keys)})")
        return (
            f"projects/{self.project}/locations/{self.kms_location}"
            f"/keyRings/{self.key_ring_name}/cryptoKeys/{key}"
        )

    @property
    def storage_location(self) -> str:
        return self.storage.location or self.region

    def bucket_name(self, key: str) -> str:
        """Name of ``storage.buckets[key]``; ``state`` names the provisioner's state bucket."""
        if key == "state":
            return self.storage.state_bucket.name or f"{self.project}-provisioner-state"
        if key not in self.storage.buckets:
            raise KeyError(
                f"no bucket {key!r} in storage.buckets (buckets: {', '.join(self.storage.buckets)})"
            )
        return self.storage.buckets[key].name or f"{self.project}-{key}"

    # --- network ---------------------------------------------------------------------

    vpc_name = PrefixedName("vpc", lambda spec: spec.network.vpc_name)
    subnet_name = PrefixedName("subnet", lambda spec: spec.network.subnet.name)
    pods_range_name = PrefixedName("pods", lambda spec: spec.network.subnet.pods.name)
    services_range_name = PrefixedName("services", lambda spec: spec.network.subnet.services.name)
    router_name = PrefixedName("router", lambda spec: spec.network.router.name)
    nat_name = PrefixedName("nat", lambda spec: spec.network.router.nat.name)
    psa_range_name = PrefixedName("psa", lambda spec: spec.network.private_service_access.name)
    connector_name = PrefixedName("conn", lambda spec: spec.network.vpc_connector.name)

    def firewall_rule_name(self, key: str) -> str:
        return f"{self.name_prefix}-{key}"

    # --- workloads -------------------------------------------------------------------

    sql_instance_name = PrefixedName("pg", lambda spec: spec.sql.instance_name)
    gke_cluster_name = PrefixedName("gke", lambda spec: spec.gke.cluster_name)

    @property
    def gke_location(self) -> str:
        return self.gke.location or self.region

    def run_service_name(self, key: str) -> str:
        return f"{self.name_prefix}-{key}"

    drift_job_name = PrefixedName("drift")

    # --- load balancer ---------------------------------------------------------------

    static_ip_name = PrefixedName("lb-ip", lambda spec: spec.lb.static_ip_name)
    certificate_name = PrefixedName("cert", lambda spec: spec.lb.certificate_name)
    armor_policy_name = PrefixedName("armor", lambda spec: spec.lb.armor.policy_name)

    @property
    def managed_certificate_name(self) -> str:
        """The certificate's API name: a managed certificate cannot change, so new domains
        get a new name (a digest of them) and the old one is swapped out, not edited."""
        digest = hashlib.sha256(",".join(sorted(self.lb.domains)).encode()).hexdigest()[:8]
        return f"{self.certificate_name[:54]}-{digest}"

    def neg_name(self, service_key: str) -> str:
        """The serverless network endpoint group in front of one Cloud Run service."""
        return f"{self.name_prefix}-{service_key}-neg"

    def backend_service_name(self, route: str) -> str:
        """One backend service per route (websocket, api, static), each with its own settings."""
        return f"{self.name_prefix}-{route}-backend"

    url_map_name = PrefixedName("lb")
    redirect_url_map_name = PrefixedName("lb-redirect")
    https_proxy_name = PrefixedName("lb-https")
    http_proxy_name = PrefixedName("lb-http")
    https_forwarding_rule_name = PrefixedName("lb-https")
    http_forwarding_rule_name = PrefixedName("lb-http")
