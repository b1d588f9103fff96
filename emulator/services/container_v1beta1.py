"""GKE under its `v1beta1/` paths, which Config Connector (and `gcloud beta`) use.

Both documents describe the same resources with the same method ids; the v1beta1 routes lead
to the very handlers (and state) of the v1 modules, and requests are checked against the
v1beta1 document, which knows its beta fields. Served so that the real GKE traffic recorded
through v1beta1 (conformance/kcc-golden/container/) measures the clusters and node pools the
provisioner makes through v1.
"""

from __future__ import annotations

from emulator.registry import Api
from emulator.services import container_clusters, container_nodepools, container_operations

API = Api("container", "v1beta1")

for _module in (container_clusters, container_nodepools, container_operations):
    for _method_id, _handler in _module.API.handlers.items():
        try:
            API.handles(_method_id)(_handler)
        except ValueError:  # a v1 method v1beta1 does not have
            continue
