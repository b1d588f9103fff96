"""GKE: the cluster that runs the GPU workloads (text-to-speech and lip-sync)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from .base import Cidr, DeletionPolicy, Labels, ResourceName, ServiceAccountId, StrictModel
from .rules import ViolationCollector


class AcceleratorSpec(StrictModel):
    type: str
    """E.g. ``nvidia-tesla-t4``; the zones of the pool must offer it."""
    count: int = Field(default=1, ge=1, le=8)
    gpu_driver_version: Literal["DEFAULT", "LATEST", "INSTALLATION_DISABLED"] = "DEFAULT"


class AutoscalingSpec(StrictModel):
    """Total node counts across all zones of the pool."""

    min_nodes: int = Field(ge=0)
    max_nodes: int = Field(ge=1)

    @model_validator(mode="after")
    def _min_not_above_max(self) -> AutoscalingSpec:
        problems = ViolationCollector()
        if self.min_nodes > self.max_nodes:
            problems.add(
                ("min_nodes",),
                f"min_nodes ({self.min_nodes}) is greater than max_nodes ({self.max_nodes});"
                " min_nodes must be at most max_nodes",
            )
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
    """Zones for this pool; needed when not every zone of the region offers the accelerator."""
    labels: dict[str, str] = Field(default_factory=dict)
    """Kubernetes node labels (Kubernetes rules, not GCP label rules)."""
    taints: list[TaintSpec] = Field(default_factory=list)
    auto_repair: bool = True
    auto_upgrade: bool = True


class GkeSpec(StrictModel):
    cluster_name: ResourceName | None = None
    """Defaults to ``<name_prefix>-gke``."""
    location: str | None = None
    """Defaults to the environment's region (a regional cluster)."""
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
        problems.raise_if_any()
        return self
