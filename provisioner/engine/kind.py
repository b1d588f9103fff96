"""The contract between the engine and a service: one `Kind` per API resource type.

Shaped after Crossplane's Observe/Create/Update/Delete and Config Connector's direct
adapters: a kind lists its live resources in as few calls as the API allows, creates, updates
with the API's own partial-update form, and deletes; each mutation hands back an
`Operation` the engine waits on. A `Reconciler` groups the kinds of one service family and
turns the spec into desired resources. The engine sees only these two abstractions.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from provisioner.engine.operations import Operation, PollSchedule, Restarts
from provisioner.engine.resource import LiveResource, Resource
from provisioner.google.errors import ApiError

T = TypeVar("T")
R = TypeVar("R")

if TYPE_CHECKING:
    from provisioner.cost.pricing import CostLine, PriceTable
    from provisioner.engine.context import Context
    from provisioner.engine.plan import Change, FieldChange


@dataclass(frozen=True)
class QuotaNeed:
    """What one resource draws on a Compute Engine quota: at least `low` once made (its
    autoscaling minimum), up to `high` at its maximum."""

    metric: str
    #: The region whose quota it draws on; None for a project-wide quota (`GPUS_ALL_REGIONS`).
    region: str | None
    low: float
    high: float
    #: Drawn on this metric instead when the project has none of `metric` (Spot VMs use the
    #: preemptible quota when there is one, the standard one otherwise).
    fallback: str | None = None


class Kind(ABC):
    """One API resource type and how to read and write it."""

    kind: ClassVar[str]
    #: Body paths (dotted) whose change forces delete + create.
    immutable: ClassVar[tuple[str, ...]] = ()
    #: Body paths of lists whose order the API does not keep.
    unordered: ClassVar[tuple[str, ...]] = ()
    #: Values the API fills in when a field is unset; merged into live bodies before diffing.
    api_defaults: ClassVar[dict[str, Any]] = {}
    #: Deleting or replacing it can lose data (a bucket with objects, a database).
    stateful: ClassVar[bool] = False
    #: Changing it changes who may do what (IAM bindings): the scheduled drift job reports such
    #: drift for a reviewed apply instead of correcting it, so it never needs to grant roles.
    grants_access: ClassVar[bool] = False
    #: Where the body keeps its labels (dotted path); None for kinds the API gives no labels.
    labels_path: ClassVar[str | None] = "labels"
    #: The service its calls go to ("compute.googleapis.com"); a resource of this kind waits
    #: for that API to be enabled when the spec enables it.
    api: ClassVar[str | None] = None
    #: Its resources are APIs enabled on the project, each named by its service.
    enables_api: ClassVar[bool] = False
    #: Replace by creating the new one first, then deleting the old (the kind gives them distinct
    #: API names, e.g. a suffix derived from the immutable fields), so there is no gap in service.
    create_before_destroy: ClassVar[bool] = False
    #: How to wait on this kind's operations.
    poll_schedule: ClassVar[PollSchedule] = PollSchedule()
    #: Which failed operations of this kind are started again, and how often (none by default).
    restarts: ClassVar[Restarts] = Restarts()
    #: The IAM permissions its calls need, by what the call does (`read`, `create`, `update`,
    #: `delete`; see `permissions_of`). Preflight tests them before an apply, and the deploy
    #: account's least-privilege role is made of them.
    permissions: ClassVar[Mapping[str, tuple[str, ...]]] = {}
    #: Where a body names its customer-managed encryption key (dotted path); None: the kind
    #: takes none. An organisation policy requiring CMEK for its API refuses it without one.
    cmek_path: ClassVar[str | None] = None

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    # -- reading ---------------------------------------------------------------------
    @abstractmethod
    def observe(self, desired: Sequence[Resource]) -> list[LiveResource]:
        """Every live resource of this kind in scope: list calls, not one GET each."""

    def read(self, desired: Resource) -> LiveResource | None:
        """The one live resource for `desired` (after a 409 on create, for instance)."""
        for live in self.observe([desired]):
            if live.name == desired.name:
                return live
        return None

    def references(self, live: LiveResource) -> tuple[str, ...]:
        """Addresses this live resource points at; deletions are ordered by them."""
        return ()

    def normalise(self, body: dict[str, Any]) -> dict[str, Any]:
        """Rewrite a live body into the spec's spelling (case, units, resource paths)."""
        return body

    # -- writing ---------------------------------------------------------------------
    @abstractmethod
    def create(self, desired: Resource) -> Operation: ...

    @abstractmethod
    def update(self, desired: Resource, live: LiveResource, changes: Sequence[FieldChange]) -> Operation: ...

    @abstractmethod
    def delete(self, live: LiveResource) -> Operation: ...

    def abandon(self, live: LiveResource) -> Operation | None:
        """Leave the resource in place but out of management (drop our ownership labels)."""
        return None

    @property
    def can_abandon(self) -> bool:
        return type(self).abandon is not Kind.abandon and self.labels_path is not None

    def labels(self, body: dict[str, Any]) -> dict[str, str]:
        """The labels of a body, wherever this kind keeps them."""
        node: Any = body
        for part in (self.labels_path or "").split("."):
            if not part or not isinstance(node, dict):
                return {}
            node = node.get(part)
        return dict(node) if isinstance(node, dict) else {}

    # -- what a change means ---------------------------------------------------------
    def replace_reason(self, changes: Sequence[FieldChange]) -> str | None:
        """Why these changes cannot be made in place (None: they can)."""
        for change in changes:
            for path in self.immutable:
                if change.path == path or change.path.startswith(path + "."):
                    return f"{change.path} cannot be changed in place"
        return None

    def replace_blocker(self, live: LiveResource) -> str | None:
        """Why a replacement cannot be carried out as delete + create, if it cannot."""
        return None

    def status_note(self, live: LiveResource | None) -> str | None:
        """A state worth reporting even when nothing changes (a certificate still provisioning);
        `live` is None for a resource about to be created."""
        return None

    def update_note(self, changes: Sequence[FieldChange]) -> str | None:
        """What an in-place update does beyond the fields (a restart, a new revision)."""
        return None

    # -- safety ----------------------------------------------------------------------
    def holds_lock(self, name: str) -> bool:
        """Whether the resource of this name is where the environment's lock lives: an apply
        makes it before its first write and never replaces or deletes it."""
        return False

    def standalone(self, desired: Resource) -> Resource:
        """The resource as it can be made before anything it depends on exists: for the lock's
        home, made first; the plan's own change then brings it to the spec."""
        return desired

    def delete_effect(self, live: LiveResource) -> str | None:
        """What a delete really does, when the API cannot simply delete (None: it deletes)."""
        return None

    def delete_note(self, live: LiveResource) -> str | None:
        """A consequence of deleting worth telling the reviewer (a name reserved for a week)."""
        return None

    def holds_data(self, live: LiveResource) -> bool:
        """Whether deleting this live resource now would destroy data."""
        return self.stateful

    def planned(self, changes: Sequence[Change]) -> None:
        """The changes of this kind an apply is about to make, before it makes any: a kind whose
        API takes several in one call (enabling APIs) can then send them all in the first."""
        return None

    def retryable(self, err: ApiError) -> bool:
        """Extra API answers that mean 'busy, try again' for this kind."""
        return False

    def quota_needs(self, desired: Resource) -> list[QuotaNeed]:
        """The Compute Engine quotas this resource draws on (CPUs and GPUs of a node pool);
        preflight adds them up for what an apply would create."""
        return []

    def settling(self, err: ApiError) -> str | None:
        """Why an answer means 'what this needs was made moments ago and is not usable yet' (a
        metric the API takes minutes to know), waited out under the longer deadline; None: it
        does not."""
        return None

    # -- cost --------------------------------------------------------------------------
    #: Why a resource of this kind costs nothing by itself; kinds that charge override
    #: `monthly_cost` instead. Neither: the estimate lists the kind as not priced.
    no_charge: ClassVar[str | None] = None

    def body_as_created(self, desired: Resource) -> dict[str, Any]:
        """The body a create sends (owned and create-only fields): what a new resource will be."""
        return {**desired.body, **desired.create_only}

    def monthly_cost(self, name: str, body: dict[str, Any], prices: PriceTable) -> list[CostLine] | None:
        """List-price lines of one resource, from an API-shaped body (desired or live alike).

        None: this kind does not price itself, and the estimate says so.
        """
        if self.no_charge is None:
            return None
        from provisioner.cost.pricing import free

        return [free("no charge of its own", self.no_charge)]

    def monthly_costs(
        self, bodies: dict[str, dict[str, Any]], prices: PriceTable
    ) -> dict[str, list[CostLine] | None]:
        """Every resource of this kind at once; override where a price depends on how many
        there are (a charge shared by the first few of a kind in a project)."""
        return {name: self.monthly_cost(name, body, prices) for name, body in bodies.items()}

    # -- helpers for subclasses --------------------------------------------------------
    def call(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        """Run one API call under the shared retry policy and this kind's extra rules."""
        return self.ctx.retry.call(fn, *args, extra=self.retryable, settling=self.settling, **kwargs)

    def side_by_side(self, *reads: Callable[[], Any]) -> list[Any]:
        """Independent reads one observation needs (a policy and the accounts it names), at once."""
        return self.map(lambda read: read(), reads)

    def map(self, fn: Callable[[T], R], items: Iterable[T], workers: int = 8) -> list[R]:
        """Run independent reads side by side where the API has no list (IAM policies, say)."""
        items = list(items)
        if len(items) <= 1:
            return [fn(item) for item in items]
        with ThreadPoolExecutor(max_workers=min(workers, len(items))) as pool:
            return list(pool.map(fn, items))


ACTIONS = ("read", "create", "update", "delete")


def permissions_of(
    collection: str,
    *,
    read: Sequence[str] = ("list", "get"),
    create: Sequence[str] = ("create",),
    update: Sequence[str] = ("update",),
    delete: Sequence[str] = ("delete",),
    also: Mapping[str, Sequence[str]] | None = None,
) -> dict[str, tuple[str, ...]]:
    """A kind's permissions, spelled the way IAM names them: `<collection>.<verb>` for the
    verbs of each action (`compute.firewalls` + `create`), plus whole permissions `also` needs
    (the service account a workload runs as: `iam.serviceAccounts.actAs`)."""
    verbs = {"read": read, "create": create, "update": update, "delete": delete}
    out: dict[str, tuple[str, ...]] = {}
    for action in ACTIONS:
        names = [f"{collection}.{verb}" for verb in verbs[action]]
        names += list((also or {}).get(action, ()))
        out[action] = tuple(dict.fromkeys(names))
    return out


class Reconciler(ABC):
    """A service family: the kinds it owns and how the spec maps onto them."""

    family: ClassVar[str]
    kinds: ClassVar[tuple[type[Kind], ...]]

    @abstractmethod
    def desired(self, ctx: Context) -> list[Resource]:
        """The resources the spec asks for, with their dependencies."""
