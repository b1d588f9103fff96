"""The Pod range GKE makes itself for a VPC-native cluster sent no secondary range of its own,
and what that does to the cluster's subnetwork.

GKE adds the range to the subnetwork as a secondary range, named as the cluster's
`clusterSecondaryRangeName` and backed by a Network Connectivity internal range of the same
name, and turns Private Google Access on. Once the cluster is deleted, the range goes; Private
Google Access stays on. Recorded on real GCP in earlier versions of Config Connector's GKE tests
(conformance/kcc-history/container/v1beta1/containercluster/):

- containercluster-databaseencryption@77cd53fe81/_http.log: #7 reads the new subnetwork with
  `privateIpGoogleAccess: false` and no secondary range; the cluster is made at #18; #31 reads
  `privateIpGoogleAccess: true` and `secondaryIpRanges: [{ipCidrRange: 10.79.192.0/20,
  rangeName: gke-cluster-dbenc-${uniqueId}-pods-a725deab, reservedInternalRange: https://
  networkconnectivity.googleapis.com/v1/projects/${projectId}/locations/global/internalRanges/
  gke-cluster-dbenc-${uniqueId}-pods-a725deab}]`; the cluster is deleted at #39 and #49 reads
  Private Google Access still on and no secondary range.
- containercluster-databaseencryption-all@77cd53fe81 #30: the range still there while the
  delete #29 runs, gone at #41; containercluster-dnsendpoint-ipendpoint@a9901101de #21,
  containernodepool/containernodepool-subnetworkref@460da51743 #40 and #42, and
  containercluster@4966a6d0d8 #44 (Private Google Access on after the delete) the same.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from emulator.effects import Effect
from emulator.registry import Call
from emulator.services import _compute as compute
from emulator.services import _container as k

#: The cluster's own Pod range, as the subnetwork's secondary range name (hidden in the record).
MADE_RANGE = "_madePodRange"
#: Where GKE's Pod ranges are drawn from, the first one tried, and their size: a /14 of 10.0.0.0/8
#: from 10.112.0.0/14 on, as every recorded cluster read gives a cluster sent no range (kcc-golden
#: container/v1beta1/containercluster/containercluster-minimal/_http.log: 10.112.0.0/14).
POOL = ipaddress.IPv4Network("10.0.0.0/8")
FIRST = ipaddress.IPv4Network("10.112.0.0/14")
RESERVED_ROOT = "https://networkconnectivity.googleapis.com/v1/"


def free_range(call: Call, network: str) -> str:
    """The first /14 from 10.112.0.0/14 on (wrapping round 10.0.0.0/8) that nothing on the
    network holds yet, a subnetwork's ranges or another cluster's Pod range among them, so that
    two clusters on one network do not get one range; 10.112.0.0/14 when all are taken."""
    clusters = [
        ipaddress.IPv4Network(c["clusterIpv4Cidr"])
        for c in call.ctx.store.list(k.CLUSTER)
        if c.get("_network") == network and c.get("clusterIpv4Cidr")
    ]
    candidates = list(POOL.subnets(new_prefix=FIRST.prefixlen))
    start = candidates.index(FIRST)
    for net in candidates[start:] + candidates[:start]:
        if compute.overlap(call, network, [net]) is None and not any(net.overlaps(c) for c in clusters):
            return str(net)
    return str(FIRST)


def made(cluster: dict[str, Any], project_id: str) -> list[Effect]:
    """The changes to the subnetwork once the cluster is made: its Pod range added, Private
    Google Access on."""
    name = cluster.get(MADE_RANGE)
    if not name:
        return []
    subnet = cluster["networkConfig"]["subnetwork"]
    reserved = f"{RESERVED_ROOT}projects/{project_id}/locations/global/internalRanges/{name}"
    item = {
        "rangeName": name,
        "ipCidrRange": cluster["ipAllocationPolicy"]["clusterIpv4Cidr"],
        "reservedInternalRange": reserved,
    }
    return [
        Effect.upsert(compute.SUBNETWORK, subnet, "secondaryIpRanges", item, key="rangeName"),
        Effect.set(
            compute.SUBNETWORK, subnet, {"privateIpGoogleAccess": True, "fingerprint": compute.fingerprint()}
        ),
    ]


def gone(cluster: dict[str, Any]) -> list[Effect]:
    """The changes to the subnetwork once the cluster is deleted: its Pod range removed."""
    name = cluster.get(MADE_RANGE)
    if not name:
        return []
    subnet = cluster["networkConfig"]["subnetwork"]
    return [
        Effect.remove(compute.SUBNETWORK, subnet, "secondaryIpRanges", name, key="rangeName"),
        Effect.set(compute.SUBNETWORK, subnet, {"fingerprint": compute.fingerprint()}),
    ]
