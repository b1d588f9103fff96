"""Operations that take time: effects land at completion, never after a failure."""

from __future__ import annotations

import time
from typing import Any

import pytest
from google.api_core import exceptions
from google.api_core.client_options import ClientOptions
from google.auth.credentials import AnonymousCredentials
from google.cloud import kms_v1

from emulator import Emulator, EmulatorConfig
from emulator.durations import realistic_seconds
from emulator.effects import Effect, effect_hook
from emulator.errors import ApiError, failed_precondition
from emulator.state import Store
from tests.emulator.conftest import PROJECT


def _kms(emu: Emulator) -> kms_v1.KeyManagementServiceClient:
    return kms_v1.KeyManagementServiceClient(
        transport="rest",
        credentials=AnonymousCredentials(),
        client_options=ClientOptions(api_endpoint=emu.base_url),
    )


def _empty_key(kms: kms_v1.KeyManagementServiceClient, key_id: str) -> str:
    parent = f"projects/{PROJECT}/locations/europe-west1"
    ring = kms.create_key_ring(request={"parent": parent, "key_ring_id": "ops", "key_ring": {}})
    key = kms.create_crypto_key(
        request={
            "parent": ring.name,
            "crypto_key_id": key_id,
            "crypto_key": {"purpose": kms_v1.CryptoKey.CryptoKeyPurpose.ENCRYPT_DECRYPT},
            "skip_initial_version_creation": True,
        }
    )
    return key.name


def test_delete_lands_when_the_operation_is_done() -> None:
    with Emulator(EmulatorConfig(projects=[PROJECT], operation_delay_s=60)) as emu:
        emu.start()
        kms = _kms(emu)
        name = _empty_key(kms, "slow")
        op = kms.delete_crypto_key(name=name)
        assert not op.done()
        assert kms.get_crypto_key(name=name).name == name
        emu.advance_time(61)
        assert op.done()
        with pytest.raises(exceptions.NotFound):
            kms.get_crypto_key(name=name)


def test_failed_operation_leaves_the_resource() -> None:
    with Emulator(EmulatorConfig(projects=[PROJECT])) as emu:
        emu.start()
        kms = _kms(emu)
        name = _empty_key(kms, "kept")
        emu.faults.configure(operation_failure_rate=1.0)
        op = kms.delete_crypto_key(name=name)
        with pytest.raises(exceptions.GoogleAPICallError):
            op.result(timeout=5)
        emu.faults.clear()
        assert kms.get_crypto_key(name=name).name == name


def _ops(delay: float = 10.0) -> tuple[Emulator, Any]:
    emu = Emulator(EmulatorConfig(projects=[PROJECT], operation_delay_s=delay))
    return emu, emu.ctx.operations


def test_effects_apply_once_in_done_time_order() -> None:
    emu, ops = _ops()
    with emu:
        ops.start("x", duration_s=2, effects=[Effect.put("t.thing", "a", {"n": 2})])
        ops.start("x", duration_s=1, effects=[Effect.put("t.thing", "a", {"n": 1})])
        ops.start(
            "x",
            duration_s=3,
            effects=[
                Effect.set("t.thing", "a", {"tags.x": "y"}),
                Effect.upsert("t.thing", "a", "l", {"name": "p"}),
            ],
        )
        assert emu.settle() == 0
        assert emu.store.get("t.thing", "a") is None
        emu.advance_time(5)
        assert emu.settle() == 3
        assert emu.store.get("t.thing", "a") == {"n": 2, "tags": {"x": "y"}, "l": [{"name": "p"}]}
        emu.store.delete("t.thing", "a")
        assert emu.settle() == 0
        assert emu.store.get("t.thing", "a") is None


def test_failure_effects_replace_effects_when_the_operation_fails() -> None:
    emu, ops = _ops(0)
    with emu:
        emu.store.put("t.thing", "b", {"state": "PENDING_CREATE"})
        record = ops.start(
            "x",
            error=failed_precondition("nope"),
            effects=[Effect.set("t.thing", "b", {"state": "READY"})],
            failure_effects=[Effect.delete("t.thing", "b")],
        )
        emu.settle()
        assert emu.store.get("t.thing", "b") is None
        assert ops.view(ops.record(record["name"]))["error"]["code"] == 9


@effect_hook("test.refuse_when_blocked")
def _refuse(store: Store, args: dict[str, Any]) -> None:
    if store.get("t.block", args["name"]) is not None:
        raise ApiError(400, "still in use", reason="resourceInUseByAnotherResource")
    store.delete("t.thing", args["name"])


def test_hook_can_fail_the_operation_at_completion_time() -> None:
    emu, ops = _ops(1)
    with emu:
        emu.store.put("t.thing", "c", {})
        record = ops.start(
            "",
            name="operation-1",
            style="compute",
            effects=[Effect.set("t.thing", "c", {"x": 1}), Effect.hook("test.refuse_when_blocked", name="c")],
        )
        emu.store.put("t.block", "c", {})
        emu.advance_time(2)
        emu.settle()
        assert emu.store.get("t.thing", "c") == {}
        shown = ops.view(ops.record(record["name"]))
        assert shown["status"] == "DONE"
        assert shown["error"]["errors"][0]["code"] == "RESOURCE_IN_USE_BY_ANOTHER_RESOURCE"
        assert shown["httpErrorStatusCode"] == 400


def test_in_flight_and_compute_status_phases() -> None:
    emu, ops = _ops(100)
    with emu:
        record = ops.start("", name="operation-2", style="compute", target="projects/p/global/networks/n")
        assert [r["name"] for r in ops.in_flight("projects/p/global/networks/n")] == ["operation-2"]
        # Compute answers RUNNING, progress 0, from the start (as real Google does in every
        # recorded insert); the progress moves with the clock.
        started = ops.view(record)
        assert (started["status"], started["progress"]) == ("RUNNING", 0)
        assert started["startTime"] == started["insertTime"]
        emu.advance_time(50)
        assert (ops.view(record)["status"], ops.view(record)["progress"]) == ("RUNNING", 50)
        emu.advance_time(51)
        assert ops.view(record)["status"] == "DONE"
        assert ops.in_flight("projects/p/global/networks/n") == []


def test_wait_returns_at_done_or_cap() -> None:
    emu, ops = _ops(0.2)
    with emu:
        record = ops.start("", name="operation-3", style="compute")
        start = time.monotonic()
        assert ops.is_done(ops.wait(record["name"], cap_s=5))
        assert 0.15 < time.monotonic() - start < 2
        slow = ops.start("", name="operation-4", style="compute", duration_s=60)
        start = time.monotonic()
        assert not ops.is_done(ops.wait(slow["name"], cap_s=0.1))
        assert time.monotonic() - start < 1


def test_realistic_profile_orders_durations_as_observed() -> None:
    router = realistic_seconds(("compute", "insert", "routers"))
    network = realistic_seconds(("compute", "insert", "networks"))
    address = realistic_seconds(("compute", "insert", "globalAddresses"))
    connect = realistic_seconds(("servicenetworking", "connect"))
    connector = realistic_seconds(("vpcaccess", "create"))
    sql_zonal = realistic_seconds(("sqladmin", "CREATE"))
    sql_ha = realistic_seconds(("sqladmin", "CREATE", "REGIONAL"))
    assert realistic_seconds(("cloudkms", "delete")) == 0
    assert realistic_seconds(("sqladmin", "CREATE_USER")) < router < address < network < connect
    assert connect < connector < realistic_seconds(("sqladmin", "UPDATE", "TIER")) < sql_zonal < sql_ha
    assert realistic_seconds(("sqladmin", "UPDATE")) < realistic_seconds(("sqladmin", "UPDATE", "TIER"))
    emu = Emulator(EmulatorConfig(operation_profile="realistic"))
    with emu:
        assert emu.ctx.operations.duration(("sqladmin", "CREATE")) == pytest.approx(6.0)
    with pytest.raises(ValueError):
        Emulator(EmulatorConfig(operation_profile="slow"))
