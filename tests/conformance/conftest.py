from __future__ import annotations

import pytest

from conformance import report


@pytest.fixture(scope="session")
def corpus_run() -> report.Run:
    """The whole corpus replayed once for every test of this folder (about half a minute)."""
    return report.replay_all()
