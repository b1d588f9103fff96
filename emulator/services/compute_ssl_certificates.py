"""Compute Engine SSL certificates, above all Google-managed ones.

A managed certificate names up to 100 domains and has no update: new domains mean a new
certificate. Its insert operation finishes quickly, but the certificate itself stays
PROVISIONING (and each domain with it) until the domains resolve to a load balancer that
serves it, which never happens here: there is no DNS. A certificate cannot be deleted while
a target HTTPS proxy lists it.
"""

from __future__ import annotations

import re
from typing import Any

from emulator.registry import Api, Call, Reply
from emulator.services import _compute as c
from emulator.services import _compute_collection as cc
from emulator.services import _lb as lb

API = Api("compute", "v1")

MAX_DOMAINS = 100
KIND = c.Global("sslCertificates", lb.CERTIFICATE, "compute#sslCertificate", "sslCertificate")
_DOMAIN = re.compile(
    r"^(?=.{1,253}$)(?:[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?\.)+[a-z][-a-z0-9]{0,61}[a-z0-9]$"
)


def _domains(value: Any) -> list[str]:
    if not value:
        raise c.required_error("resource.managed.domains")
    if len(value) > MAX_DOMAINS:
        raise c.field_error(
            "resource.managed.domains",
            len(value),
            f"A managed certificate covers at most {MAX_DOMAINS} domains.",
        )
    seen: list[str] = []
    for i, domain in enumerate(value):
        name = str(domain).lower().removesuffix(".")
        if not _DOMAIN.match(name):
            raise c.field_error(
                f"resource.managed.domains[{i}]", domain, "The domain must be a fully qualified domain name."
            )
        if name in seen:
            raise c.field_error(f"resource.managed.domains[{i}]", domain, "Domains must be unique.")
        seen.append(name)
    # A domain is kept as sent, a final dot included (exchanges 1 and 3 of conformance/kcc-golden/
    # compute/v1beta1/computemanagedsslcertificate/_http.log: "sslcert.fixture.club.").
    return [str(domain) for domain in value]


def _managed(body: dict[str, Any]) -> dict[str, Any]:
    for key in ("certificate", "privateKey"):
        if key in body:
            raise c.field_error(f"resource.{key}", "", "A MANAGED certificate takes no certificate or key.")
    domains = _domains((body.get("managed") or {}).get("domains"))
    # The certificate and each domain stay PROVISIONING until the domains point at a load
    # balancer serving it; no expireTime before a certificate is issued
    # (https://cloud.google.com/compute/docs/reference/rest/v1/sslCertificates, managed.status,
    # managed.domainStatus; https://cloud.google.com/load-balancing/docs/ssl-certificates/
    # google-managed-certs, "certificate status"). The corpus's only managed certificate was
    # written by mockgcp (conformance/recorder.py).
    return {
        "type": "MANAGED",
        "managed": {
            "domains": domains,
            "status": "PROVISIONING",
            "domainStatus": {d: "PROVISIONING" for d in domains},
        },
    }


def _expiry(pem: str) -> str | None:
    """The certificate's notAfter as RFC 3339, where the PEM parses."""
    try:
        from cryptography import x509

        cert = x509.load_pem_x509_certificate(pem.encode())
    except (ValueError, ImportError):
        return None
    return cert.not_valid_after_utc.strftime("%Y-%m-%dT%H:%M:%S.000-00:00")


def _self_managed(body: dict[str, Any]) -> dict[str, Any]:
    if body.get("managed"):
        raise c.field_error("resource.managed", "", "Only a MANAGED certificate takes managed settings.")
    pem = body.get("certificate") or (body.get("selfManaged") or {}).get("certificate")
    key = body.get("privateKey") or (body.get("selfManaged") or {}).get("privateKey")
    if not pem:
        raise c.required_error("resource.certificate")
    if not key:
        raise c.required_error("resource.privateKey")
    if "BEGIN CERTIFICATE" not in pem or "PRIVATE KEY" not in key:
        raise c.field_error("resource.certificate", "", "The certificate and key must be PEM encoded.")
    # Shown with the certificate under `selfManaged` too and its expiry (exchange 2 of
    # conformance/kcc-golden/compute/v1beta1/computesslcertificate/regionalcomputesslcertificate/
    # _http.log; `expireTime`: https://cloud.google.com/compute/docs/reference/rest/v1/sslCertificates).
    shown: dict[str, Any] = {"type": "SELF_MANAGED", "certificate": pem, "selfManaged": {"certificate": pem}}
    expiry = _expiry(pem)
    if expiry:
        shown["expireTime"] = expiry
    return shown


def certificate_fields(body: dict[str, Any]) -> dict[str, Any]:
    """What a certificate body makes of a certificate, global or regional: its type, the
    certificate or the managed domains, and the description."""
    kind_fields = _managed(body) if body.get("type") == "MANAGED" else _self_managed(body)
    return {**({"description": body["description"]} if "description" in body else {}), **kind_fields}


@API.handles("compute.sslCertificates.insert")
@c.replaying
def insert_certificate(call: Call) -> Reply:
    _, body, _, base = c.global_insert(call, KIND)
    return lb.write(call, KIND, "insert", {**base, **certificate_fields(body)}, None)


COLLECTION = cc.declare(
    API,
    cc.Collection(
        KIND, frozenset({"get", "list", "aggregatedList", "delete"}), referenced=True, refusals=(lb.IN_USE,)
    ),
)
