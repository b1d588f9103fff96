"""Cloud SQL Admin rules shared by the instance, database, user and operation modules.

The emulator models Cloud SQL for PostgreSQL. Instances are stored under
`projects/<project id>/instances/<name>` (Cloud SQL names projects by id, never by
number); databases and users are stored under their instance. A deleted
instance leaves a tombstone, because Cloud SQL keeps a deleted name reserved for
up to a week.
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
from collections.abc import Callable
from typing import Any

from emulator import iam
from emulator.errors import ApiError
from emulator.locations import is_region
from emulator.operation_shapes import sqladmin_operation_name
from emulator.refusal import refusal
from emulator.registry import Api, Call
from emulator.services._kms import VERSION, agent_may_use, customer_key

INSTANCE = "sqladmin.instance"
TOMBSTONE = "sqladmin.deletedInstance"
DATABASE = "sqladmin.database"
USER = "sqladmin.user"
# Password digests, kept apart from the user record so that no read can return them.
USER_SECRET = "sqladmin.userSecret"
# Restarts an instance went through (tier changes and instances.restart), for tests and inspection.
RESTARTS = "sqladmin.restarts"
# Kinds other emulator modules store, read here by key only.
COMPUTE_NETWORK = "compute.network"
COMPUTE_GLOBAL_ADDRESS = "compute.globalAddress"
PEERING_CONNECTION = "servicenetworking.connection"
PEERING_SERVICE = "servicenetworking.googleapis.com"

NAME_REUSE_S = 7 * 86_400
KMS_ROLE = "roles/cloudkms.cryptoKeyEncrypterDecrypter"
OPERATION_USER = "user@example.com"

OPERATION_IN_PROGRESS = (
    "Operation failed because another operation was already in progress. "
    "Try your request after the current operation is complete."
)
INVALID_STATE = "The instance or operation is not in an appropriate state to handle the request."

# Minor versions a new instance of each major version runs.
INSTALLED = {
    "POSTGRES_9_6": "POSTGRES_9_6_24",
    "POSTGRES_10": "POSTGRES_10_23",
    "POSTGRES_11": "POSTGRES_11_22",
    "POSTGRES_12": "POSTGRES_12_22",
    "POSTGRES_13": "POSTGRES_13_20",
    "POSTGRES_14": "POSTGRES_14_17",
    "POSTGRES_15": "POSTGRES_15_12",
    "POSTGRES_16": "POSTGRES_16_8",
    "POSTGRES_17": "POSTGRES_17_4",
    "POSTGRES_18": "POSTGRES_18_0",
}
SHARED_CORE = {"db-f1-micro": (1, 614), "db-g1-small": (1, 1700)}
PERF_OPTIMIZED_CPUS = (2, 4, 8, 16, 32, 48, 64, 80, 96, 128)
_CUSTOM = re.compile(r"^db-custom-(\d+)-(\d+)$")
_PERF = re.compile(r"^db-perf-optimized-N-(\d+)$")
# MySQL's legacy machine types: 3.75 GB (standard) or 6.5 GB (highmem) per vCPU
# (https://cloud.google.com/sql/docs/mysql/instance-settings#machine-type-2ndgen); recorded:
# db-n1-standard-1 on MYSQL_5_7 and MYSQL_8_0 (conformance/kcc-golden/sql/v1beta1/sqluser/sqluser,
# sqldatabase/sqldatabasesismerge, sqlinstance/sqlinstance-mysql-direct).
_LEGACY = re.compile(r"^db-n1-(standard|highmem)-(\d+)$")
LEGACY_CPUS = {"standard": (1, 2, 4, 8, 16, 32, 64, 96), "highmem": (2, 4, 8, 16, 32, 64, 96)}

# A documented subset of the Cloud SQL for PostgreSQL flags: (type, bounds or choices).
# Flags Google accepted in recorded traffic are here with the log that shows it; the whole list
# is https://cloud.google.com/sql/docs/postgres/flags.
#: PostgreSQL's message levels, from the most verbose
#: (https://www.postgresql.org/docs/current/runtime-config-logging.html#RUNTIME-CONFIG-SEVERITY-LEVELS).
_MESSAGE_LEVELS = (
    "debug5",
    "debug4",
    "debug3",
    "debug2",
    "debug1",
    "info",
    "notice",
    "warning",
    "error",
    "log",
    "fatal",
    "panic",
)


POSTGRES_FLAGS: dict[str, tuple[str, Any]] = {
    # conformance/kcc-golden/sql/v1beta1/sqlinstance/sqlinstance-databaseflags-direct/_http.log
    "log_timezone": ("text", None),
    # conformance/kcc-golden/sql/v1beta1/sqlinstance/sqlinstance-postgres-direct/_http.log
    "max_worker_processes": ("int", (8, 262_143)),
    # conformance/kcc-golden/sql/v1beta1/sqlinstance/sqlinstance-postgres-replication/_http.log
    "max_standby_archive_delay": ("int", (-1, 2_147_483_647)),
    "max_standby_streaming_delay": ("int", (-1, 2_147_483_647)),
    "autovacuum": ("bool", None),
    "cloudsql.enable_pgaudit": ("bool", None),
    "cloudsql.iam_authentication": ("bool", None),
    "cloudsql.logical_decoding": ("bool", None),
    "log_checkpoints": ("bool", None),
    "log_connections": ("bool", None),
    "log_disconnections": ("bool", None),
    "log_duration": ("bool", None),
    "log_lock_waits": ("bool", None),
    "log_min_duration_statement": ("int", (-1, 2_147_483_647)),
    "log_min_error_statement": (
        "enum",
        _MESSAGE_LEVELS,
    ),
    "log_min_messages": (
        "enum",
        _MESSAGE_LEVELS,
    ),
    "log_statement": ("enum", ("none", "ddl", "mod", "all")),
    "log_temp_files": ("int", (-1, 2_147_483_647)),
    "maintenance_work_mem": ("int", (1024, 2_147_483_647)),
    "max_connections": ("int", (14, 262_143)),
    "statement_timeout": ("int", (0, 2_147_483_647)),
    "temp_file_limit": ("int", (-1, 2_147_483_647)),
    "work_mem": ("int", (64, 2_147_483_647)),
}


# A documented subset of the Cloud SQL for MySQL flags (https://cloud.google.com/sql/docs/mysql/flags).
MYSQL_FLAGS: dict[str, tuple[str, Any]] = {
    "cloudsql_iam_authentication": ("bool", None),
    "general_log": ("bool", None),
    "slow_query_log": ("bool", None),
    "log_bin_trust_function_creators": ("bool", None),
    "local_infile": ("bool", None),
    "long_query_time": ("float", (0, 30_000_000)),
    "log_output": ("enum", ("FILE", "TABLE", "NONE")),
    "max_connections": ("int", (10, 100_000)),
    "wait_timeout": ("int", (1, 31_536_000)),
    "innodb_lock_wait_timeout": ("int", (1, 1_073_741_824)),
    "max_allowed_packet": ("int", (16_384, 1_073_741_824)),
    "character_set_server": ("text", None),
    "default_time_zone": ("text", None),
    "sql_mode": ("text", None),
}
# A documented subset of the Cloud SQL for SQL Server flags
# (https://cloud.google.com/sql/docs/sqlserver/flags).
SQLSERVER_FLAGS: dict[str, tuple[str, Any]] = {
    "contained database authentication": ("bool", None),
    "cross db ownership chaining": ("bool", None),
    "remote access": ("bool", None),
    "default trace enabled": ("bool", None),
    "cost threshold for parallelism": ("int", (0, 32_767)),
    "max degree of parallelism": ("int", (0, 32_767)),
    "user connections": ("int", (0, 32_767)),
    "user options": ("int", (0, 32_767)),
    "remote query timeout (s)": ("int", (0, 2_147_483_647)),
    "max server memory (mb)": ("int", (1_000, 2_147_483_647)),
}
FLAGS_BY_ENGINE = {"POSTGRES": POSTGRES_FLAGS, "MYSQL": MYSQL_FLAGS, "SQLSERVER": SQLSERVER_FLAGS}


class SqlError(ApiError):
    """Cloud SQL's own errors carry `errors[]` with a reason and no canonical `status`."""

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {
            "code": self.code,
            "message": self.message,
            "errors": [{"message": self.message, "domain": self.domain, "reason": self.reason}],
        }
        return {"error": error}


def sql_invalid(message: str) -> SqlError:
    return SqlError(400, f"Invalid request: {message}", reason="invalid")


def instance_not_found() -> SqlError:
    return SqlError(404, "The Cloud SQL instance does not exist.", reason="instanceDoesNotExist")


def operation_in_progress() -> SqlError:
    return SqlError(409, OPERATION_IN_PROGRESS, reason="operationInProgress")


def invalid_state() -> SqlError:
    return SqlError(409, INVALID_STATE, reason="invalidState")


def instance_key(project: str, instance: str) -> str:
    return f"projects/{project}/instances/{instance}"


def project_id(call: Call) -> tuple[str, str]:
    """(project id, number) of the `project` path parameter; Cloud SQL refuses unknown projects as 403."""
    found = call.ctx.projects.lookup(call.param("project"))
    if found is None:
        raise SqlError(403, "The client is not authorized to make this request.", reason="notAuthorized")
    return found


def fetch_instance(call: Call, project: str, name: str) -> dict[str, Any]:
    found = call.ctx.store.get(INSTANCE, instance_key(project, name))
    if found is None:
        raise instance_not_found()
    return found


def require_idle(call: Call, key: str) -> None:
    """Cloud SQL runs one administrative operation per instance at a time
    (refusal ONE_OPERATION_AT_A_TIME)."""
    if call.ctx.operations.in_flight(key):
        raise operation_in_progress()


def base_url(call: Call) -> str:
    """Links point back at this server, under the API version the caller used."""
    host = call.headers.get("Host", "sqladmin.googleapis.com")
    prefix = "sql/v1beta4" if call.method.api.version == "v1beta4" else "v1"
    return f"http://{host}/{prefix}"


def etag_of(resource: dict[str, Any]) -> str:
    text = repr(sorted((k, repr(v)) for k, v in resource.items() if k != "etag"))
    return hashlib.sha256(text.encode()).hexdigest()


def service_agent(project_number: str) -> str:
    return f"service-{project_number}@gcp-sa-cloud-sql.iam.gserviceaccount.com"


def instance_service_account(project_number: str, name: str) -> str:
    suffix = hashlib.sha256(name.encode()).hexdigest()[:6]
    return f"p{project_number}-{suffix}@gcp-sa-cloud-sql.iam.gserviceaccount.com"


# Zone letters of the regions whose zones are not a, b and c
# (https://cloud.google.com/compute/docs/regions-zones#available).
_ZONE_LETTERS = {"us-central1": "abcf", "us-east1": "bcd", "europe-west1": "bcd"}


def first_zone(region: str) -> str:
    """Where a ZONAL instance that names no zone is placed: the region's first zone. Recorded
    creates without a zone got it: us-central1-a (sqluser/sqluser, sqldatabase/sqldatabasesismerge,
    runservicesql, runjob-sql; on real Cloud SQL conformance/kcc-history/sql/v1beta1/sqlinstance/
    sqlinstance-postgres-minimal-direct@63231aa834 #3, mysqlinstancebasic@a0c29df460 #3)."""
    return f"{region}-{_ZONE_LETTERS.get(region, 'abc')[0]}"


def regional_zone(region: str) -> str:
    """Where a REGIONAL instance that names no zone has its primary: the region's second zone,
    its standby going to the first (standby_zone). Both REGIONAL creates without a zone recorded
    on real Cloud SQL got that: us-central1-b with the standby in us-central1-a
    (conformance/kcc-history/sql/v1beta1/sqlinstance/postgresinstance@a0c29df460/_http.log #23)
    and europe-west3-b with it in europe-west3-a (sqlinstance-backupconfiguration-diff@7aa96aba27
    #3). The corpus's europe-west3-a for the latter is mockgcp's `Zone: obj.Region + "-a"`
    (conformance/recorder.py, _MOCK_SQL_STANDBY)."""
    return f"{region}-{_ZONE_LETTERS.get(region, 'abc')[1]}"


def standby_zone(region: str, zone: str) -> str:
    """Where a REGIONAL instance that names no secondary zone keeps its standby: the region's
    first zone other than the primary's. Real Cloud SQL put it in europe-west3-a for a primary
    in europe-west3-b (conformance/kcc-history/sql/v1beta1/sqlinstance/
    sqlinstance-backupconfiguration-diff@7aa96aba27/_http.log #3) and in us-central1-a for one
    in us-central1-b (postgresinstance@a0c29df460 #23)."""
    letter = next(c for c in _ZONE_LETTERS.get(region, "abc") if f"{region}-{c}" != zone)
    return f"{region}-{letter}"


# tiers


def tier_shape(tier: str) -> tuple[str, int, int] | None:
    """(family, vCPUs, memory MiB) of a tier name, or None when it is not one Cloud SQL has."""
    if tier in SHARED_CORE:
        cpus, memory = SHARED_CORE[tier]
        return "shared", cpus, memory
    m = _CUSTOM.match(tier)
    if m:
        return "custom", int(m.group(1)), int(m.group(2))
    m = _PERF.match(tier)
    if m and int(m.group(1)) in PERF_OPTIMIZED_CPUS:
        cpus = int(m.group(1))
        return "perf", cpus, cpus * 8 * 1024
    m = _LEGACY.match(tier)
    if m and int(m.group(2)) in LEGACY_CPUS[m.group(1)]:
        cpus = int(m.group(2))
        return "legacy", cpus, cpus * (3840 if m.group(1) == "standard" else 6656)
    return None


def check_tier(tier: str | None, edition: str, version: str) -> None:
    if not tier:
        raise SqlError(400, "Invalid request: settings.tier is required.", reason="required")
    bad = sql_invalid(f"Invalid Tier ({tier}) for ({edition}) Edition.")
    shape = tier_shape(tier)
    if shape is None:
        raise sql_invalid(f"Invalid Tier ({tier}) for ({version}).")
    family, cpus, memory = shape
    engine = version.split("_", 1)[0]
    if family == "legacy" and engine != "MYSQL":
        # Only MySQL offers the db-n1 machine types
        # (https://cloud.google.com/sql/docs/postgres/instance-settings lists custom ones only).
        raise sql_invalid(f"Invalid Tier ({tier}) for ({version}).")
    if family == "shared" and engine == "SQLSERVER":
        # "SQL Server doesn't support shared-core machine types"
        # (https://cloud.google.com/sql/docs/sqlserver/instance-settings).
        raise sql_invalid(f"Invalid Tier ({tier}) for ({version}).")
    if family == "custom":
        if cpus < 1 or cpus > 96 or (cpus > 1 and cpus % 2):
            raise sql_invalid(
                f"Invalid Tier ({tier}) for ({version}): the number of vCPUs must be 1 or an even number "
                "between 2 and 96."
            )
        per_cpu = memory / cpus / 1024
        if memory % 256 or memory < 3840 or not 0.9 <= per_cpu <= 6.5:
            raise sql_invalid(
                f"Invalid Tier ({tier}) for ({version}): memory must be a multiple of 256 MiB, at least "
                "3840 MiB, and between 0.9 and 6.5 GiB per vCPU."
            )
    if edition == "ENTERPRISE_PLUS" and family != "perf":
        raise bad
    if edition == "ENTERPRISE" and family == "perf":
        raise bad


def major_version(version: str) -> str:
    """The engine and major of a databaseVersion: POSTGRES_15, MYSQL_8_0 (of MYSQL_8_0_31 too),
    MYSQL_5_7, SQLSERVER_2019_EXPRESS."""
    m = re.match(r"^(POSTGRES_\d+|MYSQL_\d+_\d+|SQLSERVER_\d+_[A-Z]+)", version)
    return m.group(1) if m else version


# flags


def check_flags(flags: list[dict[str, Any]], version: str) -> None:
    seen: set[str] = set()
    for flag in flags:
        name, value = flag.get("name"), flag.get("value")
        if not name:
            raise sql_invalid("A database flag must have a name.")
        if name in seen:
            raise sql_invalid(f"Duplicate flag: {name}.")
        seen.add(name)
        spec = FLAGS_BY_ENGINE[version.split("_", 1)[0]].get(name)
        if spec is None:
            raise sql_invalid(f"Flag ({name}) is not supported for ({version}).")
        kind, bounds = spec
        text = "" if value is None else str(value)
        if kind == "bool" and text not in ("on", "off"):
            raise sql_invalid(f"Invalid flag value ({text}) for flag ({name}): use on or off.")
        if kind == "int" and (not re.fullmatch(r"-?\d+", text) or not bounds[0] <= int(text) <= bounds[1]):
            raise sql_invalid(
                f"Invalid flag value ({text}) for flag ({name}): it must be an integer between "
                f"{bounds[0]} and {bounds[1]}."
            )
        if kind == "float" and (
            not re.fullmatch(r"\d+(\.\d+)?", text) or not bounds[0] <= float(text) <= bounds[1]
        ):
            raise sql_invalid(
                f"Invalid flag value ({text}) for flag ({name}): it must be a number between "
                f"{bounds[0]} and {bounds[1]}."
            )
        if kind == "enum" and text not in bounds:
            raise sql_invalid(f"Invalid flag value ({text}) for flag ({name}).")


def flag_on(instance: dict[str, Any], name: str) -> bool:
    return any(
        f.get("name") == name and f.get("value") == "on"
        for f in instance.get("settings", {}).get("databaseFlags") or []
    )


# networking


def network_path(value: str) -> str | None:
    """`projects/P/global/networks/N` from a relative name or a full URL, or None."""
    m = re.search(r"(?:^|/)(projects/[^/]+/global/networks/[^/]+)$", value)
    return m.group(1) if m else None


def check_private_network(call: Call, value: str) -> tuple[str, str]:
    """The normalised network path and the private IP Cloud SQL hands out in the peered range."""
    path = network_path(value)
    if path is None:
        raise sql_invalid(f"Invalid private network: {value}.")
    if call.ctx.store.get(COMPUTE_NETWORK, path) is None:
        raise sql_invalid(f"The network {path} does not exist.")
    connection = _peering(call, path)
    if connection is None:
        raise sql_invalid(
            f"The network {path} doesn't have at least 1 private services connection. Please configure "
            "Private Services Access for the network before creating an instance with a private IP."
        )
    return path, _private_address(call, path, connection)


def _peering(call: Call, network: str) -> dict[str, Any] | None:
    project = network.split("/")[1]
    found = call.ctx.projects.lookup(project)
    forms = {network}
    if found:
        forms |= {f"projects/{found[0]}/global/networks/{network.rsplit('/', 1)[1]}"}
        forms |= {f"projects/{found[1]}/global/networks/{network.rsplit('/', 1)[1]}"}
    for connection in call.ctx.store.list(PEERING_CONNECTION):
        if connection.get("service", PEERING_SERVICE) != PEERING_SERVICE:
            continue
        if network_path(str(connection.get("network", ""))) in forms:
            return connection
    return None


def _private_address(call: Call, network: str, connection: dict[str, Any]) -> str:
    project = network.split("/")[1]
    for range_name in connection.get("reservedPeeringRanges") or []:
        address = call.ctx.store.get(
            COMPUTE_GLOBAL_ADDRESS, f"projects/{project}/global/addresses/{range_name}"
        )
        if address and address.get("address") and address.get("prefixLength"):
            block = ipaddress.ip_network(f"{address['address']}/{address['prefixLength']}", strict=False)
            taken = {
                ip["ipAddress"]
                for inst in call.ctx.store.list(INSTANCE)
                for ip in inst.get("ipAddresses", [])
                if ip.get("type") == "PRIVATE"
            }
            for offset in range(3, block.num_addresses - 1):
                candidate = str(block.network_address + offset)
                if candidate not in taken:
                    return candidate
    return "10.99.0." + str(3 + len(call.ctx.store.list(INSTANCE)) % 250)


def public_address(name: str) -> str:
    digest = hashlib.sha256(name.encode()).digest()
    return f"34.{digest[0] % 128 + 64}.{digest[1]}.{digest[2] % 254 + 1}"


# CMEK


def check_cmek(call: Call, key_name: str, region: str, project_number: str) -> str:
    """The key exists in the instance's region and the Cloud SQL agent may use it; returns its primary."""
    location, key = customer_key(
        call,
        key_name,
        sql_invalid,
        malformed="Invalid KMS key name: {name}.",
        missing="The KMS key {name} does not exist.",
    )
    if location != region:
        raise sql_invalid(
            f"The KMS key {key_name} is in location {location}; it must be in the instance's region {region}."
        )
    if not _agent_may_use(call, key_name, service_agent(project_number)):
        raise sql_invalid(
            f"The Cloud SQL service account {service_agent(project_number)} does not have permission "
            f"cloudkms.cryptoKeyVersions.useToEncrypt on the KMS key {key_name}. Grant it {KMS_ROLE}."
        )
    primary = (key.get("primary") or {}).get("name")
    version = call.ctx.store.get(VERSION, primary) if primary else None
    if version is None or version.get("state") != "ENABLED":
        raise sql_invalid(f"The primary version of the KMS key {key_name} is not enabled.")
    return str(primary)


def _agent_may_use(call: Call, key_name: str, agent: str) -> bool:
    """Whether the Cloud SQL agent holds the KMS role on the key, its key ring, or the key's
    project: a role granted on a project applies to every resource in it
    (https://cloud.google.com/iam/docs/resource-hierarchy-access-control). Recorded: the grant
    on the project in conformance/kcc-golden/sql/v1beta1/sqlinstance/
    sqlinstance-encryptionkey-direct/_http.log #4, then the CMEK create #33 answered 200."""
    if agent_may_use(call, key_name, agent, KMS_ROLE):
        return True
    found = call.ctx.projects.lookup(key_name.split("/")[1]) if key_name.startswith("projects/") else None
    return found is not None and iam.has_role(
        call.ctx.store, f"projects/{found[0]}", "serviceAccount:" + agent, KMS_ROLE
    )


def check_region(region: str | None) -> str:
    if not region:
        raise SqlError(400, "Invalid request: region is required.", reason="required")
    if not is_region(region):
        raise sql_invalid(f"Invalid region: {region}.")
    return region.lower()


# operations


def start_operation(
    call: Call,
    project: str,
    instance: str,
    operation_type: str,
    *,
    effects: list[Any],
    failure_effects: list[Any] | None = None,
    duration_key: tuple[str, ...] | None = None,
    duration_s: float | None = None,
    details: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Start a `sql#operation` on an instance and return how it looks now.

    The operation's target is the instance, so `require_idle` sees it until it is done.
    `details` are fields the operation shows besides the common ones (`backupContext`).
    """
    name = sqladmin_operation_name()
    base = base_url(call)
    extra = {
        "operationType": operation_type,
        "targetId": instance,
        "targetLink": f"{base}/projects/{project}/instances/{instance}",
        "targetProject": project,
        "user": OPERATION_USER,
        "selfLink": f"{base}/projects/{project}/operations/{name}",
        **(details or {}),
    }
    record = call.ctx.operations.start(
        name=name,
        style="sqladmin",
        extra=extra,
        duration_key=duration_key or ("sqladmin", operation_type),
        duration_s=duration_s,
        effects=effects,
        failure_effects=failure_effects or [],
        target=instance_key(project, instance),
    )
    return call.ctx.operations.view(record)


def patch_and_update(api: Api, prefix: str, change: Callable[..., dict[str, Any]]) -> None:
    """Declare a collection's `patch` (the body merges onto the resource) and `update` (the body
    replaces it) as one change function told which (`replace`)."""

    def patch(call: Call) -> dict[str, Any]:
        return change(call, replace=False)

    def update(call: Call) -> dict[str, Any]:
        return change(call, replace=True)

    api.handles(f"{prefix}.patch")(patch)
    api.handles(f"{prefix}.update")(update)


#: One administrative operation per instance at a time: a second gets 409 operationInProgress.
ONE_OPERATION_AT_A_TIME = refusal(
    "sql.instances.*, sql.users.*, sql.databases.* (writes)",
    "a second administrative operation on an instance while one is running (409 operationInProgress)",
    source="apache/airflow#62671; crossplane-contrib/provider-gcp#121 "
    "(/work/shared/reference/gcp-api-behaviour.md A.2, C.2)",
    test="tests/emulator/test_sqladmin.py::test_a_second_mutation_during_an_operation_is_refused",
)
#: A deleted instance's name stays taken for about a week.
NAME_REUSE = refusal(
    "sql.instances.insert|clone",
    "the name of an instance deleted less than a week ago (409 instanceAlreadyExists)",
    source="terraform-google-modules/terraform-google-gke-gitlab#81; crossplane/crossplane#8 "
    "(/work/shared/reference/gcp-api-behaviour.md C.2)",
    test="tests/emulator/test_sqladmin.py::test_deletion_protection_and_name_reuse",
)
