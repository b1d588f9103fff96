"""IAM policies attached to resources: read-modify-write with etags, as the real API."""

from __future__ import annotations

import base64
import os
import re
from typing import Any

from emulator import guardrails
from emulator.errors import aborted, invalid
from emulator.refusal import refusal
from emulator.services import _iam_accounts
from emulator.state import Store

POLICY_KIND = "iam.policy"
_MEMBER = re.compile(
    r"^(allUsers|allAuthenticatedUsers|"
    r"(user|serviceAccount|group|domain|principal|principalSet|deleted:user|deleted:serviceAccount|"
    r"deleted:group|projectOwner|projectEditor|projectViewer):.+)$"
)
_ROLE = re.compile(r"^(roles/[A-Za-z0-9_.]+|(projects|organizations)/[^/]+/roles/[A-Za-z0-9_.]+)$")


def _new_etag() -> str:
    return base64.b64encode(os.urandom(8)).decode()


def get_policy(store: Store, resource: str) -> dict[str, Any]:
    stored = store.get(POLICY_KIND, resource)
    if stored is None:
        # A policy never set is answered with its etag alone; once set (even back to no
        # bindings) it carries its version: kcc-golden container/v1beta1/containercluster/
        # containercluster-databaseencryption-all/_http.log, the key's first getIamPolicy
        # (`{"etag": ...}`) and the one after its binding was removed (`{"etag": ..., "version": 1}`).
        return {"etag": "ACAB"}
    return stored


def set_policy(store: Store, resource: str, policy: dict[str, Any]) -> dict[str, Any]:
    """Replace the policy; a stale etag is refused as a concurrent change."""
    current = get_policy(store, resource)
    if policy.get("etag") and policy["etag"] != current["etag"]:
        raise aborted(
            "There were concurrent policy changes. Please retry the whole read-modify-write with "
            "exponential backoff."
        )
    bindings = policy.get("bindings") or []
    for index, binding in enumerate(bindings):
        role = binding.get("role", "")
        if not _ROLE.match(role):
            raise invalid(
                f"Role {role!r} is not a valid role: roles must be of the form roles/NAME.",
                field=f"policy.bindings[{index}].role",
            )
        members = binding.get("members") or []
        for member in members:
            if not _MEMBER.match(member):
                raise invalid(
                    f"Invalid argument: member {member!r} must start with a valid prefix "
                    "(user:, serviceAccount:, group:, domain:, principal:, ...).",
                    field=f"policy.bindings[{index}].members",
                )
            kind, _, email = member.partition(":")
            # A binding naming a service account or service agent that does not exist (yet) is
            # refused, on projects, keys and secrets alike: "Error 400: Service account
            # service-<number>@gs-project-accounts.iam.gserviceaccount.com does not exist."
            # (https://github.com/hashicorp/terraform-provider-google/issues/9969, a KMS key
            # policy; terraform-google-modules/terraform-docs-samples#168, a secret's policy).
            if kind == "serviceAccount" and _iam_accounts.missing(store, email):
                raise invalid(
                    f"Service account {email} does not exist.", field=f"policy.bindings[{index}].members"
                )
    guardrails.refuse_policy_members(store, resource, [m for b in bindings for m in b.get("members") or []])
    conditional = any(b.get("condition") for b in bindings)
    stored: dict[str, Any] = {"version": 3 if conditional else 1, "etag": _new_etag()}
    kept = [b for b in bindings if b.get("members")]
    if kept:
        stored["bindings"] = kept
    if policy.get("auditConfigs"):
        stored["auditConfigs"] = policy["auditConfigs"]
    store.put(POLICY_KIND, resource, stored)
    return stored


def has_role(store: Store, resource: str, member: str, role: str) -> bool:
    policy = get_policy(store, resource)
    return any(
        b.get("role") == role and member in b.get("members", []) and not b.get("condition")
        for b in policy.get("bindings", [])
    )


def check_requested_version(query: dict[str, Any]) -> None:
    """`options.requestedPolicyVersion` of a getIamPolicy is 0, 1 or 3
    (https://cloud.google.com/iam/docs/policies#versions)."""
    requested = query.get("options.requestedPolicyVersion")
    if requested not in (None, 0, 1, 3):
        raise invalid(
            f"Invalid requested policy version {requested}; valid values are 0, 1 and 3.",
            field="options.requested_policy_version",
        )


#: setIamPolicy on projects, KMS keys and secrets alike.
MISSING_SERVICE_ACCOUNT = refusal(
    "*.setIamPolicy",
    "a binding naming a service account or service agent that does not exist (yet) (400)",
    source="hashicorp/terraform-provider-google#9969; terraform-google-modules/terraform-docs-samples#168",
    test="tests/emulator/test_service_agents.py::"
    "test_a_key_grant_to_an_agent_never_generated_is_refused_until_it_is",
)
