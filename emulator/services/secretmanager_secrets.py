"""Secret Manager secrets: create with replication and CMEK checks, get, list, masked patch,
delete with an etag precondition, and IAM policies.

Global secrets only (`projects/*/secrets/*`); the regional `locations` surface is not served.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from emulator import iam, service_agents, standard
from emulator.clock import parse_duration, parse_rfc3339
from emulator.collection import declare_get
from emulator.errors import ApiError, failed_precondition, invalid
from emulator.registry import Api, Call
from emulator.services import pubsub_topics
from emulator.services._secretmanager import (
    SECRET,
    SECRET_ID,
    SECRET_VERSION,
    check_etag,
    check_labels,
    check_replication,
    fetch_secret,
    list_answer,
    new_etag,
    project_of,
    remove_secret,
)

API = Api("secretmanager", "v1")

MUTABLE = {
    "labels",
    "annotations",
    "topics",
    "expireTime",
    "ttl",
    "rotation",
    "versionAliases",
    "versionDestroyTtl",
}
IMMUTABLE = {"replication", "secretType", "tags", "customerManagedEncryption", "name", "createTime"}
MIN_DESTROY_TTL_S = 86_400
MAX_DESTROY_TTL_S = 1000 * 86_400
MAX_ANNOTATIONS_BYTES = 16 * 1024
MAX_TOPICS = 10


def _check_common(call: Call, secret: dict[str, Any]) -> None:
    """Rules the API applies to every stored secret, on create and on patch."""
    check_labels(secret.get("labels"), "secret.labels")
    annotations = secret.get("annotations") or {}
    if sum(len(k) + len(str(v)) for k, v in annotations.items()) > MAX_ANNOTATIONS_BYTES:
        raise invalid("The total size of annotations must not exceed 16 KiB.", field="secret.annotations")
    for key in annotations:
        if not re.fullmatch(r"[A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?", key):
            raise invalid(f"Annotation key '{key}' is invalid.", field="secret.annotations")
    topics = secret.get("topics") or []
    _check_topics(call, topics)
    if secret.get("rotation") and not topics:
        raise invalid(
            "A secret with a rotation policy must have at least one Pub/Sub topic.", field="secret.rotation"
        )
    ttl = secret.get("versionDestroyTtl")
    if ttl is not None and not MIN_DESTROY_TTL_S <= parse_duration(ttl) <= MAX_DESTROY_TTL_S:
        raise invalid(
            "version_destroy_ttl must be between 1 day and 1000 days.", field="secret.version_destroy_ttl"
        )
    expire = secret.get("expireTime")
    if expire is not None and parse_rfc3339(expire) <= call.ctx.clock.datetime():
        raise invalid("expire_time must be in the future.", field="secret.expire_time")


def _check_topics(call: Call, topics: list[dict[str, Any]]) -> None:
    """The topics a secret publishes its events to: at most 10 ("Secrets can be configured with
    a list of up to 10 Pub/Sub topics"), each an existing `projects/*/topics/*` on which Secret
    Manager's service agent may publish ("For publication to succeed, the Secret Manager service
    agent must have the pubsub.topic.publish permission on the topic"; and a TOPIC_CONFIGURED
    message is published to every topic as soon as the secret is created or its topics change:
    https://cloud.google.com/secret-manager/docs/event-notifications). Config Connector grants
    `roles/pubsub.publisher` to the agent on both topics before it creates the secret (kcc-golden
    secretmanager/v1beta1/secretmanagersecret/fullsecretmanagersecret-auto-direct/_http.log #9-#14,
    then #23)."""
    if len(topics) > MAX_TOPICS:
        raise invalid(f"A secret can have at most {MAX_TOPICS} topics.", field="secret.topics")
    for index, topic in enumerate(topics):
        name = str((topic or {}).get("name") or "")
        found = re.fullmatch(r"projects/([^/]+)/topics/([^/]+)", name)
        if not found:
            raise invalid(
                f"Invalid Pub/Sub topic name '{name}': expected projects/*/topics/*.",
                field=f"secret.topics[{index}].name",
            )
        known = call.ctx.projects.lookup(found.group(1))
        stored = (
            call.ctx.store.get(pubsub_topics.TOPIC, f"projects/{known[0]}/topics/{found.group(2)}")
            if known
            else None
        )
        if stored is None:
            raise invalid(f"Pub/Sub topic '{name}' not found.", field=f"secret.topics[{index}].name")
        agent = service_agents.any_email(known[1], "secretmanager.googleapis.com")
        if not pubsub_topics.may_publish(call, stored["name"], f"serviceAccount:{agent}"):
            raise failed_precondition(
                f"Secret Manager service agent {agent} does not have pubsub.topics.publish permission "
                f"on topic '{name}'."
            )


def _apply_ttl(call: Call, secret: dict[str, Any]) -> dict[str, Any]:
    """`ttl` is input only: it becomes `expireTime`."""
    if secret.get("ttl") is not None and secret.get("expireTime") is not None:
        raise invalid("Only one of expire_time and ttl may be set.", field="secret.ttl")
    out = {k: v for k, v in secret.items() if k != "ttl"}
    if secret.get("ttl") is not None:
        seconds = parse_duration(secret["ttl"])
        if seconds <= 0:
            raise invalid("ttl must be positive.", field="secret.ttl")
        out["expireTime"] = call.ctx.clock.rfc3339(seconds)
    return out


def _check_aliases(call: Call, secret: dict[str, Any]) -> None:
    aliases = secret.get("versionAliases") or {}
    if len(aliases) > 50:
        raise invalid("A secret can have at most 50 version aliases.", field="secret.version_aliases")
    existing = {v["name"].rsplit("/", 1)[1]: v for v in call.ctx.store.list(SECRET_VERSION, secret["name"])}
    for alias, number in aliases.items():
        if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_-]{0,62}", alias) or alias == "latest":
            raise invalid(f"Version alias '{alias}' is invalid.", field="secret.version_aliases")
        version = existing.get(str(number))
        if version is None or version["state"] == "DESTROYED":
            raise invalid(
                f"Version alias '{alias}' must point to an existing, not destroyed version; "
                f"version {number} is not one.",
                field="secret.version_aliases",
            )


@API.handles("secretmanager.projects.secrets.create")
def create_secret(call: Call) -> dict[str, Any]:
    _, number = project_of(call, call.param("parent"), "secretmanager.secrets.create")
    secret_id = standard.check_id(call.query.get("secretId"), "secretId", SECRET_ID)
    body = standard.drop_none(call.body or {})
    for field in ("tags", "customerManagedEncryption"):
        if body.get(field):
            message = (
                "customer_managed_encryption applies to regional secrets; global secrets take it per "
                "replication policy."
                if field == "customerManagedEncryption"
                else "Tag keys and values are not found in this organization."
            )
            raise invalid(message, field=f"secret.{standard.camel(field)}")
    check_replication(call, body.get("replication"), number)
    name = f"projects/{number}/secrets/{secret_id}"
    now = call.ctx.clock.rfc3339()
    secret = _apply_ttl(call, {k: v for k, v in body.items() if k not in ("etag", "versionAliases")})
    if body.get("versionAliases"):
        raise invalid("A new secret has no versions for aliases to point to.", field="secret.version_aliases")
    secret.update({"name": name, "createTime": now, "etag": new_etag(name, now)})
    _check_common(call, secret)
    standard.insert(call, SECRET, name, f"projects/{number}", secret, "Secret")
    return secret


@API.handles("secretmanager.projects.secrets.list")
def list_secrets(call: Call) -> dict[str, Any]:
    _, number = project_of(call, call.param("parent"), "secretmanager.secrets.list")
    secrets = []
    for stored in call.ctx.store.list(SECRET, f"projects/{number}"):
        try:
            secrets.append(fetch_secret(call, stored["name"], "secretmanager.secrets.list"))
        except ApiError:  # expired: the real API has deleted it
            continue
    secrets.sort(key=lambda s: (s["createTime"], s["name"]), reverse=True)
    return list_answer(call, "secrets", secrets)


@API.handles("secretmanager.projects.secrets.patch")
def patch_secret(call: Call) -> dict[str, Any]:
    current = fetch_secret(call, call.param("name"), "secretmanager.secrets.update")
    mask = call.query.get("updateMask")
    if not mask:
        raise invalid("update_mask is required.", field="update_mask")
    body = call.body or {}
    check_etag(body.get("etag"), current, "secret")
    for path in (standard.camel(p.strip()) for p in mask.split(",") if p.strip()):
        root = path.split(".")[0]
        if root in IMMUTABLE:
            raise invalid(f"The field '{path}' of a Secret is immutable and cannot be updated.", field=path)
    paths = {standard.camel(p.strip()) for p in mask.split(",")}
    updated = standard.apply_update_mask(current, copy.deepcopy(body), mask, MUTABLE, "Secret")
    if "ttl" in paths and "expireTime" not in paths:
        updated.pop("expireTime", None)
    updated = _apply_ttl(call, updated)
    _check_common(call, updated)
    _check_aliases(call, updated)
    updated["etag"] = new_etag(updated["name"], call.ctx.clock.rfc3339(), mask)
    call.ctx.store.put(SECRET, updated["name"], updated, updated["name"].split("/secrets/")[0])
    return updated


@API.handles("secretmanager.projects.secrets.delete")
def delete_secret(call: Call) -> dict[str, Any]:
    current = fetch_secret(call, call.param("name"), "secretmanager.secrets.delete")
    check_etag(call.query.get("etag"), current, "secret")
    remove_secret(call, current["name"])
    return {}


# IAM


@API.handles("secretmanager.projects.secrets.getIamPolicy")
def get_iam_policy(call: Call) -> dict[str, Any]:
    iam.check_requested_version(call.query)
    secret = fetch_secret(call, call.param("resource"), "secretmanager.secrets.getIamPolicy")
    return iam.get_policy(call.ctx.store, secret["name"])


@API.handles("secretmanager.projects.secrets.setIamPolicy")
def set_iam_policy(call: Call) -> dict[str, Any]:
    secret = fetch_secret(call, call.param("resource"), "secretmanager.secrets.setIamPolicy")
    body = call.body or {}
    if body.get("policy") is None:
        raise invalid("The request must contain a policy.", field="policy")
    return iam.set_policy(call.ctx.store, secret["name"], body["policy"])


@API.handles("secretmanager.projects.secrets.testIamPermissions")
def test_iam_permissions(call: Call) -> dict[str, Any]:
    fetch_secret(call, call.param("resource"), "secretmanager.secrets.getIamPolicy")
    permissions = (call.body or {}).get("permissions") or []
    return {"permissions": permissions} if permissions else {}


declare_get(API, "secretmanager.projects.secrets.get", fetch_secret, "secretmanager.secrets.get")
