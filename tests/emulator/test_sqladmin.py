"""Cloud SQL Admin behaviour through the googleapiclient discovery client (v1 and v1beta4)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from google.api_core.client_options import ClientOptions
from google.auth.credentials import AnonymousCredentials
from google.cloud import kms_v1
from googleapiclient.errors import HttpError

from emulator import Emulator
from tests.emulator.conftest import PROJECT, SLOW_OPERATION_S
from tests.emulator.conftest import sqladmin as _client

DELAY_S = SLOW_OPERATION_S
NETWORK = f"projects/{PROJECT}/global/networks/vpc"


def _body(name: str = "pg", **settings: Any) -> dict[str, Any]:
    return {
        "name": name,
        "databaseVersion": "POSTGRES_15",
        "region": "us-central1",
        "settings": {"tier": "db-custom-1-3840", **settings},
    }


def _error(exc: pytest.ExceptionInfo[HttpError]) -> dict[str, Any]:
    return json.loads(exc.value.content)["error"]


def _create(emu: Emulator, sql: Any, name: str = "pg", **settings: Any) -> dict[str, Any]:
    op = sql.instances().insert(project=PROJECT, body=_body(name, **settings)).execute()
    emu.advance_time(DELAY_S)
    return op


def test_create_is_pending_until_the_operation_is_done(slow: Emulator) -> None:
    sql = _client(slow)
    op = sql.instances().insert(project=PROJECT, body=_body()).execute()
    assert op["kind"] == "sql#operation" and op["operationType"] == "CREATE"
    assert op["status"] == "PENDING" and op["targetId"] == "pg" and "error" not in op
    instance = sql.instances().get(project=PROJECT, instance="pg").execute()
    assert instance["state"] == "PENDING_CREATE"
    with pytest.raises(HttpError) as exc:
        sql.databases().insert(project=PROJECT, instance="pg", body={"name": "app"}).execute()
    assert exc.value.status_code == 409 and _error(exc)["errors"][0]["reason"] == "invalidState"

    slow.advance_time(DELAY_S)
    assert sql.operations().get(project=PROJECT, operation=op["name"]).execute()["status"] == "DONE"
    instance = sql.instances().get(project=PROJECT, instance="pg").execute()
    assert instance["state"] == "RUNNABLE"
    assert instance["connectionName"] == f"{PROJECT}:us-central1:pg"
    settings = instance["settings"]
    assert settings["settingsVersion"] == "1" and settings["edition"] == "ENTERPRISE"
    assert settings["dataDiskSizeGb"] == "10" and settings["dataDiskType"] == "PD_SSD"
    assert settings["storageAutoResize"] is True and settings["availabilityType"] == "ZONAL"
    assert settings["backupConfiguration"]["kind"] == "sql#backupConfiguration"
    assert [a["type"] for a in instance["ipAddresses"]] == ["PRIMARY", "OUTGOING"]
    assert instance["gceZone"].startswith("us-central1-")
    listed = sql.databases().list(project=PROJECT, instance="pg").execute()
    assert [d["name"] for d in listed["items"]] == ["postgres"]
    ops = sql.operations().list(project=PROJECT, instance="pg").execute()["items"]
    assert [o["operationType"] for o in ops] == ["CREATE"]


def test_a_second_mutation_during_an_operation_is_refused(slow: Emulator) -> None:
    sql = _client(slow)
    _create(slow, sql)
    version = sql.instances().get(project=PROJECT, instance="pg").execute()["settings"]["settingsVersion"]
    body = {"settings": {"tier": "db-custom-2-7680", "settingsVersion": version}}
    op = sql.instances().patch(project=PROJECT, instance="pg", body=body).execute()
    assert op["operationType"] == "UPDATE"
    for request in (
        sql.instances().patch(project=PROJECT, instance="pg", body={"settings": {"userLabels": {"a": "b"}}}),
        sql.users().insert(project=PROJECT, instance="pg", body={"name": "app", "password": "x"}),
        sql.instances().restart(project=PROJECT, instance="pg"),
    ):
        with pytest.raises(HttpError) as exc:
            request.execute()
        error = _error(exc)
        assert exc.value.status_code == 409
        assert error["errors"][0]["reason"] == "operationInProgress" and "status" not in error
        assert "another operation was already in progress" in error["message"]
    # The new tier shows only when the operation is done, and the change restarted the instance.
    assert (
        sql.instances().get(project=PROJECT, instance="pg").execute()["settings"]["tier"]
        == "db-custom-1-3840"
    )
    slow.advance_time(DELAY_S)
    instance = sql.instances().get(project=PROJECT, instance="pg").execute()
    assert instance["settings"]["tier"] == "db-custom-2-7680" and instance["state"] == "RUNNABLE"
    assert instance["settings"]["settingsVersion"] == "2"
    assert slow.store.get("sqladmin.restarts", f"projects/{PROJECT}/instances/pg")["count"] == 1


def test_stale_settings_version_is_refused(emu: Emulator) -> None:
    sql = _client(emu)
    _create(emu, sql)
    sql.instances().patch(
        project=PROJECT, instance="pg", body={"settings": {"userLabels": {"a": "b"}}}
    ).execute()
    body = {"settings": {"tier": "db-custom-1-3840", "settingsVersion": "1"}}
    with pytest.raises(HttpError) as exc:
        sql.instances().update(project=PROJECT, instance="pg", body=body).execute()
    assert exc.value.status_code == 412
    with pytest.raises(HttpError) as exc:
        sql.instances().update(
            project=PROJECT, instance="pg", body={"settings": {"tier": "db-custom-1-3840"}}
        ).execute()
    assert exc.value.status_code == 400
    # A PUT replaces settings: the labels the patch added are gone.
    body["settings"]["settingsVersion"] = "2"
    sql.instances().update(project=PROJECT, instance="pg", body=body).execute()
    assert "userLabels" not in sql.instances().get(project=PROJECT, instance="pg").execute()["settings"]


@pytest.mark.parametrize(
    ("settings", "needle"),
    [
        ({"tier": "db-custom-1-1024"}, "Invalid Tier"),
        ({"tier": "db-custom-3-7680"}, "vCPUs"),
        ({"tier": "db-n1-standard-1"}, "Invalid Tier"),
        ({"edition": "ENTERPRISE_PLUS"}, "Invalid Tier"),
        ({"databaseFlags": [{"name": "no_such_flag", "value": "1"}]}, "no_such_flag"),
        ({"databaseFlags": [{"name": "max_connections", "value": "5"}]}, "max_connections"),
        ({"ipConfiguration": {"ipv4Enabled": False}}, "At least one of public IP or private IP"),
        ({"backupConfiguration": {"enabled": False, "pointInTimeRecoveryEnabled": True}}, "requires backups"),
        ({"backupConfiguration": {"enabled": True, "transactionLogRetentionDays": 9}}, "between 1 and 7"),
        ({"maintenanceWindow": {"day": 8, "hour": 3}}, "maintenanceWindow.day"),
        ({"ipConfiguration": {"privateNetwork": NETWORK}}, "does not exist"),
        ({"insightsConfig": {"queryStringLength": 100}}, "queryStringLength"),
        ({"insightsConfig": {"queryPlansPerMinute": 201}}, "queryPlansPerMinute"),
    ],
)
def test_invalid_settings_are_400(emu: Emulator, settings: dict[str, Any], needle: str) -> None:
    sql = _client(emu)
    body = _body()
    body["settings"].update(settings)
    with pytest.raises(HttpError) as exc:
        sql.instances().insert(project=PROJECT, body=body).execute()
    assert exc.value.status_code == 400
    assert needle in _error(exc)["message"]


def test_postgres_16_defaults_to_enterprise_plus(emu: Emulator) -> None:
    sql = _client(emu)
    body = {**_body(), "databaseVersion": "POSTGRES_16"}
    body["settings"]["tier"] = "db-perf-optimized-N-2"
    sql.instances().insert(project=PROJECT, body=body).execute()
    settings = sql.instances().get(project=PROJECT, instance="pg").execute()["settings"]
    assert settings["edition"] == "ENTERPRISE_PLUS" and settings["dataCacheConfig"]["dataCacheEnabled"]


def test_private_ip_needs_a_private_services_connection(emu: Emulator) -> None:
    sql = _client(emu)
    emu.store.put("compute.network", NETWORK, {"name": "vpc"}, f"projects/{PROJECT}")
    body = _body(ipConfiguration={"ipv4Enabled": False, "privateNetwork": NETWORK})
    with pytest.raises(HttpError) as exc:
        sql.instances().insert(project=PROJECT, body=body).execute()
    assert exc.value.status_code == 400
    assert "doesn't have at least 1 private services connection" in _error(exc)["message"]
    number = emu.register_project(PROJECT)
    emu.store.put(
        "compute.globalAddress",
        f"projects/{PROJECT}/global/addresses/psa",
        {"name": "psa", "address": "10.20.0.0", "prefixLength": 16},
    )
    emu.store.put(
        "servicenetworking.connection",
        "conn",
        {
            "network": f"projects/{number}/global/networks/vpc",
            "service": "servicenetworking.googleapis.com",
            "reservedPeeringRanges": ["psa"],
        },
    )
    sql.instances().insert(project=PROJECT, body=body).execute()
    instance = sql.instances().get(project=PROJECT, instance="pg").execute()
    assert instance["ipAddresses"] == [{"type": "PRIVATE", "ipAddress": "10.20.0.3"}]
    assert instance["settings"]["ipConfiguration"]["privateNetwork"] == NETWORK
    with pytest.raises(HttpError) as exc:
        patch = {"settings": {"ipConfiguration": {"privateNetwork": None, "ipv4Enabled": True}}}
        sql.instances().patch(project=PROJECT, instance="pg", body=patch).execute()
    assert exc.value.status_code == 400


def test_cmek_needs_the_cloud_sql_agent_grant(emu: Emulator) -> None:
    sql = _client(emu)
    kms = kms_v1.KeyManagementServiceClient(
        transport="rest",
        credentials=AnonymousCredentials(),
        client_options=ClientOptions(api_endpoint=emu.base_url),
    )
    ring = kms.create_key_ring(
        parent=f"projects/{PROJECT}/locations/us-central1", key_ring_id="kr", key_ring={}
    )
    key = kms.create_crypto_key(
        parent=ring.name,
        crypto_key_id="db",
        crypto_key=kms_v1.CryptoKey(purpose=kms_v1.CryptoKey.CryptoKeyPurpose.ENCRYPT_DECRYPT),
    )
    body = {**_body(), "diskEncryptionConfiguration": {"kmsKeyName": key.name}}
    with pytest.raises(HttpError) as exc:
        sql.instances().insert(project=PROJECT, body=body).execute()
    assert exc.value.status_code == 400 and "gcp-sa-cloud-sql" in _error(exc)["message"]
    agent = f"serviceAccount:service-{emu.register_project(PROJECT)}@gcp-sa-cloud-sql.iam.gserviceaccount.com"
    emu.generate_service_agent(PROJECT, "sqladmin.googleapis.com")
    kms.set_iam_policy(
        request={
            "resource": key.name,
            "policy": {
                "bindings": [{"role": "roles/cloudkms.cryptoKeyEncrypterDecrypter", "members": [agent]}]
            },
        }
    )
    with pytest.raises(HttpError) as exc:
        sql.instances().insert(project=PROJECT, body={**body, "region": "us-east1"}).execute()
    assert exc.value.status_code == 400  # the key is in another region
    sql.instances().insert(project=PROJECT, body=body).execute()
    instance = sql.instances().get(project=PROJECT, instance="pg").execute()
    assert instance["diskEncryptionStatus"]["kmsKeyVersionName"] == key.name + "/cryptoKeyVersions/1"
    with pytest.raises(HttpError) as exc:
        sql.instances().patch(
            project=PROJECT,
            instance="pg",
            body={"diskEncryptionConfiguration": {"kmsKeyName": key.name + "x"}},
        ).execute()
    assert exc.value.status_code == 400


def test_deletion_protection_and_name_reuse(emu: Emulator) -> None:
    sql = _client(emu)
    _create(emu, sql, deletionProtectionEnabled=True)
    with pytest.raises(HttpError) as exc:
        sql.instances().delete(project=PROJECT, instance="pg").execute()
    assert exc.value.status_code == 400 and "The instance is protected" in _error(exc)["message"]
    sql.instances().patch(
        project=PROJECT, instance="pg", body={"settings": {"deletionProtectionEnabled": False}}
    ).execute()
    assert sql.instances().delete(project=PROJECT, instance="pg").execute()["operationType"] == "DELETE"
    with pytest.raises(HttpError) as exc:
        sql.instances().get(project=PROJECT, instance="pg").execute()
    assert exc.value.status_code == 404
    with pytest.raises(HttpError) as exc:
        sql.instances().insert(project=PROJECT, body=_body()).execute()
    error = _error(exc)
    assert exc.value.status_code == 409 and error["errors"][0]["reason"] == "instanceAlreadyExists"
    assert "one week" in error["message"]
    emu.advance_time(7 * 86_400 + 60)
    sql.instances().insert(project=PROJECT, body=_body()).execute()
    assert sql.instances().get(project=PROJECT, instance="pg").execute()["state"] == "RUNNABLE"


def test_user_password_is_never_returned_or_logged(emu: Emulator) -> None:
    sql = _client(emu)
    _create(emu, sql)
    password = "correct-horse-battery-staple"
    op = (
        sql.users()
        .insert(project=PROJECT, instance="pg", body={"name": "app", "password": password})
        .execute()
    )
    assert op["operationType"] == "CREATE_USER"
    sql.users().update(
        project=PROJECT, instance="pg", name="app", body={"password": password + "2"}
    ).execute()
    listed = sql.users().list(project=PROJECT, instance="pg").execute()
    got = sql.users().get(project=PROJECT, instance="pg", name="app").execute()
    assert {u["name"] for u in listed["items"]} == {"postgres", "app"}
    # a built-in user is answered without its type, as Cloud SQL does
    assert "type" not in got and "password" not in got
    text = json.dumps([listed, got, [r.to_json() for r in emu.requests()]])
    assert password not in text
    with pytest.raises(HttpError) as exc:
        sql.users().insert(project=PROJECT, instance="pg", body={"name": "app", "password": "x"}).execute()
    assert exc.value.status_code == 409
    with pytest.raises(HttpError) as exc:
        body = {"name": "sa@proj.iam", "type": "CLOUD_IAM_SERVICE_ACCOUNT"}
        sql.users().insert(project=PROJECT, instance="pg", body=body).execute()
    assert "cloudsql.iam_authentication" in _error(exc)["message"]
    sql.users().delete(project=PROJECT, instance="pg", name="app").execute()
    assert [u["name"] for u in sql.users().list(project=PROJECT, instance="pg").execute()["items"]] == [
        "postgres"
    ]


def test_databases(emu: Emulator) -> None:
    sql = _client(emu)
    _create(emu, sql)
    assert (
        sql.databases()
        .insert(project=PROJECT, instance="pg", body={"name": "app"})
        .execute()["operationType"]
        == "CREATE_DATABASE"
    )
    database = sql.databases().get(project=PROJECT, instance="pg", database="app").execute()
    assert (database["charset"], database["collation"]) == ("UTF8", "en_US.UTF8")
    with pytest.raises(HttpError) as exc:
        sql.databases().insert(project=PROJECT, instance="pg", body={"name": "app"}).execute()
    assert exc.value.status_code == 409
    with pytest.raises(HttpError) as exc:
        sql.databases().insert(
            project=PROJECT, instance="pg", body={"name": "x", "charset": "LATIN1"}
        ).execute()
    assert exc.value.status_code == 400
    with pytest.raises(HttpError) as exc:
        sql.databases().patch(
            project=PROJECT, instance="pg", database="app", body={"collation": "C"}
        ).execute()
    assert exc.value.status_code == 400
    sql.databases().delete(project=PROJECT, instance="pg", database="app").execute()
    with pytest.raises(HttpError) as exc:
        sql.databases().get(project=PROJECT, instance="pg", database="app").execute()
    assert exc.value.status_code == 404


def test_v1beta4_paths_reach_the_same_instances(emu: Emulator) -> None:
    _create(emu, _client(emu))
    beta = _client(emu, "v1beta4")
    listed = beta.instances().list(project=PROJECT).execute()
    assert [i["name"] for i in listed["items"]] == ["pg"]
    assert "/sql/v1beta4/" in listed["items"][0]["selfLink"]
    filtered = beta.instances().list(project=PROJECT, filter="settings.tier:db-g1-small").execute()
    assert "items" not in filtered


def test_query_insights_is_stored_as_cloud_sql_shows_it(emu: Emulator) -> None:
    # kcc-history sqlinstance-backupconfiguration-diff@7aa96aba27 #3: the sampling rate and the
    # query length come back only when asked for; false switches are left out.
    sql = _client(emu)
    _create(emu, sql, insightsConfig={"queryInsightsEnabled": True, "recordClientAddress": False})

    shown = sql.instances().get(project=PROJECT, instance="pg").execute()["settings"]["insightsConfig"]

    assert shown == {"queryInsightsEnabled": True}
    asked = {"queryInsightsEnabled": True, "queryPlansPerMinute": 5}
    sql.instances().patch(
        project=PROJECT, instance="pg", body={"settings": {"insightsConfig": asked}}
    ).execute()
    again = sql.instances().get(project=PROJECT, instance="pg").execute()["settings"]["insightsConfig"]
    assert again == asked


def test_a_listed_user_shows_what_cloud_sql_adds(emu: Emulator) -> None:
    sql = _client(emu)
    _create(emu, sql)
    users = sql.users().list(project=PROJECT, instance="pg").execute()["items"]
    assert users and all(u["host"] == "" and u["iamStatus"] == "IAM_STATUS_UNSPECIFIED" for u in users)
    # A PostgreSQL user with no password policy shows none (kcc-history
    # postgresinstance@a0c29df460 #24); a MySQL one shows an empty status (mysqlinstance #4).
    assert all("passwordPolicy" not in u and u["etag"] for u in users)
