"""What the GKE kinds share: the typed client, resource paths, the container Operation
and the answers that mean "the cluster is busy".

GKE runs one operation at a time per cluster (and at most a few at once); a second call
meanwhile is refused with 400 FAILED_PRECONDITION, or 429 "Too many operations". Both
mean wait and try again, never that the change is wrong.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from provisioner.engine.context import Context
from provisioner.google.errors import ApiError, OperationFailed
from reconcilers._proto import to_json_dict

_BUSY = re.compile(
    r"incompatible operation|is currently (upgrading|deleting|creating|updating|repairing)"
    r"|currently being (created|deleted|updated|repaired)|too many operations",
    re.IGNORECASE,
)


def client(ctx: Context) -> Any:
    from google.cloud import container_v1

    return ctx.clients.gapic("container", container_v1.ClusterManagerClient)


def location_path(ctx: Context, location: str | None = None) -> str:
    return f"projects/{ctx.project}/locations/{location or ctx.spec.gke_location}"


def cluster_path(ctx: Context, location: str, name: str) -> str:
    return f"{location_path(ctx, location)}/clusters/{name}"


def busy(err: ApiError) -> bool:
    """The cluster is running another operation: wait it out."""
    return err.status in (400, 429) and bool(_BUSY.search(err.message))


def list_clusters(ctx: Context, call: Any) -> list[dict[str, Any]]:
    """Every cluster of the project in every location, pools included: one call."""

    def read() -> list[dict[str, Any]]:
        response = call(client(ctx).list_clusters, parent=location_path(ctx, "-"))
        return [to_json_dict(c) for c in response.clusters]

    # Clusters and node pools are observed from the same list.
    return ctx.shared(("container.clusters", ctx.project), read)


@dataclass
class ContainerOperation:
    """A GKE Operation: PENDING, RUNNING, then DONE; a failed one is DONE with a message."""

    ctx: Context
    location: str
    name: str
    description: str
    status: str = "PENDING"
    error: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, ctx: Context, location: str, op: Any, description: str) -> ContainerOperation:
        handle = cls(ctx, location, op.name, description)
        handle._read(op)
        return handle

    def _read(self, op: Any) -> None:
        body = to_json_dict(op)
        self.status = body.get("status", "PENDING")
        message = (body.get("error") or {}).get("message") or body.get("statusMessage")
        self.error = {"message": message, "code": (body.get("error") or {}).get("code")} if message else {}

    def poll(self) -> bool:
        if self.status != "DONE":
            name = f"{location_path(self.ctx, self.location)}/operations/{self.name}"
            self._read(client(self.ctx).get_operation(name=name))
        if self.status != "DONE":
            return False
        if self.error:
            raise OperationFailed(self.description, self.error["message"], self.error.get("code"))
        return True
