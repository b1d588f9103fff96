"""IAM v1 service accounts: create, get, list, patch, delete.

An account id is 6-30 characters; the email is `<id>@<project>.iam.gserviceaccount.com`
and the account can be addressed by email or unique id, with `-` for the project. Display
name and description are the only fields a patch may change, under the account's etag.
"""

from __future__ import annotations

import base64
import hashlib
import re
from typing import Any

from emulator import iam, standard
from emulator.collection import declare_get
from emulator.errors import ApiError, aborted, already_exists, invalid, not_found
from emulator.registry import Api, Call
from emulator.services._iam_accounts import ACCOUNT_ID, SERVICE_ACCOUNT, email_of

API = Api("iam", "v1")

MUTABLE = {"displayName", "description"}
_NAME = re.compile(r"^projects/([^/]+)/serviceAccounts/([^/]+)$")


def _etag(*parts: str) -> str:
    return base64.b64encode(hashlib.sha256("/".join(parts).encode()).digest()[:8]).decode()


def _unique_id(email: str) -> str:
    digest = int(hashlib.sha256(email.encode()).hexdigest(), 16)
    return str(100_000_000_000_000_000_000 + digest % 900_000_000_000_000_000_000)


def _lookup(call: Call, name: str, permission: str) -> dict[str, Any]:
    m = _NAME.match(name)
    if not m:
        raise invalid(f"Invalid service account name: {name}", field="name")
    project, key = m.groups()
    project_id = None if project == "-" else call.ctx.projects.require(project, permission)[0]
    for account in call.ctx.store.list(SERVICE_ACCOUNT):
        if key in (account["email"], account["uniqueId"]) and project_id in (None, account["projectId"]):
            return account
    raise not_found(f"Unknown service account {key}")


def _check_text(account: dict[str, Any]) -> None:
    if len(account.get("displayName") or "") > 100:
        raise invalid(
            "The display name must be at most 100 characters.", field="service_account.display_name"
        )
    if len(account.get("description") or "") > 256:
        raise invalid("The description must be at most 256 characters.", field="service_account.description")


@API.handles("iam.projects.serviceAccounts.create")
def create_account(call: Call) -> dict[str, Any]:
    project = call.param("name").removeprefix("projects/")
    project_id, _ = call.ctx.projects.require(project, "iam.serviceAccounts.create")
    body = call.body or {}
    account_id = body.get("accountId") or ""
    if not re.fullmatch(ACCOUNT_ID, account_id):
        raise invalid(
            f"Invalid account id '{account_id}': it must be 6-30 characters of lowercase letters,"
            " digits and '-', start with a letter and not end with '-'.",
            field="account_id",
        )
    email = email_of(account_id, project_id)
    name = f"projects/{project_id}/serviceAccounts/{email}"
    if call.ctx.store.get(SERVICE_ACCOUNT, name) is not None:
        raise already_exists(
            f"Service account {account_id} already exists within project projects/{project_id}."
        )
    given = standard.drop_none(body.get("serviceAccount") or {})
    _check_text(given)
    unique_id = _unique_id(email)
    account: dict[str, Any] = {
        "name": name,
        "projectId": project_id,
        "uniqueId": unique_id,
        "email": email,
        "oauth2ClientId": unique_id,
        "etag": _etag(email, call.ctx.clock.rfc3339()),
    }
    for key in MUTABLE:
        if given.get(key):
            account[key] = given[key]
    call.ctx.store.put(SERVICE_ACCOUNT, name, account, f"projects/{project_id}")
    return account


@API.handles("iam.projects.serviceAccounts.list")
def list_accounts(call: Call) -> dict[str, Any]:
    project = call.param("name").removeprefix("projects/")
    project_id, _ = call.ctx.projects.require(project, "iam.serviceAccounts.list")
    items = call.ctx.store.list(SERVICE_ACCOUNT, f"projects/{project_id}")
    items.sort(key=lambda a: a["email"])
    return standard.list_answer(call, "accounts", items, default_size=20, max_size=100)


@API.handles("iam.projects.serviceAccounts.patch")
def patch_account(call: Call) -> dict[str, Any]:
    current = _lookup(call, call.param("name"), "iam.serviceAccounts.update")
    body = call.body or {}
    given = body.get("serviceAccount") or {}
    mask = {standard.camel(p.strip()) for p in str(body.get("updateMask") or "").split(",") if p.strip()}
    if not mask:
        raise invalid("update_mask is required.", field="update_mask")
    if mask - MUTABLE:
        raise invalid(
            f"Field(s) {', '.join(sorted(mask - MUTABLE))} cannot be updated; updatable fields are"
            " display_name and description.",
            field="update_mask",
        )
    if given.get("etag") and given["etag"] != current["etag"]:
        raise aborted("The etag in the request does not match the current etag of the service account.")
    updated = dict(current)
    for key in mask:
        if given.get(key):
            updated[key] = given[key]
        else:
            updated.pop(key, None)
    _check_text(updated)
    updated["etag"] = _etag(current["etag"], *(str(updated.get(k)) for k in sorted(MUTABLE)))
    call.ctx.store.put(SERVICE_ACCOUNT, current["name"], updated, f"projects/{current['projectId']}")
    # The answer holds the name and the fields the mask named, nothing else (conformance/
    # kcc-golden/iam/v1beta1/iamserviceaccount/iamserviceaccount-full/_http.log #3: a patch of
    # description,display_name answers those two and `name`, no email, etag or ids).
    return {"name": updated["name"], **{k: updated[k] for k in sorted(mask) if k in updated}}


def _set_disabled(call: Call, permission: str, disabled: bool) -> dict[str, Any]:
    """disable/enable: the account shows `disabled: true` while disabled and no `disabled` field
    otherwise; the answer is empty (https://cloud.google.com/iam/docs/reference/rest/v1/
    projects.serviceAccounts/disable; kcc-golden iam/v1beta1/iamserviceaccount/
    iamserviceaccount-disabled/_http.log #3 answers `{}` and #4 reads `"disabled": true`)."""
    current = _lookup(call, call.param("name"), permission)
    updated = {k: v for k, v in current.items() if k != "disabled"}
    if disabled:
        updated["disabled"] = True
    call.ctx.store.put(SERVICE_ACCOUNT, current["name"], updated, f"projects/{current['projectId']}")
    return {}


@API.handles("iam.projects.serviceAccounts.disable")
def disable_account(call: Call) -> dict[str, Any]:
    return _set_disabled(call, "iam.serviceAccounts.disable", True)


@API.handles("iam.projects.serviceAccounts.enable")
def enable_account(call: Call) -> dict[str, Any]:
    return _set_disabled(call, "iam.serviceAccounts.enable", False)


@API.handles("iam.projects.serviceAccounts.delete")
def delete_account(call: Call) -> dict[str, Any]:
    current = _lookup(call, call.param("name"), "iam.serviceAccounts.delete")
    if call.ctx.store.get(iam.POLICY_KIND, current["name"]) is not None:
        call.ctx.store.delete(iam.POLICY_KIND, current["name"])
    if not call.ctx.store.delete(SERVICE_ACCOUNT, current["name"]):
        raise ApiError(500, "The service account could not be deleted.")
    return {}


declare_get(API, "iam.projects.serviceAccounts.get", _lookup, "iam.serviceAccounts.get")
