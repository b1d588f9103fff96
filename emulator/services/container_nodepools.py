"""GKE v1 node pools: create, get, list, delete, and the dedicated setters
(setAutoscaling, setSize, setManagement) and update for the fields that change in place.

Every call is an operation on the pool's cluster, one at a time per cluster. Autopilot
clusters refuse them all. `update` carries only what UpdateNodePoolRequest can say: what
is fixed at creation (spot, preemptible, service account, scopes, metadata) is not in the
request at all, so the request validation refuses it; an accelerator must still fit the
machine type, and a given etag must be current.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from typing import Any

from emulator import guardrails
from emulator.effects import Effect
from emulator.errors import aborted, already_exists, invalid, unimplemented
from emulator.registry import Api, Call, Reply
from emulator.services import _container as k
from emulator.services import _container_nodes as nodes

API = Api("container", "v1")

#: Request fields that only address the pool (or guard the call) rather than change it.
ADDRESSING = {"name", "projectId", "zone", "clusterId", "nodePoolId", "etag", "nodeVersion"}
#: UpdateNodePoolRequest field -> where it lands on the pool.
UPDATABLE = {
    "labels": "config.labels",
    "taints": "config.taints",
    "resourceLabels": "config.resourceLabels",
    "tags": "config.tags",
    "imageType": "config.imageType",
    "machineType": "config.machineType",
    "diskType": "config.diskType",
    "diskSizeGb": "config.diskSizeGb",
    "accelerators": "config.accelerators",
    "workloadMetadataConfig": "config.workloadMetadataConfig",
    "kubeletConfig": "config.kubeletConfig",
    "linuxNodeConfig": "config.linuxNodeConfig",
    "locations": "locations",
    "upgradeSettings": "upgradeSettings",
}


def _pool_for_write(call: Call) -> tuple[str, str, dict[str, Any], dict[str, Any]]:
    """(cluster path, pool path, cluster, pool) of the pool a write names: the pool exists, its
    cluster is a Standard one and runs no other operation."""
    *_, cluster_path, path = k.split_pool(call, call.param("name"), "container.clusters.update")
    cluster = k.fetch_cluster(call, cluster_path)
    k.refuse_autopilot(cluster)
    current = k.fetch_pool(call, path)
    k.check_idle(call, cluster_path)
    return cluster_path, path, cluster, current


def _set(call: Call, op_type: str, fields: Callable[[dict[str, Any]], dict[str, Any]]) -> Reply:
    """A dedicated setter (setAutoscaling, setSize, setManagement): an operation that sets
    `fields(pool)` on the pool with a new etag, once the request is checked."""
    cluster, path, _, current = _pool_for_write(call)
    changes = {**fields(current), "etag": k.new_etag()}
    effects = [Effect.set(k.NODE_POOL, path, changes)]
    if "_nodeCount" in changes:
        effects.append(_measured(cluster))
    return _start(call, cluster, op_type, path, effects)


def _start(
    call: Call,
    cluster: str,
    op_type: str,
    target: str,
    effects: list[Effect],
    failure_effects: list[Effect] | None = None,
) -> Reply:
    return k.operation(
        call,
        cluster=cluster,
        op_type=op_type,
        target=target,
        effects=effects,
        failure_effects=failure_effects or [],
    )


def _measured(cluster: str) -> Effect:
    """The cluster's Pod range is measured once its nodes change (k.RANGE_MEASURED)."""
    return Effect.set(k.CLUSTER, cluster, {k.RANGE_MEASURED: True})


def _region(cluster_path: str) -> str:
    location = cluster_path.split("/")[3]
    return location.rsplit("-", 1)[0] if re.fullmatch(r".+\d-[a-z]", location) else location


@API.handles("container.projects.locations.clusters.nodePools.create")
def create_node_pool(call: Call) -> Reply:
    *_, cluster = k.split_cluster(call, call.param("parent"), "container.clusters.update")
    current = k.fetch_cluster(call, cluster)
    k.refuse_autopilot(current)
    k.check_idle(call, cluster)
    body = (call.body or {}).get("nodePool") or {}
    if not body:
        raise invalid('Required field "node_pool" is missing.', field="node_pool")
    pool = nodes.build_pool(call, current, cluster, body, "node_pool")
    guardrails.refuse_short_node_quota(call.ctx.store, cluster.split("/")[1], _region(cluster), [pool])
    path = f"{cluster}/nodePools/{pool['name']}"
    if call.ctx.store.get(k.NODE_POOL, path) is not None:
        raise already_exists(f"Already exists: {path}.")
    call.ctx.store.put(k.NODE_POOL, path, pool, cluster)
    return _start(
        call,
        cluster,
        "CREATE_NODE_POOL",
        path,
        [Effect.set(k.NODE_POOL, path, {"status": "RUNNING"}), _measured(cluster)],
        [Effect.delete(k.NODE_POOL, path)],
    )


@API.handles("container.projects.locations.clusters.nodePools.get")
def get_node_pool(call: Call) -> dict[str, Any]:
    _, _, _, _, path = k.split_pool(call, call.param("name"), "container.clusters.get")
    # A zonal pool links itself under `zones/` whatever path named it (the real
    # containernodepool-kubeletconfig/_http.log #10 read through `locations/us-central1-a`).
    return k.show_pool(k.fetch_pool(call, path))


@API.handles("container.projects.locations.clusters.nodePools.list")
def list_node_pools(call: Call) -> dict[str, Any]:
    _, _, _, cluster = k.split_cluster(call, call.param("parent"), "container.clusters.get")
    k.fetch_cluster(call, cluster)
    pools = [k.show_pool(p) for p in k.pools_of(call, cluster)]
    return {"nodePools": pools} if pools else {}


@API.handles("container.projects.locations.clusters.nodePools.delete")
def delete_node_pool(call: Call) -> Reply:
    cluster, path, record, current = _pool_for_write(call)
    call.ctx.store.put(k.NODE_POOL, path, {**current, "status": "STOPPING"}, cluster)
    # The nodes an upgrade of the pool replaced are still registered once the pool is gone: the
    # cluster counts them, its Pod range no longer does (the real kcc-golden container/v1beta1/
    # containernodepool/containernodepool-swap, -swap-ephemeral-ssd-gib and -kubeletconfig
    # /_http.log #27-#29: after the delete #25 of an upgraded one-node pool, currentNodeCount 2
    # beside a one-node default pool, podIpv4RangeUtilization 0.001).
    lingering = int(record.get(k.LINGERING_NODES, 0)) + int(current.get("_replacedNodes", 0))
    return _start(
        call,
        cluster,
        "DELETE_NODE_POOL",
        path,
        [
            Effect.delete(k.NODE_POOL, path),
            _measured(cluster),
            Effect.set(k.CLUSTER, cluster, {k.LINGERING_NODES: lingering or None}),
        ],
        [Effect.set(k.NODE_POOL, path, {"status": current["status"]})],
    )


@API.handles("container.projects.locations.clusters.nodePools.setAutoscaling")
def set_autoscaling(call: Call) -> Reply:
    def autoscaling(_: dict[str, Any]) -> dict[str, Any]:
        return {"autoscaling": nodes.check_autoscaling((call.body or {}).get("autoscaling"), "autoscaling")}

    return _set(call, "UPDATE_CLUSTER", autoscaling)


@API.handles("container.projects.locations.clusters.nodePools.setSize")
def set_size(call: Call) -> Reply:
    def node_count(current: dict[str, Any]) -> dict[str, Any]:
        count = (call.body or {}).get("nodeCount")
        if count is None or int(count) < 0:
            raise invalid('Required field "node_count" must be zero or more.', field="node_count")
        # nodeCount is per zone too ("the desired node count for the pool" in each of its zones,
        # as `gcloud container clusters resize --num-nodes` documents).
        # The pool then reads the size as its initialNodeCount (real GKE, k8s-config-connector
        # 460da51743: conformance/kcc-history/container/v1beta1/containernodepool/
        # containernodepool-subnetworkref@460da51743/_http.log #25 sets `nodeCount: 2` on a pool
        # made with 1, #28-#32 read `initialNodeCount: 2`); zero is not shown.
        return {
            "_nodeCount": int(count) * len(current.get("locations") or [None]),
            "initialNodeCount": int(count) or None,
        }

    return _set(call, "SET_NODE_POOL_SIZE", node_count)


@API.handles("container.projects.locations.clusters.nodePools.setManagement")
def set_management(call: Call) -> Reply:
    def management(_: dict[str, Any]) -> dict[str, Any]:
        given = (call.body or {}).get("management")
        if given is None:
            raise invalid('Required field "management" is missing.', field="management")
        return {"management": given}

    return _set(call, "SET_NODE_POOL_MANAGEMENT", management)


def _updated_fields(current: dict[str, Any], cluster: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
    """Pool paths an UpdateNodePoolRequest sets; a 400 for what GKE refuses."""
    changes: dict[str, Any] = {}
    for key, value in body.items():
        if value is None or key in ADDRESSING:
            continue
        if key not in UPDATABLE:
            raise unimplemented(f"The emulator does not carry out UpdateNodePoolRequest.{key}.")
        if key in ("labels", "resourceLabels"):
            value = value.get("labels") or {}
            if key == "resourceLabels":
                value = k.check_labels(value, "resource_labels")
            value = value or None
        elif key == "taints":
            value = nodes.check_taints(value.get("taints"), "taints") or None
        elif key == "tags":
            value = value.get("tags") or None
        elif key == "imageType":
            value = str(value).upper()
            if value == str(current["config"].get("imageType")):
                continue
            if value not in nodes.IMAGE_TYPES:
                raise invalid(f'Invalid value for field "image_type": "{value}".', field="image_type")
        elif key == "locations":
            value = nodes.check_locations(value, cluster, "locations")
        elif key == "diskSizeGb":
            value = int(value)
            if value < 10:
                raise invalid('Invalid value for field "disk_size_gb": at least 10 GB.', field="disk_size_gb")
        elif key == "machineType":
            value = nodes.check_machine(value, "machine_type")
        elif key == "kubeletConfig":
            # A kubelet config set by an update replaces the pool's, and the nodes it rolls out
            # pull 3 images at once unless told (the real kcc-golden container/v1beta1/
            # containernodepool/containernodepool-kubeletconfig/_http.log: the pool made with a
            # kubelet config in #8 reads 2 in #10-#16 on its pd-balanced disk, the PUT #17 sends
            # one without maxParallelImagePulls and #20-#24 read 3).
            value = {**value, "maxParallelImagePulls": value.get("maxParallelImagePulls") or 3}
        elif key == "diskType" and value not in nodes.DISK_TYPES:
            raise invalid(f'Invalid value for field "disk_type": "{value}".', field="disk_type")
        changes[UPDATABLE[key]] = value
    machine = changes.get("config.machineType", current["config"]["machineType"])
    accelerators = changes.get("config.accelerators", current["config"].get("accelerators"))
    checked = nodes.check_accelerators(accelerators, machine, "accelerators")
    if "config.accelerators" in changes:
        changes["config.accelerators"] = checked or None
    version = body.get("nodeVersion")
    if version not in (None, "", "-", "latest", current.get("version"), cluster["currentMasterVersion"]):
        raise invalid(
            f'Invalid value for field "node_version": "{version}" is not offered; use "-" for the'
            " master's version.",
            field="node_version",
        )
    if version not in (None, "", current.get("version")):
        changes["version"] = cluster["currentMasterVersion"]
    if not changes:
        raise invalid("The node pool update has nothing to change.", field="name")
    return changes


@API.handles("container.projects.locations.clusters.nodePools.update")
def update_node_pool(call: Call) -> Reply:
    cluster_path, path, cluster, current = _pool_for_write(call)
    body = call.body or {}
    etag = body.get("etag")
    if etag and etag != current.get("etag"):
        raise aborted(f'Node pool "{current["name"]}" has changed since etag {etag} was read; read it again.')
    changes = _updated_fields(current, cluster, body)
    if any(key.startswith("config.") or key == "version" for key in changes):
        # New nodes need a new instance template: GKE makes one, named afresh, and rolls the
        # pool's groups onto it (containercluster-swap/_http.log, the groups read after the PUT #10).
        changes["_template"] = secrets.token_hex(4)
        # The nodes replaced stay registered after the operation is done: every real log that
        # recreates a pool's nodes reads one more node and its Pod range from then on, while the
        # group is back at its size (containercluster-swap/_http.log #12-#16: currentNodeCount 2,
        # podIpv4RangeUtilization 0.002, the group #13 at targetSize 1; containernodepool-swap and
        # containernodepool-kubeletconfig: 3 after the PUT #17 of a one-node pool beside the
        # default pool). The recordings end before they leave.
        changes["_replacedNodes"] = int(current.get("_nodeCount", 0))
    changes["etag"] = k.new_etag()
    changes["status"] = "RUNNING"
    call.ctx.store.put(k.NODE_POOL, path, {**current, "status": "RECONCILING"}, cluster_path)
    effects = [Effect.set(k.NODE_POOL, path, changes)]
    if "_replacedNodes" in changes:
        effects.append(_measured(cluster_path))
    return k.operation(
        call,
        cluster=cluster_path,
        op_type="UPGRADE_NODES",
        target=path,
        effects=effects,
        failure_effects=[Effect.set(k.NODE_POOL, path, {"status": "RUNNING"})],
        progress=k.upgrade_progress(int(current.get("_nodeCount", 0))),
    )
