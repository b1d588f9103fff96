"""Handles on the three operation shapes our APIs return.

Compute returns its own `compute#operation` (global or regional), Cloud SQL its own
`sql#operation`, and the newer APIs (service networking, VPC Access, Cloud Run, KMS
deletes) a `google.longrunning.Operation`. The engine only asks `poll()`; each handle
knows where to look and what "failed" means for its API.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from provisioner.engine.context import Context
from provisioner.google.errors import OperationFailed, classify


def _compute_error(op: dict[str, Any]) -> str | None:
    errors = (op.get("error") or {}).get("errors") or []
    if not errors:
        return None
    return "; ".join(f"{e.get('code', '')}: {e.get('message', '')}".strip(": ") for e in errors)


@dataclass
class ComputeOperation:
    ctx: Context
    project: str
    body: dict[str, Any]
    description: str
    region: str | None = None

    def poll(self) -> bool:
        if self.body.get("status") != "DONE":
            # `wait` rather than `get`: the API holds the answer until the operation is DONE
            # (or up to two minutes), so one call sees it finish the moment it does, where a
            # backoff of `get`s would both call more often and notice later.
            compute = self.ctx.clients.discovery("compute", "v1")
            name = self.body["name"]
            if self.region:
                request = compute.regionOperations().wait(
                    project=self.project, region=self.region, operation=name
                )
            else:
                request = compute.globalOperations().wait(project=self.project, operation=name)
            self.body = request.execute()
        if self.body.get("status") != "DONE":
            return False
        error = _compute_error(self.body)
        if error:
            raise OperationFailed(self.description, error, self.body.get("httpErrorStatusCode"))
        return True


@dataclass
class SqlOperation:
    ctx: Context
    project: str
    body: dict[str, Any]
    description: str

    def poll(self) -> bool:
        if self.body.get("status") != "DONE":
            sql = self.ctx.clients.discovery("sqladmin", "v1")
            self.body = sql.operations().get(project=self.project, operation=self.body["name"]).execute()
        if self.body.get("status") != "DONE":
            return False
        error = _compute_error(self.body)
        if error:
            raise OperationFailed(self.description, error)
        return True


@dataclass
class LongRunningOperation:
    """A google.longrunning.Operation read through a discovery client's `operations().get`."""

    ctx: Context
    api: str
    version: str
    body: dict[str, Any]
    description: str
    path: tuple[str, ...] = field(default=("operations",))
    #: The collection has `wait` (Cloud Run): one call answers when the operation is done or
    #: after this long, so a poll costs one call however long the operation runs.
    wait_timeout: str | None = None

    def poll(self) -> bool:
        if not self.body.get("done"):
            resource = self.ctx.clients.discovery(self.api, self.version)
            for part in self.path:
                resource = getattr(resource, part)()
            if self.wait_timeout:
                self.body = self._wait(resource)
            else:
                self.body = resource.get(name=self.body["name"]).execute()
        if not self.body.get("done"):
            return False
        error = self.body.get("error")
        if error:
            raise OperationFailed(self.description, error.get("message", str(error)), error.get("code"))
        return True

    def _wait(self, resource: Any) -> dict[str, Any]:
        try:
            return dict(resource.wait(name=self.body["name"], body={"timeout": self.wait_timeout}).execute())
        except Exception as exc:
            err = classify(exc)
            if err is None or err.status != 501:
                raise
            # `wait` is best effort: a server that does not offer it says UNIMPLEMENTED.
            self.wait_timeout = None
            return dict(resource.get(name=self.body["name"]).execute())
