"""Cloud SQL for MySQL and SQL Server, read replicas and major version upgrades, as Google
answers them in the recorded traffic (conformance/kcc-golden/sql/)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from google.auth.credentials import AnonymousCredentials
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError

from emulator import Emulator
from tests.emulator.conftest import PROJECT
from tests.emulator.conftest import sqladmin as _client


def _body(name: str, version: str, **top: Any) -> dict[str, Any]:
    settings = top.pop("settings", {})
    return {
        "name": name,
        "databaseVersion": version,
        "region": "us-central1",
        "settings": {"tier": "db-custom-1-3840", "edition": "ENTERPRISE", **settings},
        **top,
    }


def _create(sql: Any, name: str, version: str, **top: Any) -> dict[str, Any]:
    sql.instances().insert(project=PROJECT, body=_body(name, version, **top)).execute()
    return sql.instances().get(project=PROJECT, instance=name).execute()


def _refusal(call: Any) -> tuple[int, str]:
    with pytest.raises(HttpError) as exc:
        call.execute()
    return exc.value.status_code, json.loads(exc.value.content)["error"]["message"]


def test_a_mysql_instance_runs_its_minor_version_with_root_and_the_system_databases(emu: Emulator) -> None:
    sql = _client(emu)
    instance = _create(sql, "my", "MYSQL_5_7", settings={"tier": "db-n1-standard-1"})
    assert instance["databaseInstalledVersion"] == "MYSQL_5_7_44"
    assert instance["geminiConfig"]["flagRecommenderEnabled"] is True
    assert [a["type"] for a in instance["ipAddresses"]] == ["PRIMARY"]
    assert instance["upgradableDatabaseVersions"][0]["name"] == "MYSQL_8_0"
    users = sql.users().list(project=PROJECT, instance="my").execute()["items"]
    assert [(u["name"], u["host"], u["passwordPolicy"]) for u in users] == [("root", "%", {"status": {}})]
    databases = sql.databases().list(project=PROJECT, instance="my").execute()["items"]
    assert [d["name"] for d in databases] == ["information_schema", "mysql", "performance_schema", "sys"]
    assert "iamStatus" not in databases[0]


def test_mysql_binary_logging_needs_backups_and_shows_as_asked(emu: Emulator) -> None:
    sql = _client(emu)
    asked = {"backupConfiguration": {"binaryLogEnabled": True, "enabled": False}}
    status, message = _refusal(
        sql.instances().insert(project=PROJECT, body=_body("my", "MYSQL_8_0", settings=asked))
    )
    assert status == 400 and "Binary logging requires automated backups" in message
    asked = {
        "backupConfiguration": {
            "binaryLogEnabled": True,
            "enabled": True,
            "pointInTimeRecoveryEnabled": False,
        }
    }
    backups = _create(sql, "my", "MYSQL_8_0", settings=asked)["settings"]["backupConfiguration"]
    assert backups["binaryLogEnabled"] is True and backups["transactionalLogStorageState"] == "CLOUD_STORAGE"
    assert "pointInTimeRecoveryEnabled" not in backups
    status, _ = _refusal(
        sql.instances().insert(
            project=PROJECT,
            body=_body("pg", "POSTGRES_15", settings={"backupConfiguration": {"binaryLogEnabled": True}}),
        )
    )
    assert status == 400


def test_the_db_n1_machine_types_are_mysql_only(emu: Emulator) -> None:
    sql = _client(emu)
    body = _body("ms", "SQLSERVER_2019_EXPRESS", rootPassword="x", settings={"tier": "db-n1-standard-1"})
    assert _refusal(sql.instances().insert(project=PROJECT, body=body))[0] == 400
    body["settings"]["tier"] = "db-g1-small"
    assert _refusal(sql.instances().insert(project=PROJECT, body=body))[0] == 400


def test_a_sql_server_instance_needs_a_root_password_and_lists_its_logins(emu: Emulator) -> None:
    sql = _client(emu)
    status, message = _refusal(
        sql.instances().insert(project=PROJECT, body=_body("ms", "SQLSERVER_2019_EXPRESS"))
    )
    assert status == 400 and "rootPassword" in message
    instance = _create(sql, "ms", "SQLSERVER_2019_EXPRESS", rootPassword="1234!@#$asdf")
    assert instance["databaseInstalledVersion"] == "SQLSERVER_2019_EXPRESS_CU26"
    assert instance["includeReplicasForMajorVersionUpgrade"] is False and "geminiConfig" not in instance
    assert instance["settings"]["backupConfiguration"]["backupTier"] == "STANDARD"
    users = sql.users().list(project=PROJECT, instance="ms").execute()["items"]
    assert users[-1]["name"] == "sqlserver"
    assert users[-1]["sqlserverUserDetails"] == {"serverRoles": ["CustomerDbRootRole"]}


def test_flags_are_checked_against_the_engine(emu: Emulator) -> None:
    sql = _client(emu)
    postgres_flag = {"databaseFlags": [{"name": "cloudsql.iam_authentication", "value": "on"}]}
    status, message = _refusal(
        sql.instances().insert(project=PROJECT, body=_body("my", "MYSQL_8_0", settings=postgres_flag))
    )
    assert status == 400 and "not supported" in message
    mysql_flag = {"databaseFlags": [{"name": "cloudsql_iam_authentication", "value": "on"}]}
    assert _create(sql, "my", "MYSQL_8_0", settings=mysql_flag)["settings"]["databaseFlags"]


def test_a_read_replica_needs_a_primary_with_binary_logging(emu: Emulator) -> None:
    sql = _client(emu)
    _create(sql, "primary", "MYSQL_5_7")
    replica = _body("replica", "MYSQL_5_7", instanceType="READ_REPLICA_INSTANCE")
    replica["masterInstanceName"] = f"{PROJECT}:primary"
    status, message = _refusal(sql.instances().insert(project=PROJECT, body=replica))
    assert status == 400 and "binary logging" in message
    backups = {"backupConfiguration": {"enabled": True, "binaryLogEnabled": True}}
    sql.instances().patch(project=PROJECT, instance="primary", body={"settings": backups}).execute()
    operation = sql.instances().insert(project=PROJECT, body=replica).execute()
    assert (operation["operationType"], operation["targetId"]) == ("CREATE_REPLICA", f"{PROJECT}:primary")
    made = sql.instances().get(project=PROJECT, instance="replica").execute()
    assert made["instanceType"] == "READ_REPLICA_INSTANCE"
    assert made["masterInstanceName"] == f"{PROJECT}:primary"
    assert sql.instances().get(project=PROJECT, instance="primary").execute()["replicaNames"] == ["replica"]
    sql.instances().delete(project=PROJECT, instance="replica").execute()
    assert "replicaNames" not in sql.instances().get(project=PROJECT, instance="primary").execute()


def test_a_replica_must_run_its_primarys_version(emu: Emulator) -> None:
    sql = _client(emu)
    backups = {"backupConfiguration": {"enabled": True, "binaryLogEnabled": True}}
    _create(sql, "primary", "MYSQL_8_0", settings=backups)
    replica = {**_body("replica", "MYSQL_5_7"), "masterInstanceName": "primary"}
    assert _refusal(sql.instances().insert(project=PROJECT, body=replica))[0] == 400
    missing = {**_body("replica", "MYSQL_8_0"), "masterInstanceName": "nowhere"}
    assert _refusal(sql.instances().insert(project=PROJECT, body=missing))[0] == 404


@pytest.mark.parametrize(
    ("version", "target", "installed"),
    [
        ("POSTGRES_15", "POSTGRES_16", "POSTGRES_16_3"),
        ("MYSQL_5_7", "MYSQL_8_0", "MYSQL_8_0_41"),
        ("SQLSERVER_2019_EXPRESS", "SQLSERVER_2022_EXPRESS", "SQLSERVER_2022_EXPRESS_CU19_GDR"),
    ],
)
def test_a_patch_of_the_database_version_upgrades_in_place(
    emu: Emulator, version: str, target: str, installed: str
) -> None:
    sql = _client(emu)
    _create(sql, "db", version, rootPassword="pw")
    operation = (
        sql.instances().patch(project=PROJECT, instance="db", body={"databaseVersion": target}).execute()
    )
    assert operation["operationType"] == "UPDATE"
    instance = sql.instances().get(project=PROJECT, instance="db").execute()
    assert (instance["databaseVersion"], instance["databaseInstalledVersion"]) == (target, installed)
    assert instance["settings"]["edition"] == "ENTERPRISE"


def test_an_upgrade_stays_within_its_engine_and_goes_up(emu: Emulator) -> None:
    sql = _client(emu)
    _create(sql, "db", "MYSQL_8_0")
    _create(sql, "old", "MYSQL_5_7")
    status, _ = _refusal(
        sql.instances().patch(project=PROJECT, instance="old", body={"databaseVersion": "MYSQL_8_4"})
    )
    assert status == 400
    for target in ("MYSQL_5_7", "POSTGRES_16", "MYSQL_9_9"):
        status, _ = _refusal(
            sql.instances().patch(project=PROJECT, instance="db", body={"databaseVersion": target})
        )
        assert status == 400, target


def test_mysql_database_collations_follow_their_charset_and_may_change(emu: Emulator) -> None:
    sql = _client(emu)
    _create(sql, "my", "MYSQL_8_0")
    databases = sql.databases()
    operation = databases.insert(project=PROJECT, instance="my", body={"name": "app"}).execute()
    assert operation["targetLink"].endswith("/instances/my/databases/app")
    made = databases.get(project=PROJECT, instance="my", database="app").execute()
    assert (made["charset"], made["collation"]) == ("utf8mb4", "utf8mb4_0900_ai_ci") and made["etag"]
    body = {"name": "app", "charset": "utf8mb4", "collation": "utf8mb4_bin"}
    databases.update(project=PROJECT, instance="my", database="app", body=body).execute()
    assert (
        databases.get(project=PROJECT, instance="my", database="app").execute()["collation"] == "utf8mb4_bin"
    )
    wrong = {"name": "other", "charset": "utf8mb4", "collation": "latin1_swedish_ci"}
    assert _refusal(databases.insert(project=PROJECT, instance="my", body=wrong))[0] == 400


def test_a_project_grant_to_the_cloud_sql_agent_is_enough_for_cmek(emu: Emulator, kms: Any) -> None:
    sql = _client(emu)
    ring = kms.create_key_ring(
        parent=f"projects/{PROJECT}/locations/us-central1", key_ring_id="kr", key_ring={}
    )
    key = kms.create_crypto_key(
        parent=ring.name, crypto_key_id="db", crypto_key={"purpose": "ENCRYPT_DECRYPT"}
    )
    body = {**_body("pg", "POSTGRES_15"), "diskEncryptionConfiguration": {"kmsKeyName": key.name}}
    assert _refusal(sql.instances().insert(project=PROJECT, body=body))[0] == 400
    number = emu.register_project(PROJECT)
    emu.generate_service_agent(PROJECT, "sqladmin.googleapis.com")
    crm = build(
        "cloudresourcemanager",
        "v3",
        credentials=AnonymousCredentials(),
        static_discovery=True,
        client_options={"api_endpoint": emu.base_url + "/"},
    )
    member = f"serviceAccount:service-{number}@gcp-sa-cloud-sql.iam.gserviceaccount.com"
    policy = crm.projects().getIamPolicy(resource=f"projects/{PROJECT}", body={}).execute()
    policy.setdefault("bindings", []).append(
        {"role": "roles/cloudkms.cryptoKeyEncrypterDecrypter", "members": [member]}
    )
    crm.projects().setIamPolicy(resource=f"projects/{PROJECT}", body={"policy": policy}).execute()
    sql.instances().insert(project=PROJECT, body=body).execute()
    assert sql.instances().get(project=PROJECT, instance="pg").execute()["diskEncryptionConfiguration"]


def test_an_instance_without_a_zone_gets_the_first_zone_of_its_region(emu: Emulator) -> None:
    sql = _client(emu)
    instance = _create(sql, "eu", "POSTGRES_15", region="europe-west1")
    assert instance["gceZone"] == "europe-west1-b"
    assert instance["settings"]["locationPreference"] == {
        "kind": "sql#locationPreference",
        "zone": "europe-west1-b",
    }
    assert "secondaryGceZone" not in instance and "failoverReplica" not in instance


def test_a_regional_instance_shows_its_standby_zone_and_failover(emu: Emulator) -> None:
    # conformance/kcc-history/sql/v1beta1/sqlinstance/postgresinstance@a0c29df460 #23: no zone
    # asked, the primary in zone b, the standby in zone a.
    sql = _client(emu)
    regional = {"availabilityType": "REGIONAL"}
    made = _create(sql, "ha", "POSTGRES_15", settings=regional)
    assert made["settings"]["locationPreference"] == {
        "kind": "sql#locationPreference",
        "zone": "us-central1-b",
    }
    assert (made["gceZone"], made["secondaryGceZone"]) == ("us-central1-b", "us-central1-a")
    assert made["failoverReplica"] == {"available": True}
    asked = {**regional, "locationPreference": {"zone": "us-central1-c", "secondaryZone": "us-central1-f"}}
    chosen = _create(sql, "ha2", "POSTGRES_15", settings=asked)
    assert (chosen["gceZone"], chosen["secondaryGceZone"]) == ("us-central1-c", "us-central1-f")
    echoed = {"failoverReplica": made["failoverReplica"], "settings": {"availabilityType": "ZONAL"}}
    sql.instances().patch(project=PROJECT, instance="ha", body=echoed).execute()
    zonal = sql.instances().get(project=PROJECT, instance="ha").execute()
    assert "secondaryGceZone" not in zonal and "failoverReplica" not in zonal


def test_postgres_point_in_time_recovery_archives_its_logs_in_cloud_storage(emu: Emulator) -> None:
    # conformance/kcc-history/sql/v1beta1/sqlinstance/postgresinstance@a0c29df460 #23
    sql = _client(emu)
    backups = {"backupConfiguration": {"enabled": True, "pointInTimeRecoveryEnabled": True}}
    shown = _create(sql, "pg", "POSTGRES_15", settings=backups)["settings"]["backupConfiguration"]
    assert shown["transactionalLogStorageState"] == "CLOUD_STORAGE"
    assert shown["replicationLogArchivingEnabled"] is True
    plain = _create(sql, "pg2", "POSTGRES_15", settings={"backupConfiguration": {"enabled": True}})
    backups_only = plain["settings"]["backupConfiguration"]
    assert backups_only["transactionalLogStorageState"] == "TRANSACTIONAL_LOG_STORAGE_STATE_UNSPECIFIED"
    assert "replicationLogArchivingEnabled" not in backups_only


def test_moving_to_enterprise_plus_takes_its_defaults(emu: Emulator) -> None:
    sql = _client(emu)
    made = _create(sql, "pg", "POSTGRES_15", settings={"dataCacheConfig": {"dataCacheEnabled": False}})
    assert "dataCacheConfig" not in made["settings"]
    patch = {"settings": {"edition": "ENTERPRISE_PLUS", "tier": "db-perf-optimized-N-2"}}
    sql.instances().patch(project=PROJECT, instance="pg", body=patch).execute()
    settings = sql.instances().get(project=PROJECT, instance="pg").execute()["settings"]
    assert settings["dataCacheConfig"] == {"dataCacheEnabled": True}
    backups = settings["backupConfiguration"]
    assert (
        backups["backupRetentionSettings"]["retainedBackups"],
        backups["transactionLogRetentionDays"],
    ) == (15, 14)


def test_user_creates_and_deletes_are_done_in_their_answer(slow: Emulator) -> None:
    sql = _client(slow)
    sql.instances().insert(project=PROJECT, body=_body("my", "MYSQL_8_0")).execute()
    slow.advance_time(3600)
    users = sql.users()
    body = {"name": "app", "host": "10.1.2.3", "password": "pw"}
    created = users.insert(project=PROJECT, instance="my", body=body).execute()
    assert created["status"] == "DONE"
    assert users.delete(project=PROJECT, instance="my", name="root", host="%").execute()["status"] == "DONE"
    listed = users.list(project=PROJECT, instance="my").execute()["items"]
    assert [(u["name"], u["host"]) for u in listed] == [("app", "10.1.2.3")]
    database = sql.databases().insert(project=PROJECT, instance="my", body={"name": "db"}).execute()
    assert database["status"] == "DONE"
    deleted = sql.databases().delete(project=PROJECT, instance="my", database="db").execute()
    assert deleted["status"] != "DONE"


def test_a_backup_restores_only_into_its_own_engine_and_major(emu: Emulator) -> None:
    sql = _client(emu)
    _create(sql, "old", "MYSQL_5_7")
    _create(sql, "new", "MYSQL_8_0")
    backup = (
        sql.backupRuns()
        .insert(project=PROJECT, instance="old", body={})
        .execute()["backupContext"]["backupId"]
    )
    body = {"restoreBackupContext": {"backupRunId": backup, "instanceId": "old"}}
    status, message = _refusal(sql.instances().restoreBackup(project=PROJECT, instance="new", body=body))
    assert status == 400 and "same database version" in message


def test_the_flags_list_follows_the_engine_asked_for(emu: Emulator) -> None:
    sql = _client(emu)
    mysql = sql.flags().list(databaseVersion="MYSQL_8_0").execute()["items"]
    assert "cloudsql_iam_authentication" in {f["name"] for f in mysql}
    assert all("MYSQL_8_0" in f["appliesTo"] for f in mysql)
    sqlserver = {
        f["name"] for f in sql.flags().list(databaseVersion="SQLSERVER_2019_EXPRESS").execute()["items"]
    }
    assert "user connections" in sqlserver and "cloudsql.iam_authentication" not in sqlserver


def test_binary_log_coordinates_clone_mysql_only(emu: Emulator) -> None:
    sql = _client(emu)
    backups = {"backupConfiguration": {"enabled": True, "binaryLogEnabled": True}}
    _create(sql, "my", "MYSQL_8_0", settings=backups)
    _create(sql, "pg", "POSTGRES_15")
    context = {"destinationInstanceName": "copy", "binLogCoordinates": {"binLogFileName": "mysql-bin.000001"}}
    body = {"cloneContext": context}
    assert _refusal(sql.instances().clone(project=PROJECT, instance="pg", body=body))[0] == 400
    assert (
        sql.instances().clone(project=PROJECT, instance="my", body=body).execute()["operationType"] == "CLONE"
    )


def test_postgres_shows_log_archiving_only_with_point_in_time_recovery(emu: Emulator) -> None:
    # sqlinstance-postgres-minimal-direct@63231aa834 #10: no field after an update
    sql = _client(emu)
    made = _create(sql, "pg", "POSTGRES_15")["settings"]["backupConfiguration"]
    assert "replicationLogArchivingEnabled" not in made
    patch = {"settings": {"userLabels": {"team": "data"}}}
    sql.instances().patch(project=PROJECT, instance="pg", body=patch).execute()
    patched = sql.instances().get(project=PROJECT, instance="pg").execute()
    assert "replicationLogArchivingEnabled" not in patched["settings"]["backupConfiguration"]
    asked = {"backupConfiguration": {"pointInTimeRecoveryEnabled": False}}
    off = _create(sql, "pg2", "POSTGRES_15", settings=asked)["settings"]["backupConfiguration"]
    assert "replicationLogArchivingEnabled" not in off and off["pointInTimeRecoveryEnabled"] is False
    _create(sql, "my", "MYSQL_8_0", settings={"tier": "db-n1-standard-1"})
    sql.instances().patch(project=PROJECT, instance="my", body=patch).execute()
    mysql = sql.instances().get(project=PROJECT, instance="my").execute()
    assert "replicationLogArchivingEnabled" not in mysql["settings"]["backupConfiguration"]


def test_enterprise_plus_shows_its_backup_tier(emu: Emulator) -> None:
    sql = _client(emu)
    made = _create(sql, "my", "MYSQL_8_0")
    assert "backupTier" not in made["settings"]["backupConfiguration"]
    patch = {"settings": {"edition": "ENTERPRISE_PLUS", "tier": "db-perf-optimized-N-2"}}
    sql.instances().patch(project=PROJECT, instance="my", body=patch).execute()
    plus = sql.instances().get(project=PROJECT, instance="my").execute()
    assert plus["settings"]["backupConfiguration"]["backupTier"] == "STANDARD"


def test_a_postgres_instance_shows_what_real_cloud_sql_shows_since_2025(emu: Emulator) -> None:
    # conformance/kcc-history/sql/v1beta1/sqlinstance/sqlinstance-postgres-replication@9b63dd72f0 #20
    sql = _client(emu)
    made = _create(sql, "pg", "POSTGRES_15")
    assert made["includeReplicasForMajorVersionUpgrade"] is False
    assert made["geminiConfig"]["oomSessionCancelEnabled"] is True
    settings = made["settings"]
    assert settings["backupConfiguration"]["backupTier"] == "STANDARD"
    assert settings["replicationLagMaxSeconds"] == 31_536_000
    rotation = settings["ipConfiguration"]["serverCertificateRotationMode"]
    assert rotation == "SERVER_CERTIFICATE_ROTATION_MODE_UNSPECIFIED"
    mysql = _create(sql, "my", "MYSQL_8_0")
    assert "includeReplicasForMajorVersionUpgrade" not in mysql
    assert "replicationLagMaxSeconds" not in mysql["settings"]


def _names(instance: dict[str, Any]) -> list[str]:
    return [v["name"] for v in instance.get("upgradableDatabaseVersions", [])]


def test_a_postgres_instance_lists_every_later_major(emu: Emulator) -> None:
    sql = _client(emu)
    old = _create(sql, "pg96", "POSTGRES_9_6")
    assert old["databaseInstalledVersion"] == "POSTGRES_9_6_24"
    assert _names(old) == [f"POSTGRES_{n}" for n in range(10, 19)]
    assert old["upgradableDatabaseVersions"][0] == {
        "displayName": "PostgreSQL 10",
        "majorVersion": "POSTGRES_10",
        "name": "POSTGRES_10",
    }
    assert _names(_create(sql, "pg15", "POSTGRES_15")) == ["POSTGRES_16", "POSTGRES_17", "POSTGRES_18"]
    assert _names(_create(sql, "pg16", "POSTGRES_16")) == ["POSTGRES_17", "POSTGRES_18"]
    assert "upgradableDatabaseVersions" not in _create(sql, "pg18", "POSTGRES_18")


def test_a_postgres_upgrade_goes_to_any_major_listed_and_no_other(emu: Emulator) -> None:
    sql = _client(emu)
    _create(sql, "pg96", "POSTGRES_9_6")
    sql.instances().patch(project=PROJECT, instance="pg96", body={"databaseVersion": "POSTGRES_16"}).execute()
    upgraded = sql.instances().get(project=PROJECT, instance="pg96").execute()
    assert (upgraded["databaseVersion"], _names(upgraded)) == ("POSTGRES_16", ["POSTGRES_17", "POSTGRES_18"])
    for target in ("POSTGRES_15", "POSTGRES_9_6", "POSTGRES_16_3", "POSTGRES_19"):
        status, _ = _refusal(
            sql.instances().patch(project=PROJECT, instance="pg96", body={"databaseVersion": target})
        )
        assert status == 400, target


def test_a_mysql_8_0_instance_lists_the_minors_above_its_own_and_8_4(emu: Emulator) -> None:
    sql = _client(emu)
    current = _create(sql, "my", "MYSQL_8_0")
    assert current["databaseInstalledVersion"] == "MYSQL_8_0_41"
    assert _names(current) == ["MYSQL_8_0_42", "MYSQL_8_0_43", "MYSQL_8_4"]
    pinned = _create(sql, "my37", "MYSQL_8_0_37")
    assert _names(pinned) == ["MYSQL_8_0_39", "MYSQL_8_0_40", "MYSQL_8_0_42", "MYSQL_8_0_43", "MYSQL_8_4"]
    status, _ = _refusal(
        sql.instances().patch(project=PROJECT, instance="my", body={"databaseVersion": "MYSQL_8_0_40"})
    )
    assert status == 400


def test_a_patch_of_the_maintenance_version_takes_that_release(emu: Emulator) -> None:
    sql = _client(emu)
    old = _create(sql, "pg96", "POSTGRES_9_6")
    assert old["maintenanceVersion"] == "POSTGRES_9_6_24.R20250302.00_31"
    wanted = "POSTGRES_9_6_24.R20250302.00_19"
    sql.instances().patch(project=PROJECT, instance="pg96", body={"maintenanceVersion": wanted}).execute()
    moved = sql.instances().get(project=PROJECT, instance="pg96").execute()
    assert (moved["maintenanceVersion"], moved["databaseInstalledVersion"]) == (wanted, "POSTGRES_9_6_24")
    _create(sql, "pg15", "POSTGRES_15")
    release = "POSTGRES_15_7.R20240514.00_12"
    sql.instances().patch(project=PROJECT, instance="pg15", body={"maintenanceVersion": release}).execute()
    fifteen = sql.instances().get(project=PROJECT, instance="pg15").execute()
    assert (fifteen["maintenanceVersion"], fifteen["databaseInstalledVersion"]) == (release, "POSTGRES_15_7")


def test_a_maintenance_version_of_another_database_version_is_refused(emu: Emulator) -> None:
    sql = _client(emu)
    before = _create(sql, "pg15", "POSTGRES_15")["maintenanceVersion"]
    for foreign in ("POSTGRES_16_3.R20240527.01_10", "MYSQL_8_0_41.R20251004.01_07", "latest"):
        status, message = _refusal(
            sql.instances().patch(project=PROJECT, instance="pg15", body={"maintenanceVersion": foreign})
        )
        assert status == 400 and foreign in message
    assert sql.instances().get(project=PROJECT, instance="pg15").execute()["maintenanceVersion"] == before


def test_an_authorized_network_expiring_after_2038_is_not_kept(emu: Emulator) -> None:
    sql = _client(emu)
    acl = [
        {"name": "office", "value": "1.2.3.0/24", "expirationTime": "2037-12-31T00:00:00Z"},
        {"name": "all", "value": "0.0.0.0/0", "expirationTime": "2099-01-01T00:00:00Z"},
        {"name": "home", "value": "5.6.7.8/32"},
    ]
    made = _create(sql, "pg", "POSTGRES_15", settings={"ipConfiguration": {"authorizedNetworks": acl}})
    kept = made["settings"]["ipConfiguration"]["authorizedNetworks"]
    assert [(e["name"], e["kind"]) for e in kept] == [("office", "sql#aclEntry"), ("home", "sql#aclEntry")]


def test_a_mysql_user_is_deleted_at_its_own_host(emu: Emulator) -> None:
    # conformance/kcc-history/sql/v1beta1/sqlinstance/mysqlinstance@a0c29df460 #5
    sql = _client(emu)
    _create(sql, "my", "MYSQL_5_7", settings={"tier": "db-n1-standard-1"})
    users = sql.users()
    status, message = _refusal(users.delete(project=PROJECT, instance="my", name="root"))
    assert (status, message) == (
        400,
        "Invalid request: Error 1396: Operation DROP USER failed for 'root'@''.",
    )
    status, _ = _refusal(users.delete(project=PROJECT, instance="my", name="root", host="10.0.0.1"))
    assert status == 400
    assert users.delete(project=PROJECT, instance="my", name="root", host="%").execute()["status"] == "DONE"
    users.insert(
        project=PROJECT, instance="my", body={"name": "app", "host": "foo", "password": "pw"}
    ).execute()
    users.delete(project=PROJECT, instance="my", name="app", host="foo").execute()
    assert "items" not in users.list(project=PROJECT, instance="my").execute()
