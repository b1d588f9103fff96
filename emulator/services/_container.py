"""What the GKE modules share: names and locations, which operations may run side by side,
the container Operation, versions, labels, and how a stored cluster is shown.

Clusters and node pools are stored apart (`container.cluster`, `container.nodePool`
with the cluster as parent) so that each operation's effects touch one record; a
cluster is shown with its pools embedded, as the API shows it.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
import secrets
import uuid
from collections.abc import Iterable
from typing import Any

from emulator.effects import Effect
from emulator.errors import ApiError, failed_precondition, invalid, not_found
from emulator.locations import REGIONS
from emulator.registry import Call, Reply

ROOT = "https://container.googleapis.com/v1/"
COMPUTE_ROOT = "https://www.googleapis.com/compute/v1/"
CLUSTER = "container.cluster"
_LOCATION_PATH = re.compile(r"^(projects/[^/]+/)locations/([^/]+)(/.*)?$")


def link(path: str) -> str:
    """The GKE link to `projects/*/locations/*/...`: a zone's is written `zones/<zone>`.

    GKE links a zonal cluster, its node pools and its operations under `zones/`, a regional one
    under `locations/` (kcc-golden container/v1beta1/containercluster/containercluster/_http.log:
    `.../zones/us-central1-a/clusters/...` and `.../operations/...`; containercluster-autopilot
    and others: `.../locations/us-central1/clusters/...`), whatever path the request used.
    """
    m = _LOCATION_PATH.match(path)
    if not m or m.group(2) in REGIONS:
        return ROOT + path
    return f"{ROOT}{m.group(1)}zones/{m.group(2)}{m.group(3) or ''}"


NODE_POOL = "container.nodePool"
NETWORK = "compute.network"
SUBNETWORK = "compute.subnetwork"

NAME = re.compile(r"^[a-z](?:[-a-z0-9]{0,38}[a-z0-9])?$")
ZONE = re.compile(r"^([a-z]+-[a-z]+\d+)-([a-z])$")
LABEL_KEY = re.compile(r"^[a-z][-_a-z0-9]{0,62}$")
LABEL_VALUE = re.compile(r"^[-_a-z0-9]{0,63}$")
#: The zones a regional cluster spreads over when none are named: three zones of the region
#: (https://cloud.google.com/kubernetes-engine/docs/concepts/regional-clusters).
DEFAULT_ZONE_LETTERS = ("a", "b", "c")
#: Default version per release channel (what getServerConfig offers). GKE versions move every
#: week, so any table is a snapshot: this one is the newest the real recordings show, REGULAR
#: 1.35.6-gke.1250000 (kcc-golden container/v1beta1/containercluster/containercluster-swap, a
#: cluster sent no version) and STABLE 1.34.9-gke.1131000 (containernodepool-swap, sent
#: `initialClusterVersion: "1.34"`), with RAPID and EXTENDED from the release notes of the
#: same weeks (https://cloud.google.com/kubernetes-engine/docs/release-notes, "Default patch
#: version for cluster creation": Rapid 1.36.0-gke.3302004, Extended 1.35.5-gke.1163012). The
#: older GKE logs of the corpus (1.30.5-gke.1014001) were written by mockgcp, which hard-codes
#: that version (k8s-config-connector mockgcp/mockcontainer/cluster.go at cdb85ecf17).
CHANNEL_VERSIONS = {
    "RAPID": "1.36.0-gke.3302004",
    "REGULAR": "1.35.6-gke.1250000",
    "STABLE": "1.34.9-gke.1131000",
    "EXTENDED": "1.35.5-gke.1163012",
}
DEFAULT_CHANNEL = "REGULAR"
#: The Container-Optimized OS build of each version's node image ("COS version of default
#: patch version" in the release notes above; gke-1356-gke1250000-cos-125-19216-395-109-c-pre
#: and gke-1349-gke1131000-cos-125-19216-395-109-c-pre in containercluster-swap and
#: containernodepool-swap).
COS_BUILDS = {
    "1.36.0-gke.3302004": "129-19506-120-64",
    "1.35.6-gke.1250000": "125-19216-395-109",
    "1.34.9-gke.1131000": "125-19216-395-109",
    "1.35.5-gke.1163012": "125-19216-395-7",
}


# locations and names


def is_zone(location: str) -> bool:
    m = ZONE.match(location)
    return bool(m and m.group(1) in REGIONS)


def region_of(location: str) -> str:
    m = ZONE.match(location)
    return m.group(1) if m and m.group(1) in REGIONS else location


def default_zones(location: str) -> list[str]:
    if is_zone(location):
        return [location]
    return [f"{location}-{letter}" for letter in DEFAULT_ZONE_LETTERS]


def parent(call: Call, value: str, permission: str, *, any_location: bool = False) -> tuple[str, str, str]:
    """(project id, project number, location) of `projects/*/locations/*`."""
    m = re.fullmatch(r"projects/([^/]+)/locations/([^/]+)", value or "")
    if not m:
        raise invalid(f"Invalid parent '{value}'.", field="parent")
    project_id, number = call.ctx.projects.require(m.group(1), permission)
    location = m.group(2)
    if location == "-" and any_location:
        return project_id, number, location
    if location not in REGIONS and not is_zone(location):
        raise invalid(f'Location "{location}" is not a valid zone or region.', field="parent")
    return project_id, number, location


def cluster_path(project_id: str, location: str, name: str) -> str:
    return f"projects/{project_id}/locations/{location}/clusters/{name}"


def split_cluster(call: Call, name: str, permission: str) -> tuple[str, str, str, str]:
    """(project id, number, location, canonical cluster path) of a cluster name."""
    head, sep, cluster = (name or "").partition("/clusters/")
    if not sep or "/" in cluster or not cluster:
        raise invalid(f"Invalid cluster name '{name}'.", field="name")
    project_id, number, location = parent(call, head, permission)
    return project_id, number, location, cluster_path(project_id, location, cluster)


def split_pool(call: Call, name: str, permission: str) -> tuple[str, str, str, str, str]:
    """(project id, number, location, cluster path, pool path) of a node pool name."""
    head, sep, pool = (name or "").partition("/nodePools/")
    if not sep or "/" in pool or not pool:
        raise invalid(f"Invalid node pool name '{name}'.", field="name")
    project_id, number, location, cluster = split_cluster(call, head, permission)
    return project_id, number, location, cluster, f"{cluster}/nodePools/{pool}"


def check_name(value: Any, what: str, field: str) -> str:
    if not isinstance(value, str) or not NAME.match(value):
        raise invalid(
            f'Invalid value for field "{field}": "{value}": {what} names must start with a lowercase'
            " letter, contain only lowercase letters, numbers and hyphens, end with a letter or number,"
            " and be at most 40 characters long.",
            field=field,
        )
    return value


def check_labels(labels: Any, field: str) -> dict[str, str]:
    labels = dict(labels or {})
    for key, value in labels.items():
        if not LABEL_KEY.match(key) or not isinstance(value, str) or not LABEL_VALUE.match(value):
            raise invalid(
                f'Invalid value for field "{field}": label "{key}"="{value}" is invalid: keys must'
                " match [a-z][-_a-z0-9]{0,62} and values [-_a-z0-9]{0,63}.",
                field=field,
            )
    if len(labels) > 64:
        raise invalid(f'Invalid value for field "{field}": at most 64 labels are allowed.', field=field)
    return labels


def label_fingerprint(labels: dict[str, str]) -> str:
    return hashlib.sha256(json.dumps(labels, sort_keys=True).encode()).hexdigest()[:8]


def new_etag() -> str:
    """GKE's etags are UUIDs (the pools embedded in every real cluster read of kcc-golden
    container/v1beta1/containercluster/containercluster-swap: `"etag": "cbe03b53-d098-...`)."""
    return str(uuid.uuid4())


# lookups


def fetch_cluster(call: Call, path: str) -> dict[str, Any]:
    found = call.ctx.store.get(CLUSTER, path)
    if found is None:
        raise not_found(f"Not found: {path}.")
    return found


def fetch_pool(call: Call, path: str) -> dict[str, Any]:
    found = call.ctx.store.get(NODE_POOL, path)
    if found is None:
        raise not_found(f"Not found: {path}.")
    return found


def pools_of(call: Call, cluster: str) -> list[dict[str, Any]]:
    """The cluster's pools in the order they were made, as GKE lists them (real GKE,
    k8s-config-connector 460da51743: conformance/kcc-history/container/v1beta1/containernodepool/
    containernodepool-subnetworkref@460da51743/_http.log #27 lists `default-pool`, then the pool
    #16 made, whose name sorts first); pools made with the cluster in the order it was sent."""
    pools = call.ctx.store.list(NODE_POOL, cluster)
    return sorted(pools, key=lambda p: (str(p.get("_created", "")), int(p.get(POOL_RANK, 0))))


#: A pool's place among those its cluster was created with.
POOL_RANK = "_rank"


def public(resource: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in resource.items() if not k.startswith("_")}


def _default_parallel_pulls(config: dict[str, Any]) -> int:
    """How many images the kubelet pulls at once unless told: "2 or 3 depending on the disk
    type" (https://cloud.google.com/kubernetes-engine/docs/reference/rest/v1/NodeConfig,
    NodeKubeletConfig.maxParallelImagePulls): 3 on nodes whose ephemeral storage is on local
    SSDs (conformance/kcc-golden/container/v1beta1/containercluster/
    containercluster-swap-dedicated-ssd/_http.log #3, containernodepool/
    containernodepool-swap-ephemeral-ssd-gib/_http.log #10), 2 on a persistent boot disk
    (containercluster-swap/_http.log #3)."""
    local_ssd = config.get("ephemeralStorageLocalSsdConfig") or {}
    return 3 if int(local_ssd.get("localSsdCount") or 0) > 0 else 2


def show_pool(pool: dict[str, Any], cluster_pools: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """A node pool as GKE shows it: its config also gives the boot disk, the cgroup mode and the
    kubelet settings GKE chose, as every pool read of conformance/kcc-golden/container/v1beta1/
    containercluster/containercluster-minimal/_http.log shows them."""
    out = public(pool)
    config = out.get("config")
    if isinstance(config, dict):
        config = out["config"] = copy.deepcopy(config)
        if "diskSizeGb" in config and "diskType" in config:
            config.setdefault(
                "bootDisk", {"diskType": config["diskType"], "sizeGb": str(config["diskSizeGb"])}
            )
        config.setdefault("effectiveCgroupMode", "EFFECTIVE_CGROUP_MODE_V2")
        kubelet = config.setdefault("kubeletConfig", {})
        kubelet.setdefault("insecureKubeletReadonlyPortEnabled", False)
        kubelet.setdefault("maxParallelImagePulls", _default_parallel_pulls(config))
        config.setdefault("windowsNodeConfig", {})
        image = node_image(str(out.get("version", "")), str(config.get("imageType", "")))
        if image:
            config.setdefault("nodeImageConfig", image)
        # GKE labels the nodes' VMs with how they are provisioned: `on-demand` on every real
        # pool read (containercluster-swap, containernodepool-swap); the value for Spot and
        # preemptible pools is not recorded, so they get none here.
        if not config.get("spot") and not config.get("preemptible"):
            labels = config.setdefault("resourceLabels", {})
            labels.setdefault("goog-gke-node-pool-provisioning-model", "on-demand")
    network = out.get("networkConfig")
    if isinstance(network, dict):
        network = out["networkConfig"] = copy.deepcopy(network)
        # (containercluster-swap, every pool read.)
        network.setdefault("networkTierConfig", {"networkTier": "NETWORK_TIER_DEFAULT"})
        # The share of the Pod range in use is shown in the cluster's list of pools only, and
        # it is the range's: every pool on it counts (containernodepool-swap/_http.log #19, two
        # pools on the cluster's range read 0.003 each with three nodes between them; the pool
        # read on its own, #10-#24 there and in containernodepool-kubeletconfig, shows none).
        # A share of zero is not shown (proto3 JSON).
        share = range_utilization(pool, cluster_pools) if cluster_pools is not None else 0
        if share:
            network.setdefault("podIpv4RangeUtilization", share)
    if "_created" in pool:
        # The nodes' TPM bootstrap certificate lasts five years from the pool's creation
        # (containercluster-swap: a pool made on 2026-08-11 reads `2031-08-11T23:08:33Z`).
        created = str(pool["_created"])
        out.setdefault(
            "kubeletCertInfo", {"tpmBootstrapCertExpireTime": f"{int(created[:4]) + 5}{created[4:19]}Z"}
        )
    return out


def pod_range_utilization(pool: dict[str, Any]) -> float:
    """The share of the Pod range the pool's nodes hold: each node a /podIpv4CidrSize of the
    range, rounded to three places as GKE shows it (0.002 for two nodes' /24s of a /14 in
    containercluster-swap)."""
    block = str((pool.get("networkConfig") or {}).get("podIpv4CidrBlock") or "")
    prefix = int(block.rsplit("/", 1)[1]) if "/" in block else 14
    per_node = 2 ** (32 - int(pool.get("podIpv4CidrSize") or 24))
    return round(registered_nodes(pool) * per_node / 2 ** (32 - prefix), 3)


def range_utilization(pool: dict[str, Any], cluster_pools: list[dict[str, Any]]) -> float:
    """The share of the pool's Pod range the nodes of every pool on that range hold."""
    pod_range = (pool.get("networkConfig") or {}).get("podRange")
    sharing = [p for p in cluster_pools if (p.get("networkConfig") or {}).get("podRange") == pod_range]
    nodes = sum(registered_nodes(p) for p in sharing or [pool])
    return pod_range_utilization({**pool, "_nodeCount": nodes, "_replacedNodes": 0})


def registered_nodes(pool: dict[str, Any]) -> int:
    """The pool's nodes as the cluster counts them: those of its groups and the ones an upgrade
    replaced, still registered (see container_nodepools.update_node_pool)."""
    return int(pool.get("_nodeCount", 0)) + int(pool.get("_replacedNodes", 0))


#: What GKE shows on a cluster that did not ask for these: the settings of a new Standard
#: cluster, as every read of a running cluster in conformance/kcc-golden/container/v1beta1/
#: containercluster/containercluster-minimal/_http.log shows them.
CLUSTER_SHOWN_DEFAULTS: dict[str, Any] = {
    "addonsConfig": {
        # NodeLocal DNSCache is on in every real cluster read (containercluster-swap).
        "dnsCacheConfig": {"enabled": True},
        "gcePersistentDiskCsiDriverConfig": {"enabled": True},
        "kubernetesDashboard": {"disabled": True},
        "networkPolicyConfig": {"disabled": True},
    },
    "anonymousAuthenticationConfig": {"mode": "ENABLED"},
    "autopilot": {},
    "binaryAuthorization": {},
    "clusterTelemetry": {"type": "ENABLED"},
    "databaseEncryption": {"currentState": "CURRENT_STATE_DECRYPTED", "state": "DECRYPTED"},
    "enterpriseConfig": {"clusterTier": "STANDARD"},
    "legacyAbac": {},
    "nodePoolAutoConfig": {"nodeKubeletConfig": {"insecureKubeletReadonlyPortEnabled": False}},
    "nodePoolDefaults": {
        "nodeConfigDefaults": {
            "loggingConfig": {"variantConfig": {"variant": "DEFAULT"}},
            "nodeKubeletConfig": {"insecureKubeletReadonlyPortEnabled": False},
        }
    },
    "podAutoscaling": {"hpaProfile": "PERFORMANCE"},
    # What every real read of a GKE 1.34/1.35 cluster shows besides (kcc-golden container/v1beta1/
    # containercluster/containercluster-swap, containernodepool/containernodepool-swap).
    "controlPlaneEgress": {"mode": "VIA_CONTROL_PLANE"},
    "master": {},
    "privateCluster": True,
    "protectConfig": {
        "workloadConfig": {"auditMode": "BASIC"},
        "workloadVulnerabilityMode": "WORKLOAD_VULNERABILITY_MODE_UNSPECIFIED",
    },
    "rbacBindingConfig": {
        "enableInsecureBindingSystemAuthenticated": True,
        "enableInsecureBindingSystemUnauthenticated": True,
    },
    "securityPostureConfig": {"mode": "BASIC", "vulnerabilityMode": "VULNERABILITY_MODE_UNSPECIFIED"},
    "userManagedKeysConfig": {},
    "networkConfig": {"serviceExternalIpsConfig": {}, "defaultSnatStatus": {}},
    "ipAllocationPolicy": {"networkTierConfig": {"networkTier": "NETWORK_TIER_DEFAULT"}},
    "monitoringConfig": {
        "advancedDatapathObservabilityConfig": {},
        "componentConfig": {
            "enableComponents": [
                "SYSTEM_COMPONENTS",
                "DAEMONSET",
                "DEPLOYMENT",
                "STATEFULSET",
                "JOBSET",
                "STORAGE",
                "HPA",
                "POD",
                "CADVISOR",
                "KUBELET",
                "DCGM",
            ]
        },
        "managedPrometheusConfig": {"enabled": True},
    },
    "loggingConfig": {"componentConfig": {"enableComponents": ["SYSTEM_COMPONENTS", "WORKLOADS"]}},
    "masterAuth": {"clientCertificateConfig": {}},
}
#: Messages whose only field is a false `enabled`: proto3 JSON shows them empty.
_EMPTY_WHEN_OFF = ("autopilot", "binaryAuthorization", "legacyAbac")


def _fill(out: dict[str, Any], defaults: dict[str, Any]) -> None:
    for key, value in defaults.items():
        if key not in out:
            out[key] = copy.deepcopy(value)
        elif key == "addonsConfig" and isinstance(out[key], dict):
            # An addon that was set stays as set: one turned off reads `{}`, not the default
            # (kcc-golden container/v1beta1/containercluster/containercluster-addon/_http.log
            # #10, after #8 turned every addon off).
            for addon, config in value.items():
                out[key].setdefault(addon, copy.deepcopy(config))
        elif isinstance(value, dict) and value and isinstance(out[key], dict):
            _fill(out[key], value)


#: Enum values that are their enum's zero, which proto3 JSON leaves out like any zero: the
#: `*_UNSPECIFIED` ones, and IstioConfig.IstioAuthMode's AUTH_NONE = 0 (google/container/v1beta1/
#: cluster_service.proto; kcc-golden container/v1beta1/containercluster/containercluster-addon/
#: _http.log #15 sends `istioConfig: {auth: AUTH_NONE, disabled: false}` and #17 reads
#: `istioConfig: {}`).
ZERO_ENUMS = ("AUTH_NONE",)


def _zero(value: Any) -> bool:
    if isinstance(value, str) and (value in ZERO_ENUMS or value.endswith("_UNSPECIFIED")):
        return True
    return value in (False, "", None, [], 0)


def proto3(value: Any) -> Any:
    """A message as proto3 JSON shows it: its false, empty and zero scalars left out."""
    if isinstance(value, dict):
        return {k2: proto3(v) for k2, v in value.items() if not _zero(v)}
    return value


def show_cluster(call: Call, record: dict[str, Any], path: str) -> dict[str, Any]:
    """The cluster as the API returns it: its pools embedded, node counts summed."""
    pools = pools_of(call, path)
    out = public(record)
    for key in _EMPTY_WHEN_OFF:
        if out.get(key) == {"enabled": False}:
            out[key] = {}
    if isinstance(out.get("addonsConfig"), dict):
        out["addonsConfig"] = {name: proto3(config) for name, config in out["addonsConfig"].items()}
    if minor_of(str(out.get("currentMasterVersion", ""))) >= 35:
        # From GKE 1.35 on (every 1.35 read of containercluster-swap, -intransitencryption and
        # containernodepool-kubeletconfig; no 1.34 read of containernodepool-swap has them):
        # anonymous access limited to the health endpoints, nodes registered by the kubelet,
        # and the node readiness addon.
        _fill(
            out,
            {
                "anonymousAuthenticationConfig": {"mode": "LIMITED"},
                "nodeCreationConfig": {"nodeCreationMode": "VIA_KUBELET"},
                "addonsConfig": {"nodeReadinessConfig": {}},
            },
        )
    _fill(out, CLUSTER_SHOWN_DEFAULTS)
    components = (out.get("loggingConfig") or {}).get("componentConfig")
    if isinstance(components, dict) and components.get("enableComponents") == []:
        # No component left is shown as an empty message (proto3 JSON; containercluster@4966a6d0d8
        # in conformance/kcc-history, #31 after the logging service was turned off).
        out["loggingConfig"] = {**out["loggingConfig"], "componentConfig": {}}
    _show_private_nodes(out)
    _show_ip_endpoints(out)
    policy = out.get("ipAllocationPolicy")
    measured = bool(record.get(RANGE_MEASURED))
    share = round(sum(pod_range_utilization(p) for p in pools), 3) if measured else 0
    if isinstance(policy, dict) and policy.get("useIpAliases") and share:
        # (containercluster-swap: 0.002 for its two nodes, as its one pool shows.)
        policy.setdefault("defaultPodIpv4RangeUtilization", share)
    if pools:
        out["nodePools"] = [show_pool(p, pools if measured else None) for p in pools]
        # The cluster-level nodeConfig and initialNodeCount are those of its first pool
        # (conformance/kcc-golden/container/v1beta1/containercluster/containercluster-minimal/).
        first = out["nodePools"][0]
        if "config" in first:
            out.setdefault("nodeConfig", copy.deepcopy(first["config"]))
        if "initialNodeCount" in first:
            out.setdefault("initialNodeCount", first["initialNodeCount"])
        urls = [u for p in pools for u in p.get("instanceGroupUrls", [])]
        if urls:
            out["instanceGroupUrls"] = urls
    count = sum(registered_nodes(p) for p in pools) + int(record.get(LINGERING_NODES, 0))
    if count:
        out["currentNodeCount"] = count
    return out


#: Set on a cluster once GKE has measured its Pod range: the share in use is not shown on a new
#: cluster, only after its nodes first change. The real 1.35 clusters read no
#: `podIpv4RangeUtilization` with their first node (kcc-golden container/v1beta1/containercluster/
#: containercluster-swap/_http.log #3-#9, containercluster-swap-gib #3-#9,
#: containercluster-intransitencryption #3-#18, containercluster-kubeletconfigupdateignored
#: #3-#13, containernodepool/containernodepool-swap-ephemeral-ssd-gib #3-#5 and
#: containernodepool-kubeletconfig #3-#5) and read it once a pool's nodes were replaced, added or
#: deleted (containercluster-swap #12-#16 after the PUT #10; containernodepool-kubeletconfig #19
#: after the new pool, #27 after its delete). Two logs read it from the start
#: (containercluster-swap-dedicated-ssd #3, containernodepool-swap #3): when GKE first measures
#: the range is not fixed, and the emulator takes the first change of the nodes.
RANGE_MEASURED = "_rangeMeasured"
#: Nodes of deleted pools still registered with the cluster (container_nodepools.delete_node_pool).
LINGERING_NODES = "_lingeringNodes"


def _show_private_nodes(out: dict[str, Any]) -> None:
    """privateClusterConfig.enablePrivateNodes mirrors networkConfig.defaultEnablePrivateNodes,
    which replaces it ("Deprecated: Use NetworkConfig.default_enable_private_nodes instead",
    https://cloud.google.com/kubernetes-engine/docs/reference/rest/v1/projects.locations.clusters#privateclusterconfig;
    kcc-golden container/v1beta1/containercluster/containercluster-dnsendpoint-noipendpoint/
    _http.log #9 sends `networkConfig.defaultEnablePrivateNodes: true` alone and #11 reads
    `privateClusterConfig.enablePrivateNodes: true`; containercluster-dnsendpoint-ipendpoint #20
    sets it through desiredDefaultEnablePrivateNodes and #22 reads the same)."""
    if (out.get("networkConfig") or {}).get("defaultEnablePrivateNodes"):
        private = out["privateClusterConfig"] = copy.deepcopy(out.get("privateClusterConfig") or {})
        private.setdefault("enablePrivateNodes", True)


def _show_ip_endpoints(out: dict[str, Any]) -> None:
    """The control plane's addresses are shown only where they exist: none when its IP endpoints
    are off, and no public one when the public endpoint is off (IPEndpointsConfig.publicEndpoint,
    "Only populated if enabled", https://cloud.google.com/kubernetes-engine/docs/reference/rest/v1/
    projects.locations.clusters#ipendpointsconfig; kcc-golden container/v1beta1/containercluster/
    containercluster-dnsendpoint-noipendpoint/_http.log #9 creates a cluster with
    `ipEndpointsConfig: {enabled: false}` and #11 reads that alone, and a privateClusterConfig
    without addresses; containercluster-private-privateendpointsubnetwork #18 turns the public
    endpoint off and #20 reads no `ipEndpointsConfig.publicEndpoint`)."""
    endpoints = out.get("controlPlaneEndpointsConfig")
    ip = (endpoints or {}).get("ipEndpointsConfig")
    if not isinstance(ip, dict):
        return
    endpoints = out["controlPlaneEndpointsConfig"] = copy.deepcopy(endpoints)
    if ip.get("enabled") is False:
        endpoints["ipEndpointsConfig"] = {"enabled": False}
        # The control plane is reached by its DNS name alone, which `endpoint` gives; the older
        # privateClusterConfig keeps its public address but not the private one (real GKE,
        # k8s-config-connector a9901101de: conformance/kcc-history/container/v1beta1/
        # containercluster/containercluster-dnsendpoint-noipendpoint@a9901101de/_http.log #9
        # creates with `ipEndpointsConfig: {enabled: false}`, #11-#24 read `endpoint` as the DNS
        # endpoint, `privateClusterConfig: {enablePrivateNodes: true, publicEndpoint: ...}` and
        # no masterAuthorizedNetworksConfig).
        dns = (endpoints.get("dnsEndpointConfig") or {}).get("endpoint")
        if dns:
            out["endpoint"] = dns
        private = out.get("privateClusterConfig")
        if isinstance(private, dict):
            out["privateClusterConfig"] = {
                key: value for key, value in private.items() if key != "privateEndpoint"
            }
        out.pop("masterAuthorizedNetworksConfig", None)
    elif ip.get("enablePublicEndpoint") is False:
        endpoints["ipEndpointsConfig"].pop("publicEndpoint", None)


def refuse_autopilot(cluster: dict[str, Any]) -> None:
    if (cluster.get("autopilot") or {}).get("enabled"):
        raise failed_precondition(
            "Node pool operations are not supported on Autopilot clusters: GKE creates and manages"
            " their nodes."
        )


# operations: one cluster-level operation, or one per node pool, at a time


#: GKE's concurrent operations quota per cluster: beyond it, a 429
#: ('Too many operations: cluster "NAME" hits the concurrent operations quota 5, please try
#: again later.', https://github.com/hashicorp/terraform-provider-google/issues/15205 and
#: https://github.com/hashicorp/terraform-provider-google/issues/15579).
CONCURRENT_OPERATIONS = 5


def check_idle(call: Call, cluster: str) -> None:
    """GKE runs one cluster-level operation at a time, or one operation per node pool, so
    operations on different pools run side by side while the cluster itself is not changing
    (https://cloud.google.com/kubernetes-engine/docs/troubleshooting/concurrent-operations:
    "GKE allows only one cluster-level operation or one operation per node pool to run at a
    time"). A conflicting one is refused with "Cluster is running incompatible operation"
    (the same page); past the cluster's quota of concurrent operations, a 429.
    """
    running = call.ctx.operations.in_flight(cluster)
    pool = _pool_of(call)
    conflicting = [r for r in running if pool is None or _pool_in(r) in (None, pool)]
    if conflicting:
        short = conflicting[0]["name"].rsplit("/", 1)[-1]
        raise ApiError(
            400,
            f"Cluster is running incompatible operation {short}.",
            status="FAILED_PRECONDITION",
            reason="failedPrecondition",
            details=[_request_info()],
        )
    if len(running) >= CONCURRENT_OPERATIONS:
        name = cluster.rsplit("/", 1)[-1]
        raise ApiError(
            429,
            f'Too many operations: cluster "{name}" hits the concurrent operations quota '
            f"{CONCURRENT_OPERATIONS}, please try again later.",
            status="RESOURCE_EXHAUSTED",
            reason="rateLimitExceeded",
            details=[_request_info()],
        )


def _request_info() -> dict[str, Any]:
    return {"@type": "type.googleapis.com/google.rpc.RequestInfo", "requestId": uuid.uuid4().hex[:16]}


def _pool_of(call: Call) -> str | None:
    """The node pool a node pool method acts on (the new one for a create); None for the
    cluster's own methods."""
    if ".nodePools." not in call.method.id:
        return None
    if call.method.id.endswith(".nodePools.create"):
        return str(((call.body or {}).get("nodePool") or {}).get("name") or "")
    return call.param("name").partition("/nodePools/")[2] or None


def _pool_in(record: dict[str, Any]) -> str | None:
    """The node pool an operation in flight acts on, from its target link; None when it acts
    on the cluster."""
    return str(record["extra"].get("targetLink", "")).partition("/nodePools/")[2] or None


def operation(
    call: Call,
    *,
    cluster: str,
    op_type: str,
    target: str,
    effects: Iterable[Effect] = (),
    failure_effects: Iterable[Effect] = (),
    progress: list[dict[str, str]] | None = None,
) -> Reply:
    """Start a container Operation on `cluster` (its canonical path); its effects land when it
    is DONE.

    `target` is the path of what it acts on (the cluster or one of its pools); links
    name the project by number, as GKE's operation links do.
    """
    _, project_id, _, location = cluster.split("/")[:4]
    _, number = call.ctx.projects.require(project_id)
    short = f"operation-{int(call.ctx.clock.now() * 1000)}-{secrets.token_hex(4)}"
    by_number = target.replace(f"projects/{project_id}/", f"projects/{number}/", 1)
    extra = {
        "zone": location,
        "operationType": op_type,
        "selfLink": link(f"projects/{number}/locations/{location}/operations/{short}"),
        "targetLink": link(by_number),
        # `zone` names the location, zone or region; no GKE operation recorded has a `location`
        # (kcc-golden container/v1beta1: 152 GKE operation answers, `"zone": "us-central1"` for
        # a regional cluster's).
    }
    if progress is None and op_type == "CREATE_CLUSTER":
        progress = CREATE_PROGRESS
    if progress:
        extra["_progress"] = progress
    record = call.ctx.operations.start(
        name=f"projects/{project_id}/locations/{location}/operations/{short}",
        style="container",
        extra=extra,
        duration_key=("container", op_type),
        effects=effects,
        failure_effects=failure_effects,
        target=cluster,
    )
    return Reply(body=call.ctx.operations.view(record), response_ref="Operation")


def channel_of(requested: str | None) -> str:
    """The channel a cluster sent a version and no channel is enrolled in: the most stable one
    that offers the version (containernodepool-swap sent `initialClusterVersion: "1.34"` and no
    channel, and reads `releaseChannel: STABLE` with 1.34.9-gke.1131000); else REGULAR, the
    default ("The Regular channel is the default",
    https://cloud.google.com/kubernetes-engine/docs/concepts/release-channels)."""
    if requested and requested not in ("-", "latest"):
        for channel in ("STABLE", "REGULAR", "RAPID", "EXTENDED"):
            version = CHANNEL_VERSIONS[channel]
            if version == requested or version.startswith(requested + "."):
                return channel
    return DEFAULT_CHANNEL


def minor_of(version: str) -> int:
    """The minor version of a GKE version (`1.35.6-gke.1250000` -> 35)."""
    parts = version.split(".")
    return int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0


def node_image(version: str, image_type: str) -> dict[str, str] | None:
    """The node image GKE picks for a COS pool at `version`:
    `gke-<1356>-gke<1250000>-cos-<build>-c-pre` in project gke-node-images (every real pool
    read of containercluster-swap and containernodepool-swap)."""
    build = COS_BUILDS.get(version)
    if image_type != "COS_CONTAINERD" or not build:
        return None
    numbers, _, gke = version.partition("-gke.")
    return {
        "image": f"gke-{numbers.replace('.', '')}-gke{gke}-cos-{build}-c-pre",
        "imageProject": "gke-node-images",
    }


def _metrics(**counts: int) -> list[dict[str, str]]:
    return [{"intValue": str(value), "name": name} for name, value in counts.items()]


#: The steps of a cluster's creation as GKE counts them (containercluster-swap/_http.log #2).
CREATE_PROGRESS = _metrics(
    CLUSTER_CONFIGURING=8,
    CLUSTER_CONFIGURING_TOTAL=8,
    CLUSTER_DEPLOYING=10,
    CLUSTER_DEPLOYING_TOTAL=10,
    CLUSTER_HEALTHCHECKING=1,
    CLUSTER_HEALTHCHECKING_TOTAL=2,
)


def upgrade_progress(nodes: int) -> list[dict[str, str]]:
    """The nodes an upgrade of a pool went through, all of them (containercluster-swap #11); a
    pool without nodes counts its total alone (real GKE, k8s-config-connector 675a7c5c84:
    conformance/kcc-history/container/v1beta1/containernodepool/containernodepool@675a7c5c84/
    _http.log #19 updates the taints of a pool of no nodes, and #20 reads its UPGRADE_NODES
    operation done with `metrics: [{name: NODES_TOTAL, intValue: "0"}]`)."""
    if not nodes:
        return NO_NODES_PROGRESS
    return _metrics(
        NODES_TOTAL=nodes, NODES_FAILED=0, NODES_COMPLETE=nodes, NODES_DONE=nodes, NODE_PDB_DELAY_SECONDS=0
    )


#: The progress of an operation on a pool that reaches none of its nodes (see upgrade_progress;
#: containernodepool@675a7c5c84 #18 reads the same for the UPDATE_CLUSTER of #17, which changes
#: the pool's autoscaling limits).
NO_NODES_PROGRESS = _metrics(NODES_TOTAL=0)


def version_for(channel: str | None, requested: str | None) -> str:
    """The version a new cluster gets: the requested one if offered, else the channel's."""
    offered = set(CHANNEL_VERSIONS.values())
    if requested and requested not in ("-", "latest"):
        if requested not in offered and not any(v.startswith(requested + ".") for v in offered):
            raise invalid(
                f'Master version "{requested}" is unsupported; see getServerConfig for valid versions.',
                field="cluster.initial_cluster_version",
            )
        return next(v for v in sorted(offered) if v == requested or v.startswith(requested + "."))
    return CHANNEL_VERSIONS.get(channel or DEFAULT_CHANNEL, CHANNEL_VERSIONS[DEFAULT_CHANNEL])
