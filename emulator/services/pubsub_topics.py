"""Pub/Sub topics: create (PUT on the topic's name), get, list, delete, and their IAM policies.

Enough for what names a topic: Secret Manager's event notifications publish to topics a secret
lists, and Config Connector's secret fixtures make two topics and grant Secret Manager's service
agent the publisher role on them before they make the secret (kcc-golden secretmanager/
v1beta1/secretmanagersecret/fullsecretmanagersecret-auto-direct/_http.log #7-#22). Topics are
named with the project id (`projects/{project id}/topics/{topic}`), as recorded there.
Messages are not kept: publishing is not served.
"""

from __future__ import annotations

import re
from typing import Any

from emulator import iam, standard
from emulator.errors import ApiError, invalid
from emulator.registry import Api, Call

API = Api("pubsub", "v1")

TOPIC = "pubsub.topic"
# "It must start with a letter, and contain only letters ([A-Za-z]), numbers ([0-9]), dashes
# (-), underscores (_), periods (.), tildes (~), plus (+) or percent signs (%). It must be between
# 3 and 255 characters in length, and it must not start with "goog"."
# (https://cloud.google.com/pubsub/docs/reference/rest/v1/projects.topics#Topic, name)
_TOPIC_ID = re.compile(r"^(?!goog)[A-Za-z][-A-Za-z0-9_.~+%]{2,254}$")
_NAME = re.compile(r"^projects/([^/]+)/topics/([^/]+)$")
#: Fields a caller may set on a topic (the Topic schema less its output-only `state`).
_WRITABLE = (
    "labels",
    "messageRetentionDuration",
    "messageStoragePolicy",
    "kmsKeyName",
    "schemaSettings",
    "ingestionDataSourceSettings",
    "messageTransforms",
    "tags",
)


def _not_found(topic_id: str) -> ApiError:
    # Recorded: 404 "Resource not found (resource=topic-${uniqueId})." (auto-direct #7).
    return ApiError(404, f"Resource not found (resource={topic_id}).")


def canonical(call: Call, name: str, permission: str) -> tuple[str, str]:
    """(`projects/{project id}/topics/{topic}`, topic id) of a topic name; the project must be
    one the caller may use."""
    found = _NAME.match(name)
    if not found:
        raise invalid(f"Invalid resource name given (name={name}).", field="name")
    project_id, _ = call.ctx.projects.require(found.group(1), permission)
    return f"projects/{project_id}/topics/{found.group(2)}", found.group(2)


def existing(call: Call, name: str, permission: str) -> dict[str, Any]:
    """The stored topic called `name`, or Pub/Sub's 404."""
    full, topic_id = canonical(call, name, permission)
    topic = call.ctx.store.get(TOPIC, full)
    if topic is None:
        raise _not_found(topic_id)
    return topic


@API.handles("pubsub.projects.topics.create")
def create_topic(call: Call) -> dict[str, Any]:
    full, topic_id = canonical(call, call.param("name"), "pubsub.topics.create")
    if not _TOPIC_ID.match(topic_id):
        raise invalid(f"Invalid resource name given (name={call.param('name')}).", field="name")
    body = standard.drop_none(call.body or {})
    if body.get("name") not in (None, "", call.param("name"), full):
        raise invalid("The topic name in the body does not match the one in the URL.", field="name")
    if call.ctx.store.get(TOPIC, full) is not None:
        raise ApiError(409, f"Resource already exists in the project (resource={topic_id}).")
    # Answered with the labels sent and the name (auto-direct #8: `{"labels": ..., "name":
    # "projects/${projectId}/topics/topic-${uniqueId}"}`).
    topic = {k: body[k] for k in _WRITABLE if k in body}
    topic["name"] = full
    call.ctx.store.put(TOPIC, full, topic, full.rsplit("/topics/", 1)[0])
    return topic


@API.handles("pubsub.projects.topics.get")
def get_topic(call: Call) -> dict[str, Any]:
    return existing(call, call.param("topic"), "pubsub.topics.get")


@API.handles("pubsub.projects.topics.list")
def list_topics(call: Call) -> dict[str, Any]:
    project = call.param("project").removeprefix("projects/")
    project_id, _ = call.ctx.projects.require(project, "pubsub.topics.list")
    topics = sorted(call.ctx.store.list(TOPIC, f"projects/{project_id}"), key=lambda t: t["name"])
    return standard.list_answer(call, "topics", topics, default_size=100, max_size=1000)


@API.handles("pubsub.projects.topics.delete")
def delete_topic(call: Call) -> dict[str, Any]:
    topic = existing(call, call.param("topic"), "pubsub.topics.delete")
    call.ctx.store.delete(TOPIC, topic["name"])
    call.ctx.store.delete(iam.POLICY_KIND, topic["name"])
    # Recorded: `{}` (auto-direct, the two DELETEs at the end).
    return {}


@API.handles("pubsub.projects.topics.getIamPolicy")
def get_topic_policy(call: Call) -> dict[str, Any]:
    iam.check_requested_version(call.query)
    topic = existing(call, call.param("resource"), "pubsub.topics.getIamPolicy")
    return iam.get_policy(call.ctx.store, topic["name"])


@API.handles("pubsub.projects.topics.setIamPolicy")
def set_topic_policy(call: Call) -> dict[str, Any]:
    topic = existing(call, call.param("resource"), "pubsub.topics.setIamPolicy")
    policy = (call.body or {}).get("policy")
    if policy is None:
        raise invalid("The request must contain a policy.", field="policy")
    return iam.set_policy(call.ctx.store, topic["name"], policy)


#: Roles that hold `pubsub.topics.publish` (https://cloud.google.com/pubsub/docs/access-control#roles;
#: the basic roles https://cloud.google.com/iam/docs/roles-overview#basic).
PUBLISHING_ROLES = frozenset(
    {"roles/pubsub.publisher", "roles/pubsub.editor", "roles/pubsub.admin", "roles/editor", "roles/owner"}
)


def may_publish(call: Call, topic: str, member: str) -> bool:
    """Whether `member` holds a publishing role on the topic, or on its project (a policy on a
    project is inherited by its topics: https://cloud.google.com/iam/docs/resource-hierarchy-access-control)."""
    project = topic.rsplit("/topics/", 1)[0]
    for resource in (topic, project):
        for binding in iam.get_policy(call.ctx.store, resource).get("bindings") or []:
            if binding.get("role") in PUBLISHING_ROLES and member in (binding.get("members") or []):
                return True
    return False
