"""Independent work overlaps and ordering holds, shown without timing anything.

Every operation of this emulator would take a thousand seconds; the test moves the emulator's
clock to finish them. Between two moves nothing finishes, so whatever the engine sends then, it
sends without waiting for any of it: siblings that all appear while the clock stands still went
out together, and a create that waits for another never appears before that one is finished.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest

from emulator import Emulator, EmulatorConfig
from tests.e2e.conftest import PROJECTS

FOREVER_S = 1000.0
#: How long the test waits for the engine to send what it can (a guard, not a measurement).
PATIENCE_S = 60.0


@pytest.fixture
def still_emulator(tmp_path, monkeypatch):
    config = EmulatorConfig(
        state_path=tmp_path / "emulator.sqlite",
        projects=PROJECTS,
        operation_delay_s=FOREVER_S,
        operation_wait_cap_s=0.05,
    )
    emu = Emulator(config)
    emu.url = emu.start(port=0)
    monkeypatch.setenv("PROVISIONER_ENDPOINT", emu.url)
    yield emu
    emu.stop()


def _sent(emu: Emulator, method_id: str) -> list:
    return [r for r in emu.requests() if r.method_id == method_id and r.status < 400]


def _until(condition: Callable[[], bool], then: Callable[[], None] = lambda: None) -> None:
    deadline = time.monotonic() + PATIENCE_S
    while not condition():
        assert time.monotonic() < deadline, "the engine stopped sending before the condition held"
        then()
        time.sleep(0.02)


def _apply_dev(emu: Emulator, outcome: dict[str, bool]) -> None:
    """Plan and apply dev as `apply --auto-approve` does, polling on a fast clock."""
    from provisioner.engine.apply import Executor
    from provisioner.engine.context import Context
    from provisioner.engine.planner import Planner
    from provisioner.google.clients import ClientFactory, Endpoints
    from provisioner.spec.loader import load_env_spec
    from reconcilers import all_reconcilers
    from tests.e2e.conftest import SPECS

    ctx = Context(
        spec=load_env_spec(SPECS, "dev"), clients=ClientFactory(Endpoints(default=emu.url)), poll_scale=0.01
    )
    # Enough workers that a create waits only for what it depends on, never for a free one.
    planner = Planner(ctx, all_reconcilers(), parallelism=64)
    observation = planner.snapshot()
    plan = planner.plan(observation=observation)
    result = Executor(ctx, planner.kinds, observation.live, parallelism=64).run(plan)
    outcome["ok"] = result.ok


def test_siblings_go_out_together_and_cloud_sql_waits_for_the_peering(still_emulator, cli):
    emu = still_emulator
    outcome: dict[str, bool] = {}
    apply = threading.Thread(target=_apply_dev, args=(emu, outcome), daemon=True)
    apply.start()
    try:
        # Finish whatever is under way (the APIs' enables) until the network's create goes out.
        _until(lambda: bool(_sent(emu, "compute.networks.insert")), then=lambda: emu.advance_time(FOREVER_S))
        emu.advance_time(FOREVER_S)  # the network is done; from now on the clock stands still

        # Subnet, router and private-service range need only the network: all three go out
        # while none of them can finish, so none waited for another.
        _until(
            lambda: bool(
                _sent(emu, "compute.subnetworks.insert")
                and _sent(emu, "compute.routers.insert")
                and len(_sent(emu, "compute.globalAddresses.insert")) == 2  # with the LB's IP
            )
        )
        # Cloud SQL needs the peering, which needs the private-service range: not yet.
        assert not _sent(emu, "sql.instances.insert")
    finally:
        _until(lambda: not apply.is_alive(), then=lambda: emu.advance_time(FOREVER_S))
    assert outcome["ok"]

    log = emu.requests()
    (sql_create,) = [r for r in log if r.method_id == "sql.instances.insert"]
    peering = [r for r in log if r.method_id == "servicenetworking.services.connections.create"]
    assert peering and peering[0].seq < sql_create.seq
    # The key ring does not wait for the network at all.
    (ring,) = [r for r in log if r.method_id == "cloudkms.projects.locations.keyRings.create"]
    (subnet,) = [r for r in log if r.method_id == "compute.subnetworks.insert"]
    assert ring.seq < subnet.seq
    assert cli("plan", "--env", "dev", "--detailed-exitcode").code == 0
