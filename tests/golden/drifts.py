"""One typical out-of-band change per kind, for the golden logs of what correcting it sends.

Each drift is made through the kind's own update (or delete), as if by hand in the console:
`record.py` changes the first resource of the kind that the drift applies to, and the next
apply must put it back. A new kind needs an entry here (the recording refuses to run
without one); `None` says why a kind has no drift of its own to correct.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from provisioner.engine.resource import Resource


@dataclass(frozen=True)
class Drift:
    """A field of the live resource set to another value."""

    path: str
    value: Any
    #: Only resources whose address contains this (the drift makes sense for them).
    among: str = ""
    #: What a computed value (a function of the old one) does, for index.txt.
    shows: str = ""

    def describe(self) -> str:
        return f"{self.path} {self.shows}" if self.shows else f"{self.path} set to {self.value!r}"

    def applies(self, resource: Resource) -> bool:
        return self.among in resource.address and _parent(resource.body, self.path) is not None

    def change(self, body: dict[str, Any]) -> dict[str, Any]:
        changed = copy.deepcopy(body)
        parent = _parent(changed, self.path)
        last = self.path.rsplit(".", 1)[-1]
        value = self.value(parent[_key(parent, last)]) if callable(self.value) else self.value
        parent[_key(parent, last)] = value
        return changed


@dataclass(frozen=True)
class Deleted:
    """The resource deleted by hand: correcting it means making it again."""

    why: str
    among: str = ""

    def describe(self) -> str:
        return f"deleted ({self.why})"

    def applies(self, resource: Resource) -> bool:
        return self.among in resource.address


def _key(node: Any, part: str) -> Any:
    return int(part) if isinstance(node, list) else part


def _parent(body: Any, path: str) -> Any:
    node = body
    *parents, last = path.split(".")
    for part in parents:
        try:
            node = node[_key(node, part)]
        except (KeyError, IndexError, TypeError, ValueError):
            return None
    if isinstance(node, dict) and last in node:
        return node
    if isinstance(node, list) and last.isdigit() and int(last) < len(node):
        return node
    return None


DRIFTS: dict[str, Drift | Deleted | None] = {
    "compute.backend_service": Drift("enableCDN", True, among="api-backend"),
    "compute.firewall": Drift("sourceRanges", ["0.0.0.0/0"]),
    "compute.global_address": Drift("labels.team", "someone-else"),
    "compute.global_forwarding_rule": Drift("labels.team", "someone-else"),
    "compute.network": Drift("routingConfig.routingMode", "GLOBAL"),
    "compute.region_network_endpoint_group": None,
    "compute.router": Drift("nats.0.logConfig.enable", False),
    "compute.security_policy": Drift("rules.0.preview", True),
    "compute.ssl_certificate": None,
    "compute.subnetwork": Drift("privateIpGoogleAccess", False),
    "compute.target_http_proxy": Drift(
        "urlMap", lambda link: link.removesuffix("-redirect"), shows="pointed at the HTTPS URL map"
    ),
    "compute.target_https_proxy": Drift(
        "urlMap", lambda link: link + "-redirect", shows="pointed at the redirecting URL map"
    ),
    "compute.url_map": Drift("hostRules.0.hosts", ["drifted.example.com"]),
    "gke.cluster": Drift("resourceLabels.team", "someone-else"),
    "gke.node_pool": Drift("autoscaling.totalMaxNodeCount", 3),
    "iam.project_roles": Drift("roles", lambda roles: roles[:-1], shows="without its last role"),
    "iam.service_account": Drift("displayName", "changed by hand"),
    "kms.crypto_key": Drift("rotationPeriod", "2592000s"),
    "kms.key_iam": Deleted("the grant removed by hand"),
    "kms.key_ring": None,
    "logging.metric": Deleted("the log-based metric deleted by hand"),
    "monitoring.alert_policy": Drift("displayName", "changed by hand"),
    "monitoring.dashboard": Drift("displayName", "changed by hand"),
    "monitoring.metric_descriptor": Drift("description", "changed by hand"),
    "monitoring.notification_channel": Drift("enabled", False),
    "monitoring.uptime_check": Drift("httpCheck.path", "/changed-by-hand"),
    "run.job": Drift("template.taskCount", 2),
    "run.invokers": Deleted("the public grant removed by hand"),
    "run.service": Drift("ingress", "INGRESS_TRAFFIC_ALL"),
    "scheduler.job": Drift("schedule", "0 * * * *"),
    "secrets.generated_value": None,
    "secrets.secret": Drift("labels.team", "someone-else"),
    "servicenetworking.connection": None,
    "serviceusage.service": None,
    "serviceusage.service_identity": None,
    "sql.database": Deleted("dropped by hand"),
    "sql.instance": Drift("settings.tier", "db-custom-4-16384"),
    "sql.user": Deleted("dropped by hand"),
    "storage.bucket": Drift("versioning.enabled", False),
    "vpcaccess.connector": None,
}
#: Why a kind has no drift here (shown in index.txt).
NO_DRIFT = {
    "vpcaccess.connector": "its instance counts only grow, so a grown one is not put back",
    "compute.region_network_endpoint_group": "nothing of it changes in place, and its backend holds it",
    "compute.ssl_certificate": "nothing of it changes in place, and its proxy holds it",
    "kms.key_ring": "nothing of a key ring can change, and it cannot be deleted",
    "secrets.generated_value": "a generated value is made once and never compared",
    "servicenetworking.connection": "the peering is only ever widened, with the range it names",
    "serviceusage.service": "an API disabled by hand takes its resources with it",
    "serviceusage.service_identity": "a service agent, once generated, cannot be removed by hand",
}
