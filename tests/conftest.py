from __future__ import annotations

import os

# Short backoff for tests: the emulator's faults are the point, not the waiting.
os.environ.setdefault("PROVISIONER_RETRY_INITIAL", "0.01")
os.environ.setdefault("PROVISIONER_RETRY_MAXIMUM", "0.1")
os.environ.setdefault("PROVISIONER_RETRY_DEADLINE", "30")


def pytest_addoption(parser):
    parser.addoption(
        "--update-golden",
        action="store_true",
        help="rewrite tests/golden/*/*/_http.log from what the provisioner sends now (review with git diff)",
    )
