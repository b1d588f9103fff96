"""Cloud Billing v1: whether a project has a billing account linked.

Calls to this API are accounted to the caller's quota project, not to the project they name
(https://cloud.google.com/docs/quotas/quota-project), so they are not refused when the named
project has the Cloud Billing API off.
"""

from __future__ import annotations

from typing import Any

from emulator import guardrails
from emulator.errors import invalid
from emulator.registry import Api, Call

API = Api("cloudbilling", "v1")


@API.handles("cloudbilling.projects.getBillingInfo")
def get_billing_info(call: Call) -> dict[str, Any]:
    # "The current authenticated user must have the resourcemanager.projects.get permission"
    # (https://cloud.google.com/billing/docs/reference/rest/v1/projects/getBillingInfo).
    project_id, _ = call.ctx.projects.require(
        call.param("name").removeprefix("projects/"), "resourcemanager.projects.get"
    )
    return guardrails.billing(call.ctx.store, project_id)


@API.handles("cloudbilling.projects.updateBillingInfo")
def update_billing_info(call: Call) -> dict[str, Any]:
    """Link the project to the billing account named, or unlink it when the name is empty
    ("If the billing_account_name is empty ... the project is disassociated from its billing
    account": https://cloud.google.com/billing/docs/reference/rest/v1/projects/updateBillingInfo).
    Answered with the new ProjectBillingInfo, as recorded in kcc-golden compute/v1beta1/
    computeforwardingrule/regionalcomputeforwardingrulepsc-direct/_http.log #4."""
    # Changing the account needs resourcemanager.projects.createBillingAssignment on the project
    # (same page).
    project_id, _ = call.ctx.projects.require(
        call.param("name").removeprefix("projects/"), "resourcemanager.projects.createBillingAssignment"
    )
    account = str((call.body or {}).get("billingAccountName") or "")
    kind, _, account_id = account.partition("/")
    if account and (kind != "billingAccounts" or not account_id or "/" in account_id):
        raise invalid(
            f"Invalid billing account name '{account}': expected billingAccounts/{{billing_account_id}}.",
            field="billing_account_name",
        )
    guardrails.set_billing(call.ctx.store, project_id, bool(account), account or None)
    return guardrails.billing(call.ctx.store, project_id)


@API.handles("cloudbilling.billingAccounts.testIamPermissions")
def test_account_permissions(call: Call) -> dict[str, Any]:
    """The permissions of those asked that the caller holds on the billing account; the caller
    is an administrator of every account unless a test says otherwise (recorded: all of
    `billing.resourceAssociations.create` granted, psc-direct/_http.log #1)."""
    asked = [str(p) for p in (call.body or {}).get("permissions") or []]
    held = guardrails.test_permissions(call.ctx.store, call.param("resource"), asked)
    return {"permissions": held} if held else {}
