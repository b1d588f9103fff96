"""Names, lookups and rules shared by the Secret Manager modules.

The real API names secrets by project number (`projects/123/secrets/s`) whatever
form the caller used, so the stored names and every response use the number.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from emulator import iam, standard
from emulator.clock import parse_rfc3339
from emulator.errors import ApiError, aborted, failed_precondition, invalid, not_found
from emulator.locations import is_region
from emulator.registry import Call
from emulator.services._kms import CRYPTO_KEY, VERSION

SECRET = "secretmanager.secret"
SECRET_VERSION = "secretmanager.secretVersion"
# Payload bytes live apart from the version so that no read or listing can carry them by accident.
PAYLOAD = "secretmanager.payload"
SECRET_ID = r"[a-zA-Z0-9_-]{1,255}"
KMS_ROLE = "roles/cloudkms.cryptoKeyEncrypterDecrypter"
_KEY_NAME = re.compile(r"^projects/[^/]+/locations/([^/]+)/keyRings/[^/]+/cryptoKeys/[^/]+$")


def service_agent(project_number: str) -> str:
    return f"service-{project_number}@gcp-sa-secretmanager.iam.gserviceaccount.com"


def new_etag(*parts: str) -> str:
    """Etags are quoted strings that change with every stored change."""
    return '"' + hashlib.sha256("/".join(parts).encode()).hexdigest()[:14] + '"'


def project_of(call: Call, parent: str, permission: str) -> tuple[str, str]:
    """(project id, number) named by `projects/<id or number>[/...]`."""
    m = re.match(r"^projects/([^/]+)", parent)
    if not m:
        raise invalid(f"Invalid resource name: {parent}")
    return call.ctx.projects.require(m.group(1), permission)


def secret_name(call: Call, name: str, permission: str) -> str:
    """The canonical (project-number) form of a secret name."""
    m = re.match(r"^projects/([^/]+)/secrets/([^/]+)$", name)
    if not m:
        raise invalid(f"Invalid resource name: {name}")
    _, number = call.ctx.projects.require(m.group(1), permission)
    return f"projects/{number}/secrets/{m.group(2)}"


def fetch_secret(call: Call, name: str, permission: str) -> dict[str, Any]:
    """A stored secret; one whose expireTime has passed is gone, as the real API deletes it then."""
    canonical = secret_name(call, name, permission)
    secret = call.ctx.store.get(SECRET, canonical)
    expire = (secret or {}).get("expireTime")
    if expire and call.ctx.clock.datetime() >= parse_rfc3339(expire):
        remove_secret(call, canonical)
        secret = None
    if secret is None:
        raise not_found(f"Secret [{canonical}] not found.")
    return secret


def remove_secret(call: Call, canonical: str) -> None:
    store = call.ctx.store
    for version in store.list(SECRET_VERSION, canonical):
        store.delete(PAYLOAD, version["name"])
        store.delete(SECRET_VERSION, version["name"])
    store.delete(iam.POLICY_KIND, canonical)
    store.delete(SECRET, canonical)


def check_etag(given: str | None, current: dict[str, Any], label: str) -> None:
    if given and given != current["etag"]:
        raise aborted(f"The etag provided in the request does not match the current etag of the {label}.")


def settle_version(call: Call, version: dict[str, Any]) -> dict[str, Any]:
    """A delayed destruction that is due has happened; store and return the settled version."""
    due = version.get("scheduledDestroyTime")
    if due and call.ctx.clock.datetime() >= parse_rfc3339(due):
        version = {k: v for k, v in version.items() if k != "scheduledDestroyTime"}
        version.update({"state": "DESTROYED", "destroyTime": due})
        version["etag"] = new_etag(version["name"], "DESTROYED", due)
        call.ctx.store.delete(PAYLOAD, version["name"])
        call.ctx.store.put(SECRET_VERSION, version["name"], version, version["name"].split("/versions/")[0])
    return version


def versions_of(call: Call, secret: dict[str, Any]) -> list[dict[str, Any]]:
    """The secret's versions, newest first, as the real listing orders them."""
    found = [settle_version(call, v) for v in call.ctx.store.list(SECRET_VERSION, secret["name"])]
    return sorted(found, key=lambda v: int(v["name"].rsplit("/", 1)[1]), reverse=True)


def resolve_version(call: Call, name: str, permission: str) -> dict[str, Any]:
    """A version by number, by the `latest` alias (the newest, whatever its state) or by a secret alias."""
    m = re.match(r"^(projects/[^/]+/secrets/[^/]+)/versions/([^/]+)$", name)
    if not m:
        raise invalid(f"Invalid resource name: {name}")
    secret = fetch_secret(call, m.group(1), permission)
    wanted = m.group(2)
    canonical = f"{secret['name']}/versions/{wanted}"
    if wanted == "latest":
        versions = versions_of(call, secret)
        if not versions:
            raise not_found(f"Secret [{secret['name']}] not found or has no versions.")
        return versions[0]
    if not wanted.isdigit():
        number = (secret.get("versionAliases") or {}).get(wanted)
        if number is None:
            raise not_found(f"Secret Version [{canonical}] not found.")
        canonical = f"{secret['name']}/versions/{number}"
    version = call.ctx.store.get(SECRET_VERSION, canonical)
    if version is None:
        raise not_found(f"Secret Version [{canonical}] not found.")
    return settle_version(call, version)


def check_labels(labels: dict[str, Any] | None, field: str) -> None:
    labels = labels or {}
    if len(labels) > 64:
        raise invalid("A secret can have at most 64 labels.", field=field)
    for key, value in labels.items():
        if not re.fullmatch(r"[a-z][a-z0-9_-]{0,62}", key):
            raise invalid(
                f"Label key '{key}' is invalid: keys must start with a lowercase letter and contain only "
                "lowercase letters, digits, underscores and dashes (at most 63 characters).",
                field=field,
            )
        if not re.fullmatch(r"[a-z0-9_-]{0,63}", str(value)):
            raise invalid(
                f"Label value '{value}' is invalid: values may contain only lowercase letters, digits, "
                "underscores and dashes (at most 63 characters).",
                field=field,
            )


def check_replication(call: Call, replication: dict[str, Any] | None, project_number: str) -> None:
    """Exactly one replication policy, valid replica locations, and usable CMEK keys."""
    if not replication or not (replication.get("automatic") is not None or replication.get("userManaged")):
        raise invalid("Secret.replication must be set.", field="secret.replication")
    if replication.get("automatic") is not None and replication.get("userManaged") is not None:
        raise invalid(
            "Only one of replication.automatic and replication.user_managed may be set.",
            field="secret.replication",
        )
    if replication.get("automatic") is not None:
        key = (replication["automatic"].get("customerManagedEncryption") or {}).get("kmsKeyName")
        if key is not None:
            check_kms_key(call, key, "global", project_number, "secret.replication.automatic")
        return
    replicas = replication["userManaged"].get("replicas") or []
    if not replicas:
        raise invalid(
            "Secret.replication.user_managed.replicas must not be empty.",
            field="secret.replication.user_managed.replicas",
        )
    seen: set[str] = set()
    for index, replica in enumerate(replicas):
        field = f"secret.replication.user_managed.replicas[{index}]"
        location = replica.get("location")
        if not location or not is_region(location):
            raise invalid(f"Invalid replica location: '{location}'.", field=f"{field}.location")
        if location in seen:
            raise invalid(f"Duplicate replica location: '{location}'.", field=f"{field}.location")
        seen.add(location)
        key = (replica.get("customerManagedEncryption") or {}).get("kmsKeyName")
        if key is not None:
            check_kms_key(call, key, location, project_number, field)


def check_kms_key(
    call: Call, key_name: str, location: str, project_number: str, field: str
) -> dict[str, Any]:
    """The key exists, sits in the replica's location, and the service agent may use it."""
    m = _KEY_NAME.match(key_name)
    if not m:
        raise invalid(
            f"Invalid Cloud KMS key name: '{key_name}'.", field=f"{field}.customer_managed_encryption"
        )
    if m.group(1) != location:
        raise invalid(
            f"The Cloud KMS key '{key_name}' must be in location '{location}' to encrypt this "
            f"{'secret' if location == 'global' else 'replica'}, but it is in '{m.group(1)}'.",
            field=f"{field}.customer_managed_encryption.kms_key_name",
        )
    key = call.ctx.store.get(CRYPTO_KEY, key_name)
    member = "serviceAccount:" + service_agent(project_number)
    ring = key_name.split("/cryptoKeys/")[0]
    store = call.ctx.store
    granted = iam.has_role(store, key_name, member, KMS_ROLE) or iam.has_role(store, ring, member, KMS_ROLE)
    if key is None or not granted:
        raise failed_precondition(
            f"Secret Manager cannot use the Cloud KMS key '{key_name}': the key does not exist or the "
            f"service account {service_agent(project_number)} does not have permission "
            "'cloudkms.cryptoKeyVersions.useToEncrypt' on it. Grant it "
            f"{KMS_ROLE} on the key."
        )
    if key.get("purpose") != "ENCRYPT_DECRYPT":
        raise invalid(
            f"The Cloud KMS key '{key_name}' must have purpose ENCRYPT_DECRYPT.",
            field=f"{field}.customer_managed_encryption.kms_key_name",
        )
    return key


def primary_version_for(call: Call, key_name: str) -> str:
    """The key version a new payload is encrypted with; it must be enabled."""
    key = call.ctx.store.get(CRYPTO_KEY, key_name) or {}
    primary = (key.get("primary") or {}).get("name")
    version = call.ctx.store.get(VERSION, primary) if primary else None
    if version is None or version.get("state") != "ENABLED":
        raise failed_precondition(
            f"The primary version of Cloud KMS key '{key_name}' is not enabled; the payload cannot be "
            "encrypted."
        )
    return str(primary)


def filter_matches(resource: dict[str, Any], expression: str | None) -> bool:
    """Secret Manager list filters: `:` on a text field means "contains", as its filtering docs say."""
    if not expression or not expression.strip():
        return True
    for term in re.split(r"\s+AND\s+", expression.strip()):
        m = re.match(r'^\s*(name|state)\s*:\s*"?([^"]*)"?\s*$', term)
        if m:
            value = str(resource.get(m.group(1), ""))
            if m.group(2).lower() not in value.lower():
                return False
            continue
        if not standard.matches_filter(resource, term):
            return False
    return True


def page_size(call: Call) -> int | None:
    size = call.query.get("pageSize")
    if size is not None and size < 0:
        raise invalid("page_size must not be negative.", field="page_size")
    return min(size, 25_000) if size else None


def list_answer(call: Call, field: str, items: list[dict[str, Any]]) -> dict[str, Any]:
    """A Secret Manager list page: the request's filter, pages of up to 25,000, and a
    `totalSize` of every item, or 0 when a filter was given."""
    expression = call.query.get("filter")
    matching = [i for i in items if filter_matches(i, expression)]
    out = standard.list_answer(
        call, field, matching, size=page_size(call), default_size=25_000, max_size=25_000
    )
    out["totalSize"] = 0 if expression else len(items)
    return out


def api_error_for_state(version: dict[str, Any]) -> ApiError:
    return failed_precondition(f"Secret Version [{version['name']}] is in {version['state']} state.")
