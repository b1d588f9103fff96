"""Cloud Armor regional security policies: a policy of a region, for its regional backend
services.

Rules are checked as on a global policy (unique priorities, the default rule added where it is
missing); patch changes the rest with the current fingerprint and replaces the rules when it
carries them; labels change through setLabels with the label fingerprint. A policy a
regional backend service names cannot be deleted.
"""

from __future__ import annotations

from typing import Any

from emulator.registry import Api, Call, Reply
from emulator.services import _compute as c
from emulator.services import _compute_collection as cc
from emulator.services import _lb as lb
from emulator.services import compute_security_policies as policies

API = Api("compute", "v1")

KIND = c.Regional("securityPolicies", lb.REGION_SECURITY_POLICY, "compute#securityPolicy", "securityPolicy")
# https://cloud.google.com/compute/docs/reference/rest/v1/regionSecurityPolicies (type)
TYPES = ("CLOUD_ARMOR", "CLOUD_ARMOR_NETWORK", "CLOUD_ARMOR_INTERNAL_SERVICE")


@API.handles("compute.regionSecurityPolicies.insert")
@c.replaying
def insert_policy(call: Call) -> Reply:
    project_id, region_name, body, path, base = c.regional_insert(call, KIND)
    # `region` is output only: the recording sends the bare name, answered 200 (exchange 1 of
    # conformance/kcc-golden/compute/v1beta1/computesecuritypolicy/computesecuritypolicy-regional/
    # _http.log), and shows the link.
    body.pop("region", None)
    # The type is CLOUD_ARMOR where none is sent (exchange 2 of the same log).
    policy_type = body.get("type", "CLOUD_ARMOR")
    if policy_type not in TYPES:
        raise c.field_error("resource.type", policy_type, f"Regional policies are one of {', '.join(TYPES)}.")
    c.check_labels(body.get("labels"))
    labels = body.get("labels") or {}
    policy = {
        **body,
        **base,
        "name": body["name"],
        "type": policy_type,
        "rules": policies.rules_of(body),
        "region": c.link(f"projects/{project_id}/regions/{region_name}"),
        "selfLink": c.link(path),
        "fingerprint": c.fingerprint(),
        "labelFingerprint": c.fingerprint(labels),
    }
    return lb.write(call, KIND, "insert", policy, None)


@API.handles("compute.regionSecurityPolicies.patch")
@c.replaying
def patch_policy(call: Call) -> Reply:
    _, _, path, current = c.regional_target(call, KIND)
    body: dict[str, Any] = {k: v for k, v in (call.body or {}).items() if v is not None}
    lb.check_fingerprint(body, current)
    # Rules sent with a patch replace the policy's rules (exchanges 3 and 4 of the log above: a
    # second rule sent, both read back), as on a global policy.
    new_rules = policies.rules_of(body) if "rules" in body else None
    body.pop("rules", None)
    for key in ("region", *c.OUTPUT_ONLY):
        body.pop(key, None)
    lb.check_unchanged(body, current, ("name", "type"))
    for key in body:
        if key not in policies.PATCHABLE | {"name", "type", "labels", "labelFingerprint"}:
            raise c.field_error(f"resource.{key}", body[key], "This field cannot be updated with patch.")
    changes = {k: v for k, v in body.items() if k in policies.PATCHABLE}
    if new_rules is not None:
        changes["rules"] = new_rules
    return lb.set_fields(call, KIND, "patch", path, current, changes)


COLLECTION = cc.declare(
    API,
    cc.Collection(
        KIND,
        frozenset({"get", "list", "setLabels", "delete"}),
        resource="regionSecurityPolicies",
        referenced=True,
        refusals=(lb.IN_USE, lb.STALE_FINGERPRINT),
    ),
)
