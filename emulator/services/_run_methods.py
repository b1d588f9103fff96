"""The request steps Cloud Run services and jobs take alike, and the declaration of their standard methods.

Both collections answer create, get, list, patch and delete the same way up to what their
resource holds: the same lookups by parent and by name, the same idle and etag checks, the
same long-running operation whose metadata and response are the resource itself. The
checks and defaults of what they hold are in `_run`.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Callable
from typing import Any

from emulator import enums, standard
from emulator.effects import Effect
from emulator.errors import ApiError, already_exists, invalid
from emulator.registry import Api, Call, Reply
from emulator.services._run import CALLER, ID_PATTERN, TYPE, check_etag, fetch, name_of, new_etag, parent_of


def in_flight(call: Call, name: str) -> None:
    if call.ctx.operations.in_flight(name):
        raise ApiError(
            409,
            f"Resource '{name.rsplit('/', 1)[1]}' is being changed by another operation;"
            " retry when it completes.",
            status="ABORTED",
            reason="aborted",
        )


#: What an operation's metadata never shows of the service or job it acts on: its uid, which
#: only the finished operation's `response` carries. The rest is there as it stands: while the
#: operation runs, `reconciling`, the generation it left off at in `observedGeneration`, and a
#: delete's `deleteTime` and `expireTime`; once done, the resource as the response has it.
#: Recorded on real GCP in k8s-config-connector commits f36383ddfe (runjob-dependson/_http.log
#: #1, #4 and #7 start a create, an update and a delete; #2, #5 and #8 poll them done) and
#: 8f2068280e (runjob-gcsvolume/_http.log #7 to #14, the same). The corpus's Run logs, written
#: by mockgcp, show none of it (conformance/recorder.py declares so).
NOT_IN_METADATA = ("uid",)


def start_operation(
    call: Call,
    project_id: str,
    location: str,
    target: str,
    verb: str,
    collection: str,
    *,
    message_type: str,
    shown: dict[str, Any],
    response: dict[str, Any] | None,
    effects: list[Effect],
    failure_effects: list[Effect] = (),  # type: ignore[assignment]
) -> Reply:
    """A google.longrunning.Operation whose metadata and response are the resource itself.

    A field set to None (a proto3 default such as `reconciling: false`) is left out of both.
    """
    shown = {k: v for k, v in standard.drop_none(shown).items() if k not in NOT_IN_METADATA}
    ended = None if response is None else {"@type": TYPE + message_type, **standard.drop_none(response)}
    record = call.ctx.operations.start(
        f"projects/{project_id}/locations/{location}",
        metadata={"@type": TYPE + message_type, **shown},
        response=ended,
        done_metadata=None if ended is None else {k: v for k, v in ended.items() if k not in NOT_IN_METADATA},
        duration_key=("run", verb, collection),
        effects=effects,
        failure_effects=list(failure_effects),
        target=target,
    )
    return Reply(
        body=_int_enums(call, call.ctx.operations.view(record), message_type),
        response_ref="GoogleLongrunningOperation",
    )


def _int_enums(call: Call, operation: dict[str, Any], message_type: str) -> dict[str, Any]:
    """The operation with the resource in its metadata and response in enum numbers, when asked.

    A client asking `$alt=json;enum-encoding=int` gets the Job inside the operation it starts in
    numbers too (`"launchStage": 4`, `"executionEnvironment": 2`, `"state": 4`), while a later
    operations.get without the parameter answers in names (kcc-golden
    run/v1beta1/runjob/runjob-iamserviceaccount/_http.log, the create and the poll after it).
    """
    if "enum-encoding=int" not in str(call.query.get("$alt", "")):
        return operation
    out = copy.deepcopy(operation)
    schemas = call.method.api.schemas
    for key in ("metadata", "response"):
        if isinstance(out.get(key), dict):
            out[key] = enums.encode_enums_as_ints("run", schemas, "GoogleCloudRunV2" + message_type, out[key])
    return out


def page(call: Call, items: list[dict[str, Any]], key: str) -> dict[str, Any]:
    return standard.list_answer(call, key, items, default_size=100, max_size=1000)


def list_in(call: Call, store_kind: str, key: str, permission: str) -> dict[str, Any]:
    """`list` of services or jobs in one location, or in every location with `-`."""
    project_id, _, location = parent_of(call, call.param("parent"), permission)
    if location == "-":
        items = [
            i for i in call.ctx.store.list(store_kind) if i["name"].startswith(f"projects/{project_id}/")
        ]
    else:
        items = call.ctx.store.list(store_kind, f"projects/{project_id}/locations/{location}")
    return page(call, sorted(items, key=lambda i: i["name"]), key)


def _scope(name: str) -> tuple[str, str, str]:
    """(project id, location, parent) of a canonical `projects/*/locations/*/<collection>/*`."""
    parts = name.split("/")
    return parts[1], parts[3], f"projects/{parts[1]}/locations/{parts[3]}"


def create_target(call: Call, noun: str, id_param: str, permission: str) -> tuple[str, str, str, str]:
    """(project id, number, location, id) of a `create`: one concrete location, a well-formed id."""
    project_id, number, location = parent_of(call, call.param("parent"), permission)
    if location == "-":
        raise invalid(f"A location is required to create a {noun}.", field="parent")
    resource_id = standard.check_id(call.query.get(id_param), id_param, ID_PATTERN)
    return project_id, number, location, resource_id


def created(call: Call, store_kind: str, name: str) -> dict[str, Any]:
    """The output-only fields of a new resource, refusing a name already taken."""
    if call.ctx.store.get(store_kind, name) is not None:
        raise already_exists(f"Resource '{name.rsplit('/', 1)[1]}' already exists.")
    now = call.ctx.clock.rfc3339()
    return {
        "name": name,
        "uid": str(uuid.uuid4()),
        "generation": "1",
        "createTime": now,
        "updateTime": now,
        "creator": CALLER,
        "lastModifier": CALLER,
        "etag": new_etag(name),
    }


def next_generation(call: Call, current: dict[str, Any]) -> dict[str, Any]:
    """The output-only fields a real change moves on: generation, update time, modifier, etag."""
    generation = str(int(current["generation"]) + 1)
    return {
        "generation": generation,
        "updateTime": call.ctx.clock.rfc3339(),
        "lastModifier": CALLER,
        "etag": new_etag(current["name"], generation),
    }


def get_one(call: Call, store_kind: str, collection: str, permission: str) -> dict[str, Any]:
    """`get` of a service or job by its name."""
    shown = call.param("name")
    _, _, _, name = name_of(call, shown, collection, permission)
    return fetch(call, store_kind, name, shown)


def get_child(call: Call, store_kind: str, collection: str, children: str, permission: str) -> dict[str, Any]:
    """`get` of a revision or execution, named under its service or job."""
    shown = call.param("name")
    owner, _, child_id = shown.partition(f"/{children}/")
    _, _, _, owner_name = name_of(call, owner, collection, permission)
    return fetch(call, store_kind, f"{owner_name}/{children}/{child_id}", shown)


def list_children(
    call: Call, owner_kind: str, store_kind: str, collection: str, key: str, permission: str, order_by: str
) -> dict[str, Any]:
    """`list` of the revisions or executions of an existing service or job, newest first."""
    shown = call.param("parent")
    _, _, _, owner_name = name_of(call, shown, collection, permission)
    fetch(call, owner_kind, owner_name, shown)
    items = sorted(call.ctx.store.list(store_kind, owner_name), key=lambda i: i[order_by], reverse=True)
    return page(call, items, key)


def update_target(
    call: Call, store_kind: str, collection: str, permission: str
) -> tuple[str, str, str, str, dict[str, Any], dict[str, Any] | None]:
    """(project id, number, location, name, body, current) of a `patch`.

    `current` is None only for a missing resource the caller allows to be created; an existing
    one must be idle and match the etag the body carries.
    """
    shown = call.param("name")
    project_id, number, location, name = name_of(call, shown, collection, permission)
    body = standard.drop_none(call.body or {})
    if call.ctx.store.get(store_kind, name) is None and call.query.get("allowMissing"):
        return project_id, number, location, name, body, None
    current = fetch(call, store_kind, name, shown)
    in_flight(call, name)
    check_etag(body.get("etag"), current)
    return project_id, number, location, name, body, current


def delete_target(call: Call, store_kind: str, collection: str, permission: str) -> dict[str, Any]:
    """The resource a `delete` names: it must exist, match the etag given and be idle."""
    shown = call.param("name")
    _, _, _, name = name_of(call, shown, collection, permission)
    current = fetch(call, store_kind, name, shown)
    check_etag(call.query.get("etag"), current)
    in_flight(call, name)
    return current


#: How long a deleted service or job is kept before it is gone for good: `expireTime` is 30
#: days after `deleteTime` (k8s-config-connector commit f36383ddfe, runjob-dependson/_http.log
#: #7: deleteTime 2025-11-23T13:47:02.274022Z, expireTime 2025-12-23T13:47:02.274022Z).
DELETED_KEPT_S = 30 * 86400


def start_delete(
    call: Call,
    store_kind: str,
    child_kind: str,
    deleting: dict[str, Any],
    collection: str,
    message_type: str,
    *,
    finished: dict[str, Any] | None = None,
) -> Reply:
    """Store the resource as being deleted; the operation removes it and its children.

    A delete is a change of the desired state, so the generation moves on and the finished
    operation has observed it; the deleted resource keeps its `deleteTime` and `expireTime` in
    the finished operation's metadata and response (runjob-dependson/_http.log #7 answers
    generation 3 at observedGeneration 2, #8 polls it done at 3, both times in the real
    recording of k8s-config-connector commit f36383ddfe). `finished` is what else the resource
    shows once the operation is done.
    """
    name = deleting["name"]
    project_id, location, parent = _scope(name)
    generation = str(int(deleting["generation"]) + 1)
    deleting = {
        **deleting,
        "generation": generation,
        "expireTime": call.ctx.clock.rfc3339(DELETED_KEPT_S),
    }
    call.ctx.store.put(store_kind, name, deleting, parent)
    effects = [Effect.delete(child_kind, c["name"]) for c in call.ctx.store.list(child_kind, name)]
    effects.append(Effect.delete(store_kind, name))
    done = {**deleting, "reconciling": None, "observedGeneration": generation, **(finished or {})}
    undone = {"reconciling": None, "deleteTime": None, "expireTime": None}
    return start_operation(
        call, project_id, location, name, "delete", collection,
        message_type=message_type, shown=deleting, effects=effects, response=done,
        failure_effects=[Effect.set(store_kind, name, undone)],
    )  # fmt: skip


#: Builds and stores a new resource: (call, project id, project number, location, id, body).
Create = Callable[[Call, str, str, str, str, dict[str, Any]], Reply]
#: Changes an existing resource after a patch: (call, project id, project number, location,
#: body, current).
Update = Callable[[Call, str, str, str, dict[str, Any], dict[str, Any]], Reply]


def declare_collection(
    api: Api, store_kind: str, collection: str, noun: str, create: Create, update: Update
) -> None:
    """Register `create`, `get`, `list` and `patch` of a top-level collection (services, jobs).

    Services and jobs take these alike: a create names its id in `<noun>Id` under one concrete
    location, a get reads one by name, a list reads one location or every location (`-`), a
    patch of a missing resource with `allowMissing` creates it, each checked against
    `run.<collection>.<method>` (`run.<collection>.update` for a patch). Only what a create
    builds and what a patch changes differ; the collection's module passes them as `create`
    and `update`.
    """
    prefix = f"run.projects.locations.{collection}"

    def create_handler(call: Call) -> Reply:
        project_id, number, location, resource_id = create_target(
            call, noun, f"{noun}Id", f"run.{collection}.create"
        )
        return create(call, project_id, number, location, resource_id, standard.drop_none(call.body or {}))

    def get_handler(call: Call) -> dict[str, Any]:
        return get_one(call, store_kind, collection, f"run.{collection}.get")

    def list_handler(call: Call) -> dict[str, Any]:
        return list_in(call, store_kind, collection, f"run.{collection}.list")

    def patch_handler(call: Call) -> Reply:
        project_id, number, location, name, body, current = update_target(
            call, store_kind, collection, f"run.{collection}.update"
        )
        if current is None:
            return create(call, project_id, number, location, name.rsplit("/", 1)[1], body)
        return update(call, project_id, number, location, body, current)

    api.handles(f"{prefix}.create")(create_handler)
    api.handles(f"{prefix}.get")(get_handler)
    api.handles(f"{prefix}.list")(list_handler)
    api.handles(f"{prefix}.patch")(patch_handler)


def declare_children(api: Api, owner: tuple[str, str], child: tuple[str, str], order_by: str) -> None:
    """Register `get` and `list` of the read-only children of a service or job (revisions, executions).

    `owner` and `child` are each (store kind, collection). Both children are made by their
    owner, read by name under it and listed newest first (`order_by`), checked against
    `run.<children>.get` and `run.<children>.list`.
    """
    owner_kind, collection = owner
    store_kind, children = child
    prefix = f"run.projects.locations.{collection}.{children}"

    def get_handler(call: Call) -> dict[str, Any]:
        return get_child(call, store_kind, collection, children, f"run.{children}.get")

    def list_handler(call: Call) -> dict[str, Any]:
        permission = f"run.{children}.list"
        return list_children(call, owner_kind, store_kind, collection, children, permission, order_by)

    api.handles(f"{prefix}.get")(get_handler)
    api.handles(f"{prefix}.list")(list_handler)


def validated(call: Call, resource: dict[str, Any], collection: str, message_type: str) -> Reply:
    """The answer to `validateOnly`: a done-at-once operation showing what would be, changing nothing."""
    project_id, location, _ = _scope(resource["name"])
    return start_operation(
        call, project_id, location, resource["name"], "validate", collection,
        message_type=message_type, shown=resource, response=resource, effects=[],
    )  # fmt: skip
