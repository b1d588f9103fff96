"""Cloud Storage bucket rules: names, locations, defaults and CMEK checks."""

from __future__ import annotations

import base64
import hashlib
import ipaddress
import re
from typing import Any

from emulator.errors import ApiError, invalid, permission_denied
from emulator.locations import STORAGE_DUAL_REGIONS, STORAGE_MULTI_REGIONS, is_region
from emulator.registry import Call
from emulator.services._kms import agent_may_use, customer_key

BUCKET = "storage.bucket"
OBJECT = "storage.object"
#: Noncurrent object versions of versioned buckets, keyed bucket/name#generation.
OBJECT_VERSION = "storage.object.version"
_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,61}[a-z0-9]$")
STORAGE_CLASSES = {
    "STANDARD",
    "NEARLINE",
    "COLDLINE",
    "ARCHIVE",
    "MULTI_REGIONAL",
    "REGIONAL",
    "DURABLE_REDUCED_AVAILABILITY",
}
LIFECYCLE_ACTIONS = {"Delete", "SetStorageClass", "AbortIncompleteMultipartUpload"}
UBLA_LOCK_DAYS = 90
SOFT_DELETE_DEFAULT = "604800"
KMS_ROLE = "roles/cloudkms.cryptoKeyEncrypterDecrypter"
# Generated fields: whatever a caller sends for these is replaced.
GENERATED = (
    "owner",
    "kind",
    "id",
    "selfLink",
    "projectNumber",
    "metageneration",
    "etag",
    "timeCreated",
    "updated",
    "locationType",
    "generation",
    "softDeleteTime",
    "hardDeleteTime",
    "satisfiesPZI",
)


def bucket_invalid(message: str) -> ApiError:
    return invalid(message)


def check_bucket_name(name: str) -> None:
    bad = ApiError(400, f"Invalid bucket name: '{name}'", reason="invalid")
    if not _NAME.match(name) or name.startswith("goog") or "google" in name or ".." in name:
        raise bad
    if "." not in name and len(name) > 63:
        raise bad
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return
    raise bad


def location_type(bucket: dict[str, Any]) -> str:
    location = bucket["location"]
    if location in STORAGE_MULTI_REGIONS:
        return "multi-region"
    if location in STORAGE_DUAL_REGIONS or bucket.get("customPlacementConfig", {}).get("dataLocations"):
        return "dual-region"
    if is_region(location):
        return "region"
    raise ApiError(400, "The specified location constraint is not valid.", reason="invalid")


def service_agent(project_number: str) -> str:
    return f"service-{project_number}@gs-project-accounts.iam.gserviceaccount.com"


def etag_for(name: str, metageneration: str) -> str:
    return base64.b64encode(hashlib.sha1(f"{name}/{metageneration}".encode()).digest()[:6]).decode()


def check_rules(call: Call, bucket: dict[str, Any]) -> None:
    """The checks the API applies to every bucket it stores, on insert and on update."""
    if bucket.get("storageClass") not in STORAGE_CLASSES:
        raise bucket_invalid(f"Invalid storage class: {bucket.get('storageClass')}")
    for rule in (bucket.get("lifecycle") or {}).get("rule") or []:
        action = (rule.get("action") or {}).get("type")
        if action not in LIFECYCLE_ACTIONS:
            raise bucket_invalid(f"Invalid lifecycle action type: {action}")
        if action == "SetStorageClass" and rule["action"].get("storageClass") not in STORAGE_CLASSES:
            raise bucket_invalid("A SetStorageClass lifecycle action needs a valid storageClass.")
        if not rule.get("condition"):
            raise bucket_invalid("A lifecycle rule must specify at least one condition.")
    prevention = bucket["iamConfiguration"].get("publicAccessPrevention")
    if prevention not in ("inherited", "enforced"):
        raise bucket_invalid(f"Invalid value for publicAccessPrevention: {prevention}")
    retention = int(bucket["softDeletePolicy"]["retentionDurationSeconds"])
    if retention != 0 and not 604_800 <= retention <= 7_776_000:
        raise bucket_invalid("The soft delete retention duration must be 0 or between 7 and 90 days.")
    rpo = bucket.get("rpo")
    if rpo is not None and rpo not in ("DEFAULT", "ASYNC_TURBO"):
        raise bucket_invalid(f"Invalid value for rpo: {rpo}")
    if rpo == "ASYNC_TURBO" and bucket["locationType"] != "dual-region":
        raise bucket_invalid("Turbo replication is available only for dual-region buckets.")
    key_name = (bucket.get("encryption") or {}).get("defaultKmsKeyName")
    if key_name:
        check_cmek(call, bucket, key_name)


def _kms_location_matches(bucket: dict[str, Any], key_location: str) -> bool:
    location = bucket["location"]
    if location in STORAGE_MULTI_REGIONS:
        return STORAGE_MULTI_REGIONS[location] == key_location
    if location in STORAGE_DUAL_REGIONS:
        return STORAGE_DUAL_REGIONS[location] == key_location
    return location.lower() == key_location


def check_cmek(call: Call, bucket: dict[str, Any], key_name: str) -> None:
    location, _ = customer_key(
        call,
        key_name,
        bucket_invalid,
        malformed="Invalid Cloud KMS key name: {name}",
        missing="The Cloud KMS key {name} does not exist.",
    )
    if not _kms_location_matches(bucket, location):
        raise bucket_invalid(
            f"The Cloud KMS key location '{location}' is not compatible with the bucket location "
            f"'{bucket['location']}'."
        )
    if not agent_may_use(call, key_name, service_agent(bucket["projectNumber"]), KMS_ROLE):
        raise permission_denied(
            "Permission denied on Cloud KMS key. Please ensure that your Cloud Storage service account has "
            "been authorized to use this key."
        )


def apply_defaults(call: Call, bucket: dict[str, Any], previous: dict[str, Any] | None) -> dict[str, Any]:
    """Fill API defaults and generated fields; `previous` is the stored bucket on update."""
    now = call.ctx.clock.rfc3339()
    out = {k: v for k, v in bucket.items() if k not in GENERATED}
    out["location"] = out.get("location", "US").upper()
    out.setdefault("storageClass", "STANDARD")
    autoclass = dict(out.get("autoclass") or {})
    if autoclass.get("enabled"):
        # Autoclass starts every object in STANDARD whatever storageClass was asked, and shows
        # when it was turned on and its terminal class set (conformance/kcc-golden/storage/
        # v1beta1/storagebucket/storagebucketautoclassnonstandard/_http.log, exchange 1).
        old = (previous or {}).get("autoclass") or {}
        was_on = bool(old.get("enabled"))
        autoclass.setdefault("terminalStorageClass", "NEARLINE")
        autoclass["toggleTime"] = old.get("toggleTime") if was_on else now
        same_terminal = was_on and old.get("terminalStorageClass") == autoclass["terminalStorageClass"]
        autoclass["terminalStorageClassUpdateTime"] = (
            old.get("terminalStorageClassUpdateTime") if same_terminal else now
        )
        out["autoclass"] = autoclass
        out["storageClass"] = "STANDARD"
    out["locationType"] = location_type(out)
    iam_config = dict(out.get("iamConfiguration") or {})
    ubla = dict(iam_config.get("uniformBucketLevelAccess") or iam_config.get("bucketPolicyOnly") or {})
    enabled = bool(ubla.get("enabled"))
    old_ubla = ((previous or {}).get("iamConfiguration") or {}).get("uniformBucketLevelAccess") or {}
    if enabled:
        locked = old_ubla.get("lockedTime") if old_ubla.get("enabled") else None
        ubla = {"enabled": True, "lockedTime": locked or call.ctx.clock.rfc3339(UBLA_LOCK_DAYS * 86_400)}
    else:
        if old_ubla.get("enabled") and old_ubla.get("lockedTime", "") < now:
            raise bucket_invalid("Uniform bucket-level access cannot be disabled after its lockedTime.")
        ubla = {"enabled": False}
    iam_config["uniformBucketLevelAccess"] = ubla
    iam_config["bucketPolicyOnly"] = dict(ubla)
    iam_config.setdefault("publicAccessPrevention", "inherited")
    if iam_config["publicAccessPrevention"] == "unspecified":
        iam_config["publicAccessPrevention"] = "inherited"
    out["iamConfiguration"] = iam_config
    created = (previous or {}).get("timeCreated", now)
    soft = dict(out.get("softDeletePolicy") or {})
    soft["retentionDurationSeconds"] = str(soft.get("retentionDurationSeconds", SOFT_DELETE_DEFAULT))
    old_soft = (previous or {}).get("softDeletePolicy") or {}
    same = old_soft.get("retentionDurationSeconds") == soft["retentionDurationSeconds"]
    soft["effectiveTime"] = old_soft["effectiveTime"] if same and old_soft.get("effectiveTime") else now
    if soft["retentionDurationSeconds"] == "0":
        # Soft delete off: no time it took effect (storagebucketbasic/_http.log #3 and #4 answer
        # `{"retentionDurationSeconds": "0"}` alone).
        soft.pop("effectiveTime")
    out["softDeletePolicy"] = soft
    if out["locationType"] in ("multi-region", "dual-region"):
        out.setdefault("rpo", "DEFAULT")
    if out["locationType"] == "region":
        # A single-region bucket is zone-isolated: every read of the one in kcc-golden
        # run/v1beta1/runjob/runjob-gcsvolume/_http.log (US-CENTRAL1: #1, #2, #4, #5, #15, #18) says
        # `"satisfiesPZI": true`; the 36 reads of multi-region US buckets in the corpus never do.
        # The corpus holds no other region, so every region is taken to be like us-central1.
        out["satisfiesPZI"] = True
    if not (out.get("lifecycle") or {}).get("rule"):
        # No rules, no lifecycle: a patch with `"lifecycle": {"rule": []}` is answered without
        # one (exchange 3 of conformance/kcc-golden/storage/v1beta1/storagebucket/
        # storagebucketbasic/_http.log).
        out.pop("lifecycle", None)
    metageneration = str(int((previous or {}).get("metageneration", "0")) + 1)
    project_number = (previous or {}).get("projectNumber") or bucket["projectNumber"]
    host = call.headers.get("Host", "storage.googleapis.com")
    out.update(
        {
            "kind": "storage#bucket",
            "id": out["name"],
            "selfLink": f"http://{host}/storage/v1/b/{out['name']}",
            "projectNumber": project_number,
            "metageneration": metageneration,
            "etag": etag_for(out["name"], metageneration),
            "timeCreated": created,
            "updated": now,
            # A bucket has a generation of its own since soft delete (every bucket answer of
            # conformance/kcc-golden/storage/); it names this incarnation of the name.
            "generation": (previous or {}).get("generation") or str(int(call.ctx.clock.now() * 1_000_000)),
        }
    )
    unchanged = ("metageneration", "etag", "updated")
    if previous and {k: v for k, v in out.items() if k not in unchanged} == {
        k: v for k, v in previous.items() if k not in unchanged
    }:
        # A change that changes nothing leaves the metageneration (and etag) as they were:
        # storagebucketautoclassdisabled/_http.log #3 patches `{}` and is answered
        # metageneration 1, #5 patches the labels and is answered 2.
        out.update({k: previous[k] for k in unchanged if k in previous})
    return out


def _acl_entry(project_number: str, team: str, role: str) -> dict[str, Any]:
    return {
        "entity": f"project-{team}-{project_number}",
        "projectTeam": {"projectNumber": project_number, "team": team},
        "role": role,
    }


def acls_shown_despite_uniform_access(patch: dict[str, Any]) -> bool:
    """Whether a patch of a bucket with uniform bucket-level access still answers its ACLs.

    Real GCS hides `acl`, `defaultObjectAcl` and `owner` of such a bucket in the answer to
    most patches, but a patch that only sets an enabled `autoclass` answers them all. Four
    recorded patches of such buckets, in conformance/kcc-golden/storage/v1beta1/storagebucket/,
    show it: storagebucketautoclass #3 (`autoclass` alone: ACLs and owner answered);
    storagebucketautoclassnonstandard #3 (`autoclass` with `labels`), storagebucketautoclassdisabled
    #3 (`{}`) and #5 (`labels`): none. Config Connector's mockgcp reads the same exchanges
    the same way (mockgcp/mockstorage/bucket.go, PatchBucket, since k8s-config-connector commit
    076bae6c46). The rule is kept as narrow as those exchanges: no recording shows a patch of
    any other field alone.
    """
    autoclass = patch.get("autoclass")
    return set(patch) == {"autoclass"} and isinstance(autoclass, dict) and autoclass.get("enabled") is True


def with_projection(
    call: Call, bucket: dict[str, Any], default: str = "noAcl", *, acls_despite_uniform: bool = False
) -> dict[str, Any]:
    """The bucket as answered: `projection=full` (the default of patch and update) adds the
    owner and, without uniform bucket-level access, the project-team ACLs every new bucket has
    (exchange 3 of conformance/kcc-golden/storage/v1beta1/storagebucket/storagebucketbasic/
    _http.log; https://cloud.google.com/storage/docs/json_api/v1/buckets/patch)."""
    if (call.query.get("projection") or default) != "full":
        return bucket
    number = bucket["projectNumber"]
    out = dict(bucket)
    ubla = ((bucket.get("iamConfiguration") or {}).get("uniformBucketLevelAccess") or {}).get("enabled")
    if not ubla or acls_despite_uniform:
        out["owner"] = {"entity": f"project-owners-{number}"}
        teams = (("owners", "OWNER"), ("editors", "OWNER"), ("viewers", "READER"))
        out["acl"] = [
            {
                "kind": "storage#bucketAccessControl",
                "id": f"{bucket['name']}/project-{team}-{number}",
                "selfLink": f"{bucket['selfLink']}/acl/project-{team}-{number}",
                "bucket": bucket["name"],
                **_acl_entry(number, team, role),
                "etag": bucket["etag"],
            }
            for team, role in teams
        ]
        out["defaultObjectAcl"] = [
            {"kind": "storage#objectAccessControl", **_acl_entry(number, team, role), "etag": bucket["etag"]}
            for team, role in teams
        ]
    return out
