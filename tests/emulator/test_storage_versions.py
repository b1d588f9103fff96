"""Object Versioning, copy and rewrite through the google-cloud-storage client: what the README's
object-restore runbook relies on."""

from __future__ import annotations

import pytest
from google.api_core import exceptions
from google.cloud import storage


def _versioned(gcs: storage.Client, name: str = "digitwin-dev-versions") -> storage.Bucket:
    bucket = gcs.bucket(name)
    bucket.versioning_enabled = True
    return gcs.create_bucket(bucket, location="us-central1")


def test_overwrite_and_delete_keep_noncurrent_generations(gcs: storage.Client) -> None:
    bucket = _versioned(gcs)
    blob = bucket.blob("contracts/acme.pdf")
    blob.upload_from_string(b"first")
    first = blob.generation
    blob.upload_from_string(b"second")
    second = blob.generation
    assert second > first

    assert bucket.blob("contracts/acme.pdf").download_as_bytes() == b"second"
    assert bucket.blob("contracts/acme.pdf", generation=first).download_as_bytes() == b"first"
    old = bucket.get_blob("contracts/acme.pdf", generation=first)
    assert old is not None and old.generation == first and old.time_deleted is not None
    # A generation the object never had is a 404, never the live version.
    assert bucket.get_blob("contracts/acme.pdf", generation=first + 7) is None
    with pytest.raises(exceptions.NotFound):
        bucket.blob("contracts/acme.pdf", generation=first + 7).download_as_bytes()

    bucket.blob("contracts/acme.pdf").delete()
    assert bucket.get_blob("contracts/acme.pdf") is None
    assert [b.name for b in gcs.list_blobs(bucket)] == []
    listed = [(b.name, b.generation) for b in gcs.list_blobs(bucket, versions=True)]
    assert listed == [("contracts/acme.pdf", first), ("contracts/acme.pdf", second)]


def test_bucket_with_only_noncurrent_versions_cannot_be_deleted(gcs: storage.Client) -> None:
    bucket = _versioned(gcs, "digitwin-dev-noncurrent")
    blob = bucket.blob("a")
    blob.upload_from_string(b"x")
    generation = blob.generation
    bucket.blob("a").delete()  # no generation: the live version becomes noncurrent
    with pytest.raises(exceptions.Conflict, match=r"The bucket you tried to delete is not empty\."):
        bucket.delete()
    # Deleting a version by its generation removes it for good; then the bucket can go.
    bucket.blob("a", generation=generation).delete()
    assert list(gcs.list_blobs(bucket, versions=True)) == []
    bucket.delete()


def test_unversioned_bucket_keeps_no_old_generation(gcs: storage.Client) -> None:
    bucket = gcs.create_bucket("digitwin-dev-plain", location="us-central1")
    blob = bucket.blob("a")
    blob.upload_from_string(b"one")
    first = blob.generation
    blob.upload_from_string(b"two")
    assert bucket.get_blob("a", generation=first) is None
    assert [b.generation for b in gcs.list_blobs(bucket, versions=True)] == [blob.generation]
    blob.delete()
    bucket.delete()


def test_rewrite_from_an_old_generation_restores_it(gcs: storage.Client) -> None:
    bucket = _versioned(gcs, "digitwin-dev-restore")
    blob = bucket.blob("doc.txt")
    blob.upload_from_string(b"good", content_type="text/plain")
    good = blob.generation
    blob.upload_from_string(b"damaged", content_type="text/plain")
    damaged = blob.generation

    source = bucket.blob("doc.txt", generation=good)
    token, done, total = bucket.blob("doc.txt").rewrite(source)
    assert token is None and done == total == 4
    live = bucket.get_blob("doc.txt")
    assert live.download_as_bytes() == b"good" and live.content_type == "text/plain"
    assert live.generation > damaged
    generations = [b.generation for b in gcs.list_blobs(bucket, versions=True)]
    assert generations == [good, damaged, live.generation]  # the damaged one is kept as noncurrent

    copied = bucket.copy_blob(bucket.blob("doc.txt"), bucket, "copy.txt", source_generation=damaged)
    assert copied.download_as_bytes() == b"damaged"
    with pytest.raises(exceptions.NotFound):
        bucket.copy_blob(bucket.blob("doc.txt"), bucket, "nope.txt", source_generation=1)
    # Destination preconditions hold: the copy must not replace a live object here.
    with pytest.raises(exceptions.PreconditionFailed):
        bucket.copy_blob(bucket.blob("doc.txt"), bucket, "copy.txt", if_generation_match=0)
