"""Service agents: the Google-managed identities a service acts as in a project.

Google creates a service agent "at some point after you activate and use the API"
(https://cloud.google.com/iam/docs/service-agents), and "if a service agent hasn't been created
yet, then you can't grant roles to the service agent"
(https://cloud.google.com/iam/docs/create-service-agents). A caller that must grant a role
first asks for the agent: Service Usage v1beta1 `services.generateServiceIdentity`, or, for
Cloud Storage, the JSON API's `projects.serviceAccount.get`.

Modelled strictly here are the agents customer-managed encryption needs, whose documentation
tells the caller to create them before granting them a key:

- Cloud SQL: `gcloud beta services identity create --service=sqladmin.googleapis.com`
  (https://cloud.google.com/sql/docs/postgres/configure-cmek#create-service-account);
- Secret Manager: `gcloud beta services identity create --service secretmanager.googleapis.com`
  (https://cloud.google.com/secret-manager/docs/cmek);
- Cloud Storage: `projects.serviceAccount.get` creates it on first call
  (https://cloud.google.com/storage/docs/getting-service-agent).

Other agents (GKE's container-engine-robot, Cloud Run's serverless-robot-prod, Compute's
compute-system, the Google APIs agent `@cloudservices`) are made by Google as their APIs are
enabled and used, with no call a client can make to see when; this emulator takes them as
existing, as it takes agents of unknown domains.
"""

from __future__ import annotations

import re

from emulator.state import Store

KIND = "serviceusage.serviceIdentity"

#: Agent email domain (before `.iam.gserviceaccount.com`) -> the service whose agent it is.
GENERATED_ON_REQUEST: dict[str, str] = {
    "gcp-sa-cloud-sql": "sqladmin.googleapis.com",
    "gcp-sa-secretmanager": "secretmanager.googleapis.com",
    "gs-project-accounts": "storage.googleapis.com",
}
#: The agents of the other services this deployment enables, by the domains the service agents
#: page lists (https://cloud.google.com/iam/docs/service-agents); any other service's agent is
#: named by the common `gcp-sa-<service>` pattern.
OTHER_DOMAINS: dict[str, str] = {
    "compute.googleapis.com": "compute-system",
    "container.googleapis.com": "container-engine-robot",
    "run.googleapis.com": "serverless-robot-prod",
    "vpcaccess.googleapis.com": "gcp-sa-vpcaccess",
    "servicenetworking.googleapis.com": "service-networking",
    "cloudscheduler.googleapis.com": "gcp-sa-cloudscheduler",
    "monitoring.googleapis.com": "gcp-sa-monitoring-notification",
}
_DOMAIN_OF = {service: domain for domain, service in GENERATED_ON_REQUEST.items()}
_AGENT = re.compile(r"^service-(\d+)@([-a-z0-9]+)\.iam\.gserviceaccount\.com$")


def email(number: str, service: str) -> str | None:
    """The agent of `service` in project `number`, if it is one this emulator models."""
    domain = _DOMAIN_OF.get(service)
    return f"service-{number}@{domain}.iam.gserviceaccount.com" if domain else None


def any_email(number: str, service: str) -> str:
    """The agent `generateServiceIdentity` answers for `service`, modelled or not."""
    domain = _DOMAIN_OF.get(service) or OTHER_DOMAINS.get(service) or f"gcp-sa-{service.split('.')[0]}"
    return f"service-{number}@{domain}.iam.gserviceaccount.com"


def generate(store: Store, number: str, service: str) -> str | None:
    """Make the agent exist (idempotent); its email, or None for a service without a modelled one."""
    address = email(number, service)
    if address is not None and store.get(KIND, address) is None:
        store.put(KIND, address, {"email": address, "service": service}, parent=f"projects/{number}")
    return address


def missing(store: Store, address: str) -> bool:
    """Whether `address` is the agent of a modelled service in a known project that was never generated."""
    m = _AGENT.match(address)
    if m is None or m.group(2) not in GENERATED_ON_REQUEST:
        return False
    if m.group(1) not in store.projects().values():
        return False  # another project's agent: cannot be checked, taken on trust
    return store.get(KIND, address) is None
