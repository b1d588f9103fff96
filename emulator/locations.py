"""Known Google Cloud locations, shared by every service that checks a location."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from emulator.errors import invalid

if TYPE_CHECKING:
    from emulator.registry import Call

REGIONS = frozenset(
    {
        "africa-south1",
        "asia-east1",
        "asia-east2",
        "asia-northeast1",
        "asia-northeast2",
        "asia-northeast3",
        "asia-south1",
        "asia-south2",
        "asia-southeast1",
        "asia-southeast2",
        "australia-southeast1",
        "australia-southeast2",
        "europe-central2",
        "europe-north1",
        "europe-north2",
        "europe-southwest1",
        "europe-west1",
        "europe-west2",
        "europe-west3",
        "europe-west4",
        "europe-west6",
        "europe-west8",
        "europe-west9",
        "europe-west10",
        "europe-west12",
        "me-central1",
        "me-central2",
        "me-west1",
        "northamerica-northeast1",
        "northamerica-northeast2",
        "northamerica-south1",
        "southamerica-east1",
        "southamerica-west1",
        "us-central1",
        "us-east1",
        "us-east4",
        "us-east5",
        "us-south1",
        "us-west1",
        "us-west2",
        "us-west3",
        "us-west4",
    }
)

# Cloud KMS multi-regions and the Cloud Storage multi-regions they serve.
KMS_MULTI_REGIONS = frozenset({"global", "us", "europe", "asia"})
STORAGE_MULTI_REGIONS = {"US": "us", "EU": "europe", "ASIA": "asia"}
# Predefined dual-regions and the KMS multi-region that covers them.
STORAGE_DUAL_REGIONS = {
    "NAM4": "us",
    "EUR4": "europe",
    "EUR5": "europe",
    "EUR7": "europe",
    "EUR8": "europe",
    "ASIA1": "asia",
}


def is_region(location: str) -> bool:
    return location.lower() in REGIONS


_REGIONAL_PARENT = re.compile(r"^projects/([^/]+)/locations/([^/]+)$")


def regional_parent(
    call: Call, parent: str, permission: str, *, malformed: str, not_a_region: str
) -> tuple[str, str]:
    """(project id, region) of a `projects/<id or number>/locations/<region>` parent; the project
    must be known to the caller, the location a region. The two refusals are worded by the API
    (`{parent}` and `{location}` stand for what the request named)."""
    m = _REGIONAL_PARENT.match(parent)
    if not m:
        raise invalid(malformed.format(parent=parent), field="parent")
    project_id, _ = call.ctx.projects.require(m.group(1), permission)
    if not is_region(m.group(2)):
        raise invalid(not_a_region.format(location=m.group(2)), field="parent")
    return project_id, m.group(2)
