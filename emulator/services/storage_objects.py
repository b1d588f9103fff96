"""Cloud Storage objects: media and multipart upload with generation preconditions, list, get, delete.

Enough for a bucket to hold objects (and so refuse deletion) and for a lease
object created with ifGenerationMatch=0.
"""

from __future__ import annotations

import base64
import hashlib
import json
import time
from typing import Any
from urllib.parse import quote

import google_crc32c

from emulator import standard
from emulator.errors import ApiError, condition_not_met, invalid, not_found
from emulator.registry import Api, Call, Reply
from emulator.services._storage import BUCKET, OBJECT
from emulator.validation import BodyValidator

API = Api("storage", "v1")
_CONTENT = "_content"


def _require_bucket(call: Call, bucket: str) -> dict[str, Any]:
    found = call.ctx.store.get(BUCKET, bucket)
    if found is None:
        raise not_found("The specified bucket does not exist.")
    return found


def _object(call: Call, bucket: str, name: str) -> dict[str, Any]:
    _require_bucket(call, bucket)
    found = call.ctx.store.get(OBJECT, f"{bucket}/{name}")
    if found is None:
        raise not_found(f"No such object: {bucket}/{name}")
    return found


def _check_generation(call: Call, current: dict[str, Any] | None) -> None:
    generation = current["generation"] if current else "0"
    match = call.query.get("ifGenerationMatch")
    if match is not None and str(match) != generation:
        raise condition_not_met()
    not_match = call.query.get("ifGenerationNotMatch")
    if not_match is not None and str(not_match) == generation:
        raise condition_not_met()
    meta_match = call.query.get("ifMetagenerationMatch")
    if meta_match is not None and (current is None or str(meta_match) != current["metageneration"]):
        raise condition_not_met()


def _split_multipart(call: Call) -> tuple[dict[str, Any], bytes, str]:
    content_type = call.headers.get("Content-Type", "")
    boundary = next(
        (
            p.split("=", 1)[1].strip().strip("'\"")
            for p in content_type.split(";")
            if p.strip().startswith("boundary=")
        ),
        None,
    )
    if not boundary:
        raise invalid("A multipart upload needs a boundary in its Content-Type.")
    chunks = call.raw_body.split(b"--" + boundary.encode())
    parts = [c for c in chunks[1:] if not c.startswith(b"--")]
    if len(parts) != 2:
        raise invalid("A multipart upload needs exactly a metadata part and a media part.")
    (_, meta_raw), (media_headers, media) = (_part(p) for p in parts)
    try:
        metadata = json.loads(meta_raw or b"{}")
    except ValueError:
        raise invalid("Invalid JSON payload received in the metadata part.") from None
    return metadata, media, media_headers.get("content-type", "application/octet-stream")


def _part(raw: bytes) -> tuple[dict[str, str], bytes]:
    raw = raw.removeprefix(b"\r\n").removeprefix(b"\n")
    sep = b"\r\n\r\n" if b"\r\n\r\n" in raw else b"\n\n"
    head, _, body = raw.partition(sep)
    headers = {}
    for line in head.decode("latin-1").splitlines():
        key, _, value = line.partition(":")
        headers[key.strip().lower()] = value.strip()
    if body.endswith(b"\r\n"):
        body = body[:-2]
    elif body.endswith(b"\n"):
        body = body[:-1]
    return headers, body


def _public(obj: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in obj.items() if k != _CONTENT}


@API.handles("storage.objects.insert")
def insert_object(call: Call) -> dict[str, Any]:
    bucket_name = call.param("bucket")
    bucket = _require_bucket(call, bucket_name)
    upload_type = call.query.get("uploadType")
    if not call.upload or upload_type not in ("media", "multipart"):
        raise invalid(
            f"Upload type {upload_type!r} is not supported here; use uploadType=media or multipart."
        )
    if upload_type == "multipart":
        raw_meta, media, content_type = _split_multipart(call)
        metadata = BodyValidator(call.method.api).validate("Object", raw_meta)
    else:
        metadata, media = {}, call.raw_body
        content_type = call.headers.get("Content-Type", "application/octet-stream")
    name = call.query.get("name") or metadata.get("name")
    if not name:
        raise ApiError(400, "Required parameter: name", reason="required")
    key = f"{bucket_name}/{name}"
    _check_generation(call, call.ctx.store.get(OBJECT, key))
    now = call.ctx.clock.rfc3339()
    generation = str(int(call.ctx.clock.now() * 1_000_000) or int(time.time() * 1_000_000))
    crc = google_crc32c.value(media).to_bytes(4, "big")
    host = call.headers.get("Host", "storage.googleapis.com")
    obj = {
        **standard.drop_none(metadata),
        "kind": "storage#object",
        "id": f"{key}/{generation}",
        "selfLink": f"http://{host}/storage/v1/b/{bucket_name}/o/{quote(name, safe='')}",
        "mediaLink": f"http://{host}/download/storage/v1/b/{bucket_name}/o/{quote(name, safe='')}"
        f"?generation={generation}&alt=media",
        "name": name,
        "bucket": bucket_name,
        "generation": generation,
        "metageneration": "1",
        "contentType": metadata.get("contentType") or content_type,
        "storageClass": bucket["storageClass"],
        "size": str(len(media)),
        "md5Hash": base64.b64encode(hashlib.md5(media).digest()).decode(),
        "crc32c": base64.b64encode(crc).decode(),
        "etag": base64.b64encode(generation.encode()[-8:]).decode(),
        "timeCreated": now,
        "updated": now,
        "timeStorageClassUpdated": now,
        _CONTENT: base64.b64encode(media).decode(),
    }
    kms_key = (bucket.get("encryption") or {}).get("defaultKmsKeyName")
    if kms_key:
        obj["kmsKeyName"] = f"{kms_key}/cryptoKeyVersions/1"
    call.ctx.store.put(OBJECT, key, obj, bucket_name)
    return _public(obj)


@API.handles("storage.objects.get")
def get_object(call: Call) -> Reply | dict[str, Any]:
    obj = _object(call, call.param("bucket"), call.param("object"))
    _check_generation(call, obj)
    if call.query.get("alt") == "media":
        # Downloads describe the object in headers, as Cloud Storage does; clients read the
        # generation from them for later preconditions.
        headers = {
            "x-goog-generation": str(obj["generation"]),
            "x-goog-metageneration": str(obj["metageneration"]),
            "x-goog-stored-content-length": str(obj["size"]),
            "x-goog-hash": f"crc32c={obj['crc32c']},md5={obj['md5Hash']}",
            "x-goog-storage-class": str(obj.get("storageClass", "STANDARD")),
        }
        return Reply(body=base64.b64decode(obj[_CONTENT]), content_type=obj["contentType"], headers=headers)
    return _public(obj)


@API.handles("storage.objects.list")
def list_objects(call: Call) -> dict[str, Any]:
    bucket_name = call.param("bucket")
    _require_bucket(call, bucket_name)
    prefix = call.query.get("prefix") or ""
    delimiter = call.query.get("delimiter")
    items: list[dict[str, Any]] = []
    prefixes: set[str] = set()
    for obj in call.ctx.store.list(OBJECT, bucket_name):
        if not obj["name"].startswith(prefix):
            continue
        rest = obj["name"][len(prefix) :]
        if delimiter and delimiter in rest:
            prefixes.add(prefix + rest.split(delimiter, 1)[0] + delimiter)
            continue
        items.append(_public(obj))
    page, token = standard.paginate(items, call.query.get("maxResults"), call.query.get("pageToken"))
    out: dict[str, Any] = {"kind": "storage#objects"}
    if page:
        out["items"] = page
    if prefixes:
        out["prefixes"] = sorted(prefixes)
    if token:
        out["nextPageToken"] = token
    return out


@API.handles("storage.objects.delete")
def delete_object(call: Call) -> Reply:
    bucket_name, name = call.param("bucket"), call.param("object")
    obj = _object(call, bucket_name, name)
    _check_generation(call, obj)
    call.ctx.store.delete(OBJECT, f"{bucket_name}/{name}")
    return Reply(status=204)
