"""Cloud Logging v2 log buckets and their linked BigQuery datasets (`projects.locations.buckets`,
`...buckets.links`), and the Logging operations that make and delete links.

Shaped as recorded on real GCP in kcc-golden monitoring/v1beta1/monitoringalertpolicy/
monitoringalertpolicysqlhourly/_http.log #0-#10 (a log bucket with log analytics, a link on it,
both deleted again). Rules from the API's own description (the logging v2 discovery document):

- a bucket id is at most 100 letters, digits, underscores, hyphens and periods, starting with a
  letter or digit (`buckets.create`, bucketId);
- retention defaults to 30 days when none (or zero) is asked, and is at least one day
  (`LogBucket.retentionDays`), at most 3650 days
  (https://cloud.google.com/logging/docs/buckets#configure_retention);
- log analytics, once enabled, cannot be disabled (`LogBucket.analyticsEnabled`);
- deleting a bucket marks it DELETE_REQUESTED; only an ACTIVE bucket can be deleted
  (`buckets.delete`);
- a link id is at most 100 letters, digits and underscores (`links.create`, linkId); a bucket
  holds at most one link (`links.create`), and only a bucket with log analytics can be linked
  (https://cloud.google.com/logging/docs/buckets#upgrade-bucket: "linked dataset ... requires
  that the bucket is upgraded to use Log Analytics").
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from emulator import standard
from emulator.effects import Effect
from emulator.errors import ApiError, already_exists, failed_precondition, invalid
from emulator.registry import Api, Call, Reply

# Its operations are polled at a path other APIs share
# (`v2/projects/*/locations/*/operations/*`, as Cloud Run): the
# dispatcher answers them from the one operation table through the first of those APIs with
# a handler, so this module declares none: its own would take those polls' method id.
API = Api("logging", "v2")

BUCKET = "logging.bucket"
LINK = "logging.link"
TYPES = "type.googleapis.com/google.logging.v2."
_BUCKET_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")
_LINK_ID = re.compile(r"^[A-Za-z0-9_]{1,100}$")
_PARENT = re.compile(r"^projects/([^/]+)/locations/([^/]+)$")
DEFAULT_RETENTION_DAYS = 30
MAX_RETENTION_DAYS = 3650
_OPERATION_STATES = (
    "OPERATION_STATE_UNSPECIFIED",
    "OPERATION_STATE_SCHEDULED",
    "OPERATION_STATE_WAITING_FOR_PERMISSIONS",
    "OPERATION_STATE_RUNNING",
    "OPERATION_STATE_SUCCEEDED",
    "OPERATION_STATE_FAILED",
    "OPERATION_STATE_CANCELLED",
)


def _located(call: Call, parent: str, permission: str) -> tuple[str, str, str]:
    """(project id, project number, location) of `projects/{p}/locations/{l}`."""
    found = _PARENT.match(parent)
    if not found:
        raise invalid(f"Invalid parent '{parent}'.", field="parent")
    project_id, number = call.ctx.projects.require(found.group(1), permission)
    return project_id, number, found.group(2)


def _bucket_name(call: Call, name: str, permission: str) -> tuple[str, str, str]:
    """(stored name, bucket id, location) of a bucket name in any project form."""
    parent, sep, bucket_id = name.partition("/buckets/")
    if not sep or not bucket_id or "/" in bucket_id:
        raise invalid(f"Invalid bucket name '{name}'.", field="name")
    project_id, _, location = _located(call, parent, permission)
    return f"projects/{project_id}/locations/{location}/buckets/{bucket_id}", bucket_id, location


def _bucket(call: Call, name: str, permission: str) -> dict[str, Any]:
    stored, bucket_id, location = _bucket_name(call, name, permission)
    bucket = call.ctx.store.get(BUCKET, stored)
    if bucket is None:
        # Recorded: 404 "Bucket `logginglogbucket-${uniqueId}` in location `global` does not exist".
        raise ApiError(404, f"Bucket `{bucket_id}` in location `{location}` does not exist")
    return bucket


def _retention(days: Any) -> int:
    value = int(days or 0) or DEFAULT_RETENTION_DAYS
    if not 1 <= value <= MAX_RETENTION_DAYS:
        raise invalid(
            f"retention_days must be between 1 and {MAX_RETENTION_DAYS}.", field="bucket.retention_days"
        )
    return value


@API.handles("logging.projects.locations.buckets.create")
def create_bucket(call: Call) -> dict[str, Any]:
    project_id, _, location = _located(call, call.param("parent"), "logging.buckets.create")
    bucket_id = str(call.query.get("bucketId") or "")
    if not _BUCKET_ID.match(bucket_id):
        raise invalid(
            f"Invalid bucket id '{bucket_id}': at most 100 letters, digits, underscores, hyphens and "
            "periods, starting with a letter or digit.",
            field="bucket_id",
        )
    body = standard.drop_none(call.body or {})
    name = f"projects/{project_id}/locations/{location}/buckets/{bucket_id}"
    now = call.ctx.clock.rfc3339()
    bucket: dict[str, Any] = {
        k: body[k]
        for k in ("description", "analyticsEnabled", "locked", "indexConfigs", "cmekSettings")
        if k in body
    }
    bucket.update(
        name=name,
        retentionDays=_retention(body.get("retentionDays")),
        lifecycleState="ACTIVE",
        createTime=now,
        updateTime=now,
    )
    if call.ctx.store.get(BUCKET, name) is not None:
        raise already_exists(f"Bucket `{bucket_id}` already exists in location `{location}`")
    call.ctx.store.put(BUCKET, name, bucket, f"projects/{project_id}/locations/{location}")
    return bucket


@API.handles("logging.projects.locations.buckets.get")
def get_bucket(call: Call) -> dict[str, Any]:
    return _bucket(call, call.param("name"), "logging.buckets.get")


@API.handles("logging.projects.locations.buckets.list")
def list_buckets(call: Call) -> dict[str, Any]:
    project_id, _, location = _located(call, call.param("parent"), "logging.buckets.list")
    buckets = sorted(
        call.ctx.store.list(BUCKET, f"projects/{project_id}/locations/{location}"), key=lambda b: b["name"]
    )
    return standard.list_answer(call, "buckets", buckets)


@API.handles("logging.projects.locations.buckets.delete")
def delete_bucket(call: Call) -> dict[str, Any]:
    bucket = _bucket(call, call.param("name"), "logging.buckets.delete")
    if bucket["lifecycleState"] != "ACTIVE":
        raise failed_precondition(f"Bucket {bucket['name']} is not ACTIVE.")
    deleted = {**bucket, "lifecycleState": "DELETE_REQUESTED", "updateTime": call.ctx.clock.rfc3339()}
    call.ctx.store.put(BUCKET, bucket["name"], deleted, bucket["name"].split("/buckets/")[0])
    return {}  # recorded: `{}` (#10)


def _link_name(call: Call, name: str, permission: str) -> tuple[dict[str, Any], str, str]:
    """(bucket, stored link name, link id) of a link name."""
    bucket_part, sep, link_id = name.partition("/links/")
    if not sep or not link_id or "/" in link_id:
        raise invalid(f"Invalid link name '{name}'.", field="name")
    bucket = _bucket(call, bucket_part, permission)
    return bucket, f"{bucket['name']}/links/{link_id}", link_id


def _link_operation(
    call: Call,
    bucket: str,
    metadata: dict[str, Any],
    response: dict[str, Any],
    effects: list[Effect],
) -> Reply:
    """A Logging operation, named by project number as recorded (#4: `projects/${projectNumber}/
    locations/global/operations/...`), SCHEDULED when it starts (#4 answers `"state": 1` to an
    `enum-encoding=int` request) and SUCCEEDED when done (#5)."""
    _, number, location = _located(call, bucket.split("/buckets/")[0], "logging.links.create")
    record = call.ctx.operations.start(
        name=f"projects/{number}/locations/{location}/operations/{uuid.uuid4().hex}",
        target=bucket,
        duration_key=("logging", "links"),
        metadata={
            "@type": f"{TYPES}LinkMetadata",
            **metadata,
            "startTime": call.ctx.clock.rfc3339(),
            "endTime": None,
            "state": "OPERATION_STATE_SCHEDULED",
        },
        response=response,
        effects=effects,
    )
    body = call.ctx.operations.view(record)
    if "enum-encoding=int" in str(call.query.get("$alt", "")) and isinstance(body.get("metadata"), dict):
        body["metadata"] = {**body["metadata"], "state": _OPERATION_STATES.index(body["metadata"]["state"])}
    return Reply(body=body, response_ref="Operation")


@API.handles("logging.projects.locations.buckets.links.create")
def create_link(call: Call) -> Reply:
    parent = call.param("parent")
    bucket = _bucket(call, parent, "logging.links.create")
    link_id = str(call.query.get("linkId") or "")
    if not _LINK_ID.match(link_id):
        raise invalid(
            f"Invalid link id '{link_id}': at most 100 letters, digits and underscores.", field="link_id"
        )
    if not bucket.get("analyticsEnabled"):
        raise failed_precondition(f"Bucket {bucket['name']} must have log analytics enabled to be linked.")
    if call.ctx.store.list(LINK, bucket["name"]) or call.ctx.operations.in_flight(bucket["name"]):
        raise failed_precondition(f"Bucket {bucket['name']} already has a link.")
    project_id = bucket["name"].split("/")[1]
    name = f"{bucket['name']}/links/{link_id}"
    link = {
        "name": name,
        "createTime": call.ctx.clock.rfc3339(),
        "lifecycleState": "ACTIVE",
        # Recorded (#6): the dataset is named after the link, in the bucket's project.
        "bigqueryDataset": {"datasetId": f"bigquery.googleapis.com/projects/{project_id}/datasets/{link_id}"},
    }
    if (call.body or {}).get("description"):
        link["description"] = call.body["description"]
    metadata = {"createLinkRequest": {"parent": parent, "linkId": link_id}}
    response = {"@type": f"{TYPES}Link", **link}
    return _link_operation(
        call, bucket["name"], metadata, response, [Effect.put(LINK, name, link, bucket["name"])]
    )


@API.handles("logging.projects.locations.buckets.links.get")
def get_link(call: Call) -> dict[str, Any]:
    _, stored, _ = _link_name(call, call.param("name"), "logging.links.get")
    link = call.ctx.store.get(LINK, stored)
    if link is None:
        # Recorded (#3): 404 "<name> does not exist".
        raise ApiError(404, f"{call.param('name')} does not exist")
    return link


@API.handles("logging.projects.locations.buckets.links.list")
def list_links(call: Call) -> dict[str, Any]:
    bucket = _bucket(call, call.param("parent"), "logging.links.list")
    return standard.list_answer(
        call, "links", sorted(call.ctx.store.list(LINK, bucket["name"]), key=lambda x: x["name"])
    )


@API.handles("logging.projects.locations.buckets.links.delete")
def delete_link(call: Call) -> Reply:
    name = call.param("name")
    bucket, stored, _ = _link_name(call, name, "logging.links.delete")
    if call.ctx.store.get(LINK, stored) is None:
        raise ApiError(404, f"{name} does not exist")
    metadata = {"deleteLinkRequest": {"name": name}}
    empty = {"@type": "type.googleapis.com/google.protobuf.Empty"}
    return _link_operation(call, bucket["name"], metadata, empty, [Effect.delete(LINK, stored)])
