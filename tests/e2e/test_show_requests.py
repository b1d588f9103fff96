"""`plan --show-requests` lists exactly the writes `apply` then sends, and sends none itself.

The proof is the emulator's request log: what `plan --show-requests` lists is compared, in
method, path, query and body, with the writes the log records while `apply` runs. What
differs between two runs by nature is set aside, and only that:

- names the API assigns on create (a notification channel's id, which alert policies name);
- the etag of an IAM policy, which the API changes with every write;
- a KMS key's first `nextRotationTime`, set from the clock at the moment of the call;
- secret values: the generated password (a new one in each run) and its Secret Manager
  payload are masked in the listing and redacted in the log;
- the project IAM policy holds every account's roles: the listing shows one write per
  account, while apply writes the grants that arrive together in one read-modify-write
  (how they group depends on timing), so those writes are compared by what they add and
  remove all together; one the API refused because someone else's write got in between
  (409, the etag moved) is sent again after a fresh read, and only the one that went
  through counts;
- APIs are enabled several at a time: the listing shows one enable per API, while apply
  sends the enables that arrive together in one `batchEnable` (how they group depends on
  timing), so those writes are compared by the APIs they enable all together;
- the environment's lock, which `apply` takes and `plan` never does, is not a change.

Changes run side by side, so requests are compared as a collection, not as a sequence.
"""

from __future__ import annotations

import base64
import json
import re
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import jsonschema
from google.auth.credentials import AnonymousCredentials
from google.cloud import run_v2, storage
from googleapiclient.discovery import build_from_document

from provisioner.google.clients import _discovery_document

SCHEMA = json.loads((Path(__file__).resolve().parents[2] / "schemas" / "plan.schema.json").read_text())
PROJECT = "digitwin-live-prod"
INSTANCE = "digitwin-prod-pg"
CHANNEL = re.compile(r"^(projects/[^/]+/notificationChannels/).+$")
LOCK_OBJECTS = re.compile(r"/b/[^/]+-provisioner-state/o")
STATE_BUCKET = "digitwin-live-prod-provisioner-state"
SECRET_FIELDS = {"password", "data"}


def _discovery(emulator, api: str, version: str, path: str = "") -> Any:
    import google_auth_httplib2
    import httplib2

    http = google_auth_httplib2.AuthorizedHttp(AnonymousCredentials(), http=httplib2.Http())
    return build_from_document(
        _discovery_document(api, version),
        http=http,
        client_options={"api_endpoint": f"{emulator.url}/{path}"},
    )


def _normalised(value: Any, key: str = "") -> Any:
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if k == "nextRotationTime" or (k == "etag" and key == "policy"):
                continue
            out[k] = "<secret>" if k in SECRET_FIELDS and isinstance(v, str) else _normalised(v, k)
        return out
    if isinstance(value, list):
        return [_normalised(v, key) for v in value]
    if isinstance(value, str) and key == "notificationChannels":
        return CHANNEL.sub(r"\1<assigned>", value)
    return value


def _bindings(body: dict[str, Any]) -> set[tuple[str, str]]:
    policy = body.get("policy") or {}
    return {(b["role"], m) for b in policy.get("bindings", []) for m in b.get("members", [])}


def _comparable(writes: list[tuple[str, str, str, Any]]) -> Counter[str]:
    """Writes in the order sent, as comparable keys; the project policy writes as one key,
    of everything they add and remove together."""
    keys: Counter[str] = Counter()
    granted: set[tuple[str, str]] = set()
    adds: set[tuple[str, str]] = set()
    removes: set[tuple[str, str]] = set()
    policy_path = None
    enabled: list[str] = []
    for method, path, query, body in writes:
        body = _normalised(body)
        # Compute's requestId is fresh on every apply: the listing shows it as `{uuid}`.
        params = sorted(
            (k, "{uuid}" if k == "requestId" else v) for k, v in parse_qsl(query, keep_blank_values=True)
        )
        single = re.fullmatch(r"/v1/projects/[^/]+/services/([^/:]+):enable", path)
        if single or re.fullmatch(r"/v1/projects/[^/]+/services:batchEnable", path):
            enabled += [single.group(1)] if single else body["serviceIds"]
            continue
        if re.fullmatch(r"/v3/projects/[^/]+:setIamPolicy", path):
            now = _bindings(body)
            adds |= now - granted
            removes |= granted - now
            granted = now
            policy_path = [method, path, params]
            continue
        keys[json.dumps([method, path, params, body], sort_keys=True)] += 1
    if policy_path is not None:
        together = {"adds": sorted(adds - removes), "removes": sorted(removes - adds)}
        keys[json.dumps([*policy_path, together], sort_keys=True)] += 1
    if enabled:
        keys[json.dumps(["enable", sorted(enabled)])] += 1
    return keys


def _lock_home(path: str, body: Any) -> bool:
    """The state bucket's own writes: on a first apply the lock makes it, then the plan updates it."""
    return path.endswith(f"/b/{STATE_BUCKET}") or (
        path.endswith("/b") and (body or {}).get("name") == STATE_BUCKET
    )


def _shown(listed: list[dict[str, Any]]) -> Counter[str]:
    return _comparable(
        [
            (r["method"], urlsplit(r["url"]).path, urlsplit(r["url"]).query, r["body"])
            for r in listed
            if not _lock_home(urlsplit(r["url"]).path, r["body"])
        ]
    )


def _sent(emulator) -> Counter[str]:
    writes = [
        r
        for r in emulator.requests()
        if r.is_write
        and not LOCK_OBJECTS.search(r.path)
        and not _lock_home(r.path, r.body)
        and not (r.status == 409 and r.path.endswith(":setIamPolicy"))
    ]
    return _comparable([(r.http_method, r.path, r.query, r.body) for r in writes])


def _show_then_apply(emulator, cli, env: str) -> tuple[dict[str, Any], Counter[str]]:
    emulator.clear_requests()
    shown = cli("plan", "--env", env, "--show-requests", "--format", "json")
    assert shown.code == 0, shown.err
    assert [r for r in emulator.requests() if r.is_write] == [], "plan --show-requests must write nothing"
    emulator.clear_requests()
    applied = cli("apply", "--env", env, "--auto-approve")
    assert applied.code == 0, applied.out + applied.err
    return json.loads(shown.out), _sent(emulator)


def _differences(shown: Counter[str], sent: Counter[str]) -> str:
    only_shown = "\n".join(sorted((shown - sent).elements()))
    only_sent = "\n".join(sorted((sent - shown).elements()))
    return f"listed but not sent:\n{only_shown}\n\nsent but not listed:\n{only_sent}"


def test_prod_from_empty_lists_every_write_apply_sends(emulator, cli):
    plan, sent = _show_then_apply(emulator, cli, "prod")

    jsonschema.Draft202012Validator(SCHEMA).validate(plan)
    listed = plan["requests"]
    assert _shown(listed) == sent, _differences(_shown(listed), sent)
    # The lock's bucket, listed as the plan's create, is made first without its default key
    # (created later by the same apply) to hold the lock, and that key is then set on it.
    (home,) = [r for r in listed if _lock_home(urlsplit(r["url"]).path, r["body"])]
    made, *then = [
        (r.http_method, r.body) for r in emulator.requests() if r.is_write and _lock_home(r.path, r.body)
    ]
    without_key = {k: v for k, v in home["body"].items() if k != "encryption"}
    assert home["method"] == "POST" and made == ("POST", without_key)
    assert then == [("PATCH", {"encryption": home["body"]["encryption"]})]
    assert [r["number"] for r in listed] == list(range(1, len(listed) + 1))
    creates = {c["address"] for c in plan["changes"] if c["action"] == "create"}
    # The cluster's create makes its node pools, and one batchEnable enables every API: those
    # changes send no write of their own.
    made_with_cluster = {a for a in creates if a.startswith("gke.node_pool/")}
    apis = {a for a in creates if a.startswith("serviceusage.service/")}
    assert len(made_with_cluster) == 3
    sending = {r["address"] for r in listed}
    # Cloud Storage makes its service agent on a read (`projects.serviceAccount.get`).
    made_by_a_read = {"serviceusage.service_identity/storage.googleapis.com"}
    assert creates - sending == made_with_cluster | (apis - sending) | made_by_a_read
    (enable,) = [r for r in listed if r["address"] in apis]
    assert set(enable["body"]["serviceIds"]) == {a.split("/", 1)[1] for a in apis}
    network = next(r for r in listed if r["address"] == "compute.network/digitwin-prod-vpc")
    assert network["method"] == "POST" and network["waits_on_operation"]
    assert urlsplit(network["url"]).path == f"/compute/v1/projects/{PROJECT}/global/networks"
    (user,) = [r for r in listed if r["address"].startswith("sql.user/")]
    (value,) = [r for r in listed if r["address"].startswith("secrets.generated_value/")]
    assert user["body"]["password"] == "(sensitive)"
    assert value["body"] == {"payload": {"data": "(sensitive)"}}


def _drift_prod(emulator) -> str:
    """Labels, a SQL tier and a bucket's lifecycle changed by hand, and the app's user dropped.

    Returns the database password, which creating the user again reads from Secret Manager.
    """
    services = run_v2.ServicesClient(
        transport="rest", credentials=AnonymousCredentials(), client_options={"api_endpoint": emulator.url}
    )
    name = f"projects/{PROJECT}/locations/us-central1/services/digitwin-prod-api-gateway"
    labels = {**services.get_service(name=name).labels, "team": "someone-else"}
    services.update_service(
        service=run_v2.Service(name=name, labels=labels), update_mask={"paths": ["labels"]}
    ).result()

    sql = _discovery(emulator, "sqladmin", "v1")
    live = sql.instances().get(project=PROJECT, instance=INSTANCE).execute()
    body = {"settings": {"tier": "db-custom-2-7680", "settingsVersion": live["settings"]["settingsVersion"]}}
    sql.instances().patch(project=PROJECT, instance=INSTANCE, body=body).execute()
    sql.users().delete(project=PROJECT, instance=INSTANCE, name="digitwin_app").execute()

    gcs = storage.Client(
        project=PROJECT, credentials=AnonymousCredentials(), client_options={"api_endpoint": emulator.url}
    )
    bucket = gcs.get_bucket("digitwin-live-prod-conversation-history")
    bucket.lifecycle_rules = [{"action": {"type": "Delete"}, "condition": {"age": 1}}]
    bucket.patch()

    secrets = _discovery(emulator, "secretmanager", "v1")
    latest = f"projects/{PROJECT}/secrets/digitwin-db-password/versions/latest"
    payload = secrets.projects().secrets().versions().access(name=latest).execute()["payload"]["data"]
    return base64.b64decode(payload).decode()


def test_drifted_prod_lists_the_corrections_apply_sends_and_never_the_password(emulator, cli):
    assert cli("apply", "--env", "prod", "--auto-approve").code == 0
    password = _drift_prod(emulator)
    outputs = [
        cli("plan", "--env", "prod", "--show-requests", "--format", fmt) for fmt in ("text", "markdown")
    ]

    plan, sent = _show_then_apply(emulator, cli, "prod")

    listed = plan["requests"]
    assert _shown(listed) == sent, _differences(_shown(listed), sent)
    by_address = {r["address"]: r for r in listed}
    assert set(by_address) == {
        "run.service/us-central1/digitwin-prod-api-gateway",
        f"sql.instance/{INSTANCE}",
        f"sql.user/{INSTANCE}/digitwin_app",
        "storage.bucket/digitwin-live-prod-conversation-history",
    }
    relabel = by_address["run.service/us-central1/digitwin-prod-api-gateway"]
    assert relabel["method"] == "PATCH" and "updateMask=labels" in relabel["url"]
    assert relabel["body"]["labels"]["team"] == "platform"
    tier = by_address[f"sql.instance/{INSTANCE}"]
    assert tier["method"] == "PATCH" and tier["body"]["settings"]["tier"] == "db-custom-4-16384"
    lifecycle = by_address["storage.bucket/digitwin-live-prod-conversation-history"]
    assert "ifMetagenerationMatch=" in lifecycle["url"] and list(lifecycle["body"]) == ["lifecycle"]
    assert by_address[f"sql.user/{INSTANCE}/digitwin_app"]["body"]["password"] == "(sensitive)"

    text = outputs[0].out
    assert "Requests apply would send:" in text
    assert f"PATCH {emulator.url}/v1/projects/{PROJECT}/instances/{INSTANCE}?alt=json" in text
    assert '"tier": "db-custom-4-16384"' in text and "then waits on the operation" in text
    assert "<summary><code>sql.instance/digitwin-prod-pg</code>: 1 request</summary>" in outputs[1].out
    encoded = base64.b64encode(password.encode()).decode()
    for haystack in [o.out + o.err for o in outputs] + [json.dumps(plan)]:
        assert password not in haystack and encoded not in haystack

    converged = cli("plan", "--env", "prod", "--show-requests")
    assert converged.code == 0 and "None: there is nothing to apply." in converged.out


def test_local_shows_the_google_hosts_the_emulator_stands_in_for(cli, tmp_path, monkeypatch):
    monkeypatch.delenv("PROVISIONER_ENDPOINT", raising=False)
    state = str(tmp_path / "state")

    text = cli("plan", "--env", "dev", "--local", "--state-dir", state, "--show-requests")
    markdown = cli(
        "plan", "--env", "dev", "--local", "--state-dir", state, "--show-requests", "--format", "markdown"
    )

    assert text.code == 0 and markdown.code == 0, text.err + markdown.err
    section = text.out.split("Requests apply would send:", 1)[1]
    network = (
        "POST https://compute.googleapis.com/compute/v1/projects/digitwin-live-dev/global/networks"
        "?requestId={uuid}&alt=json"
    )
    assert f". {network}\n" in section
    assert "https://sqladmin.googleapis.com/v1/projects/digitwin-live-dev/instances?alt=json" in section
    assert (
        "https://cloudkms.googleapis.com/v1/projects/digitwin-live-dev/locations/us-central1/keyRings?"
        in section
    )
    assert "https://storage.googleapis.com/storage/v1/b?project=digitwin-live-dev" in section
    assert "127.0.0.1" not in section
    assert "### Requests apply would send" in markdown.out
    assert markdown.out.count("<details>") == markdown.out.count("</details>")
    assert f"`{network}`" in markdown.out
