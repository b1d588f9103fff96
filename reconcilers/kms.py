"""Cloud KMS: one key ring per environment, its keys, and who may use them.

Keys `database`, `storage` and `secrets` encrypt Cloud SQL, the buckets and Secret Manager
secrets (CMEK); each rotates on the spec's period. The Cloud SQL, Cloud Storage and Secret
Manager service agents are granted encrypt/decrypt on their own key only, after they have been
asked for (`reconcilers.identities`): on a new project they do not exist yet.

KMS never deletes outright: a key ring cannot be deleted at all, and a key only once every
version is destroyed and deleted. Removing a key from the spec therefore schedules its
versions for destruction and leaves the key in place, and the plan says so.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from provisioner.cost.pricing import CostLine, PriceTable
from provisioner.engine.api_kind import ApiKind
from provisioner.engine.context import Context
from provisioner.engine.iam_policy import edit_policy
from provisioner.engine.kind import KindMeta, NoUpdate, Reconciler
from provisioner.engine.labels import labels_kept
from provisioner.engine.masks import UpdateMask
from provisioner.engine.operations import DoneOperation, Operation
from provisioner.engine.permissions import iam_policy_permissions, permissions_of
from provisioner.engine.plan import FieldChange
from provisioner.engine.resource import Address, LiveResource, Resource, address_of, without_ownership
from provisioner.google.errors import ApiError, classify
from reconcilers._proto import from_json_dict, to_json_dict
from reconcilers.identities import ServiceIdentity, identity

#: The meta of a kind here: every one calls Cloud KMS (cloudkms.googleapis.com).
kms_meta = partial(KindMeta, api="cloudkms.googleapis.com")

ENCRYPTER_DECRYPTER = "roles/cloudkms.cryptoKeyEncrypterDecrypter"

#: Which service's agent uses which key, by the key's name in the spec, and the agent's email.
SERVICE_AGENTS = {
    "database": ("sqladmin.googleapis.com", "service-{number}@gcp-sa-cloud-sql.iam.gserviceaccount.com"),
    "storage": ("storage.googleapis.com", "service-{number}@gs-project-accounts.iam.gserviceaccount.com"),
    "secrets": (
        "secretmanager.googleapis.com",
        "service-{number}@gcp-sa-secretmanager.iam.gserviceaccount.com",
    ),
}


def _kms_client(ctx: Context) -> Any:
    from google.cloud import kms_v1

    return ctx.clients.gapic("kms", kms_v1.KeyManagementServiceClient)


def key_ring_path(ctx: Context) -> str:
    return f"projects/{ctx.project}/locations/{ctx.spec.kms_location}/keyRings/{ctx.spec.key_ring_name}"


def crypto_key_path(ctx: Context, key: str) -> str:
    return f"{key_ring_path(ctx)}/cryptoKeys/{key}"


def _short(path: str) -> str:
    """`projects/p/locations/l/keyRings/r[/cryptoKeys/k]` → `l/r[/k]` for addresses."""
    parts = path.split("/")
    return "/".join(parts[3::2])


def _full(ctx: Context, short: str) -> str:
    location, ring, *key = short.split("/")
    path = f"projects/{ctx.project}/locations/{location}/keyRings/{ring}"
    return f"{path}/cryptoKeys/{key[0]}" if key else path


def _seconds(duration: str) -> int:
    return int(float(duration.rstrip("s")))


def _rotation_start(period: str) -> str:
    start = datetime.now(UTC) + timedelta(seconds=_seconds(period))
    return start.strftime("%Y-%m-%dT%H:%M:%SZ")


class KeyRing(NoUpdate, ApiKind):
    """A key ring: a name and a location, nothing to update, never deletable."""

    meta = kms_meta(
        kind="kms.key_ring",
        permissions=permissions_of("cloudkms.keyRings", update=(), delete=()),
        labels_path=None,
    )
    no_charge = "key rings are free; their keys are priced"

    def _owned(self, name: str) -> bool:
        return _short(name).split("/")[1].startswith(f"{self.ctx.spec.name_prefix}-")

    def observe(self, desired: Sequence[Resource]) -> list[LiveResource]:
        client = _kms_client(self.ctx)
        parent = f"projects/{self.ctx.project}/locations/{self.ctx.spec.kms_location}"
        rings = self.call(lambda: list(client.list_key_rings(request={"parent": parent})))
        return [
            LiveResource(self.meta.kind, _short(r.name), to_json_dict(r), managed=self._owned(r.name))
            for r in rings
        ]

    def create(self, desired: Resource) -> Operation:
        client = _kms_client(self.ctx)
        location, ring = desired.name.split("/")
        parent = f"projects/{self.ctx.project}/locations/{location}"
        self.call(client.create_key_ring, request={"parent": parent, "key_ring_id": ring, "key_ring": {}})
        return DoneOperation(f"create key ring {ring}")

    def delete(self, live: LiveResource) -> Operation:
        return DoneOperation("key rings cannot be deleted")

    def delete_effect(self, live: LiveResource) -> str | None:
        return "Cloud KMS key rings cannot be deleted: it stays in place (an empty key ring costs nothing)"


#: What a key's update can write, in the order its mask lists it; a new rotation period
#: restarts the schedule, so the next rotation time is written with it.
KEY_MASK = UpdateMask(
    ("rotationPeriod", "labels", "versionTemplate.algorithm"),
    together={"rotationPeriod": ("nextRotationTime",)},
    snake=True,
)


class CryptoKey(ApiKind):
    """A symmetric key with automatic rotation; purpose and protection level are fixed."""

    meta = kms_meta(
        kind="kms.crypto_key",
        permissions=permissions_of(
            "cloudkms.cryptoKeys",
            # A key is never deleted: its versions are scheduled for destruction.
            delete=(),
            also={"delete": ("cloudkms.cryptoKeyVersions.list", "cloudkms.cryptoKeyVersions.destroy")},
        ),
        immutable=("purpose", "versionTemplate.protectionLevel", "importOnly", "destroyScheduledDuration"),
        api_defaults={"versionTemplate": {"protectionLevel": "SOFTWARE"}},
        stateful=True,
    )

    def monthly_cost(self, name: str, body: dict[str, Any], prices: PriceTable) -> list[CostLine] | None:
        """Each active key version is billed monthly; rotation adds one version per period."""
        level = str((body.get("versionTemplate") or {}).get("protectionLevel") or "SOFTWARE")
        note = None
        if body.get("rotationPeriod"):
            days = _seconds(str(body["rotationPeriod"])) // 86400
            note = f"rotation adds a version every {days} days; older versions stay billed until destroyed"
        return [
            prices.charge(f"kms.key_version.{level}", "global", 1, f"active key version ({level})", note),
            prices.usage("kms.operations", "global", "encrypt and decrypt operations"),
        ]

    def observe(self, desired: Sequence[Resource]) -> list[LiveResource]:
        client = _kms_client(self.ctx)
        rings = sorted(
            {_full(self.ctx, r.name.rsplit("/", 1)[0]) for r in desired} | {key_ring_path(self.ctx)}
        )
        found: list[LiveResource] = []
        for ring in rings:
            try:
                keys = self.call(lambda ring=ring: list(client.list_crypto_keys(request={"parent": ring})))
            except Exception as exc:
                if _not_found(exc):
                    continue  # the ring does not exist yet, so neither do its keys
                raise
            for key in keys:
                body = to_json_dict(key)
                found.append(
                    LiveResource(
                        self.meta.kind, _short(key.name), body, managed=self.ctx.is_ours(body.get("labels"))
                    )
                )
        return found

    def create(self, desired: Resource) -> Operation:
        from google.cloud import kms_v1

        client = _kms_client(self.ctx)
        ring, key_id = desired.name.rsplit("/", 1)
        body = {**desired.body, **desired.create_only}
        if "rotationPeriod" in body:
            body["nextRotationTime"] = _rotation_start(body["rotationPeriod"])
        request = {
            "parent": _full(self.ctx, ring),
            "crypto_key_id": key_id,
            "crypto_key": from_json_dict(kms_v1.CryptoKey, body),
        }
        self.call(client.create_crypto_key, request=request)
        return DoneOperation(f"create key {key_id}")

    def update(self, desired: Resource, live: LiveResource, changes: Sequence[FieldChange]) -> Operation:
        from google.cloud import kms_v1

        client = _kms_client(self.ctx)
        body: dict[str, Any] = {"name": _full(self.ctx, desired.name)}
        fields = KEY_MASK.changed(changes)
        if "rotationPeriod" in fields:
            body["rotationPeriod"] = desired.body["rotationPeriod"]
            body["nextRotationTime"] = _rotation_start(desired.body["rotationPeriod"])
        if "labels" in fields:
            body["labels"] = labels_kept(live.body.get("labels"), desired.body.get("labels"))
        if "versionTemplate.algorithm" in fields:
            body["versionTemplate"] = {"algorithm": desired.body["versionTemplate"]["algorithm"]}
        mask = {"paths": KEY_MASK.paths(fields)}
        request = {"crypto_key": from_json_dict(kms_v1.CryptoKey, body), "update_mask": mask}
        self.call(client.update_crypto_key, request=request)
        return DoneOperation(f"update key {desired.name}")

    def delete(self, live: LiveResource) -> Operation:
        """Destroy every live version, stop rotation and let go of the key."""
        client = _kms_client(self.ctx)
        name = _full(self.ctx, live.name)
        versions = self.call(lambda: list(client.list_crypto_key_versions(request={"parent": name})))
        for version in versions:
            if version.state.name in ("ENABLED", "DISABLED"):
                self.call(client.destroy_crypto_key_version, request={"name": version.name})
        self._release(live, stop_rotation=True)
        return DoneOperation(f"destroy versions of key {live.name}")

    def abandon(self, live: LiveResource) -> Operation | None:
        self._release(live, stop_rotation=False)
        return DoneOperation(f"release key {live.name}")

    def _release(self, live: LiveResource, stop_rotation: bool) -> None:
        from google.cloud import kms_v1

        client = _kms_client(self.ctx)
        labels = without_ownership(live.body.get("labels"))
        body: dict[str, Any] = {"name": _full(self.ctx, live.name), "labels": labels}
        # Rotation stops when the period is cleared: masked, and absent from the body.
        fields = ["labels", "rotationPeriod"] if stop_rotation else ["labels"]
        mask = {"paths": KEY_MASK.paths(fields)}
        request = {"crypto_key": from_json_dict(kms_v1.CryptoKey, body), "update_mask": mask}
        self.call(client.update_crypto_key, request=request)

    def delete_effect(self, live: LiveResource) -> str | None:
        days = _seconds(live.body.get("destroyScheduledDuration", "2592000s")) // 86400
        return (
            "Cloud KMS keys cannot be deleted outright: every version is scheduled for destruction"
            f" (destroyed after {days} days; data encrypted with it becomes unreadable), rotation stops"
            " and the key stays, unmanaged"
        )


class KeyIamMembers(ApiKind):
    """Members we grant on a key, non-authoritatively: other bindings are left alone.

    IAM policies have no list call, so this kind reads one policy per desired key; writes
    are read-modify-write with the policy's etag, repeated when someone else wrote first.
    """

    meta = kms_meta(
        kind="kms.key_iam",
        permissions=iam_policy_permissions("cloudkms.cryptoKeys"),
        grants_access=True,
        labels_path=None,
    )
    no_charge = "IAM bindings are free"

    def observe(self, desired: Sequence[Resource]) -> list[LiveResource]:
        client = _kms_client(self.ctx)

        def read(resource: Resource) -> LiveResource | None:
            try:
                policy = self._policy(client, resource.name)
            except Exception as exc:
                if _not_found(exc):
                    return None  # the key does not exist yet
                raise
            granted = {
                role: sorted(m for m in _members(policy, role) if m in members)
                for role, members in resource.body["members"].items()
            }
            return LiveResource(
                self.meta.kind, resource.name, {"members": granted}, managed=True, version=policy.get("etag")
            )

        return [live for live in self.map(read, desired) if live is not None]

    def _policy(self, client: Any, short: str) -> dict[str, Any]:
        return _key_policy(self, client, short)

    def create(self, desired: Resource) -> Operation:
        return self._edit(desired.name, add=desired.body["members"], remove={})

    def update(self, desired: Resource, live: LiveResource, changes: Sequence[FieldChange]) -> Operation:
        return self._edit(desired.name, add=desired.body["members"], remove={})

    def delete(self, live: LiveResource) -> Operation:
        return self._edit(live.name, add={}, remove=live.body["members"])

    def _edit(self, short: str, add: dict[str, list[str]], remove: dict[str, list[str]]) -> Operation:
        """Add and remove members of unconditional bindings; every other binding stays."""
        from google.iam.v1 import policy_pb2
        from google.protobuf import json_format

        client = _kms_client(self.ctx)

        def edit(policy: dict[str, Any]) -> dict[str, Any]:
            bindings = {
                b["role"]: set(b.get("members", []))
                for b in policy.get("bindings", [])
                if "condition" not in b
            }
            for role, members in add.items():
                bindings.setdefault(role, set()).update(members)
            for role, members in remove.items():
                bindings.get(role, set()).difference_update(members)
            conditional = [b for b in policy.get("bindings", []) if "condition" in b]
            return {
                "version": policy.get("version", 1),
                "etag": policy.get("etag", ""),
                "bindings": [{"role": r, "members": sorted(m)} for r, m in sorted(bindings.items()) if m]
                + conditional,
            }

        def write(policy: dict[str, Any]) -> Any:
            pb = json_format.ParseDict(policy, policy_pb2.Policy())
            return client.set_iam_policy(request={"resource": _full(self.ctx, short), "policy": pb})

        edit_policy(self, lambda: _read_key_policy(self.ctx, client, short), edit, write)
        return DoneOperation(f"set IAM policy of {short}")


def _read_key_policy(ctx: Context, client: Any, short: str) -> dict[str, Any]:
    request = {"resource": _full(ctx, short), "options": {"requested_policy_version": 3}}
    return to_json_dict(client.get_iam_policy(request=request))


def _key_policy(kind: ApiKind, client: Any, short: str) -> dict[str, Any]:
    """A key's IAM policy; read once per observation pass for the grants and the agents alike."""
    return kind.ctx.shared(
        ("kms.key_policy", short), lambda: kind.call(_read_key_policy, kind.ctx, client, short)
    )


class KeyServiceAgent(ServiceIdentity):
    """The agents our keys are granted to: one a key's live policy names exists."""

    def granted(self, desired: Sequence[Resource]) -> set[str]:
        client = _kms_client(self.ctx)
        wanted = {r.body["email"] for r in desired}
        keys = [
            _short(crypto_key_path(self.ctx, key))
            for key, (_, template) in SERVICE_AGENTS.items()
            if key in self.ctx.spec.kms.keys and template.format(number=self.ctx.project_number) in wanted
        ]

        def members(short: str) -> set[str]:
            try:
                policy = _key_policy(self, client, short)
            except Exception as exc:
                if _not_found(exc):
                    return set()  # the key does not exist yet
                raise
            return {
                m.removeprefix("serviceAccount:")
                for b in policy.get("bindings", [])
                for m in b.get("members", [])
            }

        return set().union(*self.map(members, keys)) & wanted


def _members(policy: dict[str, Any], role: str) -> list[str]:
    members: list[str] = []
    for binding in policy.get("bindings", []):
        if binding.get("role") == role and "condition" not in binding:
            members.extend(binding.get("members", []))
    return members


def _not_found(exc: BaseException) -> bool:
    err: ApiError | None = classify(exc)
    return err is not None and err.not_found


def encrypted_with(ctx: Context, key: str) -> tuple[Address, Address]:
    """The dependencies of a resource encrypted with the spec's key `key`: the key, and the
    members granted on it, since a service agent must hold the key before its service can
    create anything that uses it."""
    short = _short(crypto_key_path(ctx, key))
    return (address_of(CryptoKey.meta.kind, short), address_of(KeyIamMembers.meta.kind, short))


class KmsReconciler(Reconciler):
    family = "kms"
    kinds = (KeyRing, CryptoKey, KeyServiceAgent, KeyIamMembers)

    def desired(self, ctx: Context) -> list[Resource]:
        spec = ctx.spec.kms
        ring = Resource(
            kind=KeyRing.meta.kind, name=_short(key_ring_path(ctx)), body={}, deletion_policy="abandon"
        )
        resources = [ring]
        for key_name, key in sorted(spec.keys.items()):
            short = _short(crypto_key_path(ctx, key_name))
            crypto_key = Resource(
                kind=CryptoKey.meta.kind,
                name=short,
                body={
                    "purpose": key.purpose,
                    "rotationPeriod": f"{key.rotation_period_days * 86400}s",
                    "versionTemplate": {"protectionLevel": key.protection_level, "algorithm": key.algorithm},
                    "labels": ctx.labels({**key.labels, "purpose": key_name}),
                },
                deps=(ring.address,),
                deletion_policy=spec.deletion_policy,
            )
            resources.append(crypto_key)
            if key_name in SERVICE_AGENTS:
                service, template = SERVICE_AGENTS[key_name]
                email = template.format(number=ctx.project_number)
                agent = identity(ctx, service, email)
                resources.append(agent)
                resources.append(
                    Resource(
                        kind=KeyIamMembers.meta.kind,
                        name=short,
                        body={"members": {ENCRYPTER_DECRYPTER: ["serviceAccount:" + email]}},
                        deps=(crypto_key.address, agent.address),
                    )
                )
        return resources
