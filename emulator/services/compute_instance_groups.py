"""Compute Engine unmanaged instance groups: VM instances gathered to serve as one backend.

A group is made in a zone with named ports (`namedPorts`: the port a
backend service's `portName` stands for). Instances join and leave it with addInstances and
removeInstances; its `size` counts them and listInstances lists them with their status and the
group's named ports (conformance/kcc-golden/compute/v1beta1/computebackendservice/
globalcomputebackendservice/_http.log #9-#16). "All VM instances in an unmanaged instance group
must be in the same zone, VPC network, and subnet"
(https://cloud.google.com/compute/docs/instance-groups/creating-groups-of-unmanaged-instances),
so an instance of another zone or network is refused. The group's `network` is output only,
"the network to which all instances in the instance group belong" (InstanceGroup in
https://cloud.google.com/compute/docs/reference/rest/v1/instanceGroups): that of its first
instance's first interface. A group a backend service uses cannot be deleted; deleting it
deletes none of its instances, and an instance deleted leaves every group it was in.
"""

from __future__ import annotations

from typing import Any

from emulator import standard
from emulator.effects import Effect
from emulator.refusal import refusal
from emulator.registry import Api, Call, Reply
from emulator.services import _compute as c
from emulator.services import _lb as lb
from emulator.services import compute_instances as instances

API = Api("compute", "v1")

GROUP = lb.INSTANCE_GROUP
TEST = "tests/emulator/test_compute_instances.py"

OTHER_ZONE_OR_NETWORK = refusal(
    "compute.instanceGroups.addInstances",
    "an instance of another zone or another network than the group's (400 invalid)",
    source="https://cloud.google.com/compute/docs/instance-groups/creating-groups-of-unmanaged-instances "
    '("All VM instances in an unmanaged instance group must be in the same zone, VPC network, and subnet")',
    test=f"{TEST}::test_a_group_takes_only_instances_of_its_zone_and_network",
)
GROUP_IN_USE = refusal(
    "compute.instanceGroups.delete",
    "a group a backend service uses as a backend (400 resourceInUseByAnotherResource)",
    source='PaloAltoNetworks/terraform-google-swfw-modules#43 (the 400 quoted: "The '
    "instance_group resource '...' is already being used by '.../backendServices/...', "
    'resourceInUseByAnotherResource"); hashicorp/terraform-provider-google#1853',
    test=f"{TEST}::test_a_group_a_backend_service_uses_is_not_deleted",
)


def _path(call: Call) -> tuple[str, str, str]:
    project_id = c.project(call)
    zone_name = c.zone(call)
    return (
        project_id,
        zone_name,
        c.zonal_path(project_id, zone_name, "instanceGroups", call.param("instanceGroup")),
    )


def _members(call: Call, group: dict[str, Any]) -> list[dict[str, Any]]:
    """The group's instances that still exist."""
    found = (call.ctx.store.get(instances.INSTANCE, p) for p in group.get("_members", []))
    return [i for i in found if i is not None]


def show(call: Call, group: dict[str, Any]) -> dict[str, Any]:
    return {**c.public(group), "size": len(_members(call, group))}


def _target(call: Call) -> tuple[str, str, dict[str, Any]]:
    _, zone_name, path = _path(call)
    current = c.fetch(call, GROUP, path)
    c.check_idle(call, path)
    return zone_name, path, current


def _operation(
    call: Call, op_type: str, zone_name: str, path: str, target_id: str, effects: list[Effect]
) -> Reply:
    return c.operation(
        call,
        op_type=op_type,
        collection="instanceGroups",
        target_path=path,
        target_id=target_id,
        effects=effects,
        zone_name=zone_name,
    )


@API.handles("compute.instanceGroups.insert")
@c.replaying
def insert_group(call: Call) -> Reply:
    project_id = c.project(call)
    zone_name = c.zone(call)
    body = {k: v for k, v in standard.drop_none(call.body or {}).items() if k not in c.OUTPUT_ONLY}
    name = c.check_name(body.get("name"))
    path = c.zonal_path(project_id, zone_name, "instanceGroups", name)
    c.check_free(call, GROUP, path)
    group: dict[str, Any] = {
        **{k: v for k, v in body.items() if k in ("description", "namedPorts")},
        "kind": "compute#instanceGroup",
        "id": c.new_id(),
        "creationTimestamp": c.timestamp(call),
        "name": name,
        "fingerprint": c.fingerprint(),
        "zone": c.link(f"projects/{project_id}/zones/{zone_name}"),
        "selfLink": c.link(path),
        "_members": [],
    }
    effect = Effect.put(GROUP, path, group, "/".join(path.split("/")[:4]))
    return _operation(call, "insert", zone_name, path, group["id"], [effect])


@API.handles("compute.instanceGroups.get")
def get_group(call: Call) -> dict[str, Any]:
    return show(call, c.fetch(call, GROUP, _path(call)[2]))


@API.handles("compute.instanceGroups.list")
def list_groups(call: Call) -> dict[str, Any]:
    project_id = c.project(call)
    parent = f"projects/{project_id}/zones/{c.zone(call)}"
    items = [show(call, g) for g in call.ctx.store.list(GROUP, parent)]
    return c.list_reply(call, "compute#instanceGroupList", items, f"{parent}/instanceGroups")


@API.handles("compute.instanceGroups.delete")
@c.replaying
def delete_group(call: Call) -> Reply:
    zone_name, path, current = _target(call)
    lb.refuse_if_used(call, path)
    effects = [Effect.hook("compute.lb.unused", path=path), Effect.delete(GROUP, path)]
    return _operation(call, "delete", zone_name, path, current["id"], effects)


def _network_of(instance: dict[str, Any]) -> str:
    nics = instance.get("networkInterfaces") or [{}]
    return c.relative(str(nics[0].get("network", "")))


@API.handles("compute.instanceGroups.addInstances")
@c.replaying
def add_instances(call: Call) -> Reply:
    zone_name, path, current = _target(call)
    members = list(current.get("_members", []))
    network = c.relative(current.get("network", ""))
    for i, ref in enumerate((call.body or {}).get("instances") or []):
        field = f"instances[{i}].instance"
        instance_path = c.zonal_ref(call, ref.get("instance"), field, "instances")
        if instance_path.split("/")[3] != zone_name:
            raise c.field_error(field, ref.get("instance"), f"The instance must be in zone '{zone_name}'.")
        instance = c.fetch(call, instances.INSTANCE, instance_path)
        network = network or _network_of(instance)
        if _network_of(instance) != network:
            raise c.field_error(
                field, ref.get("instance"), f"The instance must be in network '{network.rsplit('/', 1)[-1]}'."
            )
        if instance_path not in members:
            members.append(instance_path)
    fields: dict[str, Any] = {"_members": members}
    if network and not current.get("network"):
        fields["network"] = c.link(network)
    return _operation(call, "addInstances", zone_name, path, current["id"], [Effect.set(GROUP, path, fields)])


@API.handles("compute.instanceGroups.removeInstances")
@c.replaying
def remove_instances(call: Call) -> Reply:
    zone_name, path, current = _target(call)
    leaving = {
        c.zonal_ref(call, ref.get("instance"), f"instances[{i}].instance", "instances")
        for i, ref in enumerate((call.body or {}).get("instances") or [])
    }
    members = [m for m in current.get("_members", []) if m not in leaving]
    effect = Effect.set(GROUP, path, {"_members": members})
    return _operation(call, "removeInstances", zone_name, path, current["id"], [effect])


@API.handles("compute.instanceGroups.setNamedPorts")
@c.replaying
def set_named_ports(call: Call) -> Reply:
    zone_name, path, current = _target(call)
    body = dict(call.body or {})
    lb.check_fingerprint(body, current, required=False)
    fields = {"namedPorts": body.get("namedPorts") or None, "fingerprint": c.fingerprint()}
    return _operation(
        call, "setNamedPorts", zone_name, path, current["id"], [Effect.set(GROUP, path, fields)]
    )


@API.handles("compute.instanceGroups.listInstances")
def list_group_instances(call: Call) -> dict[str, Any]:
    """The group's instances, all of them or (`instanceState: RUNNING`) the running ones."""
    _, _, path = _path(call)
    group = c.fetch(call, GROUP, path)
    state = (call.body or {}).get("instanceState", "ALL")
    items = []
    for instance in _members(call, group):
        if state == "RUNNING" and instance.get("status") != "RUNNING":
            continue
        item: dict[str, Any] = {"instance": instance["selfLink"], "status": instance.get("status")}
        if group.get("namedPorts"):
            item["namedPorts"] = group["namedPorts"]
        items.append(item)
    out: dict[str, Any] = {"kind": "compute#instanceGroupsListInstances", "id": f"{path}/listInstances"}
    if items:
        out["items"] = items
    return out
