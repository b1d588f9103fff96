"""Cloud SQL instances: insert, get, list, patch, update, delete, restart; tiers and flags.

Every mutation returns a `sql#operation` whose effects land when it is done: an
instance is PENDING_CREATE until its CREATE operation finishes, a patch's
settings appear when its UPDATE finishes, and a failed operation changes
nothing (a failed create still reserves the name, as the real API does).
"""

from __future__ import annotations

import copy
import hashlib
import re
from datetime import UTC, datetime
from typing import Any

from emulator import standard
from emulator.clock import format_rfc3339, parse_rfc3339
from emulator.effects import Effect, effect_hook
from emulator.errors import unimplemented
from emulator.registry import Api, Call
from emulator.services._sqladmin import (
    DATABASE,
    FLAGS_BY_ENGINE,
    INSTALLED,
    INSTANCE,
    NAME_REUSE_S,
    RESTARTS,
    SHARED_CORE,
    TOMBSTONE,
    USER,
    USER_SECRET,
    SqlError,
    base_url,
    check_cmek,
    check_private_network,
    check_region,
    etag_of,
    fetch_instance,
    instance_key,
    instance_service_account,
    invalid_state,
    patch_and_update,
    project_id,
    public_address,
    require_idle,
    sql_invalid,
    standby_zone,
    start_operation,
    tier_shape,
)
from emulator.services._sqladmin_engines import (
    MYSQL,
    POSTGRES,
    SQLSERVER,
    check_maintenance,
    check_upgrade,
    default_databases,
    default_users,
    engine,
    gemini_config,
    installed,
    is_known,
    root_user,
    upgradable,
)
from emulator.services._sqladmin_settings import build_settings, settings_version_matches, stale_settings

API = Api("sqladmin", "v1")

_NAME = re.compile(r"^[a-z][a-z0-9-]{0,96}$")
# Top-level fields a caller may send that the server generates: ignored, as the API ignores them.
GENERATED = {
    "kind",
    "state",
    "etag",
    "selfLink",
    "connectionName",
    "ipAddresses",
    "gceZone",
    "secondaryGceZone",
    "serviceAccountEmailAddress",
    "createTime",
    "databaseInstalledVersion",
    "maintenanceVersion",
    "serverCaCert",
    "backendType",
    "instanceType",
    "sqlNetworkArchitecture",
    "currentDiskSize",
    "maxDiskSize",
    "diskEncryptionStatus",
    "satisfiesPzs",
    "ipv6Address",
    "scheduledMaintenance",
    "suspensionReason",
    "outOfDiskReport",
    "geminiConfig",
    "project",
    "replicaNames",
    "upgradableDatabaseVersions",
    "includeReplicasForMajorVersionUpgrade",
}
NOT_MODELLED = {
    "replicaConfiguration",
    "failoverReplica",
    "onPremisesConfiguration",
    "replicationCluster",
    "nodeCount",
    "tags",
    "switchTransactionLogsToCloudStorageEnabled",
}
TOMBSTONE_TEXT = (
    "The Cloud SQL instance already exists. When you delete an instance, you can't reuse the name of the "
    "deleted instance until one week from the deletion date."
)


def _server_ca_cert(call: Call, name: str) -> dict[str, Any]:
    """The instance's server CA certificate as Google lists it (a self-signed CA, ten years)."""
    now = call.ctx.clock.rfc3339()
    serial = str(int(hashlib.sha1(name.encode()).hexdigest()[:8], 16))
    return {
        "kind": "sql#sslCert",
        "certSerialNumber": serial,
        "cert": "-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n",
        "commonName": f"C=US,O=Google\\, Inc,CN=Google Cloud SQL Server CA,dnQualifier={serial}",
        "sha1Fingerprint": hashlib.sha1(f"ca:{name}".encode()).hexdigest(),
        "instance": name,
        "createTime": now,
        "expirationTime": call.ctx.clock.rfc3339(10 * 365 * 86_400),
    }


def view(call: Call, instance: dict[str, Any]) -> dict[str, Any]:
    """The stored instance as the API shows it; links follow the caller's API version."""
    out = copy.deepcopy(instance)
    out["selfLink"] = f"{base_url(call)}/projects/{instance['project']}/instances/{instance['name']}"
    return out


def _check_top_level(body: dict[str, Any]) -> None:
    for key in sorted(NOT_MODELLED):
        value = body.get(key)
        if key == "failoverReplica" and isinstance(value, dict):
            # `available` is output only (a REGIONAL instance's read, _placement), sent back by
            # a caller that writes what it read; a named failover replica is not modelled.
            value = value.get("name")
        if value:
            raise unimplemented(f"{key} is not modelled by the emulator's Cloud SQL.")
    if body.get("instanceType") not in (None, "CLOUD_SQL_INSTANCE", "READ_REPLICA_INSTANCE"):
        raise unimplemented(f"instanceType {body['instanceType']} is not modelled by the emulator.")
    if body.get("backendType") not in (None, "SECOND_GEN"):
        raise sql_invalid(f"Backend type {body['backendType']} is not supported for new instances.")
    if body.get("kind") not in (None, "sql#instance"):
        raise sql_invalid(f"Invalid kind {body['kind']}.")


def _ip_addresses(
    settings: dict[str, Any], private_ip: str | None, name: str, version: str = "POSTGRES"
) -> list[dict[str, Any]]:
    """PRIMARY (public), OUTGOING and PRIVATE addresses. The OUTGOING one is PostgreSQL's: every
    MySQL and SQL Server read of the corpus lists the PRIMARY one alone
    (sqlinstance-mysql-minimal-direct #3, sqlinstance-sqlserver-minimal-direct #3)."""
    out = []
    if settings["ipConfiguration"]["ipv4Enabled"]:
        public = public_address(name)
        out.append({"type": "PRIMARY", "ipAddress": public})
        if engine(version) == POSTGRES:
            out.append({"type": "OUTGOING", "ipAddress": public})
    if private_ip:
        out.append({"type": "PRIVATE", "ipAddress": private_ip})
    return out


def _placement(instance: dict[str, Any]) -> None:
    """gceZone is the zone asked for. A REGIONAL (highly available) instance also shows where
    its standby is, secondaryGceZone, the secondary zone asked for or one Cloud SQL chose
    (standby_zone), and failoverReplica {available: true}: every REGIONAL read recorded on real
    Cloud SQL (conformance/kcc-history/sql/v1beta1/sqlinstance/postgresinstance@a0c29df460 #23,
    sqlinstance-backupconfiguration-diff@7aa96aba27 #3, sqlinstanceencryptionkey@a0c29df460 #40,
    sqlinstance-postgres-replication@9b63dd72f0 #20, where the secondary zone asked for,
    europe-west1-b, is the one shown); no ZONAL one shows either (mysqlinstance@a0c29df460 #3,
    sqlinstance-postgres-minimal-direct@63231aa834 #3). The corpus's REGIONAL reads without them
    are mockgcp's (conformance/recorder.py, _MOCK_SQL_STANDBY)."""
    settings = instance["settings"]
    location = settings["locationPreference"]
    instance["gceZone"] = location["zone"]
    instance.pop("secondaryGceZone", None)
    instance.pop("failoverReplica", None)
    if settings["availabilityType"] == "REGIONAL":
        region = instance["region"]
        instance["secondaryGceZone"] = location.get("secondaryZone") or standby_zone(region, location["zone"])
        instance["failoverReplica"] = {"available": True}


def _duration_variant(settings: dict[str, Any]) -> tuple[str, ...]:
    shape = tier_shape(settings["tier"])
    if shape and shape[0] == "shared":
        return ("sqladmin", "CREATE", "SHARED_CORE")
    if settings["availabilityType"] == "REGIONAL":
        return ("sqladmin", "CREATE", "REGIONAL")
    return ("sqladmin", "CREATE")


@API.handles("sql.instances.insert")
def insert_instance(call: Call) -> dict[str, Any]:
    project, number = project_id(call)
    body = standard.drop_none(call.body or {})
    _check_top_level(body)
    if body.get("project") not in (None, project):
        raise sql_invalid(
            f"The project in the body ({body['project']}) does not match the request ({project})."
        )
    name = body.get("name")
    if not name:
        raise SqlError(400, "Invalid request: instance name is required.", reason="required")
    if not _NAME.match(name) or name.endswith("-"):
        raise sql_invalid(
            f"Invalid instance name {name}: use lowercase letters, digits and hyphens, start with a letter, "
            "and do not end with a hyphen."
        )
    version = body.get("databaseVersion")
    if not version:
        raise SqlError(400, "Invalid request: databaseVersion is required.", reason="required")
    if not is_known(version):
        raise sql_invalid(f"Invalid database version {version}.")
    root_password = body.get("rootPassword")
    if engine(version) == SQLSERVER and not root_password:
        # "root_password: Initial root password. Required for MS SQL Server."
        # (https://registry.terraform.io/providers/hashicorp/google/latest/docs/resources/
        # sql_database_instance); both recorded SQL Server creates send one.
        raise SqlError(400, "Invalid request: rootPassword is required for SQL Server.", reason="required")
    region = check_region(body.get("region"))
    key = instance_key(project, name)
    store = call.ctx.store
    _require_name_free(call, key)
    master = _master_of(call, project, body, version)
    wanted_settings = body.get("settings") or {}
    wanted_settings.pop("settingsVersion", None)
    settings, private_ip = build_settings(
        call, wanted_settings, version=version, region=region, name=name, previous=None
    )
    minor, maintenance = installed(version)
    instance: dict[str, Any] = {
        "kind": "sql#instance",
        "name": name,
        "project": project,
        "region": region,
        "databaseVersion": version,
        "databaseInstalledVersion": minor,
        "maintenanceVersion": maintenance,
        "state": "PENDING_CREATE",
        "backendType": "SECOND_GEN",
        "instanceType": "CLOUD_SQL_INSTANCE",
        "connectionName": f"{project}:{region}:{name}",
        "serviceAccountEmailAddress": instance_service_account(number, name),
        "createTime": call.ctx.clock.rfc3339(),
        "sqlNetworkArchitecture": "NEW_NETWORK_ARCHITECTURE",
        # Shown on every instance read of conformance/kcc-golden/sql/v1beta1/sqlinstance/
        # sqlinstance-postgres-minimal-direct/_http.log: the server CA.
        "satisfiesPzi": True,
        "serverCaCert": _server_ca_cert(call, name),
        "settings": settings,
        "ipAddresses": _ip_addresses(settings, private_ip, name, version),
    }
    _version_fields(instance, version)
    if master is not None:
        # A read replica names its primary as it was given and is a READ_REPLICA_INSTANCE
        # (conformance/kcc-golden/sql/v1beta1/sqlinstance/sqlinstance-replica-direct #9).
        instance["instanceType"] = "READ_REPLICA_INSTANCE"
        instance["masterInstanceName"] = body["masterInstanceName"]
    _placement(instance)
    key_name = (body.get("diskEncryptionConfiguration") or {}).get("kmsKeyName")
    if key_name:
        primary = check_cmek(call, key_name, region, number)
        instance["diskEncryptionConfiguration"] = {
            "kmsKeyName": key_name,
            "kind": "sql#diskEncryptionConfiguration",
        }
        # The key version in use beside the key asked for: real Cloud SQL read a CMEK instance
        # with diskEncryptionStatus {kind, kmsKeyVersionName .../cryptoKeyVersions/1}
        # (conformance/kcc-history/sql/v1beta1/sqlinstance/sqlinstanceencryptionkey@a0c29df460/
        # _http.log #40; "KMS key version used to encrypt the Cloud SQL instance resource",
        # https://cloud.google.com/sql/docs/postgres/admin-api/rest/v1/DiskEncryptionStatus). The
        # corpus's CMEK instance reads without it (sqlinstance-encryptionkey-direct #35), as
        # mockgcp, which echoes the create, writes it.
        instance["diskEncryptionStatus"] = {"kmsKeyVersionName": primary, "kind": "sql#diskEncryptionStatus"}
    instance["etag"] = etag_of(instance)
    store.put(INSTANCE, key, instance, f"projects/{project}")
    runnable = {**instance, "state": "RUNNABLE"}
    runnable["etag"] = etag_of(runnable)
    effects = [Effect.put(INSTANCE, key, runnable, f"projects/{project}")]
    effects += _default_children(project, name, version, key)
    if master is not None:
        effects.append(_replica_names_effect(master, add=name))
    if root_password:
        root = root_user(version)
        effects.append(
            Effect.put(
                USER_SECRET, f"{key}/users/{root}", {"name": root, "digest": digest(root_password)}, key
            )
        )
    duration_key = _duration_variant(settings)
    seconds = call.ctx.operations.duration(duration_key)
    failure = [
        Effect.delete(INSTANCE, key),
        Effect.put(TOMBSTONE, key, {"deletedAt": call.ctx.clock.now() + seconds}),
    ]
    if master is not None:
        # A replica's create is a CREATE_REPLICA operation whose target is the primary, named
        # as masterInstanceName gave it (sqlinstance-replica-direct #7, #8).
        given = body["masterInstanceName"]
        target = {"targetId": given, "targetLink": f"{base_url(call)}/projects/{project}/instances/{given}"}
        return start_operation(
            call,
            project,
            name,
            "CREATE_REPLICA",
            effects=effects,
            failure_effects=failure,
            duration_key=duration_key,
            duration_s=seconds,
            details=target,
        )
    return start_operation(
        call, project, name, "CREATE", effects=effects, failure_effects=failure, duration_s=seconds
    )


def _version_fields(instance: dict[str, Any], version: str) -> None:
    """The fields that follow the database version: the engine's geminiConfig, the versions
    it may be upgraded to, and includeReplicasForMajorVersionUpgrade, false, on SQL Server
    (every SQL Server read, sqlinstance-sqlserver-minimal-direct #3) and PostgreSQL (every
    PostgreSQL read on real Cloud SQL since 2025-03, conformance/kcc-history/sql/v1beta1/
    sqlinstance/sqlinstance-backupconfiguration-diff@7aa96aba27 #3, sqlinstance-postgres-
    replication@9b63dd72f0 #20; the corpus's reads without it are mockgcp's, which sets it for
    SQL Server alone, conformance/recorder.py, _MOCK_SQL_POSTGRES_FIELDS)."""
    minor, maintenance = installed(version)
    instance.update(databaseVersion=version, databaseInstalledVersion=minor, maintenanceVersion=maintenance)
    for field in ("geminiConfig", "upgradableDatabaseVersions", "includeReplicasForMajorVersionUpgrade"):
        instance.pop(field, None)
    gemini = gemini_config(version)
    if gemini is not None:
        instance["geminiConfig"] = gemini
    versions = upgradable(version)
    if versions:
        instance["upgradableDatabaseVersions"] = versions
    if engine(version) in (SQLSERVER, POSTGRES):
        instance["includeReplicasForMajorVersionUpgrade"] = False


def _master_of(call: Call, project: str, body: dict[str, Any], version: str) -> dict[str, Any] | None:
    """The primary a read replica is made from, checked as Cloud SQL checks it, or None.

    masterInstanceName is `project:instance` or `instance`; the primary must exist and be
    RUNNABLE, run the same database version, and not be a replica itself; a MySQL primary needs
    automated backups and binary logging ("the primary instance must have automated backups
    and binary logging enabled", https://cloud.google.com/sql/docs/mysql/replication/create-replica).
    Recorded: sqlinstance-replica-direct #1 (the primary, with both) and #7 (the replica).
    """
    wanted_type = body.get("instanceType")
    given = body.get("masterInstanceName")
    if not given:
        if wanted_type == "READ_REPLICA_INSTANCE":
            raise sql_invalid("A READ_REPLICA_INSTANCE needs masterInstanceName.")
        return None
    if wanted_type not in (None, "READ_REPLICA_INSTANCE"):
        raise sql_invalid(f"An instance with masterInstanceName cannot be a {wanted_type}.")
    master_project, _, master_name = given.rpartition(":")
    found = call.ctx.projects.lookup(master_project) if master_project else (project, "")
    if found is None:
        raise instance_not_found_for(given)
    master = call.ctx.store.get(INSTANCE, instance_key(found[0], master_name))
    if master is None:
        raise instance_not_found_for(given)
    if master["state"] != "RUNNABLE":
        raise invalid_state()
    if master.get("masterInstanceName"):
        raise sql_invalid(f"The instance {given} is a replica; a replica's primary must be a primary.")
    if master["databaseVersion"] != version:
        raise sql_invalid(
            f"The replica's database version {version} must be the primary's ({master['databaseVersion']})."
        )
    backups = master["settings"].get("backupConfiguration") or {}
    if engine(version) == MYSQL and not (backups.get("enabled") and backups.get("binaryLogEnabled")):
        raise sql_invalid(
            f"The primary instance {given} must have automated backups and binary logging enabled "
            "before a read replica can be created."
        )
    return master


def instance_not_found_for(name: str) -> SqlError:
    return SqlError(404, f"The Cloud SQL instance {name} does not exist.", reason="instanceDoesNotExist")


def _replica_names_effect(master: dict[str, Any], *, add: str = "", remove: str = "") -> Effect:
    """The primary with a replica added to or removed from its replicaNames, when the operation
    is done (https://cloud.google.com/sql/docs/mysql/admin-api/rest/v1/instances: "replicaNames:
    The replicas of the instance")."""
    return Effect.hook(
        "sqladmin.replicaNames", project=master["project"], name=master["name"], add=add, remove=remove
    )


@effect_hook("sqladmin.replicaNames")
def _replica_names(store: Any, args: dict[str, Any]) -> None:
    key = instance_key(args["project"], args["name"])
    current = store.get(INSTANCE, key)
    if current is None:
        return
    names = [n for n in current.get("replicaNames", []) if n != args["remove"]]
    if args["add"] and args["add"] not in names:
        names.append(args["add"])
    updated = {k: v for k, v in current.items() if k != "replicaNames"}
    if names:
        updated["replicaNames"] = names
    updated["etag"] = etag_of(updated)
    store.put(INSTANCE, key, updated, f"projects/{args['project']}")


def digest(password: str) -> str:
    return hashlib.sha256(password.encode()).hexdigest()


def _default_children(project: str, name: str, version: str, key: str) -> list[Effect]:
    """The users and databases a new instance starts with, per engine (_sqladmin_engines)."""
    from emulator.services._sqladmin_engines import default_charset

    effects = []
    charset, collation = default_charset(version)
    for database in default_databases(version):
        record = {"kind": "sql#database", "name": database, "instance": name, "project": project}
        if engine(version) != SQLSERVER:
            record.update(charset=charset, collation=collation)
        effects.append(Effect.put(DATABASE, f"{key}/databases/{database}", record, key))
    for user in default_users(version):
        record = {"kind": "sql#user", **user, "instance": name, "project": project}
        effects.append(Effect.put(USER, f"{key}/users/{user['name']}", record, key))
    return effects


@API.handles("sql.instances.get")
def get_instance(call: Call) -> dict[str, Any]:
    project, _ = project_id(call)
    return view(call, fetch_instance(call, project, call.param("instance")))


def _filter_terms(expression: str) -> list[list[str]]:
    """Cloud SQL list filters: space-separated `field:value` terms, AND by default, OR between groups."""
    tokens = re.findall(r'(?:[^\s"]+|"[^"]*")+', expression)
    groups: list[list[str]] = [[]]
    for token in tokens:
        if token == "OR":
            groups.append([])
        elif token != "AND":
            groups[-1].append(token)
    return [g for g in groups if g]


def _matches(instance: dict[str, Any], expression: str | None) -> bool:
    if not expression or not expression.strip():
        return True
    return any(
        all(standard.matches_filter(instance, term) for term in group) for group in _filter_terms(expression)
    )


@API.handles("sql.instances.list")
def list_instances(call: Call) -> dict[str, Any]:
    project, _ = project_id(call)
    instances = [view(call, i) for i in call.ctx.store.list(INSTANCE, f"projects/{project}")]
    instances = [i for i in instances if _matches(i, call.query.get("filter"))]
    head = {"kind": "sql#instancesList"}
    return standard.list_answer(
        call, "items", instances, head=head, size_param="maxResults", default_size=500
    )


def _change(call: Call, replace: bool) -> dict[str, Any]:
    """instances.patch (merge) and instances.update (replace settings)."""
    project, name, key, current = _idle_instance(call)
    body = copy.deepcopy(call.body or {})
    _check_top_level(standard.drop_none(body))
    for field in ("name", "region", "project", "masterInstanceName"):
        if body.get(field) is not None and body[field] != current.get(field):
            raise sql_invalid(f"The instance's {field} cannot be changed.")
    version = current["databaseVersion"]
    if body.get("databaseVersion") not in (None, version):
        # An in-place major version upgrade is a patch of databaseVersion, answered as an
        # UPDATE operation (sqlinstance-postgres-minimal-direct #6, sqlinstance-mysql-minimal-
        # direct #7, sqlinstance-sqlserver-minimal-direct #6).
        refusal = check_upgrade(version, body["databaseVersion"])
        if refusal:
            raise sql_invalid(refusal)
        if current.get("replicaNames"):
            # "upgrade the read replicas before the primary"
            # (https://cloud.google.com/sql/docs/mysql/upgrade-major-db-version-inplace).
            raise sql_invalid("Upgrade the instance's read replicas before the instance.")
        version = body["databaseVersion"]
    maintenance = body.get("maintenanceVersion")
    if maintenance in (None, current["maintenanceVersion"]) or version != current["databaseVersion"]:
        maintenance = None
    else:
        # Self-service maintenance: a patch of maintenanceVersion moves the instance to that
        # release, read back as sent (sqlinstance-postgres-direct #23, read at #25 and #28;
        # https://cloud.google.com/sql/docs/postgres/self-service-maintenance). Refusal
        # FOREIGN_MAINTENANCE_VERSION.
        refused = check_maintenance(version, maintenance)
        if refused:
            raise sql_invalid(refused)
    wanted_key = (body.get("diskEncryptionConfiguration") or {}).get("kmsKeyName")
    current_key = (current.get("diskEncryptionConfiguration") or {}).get("kmsKeyName")
    if wanted_key is not None and wanted_key != current_key:
        raise sql_invalid("The disk encryption configuration of an instance cannot be changed.")
    wanted = body.get("settings")
    if replace and (not wanted or wanted.get("settingsVersion") is None):
        raise SqlError(400, "Invalid request: settings.settingsVersion is required.", reason="required")
    wanted = wanted or {}
    if not settings_version_matches(wanted.get("settingsVersion"), current["settings"]):
        raise stale_settings()
    if current["state"] != "RUNNABLE":
        raise invalid_state()
    previous = current["settings"]
    merged = standard.drop_none(wanted) if replace else standard.merge_patch(previous, wanted)
    merged.pop("settingsVersion", None)
    if not replace and wanted.get("edition") not in (None, previous.get("edition")):
        _edition_defaults(merged, wanted)
    settings, private_ip = build_settings(
        call,
        merged,
        version=version,
        region=current["region"],
        name=name,
        previous=previous,
    )
    if private_ip is not None and previous["ipConfiguration"].get("privateNetwork") == settings[
        "ipConfiguration"
    ].get("privateNetwork"):
        private_ip = next(
            (i["ipAddress"] for i in current["ipAddresses"] if i["type"] == "PRIVATE"), private_ip
        )
    updated = {
        **current,
        "settings": settings,
        "ipAddresses": _ip_addresses(settings, private_ip, name, version),
    }
    if version != current["databaseVersion"]:
        _version_fields(updated, version)
    if maintenance is not None:
        updated["maintenanceVersion"] = maintenance
        if current["databaseInstalledVersion"] != version:
            # The installed minor is the release's (a maintenance version begins with it,
            # postgresinstance@a0c29df460 #23 in conformance/kcc-history).
            updated["databaseInstalledVersion"] = maintenance.split(".", 1)[0]
    _placement(updated)
    updated["etag"] = etag_of(updated)
    effects = [Effect.put(INSTANCE, key, updated, f"projects/{project}")]
    duration_key: tuple[str, ...] = ("sqladmin", "UPDATE")
    if settings["tier"] != previous["tier"]:
        # A machine-type change restarts the instance.
        duration_key = ("sqladmin", "UPDATE", "TIER")
        seconds = call.ctx.operations.duration(duration_key)
        effects.append(_restart_effect(call, key, seconds))
    else:
        seconds = call.ctx.operations.duration(duration_key)
    return start_operation(call, project, name, "UPDATE", effects=effects, duration_s=seconds)


def _edition_defaults(merged: dict[str, Any], asked: dict[str, Any]) -> None:
    """A patch that changes the edition gives the settings it does not name the new edition's
    defaults: ENTERPRISE to ENTERPRISE_PLUS turned the data cache on and took 15 retained
    backups and 14 days of logs (sqlinstance-datacacheconfig-direct #6, read back at #8)."""
    if "dataCacheConfig" not in asked:
        merged.pop("dataCacheConfig", None)
    asked_backups = asked.get("backupConfiguration") or {}
    backups = merged.get("backupConfiguration")
    if isinstance(backups, dict):
        if "transactionLogRetentionDays" not in asked_backups:
            backups.pop("transactionLogRetentionDays", None)
        retention = backups.get("backupRetentionSettings")
        if isinstance(retention, dict) and "backupRetentionSettings" not in asked_backups:
            retention.pop("retainedBackups", None)


def _restart_effect(call: Call, key: str, seconds: float) -> Effect:
    previous = call.ctx.store.get(RESTARTS, key) or {"count": 0}
    record = {"count": previous["count"] + 1, "lastRestartTime": call.ctx.clock.rfc3339(seconds)}
    return Effect.put(RESTARTS, key, record, key)


def _idle_instance(call: Call) -> tuple[str, str, str, dict[str, Any]]:
    """(project, name, key, instance) of the instance a request names, with no operation
    running on it (refusal ONE_OPERATION_AT_A_TIME)."""
    project, _ = project_id(call)
    name = call.param("instance")
    current = fetch_instance(call, project, name)
    key = instance_key(project, name)
    require_idle(call, key)
    return project, name, key, current


def _require_name_free(call: Call, key: str) -> None:
    """An instance name is taken while the instance stands and for a week after its deletion
    (refusal NAME_REUSE)."""
    if call.ctx.store.get(INSTANCE, key) is not None:
        raise SqlError(409, "The Cloud SQL instance already exists.", reason="instanceAlreadyExists")
    tombstone = call.ctx.store.get(TOMBSTONE, key)
    if tombstone is not None and call.ctx.clock.now() < tombstone["deletedAt"] + NAME_REUSE_S:
        raise SqlError(409, TOMBSTONE_TEXT, reason="instanceAlreadyExists")


patch_and_update(API, "sql.instances", _change)


@API.handles("sql.instances.delete")
def delete_instance(call: Call) -> dict[str, Any]:
    project, name, key, current = _idle_instance(call)
    if current["settings"].get("deletionProtectionEnabled"):
        raise SqlError(
            400,
            "The instance is protected. Please disable the deletion protection and try again. To disable "
            "deletion protection, update the instance settings with deletionProtectionEnabled set to false.",
            reason="invalid",
        )
    store = call.ctx.store
    seconds = call.ctx.operations.duration(("sqladmin", "DELETE"))
    effects = [Effect.delete(INSTANCE, key), Effect.delete(RESTARTS, key)]
    for kind in (DATABASE, USER, USER_SECRET):
        effects += [Effect.delete(kind, name_of(kind, key, item)) for item in store.list(kind, key)]
    effects.append(Effect.put(TOMBSTONE, key, {"deletedAt": call.ctx.clock.now() + seconds}))
    if current.get("masterInstanceName"):
        master_project, _, master_name = current["masterInstanceName"].rpartition(":")
        found = call.ctx.projects.lookup(master_project) if master_project else (project, "")
        if found is not None:
            master = {"project": found[0], "name": master_name}
            effects.append(_replica_names_effect(master, remove=name))
    pending = {**current, "state": "PENDING_DELETE"}
    store.put(INSTANCE, key, pending, f"projects/{project}")
    failure = [Effect.put(INSTANCE, key, current, f"projects/{project}")]
    return start_operation(
        call, project, name, "DELETE", effects=effects, failure_effects=failure, duration_s=seconds
    )


def name_of(kind: str, instance: str, item: dict[str, Any]) -> str:
    collection = "databases" if kind == DATABASE else "users"
    return f"{instance}/{collection}/{item['name']}"


@API.handles("sql.instances.restart")
def restart_instance(call: Call) -> dict[str, Any]:
    project, name, key, current = _idle_instance(call)
    if current["state"] != "RUNNABLE" or current["settings"].get("activationPolicy") == "NEVER":
        raise invalid_state()
    seconds = call.ctx.operations.duration(("sqladmin", "RESTART"))
    return start_operation(
        call, project, name, "RESTART", effects=[_restart_effect(call, key, seconds)], duration_s=seconds
    )


@API.handles("sql.tiers.list")
def list_tiers(call: Call) -> dict[str, Any]:
    from emulator.locations import REGIONS

    project_id(call)
    names = [*SHARED_CORE, *(f"db-perf-optimized-N-{n}" for n in (2, 4, 8, 16, 32, 48, 64, 80, 96, 128))]
    items = []
    for tier in names:
        shape = tier_shape(tier)
        assert shape is not None
        items.append(
            {
                "kind": "sql#tier",
                "tier": tier,
                "RAM": str(shape[2] * 1024 * 1024),
                "DiskQuota": str(65_536 * 1024**3),
                "region": sorted(REGIONS),
            }
        )
    return {"kind": "sql#tiersList", "items": items}


@API.handles("sql.flags.list")
def list_flags(call: Call) -> dict[str, Any]:
    version = call.query.get("databaseVersion")
    if version and not is_known(version):
        return {"kind": "sql#flagsList"}
    items = []
    # PostgreSQL's first, as before MySQL and SQL Server were served.
    engines = [engine(version)] if version else [POSTGRES, MYSQL, SQLSERVER]
    types = {"bool": "BOOLEAN", "int": "INTEGER", "float": "FLOAT", "enum": "STRING", "text": "STRING"}
    for of in engines:
        for name, (kind, bounds) in sorted(FLAGS_BY_ENGINE[of].items()):
            flag: dict[str, Any] = {
                "kind": "sql#flag",
                "name": name,
                "type": types[kind],
                "appliesTo": _versions_of(of),
                "requiresRestart": name
                in ("max_connections", "cloudsql.logical_decoding", "max_worker_processes"),
            }
            if kind in ("int", "float"):
                flag["minValue"], flag["maxValue"] = str(bounds[0]), str(bounds[1])
            if kind == "enum":
                flag["allowedStringValues"] = list(bounds)
            items.append(flag)
    return {"kind": "sql#flagsList", "items": items}


def _versions_of(kind: str) -> list[str]:
    """The databaseVersions of an engine a flag applies to."""
    if kind == POSTGRES:
        return sorted(INSTALLED)
    if kind == MYSQL:
        return ["MYSQL_5_7", "MYSQL_8_0", "MYSQL_8_4"]
    return [
        f"SQLSERVER_{y}_{e}"
        for y in ("2017", "2019", "2022")
        for e in ("STANDARD", "ENTERPRISE", "EXPRESS", "WEB")
    ]


@API.handles("sql.instances.clone")
def clone_instance(call: Call) -> dict[str, Any]:
    """A new instance with the source's settings, databases and users, as of now or of
    `pointInTime` (https://cloud.google.com/sql/docs/postgres/backup-recovery/pitr: "A
    point-in-time recovery always creates a new instance"). The operation is a CLONE whose
    target is the new instance, which reads like any other instance (exchanges 10-12 of
    conformance/kcc-golden/sql/v1beta1/sqlinstance/sqlinstance-clone-minimal-direct/_http.log).
    """
    project, number = project_id(call)
    source = fetch_instance(call, project, call.param("instance"))
    context = standard.drop_none((call.body or {}).get("cloneContext") or {})
    name = context.get("destinationInstanceName")
    if not name:
        raise SqlError(400, "Invalid request: destinationInstanceName is required.", reason="required")
    if not _NAME.match(name) or name.endswith("-"):
        raise sql_invalid(f"Invalid instance name {name}.")
    for key, owner in (("binLogCoordinates", MYSQL), ("databaseNames", SQLSERVER)):
        if context.get(key) and engine(source["databaseVersion"]) != owner:
            # MySQL binary log positions and SQL Server database selection
            # (https://cloud.google.com/sql/docs/postgres/admin-api/rest/v1/instances/clone).
            raise sql_invalid(f"cloneContext.{key} is not supported for {source['databaseVersion']}.")
    if source["state"] != "RUNNABLE":
        raise invalid_state()
    if "pointInTime" in context:
        _check_point_in_time(call, source, context["pointInTime"])
    key = instance_key(project, name)
    store = call.ctx.store
    _require_name_free(call, key)
    clone = _clone_of(call, source, name, number, context)
    store.put(INSTANCE, key, clone, f"projects/{project}")
    runnable = {**clone, "state": "RUNNABLE"}
    runnable["etag"] = etag_of(runnable)
    source_key = instance_key(project, source["name"])
    effects = [Effect.put(INSTANCE, key, runnable, f"projects/{project}")]
    for kind in (DATABASE, USER, USER_SECRET):
        for item in store.list(kind, source_key):
            moved = dict(item) if kind == USER_SECRET else {**item, "instance": name}
            effects.append(Effect.put(kind, name_of(kind, key, item), moved, key))
    seconds = call.ctx.operations.duration(_duration_variant(clone["settings"]))
    failure = [
        Effect.delete(INSTANCE, key),
        Effect.put(TOMBSTONE, key, {"deletedAt": call.ctx.clock.now() + seconds}),
    ]
    return start_operation(
        call, project, name, "CLONE", effects=effects, failure_effects=failure, duration_s=seconds
    )


def _check_point_in_time(call: Call, source: dict[str, Any], value: Any) -> None:
    """A point in time needs point-in-time recovery on the source and must lie within its
    transaction log retention, after the instance existed and not in the future
    (https://cloud.google.com/sql/docs/postgres/backup-recovery/pitr#get-the-latest-recovery-time)."""
    backups = source["settings"].get("backupConfiguration") or {}
    if not backups.get("pointInTimeRecoveryEnabled"):
        raise sql_invalid(
            f"Point-in-time recovery is not enabled for instance {source['name']}: enable "
            "settings.backupConfiguration.pointInTimeRecoveryEnabled, or clone without pointInTime."
        )
    try:
        moment = parse_rfc3339(str(value)).timestamp()
    except ValueError:
        raise sql_invalid(f"Invalid pointInTime {value}: use an RFC 3339 UTC timestamp.") from None
    now = call.ctx.clock.now()
    days = int(backups.get("transactionLogRetentionDays") or 7)
    earliest = max(parse_rfc3339(source["createTime"]).timestamp(), now - days * 86_400)
    if not earliest <= moment <= now:
        raise sql_invalid(
            f"The point in time {value} is outside the recovery window of instance {source['name']} "
            f"(from {format_rfc3339(datetime.fromtimestamp(earliest, UTC))} to now)."
        )


def _clone_of(
    call: Call, source: dict[str, Any], name: str, number: str, context: dict[str, Any]
) -> dict[str, Any]:
    """The source's shape under a new name: its own address, certificate and service account;
    settings as the source's, their version restarted."""
    clone = copy.deepcopy(source)
    settings = clone["settings"]
    settings["settingsVersion"] = "1"
    if context.get("preferredZone"):
        settings["locationPreference"] = {"kind": "sql#locationPreference", "zone": context["preferredZone"]}
        if context.get("preferredSecondaryZone"):
            settings["locationPreference"]["secondaryZone"] = context["preferredSecondaryZone"]
    private_ip = None
    network = settings["ipConfiguration"].get("privateNetwork")
    if network:
        _, private_ip = check_private_network(call, network)
    clone.update(
        name=name,
        state="PENDING_CREATE",
        connectionName=f"{source['project']}:{source['region']}:{name}",
        serviceAccountEmailAddress=instance_service_account(number, name),
        createTime=call.ctx.clock.rfc3339(),
        serverCaCert=_server_ca_cert(call, name),
        ipAddresses=_ip_addresses(settings, private_ip, name, source["databaseVersion"]),
    )
    for generated in ("secondaryGceZone", "replicaNames", "scheduledMaintenance", "outOfDiskReport"):
        clone.pop(generated, None)
    _placement(clone)
    clone["etag"] = etag_of(clone)
    return clone
