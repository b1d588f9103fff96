"""What every Compute Engine kind shares: references, ownership by name, operations."""

from __future__ import annotations

import uuid
from typing import Any

from provisioner.engine.context import Context
from provisioner.spec.ownership import ownership_note
from reconcilers._operations import ComputeOperation

API_ROOTS = ("https://www.googleapis.com/compute/v1/", "https://compute.googleapis.com/compute/v1/")


def compute(ctx: Context) -> Any:
    return ctx.clients.discovery("compute", "v1")


def relative(value: Any) -> Any:
    """A full Compute URL as the relative `projects/...` path the spec writes."""
    if isinstance(value, str):
        for root in API_ROOTS:
            if value.startswith(root):
                return value[len(root) :]
    return value


def relative_links(body: Any) -> Any:
    """Every Compute URL in a live body rewritten as a relative path, so references compare."""
    if isinstance(body, dict):
        return {k: relative_links(v) for k, v in body.items()}
    if isinstance(body, list):
        return [relative_links(v) for v in body]
    return relative(body)


def request_id() -> str:
    """A fresh `requestId` for one Compute mutation.

    Build it into the request once: every retry of that request then carries the same id, and
    Compute answers a repeated id with the operation the first one started instead of acting
    twice (https://cloud.google.com/compute/docs/reference/rest/v1/backendServices/insert,
    `requestId`), so a retried insert whose first answer was lost does not fail on its own
    resource with 409.
    """
    return str(uuid.uuid4())


def network_path(ctx: Context, name: str | None = None) -> str:
    return f"projects/{ctx.project}/global/networks/{name or ctx.spec.vpc_name}"


def owned_by_name(ctx: Context, name: str) -> bool:
    """Kinds without labels are ours when their deterministic name is."""
    return name.startswith(f"{ctx.spec.name_prefix}-")


def description(ctx: Context) -> str:
    return f"{ownership_note(ctx.env)}; changes made elsewhere are reverted."


def list_all(request_factory: Any, key: str = "items") -> list[dict[str, Any]]:
    """Follow `nextPageToken` through a Compute-style list."""
    items: list[dict[str, Any]] = []
    token = None
    while True:
        page = request_factory(token).execute()
        items.extend(page.get(key, []))
        token = page.get("nextPageToken")
        if not token:
            return items


def operation(
    ctx: Context, body: dict[str, Any], description: str, region: str | None = None
) -> ComputeOperation:
    return ComputeOperation(ctx, ctx.project, body, description, region)
