"""What differs between the Cloud SQL database engines: PostgreSQL, MySQL and SQL Server.

One instance API serves three engines; the engine, read from `databaseVersion`, decides the
minor version a new instance runs, the versions it may be upgraded to, the users and
databases it starts with, and the few fields only one engine shows. Every value here is
what Google answered in the recorded traffic of conformance/kcc-golden/ (log named beside
it) or what Cloud SQL's documentation states (URL beside it). The recorded values are
snapshots of the day the log was made: a real instance made today runs a newer minor
version.
"""

from __future__ import annotations

import re
from typing import Any

from emulator.refusal import refusal
from emulator.services._sqladmin import INSTALLED as POSTGRES_INSTALLED

POSTGRES = "POSTGRES"
MYSQL = "MYSQL"
SQLSERVER = "SQLSERVER"

_LOGS = "conformance/kcc-golden/sql/v1beta1"

# (installed minor version, maintenance version) of a new instance of each major version.
# MySQL 5.7: every MYSQL_5_7 instance read, e.g. sqlinstance/sqlinstance-mysql-minimal-direct #3.
# MySQL 8.0: sqldatabase/sqldatabasesismerge #3 and sqlinstance-mysql-minimal-direct #9.
# SQL Server 2019 Express: sqlinstance/sqlinstance-sqlserver-minimal-direct #3.
# SQL Server 2022 Express: sqlinstance/sqlinstance-sqlserver-minimal-direct #8.
MYSQL_INSTALLED = {
    "MYSQL_5_7": ("MYSQL_5_7_44", "MYSQL_5_7_44.R20231105.01_03"),
    "MYSQL_8_0": ("MYSQL_8_0_41", "MYSQL_8_0_41.R20251004.01_07"),
}
SQLSERVER_CUMULATIVE_UPDATE = {
    "2019": ("CU26", "R20240501.00_05"),
    "2022": ("CU19_GDR", "R20251019.02_03"),
}
# Majors no recording shows: the API accepts them (https://cloud.google.com/sql/docs/db-versions);
# their minor is named the way the recorded ones are.
MYSQL_UNRECORDED = {
    "MYSQL_5_6": ("MYSQL_5_6_51", "MYSQL_5_6_51.R20231105.01_03"),
    "MYSQL_8_4": ("MYSQL_8_4_6", "MYSQL_8_4_6.R20251004.01_07"),
}
SQLSERVER_EDITIONS = ("STANDARD", "ENTERPRISE", "EXPRESS", "WEB")
SQLSERVER_YEARS = ("2017", "2019", "2022")
# MySQL 8.0 minor versions one may create or upgrade to: the upgradableDatabaseVersions of a
# new MYSQL_8_0 instance (sqldatabase/sqldatabasesismerge #3).
MYSQL_8_0_MINORS = (18, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 39, 40, 42, 43)
_MYSQL_8_0_MINOR = re.compile(r"^MYSQL_8_0_(\d+)$")
_SQLSERVER = re.compile(r"^SQLSERVER_(\d{4})_([A-Z]+)$")


def engine(version: str) -> str:
    """POSTGRES, MYSQL or SQLSERVER, from a databaseVersion such as MYSQL_8_0."""
    return version.split("_", 1)[0]


def is_known(version: str) -> bool:
    """Whether Cloud SQL offers this databaseVersion for new instances."""
    if version in POSTGRES_INSTALLED or version in MYSQL_INSTALLED or version in MYSQL_UNRECORDED:
        return True
    m = _MYSQL_8_0_MINOR.match(version)
    if m:
        return int(m.group(1)) in MYSQL_8_0_MINORS
    m = _SQLSERVER.match(version)
    return bool(m and m.group(1) in SQLSERVER_YEARS and m.group(2) in SQLSERVER_EDITIONS)


# PostgreSQL majors whose new instances the corpus shows: POSTGRES_16 in every POSTGRES_16 read
# (e.g. sqlinstance/sqlinstance-postgres-minimal-direct #8) and POSTGRES_9_6 (sqlinstance/
# sqlinstance-postgres-direct #25, sqlinstance-backupconfiguration-diff #3). PostgreSQL 9.6
# names its minor like every other major: real Cloud SQL read a new 9.6 instance as
# databaseInstalledVersion POSTGRES_9_6_24, maintenanceVersion POSTGRES_9_6_24.R20240514.00_12
# (conformance/kcc-history/sql/v1beta1/sqlinstance/postgresinstance@a0c29df460/_http.log #23);
# the corpus's bare POSTGRES_9_6 is mockgcp's literal (k8s-config-connector
# mockgcp/mocksql/sqlinstance.go at cdb85ecf17, setDatabaseVersionDefaults). A new POSTGRES_15
# instance runs 15.12 of the March 2025 release, a later one than the 15.7 of May 2024 its
# recorded reads show (e.g. sqlinstance-postgres-minimal-direct #3): the same form, a newer
# version.
POSTGRES_RECORDED = {
    "POSTGRES_16": ("POSTGRES_16_3", "POSTGRES_16_3.R20240527.01_10"),
    "POSTGRES_9_6": ("POSTGRES_9_6_24", "POSTGRES_9_6_24.R20250302.00_31"),
}


def installed(version: str) -> tuple[str, str]:
    """(databaseInstalledVersion, maintenanceVersion) of a new instance of `version`."""
    if version in POSTGRES_RECORDED:
        return POSTGRES_RECORDED[version]
    if version in POSTGRES_INSTALLED:
        minor = POSTGRES_INSTALLED[version]
        return minor, f"{minor}.R20250302.00_04"
    if version in MYSQL_INSTALLED:
        return MYSQL_INSTALLED[version]
    if version in MYSQL_UNRECORDED:
        return MYSQL_UNRECORDED[version]
    if _MYSQL_8_0_MINOR.match(version):
        return version, f"{version}.R20251004.01_07"
    year = version.split("_")[1]
    update, release = SQLSERVER_CUMULATIVE_UPDATE.get(year, ("CU31_GDR", "R20240501.00_05"))
    return f"{version}_{update}", f"{version}_{update}.{release}"


def _mysql_entry(name: str) -> dict[str, str]:
    major = "MYSQL_8_0" if name.startswith("MYSQL_8_0") else name
    digits = name.removeprefix("MYSQL_").replace("_", ".")
    return {"displayName": f"MySQL {digits}", "majorVersion": major, "name": name}


def _postgres_entry(name: str) -> dict[str, str]:
    return {
        "displayName": f"PostgreSQL {name.removeprefix('POSTGRES_').replace('_', '.')}",
        "majorVersion": name,
        "name": name,
    }


# The major versions a PostgreSQL instance lists: every later major Cloud SQL offers, as real
# Cloud SQL answers (conformance/kcc-history/sql/v1beta1/sqlinstance/: POSTGRES_9_6 lists
# POSTGRES_10 to POSTGRES_16, postgresinstance@a0c29df460 #23, 2024-08; POSTGRES_13 lists 14 to
# 17, sqlinstance-backupconfiguration-diff@7aa96aba27 #3, release R20250302; POSTGRES_16 lists
# 17 and 18, sqlinstance-postgres-replication@9b63dd72f0 #20, release R20251004; POSTGRES_15
# lists 16, 17 and 18, sqlinstance-insightsconfig-qpm-default@e397fa5ac1 #3, 2026-01). Which
# majors are offered moves with time alone; the list is taken at one point, October 2025 (the
# R20251004 release of the MySQL 8.0 instances here), when POSTGRES_18, which new instances may
# run (_sqladmin.INSTALLED), was offered: so every later major of INSTALLED. The corpus's lists
# (15 to [16] alone, none for 9.6 and 16) are mockgcp's (mockgcp/mocksql/sqlinstance.go at
# cdb85ecf17, setDatabaseVersionDefaults).
POSTGRES_MAJORS = tuple(POSTGRES_INSTALLED)


def _postgres_upgradable(version: str) -> tuple[str, ...]:
    if version not in POSTGRES_MAJORS:
        return ()
    return POSTGRES_MAJORS[POSTGRES_MAJORS.index(version) + 1 :]


def _sqlserver_entry(year: str, edition: str) -> dict[str, str]:
    name = f"SQLSERVER_{year}_{edition}"
    return {"displayName": f"SQL Server {year} {edition.title()}", "majorVersion": name, "name": name}


def upgradable(version: str) -> list[dict[str, str]]:
    """`upgradableDatabaseVersions` of an instance of `version` (empty: the field is left out).

    MySQL 5.7 lists MySQL 8.0 and its minors up to 8.0.37 (every MYSQL_5_7 read, e.g.
    sqlinstance/sqlinstance-mysql-direct #3); MySQL 8.0 lists the minors above its installed
    one and MySQL 8.4 (sqldatabase/sqldatabasesismerge #3). SQL Server lists the other
    editions of its year but Express, then every edition of the later years
    (sqlinstance-sqlserver-minimal-direct #3 for 2019 Express, #8 for 2022 Express).
    PostgreSQL lists every later major (POSTGRES_MAJORS).
    """
    kind = engine(version)
    if kind == MYSQL:
        if version == "MYSQL_5_7":
            names = ["MYSQL_8_0", *(f"MYSQL_8_0_{n}" for n in MYSQL_8_0_MINORS if n <= 37)]
            return [_mysql_entry(n) for n in names]
        m = _MYSQL_8_0_MINOR.match(version)
        if version == "MYSQL_8_0" or m:
            # Only the minors above the one installed: real MYSQL_8_0 at MYSQL_8_0_31 listed
            # MYSQL_8_0_32 to MYSQL_8_0_37 (conformance/kcc-history/sql/v1beta1/sqlinstance/
            # mysqlinstancebasic@a0c29df460/_http.log #12, 2024-08, before 8.4 was offered).
            # The corpus's list from 8_0_18 up (sqldatabasesismerge #3) is mockgcp's, which
            # skips the installed minor alone (mockgcp/mocksql/sqlinstance.go at cdb85ecf17).
            floor = int(installed(version)[0].rsplit("_", 1)[1])
            names = [f"MYSQL_8_0_{n}" for n in MYSQL_8_0_MINORS if n > floor]
            return [_mysql_entry(n) for n in names] + [_mysql_entry("MYSQL_8_4")]
        return []
    if kind == SQLSERVER:
        m = _SQLSERVER.match(version)
        if not m:
            return []
        year, edition = m.groups()
        out = [_sqlserver_entry(year, e) for e in SQLSERVER_EDITIONS if e not in (edition, "EXPRESS")]
        for later in SQLSERVER_YEARS[SQLSERVER_YEARS.index(year) + 1 :]:
            out += [_sqlserver_entry(later, e) for e in SQLSERVER_EDITIONS]
        return out
    return [_postgres_entry(n) for n in _postgres_upgradable(version)]


def _rank(version: str) -> tuple[int, ...]:
    """A sortable major (and minor) of a version of one engine."""
    kind = engine(version)
    if kind == SQLSERVER:
        m = _SQLSERVER.match(version)
        return (int(m.group(1)),) if m else (0,)
    numbers = [int(n) for n in version.split("_")[1:] if n.isdigit()]
    return tuple(numbers)


def check_upgrade(current: str, wanted: str) -> str | None:
    """Why `current` cannot become `wanted` in place, or None when it can.

    An in-place upgrade keeps the engine and goes up (https://cloud.google.com/sql/docs/postgres/
    upgrade-major-db-version-inplace, .../mysql/upgrade-major-db-version-inplace); SQL Server also
    moves between editions (.../sqlserver/upgrade-major-db-version-inplace). Recorded: POSTGRES_15
    to 16 (sqlinstance-postgres-minimal-direct #6), MYSQL_5_7 to 8_0
    (sqlinstance-mysql-minimal-direct #7), SQLSERVER_2019_EXPRESS to 2022_EXPRESS
    (sqlinstance-sqlserver-minimal-direct #6).
    """
    if not is_known(wanted):
        return f"Invalid database version {wanted}."
    if engine(current) != engine(wanted):
        return f"An instance of {current} cannot be upgraded to {wanted}: the database engine differs."
    # Every engine goes where upgradableDatabaseVersions lists: MySQL 5.7 to 8.0, not straight
    # to 8.4 (https://cloud.google.com/sql/docs/mysql/upgrade-major-db-version-inplace);
    # PostgreSQL to any later major it lists, several majors at once as the recorded lists offer
    # (postgresinstance@a0c29df460 #23; "Choose a target major version",
    # https://cloud.google.com/sql/docs/postgres/upgrade-major-db-version-inplace).
    if wanted in [e["name"] for e in upgradable(current)]:
        return None
    if engine(current) == POSTGRES and _rank(wanted) <= _rank(current):
        return f"{current} cannot be downgraded or kept at {wanted}: choose a later version."
    return f"{current} cannot be upgraded to {wanted}."


# A maintenance version is the installed minor version and the release it runs, e.g.
# POSTGRES_9_6_24.R20250302.00_19 (sqlinstance-postgres-direct #23), MYSQL_5_7_44.R20231105.01_03
# (sqlinstance-mysql-direct #3), SQLSERVER_2019_EXPRESS_CU26.R20240501.00_05 (sqlinstance-
# sqlserver-direct #3).
_MAINTENANCE = re.compile(r"^([A-Z0-9_]+)\.R\d{8}\.\d{2}_\d{2}$")

#: Self-service maintenance moves an instance to another maintenance release of its own
#: database version; one of another version or engine is no release the instance can take.
FOREIGN_MAINTENANCE_VERSION = refusal(
    "sql.instances.patch|update",
    "a maintenanceVersion that is not a release of the instance's databaseVersion (400 invalid)",
    source="https://cloud.google.com/sql/docs/postgres/self-service-maintenance (the update is "
    "one of the instance's availableMaintenanceVersions); the recorded versions name their "
    "database version (conformance/kcc-golden/sql/v1beta1/sqlinstance/sqlinstance-postgres-direct "
    "#23)",
    test="tests/emulator/test_sqladmin_engines.py::"
    "test_a_maintenance_version_of_another_database_version_is_refused",
)


def check_maintenance(version: str, wanted: str) -> str | None:
    """Why an instance of `version` cannot take maintenance version `wanted`, or None."""
    m = _MAINTENANCE.match(wanted)
    if not m or not m.group(1).startswith(f"{version}_"):
        return f"Maintenance version {wanted} is not available for {version}."
    return None


def default_edition(version: str) -> str:
    """ENTERPRISE_PLUS for new PostgreSQL 16 and later instances, ENTERPRISE otherwise: every
    recorded MySQL and SQL Server create sends its edition, and Enterprise is the edition Cloud
    SQL had before Enterprise Plus (https://cloud.google.com/sql/docs/editions-intro)."""
    m = re.match(r"^POSTGRES_(\d+)", version)
    return "ENTERPRISE_PLUS" if m and int(m.group(1)) >= 16 else "ENTERPRISE"


def gemini_config(version: str) -> dict[str, Any] | None:
    """`geminiConfig` as each engine shows it: PostgreSQL with vacuum and OOM switches
    (sqlinstance-postgres-minimal-direct #3), MySQL with the flag recommender on
    (sqlinstance-mysql-minimal-direct #3), SQL Server without it (sqlinstance-sqlserver-
    minimal-direct #3). PostgreSQL cancels the session that runs out of memory: every
    PostgreSQL read on real Cloud SQL since 2025-03 shows oomSessionCancelEnabled true
    (conformance/kcc-history/sql/v1beta1/sqlinstance/sqlinstance-backupconfiguration-diff@
    7aa96aba27 #3, sqlinstance-postgres-minimal-direct@63231aa834 #3, sqlinstance-postgres-
    replication@9b63dd72f0 #20, sqlinstance-insightsconfig-qpm-default@e397fa5ac1 #3); the
    corpus's false is mockgcp's (conformance/recorder.py, _MOCK_SQL_POSTGRES_FIELDS)."""
    kind = engine(version)
    if kind == POSTGRES:
        return {
            "entitled": False,
            "activeQueryEnabled": False,
            "googleVacuumMgmtEnabled": False,
            "indexAdvisorEnabled": False,
            "oomSessionCancelEnabled": True,
        }
    if kind == MYSQL:
        return {
            "entitled": False,
            "activeQueryEnabled": False,
            "flagRecommenderEnabled": True,
            "indexAdvisorEnabled": False,
        }
    return None


def default_users(version: str) -> list[dict[str, Any]]:
    """The users a new instance lists, beyond kind, instance and project.

    PostgreSQL: `postgres`. MySQL: `root` on host `%` ("the default user is root@%",
    https://cloud.google.com/sql/docs/mysql/create-manage-users; the corpus lists every host
    empty because Config Connector's recorder sets items[].host to "" in every users list,
    k8s-config-connector tests/e2e/normalize_legacy.go at cdb85ecf17). SQL Server: `sqlserver`
    with the CustomerDbRootRole and two disabled policy logins
    (sqlinstance-sqlserver-minimal-direct #4).
    """
    kind = engine(version)
    if kind == MYSQL:
        return [{"name": "root", "host": "%", "type": "BUILT_IN"}]
    if kind == SQLSERVER:
        return [
            {"name": "##MS_PolicyEventProcessingLogin##", "sqlserverUserDetails": {"disabled": True}},
            {"name": "##MS_PolicyTsqlExecutionLogin##", "sqlserverUserDetails": {"disabled": True}},
            {"name": "sqlserver", "sqlserverUserDetails": {"serverRoles": ["CustomerDbRootRole"]}},
        ]
    return [{"name": "postgres", "type": "BUILT_IN"}]


def root_user(version: str) -> str:
    """The user `rootPassword` sets."""
    return {MYSQL: "root", SQLSERVER: "sqlserver"}.get(engine(version), "postgres")


def default_charset(version: str) -> tuple[str, str]:
    """(charset, collation) of a database created without them: MySQL 5.6 and 5.7 use
    utf8/utf8_general_ci, MySQL 8.0 and later utf8mb4/utf8mb4_0900_ai_ci
    (https://cloud.google.com/sql/docs/mysql/create-manage-databases); PostgreSQL UTF8."""
    kind = engine(version)
    if kind == MYSQL:
        if version.startswith(("MYSQL_5_6", "MYSQL_5_7")):
            return "utf8", "utf8_general_ci"
        return "utf8mb4", "utf8mb4_0900_ai_ci"
    if kind == SQLSERVER:
        return "UTF8", "SQL_Latin1_General_CP1_CI_AS"
    return "UTF8", "en_US.UTF8"


def default_databases(version: str) -> list[str]:
    """The databases a new instance lists: `postgres` on PostgreSQL; MySQL's four system
    databases ("A newly-created instance has four system databases: information_schema, mysql,
    performance_schema, sys", https://cloud.google.com/sql/docs/mysql/create-manage-databases).
    SQL Server: none that the API lists in any source at hand."""
    kind = engine(version)
    if kind == MYSQL:
        return ["information_schema", "mysql", "performance_schema", "sys"]
    if kind == SQLSERVER:
        return []
    return ["postgres"]
