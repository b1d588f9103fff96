"""Service agents exist only once asked for: IAM policies refuse the ones never generated."""

from __future__ import annotations

from typing import Any

import httplib2
import pytest
from google.api_core.exceptions import BadRequest
from google.cloud import kms_v1, storage
from googleapiclient.discovery import build_from_document
from googleapiclient.errors import HttpError

from emulator import Emulator
from emulator.discovery import load_document
from emulator.projects import project_number
from tests.emulator.conftest import PROJECT
from tests.emulator.test_service_networking import finish

NUMBER = project_number(PROJECT)
SQL_AGENT = f"service-{NUMBER}@gcp-sa-cloud-sql.iam.gserviceaccount.com"
SECRETS_AGENT = f"service-{NUMBER}@gcp-sa-secretmanager.iam.gserviceaccount.com"
ROLE = "roles/cloudkms.cryptoKeyEncrypterDecrypter"


def _beta(emu: Emulator) -> Any:
    doc = load_document("serviceusage", "v1beta1").raw
    return build_from_document(
        doc, http=httplib2.Http(timeout=30), client_options={"api_endpoint": emu.base_url + "/"}
    )


def _key(kms: kms_v1.KeyManagementServiceClient) -> str:
    ring = kms.create_key_ring(
        request={"parent": f"projects/{PROJECT}/locations/us-central1", "key_ring_id": "kr", "key_ring": {}}
    )
    key = kms.create_crypto_key(
        request={
            "parent": ring.name,
            "crypto_key_id": "database",
            "crypto_key": {"purpose": kms_v1.CryptoKey.CryptoKeyPurpose.ENCRYPT_DECRYPT},
        }
    )
    return key.name


def _grant(kms: kms_v1.KeyManagementServiceClient, key: str, email: str) -> None:
    policy = {"bindings": [{"role": ROLE, "members": [f"serviceAccount:{email}"]}]}
    kms.set_iam_policy(request={"resource": key, "policy": policy})


def test_a_key_grant_to_an_agent_never_generated_is_refused_until_it_is(emu, kms):
    key = _key(kms)
    with pytest.raises(BadRequest) as exc:
        _grant(kms, key, SQL_AGENT)
    assert f"Service account {SQL_AGENT} does not exist." in str(exc.value)

    beta = _beta(emu)
    op = (
        beta.services()
        .generateServiceIdentity(parent=f"projects/{NUMBER}/services/sqladmin.googleapis.com")
        .execute()
    )
    op = finish(beta.operations(), op)
    assert op["response"]["email"] == SQL_AGENT and op["response"]["uniqueId"]
    _grant(kms, key, SQL_AGENT)
    policy = kms.get_iam_policy(request={"resource": key})
    assert [list(b.members) for b in policy.bindings] == [[f"serviceAccount:{SQL_AGENT}"]]
    # Asking again answers the same identity.
    again = finish(
        beta.operations(),
        beta.services()
        .generateServiceIdentity(parent=f"projects/{PROJECT}/services/sqladmin.googleapis.com")
        .execute(),
    )
    assert again["response"]["email"] == SQL_AGENT


def test_the_project_policy_refuses_an_agent_never_generated(emu):
    crm = build_from_document(
        load_document("cloudresourcemanager", "v3").raw,
        http=httplib2.Http(timeout=30),
        client_options={"api_endpoint": emu.base_url + "/"},
    ).projects()
    policy = crm.getIamPolicy(resource=f"projects/{PROJECT}", body={}).execute()
    policy["bindings"] = [{"role": "roles/viewer", "members": [f"serviceAccount:{SECRETS_AGENT}"]}]
    with pytest.raises(HttpError) as exc:
        crm.setIamPolicy(resource=f"projects/{PROJECT}", body={"policy": policy}).execute()
    assert exc.value.status_code == 400 and "does not exist" in str(exc.value)
    emu.generate_service_agent(PROJECT, "secretmanager.googleapis.com")
    crm.setIamPolicy(resource=f"projects/{PROJECT}", body={"policy": policy}).execute()


def test_the_storage_agent_exists_once_read(emu, kms, gcs: storage.Client):
    key = _key(kms)
    agent = f"service-{NUMBER}@gs-project-accounts.iam.gserviceaccount.com"
    with pytest.raises(BadRequest):
        _grant(kms, key, agent)
    assert gcs.get_service_account_email() == agent
    _grant(kms, key, agent)


def test_agents_google_makes_on_enablement_are_taken_as_existing(emu, kms):
    key = _key(kms)
    _grant(kms, key, f"service-{NUMBER}@container-engine-robot.iam.gserviceaccount.com")
    _grant(kms, key, f"service-{NUMBER}@serverless-robot-prod.iam.gserviceaccount.com")


def test_a_secret_policy_refuses_an_agent_never_generated(emu):

    secrets = (
        build_from_document(
            load_document("secretmanager", "v1").raw,
            http=httplib2.Http(timeout=30),
            client_options={"api_endpoint": emu.base_url + "/"},
        )
        .projects()
        .secrets()
    )
    secrets.create(
        parent=f"projects/{PROJECT}", secretId="db-password", body={"replication": {"automatic": {}}}
    ).execute()
    body = {
        "policy": {
            "bindings": [
                {"role": "roles/secretmanager.secretAccessor", "members": [f"serviceAccount:{SQL_AGENT}"]}
            ]
        }
    }
    with pytest.raises(HttpError) as exc:
        secrets.setIamPolicy(resource=f"projects/{PROJECT}/secrets/db-password", body=body).execute()
    assert exc.value.status_code == 400 and f"Service account {SQL_AGENT} does not exist." in str(exc.value)
    emu.generate_service_agent(PROJECT, "sqladmin.googleapis.com")
    secrets.setIamPolicy(resource=f"projects/{PROJECT}/secrets/db-password", body=body).execute()


def test_generating_another_services_agent_names_it_by_its_documented_domain(emu):
    beta = _beta(emu)
    op = beta.services().generateServiceIdentity(
        parent=f"projects/{PROJECT}/services/container.googleapis.com"
    )
    done = finish(beta.operations(), op.execute())
    assert done["response"]["email"] == f"service-{NUMBER}@container-engine-robot.iam.gserviceaccount.com"
