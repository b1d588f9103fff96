"""Reliability properties run against the same emulator and CLI fixtures as the end-to-end tests."""

from tests.e2e.conftest import cli, emulator  # noqa: F401  (fixtures)
