"""A failed operation is started again only as its kind declares, by the engine."""

from __future__ import annotations

import pytest

from provisioner.engine.operations import DoneOperation, Operation, Restarts
from provisioner.google.errors import OperationFailed


class Failing:
    description = "create x"

    def __init__(self, code: int) -> None:
        self.code = code

    def poll(self) -> bool:
        raise OperationFailed(self.description, "failed", self.code)


def starter(*outcomes: Operation) -> tuple[list[int], object]:
    started: list[int] = []

    def start() -> Operation:
        started.append(1)
        return outcomes[len(started) - 1]

    return started, start


def test_by_default_a_failed_operation_is_final():
    started, start = starter(Failing(500), DoneOperation())
    op = Restarts().start("create x", start)
    with pytest.raises(OperationFailed):
        op.poll()
    assert len(started) == 1


def test_a_declared_failure_starts_the_operation_again():
    started, start = starter(Failing(503), DoneOperation())
    op = Restarts(frozenset({500, 503}), 2).start("create x", start)
    assert op.poll() is False
    assert op.poll() is True
    assert len(started) == 2


def test_other_failures_and_failures_past_the_last_restart_are_final():
    started, start = starter(Failing(400))
    with pytest.raises(OperationFailed):
        Restarts(frozenset({500}), 2).start("create x", start).poll()
    assert len(started) == 1

    started, start = starter(Failing(500), Failing(500))
    op = Restarts(frozenset({500}), 1).start("create x", start)
    assert op.poll() is False
    with pytest.raises(OperationFailed):
        op.poll()
    assert len(started) == 2
