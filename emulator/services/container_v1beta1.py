"""GKE under its `v1beta1/` paths, which Config Connector (and `gcloud beta`) use.

Both documents describe the same resources with the same method ids; the v1beta1 routes lead
to the very handlers (and state) of the v1 modules, and requests are checked against the
v1beta1 document, which knows its beta fields. Served so that the real GKE traffic recorded
through v1beta1 (conformance/kcc-golden/container/) measures the clusters and node pools the
provisioner makes through v1.

The links in an answer name the version it was asked through: a cluster, node pool or
operation read under v1beta1 has `selfLink`/`targetLink` under
`https://container.googleapis.com/v1beta1/` (every answer of
conformance/kcc-golden/container/v1beta1/containercluster/containercluster-minimal/_http.log).
"""

from __future__ import annotations

import re
from functools import wraps
from typing import Any

from emulator.registry import Api, Call, Handler, Reply
from emulator.services import container_clusters, container_nodepools, container_operations
from emulator.services._container import ROOT

API = Api("container", "v1beta1")
BETA_ROOT = ROOT.replace("/v1/", "/v1beta1/")


def beta_links(value: Any) -> Any:
    """`value` with every GKE link under v1 rewritten under v1beta1."""
    if isinstance(value, dict):
        return {k: beta_links(v) for k, v in value.items()}
    if isinstance(value, list):
        return [beta_links(v) for v in value]
    if isinstance(value, str) and value.startswith(ROOT):
        return BETA_ROOT + value[len(ROOT) :]
    return value


_CLUSTER_LINK = re.compile(r"/projects/([^/]+)/(?:zones|locations)/([^/]+)/clusters/([^/]+)$")


def beta_fields(value: Any) -> Any:
    """`value` with the deprecated fields v1beta1 still answers beside the ones that replaced
    them. Real GKE, read through v1beta1 (k8s-config-connector b9cb90e11d, conformance/
    kcc-history/container/v1beta1/containercluster/containercluster-addon@b9cb90e11d/_http.log
    #3 onwards): a cluster with a workload pool shows it again as `identityNamespace`, with an
    `identityProvider` naming the cluster under v1; a node config with the GKE metadata server
    shows `nodeMetadata: GKE_METADATA_SERVER` beside `mode: GKE_METADATA`, in the cluster's
    nodeConfig and in every pool's config."""
    if isinstance(value, list):
        return [beta_fields(v) for v in value]
    if not isinstance(value, dict):
        return value
    out = {k: beta_fields(v) for k, v in value.items()}
    identity = out.get("workloadIdentityConfig")
    link = _CLUSTER_LINK.search(str(out.get("selfLink", "")))
    if isinstance(identity, dict) and identity.get("workloadPool") and link:
        project, location, name = link.groups()
        identity.setdefault("identityNamespace", identity["workloadPool"])
        identity.setdefault(
            "identityProvider", f"{ROOT}projects/{project}/locations/{location}/clusters/{name}"
        )
    metadata = out.get("workloadMetadataConfig")
    if isinstance(metadata, dict) and metadata.get("mode") == "GKE_METADATA":
        metadata.setdefault("nodeMetadata", "GKE_METADATA_SERVER")
    return out


def _beta(handler: Handler) -> Handler:
    @wraps(handler)
    def serve(call: Call) -> Reply | dict[str, Any]:
        reply = handler(call)
        if isinstance(reply, Reply):
            reply.body = beta_fields(beta_links(reply.body))
            return reply
        return beta_fields(beta_links(reply))

    return serve


for _module in (container_clusters, container_nodepools, container_operations):
    for _method_id, _handler in _module.API.handlers.items():
        try:
            API.handles(_method_id)(_beta(_handler))
        except ValueError:  # a v1 method v1beta1 does not have
            continue
