"""An independent client reads the emulator: gcloud's compute commands see what was made."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from emulator import Emulator
from tests.emulator.conftest import PROJECT
from tests.emulator.test_compute import REGION, compute_client, done, make_network, make_subnet

pytestmark = pytest.mark.skipif(shutil.which("gcloud") is None, reason="gcloud is not on PATH")


def _gcloud(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["gcloud", *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )


def test_gcloud_lists_and_describes_networks(emu: Emulator, tmp_path: Path) -> None:
    compute = compute_client(emu)
    make_network(compute)
    make_subnet(compute, secondaryIpRanges=[{"rangeName": "pods", "ipCidrRange": "10.4.0.0/14"}])
    # A throwaway configuration, so the developer's own gcloud setup is neither used nor changed.
    env = {**os.environ, "CLOUDSDK_CONFIG": str(tmp_path / "gcloud"), "CLOUDSDK_CORE_DISABLE_PROMPTS": "1"}
    for prop, value in (
        ("api_endpoint_overrides/compute", emu.base_url + "/compute/v1/"),
        ("auth/disable_credentials", "true"),
        ("core/project", PROJECT),
    ):
        assert _gcloud(env, "config", "set", prop, value).returncode == 0

    listed = _gcloud(env, "compute", "networks", "list", "--format=json")
    described = _gcloud(env, "compute", "networks", "describe", "vpc", "--format=json")
    subnets = _gcloud(env, "compute", "networks", "subnets", "list", "--format=json")

    assert listed.returncode == 0, listed.stderr
    assert [n["name"] for n in json.loads(listed.stdout)] == ["vpc"]
    assert described.returncode == 0, described.stderr
    network = json.loads(described.stdout)
    assert network["autoCreateSubnetworks"] is False
    assert network["subnetworks"] == [
        f"https://www.googleapis.com/compute/v1/projects/{PROJECT}/regions/{REGION}/subnetworks/sub"
    ]
    assert subnets.returncode == 0, subnets.stderr
    found = json.loads(subnets.stdout)
    assert [(s["name"], s["ipCidrRange"]) for s in found] == [("sub", "10.0.0.0/20")]
    assert found[0]["secondaryIpRanges"] == [{"rangeName": "pods", "ipCidrRange": "10.4.0.0/14"}]

    created = _gcloud(env, "compute", "networks", "create", "gnet", "--subnet-mode=custom", "--format=json")
    assert created.returncode == 0, created.stderr
    assert compute.networks().get(project=PROJECT, network="gnet").execute()["autoCreateSubnetworks"] is False


def test_gcloud_add_backend_sends_the_fingerprint_url_safe(emu: Emulator, tmp_path: Path) -> None:
    # gcloud writes the fingerprint it read in URL-safe base64; Compute compares bytes, so the
    # update is accepted whatever characters the fingerprint holds.
    compute = compute_client(emu)
    for name in ("neg-a", "neg-b"):
        body = {"name": name, "networkEndpointType": "SERVERLESS", "cloudRun": {"service": name}}
        done(compute, compute.regionNetworkEndpointGroups().insert(project=PROJECT, region=REGION, body=body))
    neg_a = f"projects/{PROJECT}/regions/{REGION}/networkEndpointGroups/neg-a"
    service = {"name": "api", "loadBalancingScheme": "EXTERNAL_MANAGED", "backends": [{"group": neg_a}]}
    done(compute, compute.backendServices().insert(project=PROJECT, body=service))
    # Renew the fingerprint until it holds a character URL-safe base64 writes differently.
    for number in range(60):
        current = compute.backendServices().get(project=PROJECT, backendService="api").execute()
        if any(ch in current["fingerprint"] for ch in "+/"):
            break
        patch = {"description": f"take {number}", "fingerprint": current["fingerprint"]}
        done(compute, compute.backendServices().patch(project=PROJECT, backendService="api", body=patch))
    assert any(ch in current["fingerprint"] for ch in "+/")
    env = {**os.environ, "CLOUDSDK_CONFIG": str(tmp_path / "gcloud"), "CLOUDSDK_CORE_DISABLE_PROMPTS": "1"}
    for prop, value in (
        ("api_endpoint_overrides/compute", emu.base_url + "/compute/v1/"),
        ("auth/disable_credentials", "true"),
        ("core/project", PROJECT),
    ):
        assert _gcloud(env, "config", "set", prop, value).returncode == 0

    added = _gcloud(
        env,
        "compute",
        "backend-services",
        "add-backend",
        "api",
        "--global",
        "--network-endpoint-group=neg-b",
        f"--network-endpoint-group-region={REGION}",
    )

    assert added.returncode == 0, added.stderr
    after = compute.backendServices().get(project=PROJECT, backendService="api").execute()
    assert [b["group"].rsplit("/", 1)[-1] for b in after["backends"]] == ["neg-a", "neg-b"]
