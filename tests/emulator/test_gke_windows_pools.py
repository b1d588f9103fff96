"""Windows node pools name their OS version as GKE takes it over REST: the documented enum
names and the short ones Config Connector sends (emulator/enums.py, ENUM_ALIASES)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

from emulator import Emulator
from tests.emulator.test_container import CLUSTER, PARENT, cluster, gke  # noqa: F401


def _create_pool(emu: Emulator, os_version: str) -> tuple[int, Any]:
    body = {
        "nodePool": {
            "name": f"win-{os_version.lower().replace('_', '-')}",
            "initialNodeCount": 1,
            "config": {
                "imageType": "WINDOWS_LTSC_CONTAINERD",
                "windowsNodeConfig": {"osVersion": os_version},
            },
        }
    }
    request = urllib.request.Request(
        f"{emu.base_url}/v1beta1/{CLUSTER}/nodePools",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request) as answer:
            return answer.status, json.load(answer)
    except urllib.error.HTTPError as err:
        return err.code, json.load(err)


def test_the_short_and_the_documented_os_versions_are_taken(emu: Emulator, gke: Any) -> None:  # noqa: F811
    gke.create_cluster(parent=PARENT, cluster=cluster())
    emu.advance_time(600)

    assert _create_pool(emu, "OS_2022")[0] == 200
    emu.advance_time(600)
    assert _create_pool(emu, "OS_VERSION_LTSC2019")[0] == 200
    emu.advance_time(600)
    status, answer = _create_pool(emu, "OS_2025")

    assert status == 400 and "os_version" in answer["error"]["message"]
    pool = gke.get_node_pool(name=f"{CLUSTER}/nodePools/win-os-2022")
    assert pool.config.image_type == "WINDOWS_LTSC_CONTAINERD"
