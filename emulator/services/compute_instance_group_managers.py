"""Compute Engine managed instance groups that GKE makes for node pools: read only.

GKE runs each node pool as one zonal managed instance group per zone of the pool and names
them in the pool's `instanceGroupUrls`; Config Connector reads them to learn the node count
(every node pool log of conformance/kcc-golden/container/v1beta1/ follows a pool read with
`GET .../zones/*/instanceGroupManagers/*`). The corpus only ever reads them, and a user does
not make or change them through Compute (GKE owns them: "Don't manage the instance groups of
your node pools directly", https://cloud.google.com/kubernetes-engine/docs/concepts/node-pools),
so only `get` and `list` are served: a group exists exactly while its node pool does, with
`targetSize` the pool's node count in that zone.

The answer is shaped as Compute answers today, from the real recordings
(kcc-golden container/v1beta1/containercluster/containercluster-intransitencryption/_http.log
#4, containernodepool/containernodepool-swap/_http.log #4 and #11: GKE 1.34/1.35). The older GKE logs
of the corpus (GKE 1.30.5-gke.1014001) were written by mockgcp, whose `createMockIGM` fills a
handful of fields under `compute/v1beta1/` links (k8s-config-connector mockgcp/mockcontainer/
nodepool.go at cdb85ecf17); they are not Google's shape.
"""

from __future__ import annotations

import hashlib
from typing import Any

from emulator.registry import Api, Call
from emulator.services import _compute as c
from emulator.services import _container as k

API = Api("compute", "v1")

#: GKE makes the group, its instance group and its regional instance template through Compute
#: beta, and their links keep that version (containercluster-intransitencryption #4:
#: `https://www.googleapis.com/compute/beta/projects/.../regions/us-central1/instanceTemplates/...`).
BETA_ROOT = "https://www.googleapis.com/compute/beta/"


#: The actions `currentActions` counts besides `none` (InstanceGroupManagerActionsSummary of the
#: compute v1 discovery document); a group at rest has 0 of each.
CURRENT_ACTIONS = (
    "abandoning",
    "creating",
    "creatingWithoutRetries",
    "deleting",
    "recreating",
    "refreshing",
    "restarting",
    "resuming",
    "starting",
    "stopping",
    "suspending",
    "verifying",
)


def groups_of_pool(pool: dict[str, Any]) -> list[tuple[str, str]]:
    """(zone, group name) of each group a stored node pool names in its instanceGroupUrls."""
    out = []
    for url in pool.get("instanceGroupUrls") or []:
        parts = c.relative(url).split("/")
        if len(parts) == 6 and parts[2] == "zones" and parts[4] == "instanceGroupManagers":
            out.append((parts[3], parts[5]))
    return out


def _find(call: Call, project_id: str, zone: str, name: str) -> dict[str, Any] | None:
    for pool in call.ctx.store.list(k.NODE_POOL):
        if pool["selfLink"].split("/projects/", 1)[1].split("/", 1)[0] != project_id:
            continue
        if (zone, name) in groups_of_pool(pool):
            return pool
    return None


def show(call: Call, project_id: str, zone: str, name: str, pool: dict[str, Any]) -> dict[str, Any]:
    """The group as Compute shows it (containernodepool-swap/_http.log #11, field for field)."""
    _, number = call.ctx.projects.require(project_id)
    zones = len(pool.get("locations") or [zone])
    size = int(pool.get("_nodeCount", 0)) // max(zones, 1)
    base = name.removesuffix("-grp")
    region = k.region_of(zone)
    # The template of the nodes as they are now: named as the group, with the digest of the
    # last update of the nodes (containercluster-swap/_http.log: `...-default-pool-a09d3c5a`
    # until the node pool PUT #10, `...-default-pool-6c06e4da` after).
    # A pool over several zones has a template for each zone's group (containercluster-minimal@
    # ec377bc8a3 in conformance/kcc-history, #4 and #5): after an update of the nodes, each zone's
    # is named anew.
    digest = str(pool.get("_template") or base.rsplit("-", 1)[-1])
    if pool.get("_template") and zones > 1:
        digest = hashlib.sha256(f"{pool['_template']}/{zone}".encode()).hexdigest()[:8]
    current = f"{base.rsplit('-', 1)[0]}-{digest}"
    template = f"{BETA_ROOT}projects/{project_id}/regions/{region}/instanceTemplates/{current}"
    path = f"projects/{project_id}/zones/{zone}/instanceGroupManagers/{name}"
    idle = dict.fromkeys(CURRENT_ACTIONS, 0)
    return {
        "baseInstanceName": base,
        "creationTimestamp": pool.get("_created") or call.ctx.clock.rfc3339(),
        # Every instance is running as it should: `none` counts them.
        "currentActions": {**idle, "none": size},
        "fingerprint": c.fingerprint(path),
        "id": str(int(hashlib.sha256(path.encode()).hexdigest()[:15], 16)),
        "instanceGroup": f"{BETA_ROOT}projects/{project_id}/zones/{zone}/instanceGroups/{name}",
        "instanceLifecyclePolicy": {
            "defaultActionOnFailure": "REPAIR",
            "forceUpdateOnRepair": "YES",
            "onFailedHealthCheck": "DEFAULT_ACTION",
        },
        "instanceTemplate": template,
        "kind": "compute#instanceGroupManager",
        "listManagedInstancesResults": "PAGINATED",
        "name": name,
        "satisfiesPzs": True,
        "selfLink": c.link(path),
        # GKE's service agent runs the group (containernodepool-swap #11).
        "serviceAccount": f"service-{number}@container-engine-robot.iam.gserviceaccount.com",
        "standbyPolicy": {"mode": "MANUAL"},
        "status": {
            "allInstancesConfig": {"effective": True},
            "isStable": True,
            "stateful": {
                "hasStatefulConfig": False,
                "isStateful": False,
                "perInstanceConfigs": {"allEffective": True},
            },
            "versionTarget": {"isReached": True},
        },
        "targetSize": size,
        "targetSizePolicy": {"mode": "INDIVIDUAL"},
        "targetStoppedSize": 0,
        "targetSuspendedSize": 0,
        "updatePolicy": {
            "maxSurge": {"calculated": 1, "fixed": 1},
            "maxUnavailable": {"calculated": 1, "fixed": 1},
            "minReadySec": 0,
            "minimalAction": "REPLACE",
            "replacementMethod": "SUBSTITUTE",
            "type": "OPPORTUNISTIC",
        },
        "versions": [{"instanceTemplate": template, "targetSize": {"calculated": size}}],
        "zone": c.link(f"projects/{project_id}/zones/{zone}"),
    }


def _zone(call: Call) -> str:
    zone = call.param("zone")
    if not k.is_zone(zone):
        raise c.missing_error(f"projects/{call.param('project')}/zones/{zone}")
    return zone


@API.handles("compute.instanceGroupManagers.get")
def get(call: Call) -> dict[str, Any]:
    project_id = c.project(call)
    zone = _zone(call)
    name = call.param("instanceGroupManager")
    pool = _find(call, project_id, zone, name)
    if pool is None:
        raise c.missing_error(f"projects/{project_id}/zones/{zone}/instanceGroupManagers/{name}")
    return show(call, project_id, zone, name, pool)


@API.handles("compute.instanceGroupManagers.list")
def list_groups(call: Call) -> dict[str, Any]:
    project_id = c.project(call)
    zone = _zone(call)
    items = []
    for pool in call.ctx.store.list(k.NODE_POOL):
        if pool["selfLink"].split("/projects/", 1)[1].split("/", 1)[0] != project_id:
            continue
        for where, name in groups_of_pool(pool):
            if where == zone:
                items.append(show(call, project_id, zone, name, pool))
    items.sort(key=lambda g: g["name"])
    out: dict[str, Any] = {
        "kind": "compute#instanceGroupManagerList",
        "id": f"projects/{project_id}/zones/{zone}/instanceGroupManagers",
        "selfLink": c.link(f"projects/{project_id}/zones/{zone}/instanceGroupManagers"),
    }
    if items:
        out["items"] = items
    return out
