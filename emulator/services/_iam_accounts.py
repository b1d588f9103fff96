"""Service accounts as other services see them: a lookup by email.

Cloud Run, Cloud Scheduler and every IAM policy refuse a service account that does not
exist; they all ask here.
"""

from __future__ import annotations

import re
from typing import Any

from emulator import service_agents
from emulator.state import Store

SERVICE_ACCOUNT = "iam.serviceAccount"
ACCOUNT_ID = r"[a-z]([-a-z0-9]{4,28}[a-z0-9])"
_PROJECT_ACCOUNT = re.compile(
    r"^([a-z][-a-z0-9]{4,28}[a-z0-9])@([a-z][-a-z0-9]{4,28}[a-z0-9])\.iam\.gserviceaccount\.com$"
)
_GOOGLE_MANAGED = re.compile(
    r"^(\d+-compute@developer\.gserviceaccount\.com"
    r"|service-\d+@[-a-z0-9]+\.iam\.gserviceaccount\.com"
    r"|\d+@cloudservices\.gserviceaccount\.com"
    r"|[-a-z0-9]+@appspot\.gserviceaccount\.com)$"
)


def email_of(account_id: str, project_id: str) -> str:
    return f"{account_id}@{project_id}.iam.gserviceaccount.com"


def default_compute_account(project_number: str) -> str:
    """The account revisions and jobs run as when none is named."""
    return f"{project_number}-compute@developer.gserviceaccount.com"


def find(store: Store, email: str) -> dict[str, Any] | None:
    for account in store.list(SERVICE_ACCOUNT):
        if account["email"] == email:
            return account
    return None


def missing(store: Store, email: str) -> bool:
    """Whether `email` names a user-managed account that does not exist.

    Google-managed identities (the default compute account, service agents) exist, except the
    service agents that must be generated first (`emulator.service_agents`); accounts of other,
    unknown projects cannot be checked and are taken on trust.
    """
    if service_agents.missing(store, email):
        return True
    if _GOOGLE_MANAGED.match(email):
        return False
    m = _PROJECT_ACCOUNT.match(email)
    if m is None:
        return not email.endswith(".gserviceaccount.com")
    known = {project_id for project_id in store.projects()}
    if m.group(2) not in known:
        return False
    account = find(store, email)
    return account is None or bool(account.get("disabled"))
