"""Compute Engine regional SSL certificates, for the regional load balancers of a region.

A certificate is self-managed (a PEM certificate and its key) or Google-managed, as a global
one is, and has no update; one a regional target HTTPS proxy lists cannot be deleted.
"""

from __future__ import annotations

from emulator.registry import Api, Call, Reply
from emulator.services import _compute as c
from emulator.services import _compute_collection as cc
from emulator.services import _lb as lb
from emulator.services import compute_ssl_certificates as certificates

API = Api("compute", "v1")

KIND = c.Regional("sslCertificates", lb.REGION_CERTIFICATE, "compute#sslCertificate", "sslCertificate")


@API.handles("compute.regionSslCertificates.insert")
@c.replaying
def insert_certificate(call: Call) -> Reply:
    project_id, region_name, body, path, base = c.regional_insert(call, KIND)
    # `region` is output only: Config Connector sends "projects/<p>/global/regions/<r>", answered
    # 200 (exchange 1 of conformance/kcc-golden/compute/v1beta1/computesslcertificate/
    # regionalcomputesslcertificate/_http.log), and the link is shown (exchange 2).
    body.pop("region", None)
    certificate = {
        **base,
        "name": body["name"],
        **certificates.certificate_fields(body),
        "region": c.link(f"projects/{project_id}/regions/{region_name}"),
        "selfLink": c.link(path),
    }
    return lb.write(call, KIND, "insert", certificate, None)


COLLECTION = cc.declare(
    API,
    cc.Collection(
        KIND,
        frozenset({"get", "list", "delete"}),
        resource="regionSslCertificates",
        referenced=True,
        refusals=(lb.IN_USE,),
    ),
)
