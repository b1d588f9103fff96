"""With operations that take (scaled) real time, independent work overlaps and ordering holds."""

from __future__ import annotations

import pytest

from emulator import Emulator, EmulatorConfig
from tests.e2e.conftest import PROJECTS

SCALE = 0.01


@pytest.fixture
def slow_emulator(tmp_path, monkeypatch):
    config = EmulatorConfig(
        state_path=tmp_path / "emulator.sqlite",
        projects=PROJECTS,
        operation_profile="realistic",
        profile_scale=SCALE,
    )
    emu = Emulator(config)
    url = emu.start(port=0)
    monkeypatch.setenv("PROVISIONER_ENDPOINT", url)
    yield emu
    emu.stop()


def test_sql_waits_for_the_peering_while_independent_creates_overlap(slow_emulator, cli):
    # Enough workers that a create waits only for what it depends on, never for a free worker.
    applied = cli("apply", "--env", "dev", "--auto-approve", "--parallelism", "64")
    assert applied.code == 0, applied.out + applied.err
    log = slow_emulator.requests()

    (sql_create,) = [r for r in log if r.method_id == "sql.instances.insert"]
    peering_polls = [r for r in log if r.method_id == "servicenetworking.operations.get"]
    assert peering_polls, "the peering operation must be waited on"
    assert all(p.seq < sql_create.seq for p in peering_polls), (
        "Cloud SQL must start after the peering is done"
    )

    # Subnet, router and private-service range all need only the network: they go out together,
    # well inside the time the quickest of them takes to finish (a router: ~11 s real, scaled).
    (subnet,) = [r for r in log if r.method_id == "compute.subnetworks.insert"]
    (router,) = [r for r in log if r.method_id == "compute.routers.insert"]
    # Two global addresses: the load balancer's IP needs nothing and goes out at once; the
    # private-service range is the one that waits for the network with the subnet and router.
    addresses = [r for r in log if r.method_id == "compute.globalAddresses.insert"]
    assert len(addresses) == 2
    psa_range = min(addresses, key=lambda r: abs(r.timestamp - subnet.timestamp))
    siblings = [subnet, router, psa_range]
    spread = max(r.timestamp for r in siblings) - min(r.timestamp for r in siblings)
    assert spread < 11 * SCALE

    # The key ring does not wait for the network at all: it goes out before anything that does.
    (ring,) = [r for r in log if r.method_id == "cloudkms.projects.locations.keyRings.create"]
    assert ring.seq < subnet.seq

    assert cli("plan", "--env", "dev", "--detailed-exitcode").code == 0
