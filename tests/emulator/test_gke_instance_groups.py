"""The managed instance groups behind GKE node pools, read through Compute as Config Connector
reads them: one per zone of a pool, named in the pool's instanceGroupUrls, sized to the pool."""

from __future__ import annotations

from typing import Any

from emulator import Emulator
from tests.emulator.conftest import PROJECT
from tests.emulator.test_compute import REGION, compute_client, status_of
from tests.emulator.test_container import CLUSTER, PARENT, cluster, gke  # noqa: F401


def _group(compute: Any, url: str) -> dict[str, Any]:
    zone, name = url.split("/zones/", 1)[1].split("/instanceGroupManagers/")
    groups = compute.instanceGroupManagers()
    return groups.get(project=PROJECT, zone=zone, instanceGroupManager=name).execute()


def test_each_zone_of_a_pool_has_a_group_sized_to_the_pool(emu: Emulator, gke: Any) -> None:  # noqa: F811
    gke.create_cluster(parent=PARENT, cluster=cluster())
    emu.advance_time(600)
    gke.create_node_pool(parent=CLUSTER, node_pool={"name": "workers", "initial_node_count": 2})
    emu.advance_time(600)
    compute = compute_client(emu)

    pool = gke.get_node_pool(name=f"{CLUSTER}/nodePools/workers")
    assert len(pool.instance_group_urls) == 3
    groups = [_group(compute, url) for url in pool.instance_group_urls]

    zones = sorted(g["zone"].rsplit("/", 1)[1] for g in groups)
    assert zones == [f"{REGION}-a", f"{REGION}-b", f"{REGION}-c"]
    assert {g["targetSize"] for g in groups} == {2}
    assert {g["currentActions"]["none"] for g in groups} == {2}
    # GKE's naming: gke-<cluster>-<pool>-<8 hex>-grp, a digest of its own in each zone, and the
    # zone's instance template named as its group (kcc-history containercluster-minimal@ec377bc8a3).
    names = {g["name"] for g in groups}
    assert len(names) == 3
    for group in groups:
        assert group["name"].startswith("gke-gke-workers-") and group["name"].endswith("-grp")
        assert group["baseInstanceName"] == group["name"].removesuffix("-grp")
        assert group["instanceTemplate"].endswith("/" + group["baseInstanceName"])
    assert groups[0]["serviceAccount"].endswith("@container-engine-robot.iam.gserviceaccount.com")
    assert f"/regions/{REGION}/instanceTemplates/" in groups[0]["instanceTemplate"]

    gke.set_node_pool_size(request={"name": f"{CLUSTER}/nodePools/workers", "node_count": 4})
    emu.advance_time(600)
    assert _group(compute, pool.instance_group_urls[0])["targetSize"] == 4


def test_a_node_update_rolls_the_group_onto_a_new_template(emu: Emulator, gke: Any) -> None:  # noqa: F811
    gke.create_cluster(parent=PARENT, cluster=cluster())
    emu.advance_time(600)
    compute = compute_client(emu)
    url = gke.get_node_pool(name=f"{CLUSTER}/nodePools/general").instance_group_urls[0]
    before = _group(compute, url)["instanceTemplate"]

    gke.update_node_pool(request={"name": f"{CLUSTER}/nodePools/general", "labels": {"labels": {"a": "b"}}})
    emu.advance_time(600)
    after = _group(compute, url)

    assert after["instanceTemplate"] != before
    assert after["versions"][0]["instanceTemplate"] == after["instanceTemplate"]
    assert after["name"] == url.rsplit("/", 1)[1]


def test_a_group_goes_with_its_node_pool(emu: Emulator, gke: Any) -> None:  # noqa: F811
    gke.create_cluster(parent=PARENT, cluster=cluster())
    emu.advance_time(600)
    gke.create_node_pool(parent=CLUSTER, node_pool={"name": "extra", "initial_node_count": 1})
    emu.advance_time(600)
    compute = compute_client(emu)
    url = gke.get_node_pool(name=f"{CLUSTER}/nodePools/extra").instance_group_urls[0]
    zone, name = url.split("/zones/", 1)[1].split("/instanceGroupManagers/")
    listed = compute.instanceGroupManagers().list(project=PROJECT, zone=zone).execute()
    assert name in [g["name"] for g in listed["items"]]

    gke.delete_node_pool(name=f"{CLUSTER}/nodePools/extra")
    emu.advance_time(600)

    request = compute.instanceGroupManagers().get(project=PROJECT, zone=zone, instanceGroupManager=name)
    assert status_of(request) == (404, "notFound")
    request = compute.instanceGroupManagers().get(project=PROJECT, zone=zone, instanceGroupManager="nope-grp")
    assert status_of(request) == (404, "notFound")
