"""Refusing calls to an API the project has not enabled (`EmulatorConfig.enforce_enabled_apis`).

The project is the one the request names: a `project` path or query parameter, or the
`projects/...` prefix of a resource name. A request that names no project (an operation
polled by its global name, an object in a bucket) is accounted to a project the emulator
cannot see from the request alone and passes, as do projects it does not know (the handler
refuses those itself).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import parse_qs, unquote

from emulator import service_catalog as sc
from emulator.context import Context

#: APIs whose calls are accounted to the caller's quota project rather than the project they
#: name (https://cloud.google.com/docs/quotas/quota-project): the emulator cannot see that one.
#: Service Usage and Resource Manager among them: a project just made through the API has no
#: API enabled, and the recorded fixtures still read and enable its services and read it
#: (kcc-golden compute/v1beta1/computeregionnetworkendpointgroup/
#: privateserviceconnectioncomputeregionnetworkendpointgroup/_http.log #5-#11).
CALLER_ACCOUNTED = frozenset({"cloudbilling", "serviceusage", "cloudresourcemanager"})


def project_of(params: dict[str, str], query_string: str) -> str | None:
    """The project id or number a request names, if it names one."""
    if params.get("project"):
        return params["project"]
    for value in params.values():
        parts = value.split("/")
        if len(parts) >= 2 and parts[0] == "projects" and parts[1]:
            return parts[1]
    values = parse_qs(query_string).get("project")
    return values[-1] if values else None


def require_enabled(
    ctx: Context, route: Any, candidates: Sequence[Any], raw_path: str, query_string: str
) -> None:
    """Raise Google's SERVICE_DISABLED 403 when the request's API is off in its project.

    Paths several APIs share on this one host (`v1/projects/*/locations/*/operations/*`) are
    told apart by the host in reality; here such a request passes when any API it may belong
    to is enabled.
    """
    if route.method.api.name in CALLER_ACCOUNTED:
        return
    params = {k: unquote(v) for k, v in route.path_params(raw_path).items()}
    project = project_of(params, query_string)
    found = ctx.projects.lookup(project) if project else None
    if found is None:
        return
    possible = {sc.service_of(r.method.api.name) for r in candidates} | {sc.service_of(route.method.api.name)}
    # An API enabled moments ago still answers SERVICE_DISABLED until its enable has propagated
    # (the answer's own text: "If you enabled this API recently, wait a few minutes").
    now = ctx.clock.now()
    if not any(sc.is_usable(ctx.store, found[1], s, now) for s in possible):
        raise sc.service_disabled(found[1], sc.service_of(route.method.api.name))
