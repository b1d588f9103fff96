"""Compute Engine VM instances: insert, get, list and delete, in a zone.

An instance is inserted with its machine type, disks and network interfaces. Compute answers
with an operation and the instance exists from then on, PROVISIONING until the operation is
done and RUNNING after ("status: PROVISIONING, STAGING, RUNNING, ...", the instance life cycle
of https://cloud.google.com/compute/docs/instances/instance-life-cycle; RUNNING once the insert
is done in conformance/kcc-golden/compute/v1beta1/computebackendservice/
globalcomputebackendservice/_http.log #6). A boot disk made from an image (`initializeParams`,
input only) is shown as the persistent disk it became, named after the instance; each network
interface gets its name `nic<i>` and, on a network with a subnetwork in the zone's region, that
subnetwork and an internal IP of its range. The instance runs until it is deleted, and leaves
the unmanaged instance groups it was in when it goes. An instance protected against deletion
is not deleted.
"""

from __future__ import annotations

from typing import Any

from emulator import standard
from emulator.effects import Effect
from emulator.errors import ApiError
from emulator.refusal import refusal
from emulator.registry import Api, Call, Reply
from emulator.services import _compute as c
from emulator.services import compute_images as images

API = Api("compute", "v1")

INSTANCE = "compute.instance"
TEST = "tests/emulator/test_compute_instances.py"
#: The size of a boot disk made from an image when none is asked for: the image's own size,
#: 10 GB for the public Debian images (`--create-disk=...,image=projects/debian-cloud/global/
#: images/debian-11-bullseye-v20231010,...,size=10` in gcloud's "equivalent command line").
DEFAULT_DISK_GB = "10"

PROTECTED = refusal(
    "compute.instances.delete",
    "an instance with deletionProtection (400 invalidResourceUsage)",
    source="https://cloud.google.com/compute/docs/instances/preventing-accidental-vm-deletion "
    '; hashicorp/terraform-provider-google#1211 (the 400 quoted: "Invalid resource usage: '
    "'Resource cannot be deleted if it's protected against deletion.'., invalidResourceUsage\")",
    test=f"{TEST}::test_a_protected_instance_is_not_deleted",
)
MISSING_IMAGE = refusal(
    "compute.instances.insert",
    "a disk from an image or image family that does not exist (404 notFound)",
    source="conformance/kcc-golden/compute/v1beta1/computebackendservice/"
    "globalcomputebackendservice/_http.log #3 (a family name read as an image: 404); "
    "https://cloud.google.com/compute/docs/reference/rest/v1/instances (initializeParams.sourceImage)",
    test=f"{TEST}::test_an_instance_from_a_missing_image_is_refused",
)


def path_of(call: Call) -> tuple[str, str, str]:
    """(project id, zone, path) of the instance a request names."""
    project_id = c.project(call)
    zone_name = c.zone(call)
    return project_id, zone_name, c.zonal_path(project_id, zone_name, "instances", call.param("instance"))


def _subnetwork(call: Call, network_path: str, region_name: str) -> dict[str, Any] | None:
    for subnet in call.ctx.store.list(c.SUBNETWORK):
        if c.relative(subnet["network"]) == network_path and subnet["region"].endswith(f"/{region_name}"):
            return subnet
    return None


def _internal_ip(call: Call, subnet: dict[str, Any]) -> str:
    """The first free address of the range: the first two are the network's and its gateway's
    ("Reserved IP addresses in IPv4 subnets", https://cloud.google.com/vpc/docs/subnets)."""
    taken = {
        nic.get("networkIP")
        for instance in call.ctx.store.list(INSTANCE)
        for nic in instance.get("networkInterfaces", [])
    }
    net = c.stored_range(subnet)
    for host in list(net.hosts())[1:]:
        if str(host) not in taken:
            return str(host)
    raise ApiError(
        400, f"The subnetwork '{subnet['name']}' has no free IP address.", reason="ipSpaceExhausted"
    )


def _interfaces(call: Call, body: dict[str, Any], region_name: str) -> list[dict[str, Any]]:
    out = []
    for i, given in enumerate(body.get("networkInterfaces") or [{}]):
        field = f"resource.networkInterfaces[{i}].network"
        network_path = c.parse_ref(call, given.get("network") or "global/networks/default", field, "networks")
        c.require_existing(call, c.NETWORK, network_path)
        nic: dict[str, Any] = {
            **given,
            "kind": "compute#networkInterface",
            "network": c.link(network_path),
            "name": f"nic{i}",
            "fingerprint": c.fingerprint(),
            "stackType": given.get("stackType", "IPV4_ONLY"),
        }
        subnet = _subnetwork(call, network_path, region_name)
        if subnet is not None:
            nic["subnetwork"] = subnet["selfLink"]
            nic["networkIP"] = given.get("networkIP") or _internal_ip(call, subnet)
        out.append(nic)
    return out


def _disks(call: Call, body: dict[str, Any], path: str) -> list[dict[str, Any]]:
    zone_path = "/".join(path.split("/")[:4])
    instance_name = path.rsplit("/", 1)[1]
    out = []
    for i, given in enumerate(body.get("disks") or []):
        disk = {k: v for k, v in given.items() if k != "initializeParams"}
        params = given.get("initializeParams") or {}
        if params.get("sourceImage"):
            images.resolve(call, params["sourceImage"], f"resource.disks[{i}].initializeParams.sourceImage")
        if "source" not in disk:
            name = params.get("diskName") or (instance_name if i == 0 else f"{instance_name}-{i}")
            disk["source"] = c.link(f"{zone_path}/disks/{name}")
            disk["diskSizeGb"] = str(params.get("diskSizeGb") or DEFAULT_DISK_GB)
        out.append(
            {
                "kind": "compute#attachedDisk",
                "type": "PERSISTENT",
                "mode": "READ_WRITE",
                "deviceName": f"persistent-disk-{i}",
                "index": i,
                "boot": i == 0,
                "autoDelete": False,
                "interface": "SCSI",
                **disk,
            }
        )
    return out


@API.handles("compute.instances.insert")
@c.replaying
def insert_instance(call: Call) -> Reply:
    project_id = c.project(call)
    zone_name = c.zone(call)
    body = {k: v for k, v in standard.drop_none(call.body or {}).items() if k not in c.OUTPUT_ONLY}
    body.pop("params", None)  # input only: "not persisted as part of resource payload"
    name = c.check_name(body.get("name"))
    path = c.zonal_path(project_id, zone_name, "instances", name)
    c.check_free(call, INSTANCE, path)
    if not body.get("machineType"):
        raise c.required_error("resource.machineType")
    machine_type = str(body["machineType"]).rsplit("/", 1)[-1]
    labels = body.get("labels") or {}
    c.check_labels(labels)
    region_name = zone_name.rsplit("-", 1)[0]
    instance = {
        "canIpForward": False,
        "deletionProtection": False,
        "startRestricted": False,
        **body,
        "kind": "compute#instance",
        "id": c.new_id(),
        "creationTimestamp": c.timestamp(call),
        "name": name,
        "machineType": c.link(f"projects/{project_id}/zones/{zone_name}/machineTypes/{machine_type}"),
        "status": "PROVISIONING",
        "zone": c.link(f"projects/{project_id}/zones/{zone_name}"),
        "networkInterfaces": _interfaces(call, body, region_name),
        "disks": _disks(call, body, path),
        "metadata": {
            **(body.get("metadata") or {}),
            "kind": "compute#metadata",
            "fingerprint": c.fingerprint(),
        },
        "tags": {
            **(body.get("tags") or {}),
            "fingerprint": c.fingerprint((body.get("tags") or {}).get("items")),
        },
        "scheduling": {
            "onHostMaintenance": "MIGRATE",
            "automaticRestart": True,
            "preemptible": False,
            "provisioningModel": "STANDARD",
            **(body.get("scheduling") or {}),
        },
        "labelFingerprint": c.fingerprint(labels),
        "fingerprint": c.fingerprint(),
        "selfLink": c.link(path),
    }
    if not labels:
        instance.pop("labels", None)
    call.ctx.store.put(INSTANCE, path, instance, "/".join(path.split("/")[:4]))
    return c.operation(
        call,
        op_type="insert",
        collection="instances",
        target_path=path,
        target_id=instance["id"],
        effects=[Effect.set(INSTANCE, path, {"status": "RUNNING", "lastStartTimestamp": c.timestamp(call)})],
        failure_effects=[Effect.delete(INSTANCE, path)],
        zone_name=zone_name,
    )


@API.handles("compute.instances.get")
def get_instance(call: Call) -> dict[str, Any]:
    _, _, path = path_of(call)
    return c.public(c.fetch(call, INSTANCE, path))


@API.handles("compute.instances.list")
def list_instances(call: Call) -> dict[str, Any]:
    project_id = c.project(call)
    zone_name = c.zone(call)
    parent = f"projects/{project_id}/zones/{zone_name}"
    items = [c.public(i) for i in call.ctx.store.list(INSTANCE, parent)]
    return c.list_reply(call, "compute#instanceList", items, f"{parent}/instances")


@API.handles("compute.instances.delete")
@c.replaying
def delete_instance(call: Call) -> Reply:
    _, zone_name, path = path_of(call)
    current = c.fetch(call, INSTANCE, path)
    c.check_idle(call, path)
    if current.get("deletionProtection"):
        # The answer quoted in hashicorp/terraform-provider-google#1211.
        raise ApiError(
            400,
            "Invalid resource usage: 'Resource cannot be deleted if it's protected against deletion.'.",
            reason="invalidResourceUsage",
        )
    return c.operation(
        call,
        op_type="delete",
        collection="instances",
        target_path=path,
        target_id=current["id"],
        effects=[Effect.delete(INSTANCE, path)],
        zone_name=zone_name,
    )
