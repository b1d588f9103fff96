"""Cloud Storage objects: media and multipart upload with generation preconditions, list, get,
delete, copy and rewrite.

On a bucket with Object Versioning, replacing or deleting the live version keeps it as a
noncurrent version, readable and deletable by its generation and listed with `versions=true`
(https://cloud.google.com/storage/docs/object-versioning): that is what the README's object
restore runbook copies back from.
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
from emulator.services._storage import BUCKET, OBJECT, OBJECT_VERSION
from emulator.validation import BodyValidator

API = Api("storage", "v1")
_CONTENT = "_content"


def _require_bucket(call: Call, bucket: str) -> dict[str, Any]:
    found = call.ctx.store.get(BUCKET, bucket)
    if found is None:
        raise not_found("The specified bucket does not exist.")
    return found


def _object(call: Call, bucket: str, name: str, generation: Any = None) -> dict[str, Any]:
    """The live version, or the version of `generation` (live or noncurrent). A generation the
    object never had is a 404 like a missing object, never the live one
    (https://cloud.google.com/storage/docs/json_api/v1/objects/get: `generation` selects a
    specific revision)."""
    _require_bucket(call, bucket)
    found = call.ctx.store.get(OBJECT, f"{bucket}/{name}")
    if generation is not None and (found is None or found["generation"] != str(generation)):
        found = call.ctx.store.get(OBJECT_VERSION, _version_key(bucket, name, generation))
    if found is None:
        raise not_found(f"No such object: {bucket}/{name}")
    return found


def _version_key(bucket: str, name: str, generation: Any) -> str:
    return f"{bucket}/{name}#{int(generation):020d}"


def _versioned(bucket: dict[str, Any]) -> bool:
    return bool((bucket.get("versioning") or {}).get("enabled"))


def _retire(call: Call, bucket: dict[str, Any], live: dict[str, Any]) -> None:
    """The live version stops being live: kept as noncurrent on a versioned bucket, gone
    otherwise. `timeDeleted` is when it became noncurrent
    (https://cloud.google.com/storage/docs/json_api/v1/objects#resource)."""
    call.ctx.store.delete(OBJECT, f"{live['bucket']}/{live['name']}")
    if _versioned(bucket):
        kept = {**live, "timeDeleted": call.ctx.clock.rfc3339()}
        key = _version_key(live["bucket"], live["name"], live["generation"])
        call.ctx.store.put(OBJECT_VERSION, key, kept, live["bucket"])


def _next_generation(call: Call, bucket: str, name: str) -> str:
    """Microseconds since the epoch, as Cloud Storage's generations are, and always above every
    generation the name has had, so two writes in one tick never share one."""
    now = int(call.ctx.clock.now() * 1_000_000) or int(time.time() * 1_000_000)
    taken = [int(v["generation"]) for v in _versions(call, bucket, name)]
    return str(max([now, *(g + 1 for g in taken)]))


def _versions(call: Call, bucket: str, name: str) -> list[dict[str, Any]]:
    """Every version of one object name, live or noncurrent."""
    found = [v for v in call.ctx.store.list(OBJECT_VERSION, bucket) if v["name"] == name]
    live = call.ctx.store.get(OBJECT, f"{bucket}/{name}")
    return [*found, live] if live else found


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
    _check_generation(call, call.ctx.store.get(OBJECT, f"{bucket_name}/{name}"))
    return _public(_write(call, bucket, name, metadata, media, content_type))


def _write(
    call: Call, bucket: dict[str, Any], name: str, metadata: dict[str, Any], media: bytes, content_type: str
) -> dict[str, Any]:
    """A new live generation of `name` holding `media`; the one it replaces is retired."""
    bucket_name = bucket["name"]
    key = f"{bucket_name}/{name}"
    now = call.ctx.clock.rfc3339()
    generation = _next_generation(call, bucket_name, name)
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
    previous = call.ctx.store.get(OBJECT, key)
    if previous is not None:
        _retire(call, bucket, previous)
    call.ctx.store.put(OBJECT, key, obj, bucket_name)
    return obj


@API.handles("storage.objects.get")
def get_object(call: Call) -> Reply | dict[str, Any]:
    obj = _object(call, call.param("bucket"), call.param("object"), call.query.get("generation"))
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
    found = call.ctx.store.list(OBJECT, bucket_name)
    if _truthy(call.query.get("versions")):
        # Noncurrent versions are listed only when asked for, each object's versions in
        # generation order (https://cloud.google.com/storage/docs/using-versioned-objects#list).
        found = sorted(
            [*found, *call.ctx.store.list(OBJECT_VERSION, bucket_name)],
            key=lambda o: (o["name"], int(o["generation"])),
        )
    for obj in found:
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
    """Without a generation the live version goes (kept as noncurrent on a versioned bucket);
    with one, that version is deleted for good, live or not
    (https://cloud.google.com/storage/docs/object-versioning: a noncurrent version is kept
    "as long as you don't specify the generation number of the live version")."""
    bucket_name, name = call.param("bucket"), call.param("object")
    generation = call.query.get("generation")
    obj = _object(call, bucket_name, name, generation)
    _check_generation(call, obj)
    live = call.ctx.store.get(OBJECT, f"{bucket_name}/{name}")
    if live is not None and live["generation"] == obj["generation"]:
        if generation is None:
            _retire(call, _require_bucket(call, bucket_name), live)
        else:
            call.ctx.store.delete(OBJECT, f"{bucket_name}/{name}")
    else:
        call.ctx.store.delete(OBJECT_VERSION, _version_key(bucket_name, name, obj["generation"]))
    return Reply(status=204)


def _truthy(value: Any) -> bool:
    return value is True or str(value).lower() == "true"


def _check_source(call: Call, source: dict[str, Any]) -> None:
    """`ifSource*` preconditions of copy and rewrite, against the source version."""
    for param, field, equal in (
        ("ifSourceGenerationMatch", "generation", True),
        ("ifSourceGenerationNotMatch", "generation", False),
        ("ifSourceMetagenerationMatch", "metageneration", True),
        ("ifSourceMetagenerationNotMatch", "metageneration", False),
    ):
        wanted = call.query.get(param)
        if wanted is not None and (str(wanted) == source[field]) != equal:
            raise condition_not_met()


#: What a copy or rewrite takes from its source unless the request body gives metadata.
_COPIED = (
    "contentType",
    "contentEncoding",
    "contentDisposition",
    "contentLanguage",
    "cacheControl",
    "metadata",
)


def _duplicate(call: Call) -> dict[str, Any]:
    """Copy the source version (`sourceGeneration`, else the live one) to a new live generation
    of the destination. Metadata sent in the body replaces the source's; preconditions without
    `Source` guard the destination
    (https://cloud.google.com/storage/docs/json_api/v1/objects/rewrite)."""
    source = _object(
        call, call.param("sourceBucket"), call.param("sourceObject"), call.query.get("sourceGeneration")
    )
    _check_source(call, source)
    bucket = _require_bucket(call, call.param("destinationBucket"))
    name = call.param("destinationObject")
    _check_generation(call, call.ctx.store.get(OBJECT, f"{bucket['name']}/{name}"))
    metadata = {k: source[k] for k in _COPIED if k in source}
    body = {k: v for k, v in standard.drop_none(call.body or {}).items() if k not in ("name", "bucket")}
    if body:
        metadata = BodyValidator(call.method.api).validate("Object", body)
    media = base64.b64decode(source[_CONTENT])
    return _write(call, bucket, name, metadata, media, source.get("contentType", "application/octet-stream"))


@API.handles("storage.objects.copy")
def copy_object(call: Call) -> dict[str, Any]:
    return _public(_duplicate(call))


@API.handles("storage.objects.rewrite")
def rewrite_object(call: Call) -> dict[str, Any]:
    """Done in one call: objects here are small, so there is never a `rewriteToken` to resume."""
    obj = _duplicate(call)
    return {
        "kind": "storage#rewriteResponse",
        "totalBytesRewritten": obj["size"],
        "objectSize": obj["size"],
        "done": True,
        "resource": _public(obj),
    }
