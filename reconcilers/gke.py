"""GKE: the cluster that runs the GPU workloads (text-to-speech and lip-sync) and its pools.

One VPC-native cluster per environment on the environment's subnet, with pods and
services in the subnet's two secondary ranges; private nodes behind the spec's /28 control
plane range; Workload Identity through the project's own pool; a release channel; our
labels. Standard clusters get the spec's node pools: a small general pool and the GPU
pools (n1-standard-4 with one nvidia-tesla-t4, autoscaled, spot where the spec asks).
Autopilot clusters get no pools of ours: GKE makes the nodes.

A Standard cluster cannot exist without a pool, and GKE runs one operation per cluster at
a time, so a new cluster is created with all its pools in one operation; the pool
resources then find theirs in place. A busy cluster is waited out.

Pools change in place through their own methods: autoscaling, management, and
`updateNodePool` for labels, taints and image type. The size of an autoscaled pool is the
autoscaler's, never ours. What decides what a node is (machine type, GPUs, spot, disk,
identity) is never changed in place, which would recreate every node under the running
workloads: the pool is replaced create-before-destroy instead. Its API name carries a
short digest of those fields (`tts-gpu-pool-3f2a`), so old and new stand side by side
while the workloads move; the resource keeps the spec's pool name and is found again
through a label.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

from provisioner.cost.pricing import CostLine, PriceTable
from provisioner.engine.api_kind import ApiKind
from provisioner.engine.backoff import Backoff
from provisioner.engine.context import Context
from provisioner.engine.kind import KindMeta, Reconciler
from provisioner.engine.labels import labels_kept
from provisioner.engine.operations import DoneOperation, Operation, OperationChain, PollSchedule
from provisioner.engine.permissions import RUNS_AS_ACCOUNT, permissions_of
from provisioner.engine.plan import FieldChange
from provisioner.engine.quota import QuotaNeed
from provisioner.engine.resource import (
    DELETION_POLICY_LABEL,
    Address,
    LiveResource,
    Resource,
    address_of,
    without_ownership,
)
from provisioner.google.errors import ApiError, classify
from provisioner.spec.gke import DEFAULT_REGIONAL_ZONES, is_zone
from reconcilers._container import (
    ContainerOperation,
    busy,
    client,
    cluster_path,
    list_clusters,
    location_path,
)
from reconcilers._proto import from_json_dict
from reconcilers.iam import ProjectRoles, ServiceAccount, account_email, service_account
from reconcilers.network import Network, Subnetwork

#: The meta of a kind here: every one calls the Kubernetes Engine API (container.googleapis.com).
container_meta = partial(KindMeta, api="container.googleapis.com")

#: Node resource label naming the spec's pool, whatever digest the API name carries.
POOL_LABEL = "digitwin-node-pool"
#: Node config fields fixed for the life of a pool here (they shape every node).
NODE_SHAPE = (
    "machineType",
    "accelerators",
    "spot",
    "diskType",
    "diskSizeGb",
    "serviceAccount",
    "oauthScopes",
)
#: Pool fields `updateNodePool` changes in place.
IN_PLACE = (
    "config.labels",
    "config.taints",
    "config.resourceLabels",
    "config.imageType",
    "config.workloadMetadataConfig",
    "locations",
)
#: What node VMs may do as their service account: write logs and metrics, nothing more.
NODE_ROLES = (
    "roles/logging.logWriter",
    "roles/monitoring.metricWriter",
    "roles/monitoring.viewer",
    "roles/stackdriver.resourceMetadata.writer",
)
CLOUD_PLATFORM = "https://www.googleapis.com/auth/cloud-platform"
#: Cluster and node-pool operations run minutes (a create, ten or more): the first look after
#: 2 s, then at most every 20 s.
GKE_POLLING = PollSchedule(Backoff(initial=2.0, maximum=20.0, multiplier=1.5), timeout=7200.0)
#: `ctx.facts` key: API paths of the node pools made by a cluster create in this run.
POOLS_MADE_WITH_CLUSTER = "gke.pools_made_with_cluster"


#: Cluster fields that change in place, and the one-field ClusterUpdate that changes each.
CLUSTER_UPDATES: dict[str, Callable[[Any], dict[str, Any]]] = {
    "releaseChannel": lambda v: {"desiredReleaseChannel": v},
    "workloadIdentityConfig": lambda v: {"desiredWorkloadIdentityConfig": v},
    "masterAuthorizedNetworksConfig": lambda v: {"desiredMasterAuthorizedNetworksConfig": v},
    "privateClusterConfig": lambda v: {"desiredEnablePrivateEndpoint": v.get("enablePrivateEndpoint", False)},
}


class Cluster(ApiKind):
    """The cluster: network placement and mode are fixed; channel, identity, access and labels
    change in place, one `update` per field as the API requires."""

    meta = container_meta(
        kind="gke.cluster",
        permissions=permissions_of("container.clusters", also={"create": ("iam.serviceAccounts.actAs",)}),
        labels_path="resourceLabels",
        immutable=(
            "autopilot",
            "network",
            "subnetwork",
            "ipAllocationPolicy",
            "privateClusterConfig.enablePrivateNodes",
            "privateClusterConfig.masterIpv4CidrBlock",
        ),
        unordered=("masterAuthorizedNetworksConfig.cidrBlocks",),
        # The API's JSON leaves out false and empty values.
        api_defaults={
            "autopilot": {"enabled": False},
            "privateClusterConfig": {"enablePrivateNodes": False, "enablePrivateEndpoint": False},
            "masterAuthorizedNetworksConfig": {"enabled": False},
            "workloadIdentityConfig": {"workloadPool": ""},
        },
        stateful=True,
        poll_schedule=GKE_POLLING,
    )

    def retryable(self, err: ApiError) -> bool:
        return busy(err)

    def monthly_cost(self, name: str, body: dict[str, Any], prices: PriceTable) -> list[CostLine] | None:
        """The management fee, less the free-tier credit where the spec gives this cluster its
        billing account's credit; nodes are priced with their pools (Autopilot: by Pod requests)."""
        location = name.split("/")[0]
        region = _region(location)
        autopilot = bool((body.get("autopilot") or {}).get("enabled"))
        # The credit covers zonal and Autopilot clusters only, never a regional Standard one
        # (https://cloud.google.com/kubernetes-engine/pricing#cluster_management_fee_and_free_tier).
        eligible = autopilot or is_zone(location)
        claimed = self.ctx is not None and self.ctx.spec.gke.free_tier_credit and eligible
        fee = prices.charge(
            "gke.cluster_management",
            region,
            1,
            "cluster management fee",
            None
            if claimed
            else "the billing account's free-tier credit (one zonal or Autopilot cluster) is not applied"
            + ("" if eligible else ": this cluster is regional"),
        )
        lines = [fee]
        if claimed:
            lines.append(
                prices.credit(
                    "gke.free_tier_credit",
                    "global",
                    fee.monthly,
                    "free-tier credit of the billing account",
                    "covers one zonal or Autopilot cluster's fee; this environment claims it"
                    " (gke.free_tier_credit), so no other cluster billed to the account can",
                )
            )
        if autopilot:
            why = "Autopilot bills the Pods' resource requests"
            lines.append(prices.usage("gke.autopilot.vcpu", region, "Pod vCPU requests", why))
            lines.append(prices.usage("gke.autopilot.memory", region, "Pod memory requests", why))
        return lines

    def references(self, live: LiveResource) -> tuple[Address, ...]:
        region = _region(live.body.get("location", ""))
        return (
            address_of(Network.meta.kind, live.body.get("network", "")),
            address_of(Subnetwork.meta.kind, f"{region}/{live.body.get('subnetwork', '')}"),
        )

    def delete_note(self, live: LiveResource) -> str | None:
        return "deletes every node pool of the cluster and every workload running on it"

    def observe(self, desired: Sequence[Resource]) -> list[LiveResource]:
        return [
            LiveResource(
                self.meta.kind,
                f"{c['location']}/{c['name']}",
                c,
                managed=self.ctx.is_ours(c.get("resourceLabels")),
                version=c.get("etag"),
            )
            for c in list_clusters(self.ctx, self.call)
        ]

    def _op(self, location: str, op: Any, description: str) -> Operation:
        return ContainerOperation.of(self.ctx, location, op, description)

    def create(self, desired: Resource) -> Operation:
        from google.cloud import container_v1

        location, name = desired.name.split("/")
        body = {"name": name, **desired.body, **desired.create_only}
        request = {
            "parent": location_path(self.ctx, location),
            "cluster": from_json_dict(container_v1.Cluster, body),
        }
        op = self.call(client(self.ctx).create_cluster, request=request)
        cluster = cluster_path(self.ctx, location, name)
        made_with_it = {f"{cluster}/nodePools/{pool['name']}" for pool in body.get("nodePools", [])}
        self.ctx.facts.setdefault(POOLS_MADE_WITH_CLUSTER, set()).update(made_with_it)
        return self._op(location, op, f"create cluster {name}")

    def update(self, desired: Resource, live: LiveResource, changes: Sequence[FieldChange]) -> Operation:
        location, name = desired.name.split("/")
        touched = {c.path.split(".")[0] for c in changes}
        steps: list[Callable[[], Operation]] = []
        if "resourceLabels" in touched:
            labels = labels_kept(live.body.get("resourceLabels"), desired.body["resourceLabels"])
            steps.append(lambda: self._set_labels(live, labels))
        for field, update in CLUSTER_UPDATES.items():
            if field in touched and field in desired.body:
                steps.append(partial(self._update, location, name, update(desired.body[field])))
        return OperationChain(f"update cluster {name}", steps)

    def _update(self, location: str, name: str, change: dict[str, Any]) -> Operation:
        from google.cloud import container_v1

        request = {
            "name": cluster_path(self.ctx, location, name),
            "update": from_json_dict(container_v1.ClusterUpdate, change),
        }
        op = self.call(client(self.ctx).update_cluster, request=request)
        return self._op(location, op, f"update cluster {name} ({', '.join(change)})")

    def _set_labels(self, live: LiveResource, labels: dict[str, str]) -> Operation:
        location, name = live.name.split("/")
        request = {
            "name": cluster_path(self.ctx, location, name),
            "resource_labels": labels,
            "label_fingerprint": live.body.get("labelFingerprint", ""),
        }
        op = self.call(client(self.ctx).set_labels, request=request)
        return self._op(location, op, f"label cluster {name}")

    def abandon(self, live: LiveResource) -> Operation | None:
        return self._set_labels(live, without_ownership(live.body.get("resourceLabels")))

    def delete(self, live: LiveResource) -> Operation:
        location, name = live.name.split("/")
        request = {"name": cluster_path(self.ctx, location, name)}
        op = self.call(client(self.ctx).delete_cluster, request=request)
        return self._op(location, op, f"delete cluster {name}")


class NodePool(ApiKind):
    """A node pool, addressed by the spec's pool name and found through its label."""

    meta = container_meta(
        kind="gke.node_pool",
        permissions=permissions_of(
            "container.clusters",
            create=("update",),
            delete=("update",),
            also=RUNS_AS_ACCOUNT,
        ),
        labels_path="config.resourceLabels",
        immutable=tuple(f"config.{field}" for field in NODE_SHAPE),
        unordered=("locations",),
        # The API's JSON leaves out false, zero and empty values.
        api_defaults={
            "config": {"spot": False},
            "autoscaling": {"enabled": False, "totalMinNodeCount": 0},
            "management": {"autoRepair": False, "autoUpgrade": False},
        },
        create_before_destroy=True,
        poll_schedule=GKE_POLLING,
    )

    def retryable(self, err: ApiError) -> bool:
        return busy(err)

    def monthly_cost(self, name: str, body: dict[str, Any], prices: PriceTable) -> list[CostLine] | None:
        """Each node is a Compute Engine VM with its GPUs and boot disk; an autoscaled pool is
        priced at its minimum, with the cost at its maximum alongside."""
        location = name.split("/")[0]
        region = _region(location)
        zones = len(body.get("locations") or ()) or (1 if is_zone(location) else DEFAULT_REGIONAL_ZONES)
        low, high = _node_range(body, zones)
        config = body.get("config") or {}
        spot = bool(config.get("spot"))
        suffix = ".spot" if spot else ""
        scale = f"{low}–{high}" if high != low else f"{low}"
        spot_note = "Spot price, which changes up to once a day" if spot else None
        machine = config.get("machineType", "e2-medium")
        where = f"its {zones} zones together" if zones > 1 else "its one zone"
        sizing = f"priced at the autoscaling minimum, counted over {where}" if high != low else None
        lines = [
            prices.charge(
                f"compute.machine.{machine}{suffix}",
                region,
                low,
                f"nodes: {scale} × {machine}{' Spot' if spot else ''}",
                "; ".join(n for n in (sizing, spot_note) if n) or None,
                max_quantity=high,
            )
        ]
        for accelerator in config.get("accelerators") or []:
            count = int(accelerator.get("acceleratorCount", 1))
            gpu = accelerator.get("acceleratorType", "")
            lines.append(
                prices.charge(
                    f"compute.gpu.{gpu}{suffix}",
                    region,
                    low * count,
                    f"GPUs: {count} × {gpu}{' Spot' if spot else ''} a node",
                    spot_note,
                    max_quantity=high * count,
                )
            )
        size = int(config.get("diskSizeGb") or 100)
        disk = config.get("diskType") or "pd-balanced"
        lines.append(
            prices.charge(
                f"compute.disk.{disk}",
                region,
                low * size,
                f"boot disks: {size} GiB {disk} a node",
                max_quantity=high * size,
            )
        )
        return lines

    def quota_needs(self, desired: Resource) -> list[QuotaNeed]:
        """Each node is a VM: its vCPUs count against the region's CPU quota of its machine
        family and CPUS_ALL_REGIONS, its GPUs against the region's quota of that GPU model
        (the preemptible one for Spot nodes, when the project has it) and GPUS_ALL_REGIONS
        (https://cloud.google.com/compute/resource-usage#cpu_quota,
        https://cloud.google.com/compute/resource-usage#gpu_quota)."""
        body = {**desired.body, **desired.create_only}
        location = desired.name.split("/")[0]
        region = _region(location)
        zones = len(body.get("locations") or ()) or (1 if is_zone(location) else DEFAULT_REGIONAL_ZONES)
        low, high = _node_range(body, zones)
        config = body.get("config") or {}
        spot = bool(config.get("spot"))
        machine = str(config.get("machineType", "e2-medium"))
        vcpus = _vcpus(machine)
        family = machine.split("-", 1)[0]
        needs = [
            QuotaNeed(_CPU_QUOTA.get(family, f"{family.upper()}_CPUS"), region, low * vcpus, high * vcpus),
            QuotaNeed("CPUS_ALL_REGIONS", None, low * vcpus, high * vcpus),
        ]
        for accelerator in config.get("accelerators") or []:
            count = int(accelerator.get("acceleratorCount", 1))
            model = re.sub(r"^nvidia-(tesla-)?", "", str(accelerator.get("acceleratorType", "")))
            metric = f"NVIDIA_{model.upper().replace('-', '_')}_GPUS"
            if spot:
                needs.append(QuotaNeed(f"PREEMPTIBLE_{metric}", region, low * count, high * count, metric))
            else:
                needs.append(QuotaNeed(metric, region, low * count, high * count))
            needs.append(QuotaNeed("GPUS_ALL_REGIONS", None, low * count, high * count))
        return needs

    def normalise(self, body: dict[str, Any]) -> dict[str, Any]:
        config = body.get("config") or {}
        if config.get("taints"):
            config["taints"] = [{"value": "", **t} for t in config["taints"]]
        return body

    def replace_reason(self, changes: Sequence[FieldChange]) -> str | None:
        fixed = sorted(
            {
                c.path
                for c in changes
                if any(c.path == f or c.path.startswith(f + ".") for f in self.meta.immutable)
            }
        )
        if not fixed:
            return None
        return (
            f"{', '.join(fixed)} cannot be changed in place without recreating every node: a new pool"
            " is created beside this one, then this one is deleted"
        )

    def observe(self, desired: Sequence[Resource]) -> list[LiveResource]:
        wanted = {r.name: pool_api_name(r.name.rsplit("/", 1)[1], r.body) for r in desired}
        by_address: dict[str, list[LiveResource]] = {}
        for cluster in list_clusters(self.ctx, self.call):
            prefix = f"{cluster['location']}/{cluster['name']}"
            for pool in cluster.get("nodePools", []):
                labels = pool.get("config", {}).get("resourceLabels") or {}
                ours = self.ctx.is_ours(labels)
                key = labels.get(POOL_LABEL) if ours else None
                live = LiveResource(
                    self.meta.kind,
                    f"{prefix}/{key or pool['name']}",
                    pool,
                    managed=ours,
                    version=pool.get("etag"),
                )
                by_address.setdefault(live.name, []).append(live)
        found: list[LiveResource] = []
        for name, pools in by_address.items():
            # Two pools for one spec pool: a replacement stopped halfway. The one with the
            # wanted API name (else the oldest) is the resource; the other shows under its
            # API name, so that --prune can remove it.
            pools.sort(key=lambda p: (p.body["name"] != wanted.get(name), p.body["name"]))
            found.append(pools[0])
            prefix = name.rsplit("/", 1)[0]
            found += [
                LiveResource(p.kind, f"{prefix}/{p.body['name']}", p.body, p.managed, p.version)
                for p in pools[1:]
            ]
        return found

    def _op(self, location: str, op: Any, description: str) -> Operation:
        return ContainerOperation.of(self.ctx, location, op, description)

    def _path(self, name: str, api_name: str) -> str:
        location, cluster, _ = name.split("/")
        return f"{cluster_path(self.ctx, location, cluster)}/nodePools/{api_name}"

    def create(self, desired: Resource) -> Operation:
        from google.cloud import container_v1

        location, cluster, key = desired.name.split("/")
        api_name = pool_api_name(key, desired.body)
        if self._path(desired.name, api_name) in self.ctx.facts.get(POOLS_MADE_WITH_CLUSTER, ()):
            # The cluster's create (finished before this runs) made it, as the spec has it.
            return DoneOperation(f"node pool {api_name} was created with its cluster")
        body = {"name": api_name, **desired.body, **desired.create_only}
        request = {
            "parent": cluster_path(self.ctx, location, cluster),
            "node_pool": from_json_dict(container_v1.NodePool, body),
        }
        op = self.call(client(self.ctx).create_node_pool, request=request)
        return self._op(location, op, f"create node pool {api_name}")

    def update(self, desired: Resource, live: LiveResource, changes: Sequence[FieldChange]) -> Operation:
        location = desired.name.split("/")[0]
        path = self._path(live.name, live.body["name"])
        paths = {c.path for c in changes}
        in_place = {f for f in IN_PLACE if any(p == f or p.startswith(f + ".") for p in paths)}
        steps = []
        if in_place:  # first, while the etag read with the pool is still current
            steps.append(lambda: self._update_in_place(location, path, desired, live, in_place))
        if any(p.startswith("autoscaling.") for p in paths):
            steps.append(lambda: self._set_autoscaling(location, path, desired.body["autoscaling"]))
        if any(p.startswith("management.") for p in paths):
            steps.append(lambda: self._set_management(location, path, desired.body["management"]))
        return OperationChain(f"update node pool {live.body['name']}", steps)

    def _set_autoscaling(self, location: str, path: str, autoscaling: dict[str, Any]) -> Operation:
        from google.cloud import container_v1

        request = {"name": path, "autoscaling": from_json_dict(container_v1.NodePoolAutoscaling, autoscaling)}
        op = self.call(client(self.ctx).set_node_pool_autoscaling, request=request)
        return self._op(location, op, f"set autoscaling of node pool {path.rsplit('/', 1)[1]}")

    def _set_management(self, location: str, path: str, management: dict[str, Any]) -> Operation:
        from google.cloud import container_v1

        request = {"name": path, "management": from_json_dict(container_v1.NodeManagement, management)}
        op = self.call(client(self.ctx).set_node_pool_management, request=request)
        return self._op(location, op, f"set management of node pool {path.rsplit('/', 1)[1]}")

    def _update_in_place(
        self, location: str, path: str, desired: Resource, live: LiveResource, touched: set[str]
    ) -> Operation:
        want, have = desired.body.get("config", {}), live.body.get("config", {})
        body: dict[str, Any] = {
            "name": path,
            "nodeVersion": live.body.get("version", "-"),
            "imageType": want.get("imageType", have.get("imageType")),
            "etag": live.version or "",
        }
        if "config.labels" in touched:
            body["labels"] = {"labels": labels_kept(have.get("labels"), want.get("labels"))}
        if "config.resourceLabels" in touched:
            labels = labels_kept(have.get("resourceLabels"), want["resourceLabels"])
            body["resourceLabels"] = {"labels": labels}
        if "config.taints" in touched:
            body["taints"] = {"taints": want.get("taints", [])}
        if "config.workloadMetadataConfig" in touched:
            body["workloadMetadataConfig"] = want["workloadMetadataConfig"]
        if "locations" in touched:
            body["locations"] = desired.body["locations"]
        return self._update_request(location, path, body)

    def _update_request(self, location: str, path: str, body: dict[str, Any]) -> Operation:
        from google.cloud import container_v1

        message = from_json_dict(container_v1.UpdateNodePoolRequest, body)
        op = self.call(client(self.ctx).update_node_pool, request=message)
        return self._op(location, op, f"update node pool {path.rsplit('/', 1)[1]}")

    def abandon(self, live: LiveResource) -> Operation | None:
        config = live.body.get("config", {})
        path = self._path(live.name, live.body["name"])
        labels = without_ownership(config.get("resourceLabels"))
        labels.pop(POOL_LABEL, None)
        body = {
            "name": path,
            "nodeVersion": live.body.get("version", "-"),
            "imageType": config.get("imageType", ""),
            "resourceLabels": {"labels": labels},
        }
        return self._update_request(live.name.split("/")[0], path, body)

    def delete(self, live: LiveResource) -> Operation:
        path = self._path(live.name, live.body["name"])
        try:
            op = self.call(client(self.ctx).delete_node_pool, name=path)
        except Exception as exc:
            err = classify(exc)
            if err is not None and err.not_found:  # its cluster went first, and took it along
                return DoneOperation(f"node pool {live.body['name']} is already gone")
            raise
        return self._op(live.name.split("/")[0], op, f"delete node pool {live.body['name']}")


def pool_api_name(key: str, body: dict[str, Any]) -> str:
    """The spec's pool name plus a digest of what fixes the shape of its nodes."""
    config = body.get("config", {})
    shape = {field: config.get(field) for field in NODE_SHAPE}
    digest = hashlib.sha256(json.dumps(shape, sort_keys=True).encode()).hexdigest()[:4]
    return f"{key[:35]}-{digest}"


def cluster_body(ctx: Context) -> dict[str, Any]:
    spec, gke = ctx.spec, ctx.spec.gke
    private: dict[str, Any] = {
        "enablePrivateNodes": gke.private_nodes,
        "enablePrivateEndpoint": gke.private_endpoint,
    }
    if gke.private_nodes:
        private["masterIpv4CidrBlock"] = gke.master_cidr
    authorized: dict[str, Any] = {"enabled": bool(gke.master_authorized_networks)}
    if gke.master_authorized_networks:
        authorized["cidrBlocks"] = [
            {"displayName": name, "cidrBlock": cidr}
            for name, cidr in sorted(gke.master_authorized_networks.items())
        ]
    return {
        "autopilot": {"enabled": gke.autopilot},
        "network": spec.vpc_name,
        "subnetwork": spec.subnet_name,
        "ipAllocationPolicy": {
            "useIpAliases": True,
            "clusterSecondaryRangeName": spec.pods_range_name,
            "servicesSecondaryRangeName": spec.services_range_name,
        },
        "privateClusterConfig": private,
        "masterAuthorizedNetworksConfig": authorized,
        "workloadIdentityConfig": {
            "workloadPool": f"{ctx.project}.svc.id.goog" if gke.workload_identity else ""
        },
        "releaseChannel": {"channel": gke.release_channel},
        "resourceLabels": ctx.labels(gke.labels),
    }


def node_pool_body(ctx: Context, key: str, pool: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """A pool's body as the spec owns it, and what is sent only when it is created."""
    gke = ctx.spec.gke
    config: dict[str, Any] = {
        "machineType": pool.machine_type,
        "diskSizeGb": pool.disk_size_gb,
        "diskType": pool.disk_type,
        "imageType": pool.image_type,
        "spot": pool.spot,
        "serviceAccount": account_email(ctx, pool.service_account or gke.node_service_account),
        "oauthScopes": [CLOUD_PLATFORM],
        "labels": dict(pool.labels),
        "taints": [{"key": t.key, "value": t.value, "effect": t.effect} for t in pool.taints],
        "resourceLabels": ctx.labels({**gke.labels, POOL_LABEL: key}),
    }
    if gke.deletion_policy == "abandon":  # also on pools created inline with the cluster
        config["resourceLabels"][DELETION_POLICY_LABEL] = "abandon"
    if pool.accelerator:
        config["accelerators"] = [
            {
                "acceleratorType": pool.accelerator.type,
                "acceleratorCount": pool.accelerator.count,
                "gpuDriverInstallationConfig": {"gpuDriverVersion": pool.accelerator.gpu_driver_version},
            }
        ]
    if gke.workload_identity:
        config["workloadMetadataConfig"] = {"mode": "GKE_METADATA"}
    body: dict[str, Any] = {
        "config": config,
        "autoscaling": {
            "enabled": True,
            "totalMinNodeCount": pool.autoscaling.min_nodes,
            "totalMaxNodeCount": pool.autoscaling.max_nodes,
        },
        "management": {"autoRepair": pool.auto_repair, "autoUpgrade": pool.auto_upgrade},
    }
    if pool.node_locations:
        body["locations"] = list(pool.node_locations)
    # Per zone: the pool starts at its minimum in all its zones together (the spec refuses a
    # minimum that does not divide evenly among them).
    create_only = {"initialNodeCount": gke.initial_node_count(pool)}
    return body, create_only


def _node_range(body: dict[str, Any], zones: int) -> tuple[int, int]:
    """Fewest and most nodes of a pool in all its zones (per-zone limits count once a zone)."""
    auto = body.get("autoscaling") or {}
    if auto.get("enabled"):
        if auto.get("totalMaxNodeCount"):
            return int(auto.get("totalMinNodeCount") or 0), int(auto["totalMaxNodeCount"])
        return int(auto.get("minNodeCount") or 0) * zones, int(auto.get("maxNodeCount") or 0) * zones
    fixed = int(body.get("initialNodeCount") or body.get("nodeCount") or 0) * zones
    return fixed, fixed


#: Machine families whose vCPUs count against the region's plain CPUS quota; the others have
#: their own (N2_CPUS, C2_CPUS...): https://cloud.google.com/compute/resource-usage#cpu_quota
_CPU_QUOTA = {"n1": "CPUS", "e2": "CPUS", "f1": "CPUS", "g1": "CPUS"}
#: vCPUs of the shared-core machine types, whose names carry no count.
_SHARED_CORE = {"e2-micro": 2, "e2-small": 2, "e2-medium": 2, "f1-micro": 1, "g1-small": 1}


def _vcpus(machine: str) -> int:
    """vCPUs of a predefined machine type (`n1-standard-4`: 4) or a custom one (`e2-custom-4-8192`)."""
    if machine in _SHARED_CORE:
        return _SHARED_CORE[machine]
    custom = re.search(r"custom-(\d+)-\d+", machine)
    if custom:
        return int(custom.group(1))
    last = machine.rsplit("-", 1)[-1]
    return int(last) if last.isdigit() else 1


def _region(location: str) -> str:
    return location.rsplit("-", 1)[0] if is_zone(location) else location


class GkeReconciler(Reconciler):
    family = "gke"
    kinds = (Cluster, NodePool, ServiceAccount, ProjectRoles)

    def desired(self, ctx: Context) -> list[Resource]:
        spec, gke = ctx.spec, ctx.spec.gke
        location = spec.gke_location
        network = address_of(Network.meta.kind, spec.vpc_name)
        subnet = address_of(Subnetwork.meta.kind, f"{spec.region}/{spec.subnet_name}")
        identities: list[Resource] = []
        if not gke.autopilot:
            account_ids = {gke.node_service_account} | {
                p.service_account for p in gke.node_pools.values() if p.service_account
            }
            for account_id in sorted(account_ids):
                identities += service_account(ctx, account_id, "GKE nodes", NODE_ROLES, gke.deletion_policy)
        accounts = tuple(r.address for r in identities if r.kind == ServiceAccount.meta.kind)
        pools = [
            (f"{location}/{spec.gke_cluster_name}/{key}", *node_pool_body(ctx, key, pool))
            for key, pool in sorted(gke.node_pools.items())
        ]
        cluster = Resource(
            kind=Cluster.meta.kind,
            name=f"{location}/{spec.gke_cluster_name}",
            body=cluster_body(ctx),
            deps=(network, subnet, *accounts),
            deletion_policy=gke.deletion_policy,
            create_only={
                "nodePools": [
                    {"name": pool_api_name(name.rsplit("/", 1)[1], body), **body, **create_only}
                    for name, body, create_only in pools
                ]
            }
            if pools
            else {},
        )
        node_pools = [
            Resource(
                kind=NodePool.meta.kind,
                name=name,
                body=body,
                deps=(cluster.address, *accounts),
                deletion_policy=gke.deletion_policy,
                create_only=create_only,
            )
            for name, body, create_only in pools
        ]
        return [*identities, cluster, *node_pools]
