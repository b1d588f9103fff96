"""Creates that took effect but whose answer was lost (a 5xx or a dropped connection after
the server acted) are not sent twice: server-named resources are looked for by their key
before a retry, Compute inserts are recognised by their requestId, and a 409 on a resource
that is ours and as the spec says is the create's own success."""

from __future__ import annotations

from collections import Counter
from urllib.parse import parse_qs

import pytest
import requests

from emulator import FaultRule

PROJECT = "digitwin-live-staging"
#: Every create whose resource the server names, as the emulator's method ids.
SERVER_NAMED = (
    "monitoring.projects.alertPolicies.create",
    "monitoring.projects.notificationChannels.create",
    "monitoring.projects.dashboards.create",
    "secretmanager.projects.secrets.addVersion",
)


def _get(emulator, path: str) -> dict:
    answer = requests.get(f"{emulator.url}/{path}", timeout=10)
    assert answer.status_code == 200, answer.text
    return answer.json()


def _keys(items: list[dict], labels_field: str) -> Counter[str]:
    return Counter((i.get(labels_field) or {}).get("digitwin-key", "") for i in items)


@pytest.mark.parametrize("lost_as", [503, 0], ids=["answered-503", "connection-dropped"])
def test_every_server_named_create_whose_answer_is_lost_is_made_once(emulator, cli, lost_as):
    for method in SERVER_NAMED:  # every one of them acts, then loses its answer
        emulator.faults.add_rule(FaultRule(method, lost_as, times=99, after_acting=True))

    applied = cli("apply", "--env", "staging", "--auto-approve")

    assert applied.code == 0, applied.out + applied.err
    assert "0 failed, 0 skipped" in applied.out
    sent = Counter(r.method_id for r in emulator.requests() if r.method_id in SERVER_NAMED)
    statuses = {r.status for r in emulator.requests() if r.method_id in SERVER_NAMED}
    policies = _get(emulator, f"v3/projects/{PROJECT}/alertPolicies").get("alertPolicies", [])
    channels = _get(emulator, f"v3/projects/{PROJECT}/notificationChannels").get("notificationChannels", [])
    dashboards = _get(emulator, f"v1/projects/{PROJECT}/dashboards").get("dashboards", [])
    secrets = _get(emulator, f"v1/projects/{PROJECT}/secrets").get("secrets", [])
    versions = {s["name"]: _get(emulator, f"v1/{s['name']}/versions").get("versions", []) for s in secrets}
    print(f"lost answers ({lost_as}): creates sent {dict(sent)}")

    assert statuses == {lost_as}, "every one of them acted and lost its answer"
    assert sent == {
        "monitoring.projects.alertPolicies.create": 4,
        "monitoring.projects.notificationChannels.create": len(channels),
        "monitoring.projects.dashboards.create": 1,
        "secretmanager.projects.secrets.addVersion": len(secrets),
    }, "each create was sent once: after the lost answer it was looked for, found, and not sent again"
    assert len(policies) == 4 and set(_keys(policies, "userLabels").values()) == {1}
    assert channels and set(_keys(channels, "userLabels").values()) == {1}
    assert len(dashboards) == 1
    assert secrets and all(len(v) == 1 for v in versions.values()), versions
    assert cli("plan", "--env", "staging", "--detailed-exitcode").code == 0, "no copy left to prune"


def test_names_we_choose_recognise_their_own_create_after_a_lost_answer(emulator, cli):
    # The first bucket insert makes the lock's bucket, the second a data bucket: both retries
    # meet 409 on what the lost create made. The first backend service insert is retried
    # with its requestId, which Compute answers with the operation the first one started.
    emulator.faults.add_rule(FaultRule("storage.buckets.insert", 503, times=2, after_acting=True))
    emulator.faults.add_rule(FaultRule("compute.backendServices.insert", 503, times=1, after_acting=True))

    applied = cli("apply", "--env", "staging", "--auto-approve")

    assert applied.code == 0, applied.out + applied.err
    assert "0 failed, 0 skipped" in applied.out
    log = emulator.requests()
    buckets = [(r.body["name"], r.status) for r in log if r.method_id == "storage.buckets.insert"]
    inserts = [r for r in log if r.method_id == "compute.backendServices.insert"]
    services = _get(emulator, f"compute/v1/projects/{PROJECT}/global/backendServices").get("items", [])
    print(
        f"bucket inserts {buckets}; backend service inserts {[(r.body['name'], r.status) for r in inserts]}"
    )

    lost = [name for name, status in buckets if status == 503]
    assert len(lost) == 2 and all((name, 409) in buckets for name in lost), buckets
    assert Counter(status for _, status in buckets)[409] == 2, "the only 409s are the lost creates' retries"
    assert "already existed and matches" in applied.err + applied.out
    (first,) = [r for r in inserts if r.status == 503]
    (retry,) = [r for r in inserts if r.body["name"] == first.body["name"] and r is not first]
    assert retry.status == 200 and retry.seq > first.seq
    assert parse_qs(first.query)["requestId"] == parse_qs(retry.query)["requestId"]
    assert len(inserts) == len(services) + 1 and all(r.status != 409 for r in inserts)
    assert len({s["name"] for s in services}) == len(services)
    assert cli("plan", "--env", "staging", "--detailed-exitcode").code == 0


def test_with_answers_lost_at_random_one_apply_converges_with_one_copy_of_everything(emulator, cli):
    emulator.faults.configure(lost_answer_rate=0.15, seed=2)

    applied = cli("apply", "--env", "staging", "--auto-approve")

    lost = [r for r in emulator.requests() if r.is_write and r.status in (0, 503)]
    emulator.faults.clear()
    assert len(lost) >= 5, "the seed loses the answers of several writes"
    assert applied.code == 0 and "0 failed, 0 skipped" in applied.out, applied.out + applied.err
    policies = _get(emulator, f"v3/projects/{PROJECT}/alertPolicies").get("alertPolicies", [])
    assert len(policies) == 4
    assert cli("plan", "--env", "staging", "--detailed-exitcode").code == 0, "nothing left over, no copy"
