"""From spec to plan: gather desired resources, observe the live side, diff.

Observation is one pass over every kind, in parallel, each kind listing its collection
(one call per collection and location). Nothing here knows a service by name: kinds and
reconcilers are handed in.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field, replace
from typing import TypedDict

from provisioner.engine import observing, review
from provisioner.engine.abandon import can_abandon, labels, labels_in
from provisioner.engine.context import Context
from provisioner.engine.diff import field_changes, ignored_fields, live_token, with_live_ignored
from provisioner.engine.graph import ResourceGraph
from provisioner.engine.ignore import IgnoredField
from provisioner.engine.ignore import attach as attach_ignore_rules
from provisioner.engine.kind import Kind, Reconciler
from provisioner.engine.lock_home import holds_lock
from provisioner.engine.plan import Change, Plan, resource_to_dict
from provisioner.engine.resource import DELETION_POLICY_LABEL, Address, LiveResource, Resource
from provisioner.google.errors import ReadFailed, ServiceDisabled, classify

#: Most kinds observed side by side; each observation is one or a few list calls.
READ_WORKERS = 32
#: Why the resource holding the environment's lock is never replaced or deleted by an apply.
LOCK_HOME = "it holds the environment's lock, so no apply replaces or deletes it; no flag changes that"


@dataclass(frozen=True)
class PlanOptions:
    adopt: bool = False
    prune: bool = False
    allow_destroy: bool = False
    allow_prod_destroy: bool = False
    targets: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, object]:
        return {
            "adopt": self.adopt,
            "prune": self.prune,
            "allow_destroy": self.allow_destroy,
            "allow_prod_destroy": self.allow_prod_destroy,
            "targets": list(self.targets),
        }


@dataclass
class Observation:
    desired: list[Resource]
    live: dict[Address, LiveResource]
    graph: ResourceGraph
    kinds: dict[str, Kind] = field(default_factory=dict)
    #: Worth telling the reviewer about what was read (an API not enabled yet), by address.
    notices: dict[Address, str] = field(default_factory=dict)


class Planner:
    def __init__(self, ctx: Context, reconcilers: Sequence[Reconciler], parallelism: int = 8) -> None:
        self.ctx = ctx
        self.reconcilers = list(reconcilers)
        self.parallelism = parallelism
        self.kinds: dict[str, Kind] = {}
        for reconciler in self.reconcilers:
            for kind_cls in reconciler.kinds:
                self.kinds[kind_cls.meta.kind] = kind_cls(ctx)

    def desired(self) -> list[Resource]:
        return self._checked([r for reconciler in self.reconcilers for r in self._desired_of(reconciler)])

    def _desired_of(self, reconciler: Reconciler) -> list[Resource]:
        resources = [self._mark_policy(r) for r in reconciler.desired(self.ctx)]
        declared = {kind.meta.kind for kind in reconciler.kinds}
        undeclared = sorted({r.kind for r in resources} - declared)
        if undeclared:
            # Observation starts a kind's lists once the families declaring it are done.
            raise ValueError(f"reconciler {reconciler.family!r} returns undeclared kinds {undeclared}")
        return resources

    def _checked(self, resources: list[Resource]) -> list[Resource]:
        resources = attach_ignore_rules(resources, getattr(self.ctx.spec, "ignore", None))
        resources = self._after_their_apis(resources)
        ResourceGraph(resources)  # validates unique addresses, known kinds of deps, no cycles
        for resource in resources:
            if resource.kind not in self.kinds:
                raise ValueError(f"{resource.address}: no kind {resource.kind!r} is registered")
        return resources

    def _apis_enabled_by(self, resources: Sequence[Resource]) -> dict[str, Address]:
        """The APIs these resources enable (by a kind that enables APIs), to their addresses."""
        return {r.name: r.address for r in resources if self.kinds[r.kind].meta.enables_api}

    def _after_their_apis(self, resources: list[Resource]) -> list[Resource]:
        """Each resource waits for the API its kind calls, when the same plan enables that API."""
        known = [r for r in resources if r.kind in self.kinds]
        enabling = self._apis_enabled_by(known)
        out = []
        for resource in resources:
            kind = self.kinds.get(resource.kind)
            needed = enabling.get(kind.meta.api) if kind is not None and kind.meta.api else None
            if needed is None or needed == resource.address or needed in resource.deps:
                out.append(resource)
            else:
                out.append(replace(resource, deps=(*resource.deps, needed)))
        return out

    def _observed(
        self,
        name: str,
        future: Future[list[LiveResource]],
        desired: Sequence[Resource],
        notices: dict[Address, str],
    ) -> list[LiveResource]:
        """A kind's observation; nothing there when its API is still disabled and this plan enables it."""
        try:
            return future.result()
        except Exception as exc:
            err = classify(exc)
            if err is None:
                raise
            if not err.service_disabled:
                raise ReadFailed(name, self.kinds[name].meta.api, err) from exc
            api = err.service or self.kinds[name].meta.api
            if api is None:
                raise
            address = self._apis_enabled_by(desired).get(api)
            if address is None:
                raise ServiceDisabled(
                    f"{api} is not enabled in project {self.ctx.project}, and the spec does not enable it: "
                    f"add {api} to `apis:` in the spec, or enable it (gcloud services enable {api})"
                ) from exc
            notices[address] = f"{api} is not enabled yet: its resources are shown as to create"
            return []

    def _mark_policy(self, resource: Resource) -> Resource:
        """Record `deletion_policy: abandon` on the resource itself, in a label."""
        kind = self.kinds.get(resource.kind)
        if resource.deletion_policy != "abandon" or kind is None or not can_abandon(kind):
            return resource
        body = copy.deepcopy(resource.body)
        node = labels_in(kind, body)
        if node is None:
            return resource  # this resource carries no labels in its body
        node[DELETION_POLICY_LABEL] = "abandon"
        return replace(resource, body=body)

    def observe(
        self,
        desired: Sequence[Resource],
        kinds: Sequence[str] | None = None,
        notices: dict[Address, str] | None = None,
    ) -> dict[Address, LiveResource]:
        by_kind: dict[str, list[Resource]] = {name: [] for name in (kinds or self.kinds)}
        for resource in desired:
            if resource.kind in by_kind:
                by_kind[resource.kind].append(resource)
        live: dict[Address, LiveResource] = {}
        # Every kind's lists go out at once: they are reads of different collections (mostly of
        # different APIs, each with its own quota), so bounding them by the write parallelism
        # would only stack round trips one after another.
        workers = max(1, min(max(self.parallelism, len(by_kind)), READ_WORKERS))
        with ThreadPoolExecutor(max_workers=workers) as pool:
            futures = {name: pool.submit(self.kinds[name].observe, items) for name, items in by_kind.items()}
            for name in by_kind:
                for item in self._observed(name, futures[name], desired, {} if notices is None else notices):
                    live[item.address] = item
        return live

    def snapshot(self, targets: Sequence[str] = ()) -> Observation:
        with self.ctx.observation():
            if not targets:
                return self._observe_as_desired_arrives()
            desired = self.desired()
            graph = ResourceGraph(desired)
            desired = graph.select(targets)
            kinds = sorted(
                {r.kind for r in desired}
                | {t.split("/", 1)[0] for t in targets if t.split("/", 1)[0] in self.kinds}
            )
            notices: dict[Address, str] = {}
            live = self.observe(desired, kinds, notices)
            return Observation(desired=desired, live=live, graph=graph, kinds=self.kinds, notices=notices)

    def _observe_as_desired_arrives(self) -> Observation:
        """Start each kind's lists as soon as the families that declare the kind know what they want.

        A family that must look something up first (the project number, for service agents)
        holds back only its own kinds; every other list is already on its way, so that lookup
        overlaps the first round of reads instead of coming before all of them.
        """
        producers = {
            name: {i for i, r in enumerate(self.reconcilers) if any(k.meta.kind == name for k in r.kinds)}
            for name in self.kinds
        }
        wanted: dict[str, list[Resource]] = {name: [] for name in self.kinds}
        by_family: list[list[Resource]] = [[] for _ in self.reconcilers]
        observing: dict[str, Future[list[LiveResource]]] = {}
        with ThreadPoolExecutor(max_workers=READ_WORKERS) as pool:

            def start_ready() -> None:
                for name, waiting_on in producers.items():
                    if not waiting_on and name not in observing:
                        observing[name] = pool.submit(self.kinds[name].observe, wanted[name])

            start_ready()
            families = {pool.submit(self._desired_of, r): i for i, r in enumerate(self.reconcilers)}
            for done in as_completed(families):
                index = families[done]
                by_family[index] = done.result()
                for resource in by_family[index]:
                    wanted[resource.kind].append(resource)
                for waiting_on in producers.values():
                    waiting_on.discard(index)
                start_ready()
            desired = self._checked([r for family in by_family for r in family])
            live: dict[Address, LiveResource] = {}
            notices: dict[Address, str] = {}
            for name in self.kinds:
                for item in self._observed(name, observing[name], desired, notices):
                    live[item.address] = item
        graph = ResourceGraph(desired)
        return Observation(desired=desired, live=live, graph=graph, kinds=self.kinds, notices=notices)

    def plan(self, options: PlanOptions | None = None, observation: Observation | None = None) -> Plan:
        options = options or PlanOptions()
        obs = observation or self.snapshot(options.targets)
        desired_by_address = {r.address: r for r in obs.desired}
        proposed: list[Change] = []
        observed: dict[Address, str | None] = {}
        ignored: dict[Address, list[IgnoredField]] = {}
        for resource in obs.graph.order(list(desired_by_address)):
            kind = self.kinds[resource.kind]
            live = obs.live.get(resource.address)
            observed[resource.address] = live_token(kind, resource, live)
            proposed.append(self._change_for(kind, resource, live, options))
            if live is not None and resource.ignore:
                ignored[resource.address] = ignored_fields(kind, resource, live)
        self._cascade(proposed, obs, options)
        for change in proposed:
            if change.action == "replace":
                change.references = list(
                    observing.references(self.kinds[change.kind], obs.live[change.address])
                )
                if ignored.get(change.address):  # a new resource is made as the spec says, as on create
                    paths = ", ".join(f.path for f in ignored.pop(change.address))
                    change.note = _join(change.note, f"the new one takes the spec's values of {paths}")
        changes = [c for c in proposed if c.action != "noop" or c.blocked is not None]
        unchanged = len(proposed) - len(changes)
        # Unchanged resources with a state worth knowing (a certificate still provisioning).
        notices = {c.address: c.note for c in proposed if c.action == "noop" and c.blocked is None and c.note}
        notices.update(obs.notices)
        deletions: list[Change] = []
        for address, live in sorted(obs.live.items()):
            if address in desired_by_address or not live.managed:
                continue
            if options.targets and not _matches(address, options.targets):
                continue
            kind = self.kinds[live.kind]
            observed[address] = live_token(kind, None, live)
            deletions.append(self._deletion(kind, live, options))
        # Deletions run after everything else and in reverse dependency order.
        changes.extend(reversed(deletions))
        return Plan(
            env=self.ctx.env,
            project=self.ctx.project,
            changes=changes,
            observed=observed,
            unchanged=unchanged,
            options=options.to_dict(),
            notices=notices,
            ignored={address: fields for address, fields in ignored.items() if fields},
        )

    def lock_home(self) -> tuple[Kind, Resource] | None:
        """The kind and desired resource where the environment's lock lives, if the spec has it."""
        for resource in self.desired():
            kind = self.kinds[resource.kind]
            if holds_lock(kind, resource.name):
                return kind, resource
        return None

    def rediff(self, plan: Plan, live: dict[Address, LiveResource], addresses: Sequence[Address]) -> Plan:
        """`plan` with the changes of `addresses` worked out again against `live`.

        For what an apply itself made before its first change (the bucket its lock lives in,
        made when the lock was taken): the plan said create, and it is now an update or nothing.
        """
        options = PlanOptions(**{**plan.options, "targets": tuple(plan.options.get("targets", ()))})
        changes: list[Change] = []
        unchanged = plan.unchanged
        for change in plan.changes:
            if change.address not in addresses or change.desired is None:
                changes.append(change)
                continue
            kind, resource = self.kinds[change.kind], change.resource()
            now = live.get(change.address)
            plan.observed[change.address] = live_token(kind, resource, now)
            again = self._change_for(kind, resource, now, options)
            if again.action == "noop" and again.blocked is None:
                unchanged += 1
            else:
                changes.append(again)
        return replace(plan, changes=changes, unchanged=unchanged)

    def _cascade(self, proposed: list[Change], obs: Observation, options: PlanOptions) -> None:
        """Replace what points at a replaced resource: the API will not delete it while in use.

        Only live references count (what the API itself would refuse), not ordering-only
        dependencies. Kinds that replace create-before-destroy keep their dependents: those
        are updated to the new resource before the old one goes.
        """
        by_address = {c.address: c for c in proposed}
        references = {
            address: set(observing.references(self.kinds[live.kind], live))
            for address, live in obs.live.items()
        }
        pending = [c.address for c in proposed if c.action == "replace"]
        while pending:
            target = pending.pop()
            if self.kinds[by_address[target].kind].meta.create_before_destroy:
                continue
            for address, refs in references.items():
                change = by_address.get(address)
                if target not in refs or change is None or change.action not in ("noop", "update"):
                    continue
                live = obs.live[address]
                kind = self.kinds[live.kind]
                reason = f"it points at {target}, which is replaced"
                destructive = review.holds_data(kind, live)
                change.action = "replace"
                change.reason = reason
                change.destructive = destructive
                change.blocked = change.blocked or self._replacement_blocked(
                    kind, live, reason, destructive, options
                )
                pending.append(address)

    def _change_for(
        self, kind: Kind, resource: Resource, live: LiveResource | None, options: PlanOptions
    ) -> Change:
        base = _Identity(address=resource.address, kind=resource.kind, name=resource.name)
        desired = resource_to_dict(resource)
        if live is None:
            return Change(**base, action="create", desired=desired, note=review.status_note(kind, None))
        fields = field_changes(kind, resource, live)
        blocked = None
        note = None
        if not live.managed:
            note = "exists without our ownership labels"
            if not options.adopt:
                blocked = "exists but is not managed by this tool; pass --adopt to take it over"
        if not fields:
            note = _join(note, review.status_note(kind, live))
            return Change(**base, action="noop", blocked=blocked, note=note, desired=desired)
        reason = review.replace_reason(kind, fields)
        if reason is None:
            note = _join(note, review.update_note(kind, fields))
            desired = resource_to_dict(with_live_ignored(kind, resource, live))
            return Change(**base, action="update", fields=fields, blocked=blocked, note=note, desired=desired)
        destructive = review.holds_data(kind, live)
        blocked = blocked or self._replacement_blocked(kind, live, reason, destructive, options)
        return Change(
            **base,
            action="replace",
            fields=fields,
            reason=reason,
            destructive=destructive,
            blocked=blocked,
            note=note,
            desired=desired,
        )

    def _replacement_blocked(
        self, kind: Kind, live: LiveResource, reason: str, destructive: bool, options: PlanOptions
    ) -> str | None:
        if holds_lock(kind, live.name):
            return f"{reason}, and {LOCK_HOME}"
        effect = review.delete_effect(kind, live)
        if effect:
            return f"{reason}, and {effect}"
        blocker = review.replace_blocker(kind, live)
        if blocker:
            return blocker
        return self._destroy_gate(destructive, options, "replacing") or self._protected_gate(
            options, "replacing it deletes the old one"
        )

    def _destroy_gate(self, destructive: bool, options: PlanOptions, verb: str) -> str | None:
        """Destructive changes need --allow-destroy, and in production --allow-prod-destroy too."""
        if not destructive:
            return None
        if not options.allow_destroy:
            return f"{verb} it destroys its data; pass --allow-destroy to proceed"
        if self.ctx.protected and not options.allow_prod_destroy:
            return f"{verb} it destroys data in a protected environment; pass --allow-prod-destroy as well"
        return None

    def _protected_gate(self, options: PlanOptions, what: str) -> str | None:
        """In production nothing is deleted or released without --allow-prod-destroy, data or not:
        an empty bucket's name, IAM and settings are what other systems point at."""
        if self.ctx.protected and not options.allow_prod_destroy:
            return f"{what} in a protected environment; pass --allow-prod-destroy as well"
        return None

    def _deletion(self, kind: Kind, live: LiveResource, options: PlanOptions) -> Change:
        base = _Identity(address=live.address, kind=live.kind, name=live.name)
        prod = ""
        if self.ctx.protected and not options.allow_prod_destroy:
            prod = " (and --allow-prod-destroy: a protected environment)"
        if can_abandon(kind) and labels(kind, live.body).get(DELETION_POLICY_LABEL) == "abandon":
            blocked = (
                self._protected_gate(options, "releasing it")
                if options.prune
                else f"no longer in the spec; pass --prune to release it{prod}"
            )
            note = "deletion_policy abandon: left in place, only our labels are removed"
            return Change(**base, action="abandon", blocked=blocked, note=note)
        effect = review.delete_effect(kind, live) or review.delete_note(kind, live)
        destructive = review.holds_data(kind, live)
        blocked = None
        if holds_lock(kind, live.name):
            blocked = LOCK_HOME
        elif not options.prune:
            blocked = f"no longer in the spec; pass --prune to delete it{prod}"
        else:
            blocked = self._destroy_gate(destructive, options, "deleting") or self._protected_gate(
                options, "deleting it"
            )
        return Change(
            **base,
            action="delete",
            destructive=destructive,
            blocked=blocked,
            note=effect,
            references=list(observing.references(kind, live)),
        )


class _Identity(TypedDict):
    """The fields every `Change` of one resource starts from."""

    address: Address
    kind: str
    name: str


def _join(*notes: str | None) -> str | None:
    present = [n for n in notes if n]
    return "; ".join(present) if present else None


def _matches(address: Address, targets: Sequence[str]) -> bool:
    return any(address == t or address.split("/", 1)[0] == t for t in targets)
