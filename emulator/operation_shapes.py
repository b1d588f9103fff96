"""How a stored operation is shown, per API family.

Every formatter takes the stored record and the current time and works out the
status from the record's creation and done times, so a poll shows an
operation progress without anything having to update it.

Record fields a formatter can rely on: ``name``, ``created``, ``done_at``,
``metadata``, ``response``, ``error`` (a google.rpc.Status or None),
``error_http`` (``{"code", "reason", "status"}`` of the failure, or None) and
``extra`` (fields the service module supplies, copied into the output).
"""

from __future__ import annotations

import hashlib
import re
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any

from emulator.clock import format_rfc3339

Formatter = Callable[[dict[str, Any], float], dict[str, Any]]

# The share of an operation's duration spent PENDING before it is RUNNING.
PENDING_SHARE = 0.1


def phase(record: dict[str, Any], now: float) -> str:
    """PENDING, RUNNING or DONE at `now`."""
    if now >= record["done_at"]:
        return "DONE"
    created = record["created"]
    if now < created + PENDING_SHARE * (record["done_at"] - created):
        return "PENDING"
    return "RUNNING"


def _time(moment: float) -> str:
    return format_rfc3339(datetime.fromtimestamp(moment, UTC))


def upper_snake(reason: str) -> str:
    """`resourceInUseByAnotherResource` -> `RESOURCE_IN_USE_BY_ANOTHER_RESOURCE`."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", reason).upper()


def longrunning(record: dict[str, Any], now: float) -> dict[str, Any]:
    """google.longrunning.Operation: `done`, then exactly one of `error` or `response`."""
    done = now >= record["done_at"]
    out: dict[str, Any] = {"name": record["name"], "done": done}
    metadata = record.get("metadata")
    if done and not record.get("error") and record.get("done_metadata"):
        metadata = record["done_metadata"]
    if metadata:
        out["metadata"] = _with_end_time(metadata, record["done_at"] if done else None)
        if done and str(out["metadata"].get("state", "")).startswith("OPERATION_STATE_"):
            # google.logging.v2 OperationState: a finished operation says how it ended
            # (kcc-golden monitoring/v1beta1/monitoringalertpolicy/monitoringalertpolicysqlhourly/
            # _http.log #5: `"state": "OPERATION_STATE_SUCCEEDED"` once done).
            ended = "OPERATION_STATE_FAILED" if record.get("error") else "OPERATION_STATE_SUCCEEDED"
            out["metadata"] = {**out["metadata"], "state": ended}
    if done:
        if record.get("error"):
            out["error"] = record["error"]
        else:
            out["response"] = record.get("response") or {"@type": "type.googleapis.com/google.protobuf.Empty"}
    return out


def _with_end_time(metadata: dict[str, Any], done_at: float | None) -> dict[str, Any]:
    """A metadata that declares `endTime` (as None) shows it once the operation is done."""
    if "endTime" not in metadata or metadata["endTime"] is not None:
        return metadata
    rest = {k: v for k, v in metadata.items() if k != "endTime"}
    return rest if done_at is None else {**rest, "endTime": _time(done_at)}


def compute(record: dict[str, Any], now: float) -> dict[str, Any]:
    """compute#operation as globalOperations/regionOperations return it. The answer that starts
    one already says RUNNING with progress 0 and a startTime (every insert, patch and delete of
    conformance/kcc-golden/compute/.../_http.log), so it is never shown PENDING."""
    status = "RUNNING" if phase(record, now) == "PENDING" else phase(record, now)
    created, done_at = record["created"], record["done_at"]
    out: dict[str, Any] = {
        "kind": "compute#operation",
        "id": numeric_id(record["name"]),
        "name": record["name"],
        **record.get("extra", {}),
        "status": status,
        "insertTime": _time(created),
    }
    out["startTime"] = _time(created)
    if status == "RUNNING":
        span = max(done_at - created, 1e-9)
        out["progress"] = min(99, int(100 * (now - created) / span))
    if status == "DONE":
        out["progress"] = 100
        out["endTime"] = _time(done_at)
        if record.get("error"):
            http = record.get("error_http") or {"code": 500, "reason": "internalError"}
            out["error"] = {
                "errors": [{"code": upper_snake(http["reason"]), "message": record["error"]["message"]}]
            }
            out["httpErrorStatusCode"] = http["code"]
            out["httpErrorMessage"] = _phrase(http["code"])
    return out


def sqladmin(record: dict[str, Any], now: float) -> dict[str, Any]:
    """sql#operation: errors are reported only once the operation is DONE."""
    status = phase(record, now)
    created, done_at = record["created"], record["done_at"]
    out: dict[str, Any] = {
        "kind": "sql#operation",
        "name": record["name"],
        **record.get("extra", {}),
        "status": status,
        "insertTime": _time(created),
    }
    if status != "PENDING":
        out["startTime"] = _time(created + PENDING_SHARE * (done_at - created))
    if status == "DONE":
        out["endTime"] = _time(done_at)
        if record.get("error"):
            http = record.get("error_http") or {"reason": "internalError"}
            out["error"] = {
                "kind": "sql#operationErrors",
                "errors": [
                    {
                        "kind": "sql#operationError",
                        "code": upper_snake(http["reason"]),
                        "message": record["error"]["message"],
                    }
                ],
            }
    return out


def container(record: dict[str, Any], now: float) -> dict[str, Any]:
    """The GKE v1 Operation: shown by its short name; a failure is DONE with a
    `statusMessage` (what older callers read) and an `error` status. It is RUNNING from the answer
    that starts it (conformance/kcc-golden/container/.../_http.log), except an operation on a node
    pool, which is PENDING first (the real containernodepool-swap/_http.log #8, #17 and #25:
    CREATE_NODE_POOL, UPGRADE_NODES and DELETE_NODE_POOL answered PENDING; the mocked logs answer
    RUNNING throughout)."""
    on_pool = "/nodePools/" in str(record.get("extra", {}).get("targetLink", ""))
    status = phase(record, now)
    if status == "PENDING" and not on_pool:
        status = "RUNNING"
    created, done_at = record["created"], record["done_at"]
    extra = record.get("extra", {})
    out: dict[str, Any] = {
        "name": record["name"].rsplit("/", 1)[-1],
        **{k: v for k, v in extra.items() if not k.startswith("_")},
        "status": status,
        "startTime": _time(created),
    }
    if status == "DONE":
        out["endTime"] = _time(done_at)
        if extra.get("_progress") and not record.get("error"):
            # What GKE counted on the way, shown once done (real kcc-golden container/v1beta1/
            # containercluster/containercluster-swap/_http.log #2 and #11).
            out["progress"] = {"metrics": extra["_progress"]}
        if record.get("error"):
            out["statusMessage"] = record["error"]["message"]
            out["error"] = {"code": record["error"]["code"], "message": record["error"]["message"]}
    return out


FORMATTERS: dict[str, Formatter] = {
    "longrunning": longrunning,
    "compute": compute,
    "sqladmin": sqladmin,
    "container": container,
}


def _phrase(code: int) -> str:
    try:
        return HTTPStatus(code).phrase.upper()
    except ValueError:
        return "ERROR"


def numeric_id(seed: str) -> str:
    """A stable uint64 id (as compute shows ids) derived from a unique string."""
    return str(int(hashlib.sha256(seed.encode()).hexdigest()[:16], 16) % (2**63 - 1) + 1)


def compute_operation_name(now: float | None = None) -> str:
    """`operation-<ms>-<hex13>-<hex8>-<hex8>`, the shape compute operation names have."""
    ms = int((now if now is not None else time.time()) * 1000)
    hexes = uuid.uuid4().hex + uuid.uuid4().hex
    return f"operation-{ms}-{hexes[:13]}-{hexes[13:21]}-{hexes[21:29]}"


def sqladmin_operation_name() -> str:
    """Cloud SQL operation names are bare UUIDs."""
    return str(uuid.uuid4())
