"""Credentials that are missing or unusable: one line naming why and the fix, exit 1, no traceback.

The CLI runs as a new user would run it: a fresh process, HOME and gcloud's configuration in
empty folders, no GOOGLE_* variables, no metadata server. Where a refresh must fail, a local
server answers as Google's token endpoints answer a revoked key or an unknown service account.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

SPECS = Path(__file__).resolve().parents[2] / "specs"
ROOT = Path(__file__).resolve().parents[2]
LOGIN = "gcloud auth application-default login"


def run(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path / "home"),
        "CLOUDSDK_CONFIG": str(tmp_path / "gcloud"),
        # No metadata server here, and google.auth is told not to wait for one.
        "NO_GCE_CHECK": "True",
        "GCE_METADATA_HOST": "127.0.0.1:9",
        "GCE_METADATA_IP": "127.0.0.1:9",
        "PROVISIONER_RETRY_DEADLINE": "2",
        **env,
    }
    (tmp_path / "home").mkdir(exist_ok=True)
    return subprocess.run(
        [sys.executable, "-m", "provisioner", *args, "--specs", str(SPECS)],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def one_error_line(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    return lines[0]


def test_no_credentials_at_all(tmp_path: Path) -> None:
    line = one_error_line(run(tmp_path, "plan", "--env", "dev"))

    assert "no Google credentials found" in line
    assert LOGIN in line
    assert "--local" in line


def test_credentials_file_that_does_not_exist(tmp_path: Path) -> None:
    missing = tmp_path / "key.json"

    line = one_error_line(run(tmp_path, "plan", "--env", "dev", GOOGLE_APPLICATION_CREDENTIALS=str(missing)))

    assert f"GOOGLE_APPLICATION_CREDENTIALS={missing} cannot be used: File {missing} was not found." in line
    assert LOGIN in line


def test_credentials_file_that_is_not_credentials(tmp_path: Path) -> None:
    broken = tmp_path / "key.json"
    broken.write_text("{not json")

    line = one_error_line(
        run(tmp_path, "preflight", "--env", "dev", GOOGLE_APPLICATION_CREDENTIALS=str(broken))
    )

    assert f"GOOGLE_APPLICATION_CREDENTIALS={broken} cannot be used" in line
    assert "is not a valid json file" in line


class _Google(BaseHTTPRequestHandler):
    """Google's OAuth token endpoint refusing a revoked key, and IAM Credentials answering for a
    service account that does not exist, as they answer (google-auth's _client and
    impersonated_credentials read these shapes)."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("content-length") or 0))
        if self.path.startswith("/revoked/token"):
            status, body = 400, {"error": "invalid_grant", "error_description": "Invalid JWT Signature."}
        elif self.path.startswith("/token"):
            status, body = 200, {"access_token": "ya29.local", "expires_in": 3600, "token_type": "Bearer"}
        else:
            email = self.path.split("/serviceAccounts/", 1)[-1].split(":", 1)[0]
            status, body = (
                404,
                {
                    "error": {
                        "code": 404,
                        "message": f"Not found; Gaia id not found for email {email}",
                        "status": "NOT_FOUND",
                    }
                },
            )
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def google() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Google)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def service_account_key(tmp_path: Path, token_uri: str) -> Path:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    path = tmp_path / "deployer.json"
    path.write_text(
        json.dumps(
            {
                "type": "service_account",
                "project_id": "digitwin-live-dev",
                "private_key_id": "0123456789abcdef",
                "private_key": pem,
                "client_email": "deployer@digitwin-live-dev.iam.gserviceaccount.com",
                "client_id": "1234567890",
                "token_uri": token_uri,
            }
        )
    )
    return path


def test_a_key_google_no_longer_accepts(tmp_path: Path, google: str) -> None:
    key = service_account_key(tmp_path, f"{google}/revoked/token")

    line = one_error_line(run(tmp_path, "plan", "--env", "dev", GOOGLE_APPLICATION_CREDENTIALS=str(key)))

    assert "the Google credentials could not be refreshed (invalid_grant: Invalid JWT Signature.)" in line
    assert LOGIN in line


def test_an_impersonation_target_that_does_not_exist(tmp_path: Path, google: str) -> None:
    key = service_account_key(tmp_path, f"{google}/token")
    ghost = "ghost@digitwin-live-dev.iam.gserviceaccount.com"

    line = one_error_line(
        run(
            tmp_path,
            "plan",
            "--env",
            "dev",
            "--impersonate",
            ghost,
            GOOGLE_APPLICATION_CREDENTIALS=str(key),
            PROVISIONER_ENDPOINT_IAMCREDENTIALS=google,
        )
    )

    assert f"cannot act as {ghost}" in line
    assert f"NOT_FOUND: Not found; Gaia id not found for email {ghost}" in line
    assert "roles/iam.serviceAccountTokenCreator" in line


def test_local_needs_no_credentials(tmp_path: Path) -> None:
    result = run(tmp_path, "preflight", "--env", "dev", "--local", "--state-dir", str(tmp_path / "state"))

    assert result.returncode == 0, result.stderr
    assert "Preflight passed." in result.stdout
