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


def as_requested(pool: dict[str, Any], path: str) -> dict[str, Any]:
    """A node pool read on its own: its selfLink is written the way the request named it.

    A zonal pool fetched by `nodePools.get` through `locations/<zone>` links itself under
    `locations/`, while the same pool inside its cluster links under `zones/` (kcc-golden
    container/v1beta1/containernodepool/containernodepool/_http.log, the nodePools GETs against
    the cluster GETs; so in six of the nine node pool logs, while containernodepool-swap,
    -swap-ephemeral-ssd-gib and -kubeletconfig answer under `zones/`).
    """
    return {**pool, "selfLink": ROOT + path} if "selfLink" in pool else pool


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
#: Default version per release channel (what getServerConfig offers).
CHANNEL_VERSIONS = {
    "RAPID": "1.34.1-gke.1431000",
    "REGULAR": "1.33.5-gke.1162000",
    "STABLE": "1.32.9-gke.1108000",
    "EXTENDED": "1.31.13-gke.1023000",
}
DEFAULT_CHANNEL = "REGULAR"


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
    return secrets.token_hex(8)


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
    return call.ctx.store.list(NODE_POOL, cluster)


def public(resource: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in resource.items() if not k.startswith("_")}


def show_pool(pool: dict[str, Any]) -> dict[str, Any]:
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
        kubelet.setdefault("maxParallelImagePulls", 2)
        config.setdefault("windowsNodeConfig", {})
    return out


#: What GKE shows on a cluster that did not ask for these: the settings of a new Standard
#: cluster, as every read of a running cluster in conformance/kcc-golden/container/v1beta1/
#: containercluster/containercluster-minimal/_http.log shows them.
CLUSTER_SHOWN_DEFAULTS: dict[str, Any] = {
    "addonsConfig": {
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
    "networkConfig": {"serviceExternalIpsConfig": {}},
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
        elif isinstance(value, dict) and value and isinstance(out[key], dict):
            _fill(out[key], value)


def show_cluster(call: Call, record: dict[str, Any], path: str) -> dict[str, Any]:
    """The cluster as the API returns it: its pools embedded, node counts summed."""
    pools = pools_of(call, path)
    out = public(record)
    for key in _EMPTY_WHEN_OFF:
        if out.get(key) == {"enabled": False}:
            out[key] = {}
    _fill(out, CLUSTER_SHOWN_DEFAULTS)
    if pools:
        out["nodePools"] = [show_pool(p) for p in pools]
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
    count = sum(int(p.get("_nodeCount", 0)) for p in pools)
    if count:
        out["currentNodeCount"] = count
    return out


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
