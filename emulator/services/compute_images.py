"""Compute Engine public images: a read-only catalogue of the public image projects.

A VM's boot disk is made from an image, most often a public one named by its family
(`projects/debian-cloud/global/images/family/debian-11`), which stands for the newest image of
that family (`images.getFromFamily`, https://cloud.google.com/compute/docs/images/image-families-best-practices).
A family name is not an image name: `images.get` of `debian-11` is a 404 while
`getFromFamily` of `debian-11` answers `debian-11-bullseye-v20231010`
(conformance/kcc-golden/compute/v1beta1/computebackendservice/globalcomputebackendservice/
_http.log #3 and #4, whose answers the catalogue repeats field for field). A project's own
images are not served: they are not in the catalogue, so they are not found.
"""

from __future__ import annotations

from typing import Any

from emulator.registry import Api, Call
from emulator.services import _compute as c

API = Api("compute", "v1")

#: project -> family -> the family's newest image (globalcomputebackendservice/_http.log #4).
CATALOGUE: dict[str, dict[str, str]] = {
    "debian-cloud": {"debian-11": "debian-11-bullseye-v20231010"},
}


def show(project_id: str, family: str, name: str) -> dict[str, Any]:
    return {
        "family": family,
        "kind": "compute#image",
        "name": name,
        "selfLink": c.link(c.global_path(project_id, "images", name)),
        "status": "READY",
    }


def _project(call: Call) -> str:
    """A public image project as named, or the caller's own project (which must exist)."""
    name = call.param("project")
    return name if name in CATALOGUE else c.project(call)


def by_name(project_id: str, name: str) -> dict[str, Any] | None:
    for family, image in CATALOGUE.get(project_id, {}).items():
        if image == name:
            return show(project_id, family, name)
    return None


def from_family(project_id: str, family: str) -> dict[str, Any] | None:
    image = CATALOGUE.get(project_id, {}).get(family)
    return show(project_id, family, image) if image else None


def resolve(call: Call, value: Any, field: str) -> dict[str, Any]:
    """The image a `sourceImage` names (`projects/<p>/global/images/<name>` or
    `.../images/family/<family>`, full URL or not); a missing one is a 404."""
    text = c.relative(str(value or "")).split("/compute/v1/", 1)[-1]
    parts = text.split("/")
    if len(parts) == 5 and parts[:1] == ["projects"] and parts[2:4] == ["global", "images"]:
        found = by_name(parts[1], parts[4])
    elif len(parts) == 6 and parts[:1] == ["projects"] and parts[2:5] == ["global", "images", "family"]:
        found = from_family(parts[1], parts[5])
    else:
        raise c.field_error(field, value, "The URL is malformed.")
    if found is None:
        raise c.missing_error(text)
    return found


@API.handles("compute.images.get")
def get_image(call: Call) -> dict[str, Any]:
    project_id = _project(call)
    name = call.param("image")
    found = by_name(project_id, name)
    if found is None:
        raise c.missing_error(c.global_path(project_id, "images", name))
    return found


@API.handles("compute.images.getFromFamily")
def get_image_from_family(call: Call) -> dict[str, Any]:
    project_id = _project(call)
    family = call.param("family")
    found = from_family(project_id, family)
    if found is None:
        raise c.missing_error(c.global_path(project_id, "images", f"family/{family}"))
    return found
