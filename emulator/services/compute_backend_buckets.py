"""Compute Engine backend buckets: a Cloud Storage bucket as a URL map's backend.

The API answers a backend bucket as it was sent, with no CDN fields unless CDN was asked for
(conformance/kcc-golden/compute/v1beta1/computeurlmap/globalcomputeurlmap/_http.log #12 sends a
name, a bucket name and a description; #14 reads back exactly those and the output-only fields).
Its 404 names it in words of its own, `BackendBucket "projects/.../backendBuckets/x" not found`
(the same log, #11). A backend bucket a URL map routes to cannot be deleted, like every link of
the load-balancing chain. `update` (PUT) replaces it, `patch` merges into it; neither needs a
fingerprint (BackendBucket has none:
https://cloud.google.com/compute/docs/reference/rest/v1/backendBuckets).
"""

from __future__ import annotations

from typing import Any

from emulator import standard
from emulator.errors import ApiError
from emulator.registry import Api, Call, Reply
from emulator.services import _compute as c
from emulator.services import _compute_collection as cc
from emulator.services import _lb as lb

API = Api("compute", "v1")

KIND = c.Global("backendBuckets", lb.BACKEND_BUCKET, "compute#backendBucket", "backendBucket")
SET_BY_API = frozenset({"kind", "id", "creationTimestamp", "selfLink", "usedBy"})


def _missing(call: Call) -> ApiError:
    """The 404 of a backend bucket, worded as the API words it (globalcomputeurlmap/_http.log #11)."""
    path = c.global_path(call.param("project"), KIND.collection, call.param(KIND.param))
    return ApiError(404, f'BackendBucket "{path}" not found', reason="notFound")


def _fetch(call: Call) -> tuple[str, dict[str, Any]]:
    path = KIND.path(call)
    found = call.ctx.store.get(KIND.store_kind, path)
    if found is None:
        raise _missing(call)
    return path, found


def _checked(body: dict[str, Any]) -> dict[str, Any]:
    if not body.get("bucketName"):
        # `bucketName`: "Cloud Storage bucket name." is the one field a backend bucket needs
        # (https://cloud.google.com/compute/docs/reference/rest/v1/backendBuckets).
        raise c.required_error("resource.bucketName")
    return body


@API.handles("compute.backendBuckets.insert")
@c.replaying
def insert_bucket(call: Call) -> Reply:
    _, body, _, base = c.global_insert(call, KIND)
    return lb.write(call, KIND, "insert", {**_checked(body), **base}, None)


@API.handles("compute.backendBuckets.get")
def get_bucket(call: Call) -> dict[str, Any]:
    return render(call, _fetch(call)[1])


def render(call: Call, bucket: dict[str, Any]) -> dict[str, Any]:
    return c.public(bucket)


def _change(op_type: str) -> Any:
    def change(call: Call) -> Reply:
        path, current = _fetch(call)
        c.check_idle(call, path)
        wanted = {k: v for k, v in standard.drop_none(call.body or {}).items() if k not in SET_BY_API}
        if op_type == "patch":
            wanted = standard.merge_patch({k: v for k, v in current.items() if k not in SET_BY_API}, wanted)
        if wanted.get("name", current["name"]) != current["name"]:
            raise c.field_error("resource.name", wanted["name"], "The name cannot be changed.")
        kept = {k: current[k] for k in ("kind", "id", "creationTimestamp", "selfLink", "name")}
        return lb.write(call, KIND, op_type, {**_checked(wanted), **kept}, None)

    return c.replaying(change)


API.handles("compute.backendBuckets.update")(_change("update"))
API.handles("compute.backendBuckets.patch")(_change("patch"))


def _bucket_delete(call: Call) -> Reply:
    _fetch(call)
    return COLLECTION.delete(call)


API.handles("compute.backendBuckets.delete")(c.replaying(_bucket_delete))

COLLECTION = cc.declare(
    API,
    cc.Collection(KIND, frozenset({"list", "aggregatedList"}), referenced=True, refusals=(lb.IN_USE,)),
)
