"""Cloud Logging v2 log buckets and their linked BigQuery datasets (`projects.locations.buckets`
and `.links`).

Real traffic first: Config Connector's recordings of alert policies on a Log Analytics bucket
("KCC log": conformance/kcc-golden/monitoring/v1beta1/monitoringalertpolicy/
monitoringalertpolicysqlhourly/_http.log and monitoringalertpolicysqlboolean/_http.log), then
the API's own description (the logging v2 discovery document: `LogBucket`, `Link`,
`LinkMetadata` and the methods' descriptions) and
https://cloud.google.com/logging/docs/buckets. Each rule cites its source where it is applied.
"""

from __future__ import annotations

import re
from typing import Any

from emulator import standard
from emulator.collection import Collection, declare
from emulator.effects import Effect
from emulator.errors import ApiError, already_exists, failed_precondition, invalid, not_found
from emulator.locations import is_region
from emulator.registry import Api, Call, Reply

API = Api("logging", "v2")

BUCKET = "logging.bucket"
LINK = "logging.link"
#: The buckets Logging makes in every project, in `global` (https://cloud.google.com/logging/docs/buckets:
#: "For each Google Cloud project ... Logging automatically creates two log buckets: _Required
#: and _Default"); `_Required` keeps its entries 400 days and cannot be changed or deleted,
#: `_Default` keeps them 30 days ("Default retention periods", same page).
BUILT_IN = {
    "_Required": {"retentionDays": 400, "locked": True},
    "_Default": {"retentionDays": 30},
}
# "Identifiers are limited to 100 characters and can include only letters, digits, underscores,
# hyphens, and periods. Bucket identifiers must start with an alphanumeric character."
# (buckets.create, bucketId)
BUCKET_ID = r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}"
# "A valid link id (at the end of the link name) must only have alphanumeric characters and
# underscores within it." and "The name can have up to 100 characters." (Link.name)
LINK_ID = r"[A-Za-z0-9_]{1,100}"
#: "If this value is set to zero at bucket creation time, the default time of 30 days will be
#: used." and "The minimum retention period is 1 day." (LogBucket.retentionDays); the most is
#: 3650 days (https://cloud.google.com/logging/quotas: "Retention ... 1 to 3650 days").
DEFAULT_RETENTION, MIN_RETENTION, MAX_RETENTION = 30, 1, 3650
#: The fields a patch may name (LogBucket: `name`, `createTime`, `updateTime`, `lifecycleState`
#: are "Output only").
MUTABLE = {
    "description",
    "retentionDays",
    "locked",
    "analyticsEnabled",
    "restrictedFields",
    "indexConfigs",
    "cmekSettings",
}
WRITABLE = MUTABLE
_PARENT = re.compile(r"^projects/([^/]+)/locations/([^/]+)$")
_BUCKET = re.compile(r"^projects/([^/]+)/locations/([^/]+)/buckets/([^/]+)$")
_LINK = re.compile(r"^projects/([^/]+)/locations/([^/]+)/buckets/([^/]+)/links/([^/]+)$")
LINK_TYPE = "type.googleapis.com/google.logging.v2.Link"
LINK_METADATA = "type.googleapis.com/google.logging.v2.LinkMetadata"


def _location(call: Call, project: str, location: str, permission: str) -> str:
    project_id, _ = call.ctx.projects.require(project, permission)
    if location != "global" and not is_region(location):
        raise invalid(f"Location {location} is not supported.", field="parent")
    return f"projects/{project_id}/locations/{location}"


def _parent(call: Call, parent: str, permission: str) -> str:
    m = _PARENT.match(parent)
    if m is None:
        raise invalid(f"Invalid parent: {parent}", field="parent")
    return _location(call, m.group(1), m.group(2), permission)


def _bucket_name(call: Call, name: str, permission: str) -> str:
    m = _BUCKET.match(name)
    if m is None:
        raise invalid(f"Invalid bucket name: {name}", field="name")
    return f"{_location(call, m.group(1), m.group(2), permission)}/buckets/{m.group(3)}"


def _built_in(location: str, bucket_id: str) -> dict[str, Any] | None:
    if not location.endswith("/locations/global") or bucket_id not in BUILT_IN:
        return None
    name = f"{location}/buckets/{bucket_id}"
    # Built-in buckets have no createTime ("This is not set for any of the default buckets.",
    # LogBucket.createTime).
    return {"name": name, **BUILT_IN[bucket_id], "lifecycleState": "ACTIVE"}


def _find(call: Call, name: str) -> dict[str, Any]:
    location, _, bucket_id = name.rpartition("/buckets/")
    found = call.ctx.store.get(BUCKET, name) or _built_in(location, bucket_id)
    if found is None:
        # "Bucket `logginglogbucket-${uniqueId}` in location `global` does not exist" (KCC log, #0)
        raise not_found(f"Bucket `{bucket_id}` in location `{location.rsplit('/', 1)[-1]}` does not exist")
    return found


def _fetch_bucket(call: Call, kind: str, name: str, label: str) -> dict[str, Any]:
    return _find(call, name)


def _items(call: Call, location: str) -> list[dict[str, Any]]:
    stored = call.ctx.store.list(BUCKET, location)
    built = [b for b in (_built_in(location, i) for i in BUILT_IN) if b is not None]
    return sorted([*built, *stored], key=lambda b: b["name"])


def _checked(body: dict[str, Any], creating: bool) -> dict[str, Any]:
    bucket = {k: v for k, v in body.items() if k in WRITABLE}
    retention = bucket.get("retentionDays")
    if creating and not retention:
        bucket["retentionDays"] = DEFAULT_RETENTION
    elif retention is not None and not MIN_RETENTION <= int(retention) <= MAX_RETENTION:
        raise invalid(
            f"retention_days must be between {MIN_RETENTION} and {MAX_RETENTION}; got {retention}.",
            field="bucket.retention_days",
        )
    return bucket


@API.handles("logging.projects.locations.buckets.create")
def create_bucket(call: Call) -> dict[str, Any]:
    location = _parent(call, call.param("parent"), "logging.buckets.create")
    bucket_id = standard.check_id(call.query.get("bucketId"), "bucketId", BUCKET_ID)
    name = f"{location}/buckets/{bucket_id}"
    if bucket_id.startswith("_"):
        # Identifiers "must start with an alphanumeric character" (bucketId): `_Default` and
        # `_Required` are Logging's own.
        raise invalid(f"Invalid bucketId: '{bucket_id}'.", field="bucketId")
    existing = call.ctx.store.get(BUCKET, name)
    if existing is not None:
        # A deleted bucket stays, DELETE_REQUESTED, for 7 days ("After 7 days, the bucket will be
        # purged", buckets.delete) and can be undeleted meanwhile: its id is still taken.
        raise already_exists(f"Bucket `{bucket_id}` already exists")
    now = call.ctx.clock.rfc3339()
    # The answer: what was asked, the default retention, ACTIVE and both times (KCC log, #1).
    bucket = {
        **_checked(standard.drop_none(call.body or {}), creating=True),
        "name": name,
        "createTime": now,
        "updateTime": now,
        "lifecycleState": "ACTIVE",
    }
    call.ctx.store.put(BUCKET, name, bucket, location)
    return bucket


@API.handles("logging.projects.locations.buckets.patch")
def patch_bucket(call: Call) -> dict[str, Any]:
    name = _bucket_name(call, call.param("name"), "logging.buckets.update")
    current = _find(call, name)
    if current.get("lifecycleState") == "DELETE_REQUESTED":
        # "If the bucket has a lifecycle_state of DELETE_REQUESTED, then FAILED_PRECONDITION will
        # be returned." (buckets.patch)
        raise failed_precondition(f"Bucket {name} is deleted; undelete it first.")
    if (current.get("locked") and "createTime" in current) or name.endswith("/buckets/_Required"):
        # "The retention period on a locked bucket cannot be changed." (LogBucket.locked)
        raise failed_precondition(f"Bucket {name} is locked and cannot be changed.")
    body = _checked(standard.drop_none(call.body or {}), creating=False)
    if current.get("analyticsEnabled") and body.get("analyticsEnabled") is False:
        # "Once enabled, log analytics features cannot be disabled." (LogBucket.analyticsEnabled)
        raise invalid("Log Analytics cannot be disabled on a bucket.", field="bucket.analytics_enabled")
    mask = call.query.get("updateMask") or ""
    # "Field mask that specifies the fields in bucket that need an update. A bucket field will be
    # overwritten if, and only if, it is in the update mask. name and output only fields cannot be
    # updated." (buckets.patch, updateMask)
    updated = standard.apply_update_mask(current, body, mask, MUTABLE, "LogBucket")
    updated["updateTime"] = call.ctx.clock.rfc3339()
    if "createTime" not in current:
        updated.pop("updateTime")  # a built-in bucket written for the first time keeps no times
    call.ctx.store.put(BUCKET, name, updated, name.rsplit("/buckets/", 1)[0])
    return updated


@API.handles("logging.projects.locations.buckets.delete")
def delete_bucket(call: Call) -> dict[str, Any]:
    name = _bucket_name(call, call.param("name"), "logging.buckets.delete")
    current = _find(call, name)
    if "createTime" not in current:
        # The built-in buckets cannot be deleted (https://cloud.google.com/logging/docs/buckets:
        # "You can't delete the _Required bucket"; "_Default ... can't be deleted").
        raise failed_precondition(f"Bucket {name} is a default bucket and cannot be deleted.")
    if current.get("lifecycleState") == "DELETE_REQUESTED":
        raise not_found(f"Bucket {name} is already deleted.")
    if call.ctx.store.list(LINK, name):
        # A bucket with a linked dataset keeps it: "you must delete the link before you can
        # delete the bucket" (https://cloud.google.com/logging/docs/buckets#delete_bucket).
        raise failed_precondition(f"Bucket {name} has a linked BigQuery dataset; delete the link first.")
    # "Changes the bucket's lifecycle_state to the DELETE_REQUESTED state." (buckets.delete);
    # the answer is empty (KCC log, last exchange).
    deleted = {**current, "lifecycleState": "DELETE_REQUESTED", "updateTime": call.ctx.clock.rfc3339()}
    call.ctx.store.put(BUCKET, name, deleted, name.rsplit("/buckets/", 1)[0])
    return {}


@API.handles("logging.projects.locations.buckets.undelete")
def undelete_bucket(call: Call) -> dict[str, Any]:
    name = _bucket_name(call, call.param("name"), "logging.buckets.undelete")
    current = _find(call, name)
    if current.get("lifecycleState") != "DELETE_REQUESTED":
        raise failed_precondition(f"Bucket {name} is not deleted.")
    # "A bucket that has been deleted can be undeleted within the grace period of 7 days."
    call.ctx.store.put(BUCKET, name, {**current, "lifecycleState": "ACTIVE"}, name.rsplit("/buckets/", 1)[0])
    return {}


BUCKETS = declare(
    API,
    Collection(
        method_prefix="logging.projects.locations.buckets",
        permission="logging.buckets",
        store_kind=BUCKET,
        label="Bucket",
        list_field="buckets",
        locate_name=_bucket_name,
        locate_parent=_parent,
        fetch=_fetch_bucket,
        items=_items,
    ),
)


# -- links ----------------------------------------------------------------------------------
def _link_name(call: Call, name: str, permission: str) -> str:
    m = _LINK.match(name)
    if m is None:
        raise invalid(f"Invalid link name: {name}", field="name")
    location = _location(call, m.group(1), m.group(2), permission)
    return f"{location}/buckets/{m.group(3)}/links/{m.group(4)}"


def _link_parent(call: Call, parent: str, permission: str) -> str:
    return _bucket_name(call, parent, permission)


def _fetch_link(call: Call, kind: str, name: str, label: str) -> dict[str, Any]:
    found = call.ctx.store.get(LINK, name)
    if found is None:
        # "projects/${projectId}/.../links/logginglink${uniqueId} does not exist" (KCC log, #3)
        raise not_found(f"{name} does not exist")
    return found


def _link_operation(call: Call, location: str, request: dict[str, Any], link: str, **kw: Any) -> Reply:
    """A link is made and removed by a long-running operation. Its `LinkMetadata` says
    SCHEDULED in the answer that starts it and SUCCEEDED once done, with `endTime` (KCC log,
    #4 and #5); operations are named under the project's number (the same exchanges)."""
    _, number = call.ctx.projects.require(location.split("/")[1])
    if call.ctx.operations.in_flight(link):
        raise ApiError(409, f"An operation on {link} is in progress.", status="ABORTED")
    record = call.ctx.operations.start(
        f"projects/{number}/locations/{location.rsplit('/', 1)[-1]}",
        metadata={
            "@type": LINK_METADATA,
            **request,
            "startTime": call.ctx.clock.rfc3339(),
            "state": "OPERATION_STATE_SCHEDULED",
            "endTime": None,
        },
        extra={
            "done_metadata": {"state": "OPERATION_STATE_SUCCEEDED"},
            "failed_metadata": {"state": "OPERATION_STATE_FAILED"},
        },
        duration_key=("logging", "links"),
        target=link,
        **kw,
    )
    return Reply(body=call.ctx.operations.view(record), response_ref="Operation")


@API.handles("logging.projects.locations.buckets.links.create")
def create_link(call: Call) -> Reply:
    bucket_name = _bucket_name(call, call.param("parent"), "logging.links.create")
    bucket = _find(call, bucket_name)
    link_id = standard.check_id(call.query.get("linkId"), "linkId", LINK_ID)
    name = f"{bucket_name}/links/{link_id}"
    if not bucket.get("analyticsEnabled"):
        # A linked dataset needs a bucket "upgraded to use Log Analytics"
        # (https://cloud.google.com/logging/docs/analyze/query-linked-dataset, "Before you begin").
        raise failed_precondition(f"Bucket {bucket_name} does not use Log Analytics; a link needs it.")
    if bucket.get("lifecycleState") != "ACTIVE":
        raise failed_precondition(f"Bucket {bucket_name} is not active.")
    if call.ctx.store.get(LINK, name) is not None:
        raise already_exists(f"Link {name} already exists")
    project = bucket_name.split("/")[1]
    body = standard.drop_none(call.body or {})
    # The dataset is named after the link ("The DATASET_ID will match the ID of the link",
    # BigQueryDataset.datasetId; KCC log, #5).
    link = {
        **({"description": body["description"]} if body.get("description") else {}),
        "bigqueryDataset": {"datasetId": f"bigquery.googleapis.com/projects/{project}/datasets/{link_id}"},
        "createTime": call.ctx.clock.rfc3339(),
        "lifecycleState": "ACTIVE",
        "name": name,
    }
    call.ctx.store.put(LINK, name, {**link, "lifecycleState": "CREATING"}, bucket_name)
    return _link_operation(
        call,
        bucket_name.rsplit("/buckets/", 1)[0],
        {"createLinkRequest": {"linkId": link_id, "parent": bucket_name}},
        name,
        response={"@type": LINK_TYPE, **link},
        effects=[Effect.set(LINK, name, {"lifecycleState": "ACTIVE"})],
        failure_effects=[Effect.delete(LINK, name)],
    )


@API.handles("logging.projects.locations.buckets.links.delete")
def delete_link(call: Call) -> Reply:
    name = _link_name(call, call.param("name"), "logging.links.delete")
    current = _fetch_link(call, LINK, name, "Link")
    call.ctx.store.put(
        LINK, name, {**current, "lifecycleState": "DELETE_REQUESTED"}, name.rsplit("/links/", 1)[0]
    )
    return _link_operation(
        call,
        name.split("/buckets/")[0],
        {"deleteLinkRequest": {"name": name}},
        name,
        effects=[Effect.delete(LINK, name)],
        failure_effects=[Effect.set(LINK, name, {"lifecycleState": current["lifecycleState"]})],
    )


LINKS = declare(
    API,
    Collection(
        method_prefix="logging.projects.locations.buckets.links",
        permission="logging.links",
        store_kind=LINK,
        label="Link",
        list_field="links",
        locate_name=_link_name,
        locate_parent=_link_parent,
        fetch=_fetch_link,
    ),
)


@API.handles("logging.projects.locations.operations.get")
def get_operation(call: Call) -> dict[str, Any]:
    return standard.operation_named(call)
