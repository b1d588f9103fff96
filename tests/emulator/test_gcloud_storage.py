"""The README's object-restore runbook, rehearsed with gcloud against the emulator: list every
version of an object, copy an old generation back over the live one."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from google.cloud import storage

from emulator import Emulator
from tests.emulator.conftest import PROJECT

pytestmark = pytest.mark.skipif(shutil.which("gcloud") is None, reason="gcloud is not on PATH")

BUCKET = "digitwin-live-dev-documents"
OBJECT = "contracts/acme.pdf"


def _gcloud(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["gcloud", *args], env=env, capture_output=True, text=True, timeout=180, check=False
    )


def test_gcloud_restores_an_old_generation(emu: Emulator, gcs: storage.Client, tmp_path: Path) -> None:
    bucket = gcs.bucket(BUCKET)
    bucket.versioning_enabled = True
    bucket = gcs.create_bucket(bucket, location="us-central1")
    blob = bucket.blob(OBJECT)
    blob.upload_from_string(b"signed contract")
    good = blob.generation
    blob.upload_from_string(b"overwritten by mistake")
    # A throwaway configuration, so the developer's own gcloud setup is neither used nor changed.
    env = {**os.environ, "CLOUDSDK_CONFIG": str(tmp_path / "gcloud"), "CLOUDSDK_CORE_DISABLE_PROMPTS": "1"}
    for prop, value in (
        ("api_endpoint_overrides/storage", emu.base_url + "/storage/v1/"),
        ("auth/disable_credentials", "true"),
        ("core/project", PROJECT),
    ):
        assert _gcloud(env, "config", "set", prop, value).returncode == 0

    listed = _gcloud(env, "storage", "ls", "--all-versions", f"gs://{BUCKET}/{OBJECT}")
    assert listed.returncode == 0, listed.stderr
    assert f"gs://{BUCKET}/{OBJECT}#{good}" in listed.stdout.split()
    assert len(listed.stdout.split()) == 2

    copied = _gcloud(env, "storage", "cp", f"gs://{BUCKET}/{OBJECT}#{good}", f"gs://{BUCKET}/{OBJECT}")
    assert copied.returncode == 0, copied.stderr
    assert bucket.blob(OBJECT).download_as_bytes() == b"signed contract"
    # The version it replaced is kept as noncurrent, as the runbook says.
    assert len(list(gcs.list_blobs(bucket, versions=True))) == 3
    methods = {r.method_id for r in emu.requests()}
    assert methods & {"storage.objects.rewrite", "storage.objects.copy"}
