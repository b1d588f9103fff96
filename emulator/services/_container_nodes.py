"""Node pool rules shared by cluster create (pools given inline) and nodePools.create:
machine and accelerator compatibility, autoscaling limits, and the defaults GKE fills in.
"""

from __future__ import annotations

import copy
import hashlib
import re
from typing import Any

from emulator.errors import invalid
from emulator.services import _container as k
from emulator.services import _iam_accounts as accounts

DEFAULT_MACHINE_TYPE = "e2-medium"
DEFAULT_DISK_GB = 100
DEFAULT_DISK_TYPE = "pd-balanced"
DEFAULT_IMAGE_TYPE = "COS_CONTAINERD"
DISK_TYPES = ("pd-standard", "pd-balanced", "pd-ssd", "pd-extreme", "hyperdisk-balanced")
IMAGE_TYPES = (
    "COS_CONTAINERD",
    "UBUNTU_CONTAINERD",
    "WINDOWS_LTSC_CONTAINERD",
    "WINDOWS_SAC_CONTAINERD",
)
DEFAULT_SCOPES = [
    "https://www.googleapis.com/auth/devstorage.read_only",
    "https://www.googleapis.com/auth/logging.write",
    "https://www.googleapis.com/auth/monitoring",
    "https://www.googleapis.com/auth/service.management.readonly",
    "https://www.googleapis.com/auth/servicecontrol",
    "https://www.googleapis.com/auth/trace.append",
]
MACHINE_TYPE = re.compile(
    r"^(e2|n1|n2|n2d|n4|c2|c2d|c3|c3d|c4|t2d|t2a|g2|a2|a3|a4|m1|m2|m3)"
    r"-(standard|highmem|highcpu|medium|small|micro|highgpu|megagpu|ultragpu|edgegpu)(-\d+g?)?$"
)
#: Accelerator type -> (machine families it attaches to, counts allowed per node).
ACCELERATORS: dict[str, tuple[tuple[str, ...], tuple[int, ...]]] = {
    "nvidia-tesla-t4": (("n1",), (1, 2, 4)),
    "nvidia-tesla-v100": (("n1",), (1, 2, 4, 8)),
    "nvidia-tesla-p100": (("n1",), (1, 2, 4)),
    "nvidia-tesla-p4": (("n1",), (1, 2, 4)),
    "nvidia-l4": (("g2",), (1, 2, 4, 8)),
    "nvidia-tesla-a100": (("a2",), (1, 2, 4, 8, 16)),
    "nvidia-a100-80gb": (("a2",), (1, 2, 4, 8)),
    "nvidia-h100-80gb": (("a3",), (1, 2, 4, 8)),
    "nvidia-h100-mega-80gb": (("a3",), (8,)),
    "nvidia-h200-141gb": (("a3",), (8,)),
    "nvidia-b200": (("a4",), (8,)),
}
TAINT_EFFECTS = ("NO_SCHEDULE", "PREFER_NO_SCHEDULE", "NO_EXECUTE")
MAX_NODES = 1000


#: Machine families whose VMs boot only from Hyperdisk ("N4 ... support only Hyperdisk",
#: https://cloud.google.com/compute/docs/general-purpose-machines#n4_disks and #c4_disks); GKE
#: gives their nodes a hyperdisk-balanced boot disk when none is named (mockgcp, aligned to real
#: GKE: `if strings.HasPrefix(obj.MachineType, "n4-") { obj.DiskType = "hyperdisk-balanced" }`,
#: k8s-config-connector mockgcp/mockcontainer/nodepool.go at cdb85ecf17).
HYPERDISK_ONLY = ("n4", "c4")


def default_disk_type(machine_type: str) -> str:
    return "hyperdisk-balanced" if machine_type.split("-", 1)[0] in HYPERDISK_ONLY else DEFAULT_DISK_TYPE


def check_machine(machine_type: Any, field: str) -> str:
    if not isinstance(machine_type, str) or not MACHINE_TYPE.match(machine_type):
        raise invalid(f'Invalid value for field "{field}": machine type "{machine_type}" does not exist.')
    return machine_type


def check_accelerators(accelerators: Any, machine_type: str, field: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    family = machine_type.split("-", 1)[0]
    for item in accelerators or []:
        kind = item.get("acceleratorType")
        if kind not in ACCELERATORS:
            raise invalid(
                f'Invalid value for field "{field}.accelerator_type": accelerator type "{kind}" does not'
                f" exist; available types: {', '.join(sorted(ACCELERATORS))}.",
                field=f"{field}.accelerator_type",
            )
        families, counts = ACCELERATORS[kind]
        if family not in families:
            wanted = " or ".join(f.upper() for f in families)
            raise invalid(
                f'Accelerator type "{kind}" cannot be attached to machine type "{machine_type}": it needs'
                f" an {wanted} machine type.",
                field=f"{field}.accelerator_type",
            )
        count = int(item.get("acceleratorCount") or 0)
        if count not in counts:
            raise invalid(
                f'Invalid value for field "{field}.accelerator_count": {count} x {kind} per node is not'
                f" offered; choose one of {', '.join(map(str, counts))}.",
                field=f"{field}.accelerator_count",
            )
        shown = {**item, "acceleratorCount": str(count)}
        out.append(shown)
    return out


def check_taints(taints: Any, field: str) -> list[dict[str, Any]]:
    out = []
    for taint in taints or []:
        if not taint.get("key"):
            raise invalid(f'Invalid value for field "{field}": a taint needs a key.', field=field)
        if taint.get("effect") not in TAINT_EFFECTS:
            raise invalid(
                f'Invalid value for field "{field}": taint effect must be one of {", ".join(TAINT_EFFECTS)}.',
                field=field,
            )
        out.append({"key": taint["key"], "value": taint.get("value", ""), "effect": taint["effect"]})
    return out


def check_autoscaling(autoscaling: Any, field: str) -> dict[str, Any] | None:
    """The autoscaling block as stored, or None when it is off."""
    if not autoscaling or not autoscaling.get("enabled"):
        return None
    # Zero is proto3's unset: Config Connector sends totalMin/MaxNodeCount 0 beside per-zone limits
    # and GKE takes the per-zone ones, answering without the totals (exchange 8 and the reads after
    # it in conformance/kcc-golden/container/v1beta1/containernodepool/containernodepool/_http.log).
    autoscaling = {
        k2: v
        for k2, v in autoscaling.items()
        if not (k2 in ("totalMinNodeCount", "totalMaxNodeCount") and not v)
    }
    zonal = [autoscaling.get(n) for n in ("minNodeCount", "maxNodeCount")]
    total = [autoscaling.get(n) for n in ("totalMinNodeCount", "totalMaxNodeCount")]
    if any(v is not None for v in zonal) and any(v is not None for v in total):
        raise invalid(
            "Autoscaling limits are either per zone (min/max_node_count) or in total"
            " (total_min/max_node_count), not both.",
            field=field,
        )
    low, high = total if any(v is not None for v in total) else zonal
    low = int(low or 0)
    high = int(high or 0)
    if low < 0 or high < 1 or high > MAX_NODES:
        raise invalid(
            f'Invalid value for field "{field}": the maximum node count must be between 1 and {MAX_NODES}'
            " and the minimum at least 0.",
            field=field,
        )
    if low > high:
        raise invalid(
            f'Invalid value for field "{field}": the minimum node count ({low}) must not be greater than'
            f" the maximum ({high}).",
            field=field,
        )
    # A zero limit is proto3's unset and not shown (kcc-golden container/v1beta1/containernodepool/
    # containernodepool-queuedprovisioning/_http.log #8 sends `minNodeCount: 0`, #10 reads none).
    out = {k2: v for k2, v in autoscaling.items() if v is not None and v != 0}
    # An autoscaled pool balances its zones unless told otherwise (NodePoolAutoscaling.
    # locationPolicy, https://cloud.google.com/kubernetes-engine/docs/reference/rest/v1/
    # projects.locations.clusters.nodePools#NodePoolAutoscaling; BALANCED, "a best effort policy
    # that aims to balance the sizes of different zones"). The corpus's autoscaled pools are all
    # mockgcp's, which keeps `autoscaling` as sent (conformance/recorder.py).
    out.setdefault("locationPolicy", "BALANCED")
    return out


def check_locations(locations: Any, cluster: dict[str, Any], field: str) -> list[str]:
    if not locations:
        return list(cluster["locations"])
    region = k.region_of(cluster["location"])
    for zone in locations:
        if not k.is_zone(zone) or k.region_of(zone) != region:
            raise invalid(
                f'Invalid value for field "{field}": zone "{zone}" is not in the cluster\'s region {region}.',
                field=field,
            )
    return list(locations)


def node_config(call: Any, raw: Any, cluster: dict[str, Any], field: str) -> dict[str, Any]:
    """A NodeConfig with GKE's defaults filled in; a 400 for what GKE refuses."""
    config = copy.deepcopy(raw or {})
    config["machineType"] = check_machine(
        config.get("machineType") or DEFAULT_MACHINE_TYPE, f"{field}.machine_type"
    )
    size = int(config.get("diskSizeGb") or DEFAULT_DISK_GB)
    if size < 10:
        raise invalid(
            f'Invalid value for field "{field}.disk_size_gb": {size}; disks must be at least 10 GB.',
            field=f"{field}.disk_size_gb",
        )
    config["diskSizeGb"] = size
    config["diskType"] = config.get("diskType") or default_disk_type(config["machineType"])
    if config["diskType"] not in DISK_TYPES:
        raise invalid(
            f'Invalid value for field "{field}.disk_type": "{config["diskType"]}".',
            field=f"{field}.disk_type",
        )
    config["imageType"] = str(config.get("imageType") or DEFAULT_IMAGE_TYPE).upper()
    if config["imageType"] not in IMAGE_TYPES:
        raise invalid(
            f'Invalid value for field "{field}.image_type": "{config["imageType"]}".',
            field=f"{field}.image_type",
        )
    if config.get("spot") and config.get("preemptible"):
        raise invalid("Spot and preemptible cannot both be set on a node pool.", field=f"{field}.spot")
    accelerators = check_accelerators(
        config.get("accelerators"), config["machineType"], f"{field}.accelerators"
    )
    if accelerators:
        config["accelerators"] = accelerators
    else:
        config.pop("accelerators", None)
    taints = check_taints(config.get("taints"), f"{field}.taints")
    if taints:
        config["taints"] = taints
    else:
        config.pop("taints", None)
    if config.get("resourceLabels"):
        config["resourceLabels"] = k.check_labels(config["resourceLabels"], f"{field}.resource_labels")
    confidential = _confidential_nodes(config.get("confidentialNodes"))
    if confidential:
        config["confidentialNodes"] = confidential
    config.setdefault("serviceAccount", "default")
    if config["serviceAccount"] != "default" and accounts.missing(call.ctx.store, config["serviceAccount"]):
        raise invalid(
            f'Service account "{config["serviceAccount"]}" does not exist.', field=f"{field}.service_account"
        )
    config.setdefault("oauthScopes", list(DEFAULT_SCOPES))
    config.setdefault("metadata", {"disable-legacy-endpoints": "true"})
    config.setdefault("shieldedInstanceConfig", {"enableIntegrityMonitoring": True})
    if cluster.get("workloadIdentityConfig", {}).get("workloadPool"):
        config.setdefault("workloadMetadataConfig", {"mode": "GKE_METADATA"})
    return config


def _confidential_nodes(pool: Any) -> dict[str, Any] | None:
    """The pool's own confidential nodes, on AMD SEV when no technology is named, as
    Confidential GKE Nodes were first built
    (https://cloud.google.com/kubernetes-engine/docs/how-to/confidential-gke-nodes; kcc-golden
    container/v1beta1/containercluster/containercluster-enableconfidentialnodesinnode #1 sends
    `confidentialNodes: {enabled: true}` on the node config and #3 reads
    `confidentialInstanceType: SEV`).

    The cluster's own setting is not copied into its pools' configs: real GKE shows it at the
    cluster level alone (k8s-config-connector c9e89b2e15, conformance/kcc-history/container/
    v1beta1/containercluster/containercluster-enableconfidentialnodesincluster@c9e89b2e15/
    _http.log #1 sends the cluster `confidentialNodes: {enabled: true, confidentialInstanceType:
    SEV}` and #3-#9 read no confidentialNodes in nodeConfig or in the pools' configs)."""
    if not isinstance(pool, dict) or not pool:
        return None
    if not pool.get("enabled"):
        return copy.deepcopy(pool)
    return {**pool, "confidentialInstanceType": pool.get("confidentialInstanceType") or "SEV"}


#: The cluster and pool names share 32 characters in the name of a pool's instance groups.
GROUP_NAME_BUDGET = 32


def group_name(cluster: str, pool: str, digest: str) -> str:
    """The name GKE gives a node pool's managed instance groups:
    `gke-<cluster>-<pool>-<8 hex>-grp`, the cluster name cut to leave the pool name up to 16
    characters of 32, the pool name cut to the rest (real recordings, kcc-golden container/
    v1beta1: `gke-containercluster-da4-default-pool-76327978-grp` in
    containercluster-intransitencryption, `gke-cluster-sample-m-nodepool-sample--e3d884cc-grp`
    and `gke-cluster-sample-ii7ur-default-pool-a7828737-grp` in containernodepool-kubeletconfig
    and -swap)."""
    head = cluster[: max(GROUP_NAME_BUDGET // 2, GROUP_NAME_BUDGET - len(pool))]
    return f"gke-{head}-{pool[: GROUP_NAME_BUDGET - len(head)]}-{digest}-grp"


def build_pool(
    call: Any, cluster: dict[str, Any], cluster_path: str, body: dict[str, Any], field: str
) -> dict[str, Any]:
    """A new pool as stored (PROVISIONING), from a NodePool request body."""
    name = k.check_name(body.get("name"), "Node pool", f"{field}.name")
    config = node_config(call, body.get("config"), cluster, f"{field}.config")
    autoscaling = check_autoscaling(body.get("autoscaling"), f"{field}.autoscaling")
    locations = check_locations(body.get("locations"), cluster, f"{field}.locations")
    # A pool's nodes are private as asked, else as the cluster's default says
    # (NodeNetworkConfig.enablePrivateNodes: "If enable_private_nodes is not specified, then the
    # value is derived from Cluster.NetworkConfig.default_enable_private_nodes",
    # https://cloud.google.com/kubernetes-engine/docs/reference/rest/v1/NodeNetworkConfig;
    # kcc-golden container/v1beta1/containercluster/containercluster-dnsendpoint-noipendpoint/
    # _http.log #11, the default pool of a cluster sent `defaultEnablePrivateNodes: true`).
    asked = (body.get("networkConfig") or {}).get("enablePrivateNodes")
    private_nodes = (
        bool(asked)
        if asked is not None
        else bool(
            cluster.get("privateClusterConfig", {}).get("enablePrivateNodes")
            or (cluster.get("networkConfig") or {}).get("defaultEnablePrivateNodes")
        )
    )
    initial = body.get("initialNodeCount")
    if initial is None:
        initial = 0 if autoscaling else None
    if initial is None or int(initial) < 0 or (int(initial) == 0 and not autoscaling):
        raise invalid(
            f'Invalid value for field "{field}.initial_node_count": a node pool without autoscaling needs'
            " initial_node_count greater than zero.",
            field=f"{field}.initial_node_count",
        )
    version = body.get("version")
    if version in (None, "", "-", "latest"):
        version = cluster["currentMasterVersion"]
    elif version != cluster["currentMasterVersion"]:
        raise invalid(
            f'Invalid value for field "{field}.version": node version "{version}" must match the master'
            f" version {cluster['currentMasterVersion']} or be older and supported.",
            field=f"{field}.version",
        )
    path = f"{cluster_path}/nodePools/{name}"
    project_id = cluster_path.split("/")[1]
    group = hashlib.sha256(path.encode()).hexdigest()[:8]

    def zone_group(zone: str) -> str:
        # A pool over several zones has a group of its own in each, each with its own digest and
        # an instance template named as it (real: conformance/kcc-history/container/v1beta1/
        # containercluster/containercluster-minimal@ec377bc8a3 #3 lists `...-default-pool-8c3d7fa5-grp`,
        # `...-035b8fa3-grp` and `...-edb41a76-grp` in us-west2-c, -a and -b; #4 and #5 read the
        # templates `...-8c3d7fa5` and `...-035b8fa3`).
        if len(locations) == 1:
            return group
        return hashlib.sha256(f"{path}/{zone}".encode()).hexdigest()[:8]

    pool: dict[str, Any] = {
        "name": name,
        "config": config,
        # A count of zero is not shown (proto3 JSON): a pool made with autoscaling and no count
        # reads without one (real GKE, k8s-config-connector 675a7c5c84: conformance/kcc-history/
        # container/v1beta1/containernodepool/containernodepool@675a7c5c84/_http.log #8 sends
        # none, #10-#26 read none; containernodepool-enableconfidentialnodes@c9e89b2e15 #14-#26).
        **({"initialNodeCount": int(initial)} if int(initial) else {}),
        "locations": locations,
        "management": {"autoRepair": True, "autoUpgrade": True, **(body.get("management") or {})},
        "upgradeSettings": body.get("upgradeSettings") or {"maxSurge": 1, "strategy": "SURGE"},
        "maxPodsConstraint": body.get("maxPodsConstraint") or {"maxPodsPerNode": "110"},
        "podIpv4CidrSize": 24,
        "networkConfig": {
            "podRange": cluster["ipAllocationPolicy"].get("clusterSecondaryRangeName", ""),
            "podIpv4CidrBlock": cluster["ipAllocationPolicy"].get("clusterIpv4CidrBlock", ""),
            # An `optional` bool: shown as sent, false too (kcc-golden container/v1beta1/
            # containernodepool/containernodepool-subnetworkref/_http.log #16 sends false and #18
            # reads it); derived from the cluster, shown only when true (no pool of a public
            # cluster in containercluster-minimal/_http.log has it).
            **({"enablePrivateNodes": private_nodes} if private_nodes or asked is not None else {}),
            # The pool's nodes sit in the cluster's subnetwork (containercluster-minimal).
            "subnetwork": cluster["networkConfig"]["subnetwork"],
        },
        "version": version,
        "selfLink": k.link(path),
        "instanceGroupUrls": [
            f"{k.COMPUTE_ROOT}projects/{project_id}/zones/{zone}/instanceGroupManagers/"
            f"{group_name(cluster['name'], name, zone_group(zone))}"
            for zone in locations
        ],
        "_created": call.ctx.clock.rfc3339(),
        # The nodes' instance template is named as the groups are, less `-grp`, until an update
        # of the nodes makes a new one (`template_digest`).
        "_template": group if len(locations) == 1 else None,
        "etag": k.new_etag(),
        "status": "PROVISIONING",
        # initialNodeCount is per zone: a pool starts with that many nodes in each of its zones
        # ("the number of nodes to create in each location",
        # https://cloud.google.com/kubernetes-engine/docs/how-to/cluster-autoscaler; a regional
        # pool is replicated across three zones by default,
        # https://cloud.google.com/kubernetes-engine/docs/concepts/regional-clusters).
        "_nodeCount": int(initial) * len(locations),
    }
    if autoscaling:
        pool["autoscaling"] = autoscaling
    if body.get("placementPolicy"):
        pool["placementPolicy"] = body["placementPolicy"]
    if (body.get("queuedProvisioning") or {}).get("enabled"):
        # Nodes only through the Dynamic Workload Scheduler's queued requests, as asked
        # (NodePool.queuedProvisioning, https://cloud.google.com/kubernetes-engine/docs/reference/
        # rest/v1/projects.locations.clusters.nodePools#queuedprovisioning;
        # containernodepool-queuedprovisioning/_http.log #8 sends it, #10 reads it).
        pool["queuedProvisioning"] = {"enabled": True}
    return pool
