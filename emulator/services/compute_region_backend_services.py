"""Compute Engine regional backend services (`regionBackendServices`).

A regional backend service is built as a global one is (compute_backend_services.build: the same
defaults, backend and health check references, CDN and serverless rules), and answers the same
shape with its region's link (conformance/kcc-golden/compute/v1beta1/computebackendservice/
regionalcomputebackendservicetd/_http.log #5 -> #7, computeforwardingrule/
regionalcomputeforwardingrulefull-direct/_http.log #9 -> #11). It also takes the INTERNAL scheme
of internal passthrough load balancers (regionalcomputeforwardingrulefull-direct #9) and may name
a regional or a global health check. `update` (PUT) and `patch` need the current fingerprint
(regionalcomputebackendservicetd #8 sends it); the scheme is fixed after creation; a regional
backend service a URL map or forwarding rule uses cannot be deleted.
"""

from __future__ import annotations

from typing import Any

from emulator import standard
from emulator.effects import Effect
from emulator.registry import Api, Call, Reply
from emulator.services import _compute as c
from emulator.services import _compute_collection as cc
from emulator.services import _lb as lb
from emulator.services import compute_backend_services as global_services

API = Api("compute", "v1")

KIND = c.Regional("backendServices", lb.BACKEND_SERVICE, "compute#backendService", "backendService")
#: https://cloud.google.com/compute/docs/reference/rest/v1/regionBackendServices
#: (loadBalancingScheme): the global schemes and INTERNAL.
SCHEMES = (*global_services.SCHEMES, "INTERNAL")
#: Fields the API keeps from the stored resource on an update; `region` is output only (Config
#: Connector sends `projects/.../global/regions/us-central1`, regionalcomputebackendservicetd
#: #5, and reads back the region's link, #7).
KEPT = (*global_services.KEPT, "region")


def _write(call: Call, op_type: str, service: dict[str, Any], refs: list[str]) -> Reply:
    """Store the whole service when the operation is done, if what it points at still exists."""
    path = c.relative(service["selfLink"])
    effects = [
        Effect.hook("compute.lb.present", paths=list(refs)),
        Effect.put(lb.BACKEND_SERVICE, path, service, "/".join(path.split("/")[:4])),
    ]
    return c.operation(
        call,
        op_type=op_type,
        collection=KIND.collection,
        target_path=path,
        target_id=service["id"],
        effects=effects,
        region_name=path.split("/")[3],
    )


@API.handles("compute.regionBackendServices.insert")
@c.replaying
def insert_service(call: Call) -> Reply:
    project_id, region_name, body, path, base = c.regional_insert(call, KIND)
    body.pop("region", None)
    base = {
        **base,
        "name": body["name"],
        "region": c.link(f"projects/{project_id}/regions/{region_name}"),
        "selfLink": c.link(path),
    }
    service, refs = global_services.build(call, body, base, SCHEMES)
    return _write(call, "insert", service, refs)


def _change(op_type: str) -> Any:
    def change(call: Call) -> Reply:
        _, _, _, current = c.regional_target(call, KIND)
        body = standard.drop_none(call.body or {})
        lb.check_fingerprint(body, current)
        if op_type == "patch":
            body = standard.merge_patch(c.public(current), body)
        service, refs = global_services.rebuilt(call, body, current, SCHEMES, KEPT)
        return _write(call, op_type, service, refs)

    return c.replaying(change)


API.handles("compute.regionBackendServices.update")(_change("update"))
API.handles("compute.regionBackendServices.patch")(_change("patch"))

COLLECTION = cc.declare(
    API,
    cc.Collection(
        KIND,
        frozenset({"get", "list", "delete"}),
        resource="regionBackendServices",
        referenced=True,
        refusals=(lb.IN_USE, lb.STALE_FINGERPRINT, global_services.MISSING_HEALTH_CHECK),
    ),
)
