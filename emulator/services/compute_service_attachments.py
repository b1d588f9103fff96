"""Compute Engine service attachments: a producer's service offered through Private Service
Connect.

An attachment fronts a producer's forwarding rule (`targetService`) and translates its consumers
into the addresses of NAT subnetworks, subnetworks whose purpose is PRIVATE_SERVICE_CONNECT.
Consumers reach it through a forwarding rule whose target is the attachment. A patch changes
the connection settings and the NAT subnetworks, not the producer's rule.
"""

from __future__ import annotations

from typing import Any

from emulator.errors import ApiError
from emulator.refusal import refusal
from emulator.registry import Api, Call, Reply
from emulator.services import _compute as c
from emulator.services import _compute_collection as cc
from emulator.services import _lb as lb

API = Api("compute", "v1")

KIND = c.Regional(
    "serviceAttachments", lb.SERVICE_ATTACHMENT, "compute#serviceAttachment", "serviceAttachment"
)
# https://cloud.google.com/compute/docs/reference/rest/v1/serviceAttachments (connectionPreference)
PREFERENCES = ("ACCEPT_AUTOMATIC", "ACCEPT_MANUAL")
#: Fields written as sent (https://cloud.google.com/compute/docs/reference/rest/v1/
#: serviceAttachments); an empty list is not shown (exchange 49 of conformance/kcc-golden/compute/
#: v1beta1/computeforwardingrule/regionalcomputeforwardingrulepsc-direct/_http.log sends
#: `consumerRejectLists: []`, exchange 51 reads none).
KEPT = (
    "description",
    "enableProxyProtocol",
    "consumerRejectLists",
    "consumerAcceptLists",
    "domainNames",
    "reconcileConnections",
    "propagatedConnectionLimit",
)


def _missing(path: str) -> ApiError:
    """A service attachment that is not there is named in its own words: exchange 48 of
    conformance/kcc-golden/compute/v1beta1/computeforwardingrule/regionalcomputeforwardingrulepsc-
    direct/_http.log."""
    return ApiError(404, f'serviceAttachment "{path}" not found', reason="notFound")


def _nat_subnets(call: Call, value: Any, region_name: str) -> list[str]:
    """The NAT subnetworks: at least one, each existing in the attachment's region
    (natSubnets: https://cloud.google.com/compute/docs/reference/rest/v1/serviceAttachments)."""
    if not isinstance(value, list) or not value:
        raise c.required_error("resource.natSubnets")
    out = []
    for i, ref in enumerate(value):
        path = c.parse_ref(call, ref, f"resource.natSubnets[{i}]", "subnetworks", region_name)
        c.require_existing(call, c.SUBNETWORK, path)
        out.append(c.link(path))
    return out


@API.handles("compute.serviceAttachments.insert")
@c.replaying
def insert_attachment(call: Call) -> Reply:
    _, region_name, body, path, base = c.regional_insert(call, KIND)
    preference = body.get("connectionPreference")
    if preference not in PREFERENCES:
        raise c.field_error(
            "resource.connectionPreference", preference, f"Must be one of {', '.join(PREFERENCES)}."
        )
    # The producer's forwarding rule must exist in the region (targetService: "The URL of a
    # service serving the endpoint identified by this service attachment":
    # https://cloud.google.com/compute/docs/reference/rest/v1/serviceAttachments).
    target_path, _ = lb.reference(
        call, body.get("targetService"), "resource.targetService", "forwardingRules", region_name
    )
    nat_subnets = _nat_subnets(call, body.get("natSubnets"), region_name)
    attachment: dict[str, Any] = {
        **base,
        "name": body["name"],
        **{k: body[k] for k in KEPT if k in body and body[k] != []},
        "connectionPreference": preference,
        "natSubnets": nat_subnets,
        "targetService": c.link(target_path),
        "selfLink": c.link(path),
        "fingerprint": c.fingerprint(),
    }
    # No `region` is shown (exchange 51 of the log above), though the API reference lists one.
    return lb.write(call, KIND, "insert", attachment, [target_path, *map(c.relative, nat_subnets)])


@API.handles("compute.serviceAttachments.get")
def get_attachment(call: Call) -> dict[str, Any]:
    _, _, path = KIND.paths(call)
    found = call.ctx.store.get(KIND.store_kind, path)
    if found is None:
        raise _missing(path)
    return c.public(found)


#: What a patch changes: the fields `gcloud compute service-attachments update` sets
#: (https://cloud.google.com/sdk/gcloud/reference/compute/service-attachments/update); the name
#: and the producer's rule stay.
PATCHABLE = (
    "connectionPreference",
    "consumerAcceptLists",
    "consumerRejectLists",
    "description",
    "enableProxyProtocol",
    "natSubnets",
    "propagatedConnectionLimit",
    "reconcileConnections",
)


@API.handles("compute.serviceAttachments.patch")
@c.replaying
def patch_attachment(call: Call) -> Reply:
    """A JSON merge patch of the changeable fields; a stale fingerprint is a 412 (fingerprint:
    https://cloud.google.com/compute/docs/reference/rest/v1/serviceAttachments)."""
    _, region_name, path, current = c.regional_target(call, KIND)
    body = dict(call.body or {})
    lb.check_fingerprint(body, current, required=False)
    changes: dict[str, Any] = {}
    for key, value in body.items():
        if key in PATCHABLE:
            changes[key] = value if value != [] else None
        elif value is not None and c.relative(str(value)) != c.relative(str(current.get(key))):
            raise c.field_error(f"resource.{key}", value, "This field cannot be changed after creation.")
    if "connectionPreference" in changes and changes["connectionPreference"] not in PREFERENCES:
        raise c.field_error(
            "resource.connectionPreference",
            changes["connectionPreference"],
            f"Must be one of {', '.join(PREFERENCES)}.",
        )
    refs = None
    if "natSubnets" in changes:
        changes["natSubnets"] = _nat_subnets(call, changes["natSubnets"], region_name)
        refs = [c.relative(s) for s in changes["natSubnets"]]
    return lb.set_fields(call, KIND, "patch", path, current, changes, refs)


ATTACHMENT_PARTS = refusal(
    "compute.serviceAttachments.insert|patch",
    "a connection preference other than ACCEPT_AUTOMATIC or ACCEPT_MANUAL, a targetService that "
    "does not exist, or no NAT subnetwork, or one that does not exist",
    source="https://cloud.google.com/compute/docs/reference/rest/v1/serviceAttachments",
    test="tests/emulator/test_compute_psc.py::test_attachment_needs_its_parts",
)

COLLECTION = cc.declare(
    API,
    cc.Collection(KIND, frozenset({"list", "delete"}), refusals=(ATTACHMENT_PARTS,)),
)
