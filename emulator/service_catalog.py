"""Which Google APIs a project has enabled, and the 403 a call to a disabled one gets.

A new project starts with the APIs Google enables on every project made through the console
or gcloud (the Service Usage docs' "services enabled by default" list). Cloud Resource
Manager is enabled here as well: every caller asks it for the project number before
anything else, and the credentials of a real caller come from a project where it is on.
Only what differs from that starting point is stored, one record per project and API, so a
project registered in another process, or after a reset, starts from the same defaults.
"""

from __future__ import annotations

from functools import cache

from emulator.errors import ApiError, error_info
from emulator.state import Store

KIND = "serviceusage.service"

#: The services Google enables on a new project, with their titles.
DEFAULT_ENABLED: dict[str, str] = {
    "analyticshub.googleapis.com": "Analytics Hub API",
    "bigquery.googleapis.com": "BigQuery API",
    "bigqueryconnection.googleapis.com": "BigQuery Connection API",
    "bigquerydatapolicy.googleapis.com": "BigQuery Data Policy API",
    "bigquerymigration.googleapis.com": "BigQuery Migration API",
    "bigqueryreservation.googleapis.com": "BigQuery Reservation API",
    "bigquerystorage.googleapis.com": "BigQuery Storage API",
    "dataform.googleapis.com": "Dataform API",
    "dataplex.googleapis.com": "Cloud Dataplex API",
    "datastore.googleapis.com": "Cloud Datastore API",
    "logging.googleapis.com": "Cloud Logging API",
    "monitoring.googleapis.com": "Cloud Monitoring API",
    "sql-component.googleapis.com": "Cloud SQL",
    "storage-component.googleapis.com": "Cloud Storage",
    "storage.googleapis.com": "Cloud Storage API",
    "storage-api.googleapis.com": "Google Cloud Storage JSON API",
    "cloudtrace.googleapis.com": "Cloud Trace API",
    "cloudapis.googleapis.com": "Google Cloud APIs",
    "servicemanagement.googleapis.com": "Service Management API",
    "serviceusage.googleapis.com": "Service Usage API",
    "cloudresourcemanager.googleapis.com": "Cloud Resource Manager API",
}

#: Services a caller may enable beyond the ones the emulator serves and the defaults.
OTHER_SERVICES: dict[str, str] = {
    "artifactregistry.googleapis.com": "Artifact Registry API",
    "cloudbuild.googleapis.com": "Cloud Build API",
    "containerregistry.googleapis.com": "Container Registry API",
    "iamcredentials.googleapis.com": "IAM Service Account Credentials API",
    "pubsub.googleapis.com": "Cloud Pub/Sub API",
    "redis.googleapis.com": "Google Cloud Memorystore for Redis API",
    "sqladmin.googleapis.com": "Cloud SQL Admin API",
    "certificatemanager.googleapis.com": "Certificate Manager API",
    "dns.googleapis.com": "Cloud DNS API",
    "file.googleapis.com": "Cloud Filestore API",
    "cloudfunctions.googleapis.com": "Cloud Functions API",
    "appengine.googleapis.com": "App Engine Admin API",
    "dataflow.googleapis.com": "Dataflow API",
    "bigtableadmin.googleapis.com": "Cloud Bigtable Admin API",
    "spanner.googleapis.com": "Cloud Spanner API",
    "aiplatform.googleapis.com": "Vertex AI API",
    "cloudbilling.googleapis.com": "Cloud Billing API",
    "iap.googleapis.com": "Cloud Identity-Aware Proxy API",
    "networkmanagement.googleapis.com": "Network Management API",
    "osconfig.googleapis.com": "OS Config API",
    # enabled and disabled by conformance/kcc-golden/serviceusage/v1beta1/service/service
    "runtimeconfig.googleapis.com": "Cloud Runtime Configuration API",
    "binaryauthorization.googleapis.com": "Binary Authorization API",
}

#: Discovery names whose service is spelled differently.
_SERVICE_OF_DISCOVERY = {"sqladmin": "sqladmin.googleapis.com"}


def service_of(discovery_name: str) -> str:
    """The service name an API's calls are accounted to (`compute` -> `compute.googleapis.com`)."""
    return _SERVICE_OF_DISCOVERY.get(discovery_name, f"{discovery_name}.googleapis.com")


@cache
def catalog() -> dict[str, str]:
    """Every service a project can enable here, with its title."""
    from emulator.services import all_apis

    known = {**OTHER_SERVICES, **DEFAULT_ENABLED}
    for api in all_apis():
        known.setdefault(service_of(api.name), str(api.document.raw.get("title") or api.name))
    return dict(sorted(known.items()))


def record_name(number: str, service: str) -> str:
    return f"projects/{number}/services/{service}"


def is_enabled(store: Store, number: str, service: str) -> bool:
    record = store.get(KIND, record_name(number, service))
    if record is not None:
        return record.get("state") == "ENABLED"
    return service in DEFAULT_ENABLED


def is_usable(store: Store, number: str, service: str, now: float) -> bool:
    """Enabled, and past the propagation window of its enable (`usableAt`, emulator time)."""
    record = store.get(KIND, record_name(number, service))
    if record is not None:
        return record.get("state") == "ENABLED" and now >= float(record.get("usableAt", 0.0))
    return service in DEFAULT_ENABLED


def set_state(store: Store, number: str, service: str, enabled: bool) -> None:
    store.put(
        KIND,
        record_name(number, service),
        {"state": "ENABLED" if enabled else "DISABLED"},
        parent=f"projects/{number}",
    )


def service_disabled(number: str, service: str) -> ApiError:
    """The answer to a call to an API the project has not enabled, as Google gives it."""
    title = catalog().get(service, service)
    url = f"https://console.developers.google.com/apis/api/{service}/overview?project={number}"
    message = (
        f"{title} has not been used in project {number} before or it is disabled. Enable it by "
        f"visiting {url} then retry. If you enabled this API recently, wait a few minutes for the "
        "action to propagate to our systems and retry."
    )
    metadata = {
        "service": service,
        "consumer": f"projects/{number}",
        "containerInfo": number,
        "serviceTitle": title,
        "activationUrl": url,
    }
    help_links = {
        "@type": "type.googleapis.com/google.rpc.Help",
        "links": [{"description": "Google developers console API activation", "url": url}],
    }
    return ApiError(
        403,
        message,
        reason="accessNotConfigured",
        domain="usageLimits",
        details=[error_info("SERVICE_DISABLED", "googleapis.com", metadata), help_links],
    )
