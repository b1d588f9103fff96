"""How each Google API answers a write, and where it keeps what a write makes.

A dry run holds every write back and answers it itself, so the client code that sent it
carries on exactly as it would against the API. The answer must be in the shape that API
uses, or the client libraries would refuse it: Compute and Cloud SQL answer with their own
operation resources, GKE with its own `Operation`, the newer APIs with a
`google.longrunning.Operation`, and the rest with the resource itself. This is transport
knowledge (Google's API conventions, per API), kept here as data; no service's business
rules live here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

Style = Literal["compute", "sql", "container", "longrunning", "resource"]

#: How each API (as the client factory names them) answers a write.
STYLES: dict[str, Style] = {
    "compute": "compute",
    "sqladmin": "sql",
    "container": "container",
    "run": "longrunning",
    "servicenetworking": "longrunning",
    "vpcaccess": "longrunning",
    "serviceusage": "longrunning",
}
#: APIs whose list responses keep their resources under `items` (the others use the
#: collection's own name, as AIP-132 has it: `keyRings`, `notificationChannels`, ...).
ITEMS_LISTS = frozenset({"compute", "sqladmin", "storage"})
#: APIs whose custom methods are path segments (`.../backendServices/b/setSecurityPolicy`)
#: rather than `:verb` suffixes.
SEGMENT_VERBS = frozenset({"compute"})
#: APIs that answer a delete with no content at all.
EMPTY_DELETES = frozenset({"storage"})
#: The message a long-running operation's `response` holds, by API and collection: gapic
#: clients unpack it by this type name.
LRO_RESPONSE_TYPES = {
    ("run", "services"): "google.cloud.run.v2.Service",
    ("run", "jobs"): "google.cloud.run.v2.Job",
    ("vpcaccess", "connectors"): "google.cloud.vpcaccess.v1.Connector",
    ("servicenetworking", "connections"): "google.api.servicenetworking.v1.Connection",
}
#: Custom methods that make a child resource, and the name it is read back by
#: (Secret Manager's `addVersion` makes the version that `versions/latest` names).
CHILD_MAKING_VERBS = {"addVersion": "versions/latest"}
#: Fields an API gives every labelled resource it makes, that a write right after the create
#: reads back:
#: Compute's label fingerprint of a resource without labels (`42WmSpB8rSM=` on every unlabelled
#: resource in public `gcloud compute ... describe` outputs), which setLabels must carry and a
#: global forwarding rule's create sends, its insert's labels not being applied.
MADE_FIELDS: dict[str, dict[str, Any]] = {"compute": {"labelFingerprint": "42WmSpB8rSM="}}
#: Methods sent as POST that only read (an IAM policy, waiting on an operation).
READ_VERBS = frozenset({"getIamPolicy", "testIamPermissions", "getEffectiveOrgPolicy", "wait", "access"})
#: The etag Google gives the empty IAM policy of a resource nobody has granted anything on.
EMPTY_POLICY_ETAG = "ACAB"
#: Where the host of each API differs from `<service>.googleapis.com`.
GOOGLE_HOSTS = {"kms": "cloudkms.googleapis.com"}

_VERSION = re.compile(r"^v\d+[a-z0-9]*$")
_ID_PARAM = re.compile(r"^[a-z][A-Za-z0-9]*Id$")


def google_host(service: str) -> str:
    return GOOGLE_HOSTS.get(service, f"{service}.googleapis.com")


def style(service: str) -> Style:
    return STYLES.get(service, "resource")


def verb_of(path: str) -> tuple[str, str | None]:
    """Split a custom method off a path: `.../secrets/s:addVersion` → (`.../secrets/s`, `addVersion`)."""
    head, _, last = path.rpartition("/")
    if ":" in last:
        name, _, verb = last.partition(":")
        return f"{head}/{name}", verb
    if last in READ_VERBS:  # Compute's `.../operations/o/wait`
        return head, last
    return path, None


def is_read(method: str, path: str) -> bool:
    """GET and HEAD, and the POST methods that only read; anything else may write."""
    if method in ("GET", "HEAD"):
        return True
    return method == "POST" and verb_of(path)[1] in READ_VERBS


def relative_name(path: str) -> str:
    """A REST path as the resource name the API puts in bodies: the part after the version."""
    parts = path.strip("/").split("/")
    for i, part in enumerate(parts):
        if _VERSION.match(part):
            return "/".join(parts[i + 1 :])
    return "/".join(parts)


def api_root(path: str) -> str:
    """The part of a REST path up to and including its version (`/compute/v1`, `/v1`)."""
    parts = path.strip("/").split("/")
    for i, part in enumerate(parts):
        if _VERSION.match(part):
            return "/" + "/".join(parts[: i + 1])
    return ""


@dataclass(frozen=True)
class Target:
    """What a write acts on: the resource's REST path, and whether the write makes it."""

    path: str
    creates: bool
    verb: str | None = None
    #: The body as the resource holds it (a create request's wrapper taken off).
    resource: dict[str, Any] | None = None


def target_of(service: str, method: str, path: str, query: dict[str, str], body: Any, assign: str) -> Target:
    """The resource a write acts on, following Google's conventions for naming a new one.

    A create names its resource by a `<resource>Id` query parameter (AIP-133), by the `name`
    in its body (short, or the whole relative name), or by a `<resource>Id` in its body; a
    body may wrap the resource in a field named after it (`{"cluster": {...}}`). Otherwise
    the API assigns the name, and `assign` stands in for it.
    """
    body = body if isinstance(body, dict) else {}
    if method == "DELETE":
        return Target(path, creates=False)
    resource_path, verb = verb_of(path)
    if verb is not None:
        return Target(resource_path, creates=False, verb=verb)
    if method != "POST":
        return Target(path, creates=False, resource=body)
    if service in SEGMENT_VERBS and "name" not in body:
        head, _, last = path.rpartition("/")
        return Target(head, creates=False, verb=last)
    collection = path.rstrip("/").rsplit("/", 1)[1]
    inner = body.get(collection.removesuffix("s"))
    resource = dict(inner) if isinstance(inner, dict) else dict(body)
    ident = next((v for k, v in query.items() if _is_id(k)), None)
    name = resource.get("name")
    if ident is None and isinstance(name, str) and name:
        if "/" in name:
            return Target(f"{api_root(path)}/{name}", creates=True, resource=resource)
        ident = name
    ident = ident or next((v for k, v in body.items() if _is_id(k) and isinstance(v, str)), None)
    return Target(f"{path.rstrip('/')}/{ident or assign}", creates=True, resource=resource)


def _is_id(key: str) -> bool:
    return bool(_ID_PARAM.match(key)) and key not in ("requestId", "projectId")


def list_key(service: str, collection_path: str) -> str:
    return "items" if service in ITEMS_LISTS else collection_path.rstrip("/").rsplit("/", 1)[1]


def operation_answer(
    service: str, name: str, method: str, origin: str, path: str, target: Target, result: dict[str, Any]
) -> dict[str, Any] | None:
    """The finished operation an API answers a write with; None for APIs that answer directly.

    `origin` is the scheme and host the request went to, `path` its REST path, `result`
    the resource as the write leaves it.
    """
    kind = style(service)
    target_link = origin + target.path
    if kind == "compute":
        scope = re.match(r"^(.*/projects/[^/]+/(?:global|regions/[^/]+|zones/[^/]+))/", path)
        verb = target.verb or {"POST": "insert", "DELETE": "delete", "PUT": "update"}.get(method, "patch")
        return {
            "kind": "compute#operation",
            "name": name,
            "operationType": verb,
            "targetLink": target_link,
            "status": "DONE",
            "progress": 100,
            "selfLink": f"{origin}{scope.group(1) if scope else path}/operations/{name}",
        }
    project = re.search(r"/projects/([^/]+)", path)
    if kind == "sql":
        return {
            "kind": "sql#operation",
            "name": name,
            "status": "DONE",
            "targetLink": target_link,
            "targetProject": project.group(1) if project else "",
            "selfLink": f"{origin}{api_root(path)}/projects/{project.group(1) if project else ''}"
            f"/operations/{name}",
        }
    location = re.match(r"^(projects/[^/]+/locations/[^/]+)/", relative_name(path))
    if kind == "container":
        where = location.group(1) if location else relative_name(path)
        return {
            "name": name,
            "status": "DONE",
            "targetLink": target_link,
            "selfLink": f"{origin}{api_root(path)}/{where}/operations/{name}",
        }
    if kind == "longrunning":
        answer: dict[str, Any] = {
            "name": f"{location.group(1)}/operations/{name}" if location else f"operations/{name}",
            "done": True,
        }
        type_name = LRO_RESPONSE_TYPES.get((service, _collection(target.path)))
        if type_name and method != "DELETE":
            answer["response"] = {"@type": f"type.googleapis.com/{type_name}", **result}
        return answer
    return None


def _collection(path: str) -> str:
    parts = path.strip("/").split("/")
    return parts[-2] if len(parts) >= 2 else ""
