"""Cloud Billing v1: whether a project has a billing account linked.

Calls to this API are accounted to the caller's quota project, not to the project they name
(https://cloud.google.com/docs/quotas/quota-project), so they are not refused when the named
project has the Cloud Billing API off.
"""

from __future__ import annotations

from typing import Any

from emulator import guardrails
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
