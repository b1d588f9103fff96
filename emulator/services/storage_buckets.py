"""Cloud Storage JSON API buckets: insert, get, list, patch, update, delete; the service agent."""

from __future__ import annotations

from typing import Any

from emulator import service_agents, standard
from emulator.errors import ApiError, condition_not_met, not_found
from emulator.refusal import refusal
from emulator.registry import Api, Call, Reply
from emulator.services._storage import (
    BUCKET,
    OBJECT,
    OBJECT_VERSION,
    acls_shown_despite_uniform_access,
    apply_defaults,
    bucket_invalid,
    check_bucket_name,
    check_rules,
    service_agent,
    with_projection,
)

API = Api("storage", "v1")


def _bucket(call: Call, name: str) -> dict[str, Any]:
    found = call.ctx.store.get(BUCKET, name)
    if found is None:
        raise not_found("The specified bucket does not exist.")
    return found


def check_metageneration(call: Call, current: dict[str, Any]) -> None:
    match = call.query.get("ifMetagenerationMatch")
    if match is not None and str(match) != current["metageneration"]:
        raise condition_not_met()
    not_match = call.query.get("ifMetagenerationNotMatch")
    if not_match is not None and str(not_match) == current["metageneration"]:
        if call.method.http_method == "GET":
            raise ApiError(304, "Not Modified", reason="notModified")
        raise condition_not_met()


@API.handles("storage.buckets.insert")
def insert_bucket(call: Call) -> dict[str, Any]:
    _, number = call.ctx.projects.require(call.query["project"], "storage.buckets.create")
    body = standard.drop_none(call.body or {})
    name = body.get("name")
    if not name:
        raise ApiError(400, "Required field: name", reason="required")
    check_bucket_name(name)
    existing = call.ctx.store.get(BUCKET, name)
    if existing is not None:
        if existing["projectNumber"] == number:
            raise ApiError(
                409,
                "Your previous request to create the named bucket succeeded and you already own it.",
                reason="conflict",
            )
        raise ApiError(
            409,
            "The requested bucket name is not available. The bucket namespace is shared by all "
            "users of the system. Please select a different name and try again.",
            reason="conflict",
        )
    bucket = apply_defaults(call, {**body, "projectNumber": number}, None)
    check_rules(call, bucket)
    call.ctx.store.put(BUCKET, name, bucket, number)
    return with_projection(
        call, bucket, "full" if body.get("acl") or body.get("defaultObjectAcl") else "noAcl"
    )


@API.handles("storage.buckets.get")
def get_bucket(call: Call) -> dict[str, Any]:
    bucket = _bucket(call, call.param("bucket"))
    check_metageneration(call, bucket)
    return with_projection(call, bucket)


@API.handles("storage.buckets.list")
def list_buckets(call: Call) -> dict[str, Any]:
    _, number = call.ctx.projects.require(call.query["project"], "storage.buckets.list")
    prefix = call.query.get("prefix") or ""
    buckets = [b for b in call.ctx.store.list(BUCKET, number) if b["name"].startswith(prefix)]
    return standard.list_answer(
        call, "items", buckets, head={"kind": "storage#buckets"}, size_param="maxResults"
    )


def _replace(call: Call, current: dict[str, Any], wanted: dict[str, Any]) -> dict[str, Any]:
    if wanted.get("name", current["name"]) != current["name"]:
        raise bucket_invalid("The bucket name cannot be changed.")
    if str(wanted.get("location", current["location"])).upper() != current["location"]:
        raise bucket_invalid("The bucket location cannot be changed; use buckets.relocate.")
    wanted = {**wanted, "name": current["name"], "location": current["location"]}
    updated = apply_defaults(call, wanted, current)
    check_rules(call, updated)
    call.ctx.store.put(BUCKET, current["name"], updated, current["projectNumber"])
    return updated


@API.handles("storage.buckets.patch")
def patch_bucket(call: Call) -> dict[str, Any]:
    current = _bucket(call, call.param("bucket"))
    check_metageneration(call, current)
    patch = call.body or {}
    return with_projection(
        call,
        _replace(call, current, standard.merge_patch(current, patch)),
        "full",
        acls_despite_uniform=acls_shown_despite_uniform_access(patch),
    )


@API.handles("storage.buckets.update")
def update_bucket(call: Call) -> dict[str, Any]:
    current = _bucket(call, call.param("bucket"))
    check_metageneration(call, current)
    return with_projection(call, _replace(call, current, standard.drop_none(call.body or {})), "full")


@API.handles("storage.buckets.delete")
def delete_bucket(call: Call) -> Reply:
    name = call.param("bucket")
    current = _bucket(call, name)
    check_metageneration(call, current)
    # Noncurrent versions count too: GCS answers this 409 for a versioned bucket whose live
    # objects are gone (https://github.com/googleapis/python-storage/issues/1071,
    # https://github.com/gruntwork-io/cloud-nuke/issues/1038).
    if call.ctx.store.count(OBJECT, name) or call.ctx.store.count(OBJECT_VERSION, name):
        raise ApiError(409, "The bucket you tried to delete is not empty.", reason="conflict")
    call.ctx.store.delete(BUCKET, name)
    return Reply(status=204)


@API.handles("storage.projects.serviceAccount.get")
def get_service_account(call: Call) -> dict[str, Any]:
    _, number = call.ctx.projects.require(call.param("projectId"), "resourcemanager.projects.get")
    # The first call creates the project's Cloud Storage service agent
    # (https://cloud.google.com/storage/docs/getting-service-agent).
    service_agents.generate(call.ctx.store, number, "storage.googleapis.com")
    return {"email_address": service_agent(number), "kind": "storage#serviceAccount"}


NOT_EMPTY = refusal(
    "storage.buckets.delete",
    "a bucket that holds objects, noncurrent versions included (409)",
    source="googleapis/python-storage#1071; gruntwork-io/cloud-nuke#1038",
    test="tests/emulator/test_storage.py::test_non_empty_bucket_cannot_be_deleted",
)
