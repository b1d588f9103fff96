"""Organisation policies that refuse IAM grants: domain restricted sharing.

`constraints/iam.allowedPolicyMemberDomains` limits the members an IAM policy may name to the
allowed customers' identities; `allUsers` and `allAuthenticatedUsers` belong to no customer, so
a policy naming them is refused (https://cloud.google.com/resource-manager/docs/organization-policy/restricting-domains).
The emulator cannot tell which customer a user or group belongs to; it enforces the part that
needs no directory: the public principals. Tests set the policy per project through
`Emulator.set_org_policy` (or `POST /_emulator/org-policies`).
"""

from __future__ import annotations

from typing import Any

from emulator.errors import ApiError
from emulator.state import Store

POLICY_KIND = "orgpolicy.policy"
DOMAIN_RESTRICTED_SHARING = "iam.allowedPolicyMemberDomains"
CONSTRAINTS = (DOMAIN_RESTRICTED_SHARING,)
PUBLIC_MEMBERS = ("allUsers", "allAuthenticatedUsers")


def set_policy(store: Store, project_id: str, constraint: str, allowed_values: list[str] | None) -> None:
    """Enforce `constraint` on the project with these allowed values; None lifts it."""
    if constraint not in CONSTRAINTS:
        raise ValueError(f"unknown constraint {constraint!r}; known: {', '.join(CONSTRAINTS)}")
    key = f"projects/{project_id}/policies/{constraint}"
    if allowed_values is None:
        store.delete(POLICY_KIND, key)
    else:
        store.put(POLICY_KIND, key, {"constraint": constraint, "allowedValues": list(allowed_values)})


def check_members(store: Store, project_id: str, policy: dict[str, Any]) -> None:
    """Refuse an IAM policy naming a public principal in a project under domain restricted sharing.

    The answer is the real one: 400 FAILED_PRECONDITION, the message Cloud Run's setIamPolicy
    gave (GoogleCloudPlatform/genai-for-marketing#153) and a PreconditionFailure naming the
    constraint (terraform-google-modules/terraform-example-foundation#1454).
    """
    if store.get(POLICY_KIND, f"projects/{project_id}/policies/{DOMAIN_RESTRICTED_SHARING}") is None:
        return
    public = sorted(
        {m for b in policy.get("bindings") or [] for m in b.get("members") or [] if m in PUBLIC_MEMBERS}
    )
    if not public:
        return
    raise ApiError(
        400,
        "One or more users named in the policy do not belong to a permitted customer,  perhaps due to"
        " an organization policy.",
        status="FAILED_PRECONDITION",
        reason="failedPrecondition",
        details=[
            {
                "@type": "type.googleapis.com/google.rpc.PreconditionFailure",
                "violations": [
                    {
                        "type": f"constraints/{DOMAIN_RESTRICTED_SHARING}",
                        "subject": f"orgpolicy:projects/{project_id}?configvalue={member}",
                        "description": f"User {member} is not in permitted organization.",
                    }
                    for member in public
                ],
            }
        ],
    )
