"""Every engine test starts from an empty in-memory store."""

from __future__ import annotations

import pytest

from tests.engine.fakes import STORE


@pytest.fixture(autouse=True)
def clean_store():
    STORE.items.clear()
    STORE.calls.clear()
    STORE.fail.clear()
    yield
