"""The contract between the engine and a service: one `Kind` per API resource type.

Shaped after Crossplane's external client (Observe/Create/Update/Delete) and Config
Connector's direct adapters: a kind lists its live resources in as few calls as the API
allows, creates, updates with the API's own partial-update form, and deletes; each mutation
hands back an `Operation` the engine waits on. What the engine needs to know about the type
itself (its name, its API, which fields force a replacement) is a frozen `KindMeta` record
the kind declares once, not behaviour.

Everything else a kind may offer is an optional protocol the engine looks for with
`isinstance`, each in a module named for what it is, with the engine's default beside it:
reading one resource, normalising and references (`engine.observing`), reviewer notes and
replacement rules (`engine.review`), abandon (`engine.abandon`), the lock's home
(`engine.lock_home`), batched writes (`engine.batching`), quotas (`engine.quota`), retry rules
(`engine.retry_rules`), recovery (`engine.recoverable`) and pricing (`cost.priced`). A
`Reconciler` groups the kinds of one service family and turns the spec into desired resources.

How a kind sends its calls is not part of the contract either: the kinds in reconcilers/
share `engine.api_kind.ApiKind` for that (the retry policy, creates never sent twice, reads
side by side).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any, ClassVar

from provisioner.engine.operations import Operation, PollSchedule
from provisioner.engine.resource import LiveResource, Resource

if TYPE_CHECKING:
    from provisioner.engine.context import Context
    from provisioner.engine.plan import FieldChange


@dataclass(frozen=True)
class KindMeta:
    """What a kind is, as opposed to what it does: declared once per kind class."""

    #: The kind's name, the first part of its resources' addresses (`sql.instance`).
    kind: str
    #: The service its calls go to ("compute.googleapis.com"); a resource of this kind waits
    #: for that API to be enabled when the spec enables it.
    api: str | None = None
    #: Body paths (dotted) whose change forces delete + create.
    immutable: tuple[str, ...] = ()
    #: Body paths of lists whose order the API does not keep.
    unordered: tuple[str, ...] = ()
    #: Values the API fills in when a field is unset; merged into live bodies before diffing.
    api_defaults: Mapping[str, Any] = field(default_factory=dict)
    #: Deleting or replacing it can lose data (a bucket with objects, a database).
    stateful: bool = False
    #: Changing it changes who may do what (IAM bindings): the scheduled drift job reports such
    #: drift for a reviewed apply instead of correcting it, so it never needs to grant roles.
    grants_access: bool = False
    #: Where the body keeps its labels (dotted path); None for kinds the API gives no labels.
    labels_path: str | None = "labels"
    #: Its resources are APIs enabled on the project, each named by its service.
    enables_api: bool = False
    #: Replace by creating the new one first, then deleting the old (the kind gives them distinct
    #: API names, e.g. a suffix derived from the immutable fields), so there is no gap in service.
    create_before_destroy: bool = False
    #: How to wait on this kind's operations.
    poll_schedule: PollSchedule = field(default_factory=PollSchedule)
    #: The IAM permissions its calls need, by what the call does (`read`, `create`, `update`,
    #: `delete`; see `engine.permissions`). Preflight tests them before an apply, and the deploy
    #: account's least-privilege role is made of them.
    permissions: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    #: Where a body names its customer-managed encryption key (dotted path); None: the kind
    #: takes none. An organisation policy requiring CMEK for its API refuses it without one.
    cmek_path: str | None = None


class Kind(ABC):
    """One API resource type: how to read and write it, and its declared `meta`."""

    meta: ClassVar[KindMeta]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """Refuse a metadata field written as a class attribute: the engine reads only `meta`,
        so `immutable = (...)` beside it would be silently ignored."""
        super().__init_subclass__(**kwargs)
        stray = sorted(set(vars(cls)) & {f.name for f in fields(KindMeta)})
        if stray:
            raise TypeError(f"{cls.__name__}: declare {', '.join(stray)} in `meta = KindMeta(...)`")

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    @abstractmethod
    def observe(self, desired: Sequence[Resource]) -> list[LiveResource]:
        """Every live resource of this kind in scope: list calls, not one GET each."""

    @abstractmethod
    def create(self, desired: Resource) -> Operation: ...

    @abstractmethod
    def update(self, desired: Resource, live: LiveResource, changes: Sequence[FieldChange]) -> Operation: ...

    @abstractmethod
    def delete(self, live: LiveResource) -> Operation: ...


class NoUpdate(Kind):
    """A kind the planner never updates: its API has no update (a managed certificate), or the
    spec sets nothing that can change (a key ring, a generated secret value). Whatever it sets
    is immutable, so a change replaces it and `update` is never asked for; a call anyway is a
    bug, and says so."""

    def update(self, desired: Resource, live: LiveResource, changes: Sequence[FieldChange]) -> Operation:
        raise RuntimeError(f"{self.meta.kind} has no update; every change replaces it")


class Reconciler(ABC):
    """A service family: the kinds it owns and how the spec maps onto them."""

    family: ClassVar[str]
    kinds: ClassVar[tuple[type[Kind], ...]]

    @abstractmethod
    def desired(self, ctx: Context) -> list[Resource]:
        """The resources the spec asks for, with their dependencies."""
