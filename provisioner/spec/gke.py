"""GKE: the cluster that runs the GPU workloads (text-to-speech and lip-sync)."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, model_validator

from .base import Cidr, DeletionPolicy, Labels, ResourceName, ServiceAccountId, StrictModel
from .rules import ViolationCollector


class AcceleratorSpec(StrictModel):
    type: str
    """E.g. ``nvidia-tesla-t4``; the zones of the pool must offer it."""
    count: int = Field(default=1, ge=1, le=8)
    gpu_driver_version: Literal["DEFAULT", "LATEST", "INSTALLATION_DISABLED"] = "DEFAULT"


#: How many zones a pool of a regional cluster spans when it names none: GKE replicates each
#: node pool across three zones of the region by default
#: (https://cloud.google.com/kubernetes-engine/docs/concepts/regional-clusters).
DEFAULT_REGIONAL_ZONES = 3
_ZONE = re.compile(r"^[a-z]+-[a-z]+\d+-[a-z]$", re.ASCII)


def is_zone(location: str) -> bool:
    """``us-central1-a`` is a zone (a zonal cluster); ``us-central1`` a region."""
    return _ZONE.fullmatch(location) is not None


class AutoscalingSpec(StrictModel):
    """Node counts of the whole pool, summed over all its zones.

    GKE has two ways to say these limits: per zone (``minNodeCount``/``maxNodeCount``, what
    ``gcloud --min-nodes/--max-nodes`` set, multiplied by the number of zones) or for the whole
    pool (``totalMinNodeCount``/``totalMaxNodeCount``, GKE 1.24 and later,
    https://cloud.google.com/kubernetes-engine/docs/how-to/cluster-autoscaler). The spec means
    the whole pool and sends the total fields, so ``min_nodes: 1`` is one node, not one per
    zone, and the cost estimate's minimum is exactly these nodes.

    A new pool starts with the same number of nodes in every one of its zones
    (``initialNodeCount`` is per zone), so it starts at ``min_nodes`` only when ``min_nodes``
    divides evenly among its zones; `GkeSpec` refuses a minimum that does not.
    """

    min_nodes: int = Field(ge=0)
    """Fewest nodes of the pool in all its zones together; 0 lets an idle pool scale to nothing."""
    max_nodes: int = Field(ge=1)
    """Most nodes of the pool in all its zones together."""

    @model_validator(mode="after")
    def _min_not_above_max(self) -> AutoscalingSpec:
        problems = ViolationCollector()
        problems.check_not_greater(self, "min_nodes", "max_nodes")
        problems.raise_if_any()
        return self


class TaintSpec(StrictModel):
    key: str
    value: str = ""
    effect: Literal["NO_SCHEDULE", "PREFER_NO_SCHEDULE", "NO_EXECUTE"] = "NO_SCHEDULE"


class NodePoolSpec(StrictModel):
    machine_type: str
    accelerator: AcceleratorSpec | None = None
    """Fixed at creation: changing it replaces the pool."""
    autoscaling: AutoscalingSpec
    spot: bool = False
    """Fixed at creation: changing it replaces the pool."""
    disk_size_gb: int = Field(default=100, ge=10)
    disk_type: Literal["pd-standard", "pd-balanced", "pd-ssd"] = "pd-balanced"
    image_type: str = "COS_CONTAINERD"
    service_account: ServiceAccountId | None = None
    """Defaults to the cluster's node service account."""
    node_locations: list[str] | None = None
    """Zones for this pool; needed when not every zone of the region offers the accelerator.
    Default: the cluster's zone (zonal cluster) or three zones of its region (regional)."""
    labels: dict[str, str] = Field(default_factory=dict)
    """Kubernetes node labels (Kubernetes rules, not GCP label rules)."""
    taints: list[TaintSpec] = Field(default_factory=list)
    auto_repair: bool = True
    auto_upgrade: bool = True


class GkeSpec(StrictModel):
    cluster_name: ResourceName | None = None
    """Defaults to ``<name_prefix>-gke``."""
    location: str | None = None
    """Defaults to the environment's region (a regional cluster); a zone (``us-central1-a``)
    makes a zonal cluster: one control plane, nodes in that zone unless a pool names others.
    Fixed at creation: changing it makes a new cluster."""
    free_tier_credit: bool = False
    """This cluster takes its billing account's GKE free-tier credit ($74.40 a month, which
    covers the management fee of one zonal or Autopilot cluster;
    https://cloud.google.com/kubernetes-engine/pricing). The credit is per billing account:
    of the environments billed to one account, only one may claim it. `cost` applies it."""
    release_channel: Literal["RAPID", "REGULAR", "STABLE", "EXTENDED"] = "REGULAR"
    autopilot: bool = False
    """Fixed at creation: switching modes replaces the cluster."""
    private_nodes: bool = True
    private_endpoint: bool = False
    master_cidr: Cidr
    """A /28 outside every other range of the VPC; fixed at creation."""
    master_authorized_networks: dict[str, Cidr] = Field(default_factory=dict)
    """Display name to range allowed to reach the control plane."""
    workload_identity: bool = True
    node_service_account: ServiceAccountId = "gke-nodes"
    """Account id in the environment's project; nodes get only logging and monitoring roles."""
    node_pools: dict[ResourceName, NodePoolSpec] = Field(default_factory=dict)
    """Keyed by pool name."""
    labels: Labels = Field(default_factory=dict)
    deletion_policy: DeletionPolicy = "delete"

    @model_validator(mode="after")
    def _consistent(self) -> GkeSpec:
        problems = ViolationCollector()
        if self.autopilot and self.node_pools:
            problems.add(
                ("node_pools",),
                "node_pools cannot be combined with autopilot: true, because Autopilot creates and"
                " manages the nodes itself; remove node_pools (ask for GPUs in the pod specs) or"
                " set autopilot: false",
            )
        if not self.master_cidr.endswith("/28"):
            problems.add(("master_cidr",), f"master_cidr {self.master_cidr} must be a /28 range")
        if not self.autopilot and not self.node_pools:
            problems.add(
                ("node_pools",),
                "a Standard cluster (autopilot: false) needs at least one node pool",
            )
        if self.free_tier_credit and not self.autopilot and not is_zone(self.location or ""):
            problems.add(
                ("free_tier_credit",),
                "the GKE free-tier credit applies only to zonal and Autopilot clusters, and this one"
                " is regional; set location to a zone (e.g. us-central1-a), or autopilot: true, or"
                " remove free_tier_credit",
            )
        for key, pool in self.node_pools.items():
            self._check_pool_size(key, pool, problems)
        problems.raise_if_any()
        return self

    def pool_zones(self, pool: NodePoolSpec) -> int:
        """How many zones the pool's nodes are spread over."""
        if pool.node_locations:
            return len(pool.node_locations)
        return 1 if is_zone(self.location or "") else DEFAULT_REGIONAL_ZONES

    def initial_node_count(self, pool: NodePoolSpec) -> int:
        """Nodes a new pool starts with in each zone: its minimum shared evenly among them."""
        return pool.autoscaling.min_nodes // self.pool_zones(pool)

    def _check_pool_size(self, key: str, pool: NodePoolSpec, problems: ViolationCollector) -> None:
        """A pool must be able to start at its minimum: GKE creates the same number of nodes in
        every zone of the pool, so a total that does not divide among them would start the pool
        above its minimum (possibly above its maximum) or below it."""
        zones = self.pool_zones(pool)
        low, high = pool.autoscaling.min_nodes, pool.autoscaling.max_nodes
        if low % zones == 0:
            return
        where = (
            f"its {zones} zones ({', '.join(pool.node_locations)})"
            if pool.node_locations
            else f"the {zones} zones GKE spreads a regional cluster's pool over"
        )
        above = -(-low // zones) * zones
        problems.add(
            ("node_pools", key, "autoscaling", "min_nodes"),
            f"min_nodes {low} is a total for the whole pool, but {where} each start with the same"
            f" number of nodes (GKE's initialNodeCount is per zone): the pool would start at"
            f" {above} nodes{f', above max_nodes {high}' if above > high else ''} or at"
            f" {above - zones}, not at {low}; make min_nodes a multiple of {zones}, or list fewer"
            f" zones in node_locations, or make the cluster zonal (gke.location: a zone)",
        )
