"""Every API method the provisioner calls is measured against real traffic, or says why not."""

from __future__ import annotations

import pytest

from conformance import coverage, report


@pytest.fixture(scope="session")
def called() -> dict[str, list[str]]:
    """Methods of plan, apply, drift, backups and restore of the three environments, read from
    the emulator's request log of those commands run from empty."""
    return coverage.provisioner_methods()


def test_the_commands_call_what_an_operator_would_expect(called: dict[str, list[str]]) -> None:
    assert "sql.instances.insert" in called and "apply dev" in called["sql.instances.insert"]
    assert "sql.instances.restoreBackup" in called
    assert any("drift" in label for label in called["compute.firewalls.list"])


def test_every_method_the_provisioner_calls_is_replayed_or_listed_with_its_reason(
    called: dict[str, list[str]], corpus_run: report.Run
) -> None:
    missing = coverage.uncovered(called, set(corpus_run.methods()))
    assert missing == [], (
        "methods the provisioner calls with no replayed real exchange: add a recording, or list "
        f"them in conformance/unrecorded.json with the reason and the documentation: {missing}"
    )


def test_the_list_of_unrecorded_methods_holds_nothing_stale(
    called: dict[str, list[str]], corpus_run: report.Run
) -> None:
    listed = coverage.unrecorded()
    exercised = set(corpus_run.methods())
    assert sorted(m for m in listed if m in exercised) == [], "now replayed: remove from the list"
    assert sorted(m for m in listed if coverage.through_get(m, exercised)) == [], (
        "a list whose get is replayed is covered by coverage.LIST_THROUGH_GET: remove it from the list"
    )
    assert sorted(m for m in listed if m not in called) == [], "no longer called: remove from the list"
    for method, entry in listed.items():
        assert len(entry["reason"]) > 40, method
        assert entry["documentation"].startswith("https://cloud.google.com/"), method


def test_a_list_is_measured_through_its_get_only_when_the_get_is_replayed() -> None:
    exercised = {"compute.firewalls.get", "compute.firewalls.insert"}
    assert coverage.through_get("compute.firewalls.list", exercised)
    assert not coverage.through_get("compute.routers.list", exercised)  # its get is not replayed
    assert not coverage.through_get("compute.firewalls.delete", exercised)  # only lists
    assert coverage.LIST_THROUGH_GET["documentation"].startswith("https://cloud.google.com/")
