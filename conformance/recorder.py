"""What the recording cannot tell about Google, declared once, each with its source.

The corpus was written by Config Connector's test harness, and two things in it are not
Google's answer as sent:

- The harness's normaliser rewrites or deletes some fields of every answer before it writes the
  log (k8s-config-connector tests/e2e/normalize.go). A field it deletes cannot be recalled and
  is not an extra field when the emulator returns it.
- Some logs were rewritten from mockgcp, Config Connector's own fake of the APIs, not from real
  Google: the harness writes the golden log from whichever target the test ran against, and
  mockgcp adds Google's response headers itself (k8s-config-connector
  mockgcp/common/httptogrpc/gcp.go, `addGCPHeaders`: `Server: ESF`, `Vary: Origin, X-Origin,
  Referer`, `X-Xss-Protection: 0`, the headers every corpus log shows). Where an answer carries
  values only mockgcp writes, the fields mockgcp never fills are not evidence that Google leaves
  them out, and the values it invents are not Google's.

Every rule names the API host it concerns, the fields (as `score.leaves` spells them; a field
covers the leaves under it), whether it excuses an *absent* field (the recording lacks what the
emulator returns), an *invented* one (the recording has what Google does not send) or a *value*,
and the source. A request mockgcp accepted where Google refuses it is declared apart
(`MockAccepted`): the replay counts it, and the operation it started, as *mock-accepted*, in no
rate, when the emulator refuses it as Google does.
Exchanges are numbered from 0 in their log, as `--diffs` shows them.
A rule never hides a field the recording does show: an absent-rule only applies where the real
answer lacks the field, and a value-rule only stops the comparison of that one value.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from emulator.services.compute_instance_group_managers import CURRENT_ACTIONS

#: An operation answer embeds the resource in `metadata` and `response` (google.longrunning).
_OPERATION_PREFIXES = ("", "metadata.", "response.")


@dataclass(frozen=True)
class Unrecorded:
    """Fields of one API's answers whose absence or value in the corpus is not Google's."""

    host: str  # API host of the exchange; "" for every host
    fields: tuple[str, ...]
    effect: Literal["absent", "invented", "value"]
    reason: str
    source: str
    in_operations: bool = True  # also under an operation's `metadata.` and `response.`
    #: only for recorded answers this says yes to (None: every answer of the host)
    when: Callable[[Any], bool] | None = None
    #: only for exchanges whose request URL has a match of this pattern ("": every one)
    on_url: str = ""

    def covers(self, host: str, path: str, recorded: Any = None, url: str = "") -> bool:
        if self.host and self.host != host:
            return False
        if self.when is not None and not self.when(recorded):
            return False
        if self.on_url and not re.search(self.on_url, url):
            return False
        prefixes = _OPERATION_PREFIXES if self.in_operations else ("",)
        for prefix in prefixes:
            for name in self.fields:
                full = prefix + name
                if path == full or path.startswith((full + ".", full + "[]")):
                    return True
        return False


_MOCKRUN_SERVICE = (
    "k8s-config-connector mockgcp/mockrun/services.go, CreateService (sets name, times, etag, "
    'creator "test@google.com", generation 1, template defaults, a SUCCEEDED terminalCondition, '
    "uid, launchStage, ingress, and nothing else) and UpdateService (copies the request, leaves "
    "generation alone); every Cloud Run service log shows those hard-coded values, e.g. kcc-golden "
    'run/v1beta1/runservice/runservicebasic/_http.log exchange #1 (`"creator": "test@google.com"`) '
    'and #4 (PATCH answer, `"generation": "1"`)'
)
_MOCKRUN_JOB = (
    'k8s-config-connector mockgcp/mockrun/job.go, CreateJob (creator "test@google.com", '
    "generation 1, an empty latestCreatedExecution, a SUCCEEDED terminalCondition, no "
    "observedGeneration) and UpdateJob (changes only updateTime); kcc-golden run/v1beta1/runjob/"
    'runjob-dependson/_http.log exchange #1 (`"creator": "test@google.com"`, '
    '`"latestCreatedExecution": {}`) and #4 (PATCH answer, `"generation": "1"`)'
)
_RUN_V2_DOC = "https://cloud.google.com/run/docs/reference/rest/v2/projects.locations.services"
_REAL_RUN_JOBS = (
    'k8s-config-connector commits f36383ddfe ("Add test fixture and real gcp logs", '
    'runjob-dependson/_http.log) and 8f2068280e ("log: real gcp", runjob-gcsvolume/_http.log), '
    "the same tests recorded on real GCP before mockgcp wrote them again: a started operation's "
    "metadata holds `reconciling: true`, the generation it left off at and, for a delete, "
    "`deleteTime` and `expireTime`, which stay in the finished delete's metadata and response; a "
    "new job's terminal condition is `{state: CONDITION_PENDING}` alone; a probe's `httpGet` "
    "without a port reads `port: 8080`"
)


def _run_create_started(recorded: Any) -> bool:
    """The answer that starts a Cloud Run create: an operation not done, at generation 1."""
    if not isinstance(recorded, dict) or recorded.get("done"):
        return False
    return str((recorded.get("metadata") or {}).get("generation")) == "1"


def _mock_compute_operation(recorded: Any) -> bool:
    """A compute operation answered DONE at progress 0: mockcompute's `newLRO`."""
    return (
        isinstance(recorded, dict)
        and recorded.get("kind") == "compute#operation"
        and recorded.get("status") == "DONE"
        and str(recorded.get("progress")) == "0"
    )


_MOCK_COMPUTE_LRO = (
    'k8s-config-connector mockgcp/mockcompute/operations.go, newLRO ("Deprecated: use '
    'startGlobalLRO"): `op.Progress = PtrTo(int32(0))`, `op.Status = PtrTo(pb.Operation_DONE)`, '
    "no endTime, operationType, targetLink or user; kcc-golden compute/v1beta1/"
    "computetargethttpproxy/globaltargethttpproxy/_http.log #9, #15, #17 (the same shape); Google "
    "documents progress 100 and an endTime on a finished operation: "
    "https://cloud.google.com/compute/docs/reference/rest/v1/globalOperations"
)
_MOCK_SERVICEUSAGE = (
    "k8s-config-connector mockgcp/mockserviceusage/serviceusagev1.go: EnableService and "
    "DisableService start their operation with `metadata := &emptypb.Empty{}`, GetService of a "
    "service never enabled answers `{Name, State: DISABLED}` only, and no Service carries a "
    'config; kcc-golden serviceusage/v1beta1/service/service/_http.log #10 (`{"name", "state": '
    '"DISABLED"}`) and #11 (`"metadata": {"@type": "type.googleapis.com/google.protobuf.Empty", '
    '"value": {}}`, an Any of Empty as only mockgcp marshals it)'
)
_SERVICEUSAGE_DOC = (
    "https://cloud.google.com/service-usage/docs/reference/rest/v1/services#Service (name, parent, "
    "config, state); google/api/serviceusage/v1/serviceusage.proto, EnableService "
    '`operation_info { metadata_type: "OperationMetadata" }` (resourceNames)'
)
_MOCK_VPCACCESS = (
    "k8s-config-connector mockgcp/mockvpcaccess/connector.go, CreateConnector: clones the request, "
    "then `if obj.MinInstances == 0 { obj.MinInstances = 3 }` and `if obj.MaxInstances == 0 "
    "{ obj.MaxInstances = 4 }` whatever the throughput, and answers a missing connector with its "
    'hard-coded "The connector is not found."; kcc-golden run/v1beta1/runjob/runjob-vpcaccess/'
    "_http.log #9 and #11 (throughput 200-300 sent, instances 3-4 answered) and #8 (that message)"
)

_MOCK_IGM = (
    "k8s-config-connector mockgcp/mockcontainer/nodepool.go at cdb85ecf17, createMockIGM: the "
    "group of a mocked node pool gets name, baseInstanceName, targetSize, selfLink, zone, "
    "status.isStable, currentActions.none, kind, id, creationTimestamp, fingerprint, updatePolicy "
    "(type, fixed maxSurge/maxUnavailable, minimalAction, replacementMethod), "
    "instanceLifecyclePolicy (two fields), instanceGroup and a global instanceTemplate, its links "
    "built under `compute/v1beta1/`, a version Compute does not have (v1, beta, alpha); kcc-golden "
    "container/v1beta1/containernodepool/containernodepool/_http.log #4 is that shape, while the "
    "real containernodepool-swap/_http.log #4 (Compute links under `beta/`, a regional template) "
    "has every field"
)


_MOCK_CONTAINER = (
    "k8s-config-connector mockgcp/mockcontainer/cluster.go and nodepool.go at cdb85ecf17: a "
    'mocked cluster gets `InitialClusterVersion = "1.30.5-gke.1014001"` and `ClusterCaCertificate: '
    '"1234567890abcdefghijklmn"`, a mocked pool `PodRange = obj.Name + "-pods-12345678"`, and '
    "neither gets any of these fields; every read of the 23 GKE logs at 1.30.5-gke.1014001 "
    "(e.g. kcc-golden container/v1beta1/containercluster/containercluster-minimal/_http.log) is "
    "that shape, while the real 1.34/1.35 logs (containercluster-swap, containernodepool-swap) "
    "have every field"
)
_MOCK_CA = "1234567890abcdefghijklmn"
#: Fields of a GKE node pool that mockgcp never fills (beside those in its `config`).
_MOCK_POOL_ABSENT = (
    "config.nodeImageConfig",
    "networkConfig.networkTierConfig",
    "kubeletCertInfo",
)


def _mock_cluster(recorded: Any) -> bool:
    """A GKE cluster written by mockgcp: its hard-coded CA certificate."""
    auth = recorded.get("masterAuth") if isinstance(recorded, dict) else None
    return isinstance(auth, dict) and auth.get("clusterCaCertificate") == _MOCK_CA


def _mock_pool(recorded: Any) -> bool:
    """A GKE node pool read on its own, written by mockgcp: its made-up Pod range name."""
    network = recorded.get("networkConfig") if isinstance(recorded, dict) else None
    return (
        isinstance(network, dict)
        and "instanceGroupUrls" in recorded
        and str(network.get("podRange", "")).endswith("-pods-12345678")
    )


def _mock_container_operation(recorded: Any) -> bool:
    """A GKE operation without its type: only mockgcp answers one so."""
    return (
        isinstance(recorded, dict)
        and "/operations/" in str(recorded.get("selfLink", ""))
        and "container.googleapis.com" in str(recorded.get("selfLink", ""))
        and "operationType" not in recorded
    )


def _mock_set_labels(recorded: Any) -> bool:
    """A GKE operation typed SET_LABELS: mockgcp's answer to setResourceLabels."""
    return isinstance(recorded, dict) and recorded.get("operationType") == "SET_LABELS"


def _mock_telemetry_off(recorded: Any) -> bool:
    """A mocked GKE cluster whose logging service was turned off."""
    return _mock_cluster(recorded) and recorded.get("loggingService") == "none"


_REAL_TELEMETRY_OFF = (
    "k8s-config-connector 4966a6d0d8 (conformance/kcc-history/container/v1beta1/containercluster/"
    "containercluster@4966a6d0d8/_http.log), the same test recorded on real GCP: #27 sends "
    "`desiredLoggingService: none` and `desiredMonitoringService: none`, #31, #33 and #35 read "
    "`loggingConfig: {componentConfig: {}}`, the monitoring components APISERVER, SCHEDULER and "
    "CONTROLLER_MANAGER, and `clusterTelemetry: {type: DISABLED}` (a30525b20e #36-#40 the same); "
    "mockgcp/mockcontainer/cluster.go at cdb85ecf17, UpdateCluster, sets `obj.LoggingService` and "
    "`obj.MonitoringService` alone, and populateClusterDefaults sets `ClusterTelemetry.Type = "
    "ENABLED` when unset; kcc-golden container/v1beta1/containercluster/containercluster/_http.log "
    "#31-#35 keep the components and ENABLED"
)


def _mock_nap_scopes_added(recorded: Any) -> bool:
    """A mocked GKE cluster whose auto-provisioning scopes hold the monitoring scope mockgcp adds
    to those sent with logging.write."""
    if not _mock_cluster(recorded):
        return False
    defaults = (recorded.get("autoscaling") or {}).get("autoprovisioningNodePoolDefaults") or {}
    scopes = [str(scope).rsplit("/", 1)[-1] for scope in defaults.get("oauthScopes") or []]
    return "logging.write" in scopes and "monitoring" in scopes


_MOCK_PD_CSI = (
    "k8s-config-connector mockgcp/mockcontainer/cluster.go at cdb85ecf17, populateClusterDefaults: "
    "`obj.AddonsConfig.GcePersistentDiskCsiDriverConfig.Enabled = true` on every write; kcc-golden "
    "container/v1beta1/containercluster/containercluster-addon/_http.log #8 sends "
    "`gcePersistentDiskCsiDriverConfig: {enabled: false}` and #10-#14 read it on; the same test "
    "recorded on real GCP, k8s-config-connector b9cb90e11d (conformance/kcc-history/container/"
    "v1beta1/containercluster/containercluster-addon@b9cb90e11d/_http.log), reads the driver on at "
    "#3 after a create that sent it off, and `gcePersistentDiskCsiDriverConfig: {}` at #10-#14 "
    "after the update #8 (9de5b5e1b4 #10 the same)"
)


def _mock_confidential_cluster(recorded: Any) -> bool:
    """A mocked GKE cluster with confidential nodes turned on at the cluster level."""
    return _mock_cluster(recorded) and bool((recorded.get("confidentialNodes") or {}).get("enabled"))


#: Subnetwork reads of the GKE logs mockgcp wrote (every cluster read of theirs carries mockgcp's
#: CA certificate, `_MOCK_CA`), as the replay names an exchange: `<kind>/<case>#<n> GET <url>`.
_MOCK_GKE_SUBNET_READS = (
    r"^container/(containercluster/containercluster(-databaseencryption(-all|-decrypted)?"
    r"|-disablel4lbfirewallreconciliation)?|containernodepool/containernodepool-subnetworkref)#\d+ GET "
    r"\S+/subnetworks/"
)
_MOCK_GKE_SUBNET = (
    "k8s-config-connector mockgcp/mockcontainer/cluster.go at cdb85ecf17, CreateCluster and "
    "DeleteCluster (the subnetwork is only named, never changed); kcc-golden container/v1beta1/"
    "containercluster/containercluster/_http.log #44, containercluster-databaseencryption #43, "
    "containercluster-disablel4lbfirewallreconciliation #23 and containernodepool/"
    "containernodepool-subnetworkref #40 read `privateIpGoogleAccess: false` and no secondary "
    "range; the same tests recorded on real GCP (conformance/kcc-history/container/v1beta1/: "
    "containercluster@4966a6d0d8 #44, containercluster-databaseencryption@77cd53fe81 #31 and #49, "
    "containernodepool-subnetworkref@460da51743 #40 and #42) read Private Google Access on once "
    "the cluster was made, and its Pod range `gke-<cluster>-pods-<8 hex>` until it was deleted"
)


def _mock_private_cluster(recorded: Any) -> bool:
    """A mocked GKE cluster with private nodes."""
    private = recorded.get("privateClusterConfig") if _mock_cluster(recorded) else None
    return isinstance(private, dict) and bool(private.get("enablePrivateNodes"))


_MOCK_PRIVATE_AUTHORIZED = (
    "k8s-config-connector mockgcp/mockcontainer/cluster.go at cdb85ecf17, populateClusterDefaults: "
    "`if ipEndpointsConfig.AuthorizedNetworksConfig.GcpPublicCidrsAccessEnabled == nil { ... = "
    "PtrTo(true) }` whatever the cluster, and PrivateEndpointEnforcementEnabled only copied as sent; "
    "kcc-golden container/v1beta1/containercluster/containercluster-private-masteripv4cidr/_http.log "
    "and -private-privateendpointsubnetwork #11-#24; the same tests recorded on real GCP, "
    "k8s-config-connector b0e9d55bdc (conformance/kcc-history/container/v1beta1/containercluster/"
    "containercluster-private-masteripv4cidr@b0e9d55bdc/_http.log and -private-"
    "privateendpointsubnetwork@b0e9d55bdc #11-#24), read `privateEndpointEnforcementEnabled: true` "
    "and no gcpPublicCidrsAccessEnabled until an update sends it"
)


def _mock_no_ip_endpoints(recorded: Any) -> bool:
    """A mocked GKE cluster whose control plane has no IP endpoints."""
    if not _mock_cluster(recorded):
        return False
    ip = (recorded.get("controlPlaneEndpointsConfig") or {}).get("ipEndpointsConfig") or {}
    return ip.get("enabled") is False


_MOCK_NO_IP_ENDPOINTS = (
    "k8s-config-connector mockgcp/mockcontainer/cluster.go at cdb85ecf17, populateClusterDefaults: "
    "`obj.MasterAuthorizedNetworksConfig = &pb.MasterAuthorizedNetworksConfig{}` when unset, and "
    "`obj.PrivateClusterConfig.PublicEndpoint = ...GetIpEndpointsConfig().GetPublicEndpoint()`, "
    "empty when the IP endpoints are off; kcc-golden container/v1beta1/containercluster/"
    "containercluster-dnsendpoint-noipendpoint/_http.log #11-#24; the same test recorded on real "
    "GCP, k8s-config-connector a9901101de (conformance/kcc-history/container/v1beta1/"
    "containercluster/containercluster-dnsendpoint-noipendpoint@a9901101de/_http.log #11-#24), "
    "reads no masterAuthorizedNetworksConfig and `privateClusterConfig.publicEndpoint`"
)


def _mock_cluster_update_operation(recorded: Any) -> bool:
    """A finished GKE UPDATE_CLUSTER operation on a cluster, without progress."""
    return (
        isinstance(recorded, dict)
        and recorded.get("operationType") == "UPDATE_CLUSTER"
        and recorded.get("status") == "DONE"
        and "progress" not in recorded
        and "/nodePools/" not in str(recorded.get("targetLink", ""))
    )


def _mock_regional_cluster(recorded: Any) -> bool:
    """A regional GKE cluster written by mockgcp, which gives it no zones of its own."""
    return _mock_cluster(recorded) and not re.search(r"-[a-z]$", str(recorded.get("location", "")))


#: The steps mockgcp writes into every cluster creation it finishes.
_MOCK_CREATE_METRICS = [
    {"intValue": "12", "name": "CLUSTER_DEPLOYING"},
    {"intValue": "12", "name": "CLUSTER_DEPLOYING_TOTAL"},
]


def _mock_create_progress(recorded: Any) -> bool:
    """A GKE cluster creation as mockgcp finishes it: its hard-coded 12 deploying steps."""
    progress = recorded.get("progress") if isinstance(recorded, dict) else None
    metrics = progress.get("metrics") if isinstance(progress, dict) else None
    return (
        isinstance(metrics, list)
        and recorded.get("operationType") == "CREATE_CLUSTER"
        and all(step in metrics for step in _MOCK_CREATE_METRICS)
    )


def _mock_regional_pool(recorded: Any) -> bool:
    """A node pool of a regional cluster, read on its own, written by mockgcp."""
    return _mock_pool(recorded) and bool(
        re.search(r"/locations/[a-z]+-[a-z]+\d+/clusters/", str(recorded.get("selfLink", "")))
    )


_MOCK_CLUSTER_CREATE = (
    "k8s-config-connector mockgcp/mockcontainer/cluster.go at 003a6db3bc, CreateCluster: "
    "`if len(obj.Locations) == 0 "
    "{ // We probably need to expand this to zones, but we can wait for a test; obj.Locations = "
    "[]string{name.Location} }`, `if isZone(obj.Location) { obj.Zone = obj.Location }`, each pool "
    "made with `Locations: []string{name.Location}`, and populateClusterDefaults: `if "
    "obj.CurrentNodeCount == 0 { obj.CurrentNodeCount = 1 }`; kcc-golden container/v1beta1/"
    "containercluster/containercluster-minimal/_http.log #3 (`locations: [us-west2]`, one node, no "
    "zone); Google spreads a regional cluster over three zones of its region unless told "
    "(https://cloud.google.com/kubernetes-engine/docs/concepts/regional-clusters), each with the "
    "pool's nodes"
)


#: What a few storage logs read from a new bucket's object list, whatever the bucket held.
_FOLDER_PREFIXES = ["testfolder", "testmanagedfolder"]


def _stray_folder_prefixes(recorded: Any) -> bool:
    """An object list answered with the two folder names no step of the log made."""
    return (
        isinstance(recorded, dict)
        and recorded.get("kind") == "storage#objects"
        and recorded.get("prefixes") == _FOLDER_PREFIXES
    )


def _mock_igm(recorded: Any) -> bool:
    """A managed instance group written by mockgcp: its links under `compute/v1beta1/`."""
    return (
        isinstance(recorded, dict)
        and recorded.get("kind") == "compute#instanceGroupManager"
        and "/compute/v1beta1/" in str(recorded.get("instanceGroup", ""))
    )


_MOCK_GLOBAL_LB = (
    "every write of a global URL map or target HTTP proxy in kcc-golden is answered by "
    "mockcompute's newLRO (DONE at progress 0): compute/v1beta1/computetargethttpproxy/"
    "globaltargethttpproxy/_http.log #9, #12, #15, #17, #19, #21, #23 and compute/v1beta1/"
    "computeurlmap/globalcomputeurlmap/_http.log #16, so their reads (#10, #13, #16, #18 and #17) "
    "are mockgcp's too, and they never carry a fingerprint; the real regional URL maps and every "
    "target HTTPS proxy do (compute/v1beta1/computetargethttpsproxy/regionaltargethttpsproxy/"
    "_http.log); Google documents `fingerprint` on both resources: "
    "https://cloud.google.com/compute/docs/reference/rest/v1/urlMaps and "
    "https://cloud.google.com/compute/docs/reference/rest/v1/targetHttpProxies (fingerprint)"
)


def _mock_global_lb(recorded: Any) -> bool:
    """A global URL map or target HTTP proxy as mockgcp writes it: without a fingerprint."""
    return (
        isinstance(recorded, dict)
        and recorded.get("kind") in ("compute#urlMap", "compute#targetHttpProxy")
        and "/global/" in str(recorded.get("selfLink", ""))
        and "fingerprint" not in recorded
    )


_MOCK_MANAGED_CERT = (
    "k8s-config-connector mockgcp/mockcompute/globalsslcertificatesv1.go, Insert (clones the "
    "request: `managed` keeps only its domains) and regionalsslcertificatesv1.go, "
    "populateSSLCertificateDefaults (`if obj.ExpireTime == nil { obj.ExpireTime = "
    'PtrTo("2024-04-01T12:34:56.123456Z") }`); kcc-golden compute/v1beta1/'
    "computemanagedsslcertificate/_http.log #3 is that shape: an expireTime, no managed.status; "
    "Google documents managed.status and managed.domainStatus as the output-only state of a "
    "managed certificate (PROVISIONING until its domains serve it), and a certificate not yet "
    "issued has nothing to expire: https://cloud.google.com/compute/docs/reference/rest/v1/"
    "sslCertificates (managed.status, managed.domainStatus, expireTime) and "
    "https://cloud.google.com/load-balancing/docs/ssl-certificates/google-managed-certs "
    "(certificate status PROVISIONING)"
)


def _mock_managed_certificate(recorded: Any) -> bool:
    """A Google-managed certificate as mockgcp writes it: `managed` without its status."""
    managed = recorded.get("managed") if isinstance(recorded, dict) else None
    return (
        isinstance(managed, dict)
        and recorded.get("kind") == "compute#sslCertificate"
        and recorded.get("type") == "MANAGED"
        and "status" not in managed
    )


#: Labels of a notification channel that hold a secret, by channel type (slack, webhook_basicauth,
#: pagerduty): https://registry.terraform.io/providers/hashicorp/google/latest/docs/resources/
#: monitoring_notification_channel (sensitive_labels: auth_token, password, service_key).
_SECRET_CHANNEL_LABELS = ("auth_token", "password", "service_key")
_MOCK_CHANNEL = (
    "k8s-config-connector mockgcp/mockmonitoring/notificationchannel.go, "
    "CreateNotificationChannel (`obj := proto.CloneOf(req.NotificationChannel)`, then only "
    "creationRecord, mutationRecords, name and enabled) and UpdateNotificationChannel (copies the "
    "request's labels): kcc-golden monitoring/v1beta1/monitoringnotificationchannel/"
    "monitoringnotificationchannel/_http.log #0-#3 answer the webhook_basicauth password "
    '"password\n" exactly as sent; Google documents that "fields containing sensitive information '
    'like authentication tokens ... are only partially populated on retrieval" '
    "(https://cloud.google.com/monitoring/api/ref_v3/rest/v3/projects.notificationChannels, and the "
    "client references of google.monitoring.v3.NotificationChannel, e.g. "
    "https://cloud.google.com/python/docs/reference/monitoring/latest/"
    "google.cloud.monitoring_v3.types.NotificationChannel), and Terraform's provider that "
    '"labels with sensitive data are obfuscated by the API" (google_monitoring_notification_channel, '
    "labels)"
)


def _clear_secret_label(recorded: Any) -> bool:
    """A notification channel (or a list of them) whose secret label reads as it was sent."""
    channels = recorded.get("notificationChannels") if isinstance(recorded, dict) else None
    for channel in channels if isinstance(channels, list) else [recorded]:
        labels = channel.get("labels") if isinstance(channel, dict) else None
        if isinstance(labels, dict) and any(
            isinstance(labels.get(key), str) and not labels[key].startswith("*")
            for key in _SECRET_CHANNEL_LABELS
        ):
            return True
    return False


_MOCK_INSTANCE = (
    "k8s-config-connector mockgcp/mockcompute/instancesv1.go, Insert: `obj := "
    "proto.CloneOf(req.GetInstanceResource())`, then selfLink, creationTimestamp, id, kind, zone, "
    '`Status = PtrTo("RUNNING")` and a labelFingerprint, nothing else; kcc-golden compute/v1beta1/'
    "computebackendservice/globalcomputebackendservice/_http.log #7 is the request of #5 as sent "
    '(`"machineType": "projects/.../machineTypes/n1-standard-1"`, `initializeParams`, `"params": '
    "{}`), where Google answers a machine type as a full URL and keeps neither `initializeParams` "
    "nor `params`, both input only (https://cloud.google.com/compute/docs/reference/rest/v1/instances)"
)


def _mock_instance(recorded: Any) -> bool:
    """A VM instance written by mockgcp: its machine type as the request spelt it."""
    return (
        isinstance(recorded, dict)
        and recorded.get("kind") == "compute#instance"
        and not str(recorded.get("machineType", "")).startswith("https://")
    )


_MOCK_SQL_UPGRADE = (
    "k8s-config-connector mockgcp/mocksql/sqlinstance.go: Patch calls setDatabaseVersionDefaults on "
    "the stored instance, and its MYSQL_8_0 case appends the 8.0 minors and MYSQL_8_4 to the "
    "upgradableDatabaseVersions the instance already holds, so a MYSQL_5_7 instance upgraded in place "
    "lists MySQL 5.7's targets (MYSQL_8_0, MYSQL_8_0_18 ...) and then 8.0's, each minor twice: kcc-golden "
    "sql/v1beta1/sqlinstance/sqlinstance-mysql-minimal-direct/_http.log #9 and #12"
)


def _mock_sql_upgrade(recorded: Any) -> bool:
    """A list of upgrade targets that names a version twice, or the instance's own major."""
    if not isinstance(recorded, dict):
        return False
    names = [v.get("name") for v in recorded.get("upgradableDatabaseVersions") or [] if isinstance(v, dict)]
    return len(names) != len(set(names)) or recorded.get("databaseVersion") in names


_MOCK_SQL_VERSION_DEFAULTS = (
    "k8s-config-connector mockgcp/mocksql/sqlinstance.go at cdb85ecf17, setDatabaseVersionDefaults: "
    'POSTGRES_9_6 gets `DatabaseInstalledVersion = "POSTGRES_9_6"` and no upgrade list, POSTGRES_15 '
    '"POSTGRES_15_7" and `[POSTGRES_16]`, POSTGRES_16 "POSTGRES_16_3" and `UpgradableDatabaseVersions '
    '= nil`, MYSQL_8_0 "MYSQL_8_0_41" and every 8.0 minor it knows but the installed one, from '
    "MYSQL_8_0_18 up, then MYSQL_8_4; every corpus read of those installed versions carries them "
    "(kcc-golden sql/v1beta1/sqlinstance/sqlinstance-postgres-direct/_http.log #20, "
    "sqlinstance-postgres-minimal-direct #3 and #8, sqldatabase/sqldatabasesismerge #3). Real Cloud "
    "SQL names 9.6's minor and lists every later major or minor it offers: kcc-history sql/v1beta1/"
    "sqlinstance/postgresinstance@a0c29df460/_http.log #23 (POSTGRES_9_6_24, POSTGRES_10 to "
    "POSTGRES_16), sqlinstance-postgres-replication@9b63dd72f0 #20 (POSTGRES_16 lists 17 and 18), "
    "mysqlinstancebasic@a0c29df460 #12 (MYSQL_8_0_31 lists MYSQL_8_0_32 to MYSQL_8_0_37 alone)"
)
_MOCK_SQL_INSTALLED = ("POSTGRES_9_6", "POSTGRES_15_7", "POSTGRES_16_3", "MYSQL_8_0_41")


def _mock_sql_version_defaults(recorded: Any) -> bool:
    """An instance read carrying an installed version mockgcp hard-codes for its major."""
    return isinstance(recorded, dict) and recorded.get("databaseInstalledVersion") in _MOCK_SQL_INSTALLED


def _mock_postgres_9_6(recorded: Any) -> bool:
    """A PostgreSQL 9.6 instance read whose installed version names no minor: mockgcp's."""
    return isinstance(recorded, dict) and recorded.get("databaseInstalledVersion") == "POSTGRES_9_6"


_MOCK_SQL_CMEK = (
    "k8s-config-connector mockgcp/mocksql/sqlinstance.go at cdb85ecf17, Insert (the instance is "
    "the request with defaults filled in; no diskEncryptionStatus is ever set); kcc-golden "
    "sql/v1beta1/sqlinstance/sqlinstance-encryptionkey-direct/_http.log #35 (diskEncryptionConfiguration "
    "alone). Real Cloud SQL reads the key version in use beside it: kcc-history sql/v1beta1/"
    "sqlinstance/sqlinstanceencryptionkey@a0c29df460/_http.log #40 "
    "(`diskEncryptionStatus: {kind: sql#diskEncryptionStatus, kmsKeyVersionName: .../cryptoKeyVersions/1}`)"
)


def _mock_sql_cmek(recorded: Any) -> bool:
    """A CMEK instance read without the key version in use: mockgcp's echo of the create."""
    return (
        isinstance(recorded, dict)
        and "diskEncryptionConfiguration" in recorded
        and "diskEncryptionStatus" not in recorded
    )


_MOCK_SQL_LOG_ARCHIVING = (
    "k8s-config-connector mockgcp/mocksql/sqlinstance.go at cdb85ecf17, populateDefaults: a "
    "PostgreSQL instance with a backupConfiguration gets `setDefaultBool(&backupConfiguration."
    "ReplicationLogArchivingEnabled, false)` and, without binary logging, transactionalLogStorageState "
    "TRANSACTIONAL_LOG_STORAGE_STATE_UNSPECIFIED, whether point-in-time recovery is on or not; kcc-golden "
    "sql/v1beta1/sqlinstance/sqlinstance-encryptionkey-direct/_http.log #35 (recovery on, false, "
    "UNSPECIFIED), sqlinstance-storage-direct #8 (false after an update). Real Cloud SQL reads true "
    "and CLOUD_STORAGE with recovery on and no field without it: kcc-history sql/v1beta1/sqlinstance/"
    "postgresinstance@a0c29df460/_http.log #23, sqlinstance-postgres-replication@9b63dd72f0 #20, "
    "sqlinstance-postgres-minimal-direct@63231aa834 #10 (after an update, no field)"
)


def _mock_sql_log_archiving(recorded: Any) -> bool:
    """An instance read showing PostgreSQL's log archiving false: mockgcp's default."""
    settings = recorded.get("settings") if isinstance(recorded, dict) else None
    backups = settings.get("backupConfiguration") if isinstance(settings, dict) else None
    return isinstance(backups, dict) and backups.get("replicationLogArchivingEnabled") is False


_MOCK_SQL_USER_POLICY = (
    "k8s-config-connector mockgcp/mocksql/sqluser.go at cdb85ecf17, populateUserDefaults: `if "
    "obj.PasswordPolicy == nil { obj.PasswordPolicy = &pb.UserPasswordValidationPolicy{Status: "
    "&pb.PasswordStatus{}} }` for every user; kcc-golden sql/v1beta1/sqlinstance/"
    "sqlinstance-postgres-direct/_http.log #21 (`postgres` with `passwordPolicy: {status: {}}`). "
    "Real Cloud SQL lists PostgreSQL's `postgres` user without one: kcc-history sql/v1beta1/"
    "sqlinstance/postgresinstance@a0c29df460/_http.log #24, sqlinstance-backupconfiguration-diff@"
    "7aa96aba27 #4, sqlinstance-postgres-replication@9b63dd72f0 #21"
)


def _mock_postgres_user_policy(recorded: Any) -> bool:
    """A users list whose PostgreSQL `postgres` user carries mockgcp's empty password policy."""
    items = recorded.get("items") if isinstance(recorded, dict) else None
    return isinstance(items, list) and any(
        isinstance(u, dict) and u.get("name") == "postgres" and u.get("passwordPolicy") == {"status": {}}
        for u in items
    )


_MOCK_SQL_STANDBY = (
    "k8s-config-connector mockgcp/mocksql/sqlinstance.go at cdb85ecf17: Insert sets `obj.GceZone = "
    "obj.Settings.LocationPreference.Zone` and nothing about a standby (no secondaryGceZone, no "
    'failoverReplica), populateDefaults places an instance that names no zone in `obj.Region + "-a"`; '
    "kcc-golden sql/v1beta1/sqlinstance/sqlinstance-postgres-direct/_http.log #20 and "
    "sqlinstance-backupconfiguration-diff #3 (REGIONAL, neither field, europe-west3-a). Real Cloud "
    "SQL reads a REGIONAL instance with secondaryGceZone and failoverReplica {available: true}, and "
    "placed both REGIONAL instances created without a zone in the region's zone b, the standby in "
    "zone a: kcc-history sql/v1beta1/sqlinstance/postgresinstance@a0c29df460/_http.log #23, "
    "sqlinstance-backupconfiguration-diff@7aa96aba27 #3, sqlinstance-postgres-replication@"
    "9b63dd72f0 #20"
)


def _mock_sql_standby(recorded: Any) -> bool:
    """A REGIONAL instance read with no standby zone: mockgcp's."""
    settings = recorded.get("settings") if isinstance(recorded, dict) else None
    return (
        isinstance(settings, dict)
        and settings.get("availabilityType") == "REGIONAL"
        and "secondaryGceZone" not in recorded
    )


def _mock_sql_first_zone(recorded: Any) -> bool:
    """A REGIONAL instance read placed by mockgcp in its region's zone a."""
    location = (
        (recorded.get("settings") or {}).get("locationPreference") if _mock_sql_standby(recorded) else None
    )
    return isinstance(location, dict) and str(location.get("zone", "")).endswith("-a")


_MOCK_SQL_POSTGRES_FIELDS = (
    "k8s-config-connector mockgcp/mocksql/sqlinstance.go at cdb85ecf17, populateDefaults: a "
    "PostgreSQL instance's geminiConfig has `OomSessionCancelEnabled: asRef(false)`, and "
    "backupTier, serverCertificateRotationMode, replicationLagMaxSeconds and "
    "includeReplicasForMajorVersionUpgrade are set `if isSqlServer(obj)` alone; every PostgreSQL read "
    "of the corpus is so (kcc-golden sql/v1beta1/sqlinstance/sqlinstance-postgres-minimal-direct/"
    "_http.log #3). Real Cloud SQL reads PostgreSQL with oomSessionCancelEnabled true and "
    "includeReplicasForMajorVersionUpgrade, replicationLagMaxSeconds since 2025-03 (kcc-history "
    "sql/v1beta1/sqlinstance/sqlinstance-backupconfiguration-diff@7aa96aba27 #3), backupTier "
    "since 2025-08 (sqlinstance-postgres-minimal-direct@63231aa834 #3), serverCertificateRotationMode "
    "by 2025-10 (sqlinstance-postgres-replication@9b63dd72f0 #20); its reads of 2024, before "
    "Google added them, show oomSessionCancelEnabled false and none of the four "
    "(postgresinstance@a0c29df460 #23)"
)


def _postgres_before_2025(recorded: Any) -> bool:
    """A PostgreSQL instance read with OOM session cancelling off: mockgcp's, or real Cloud SQL's
    before 2025-03, when it had none of the fields since added."""
    gemini = recorded.get("geminiConfig") if isinstance(recorded, dict) else None
    return (
        isinstance(gemini, dict)
        and gemini.get("oomSessionCancelEnabled") is False
        and str(recorded.get("databaseVersion", "")).startswith("POSTGRES_")
    )


_MOCK_COMPUTE_UNTYPED = (
    "k8s-config-connector mockgcp/mockcompute/networksv1.go at cdb85ecf17, RemovePeering: `op := "
    "&pb.Operation{}` then `s.startGlobalLRO(...)`, an operation with no operationType, target or "
    "user; kcc-golden servicenetworking/v1beta1/servicenetworkingconnection/_http.log #33 and #34. "
    "Real Compute Engine answers a removePeering with `operationType: removePeering`, targetId, "
    "targetLink and user, RUNNING then DONE: kcc-history sql/v1beta1/sqlinstance/"
    "postgresinstance@a0c29df460/_http.log #51 and #52; "
    "https://cloud.google.com/compute/docs/reference/rest/v1/globalOperations (operationType, "
    "targetLink, user)"
)


def _mock_untyped_compute_operation(recorded: Any) -> bool:
    """A compute operation with no operationType: mockcompute's."""
    return (
        isinstance(recorded, dict)
        and recorded.get("kind") == "compute#operation"
        and "operationType" not in recorded
    )


_MOCK_VPN_GATEWAY = (
    "k8s-config-connector mockgcp/mockcompute, TargetVpnGatewaysV1.Insert: `obj := "
    "proto.Clone(req.GetTargetVpnGatewayResource())` with selfLink, creationTimestamp, id and "
    "kind, nothing else, answered by `s.newLRO`; kcc-golden compute/v1beta1/"
    "computeforwardingrule/regionalcomputeforwardingrule-direct/_http.log #8 and #9 (the "
    '`"region": "projects/.../global/regions/us-central1"` of the request read back, no status); '
    'Google documents `region` as "[Output Only] URL of the region" and status, labelFingerprint '
    "as set: https://cloud.google.com/compute/docs/reference/rest/v1/targetVpnGateways"
)


def _mock_vpn_gateway(recorded: Any) -> bool:
    """A target VPN gateway written by mockgcp: its region as the request spelt it."""
    return (
        isinstance(recorded, dict)
        and recorded.get("kind") == "compute#targetVpnGateway"
        and "/global/regions/" in str(recorded.get("region", ""))
    )


_MOCK_GLOBAL_ADDRESS = (
    "k8s-config-connector mockgcp/mockcompute/globaladdress.go, Insert: `obj := "
    "proto.CloneOf(req.GetAddressResource())` with selfLink, creationTimestamp, id, kind, an "
    "address when none was asked for and a labelFingerprint, nothing else: no status, and no "
    "networkTier or addressType the request did not send. Every global address read of kcc-golden "
    "is that shape (34 reads: compute/v1beta1/computeaddress/globalcomputeaddress/_http.log #4 "
    "reads its network back as the request spelt it, relative; servicenetworkingconnection, the "
    "sqlinstance *-direct logs with a private services range, and the global forwarding rule "
    "logs -https-direct, -ssl-direct, -tcp-direct-directtcp #3), while every regional address "
    "read (26) has its status; Google documents status (RESERVING, RESERVED, IN_USE), networkTier "
    "(default PREMIUM) and addressType (default EXTERNAL) on every address: "
    "https://cloud.google.com/compute/docs/reference/rest/v1/globalAddresses"
)


def _mock_global_address(recorded: Any) -> bool:
    """A global address written by mockgcp: without the status every address has."""
    return (
        isinstance(recorded, dict)
        and recorded.get("kind") == "compute#address"
        and "/global/addresses/" in str(recorded.get("selfLink", ""))
        and "status" not in recorded
    )


_MOCK_SECRETS_ENCRYPTION = (
    'k8s-config-connector commit 77cd53fe81 ("run database encryption test cases against real GCP '
    'API") recorded containercluster-databaseencryption, -databaseencryption-all and '
    "-databaseencryption-decrypted on GKE 1.35.1-gke.1396002: each cluster encrypted with ENCRYPTED "
    "or ALL_OBJECTS_ENCRYPTION_ENABLED reads `state: ALL_OBJECTS_ENCRYPTION_ENABLED`, "
    '`currentState: CURRENT_STATE_ALL_OBJECTS_ENCRYPTION_ENABLED`. Commit f97b1f237e ("Run tests '
    'against mock API") wrote the three logs again from mockgcp, whose mockcontainer/cluster.go '
    "turns ALL_OBJECTS_ENCRYPTION_ENABLED into ENCRYPTED and answers CURRENT_STATE_ENCRYPTED (its "
    "comment: the library it is built on cannot parse the new value); those are the logs of the corpus"
)


def _mock_secrets_encryption(recorded: Any) -> bool:
    """A cluster read with its secrets encryption in mockgcp's words."""
    if not isinstance(recorded, dict):
        return False
    return (recorded.get("databaseEncryption") or {}).get("state") == "ENCRYPTED"


RULES: tuple[Unrecorded, ...] = (
    Unrecorded(
        host="compute.googleapis.com",
        fields=("internalIpv6Range",),
        effect="value",
        reason="Google draws a network's ULA /48 at random when none is asked for: the recorded "
        "one is one draw, not a value to agree with",
        source="https://cloud.google.com/compute/docs/reference/rest/v1/networks (internalIpv6Range: "
        '"a /48 range will be randomly allocated from fd20::/20"); kcc-golden compute/v1beta1/'
        "computenetwork/computenetworkbasic/_http.log #5 asks for none, #6 reads fd20:eb5:88a::/48",
        in_operations=False,
    ),
    Unrecorded(
        host="compute.googleapis.com",
        fields=("status", "networkTier", "addressType", "description"),
        effect="absent",
        reason="the global addresses of the corpus were written by mockgcp, which keeps the request "
        "as sent and gives an address no status; Google reads a private services range with an "
        "empty description and the PREMIUM tier (kcc-history sql/v1beta1/sqlinstance/"
        "postgresinstance@a0c29df460/_http.log #7)",
        source=_MOCK_GLOBAL_ADDRESS,
        in_operations=False,
        when=_mock_global_address,
    ),
    Unrecorded(
        host="compute.googleapis.com",
        fields=("fingerprint",),
        effect="absent",
        reason="the global URL maps and target HTTP proxies of the corpus were written by mockgcp, "
        "which gives them no fingerprint",
        source=_MOCK_GLOBAL_LB,
        in_operations=False,
        when=_mock_global_lb,
    ),
    Unrecorded(
        host="compute.googleapis.com",
        fields=("managed.status", "managed.domainStatus"),
        effect="absent",
        reason="the managed certificate of the corpus was written by mockgcp, which keeps `managed` "
        "as sent, without the certificate's status and its domains'",
        source=_MOCK_MANAGED_CERT,
        in_operations=False,
        when=_mock_managed_certificate,
    ),
    Unrecorded(
        host="compute.googleapis.com",
        fields=("expireTime",),
        effect="invented",
        reason="mockgcp writes a fixed expireTime into a certificate it made, a managed one still "
        "provisioning included",
        source=_MOCK_MANAGED_CERT,
        in_operations=False,
        when=_mock_managed_certificate,
    ),
    Unrecorded(
        host="monitoring.googleapis.com",
        fields=(
            *(f"labels.{key}" for key in _SECRET_CHANNEL_LABELS),
            *(f"notificationChannels[].labels.{key}" for key in _SECRET_CHANNEL_LABELS),
        ),
        effect="value",
        reason="the notification channel log was written by mockgcp, which answers a channel's "
        "secret labels as sent; Google hides them",
        source=_MOCK_CHANNEL,
        in_operations=False,
        when=_clear_secret_label,
    ),
    Unrecorded(
        host="container.googleapis.com",
        fields=(
            "addonsConfig.dnsCacheConfig",
            "addonsConfig.nodeReadinessConfig",
            "controlPlaneEgress",
            "ipAllocationPolicy.clusterSecondaryRangeName",
            "ipAllocationPolicy.defaultPodIpv4RangeUtilization",
            "ipAllocationPolicy.networkTierConfig",
            "master",
            "networkConfig.defaultSnatStatus",
            "nodeConfig.nodeImageConfig",
            "nodeCreationConfig",
            "controlPlaneEndpointsConfig.dnsEndpointConfig.enableK8sCertsViaDns",
            "nodePools[].etag",
            "nodePools[].selfLink",
            # nodepool.go, populateNodePoolDefaults keeps `autoscaling` as sent
            "nodePools[].autoscaling.locationPolicy",
            "privateCluster",
            *(f"nodePools[].{name}" for name in _MOCK_POOL_ABSENT),
        ),
        effect="absent",
        reason="GKE clusters of the 1.30.5 logs were written by mockgcp, which fills none of these",
        source=_MOCK_CONTAINER,
        in_operations=False,
        when=_mock_cluster,
    ),
    Unrecorded(
        host="container.googleapis.com",
        fields=(
            "currentMasterVersion",
            "currentNodeVersion",
            "initialClusterVersion",
            "nodePools[].version",
            # what GKE enables at a version depends on the version
            "anonymousAuthenticationConfig.mode",
            "masterAuth.clusterCaCertificate",
            "controlPlaneEndpointsConfig.dnsEndpointConfig.endpoint",
            "nodePools[].networkConfig.podIpv4CidrBlock",
            "nodePools[].networkConfig.podRange",
            "nodePools[].networkConfig.podIpv4RangeUtilization",
            # populateNodeConfig: `if obj.KubeletConfig.MaxParallelImagePulls == 0 { ... = 2 }`
            "nodeConfig.kubeletConfig.maxParallelImagePulls",
            "nodePools[].config.kubeletConfig.maxParallelImagePulls",
            "ipAllocationPolicy.servicesIpv4Cidr",
            "ipAllocationPolicy.servicesIpv4CidrBlock",
            "ipAllocationPolicy.clusterSecondaryRangeName",
            # mockgcp names one group for the whole cluster, `.../gke-containercluster-abcdef`
            "instanceGroupUrls",
        ),
        effect="value",
        reason="mockgcp hard-codes the version 1.30.5-gke.1014001, the CA certificate, the DNS "
        "endpoint `gke-12345trewq-...`, a Pod range 10.92.0.0/14 named `<pool>-pods-12345678` "
        "and its utilization 0.001, and 2 parallel image pulls whatever the disk",
        source=f"{_MOCK_CONTAINER}; cluster.go: "
        '`dnsEndpointConfig.Endpoint = fmt.Sprintf("gke-12345trewq-${projectNumber}.%s.gke.goog", '
        'obj.Location)`; nodepool.go: `PodIpv4CidrBlock = "10.92.0.0/14"`, '
        "`PodIpv4RangeUtilization = 0.001`; populateNodeConfig: "
        "`if obj.KubeletConfig.MaxParallelImagePulls == 0 { obj.KubeletConfig.MaxParallelImagePulls "
        "= 2 }`",
        in_operations=False,
        when=_mock_cluster,
    ),
    Unrecorded(
        host="container.googleapis.com",
        fields=(
            "version",
            "selfLink",
            "initialNodeCount",
            "networkConfig.podIpv4CidrBlock",
            "networkConfig.podRange",
            "networkConfig.podIpv4RangeUtilization",
            "config.kubeletConfig.maxParallelImagePulls",
        ),
        effect="value",
        reason="mockgcp hard-codes a mocked pool's version, Pod range and utilization, 2 parallel "
        "image pulls whatever the disk, and an initialNodeCount of 1 when none was sent",
        source=f"{_MOCK_CONTAINER}; nodepool.go, populateNodePoolDefaults: "
        "`if obj.InitialNodeCount == 0 { obj.InitialNodeCount = 1 }`, and populateNodeConfig: "
        "`if obj.KubeletConfig.MaxParallelImagePulls == 0 { obj.KubeletConfig.MaxParallelImagePulls "
        "= 2 }` (kcc-golden container/v1beta1/containernodepool/containernodepool-datacache/"
        "_http.log, a local-SSD pool read with 2)",
        in_operations=False,
        when=_mock_pool,
    ),
    Unrecorded(
        host="container.googleapis.com",
        fields=(
            "maintenancePolicy.resourceVersion",
            "clusterIpv4Cidr",
            "ipAllocationPolicy.clusterIpv4Cidr",
            "ipAllocationPolicy.clusterIpv4CidrBlock",
        ),
        effect="value",
        reason="the normaliser writes every GKE answer's maintenance policy version as "
        "`abcd1234` and the cluster's Pod range as 10.112.0.0/14, real or mocked",
        source="k8s-config-connector mockgcp/mockcontainer/normalize.go at cdb85ecf17, "
        'ConfigureVisitor: `replacements.ReplacePath(".maintenancePolicy.resourceVersion", '
        '"abcd1234")`, `ReplacePath(".ipAllocationPolicy.clusterIpv4CidrBlock", "10.112.0.0/14")` '
        "and the two other Pod range paths (used by tests/e2e/normalize.go, "
        "normalizeHTTPResponses, for real and mocked logs alike); the real containercluster-swap "
        "reads a pool Pod range 10.72.0.0/14 beside the cluster's `10.112.0.0/14`",
        in_operations=False,
    ),
    Unrecorded(
        host="container.googleapis.com",
        fields=("controlPlaneEndpointsConfig.ipEndpointsConfig.globalAccess",),
        effect="invented",
        reason="mockgcp keeps the request's ipEndpointsConfig as sent, `globalAccess: false` "
        "included, where GKE shows no false switch (the real containercluster-swap sends "
        "`globalAccess: false` in #1 and reads none)",
        source=_MOCK_CONTAINER,
        in_operations=False,
        when=_mock_cluster,
    ),
    Unrecorded(
        host="container.googleapis.com",
        fields=("initialNodeCount",),
        effect="invented",
        reason="mockgcp gives a pool made without a node count a count of 1; GKE shows none",
        source=f"{_MOCK_CONTAINER}; nodepool.go, populateNodePoolDefaults: `if obj.InitialNodeCount "
        "== 0 { obj.InitialNodeCount = 1 }`; kcc-golden container/v1beta1/containernodepool/"
        "containernodepool/_http.log #8 sends autoscaling and no count, #10-#26 read 1; the same "
        "test recorded on real GCP, k8s-config-connector 675a7c5c84 (conformance/kcc-history/"
        "container/v1beta1/containernodepool/containernodepool@675a7c5c84/_http.log #10-#26), reads "
        "no initialNodeCount",
        in_operations=False,
        when=_mock_pool,
    ),
    Unrecorded(
        host="container.googleapis.com",
        fields=("networkConfig.podIpv4RangeUtilization",),
        effect="invented",
        reason="mockgcp writes a utilization of 0.001 into every pool, nodes or none",
        source=f"{_MOCK_CONTAINER}; nodepool.go: `if obj.NetworkConfig.PodIpv4RangeUtilization == 0 "
        "{ obj.NetworkConfig.PodIpv4RangeUtilization = 0.001 }`",
        in_operations=False,
        when=_mock_pool,
    ),
    Unrecorded(
        host="container.googleapis.com",
        fields=("nodePools[].networkConfig.podIpv4RangeUtilization",),
        effect="invented",
        reason="mockgcp writes a utilization of 0.001 into every pool of a new cluster, where GKE "
        "shows none until it has measured the range (the real containercluster-swap/_http.log "
        "#3-#9 read none with the first node)",
        source=f"{_MOCK_CONTAINER}; nodepool.go: `if obj.NetworkConfig.PodIpv4RangeUtilization == 0 "
        "{ obj.NetworkConfig.PodIpv4RangeUtilization = 0.001 }`",
        in_operations=False,
        when=_mock_cluster,
    ),
    Unrecorded(
        host="container.googleapis.com",
        fields=(*_MOCK_POOL_ABSENT, "etag", "locations", "autoscaling.locationPolicy"),
        effect="absent",
        reason="GKE node pools of the 1.30.5 logs were written by mockgcp, which fills none of these",
        source=_MOCK_CONTAINER,
        in_operations=False,
        when=_mock_pool,
    ),
    Unrecorded(
        host="container.googleapis.com",
        fields=("zone",),
        effect="absent",
        reason="mockgcp names a cluster's zone only when its location is a zone; the regional "
        "clusters of the 1.30.5 logs are its",
        source=_MOCK_CLUSTER_CREATE,
        in_operations=False,
        when=_mock_regional_cluster,
    ),
    Unrecorded(
        host="container.googleapis.com",
        fields=(
            "locations",
            "nodePools[].locations",
            "nodePools[].instanceGroupUrls",
            "instanceGroupUrls",
            "currentNodeCount",
        ),
        effect="value",
        reason="mockgcp keeps a regional cluster and its pools in the region itself, one node in "
        "all, where GKE spreads them over three zones",
        source=_MOCK_CLUSTER_CREATE,
        in_operations=False,
        when=_mock_regional_cluster,
    ),
    Unrecorded(
        host="container.googleapis.com",
        fields=("instanceGroupUrls",),
        effect="value",
        reason="mockgcp makes one group in the region's first zone for a regional pool, where GKE "
        "makes one in each of the pool's zones",
        source=f"{_MOCK_CLUSTER_CREATE}; nodepool.go, createMockIGM (one group); kcc-golden "
        "container/v1beta1/containernodepool/containernodepool-enableconfidentialnodes/_http.log #10",
        in_operations=False,
        when=_mock_regional_pool,
    ),
    Unrecorded(
        host="container.googleapis.com",
        fields=("progress.metrics",),
        effect="value",
        reason="mockgcp finishes every cluster creation with the same hard-coded steps, 12 of them "
        "deploying, where the real creation of containercluster-swap counts 10",
        source="k8s-config-connector mockgcp/mockcontainer/cluster.go at 003a6db3bc, CreateCluster: "
        "`op.Progress = "
        '&pb.OperationProgress{Metrics: ... {Name: "CLUSTER_DEPLOYING", ... IntValue: 12}, {Name: '
        '"CLUSTER_DEPLOYING_TOTAL", ... IntValue: 12} ...}`; kcc-golden container/v1beta1/'
        "containercluster/containercluster-minimal/_http.log #2, where the real "
        "containercluster-swap/_http.log #2 reads 10 and 10",
        in_operations=False,
        when=_mock_create_progress,
    ),
    Unrecorded(
        host="container.googleapis.com",
        fields=("autoscaling.autoprovisioningNodePoolDefaults.oauthScopes",),
        effect="value",
        reason="mockgcp adds the monitoring scope to auto-provisioned pools' scopes sent with "
        "logging.write; Google documents the scopes as those the request sets",
        source="k8s-config-connector mockgcp/mockcontainer, populateAutoprovisioningNodePoolDefaults: "
        "beside its default of two scopes, marked unconfirmed with the API team, a rule that adds "
        "`.../auth/monitoring` to scopes sent with logging.write; kcc-golden container/v1beta1/"
        "containercluster/containercluster-autoscaling-basic/_http.log #3; no real recording sends "
        'scopes with node auto-provisioning (AutoprovisioningNodePoolDefaults.oauthScopes, "Scopes '
        'that are used by NAP when creating node pools", https://cloud.google.com/kubernetes-engine/'
        "docs/reference/rest/v1/projects.locations.clusters#autoprovisioningnodepooldefaults)",
        in_operations=False,
        when=_mock_nap_scopes_added,
    ),
    Unrecorded(
        host="container.googleapis.com",
        fields=("privateClusterConfig.masterGlobalAccessConfig",),
        effect="absent",
        reason="mockgcp carries an update of the IP endpoints' global access into "
        "controlPlaneEndpointsConfig only, not into the older privateClusterConfig it mirrors",
        source="k8s-config-connector mockgcp/mockcontainer/cluster.go at 003a6db3bc, UpdateCluster: for "
        "DesiredControlPlaneEndpointsConfig it copies `EnablePublicEndpoint` and "
        "`AuthorizedNetworksConfig` into the older fields, not `GlobalAccess`; kcc-golden "
        "container/v1beta1/containercluster/containercluster-private-masteripv4cidr/_http.log #18 "
        "(`globalAccess: true`) and #20; Google documents the older field as the same setting "
        '("Deprecated: Use ControlPlaneEndpointsConfig.IPEndpointsConfig.enable_global_access '
        'instead", https://cloud.google.com/kubernetes-engine/docs/reference/rest/v1/'
        "projects.locations.clusters#privateclusterconfig)",
        in_operations=False,
        when=_mock_cluster,
    ),
    Unrecorded(
        host="container.googleapis.com",
        fields=("addonsConfig.gcePersistentDiskCsiDriverConfig.enabled",),
        effect="invented",
        reason="mockgcp shows the Persistent Disk CSI driver on whatever was sent, also after an "
        "update turned it off; GKE turns it on at creation only",
        source=_MOCK_PD_CSI,
        in_operations=False,
        when=_mock_cluster,
    ),
    Unrecorded(
        host="container.googleapis.com",
        fields=("addonsConfig.gcePersistentDiskCsiDriverConfig",),
        effect="absent",
        reason="mockgcp shows the Persistent Disk CSI driver on after an update turned it off, "
        "where GKE shows the driver's settings empty",
        source=_MOCK_PD_CSI,
        in_operations=False,
        when=_mock_cluster,
    ),
    Unrecorded(
        host="container.googleapis.com",
        fields=("workloadIdentityConfig.identityNamespace", "workloadIdentityConfig.identityProvider"),
        effect="absent",
        reason="mockgcp keeps a cluster's Workload Identity as sent, its workload pool alone, where "
        "GKE's v1beta1 answers name it again as the identity namespace, with the cluster's identity "
        "provider",
        source="k8s-config-connector mockgcp/mockcontainer/cluster.go at cdb85ecf17 (no "
        "IdentityNamespace or IdentityProvider anywhere); kcc-golden container/v1beta1/"
        "containercluster/containercluster-addon/_http.log #3-#21; the same test recorded on real "
        "GCP, k8s-config-connector b9cb90e11d (conformance/kcc-history/container/v1beta1/"
        "containercluster/containercluster-addon@b9cb90e11d/_http.log #3 onwards), reads "
        "`identityNamespace: ${projectId}.svc.id.goog` and `identityProvider: https://"
        "container.googleapis.com/v1/projects/${projectId}/locations/us-central1-a/clusters/"
        "containercluster-${uniqueId}`",
        in_operations=False,
        when=_mock_cluster,
    ),
    Unrecorded(
        host="container.googleapis.com",
        fields=("nodeConfig.confidentialNodes", "nodePools[].config.confidentialNodes"),
        effect="invented",
        reason="mockgcp copies a cluster's confidential nodes into its node config and pools, where "
        "GKE shows them at the cluster level alone",
        source="k8s-config-connector mockgcp/mockcontainer/cluster.go at cdb85ecf17, "
        "populateClusterDefaults: `if obj.ConfidentialNodes != nil && obj.ConfidentialNodes.Enabled "
        "{ ... obj.NodeConfig.ConfidentialNodes.Enabled = true ... }`; kcc-golden container/v1beta1/"
        "containercluster/containercluster-enableconfidentialnodesincluster/_http.log #3-#9; the "
        "same test recorded on real GCP, k8s-config-connector c9e89b2e15 (conformance/kcc-history/"
        "container/v1beta1/containercluster/containercluster-enableconfidentialnodesincluster@"
        "c9e89b2e15/_http.log #3-#9), reads no confidentialNodes in nodeConfig or the pools",
        in_operations=False,
        when=_mock_confidential_cluster,
    ),
    Unrecorded(
        host="container.googleapis.com",
        fields=(
            "masterAuthorizedNetworksConfig.gcpPublicCidrsAccessEnabled",
            "controlPlaneEndpointsConfig.ipEndpointsConfig.authorizedNetworksConfig.gcpPublicCidrsAccessEnabled",
        ),
        effect="invented",
        reason="mockgcp turns access from Google Cloud's public addresses on for every cluster, "
        "where GKE turns on instead, for a cluster with private nodes, the authorized networks' "
        "enforcement on the private endpoint",
        source=_MOCK_PRIVATE_AUTHORIZED,
        in_operations=False,
        when=_mock_private_cluster,
    ),
    Unrecorded(
        host="container.googleapis.com",
        fields=(
            "masterAuthorizedNetworksConfig.privateEndpointEnforcementEnabled",
            "controlPlaneEndpointsConfig.ipEndpointsConfig.authorizedNetworksConfig.privateEndpointEnforcementEnabled",
        ),
        effect="absent",
        reason="mockgcp does not enforce a private cluster's authorized networks on its private "
        "endpoint, where GKE does",
        source=_MOCK_PRIVATE_AUTHORIZED,
        in_operations=False,
        when=_mock_private_cluster,
    ),
    Unrecorded(
        host="container.googleapis.com",
        fields=("privateClusterConfig.privateEndpointSubnetwork",),
        effect="absent",
        reason="mockgcp keeps the private endpoint's subnetwork in controlPlaneEndpointsConfig alone, "
        "where GKE shows it in privateClusterConfig too",
        source="k8s-config-connector mockgcp/mockcontainer/cluster.go at cdb85ecf17 (no "
        "PrivateEndpointSubnetwork anywhere); kcc-golden container/v1beta1/containercluster/"
        "containercluster-private-privateendpointsubnetwork/_http.log #11-#24; the same test "
        "recorded on real GCP, k8s-config-connector b0e9d55bdc (conformance/kcc-history/container/"
        "v1beta1/containercluster/containercluster-private-privateendpointsubnetwork@b0e9d55bdc/"
        "_http.log #11-#24), reads it in both",
        in_operations=False,
        when=_mock_private_cluster,
    ),
    Unrecorded(
        host="container.googleapis.com",
        fields=("masterAuthorizedNetworksConfig",),
        effect="invented",
        reason="mockgcp gives a cluster whose IP endpoints are off an empty authorized networks "
        "config; GKE shows none",
        source=_MOCK_NO_IP_ENDPOINTS,
        in_operations=False,
        when=_mock_no_ip_endpoints,
    ),
    Unrecorded(
        host="container.googleapis.com",
        fields=("privateClusterConfig.publicEndpoint",),
        effect="absent",
        reason="mockgcp copies no public address into privateClusterConfig when the IP endpoints "
        "are off; GKE keeps the cluster's public address there",
        source=_MOCK_NO_IP_ENDPOINTS,
        in_operations=False,
        when=_mock_no_ip_endpoints,
    ),
    Unrecorded(
        host="container.googleapis.com",
        fields=("controlPlaneEndpointsConfig.ipEndpointsConfig.privateEndpointSubnetwork",),
        effect="absent",
        reason="mockgcp makes no subnetwork for the private endpoint of a cluster given its control "
        "plane's range, where GKE makes `gke-<cluster>-<8 hex>-pe-subnet` and names it",
        source="k8s-config-connector mockgcp/mockcontainer/cluster.go at cdb85ecf17 (no "
        "PrivateEndpointSubnetwork anywhere); kcc-golden container/v1beta1/containercluster/"
        "containercluster-private-masteripv4cidr/_http.log #9 sends `masterIpv4CidrBlock` and an "
        "empty `privateEndpointSubnetwork`, #11-#24 read none; the same test recorded on real GCP, "
        "k8s-config-connector b0e9d55bdc (conformance/kcc-history/container/v1beta1/containercluster/"
        "containercluster-private-masteripv4cidr@b0e9d55bdc/_http.log #11-#24), reads "
        "`gke-containercluster-${uniqueId}-1675816e-pe-subnet`",
        in_operations=False,
        when=_mock_private_cluster,
    ),
    Unrecorded(
        host="container.googleapis.com",
        fields=("nodeConfig.workloadMetadataConfig", "nodePools[].config.workloadMetadataConfig"),
        effect="absent",
        reason="mockgcp gives no pool the GKE metadata server, Workload Identity or not",
        source="k8s-config-connector mockgcp/mockcontainer/nodepool.go, populateNodeConfig (no "
        "WorkloadMetadataConfig); kcc-golden container/v1beta1/containercluster/containercluster-"
        "addon/_http.log #1 enables Workload Identity and #3 reads the default pool without it; "
        "Google documents that a cluster with Workload Identity Federation runs the GKE metadata "
        "server on its node pools (https://cloud.google.com/kubernetes-engine/docs/how-to/"
        'workload-identity: "all new node pools you create in the cluster use the GKE metadata '
        'server")',
        in_operations=False,
        when=_mock_cluster,
    ),
    Unrecorded(
        host="storage.googleapis.com",
        fields=("prefixes",),
        effect="invented",
        reason="an object list without a delimiter has no prefixes, and nothing in these logs made "
        "`testfolder` or `testmanagedfolder` in the bucket they created; Config Connector's own "
        "maintainers strip this very answer from their logs as not the bucket's",
        source=(
            "https://cloud.google.com/storage/docs/json_api/v1/objects/list (`delimiter`: "
            '"Objects whose names, aside from the prefix, contain delimiter will have their name, '
            'truncated after the delimiter, returned in prefixes"); kcc-golden storage/v1beta1/'
            "storagebucket/storagebucketbasic/_http.log #1 (the bucket made) and #5 "
            "(`GET .../o?alt=json&prettyPrint=false&versions=true` answered "
            '`"prefixes": ["testfolder", "testmanagedfolder"]`), the same in '
            "storagebucketautoclass, storagebucketsoftdelete, storagebucketzero and "
            "compute/v1beta1/computeurlmap/globalcomputeurlmap*; k8s-config-connector (2026) "
            "fix-up script for pubsubsubscription-cloudstorage and runjob-gcsvolume/_http.log, "
            'which replaces that answer by `{"kind": "storage#objects"}`'
        ),
        in_operations=False,
        when=_stray_folder_prefixes,
        on_url=r"/o\?(?!.*delimiter=)",
    ),
    Unrecorded(
        host="compute.googleapis.com",
        fields=("privateIpGoogleAccess",),
        effect="value",
        reason="a subnetwork read in a mock-written GKE log: mockgcp's clusters leave their "
        "subnetwork as it was, where GKE turns its Private Google Access on",
        source=_MOCK_GKE_SUBNET,
        in_operations=False,
        on_url=_MOCK_GKE_SUBNET_READS,
    ),
    Unrecorded(
        host="compute.googleapis.com",
        fields=("secondaryIpRanges",),
        effect="absent",
        reason="a subnetwork read in a mock-written GKE log: mockgcp's clusters add no Pod range "
        "to their subnetwork, where GKE adds the one it makes while the cluster lasts",
        source=_MOCK_GKE_SUBNET,
        in_operations=False,
        on_url=_MOCK_GKE_SUBNET_READS,
    ),
    Unrecorded(
        host="container.googleapis.com",
        fields=("progress",),
        effect="absent",
        reason="mockgcp answers a node pool's autoscaling update with an operation on the cluster "
        "and no progress, where GKE's acts on the pool and counts the nodes it reaches",
        source="k8s-config-connector mockgcp/mockcontainer/cluster.go at cdb85ecf17, UpdateCluster "
        "(one operation on the cluster for every update, DesiredNodePoolAutoscaling included, "
        "without progress); kcc-golden container/v1beta1/containernodepool/containernodepool/"
        "_http.log #17 and #18; the same test recorded on real GCP, k8s-config-connector 675a7c5c84 "
        "(conformance/kcc-history/container/v1beta1/containernodepool/containernodepool@675a7c5c84/"
        "_http.log #17 and #18), targets the pool and reads `progress.metrics: [{name: NODES_TOTAL, "
        'intValue: "0"}]` once done',
        in_operations=False,
        when=_mock_cluster_update_operation,
    ),
    Unrecorded(
        host="container.googleapis.com",
        fields=("operationType",),
        effect="value",
        reason="mockgcp types the operation of setResourceLabels SET_LABELS; GKE answers it UPDATE_CLUSTER",
        source="k8s-config-connector mockgcp/mockcontainer/cluster.go at cdb85ecf17, "
        "SetLabels: `OperationType: pb.Operation_SET_LABELS`; kcc-golden container/v1beta1/"
        "containercluster/containercluster/_http.log #29 and #30; the same test recorded on real "
        "GCP, k8s-config-connector 4966a6d0d8 (conformance/kcc-history/container/v1beta1/"
        "containercluster/containercluster@4966a6d0d8/_http.log #29 and #30, and a30525b20e #34), "
        "reads `UPDATE_CLUSTER`",
        in_operations=False,
        when=_mock_set_labels,
    ),
    Unrecorded(
        host="container.googleapis.com",
        fields=("monitoringConfig.componentConfig.enableComponents", "clusterTelemetry.type"),
        effect="value",
        reason="mockgcp keeps a cluster's components and telemetry as they were when its logging "
        "and monitoring services are turned off; GKE keeps the control plane's monitoring "
        "components only and disables the telemetry",
        source=_REAL_TELEMETRY_OFF,
        in_operations=False,
        when=_mock_telemetry_off,
    ),
    Unrecorded(
        host="container.googleapis.com",
        fields=("loggingConfig.componentConfig.enableComponents",),
        effect="invented",
        reason="mockgcp keeps a cluster's logging components when its logging service is turned "
        "off; GKE shows none",
        source=_REAL_TELEMETRY_OFF,
        in_operations=False,
        when=_mock_telemetry_off,
    ),
    Unrecorded(
        host="container.googleapis.com",
        fields=("loggingConfig.componentConfig",),
        effect="absent",
        reason="mockgcp keeps a cluster's logging components when its logging service is turned "
        "off, where GKE shows the components' message empty",
        source=_REAL_TELEMETRY_OFF,
        in_operations=False,
        when=_mock_telemetry_off,
    ),
    Unrecorded(
        host="container.googleapis.com",
        fields=("operationType",),
        effect="absent",
        reason="mockgcp starts a node pool update's operation with its zone and target only",
        source="k8s-config-connector mockgcp/mockcontainer/nodepool.go at cdb85ecf17, UpdateNodePool: "
        "`op := &pb.Operation{Zone: name.Location, TargetLink: name.TargetLink(ctx)}`; kcc-golden "
        "container/v1beta1/containernodepool/containernodepool/_http.log #19 (no operationType) "
        "where the real containernodepool-swap/_http.log #17 reads `UPGRADE_NODES`; Google documents "
        "the type of every operation: https://cloud.google.com/kubernetes-engine/docs/reference/rest/"
        "v1/projects.locations.operations#Operation.Type",
        in_operations=False,
        when=_mock_container_operation,
    ),
    Unrecorded(
        host="compute.googleapis.com",
        fields=(
            *(f"currentActions.{action}" for action in CURRENT_ACTIONS),
            "instanceLifecyclePolicy.onFailedHealthCheck",
            "listManagedInstancesResults",
            "satisfiesPzs",
            "serviceAccount",
            "standbyPolicy",
            "status.allInstancesConfig",
            "status.stateful",
            "status.versionTarget",
            "targetSizePolicy",
            "targetStoppedSize",
            "targetSuspendedSize",
            "updatePolicy.maxSurge.calculated",
            "updatePolicy.maxUnavailable.calculated",
            "updatePolicy.minReadySec",
            "versions",
        ),
        effect="absent",
        reason="managed instance groups of the GKE 1.30.5 logs were written by mockgcp, which "
        "fills none of these",
        source=_MOCK_IGM,
        in_operations=False,
        when=_mock_igm,
    ),
    Unrecorded(
        host="compute.googleapis.com",
        fields=("instanceTemplate", "targetSize", "currentActions.none"),
        effect="value",
        reason="mockgcp names a global instance template where GKE makes a regional one, and "
        "sets targetSize once to the pool's initialNodeCount (1 when none was sent), whatever "
        "setSize does after",
        source=_MOCK_IGM,
        in_operations=False,
        when=_mock_igm,
    ),
    Unrecorded(
        host="compute.googleapis.com",
        fields=("endTime", "operationType", "targetLink", "targetId", "user", "region"),
        effect="absent",
        reason="a compute operation recorded DONE at progress 0 was written by mockcompute, which "
        "fills none of these (nor the region of an operation on a regional resource)",
        source=_MOCK_COMPUTE_LRO,
        in_operations=False,
        when=_mock_compute_operation,
    ),
    Unrecorded(
        host="compute.googleapis.com",
        fields=("progress", "status"),
        effect="value",
        reason="mockcompute answers an operation finished in the answer that starts it, with "
        "progress 0; Google's starts RUNNING",
        source=_MOCK_COMPUTE_LRO,
        in_operations=False,
        when=_mock_compute_operation,
    ),
    Unrecorded(
        host="compute.googleapis.com",
        fields=("status", "selfLink"),
        effect="value",
        reason="mockcompute answers a change to a regional resource with its newLRO, finished in "
        "the answer that starts it and under global/operations (kcc-golden compute/v1beta1/"
        "computerouternat/computerouternat/_http.log #12, setLabels of a regional address); Google "
        "names a regional resource's operations under regions/<r>/operations",
        source=f"{_MOCK_COMPUTE_LRO}; https://cloud.google.com/compute/docs/reference/rest/v1/regionOperations",
        in_operations=False,
        when=_mock_compute_operation,
        on_url=r"/regions/[^/]+/",
    ),
    Unrecorded(
        host="compute.googleapis.com",
        fields=(
            "startRestricted",
            "fingerprint",
            "lastStartTimestamp",
            "disks[].kind",
            "disks[].type",
            "disks[].deviceName",
            "disks[].index",
            "disks[].interface",
            "disks[].source",
            "disks[].diskSizeGb",
            "metadata.kind",
            "metadata.fingerprint",
            "networkInterfaces[].kind",
            "networkInterfaces[].name",
            "networkInterfaces[].fingerprint",
            "networkInterfaces[].stackType",
            "networkInterfaces[].subnetwork",
            "networkInterfaces[].networkIP",
            "scheduling.onHostMaintenance",
            "scheduling.preemptible",
            "scheduling.provisioningModel",
            "tags.fingerprint",
        ),
        effect="absent",
        reason="VM instances of the corpus were written by mockgcp, which answers the request as "
        "sent and fills none of these",
        source=_MOCK_INSTANCE,
        in_operations=False,
        when=_mock_instance,
    ),
    Unrecorded(
        host="compute.googleapis.com",
        fields=("disks[].initializeParams", "params", "metadata", "tags"),
        effect="invented",
        reason="mockgcp keeps the input-only `initializeParams` and `params` of the request, and "
        "its empty `metadata` and `tags`, where Google gives each their kind and fingerprint",
        source=_MOCK_INSTANCE,
        in_operations=False,
        when=_mock_instance,
    ),
    Unrecorded(
        host="compute.googleapis.com",
        fields=("status", "labelFingerprint"),
        effect="absent",
        reason="target VPN gateways of the corpus were written by mockgcp, which fills neither",
        source=_MOCK_VPN_GATEWAY,
        in_operations=False,
        when=_mock_vpn_gateway,
    ),
    Unrecorded(
        host="compute.googleapis.com",
        fields=("region",),
        effect="value",
        reason="mockgcp reads back the `projects/<p>/global/regions/<r>` the request sent",
        source=_MOCK_VPN_GATEWAY,
        in_operations=False,
        when=_mock_vpn_gateway,
    ),
    Unrecorded(
        host="serviceusage.googleapis.com",
        fields=(
            "config",
            "parent",
            "services[].config",
            "response.service.config",
            "metadata",
        ),
        effect="absent",
        reason="Service Usage answers were written by mockgcp, which gives no service a config, "
        "a never-enabled service no parent, and its operations an Empty metadata",
        source=f"{_MOCK_SERVICEUSAGE}; {_SERVICEUSAGE_DOC}",
        in_operations=False,
    ),
    Unrecorded(
        host="serviceusage.googleapis.com",
        fields=("metadata.value",),
        effect="invented",
        reason="mockgcp marshals an Any holding Empty with an empty `value`; Google's JSON for an "
        "Any of a message has only its `@type` and the message's own fields",
        source=f"{_MOCK_SERVICEUSAGE}; https://protobuf.dev/programming-guides/json/ (Any)",
        in_operations=False,
    ),
    Unrecorded(
        host="serviceusage.googleapis.com",
        fields=("metadata.@type",),
        effect="value",
        reason="mockgcp's operation metadata is Empty; the API declares OperationMetadata",
        source=f"{_MOCK_SERVICEUSAGE}; {_SERVICEUSAGE_DOC}",
        in_operations=False,
    ),
    Unrecorded(
        host="vpcaccess.googleapis.com",
        fields=("minInstances", "maxInstances"),
        effect="value",
        reason="VPC Access connectors were written by mockgcp, which answers instances 3 and 4 "
        "whenever none were sent, whatever the throughput; Google documents throughput in steps of "
        "100 Mbps per e2-micro instance",
        source=f"{_MOCK_VPCACCESS}; https://cloud.google.com/vpc/docs/reference/vpcaccess/rest/v1/"
        "projects.locations.connectors (minThroughput, minInstances)",
    ),
    Unrecorded(
        host="vpcaccess.googleapis.com",
        fields=("network",),
        effect="absent",
        reason="mockgcp answers a connector made on a subnet with the request as sent, so without "
        "the network the subnet belongs to",
        source=f"{_MOCK_VPCACCESS}; kcc-golden vpcaccess/v1beta1/vpcaccessconnector/subnetconnector/"
        "_http.log #21-#23",
    ),
    Unrecorded(
        host="",
        fields=("done",),
        effect="absent",
        reason="the normaliser deletes `done: false` from every operation answer",
        source="k8s-config-connector tests/e2e/normalize.go, normalizeHTTPResponses: "
        '"if m[\\"done\\"] == false { delete(m, \\"done\\") }" ("Specific to LROs")',
        in_operations=False,
    ),
    Unrecorded(
        host="",
        fields=("metadata.cancelRequested",),
        effect="absent",
        reason="the normaliser deletes `cancelRequested: false` from operation metadata",
        source="k8s-config-connector tests/e2e/normalize.go, normalizeHTTPResponses: "
        '"if m[\\"cancelRequested\\"] == false { delete(m, \\"cancelRequested\\") }"',
        in_operations=False,
    ),
    Unrecorded(
        host="run.googleapis.com",
        fields=(
            "uri",
            "urls",
            "latestCreatedRevision",
            "latestReadyRevision",
            "conditions",
            "observedGeneration",
            "trafficStatuses",
            "traffic",
        ),
        effect="absent",
        reason="Cloud Run service answers were written by mockgcp, which never fills these "
        "output-only fields nor defaults `traffic`; Google documents all of them as set on a "
        "service (traffic defaulting to 100% to the latest ready revision)",
        source=f"{_MOCKRUN_SERVICE}; {_RUN_V2_DOC}",
    ),
    Unrecorded(
        host="run.googleapis.com",
        fields=("observedGeneration",),
        effect="absent",
        reason="Cloud Run job answers were written by mockgcp, which never sets observedGeneration",
        source=f"{_MOCKRUN_JOB}; https://cloud.google.com/run/docs/reference/rest/v2/projects.locations.jobs",
    ),
    Unrecorded(
        host="run.googleapis.com",
        fields=(
            "metadata.reconciling",
            "metadata.deleteTime",
            "metadata.expireTime",
            "response.deleteTime",
            "response.expireTime",
            *(
                f"{prefix}{template}containers[].{probe}.{check}.port"
                for prefix in ("", "metadata.", "response.")
                for template in ("template.", "template.template.")
                for probe in ("startupProbe", "livenessProbe")
                for check in ("httpGet", "grpc")
            ),
        ),
        effect="absent",
        reason="Cloud Run operations and probes were written by mockgcp, which leaves the resource's "
        "reconciliation state and deletion times out of an operation and a probe's port unset; "
        "real Cloud Run shows them",
        source=f"{_MOCKRUN_SERVICE}; {_MOCKRUN_JOB}; {_REAL_RUN_JOBS}",
        in_operations=False,
    ),
    Unrecorded(
        host="run.googleapis.com",
        fields=("metadata.terminalCondition.type", "metadata.terminalCondition.lastTransitionTime"),
        effect="invented",
        reason="mockgcp gives a job it has only begun to create a Ready condition with a transition "
        "time; real Cloud Run shows the new job's condition pending, with neither",
        source=f"{_MOCKRUN_JOB}; {_REAL_RUN_JOBS}",
        in_operations=False,
        when=_run_create_started,
    ),
    Unrecorded(
        host="run.googleapis.com",
        fields=("generation",),
        effect="value",
        reason="mockgcp leaves generation at 1 after an update; Google documents it as a number "
        "that increases every time the desired state changes",
        source=f"{_MOCKRUN_SERVICE}; {_MOCKRUN_JOB}; {_RUN_V2_DOC} (`generation`)",
    ),
    Unrecorded(
        host="run.googleapis.com",
        fields=("metadata.terminalCondition.state",),
        effect="value",
        reason="mockgcp writes a SUCCEEDED terminal condition into the operation that has only "
        "started; a running operation's service is still reconciling",
        source=f"{_MOCKRUN_SERVICE}; {_RUN_V2_DOC} (`reconciling`, `terminalCondition`)",
        in_operations=False,
    ),
    Unrecorded(
        host="sqladmin.googleapis.com",
        fields=("upgradableDatabaseVersions",),
        effect="value",
        reason="the upgrade targets of a MySQL instance upgraded in place were written by mockgcp, "
        "which keeps the old major's list and adds the new one's; a list naming a version twice, "
        "or the version the instance runs, is no list of targets Google sends",
        source=_MOCK_SQL_UPGRADE,
        in_operations=False,
        when=_mock_sql_upgrade,
    ),
    Unrecorded(
        host="sqladmin.googleapis.com",
        fields=("upgradableDatabaseVersions",),
        effect="value",
        reason="the upgrade targets of a PostgreSQL 9.6, 15 or 16 or a MySQL 8.0 instance were "
        "written by mockgcp's fixed lists; Google lists every later version it offers",
        source=_MOCK_SQL_VERSION_DEFAULTS,
        in_operations=False,
        when=_mock_sql_version_defaults,
    ),
    Unrecorded(
        host="sqladmin.googleapis.com",
        fields=("upgradableDatabaseVersions",),
        effect="absent",
        reason="mockgcp gives PostgreSQL 9.6 and 16 no upgrade targets; Google lists the later "
        "majors it offers",
        source=_MOCK_SQL_VERSION_DEFAULTS,
        in_operations=False,
        when=_mock_sql_version_defaults,
    ),
    Unrecorded(
        host="sqladmin.googleapis.com",
        fields=("databaseInstalledVersion",),
        effect="value",
        reason="mockgcp names a PostgreSQL 9.6 instance's installed version without its minor; "
        "Google reads POSTGRES_9_6_24",
        source=_MOCK_SQL_VERSION_DEFAULTS,
        in_operations=False,
        when=_mock_postgres_9_6,
    ),
    Unrecorded(
        host="sqladmin.googleapis.com",
        fields=("diskEncryptionStatus",),
        effect="absent",
        reason="mockgcp never sets a CMEK instance's diskEncryptionStatus; Google reads the key "
        "version in use",
        source=_MOCK_SQL_CMEK,
        in_operations=False,
        when=_mock_sql_cmek,
    ),
    Unrecorded(
        host="sqladmin.googleapis.com",
        fields=("settings.backupConfiguration.replicationLogArchivingEnabled",),
        effect="invented",
        reason="mockgcp shows PostgreSQL's log archiving false on every instance with backup "
        "settings; Google shows the field only with point-in-time recovery on, true",
        source=_MOCK_SQL_LOG_ARCHIVING,
        in_operations=False,
        when=_mock_sql_log_archiving,
    ),
    Unrecorded(
        host="sqladmin.googleapis.com",
        fields=(
            "settings.backupConfiguration.replicationLogArchivingEnabled",
            "settings.backupConfiguration.transactionalLogStorageState",
        ),
        effect="value",
        reason="mockgcp leaves a PostgreSQL instance's logs unarchived and UNSPECIFIED with "
        "point-in-time recovery on; Google archives them in CLOUD_STORAGE",
        source=_MOCK_SQL_LOG_ARCHIVING,
        in_operations=False,
        when=_mock_sql_log_archiving,
    ),
    Unrecorded(
        host="sqladmin.googleapis.com",
        fields=("items[].passwordPolicy",),
        effect="invented",
        reason="mockgcp gives every Cloud SQL user an empty password policy status; Google lists "
        "a PostgreSQL user without a policy",
        source=_MOCK_SQL_USER_POLICY,
        in_operations=False,
        when=_mock_postgres_user_policy,
    ),
    Unrecorded(
        host="sqladmin.googleapis.com",
        fields=("secondaryGceZone", "failoverReplica"),
        effect="absent",
        reason="mockgcp shows a REGIONAL Cloud SQL instance without its standby; Google reads "
        "where the standby is and that failover is available",
        source=_MOCK_SQL_STANDBY,
        in_operations=False,
        when=_mock_sql_standby,
    ),
    Unrecorded(
        host="sqladmin.googleapis.com",
        fields=("settings.locationPreference.zone",),
        effect="value",
        reason="mockgcp places every instance that names no zone in the region's zone a; Google "
        "placed REGIONAL ones in zone b, the standby in zone a",
        source=_MOCK_SQL_STANDBY,
        in_operations=False,
        when=_mock_sql_first_zone,
    ),
    Unrecorded(
        host="sqladmin.googleapis.com",
        fields=(
            "includeReplicasForMajorVersionUpgrade",
            "settings.replicationLagMaxSeconds",
            "settings.backupConfiguration.backupTier",
            "settings.ipConfiguration.serverCertificateRotationMode",
        ),
        effect="absent",
        reason="mockgcp shows these on SQL Server alone, and Google's PostgreSQL answers of 2024 "
        "predate them; Google's PostgreSQL answers show them since 2025",
        source=_MOCK_SQL_POSTGRES_FIELDS,
        in_operations=False,
        when=_postgres_before_2025,
    ),
    Unrecorded(
        host="sqladmin.googleapis.com",
        fields=("geminiConfig.oomSessionCancelEnabled",),
        effect="value",
        reason="mockgcp, and Google in 2024, show PostgreSQL's OOM session cancelling off; Google "
        "shows it on since 2025",
        source=_MOCK_SQL_POSTGRES_FIELDS,
        in_operations=False,
        when=_postgres_before_2025,
    ),
    Unrecorded(
        host="compute.googleapis.com",
        fields=("operationType", "targetLink", "targetId", "user"),
        effect="absent",
        reason="a compute operation recorded without its type was written by mockcompute, which "
        "starts some operations from an empty Operation; Google types and attributes them",
        source=_MOCK_COMPUTE_UNTYPED,
        in_operations=False,
        when=_mock_untyped_compute_operation,
    ),
    Unrecorded(
        host="container.googleapis.com",
        fields=("databaseEncryption.state", "databaseEncryption.currentState"),
        effect="value",
        reason="secrets encryption read as ENCRYPTED was written by mockgcp; GKE 1.35 reads it "
        "ALL_OBJECTS_ENCRYPTION_ENABLED in the same tests recorded on real GCP",
        source=_MOCK_SECRETS_ENCRYPTION,
        in_operations=False,
        when=_mock_secrets_encryption,
    ),
)


def absent_excused(
    host: str, path: str, emulator_value: list[Any], recorded: Any = None, url: str = ""
) -> bool:
    """A field the emulator returns that the real answer lacks only because of the recording."""
    for rule in RULES:
        if rule.effect == "absent" and rule.covers(host, path, recorded, url):
            if path in ("done", "metadata.cancelRequested"):
                return all(v is False for v in emulator_value)  # only a false one was deleted
            return True
    return False


def invented(host: str, path: str, recorded: Any = None, url: str = "") -> bool:
    """A field of the recording that Google does not send, so not one to recall."""
    return any(rule.effect == "invented" and rule.covers(host, path, recorded, url) for rule in RULES)


def value_unknown(host: str, path: str, recorded: Any = None, url: str = "") -> bool:
    """A value the recording does not carry from Google."""
    return any(rule.effect == "value" and rule.covers(host, path, recorded, url) for rule in RULES)


@dataclass(frozen=True)
class MockAccepted:
    """Requests a mock-written log shows accepted that Google refuses: the log's success is not
    Google's, and the emulator's refusal is the answer to keep."""

    method: str
    on_url: str  # a match of this pattern in the request URL
    mark: str  # text only a mock-written log holds
    reason: str
    source: str

    def covers(self, log_text: str, method: str, url: str) -> bool:
        return method == self.method and bool(re.search(self.on_url, url)) and self.mark in log_text


MOCK_ACCEPTED: tuple[MockAccepted, ...] = (
    MockAccepted(
        method="DELETE",
        on_url=r"/global/networks/[^/?]+(\?|$)|/subnetworks/[^/?]+(\?|$)",
        mark=_MOCK_CA,
        reason="mockcompute deletes a network or subnetwork whatever still uses it; Google refuses "
        "while subnetworks, or a GKE cluster's nodes, are on it (400 resourceInUseByAnotherResource)",
        source="kcc-golden container/v1beta1/containercluster/containercluster-disablel4lbfirewall"
        "reconciliation/_http.log, a mock-written log (mockcontainer's CA certificate "
        f"{_MOCK_CA} in every cluster read): #24 deletes the network while #25's subnetwork and "
        "the cluster (deleted at #31) are on it, #24's operation finishes DONE without an error "
        "(#26); k8s-config-connector mockgcp/mockcompute/networksv1.go, Delete (no check of what "
        "uses the network); Google: https://cloud.google.com/vpc/docs/create-modify-vpc-networks "
        "(delete the resources in a network's subnets, then the subnets, before the network) and "
        'kubernetes/kops#13855 (the 400 quoted: "The network resource ... is already being used '
        'by ...", resourceInUseByAnotherResource)',
    ),
)


def mock_accepted(log_text: str, method: str, url: str) -> bool:
    """A request the log shows accepted only because mockgcp, not Google, answered it."""
    return any(rule.covers(log_text, method, url) for rule in MOCK_ACCEPTED)
