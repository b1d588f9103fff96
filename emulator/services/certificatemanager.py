"""Certificate Manager v1 certificates and certificate maps: create, get, list, delete.

Certificates live in `global` or in a region, certificate maps only in `global`; both are
written through long-running operations of the location. Target HTTPS proxies of Compute
Engine point at them (see `_lb.certificate_manager_reference`).
"""

from __future__ import annotations

from typing import Any

from emulator import standard
from emulator.effects import Effect
from emulator.errors import already_exists, invalid, not_found
from emulator.locations import is_region
from emulator.refusal import refusal
from emulator.registry import Api, Call, Reply
from emulator.services import _lb as lb

API = Api("certificatemanager", "v1")

TYPE = "type.googleapis.com/google.cloud.certificatemanager.v1."
# Resource ids follow AIP-122 (https://cloud.google.com/certificate-manager/docs/reference/
# certificate-manager/rest/v1/projects.locations.certificates/create: "A user-provided name").
ID_PATTERN = r"[a-z][-a-z0-9]{0,62}"
LABEL = {lb.CM_CERTIFICATE: "certificate", lb.CM_MAP: "certificateMap"}
REGIONAL_MAP = refusal(
    "certificatemanager.projects.locations.certificateMaps.create",
    "a certificate map in a location other than `global` (400)",
    source="https://cloud.google.com/certificate-manager/docs/maps (maps are created under "
    "locations/global and attach to global target proxies only)",
    test="tests/emulator/test_certificate_manager.py::test_certificate_map_shows_its_end_at_once_and_is_only_global",
)
# IAM permissions of the API (https://cloud.google.com/certificate-manager/docs/access-control).
PERMISSION = {lb.CM_CERTIFICATE: "certificatemanager.certs", lb.CM_MAP: "certificatemanager.certmaps"}


def _location(call: Call, parent: str, permission: str, *, regional: bool) -> str:
    """`projects/<id>/locations/<global or a region>` of a known project, with the project id."""
    parts = parent.split("/")
    if len(parts) != 4 or parts[0] != "projects" or parts[2] != "locations":
        raise invalid(f"Invalid parent '{parent}'.", field="parent")
    project_id, _ = call.ctx.projects.require(parts[1], permission)
    location = parts[3]
    # Certificates are global or regional (the regional one of conformance/kcc-golden/compute/
    # v1beta1/computetargethttpsproxy/regionaltargethttpsproxycertificatemanagercertificates/
    # _http.log #13); maps are made in `global` and attach to global proxies only
    # (https://cloud.google.com/certificate-manager/docs/maps: `POST /v1/projects/PROJECT_ID/
    # locations/global/certificateMaps`, and "Certificate Manager supports global target HTTPS
    # proxies and target SSL proxies" for maps).
    if location != "global" and not (regional and is_region(location)):
        raise invalid(f"Location '{location}' is not supported.", field="parent")
    return f"projects/{project_id}/locations/{location}"


def _fetch(call: Call, kind: str, name: str) -> dict[str, Any]:
    found = call.ctx.store.get(kind, name)
    if found is None:
        # `certificate "<name>" not found` (the log above, #12; .../globaltargethttpsproxy-certmap/
        # _http.log #14 for `certificateMap`).
        raise not_found(f'{LABEL[kind]} "{name}" not found')
    return found


def _operation(
    call: Call,
    location: str,
    target: str,
    verb: str,
    response: dict[str, Any],
    effects: list[Effect],
    *,
    ended_at_once: bool,
) -> Reply:
    # OperationMetadata with apiVersion, createTime, target and verb (conformance/kcc-golden/compute/
    # v1beta1/computetargethttpsproxy/crossregiontargethttpsproxy/_http.log #5, #6); a map's create
    # shows its endTime at once, in the answer that is not yet done (.../globaltargethttpsproxy-
    # certmap/_http.log #15, #16).
    metadata: dict[str, Any] = {
        "@type": TYPE + "OperationMetadata",
        "apiVersion": "v1",
        "createTime": call.ctx.clock.rfc3339(),
        "target": target,
        "verb": verb,
    }
    if ended_at_once:
        metadata["endTime"] = metadata["createTime"]
    record = call.ctx.operations.start(
        location,
        metadata=metadata,
        response=response,
        duration_key=("certificatemanager", verb),
        effects=effects,
        target=target,
    )
    return Reply(body=call.ctx.operations.view(record), response_ref="Operation")


def _create(call: Call, kind: str, collection: str, id_param: str, *, regional: bool) -> Reply:
    location = _location(call, call.param("parent"), f"{PERMISSION[kind]}.create", regional=regional)
    resource_id = standard.check_id(call.query.get(id_param), id_param, ID_PATTERN)
    name = f"{location}/{collection}/{resource_id}"
    if call.ctx.store.get(kind, name) is not None:
        raise already_exists(f'{LABEL[kind]} "{name}" already exists')
    body = standard.drop_none(call.body or {})
    for key in ("name", "createTime", "updateTime"):
        body.pop(key, None)
    now = call.ctx.clock.rfc3339()
    # A map shows createTime and updateTime (.../globaltargethttpsproxy-certmap/_http.log #16, #17);
    # the recorded certificates show neither (.../crossregiontargethttpsproxy/_http.log #6, #7).
    stamps = {"createTime": now, "updateTime": now} if kind == lb.CM_MAP else {}
    resource = {**body, "name": name, **stamps}
    # The operation's response leaves the labels out (the same exchanges #6 and #16).
    shown = {k: v for k, v in resource.items() if k != "labels"}
    return _operation(
        call,
        location,
        name,
        "create",
        {"@type": TYPE + ("CertificateMap" if kind == lb.CM_MAP else "Certificate"), **shown},
        [Effect.put(kind, name, resource, location)],
        ended_at_once=kind == lb.CM_MAP,
    )


def _delete(call: Call, kind: str, *, regional: bool) -> Reply:
    name = call.param("name")
    location = _location(call, name.rsplit("/", 2)[0], f"{PERMISSION[kind]}.delete", regional=regional)
    _fetch(call, kind, name)
    # A regional certificate's delete is answered with an operation of `global` (conformance/
    # kcc-golden/compute/v1beta1/computetargethttpsproxy/regionaltargethttpsproxycertificatemanager
    # certificates/_http.log #23, #24).
    project = location.rsplit("/locations/", 1)[0]
    return _operation(
        call,
        f"{project}/locations/global",
        name,
        "delete",
        {"@type": "type.googleapis.com/google.protobuf.Empty"},
        [Effect.delete(kind, name)],
        ended_at_once=False,
    )


def _list(call: Call, kind: str, key: str, *, regional: bool) -> dict[str, Any]:
    location = _location(call, call.param("parent"), f"{PERMISSION[kind]}.list", regional=regional)
    return standard.list_answer(call, key, call.ctx.store.list(kind, location))


def _get(call: Call, kind: str, *, regional: bool) -> dict[str, Any]:
    name = call.param("name")
    _location(call, name.rsplit("/", 2)[0], f"{PERMISSION[kind]}.get", regional=regional)
    return _fetch(call, kind, name)


@API.handles("certificatemanager.projects.locations.certificates.create")
def create_certificate(call: Call) -> Reply:
    return _create(call, lb.CM_CERTIFICATE, "certificates", "certificateId", regional=True)


@API.handles("certificatemanager.projects.locations.certificates.get")
def get_certificate(call: Call) -> dict[str, Any]:
    return _get(call, lb.CM_CERTIFICATE, regional=True)


@API.handles("certificatemanager.projects.locations.certificates.list")
def list_certificates(call: Call) -> dict[str, Any]:
    return _list(call, lb.CM_CERTIFICATE, "certificates", regional=True)


@API.handles("certificatemanager.projects.locations.certificates.delete")
def delete_certificate(call: Call) -> Reply:
    return _delete(call, lb.CM_CERTIFICATE, regional=True)


@API.handles("certificatemanager.projects.locations.certificateMaps.create")
def create_certificate_map(call: Call) -> Reply:
    return _create(call, lb.CM_MAP, "certificateMaps", "certificateMapId", regional=False)


@API.handles("certificatemanager.projects.locations.certificateMaps.get")
def get_certificate_map(call: Call) -> dict[str, Any]:
    return _get(call, lb.CM_MAP, regional=False)


@API.handles("certificatemanager.projects.locations.certificateMaps.list")
def list_certificate_maps(call: Call) -> dict[str, Any]:
    return _list(call, lb.CM_MAP, "certificateMaps", regional=False)


@API.handles("certificatemanager.projects.locations.certificateMaps.delete")
def delete_certificate_map(call: Call) -> Reply:
    return _delete(call, lb.CM_MAP, regional=False)


@API.handles("certificatemanager.projects.locations.operations.get")
def get_operation(call: Call) -> dict[str, Any]:
    return standard.operation_named(call)
