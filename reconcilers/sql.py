"""Cloud SQL for PostgreSQL: the environment's database, reachable on private IP only.

One instance per environment on the VPC through private service access, with no public
IPv4; tier and availability per environment (REGIONAL in prod only); daily backups kept
30 days, point-in-time recovery in prod; CMEK with the `database` key; deletion protection
in prod; the application database and its user, whose password is generated once into
Secret Manager and read back only to create the user.

Cloud SQL runs one operation at a time per instance: a 409 `operationInProgress` is
waited out. Updates patch the instance with the settings version the API returned. A
tier change restarts the instance and the plan says so. An instance name stays reserved
for up to a week after deletion, so a replacement must take a new name.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Sequence
from functools import partial
from typing import Any

from provisioner.cost.pricing import CostLine, PriceTable
from provisioner.engine.abandon import labels
from provisioner.engine.api_kind import ApiKind
from provisioner.engine.backoff import Backoff
from provisioner.engine.context import Context
from provisioner.engine.kind import KindMeta, Reconciler
from provisioner.engine.operations import Operation, OperationChain, PollSchedule
from provisioner.engine.permissions import permissions_of
from provisioner.engine.plan import FieldChange
from provisioner.engine.resource import (
    DELETION_POLICY_LABEL,
    LiveResource,
    Resource,
    address_of,
    without_ownership,
)
from provisioner.engine.review import immutable_reason
from provisioner.google.errors import ApiError, classify
from reconcilers._compute import list_all, network_path
from reconcilers._operations import SqlOperation
from reconcilers._sql_backups import SqlBackups
from reconcilers.kms import crypto_key_path, encrypted_with
from reconcilers.network import PeeringConnection
from reconcilers.secrets import GeneratedValue, Secret, generated_secret, read_generated_value

#: The meta of a kind here: every one calls the Cloud SQL Admin API (sqladmin.googleapis.com).
sql_admin_meta = partial(KindMeta, api="sqladmin.googleapis.com")

RESTARTING_SETTINGS = ("settings.tier", "settings.availabilityType", "settings.edition")


def _sql(ctx: Context) -> Any:
    return ctx.clients.discovery("sqladmin", "v1")


def _busy(err: ApiError) -> bool:
    """Another operation is running on the instance: wait, it is not a failure."""
    return err.status == 409 and err.reason == "operationInProgress"


def _not_found(exc: BaseException) -> bool:
    err = classify(exc)
    return err is not None and err.not_found


class SqlInstance(SqlBackups, ApiKind):
    """The environment's database server; its backups can be listed, taken and restored."""

    meta = sql_admin_meta(
        kind="sql.instance",
        # Creates and tier changes run ten to twenty minutes and even a label patch takes seconds:
        # the first look after 2 s, then at most every 15 s, late by 2% at worst on a create, and
        # well within the Admin API's 180 queries a minute per user.
        poll_schedule=PollSchedule(Backoff(initial=2.0, maximum=15.0, multiplier=1.5)),
        permissions=permissions_of("cloudsql.instances"),
        cmek_path="diskEncryptionConfiguration.kmsKeyName",
        labels_path="settings.userLabels",
        immutable=(
            "region",
            "databaseVersion",
            "diskEncryptionConfiguration",
            "settings.ipConfiguration.privateNetwork",
        ),
        unordered=("settings.databaseFlags",),
        stateful=True,
        # Cloud SQL leaves false switches out of insightsConfig (kcc-golden/sql/v1beta1/sqlinstance/
        # sqlinstance-insightsconfig-qpm-default/_http.log).
        api_defaults={
            "settings": {
                "storageAutoResize": True,
                "ipConfiguration": {"ipv4Enabled": True},
                "insightsConfig": {
                    "queryInsightsEnabled": False,
                    "recordApplicationTags": False,
                    "recordClientAddress": False,
                },
            }
        },
    )

    def retryable(self, err: ApiError) -> bool:
        return _busy(err)

    def replace_reason(self, changes: Sequence[FieldChange]) -> str | None:
        reason = immutable_reason(self, changes)
        if reason:
            return reason
        for change in changes:
            if change.path == "settings.dataDiskSizeGb" and int(change.after or 0) < int(change.before or 0):
                return "settings.dataDiskSizeGb can only grow (a smaller disk forces replacement)"
        return None

    def replace_blocker(self, live: LiveResource) -> str | None:
        released = labels(self, live.body).get(DELETION_POLICY_LABEL) == "abandon"
        retire = (
            "then --prune releases the old one (sql.deletion_policy is abandon): delete it with"
            f" `gcloud sql instances delete {live.name}` once nothing needs it"
            if released
            else "then delete the old one with --prune --allow-destroy"
        )
        return (
            f"Cloud SQL keeps the name {live.name!r} reserved for up to a week after deletion, so a"
            " replacement cannot reuse it: set sql.instance_name to a new name to create the replacement"
            f" beside it, move the data, {retire}"
        )

    def update_note(self, changes: Sequence[FieldChange]) -> str | None:
        restarting = sorted({c.path for c in changes if c.path.startswith(RESTARTING_SETTINGS)})
        if restarting:
            return f"restarts the instance ({', '.join(restarting)}): expect a short outage"
        if any(c.path.startswith("settings.databaseFlags") for c in changes):
            return "some database flags take effect only after the instance restarts"
        return None

    def delete_note(self, live: LiveResource) -> str | None:
        return f"the name {live.name!r} cannot be reused for up to a week after deletion"

    def observe(self, desired: Sequence[Resource]) -> list[LiveResource]:
        api = _sql(self.ctx).instances()
        items = self.call(list_all, lambda token: api.list(project=self.ctx.project, pageToken=token))
        return [
            LiveResource(
                self.meta.kind,
                i["name"],
                i,
                managed=self.ctx.is_ours(i.get("settings", {}).get("userLabels")),
                version=str(i.get("settings", {}).get("settingsVersion")),
            )
            for i in items
        ]

    def _op(self, body: dict[str, Any], description: str) -> Operation:
        return SqlOperation(self.ctx, self.ctx.project, body, description)

    def body_as_created(self, desired: Resource) -> dict[str, Any]:
        body = copy.deepcopy(desired.body)  # create-only values (the first disk size) are settings
        body.setdefault("settings", {}).update(desired.create_only)
        return body

    def monthly_cost(self, name: str, body: dict[str, Any], prices: PriceTable) -> list[CostLine] | None:
        """vCPU and memory (or a shared-core tier), storage, both twice over for REGIONAL."""
        settings = body.get("settings") or {}
        region = body.get("region") or self.ctx.spec.region
        tier = str(settings.get("tier", ""))
        copies = 2 if settings.get("availabilityType") == "REGIONAL" else 1
        twice = " × 2, REGIONAL (HA): primary and standby" if copies == 2 else ""
        lines: list[CostLine] = []
        custom = re.fullmatch(r"db-custom-(\d+)-(\d+)", tier)
        if custom:
            edition = str(settings.get("edition") or "ENTERPRISE").lower()
            vcpus, memory = int(custom[1]), int(custom[2]) / 1024
            lines.append(
                prices.charge(f"sql.{edition}.vcpu", region, vcpus * copies, f"vCPU: {vcpus}{twice}")
            )
            lines.append(
                prices.charge(
                    f"sql.{edition}.memory", region, memory * copies, f"memory: {memory:g} GiB{twice}"
                )
            )
        else:
            lines.append(prices.charge(f"sql.tier.{tier}", region, copies, f"instance: {tier}{twice}"))
        disk = str(settings.get("dataDiskType") or "PD_SSD")
        size = settings.get("dataDiskSizeGb")
        grows = (
            "grows by itself (storage auto-resize): priced at its size now"
            if settings.get("storageAutoResize", True)
            else None
        )
        if size is None:
            lines.append(prices.usage(f"sql.storage.{disk}", region, f"storage: {disk}", grows))
        else:
            item = f"storage: {int(size)} GiB {disk}{twice}"
            lines.append(prices.charge(f"sql.storage.{disk}", region, int(size) * copies, item, grows))
        backups = settings.get("backupConfiguration") or {}
        if backups.get("enabled"):
            kept = (backups.get("backupRetentionSettings") or {}).get("retainedBackups")
            note = f"daily backups, {kept} kept" if kept else "daily backups"
            if backups.get("pointInTimeRecoveryEnabled"):
                note += "; point-in-time recovery logs count as backup storage"
            lines.append(prices.usage("sql.backup", region, "backup storage", note))
        return lines

    def create(self, desired: Resource) -> Operation:
        body = {"name": desired.name, **self.body_as_created(desired)}
        op = self.call(_sql(self.ctx).instances().insert(project=self.ctx.project, body=body).execute)
        return self._op(op, f"create instance {desired.name}")

    def update(self, desired: Resource, live: LiveResource, changes: Sequence[FieldChange]) -> Operation:
        touched = {c.path.split(".")[1] for c in changes if c.path.startswith("settings.")}
        settings = {key: desired.body["settings"][key] for key in sorted(touched)}
        settings["settingsVersion"] = live.body["settings"]["settingsVersion"]
        body = {"settings": settings}
        request = _sql(self.ctx).instances().patch(project=self.ctx.project, instance=desired.name, body=body)
        return self._op(self.call(request.execute), f"patch instance {desired.name}")

    def delete(self, live: LiveResource) -> Operation:
        steps = []
        if live.body.get("settings", {}).get("deletionProtectionEnabled"):
            steps.append(lambda: self._unprotect(live))
        steps.append(
            lambda: self._op(
                self.call(
                    _sql(self.ctx).instances().delete(project=self.ctx.project, instance=live.name).execute
                ),
                f"delete instance {live.name}",
            )
        )
        return OperationChain(f"delete instance {live.name}", steps)

    def abandon(self, live: LiveResource) -> Operation | None:
        current = self.call(
            _sql(self.ctx).instances().get(project=self.ctx.project, instance=live.name).execute
        )
        settings = current["settings"]
        body = {
            "settings": {
                "userLabels": without_ownership(settings.get("userLabels")),
                "settingsVersion": settings["settingsVersion"],
            }
        }
        request = _sql(self.ctx).instances().patch(project=self.ctx.project, instance=live.name, body=body)
        return self._op(self.call(request.execute), f"release instance {live.name}")

    def _unprotect(self, live: LiveResource) -> Operation:
        current = self.call(
            _sql(self.ctx).instances().get(project=self.ctx.project, instance=live.name).execute
        )
        body = {
            "settings": {
                "deletionProtectionEnabled": False,
                "settingsVersion": current["settings"]["settingsVersion"],
            }
        }
        request = _sql(self.ctx).instances().patch(project=self.ctx.project, instance=live.name, body=body)
        return self._op(self.call(request.execute), f"lift deletion protection of {live.name}")


class _InstanceChild(ApiKind):
    """Databases and users: listed per instance, named `<instance>/<name>`, no labels."""

    collection: str
    list_key = "items"

    def retryable(self, err: ApiError) -> bool:
        return _busy(err)

    def _api(self) -> Any:
        return getattr(_sql(self.ctx), self.collection)()

    def observe(self, desired: Sequence[Resource]) -> list[LiveResource]:
        wanted = {r.name for r in desired}
        instances = sorted({r.name.split("/")[0] for r in desired} | {self.ctx.spec.sql_instance_name})

        def read(instance: str) -> list[LiveResource]:
            try:
                items = self.call(self._api().list(project=self.ctx.project, instance=instance).execute)
            except Exception as exc:
                if _not_found(exc):
                    return []
                raise
            found = []
            for item in items.get(self.list_key, []):
                name = f"{instance}/{item['name']}"
                found.append(LiveResource(self.meta.kind, name, item, managed=name in wanted))
            return found

        return [live for group in self.map(read, instances) for live in group]

    def _op(self, body: dict[str, Any], description: str) -> Operation:
        return SqlOperation(self.ctx, self.ctx.project, body, description)


class SqlDatabase(_InstanceChild):
    meta = sql_admin_meta(
        kind="sql.database",
        permissions=permissions_of("cloudsql.databases"),
        immutable=("charset", "collation"),
        stateful=True,
        labels_path=None,
    )
    no_charge = "part of its instance, which is priced"
    collection = "databases"

    def create(self, desired: Resource) -> Operation:
        instance, name = desired.name.split("/")
        body = {"name": name, **desired.body}
        op = self.call(self._api().insert(project=self.ctx.project, instance=instance, body=body).execute)
        return self._op(op, f"create database {name}")

    def update(self, desired: Resource, live: LiveResource, changes: Sequence[FieldChange]) -> Operation:
        instance, name = desired.name.split("/")
        request = self._api().patch(
            project=self.ctx.project, instance=instance, database=name, body=desired.body
        )
        return self._op(self.call(request.execute), f"patch database {name}")

    def delete(self, live: LiveResource) -> Operation:
        instance, name = live.name.split("/")
        request = self._api().delete(project=self.ctx.project, instance=instance, database=name)
        return self._op(self.call(request.execute), f"delete database {name}")


class SqlUser(_InstanceChild):
    """A built-in user whose password lives in Secret Manager and nowhere else."""

    meta = sql_admin_meta(
        kind="sql.user",
        permissions=permissions_of("cloudsql.users", read=("list",)),
        immutable=("type",),
        # Cloud SQL answers a built-in user without `type` (emulator/services/sqladmin_children.py
        # `_shown_user`): absent means BUILT_IN, not a changed type that would replace the user.
        api_defaults={"type": "BUILT_IN"},
        labels_path=None,
    )
    no_charge = "part of its instance, which is priced"
    collection = "users"

    def create(self, desired: Resource) -> Operation:
        instance, name = desired.name.split("/")
        password = read_generated_value(self.ctx, desired.create_only["passwordSecret"])
        body = {"name": name, "password": password, **desired.body}
        op = self.call(self._api().insert(project=self.ctx.project, instance=instance, body=body).execute)
        return self._op(op, f"create user {name}")

    def update(self, desired: Resource, live: LiveResource, changes: Sequence[FieldChange]) -> Operation:
        return OperationChain("nothing to update on a user", [])

    def delete(self, live: LiveResource) -> Operation:
        instance, name = live.name.split("/")
        request = self._api().delete(project=self.ctx.project, instance=instance, name=name)
        return self._op(self.call(request.execute), f"delete user {name}")


def instance_body(ctx: Context) -> tuple[dict[str, Any], dict[str, Any]]:
    """The instance body the spec owns, and what is sent only at creation."""
    sql = ctx.spec.sql
    backups = sql.backups
    backup: dict[str, Any] = {
        "enabled": backups.enabled,
        "startTime": backups.start_time,
        "pointInTimeRecoveryEnabled": backups.point_in_time_recovery,
        "backupRetentionSettings": {"retainedBackups": backups.retention_days, "retentionUnit": "COUNT"},
    }
    if backups.point_in_time_recovery:
        backup["transactionLogRetentionDays"] = backups.transaction_log_retention_days
    if backups.location:
        backup["location"] = backups.location
    ip: dict[str, Any] = {
        "ipv4Enabled": not sql.private_ip_only,
        "privateNetwork": network_path(ctx),
        "sslMode": sql.ssl_mode,
    }
    settings: dict[str, Any] = {
        "tier": sql.tier,
        "edition": sql.edition,
        "availabilityType": sql.availability,
        "dataDiskType": sql.disk.type,
        "storageAutoResize": sql.disk.autoresize,
        "ipConfiguration": ip,
        "backupConfiguration": backup,
        "databaseFlags": [{"name": k, "value": v} for k, v in sorted(sql.database_flags.items())],
        "maintenanceWindow": {
            "day": sql.maintenance_window.day_number,
            "hour": sql.maintenance_window.hour,
            "updateTrack": sql.maintenance_window.update_track,
        },
        "deletionProtectionEnabled": sql.deletion_protection,
        "insightsConfig": {
            "queryInsightsEnabled": sql.query_insights.enabled,
            "queryStringLength": sql.query_insights.query_string_length,
            "recordApplicationTags": sql.query_insights.record_application_tags,
            "recordClientAddress": sql.query_insights.record_client_address,
        },
        "userLabels": ctx.labels(dict(sql.labels)),
    }
    create_only: dict[str, Any] = {}
    if sql.disk.autoresize:
        # The disk grows on its own: the spec's size is where it starts, not a value to enforce.
        create_only["dataDiskSizeGb"] = str(sql.disk.size_gb)
        if sql.disk.autoresize_limit_gb:
            settings["storageAutoResizeLimit"] = str(sql.disk.autoresize_limit_gb)
    else:
        settings["dataDiskSizeGb"] = str(sql.disk.size_gb)
    body = {
        "databaseVersion": sql.database_version,
        "region": ctx.spec.region,
        "settings": settings,
        "diskEncryptionConfiguration": {"kmsKeyName": crypto_key_path(ctx, sql.kms_key)},
    }
    return body, create_only


class SqlReconciler(Reconciler):
    family = "sql"
    #: The database password lives in Secret Manager: this family asks for its secret too.
    kinds = (SqlInstance, SqlDatabase, SqlUser, Secret, GeneratedValue)

    def desired(self, ctx: Context) -> list[Resource]:
        sql = ctx.spec.sql
        name = ctx.spec.sql_instance_name
        body, create_only = instance_body(ctx)
        instance = Resource(
            kind=SqlInstance.meta.kind,
            name=name,
            body=body,
            # Private IP needs the peering; CMEK needs the service agent's grant on the key.
            deps=(
                address_of(PeeringConnection.meta.kind, ctx.spec.vpc_name),
                *encrypted_with(ctx, sql.kms_key),
            ),
            deletion_policy=sql.deletion_policy,
            create_only=create_only,
        )
        database = Resource(
            kind=SqlDatabase.meta.kind,
            name=f"{name}/{sql.database.name}",
            body={"charset": sql.database.charset, "collation": sql.database.collation},
            deps=(instance.address,),
            deletion_policy=sql.database.deletion_policy,
        )
        secret, value = generated_secret(ctx, sql.user.password_secret, "database-password")
        user = Resource(
            kind=SqlUser.meta.kind,
            name=f"{name}/{sql.user.name}",
            body={"type": "BUILT_IN"},
            # After the database: the instance takes one operation at a time, so running them
            # side by side would only trade a wait in the graph for a 409 and a retry.
            deps=(instance.address, database.address, value.address),
            deletion_policy=sql.user.deletion_policy,
            create_only={"passwordSecret": sql.user.password_secret},
        )
        return [secret, value, instance, database, user]
