"""Resources whose names the server assigns, found again by a key label.

Cloud Monitoring names alert policies, notification channels and dashboards itself
(`projects/p/alertPolicies/1234`), so a deterministic name cannot tell us which live
resource is which. Each one we create carries, next to the ownership labels, a stable
logical key (`digitwin-key: error-rate`); that key is its address. Observation lists the
collection and groups by key: the oldest copy is the resource, and any further copy (left
by a run that died between two creates, or made by hand from ours) gets an address of its
own, `<key>~<id>`, which no desired resource has, so the plan shows it as a delete instead
of silently keeping two.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Callable, Sequence
from typing import Any

from provisioner.engine.api_kind import ApiKind
from provisioner.engine.resource import LiveResource, Resource
from provisioner.google.errors import ApiError

KEY_LABEL = "digitwin-key"
COPY_MARK = "~"


def server_id(name: str) -> str:
    return name.rsplit("/", 1)[1]


def is_copy(live: LiveResource) -> bool:
    return COPY_MARK in live.name


def concurrent_edit(err: ApiError) -> bool:
    """Monitoring's 409 for configuration edits racing in one project: wait and send again."""
    return err.status == 409 and "concurrent edits" in err.message.lower()


class KeyedKind(ApiKind):
    """A kind addressed by its key label rather than by its server-assigned name."""

    @property
    def labels_field(self) -> str:
        """Where the labels live in the API's body (`userLabels`, `labels`): the kind's
        `meta.labels_path`, which a kind found by its key label always has."""
        path = self.meta.labels_path
        if path is None:
            raise TypeError(f"{self.meta.kind} is found by a key label, so its meta names its labels")
        return path

    @abstractmethod
    def list_live(self) -> list[dict[str, Any]]:
        """Every resource in the collection, as the API returns them (paginated list)."""

    def age(self, body: dict[str, Any]) -> str:
        """Sorts copies oldest first; the oldest is the one kept."""
        return str((body.get("creationRecord") or {}).get("mutateTime", ""))

    def version_of(self, body: dict[str, Any]) -> str | None:
        return None

    def view(self, body: dict[str, Any]) -> dict[str, Any]:
        """The body in the spec's spelling (server-only fields dropped, references as keys)."""
        return body

    def observe(self, desired: Sequence[Resource]) -> list[LiveResource]:
        groups: dict[str, list[dict[str, Any]]] = {}
        for body in self.list_live():
            key = (body.get(self.labels_field) or {}).get(KEY_LABEL)
            if key:
                groups.setdefault(key, []).append(body)
        found: list[LiveResource] = []
        for key, copies in sorted(groups.items()):
            copies.sort(key=lambda b: (not self._ours(b), self.age(b), b["name"]))
            for i, body in enumerate(copies):
                name = key if i == 0 else f"{key}{COPY_MARK}{server_id(body['name'])}"
                found.append(
                    LiveResource(
                        self.meta.kind,
                        name,
                        self.view(body),
                        managed=self._ours(body),
                        version=self.version_of(body),
                    )
                )
        return found

    def create_once(self, desired: Resource, send: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        """Send the create of `desired`; after an ambiguous failure, look for it by its key
        before sending again, so a create whose answer was lost makes no second copy."""

        def find() -> dict[str, Any] | None:
            for body in self.list_live():
                if (body.get(self.labels_field) or {}).get(KEY_LABEL) == desired.name and self._ours(body):
                    return body
            return None

        return self.call_once(send, find)

    def _ours(self, body: dict[str, Any]) -> bool:
        return self.ctx.is_ours(body.get(self.labels_field))

    def delete_note(self, live: LiveResource) -> str | None:
        if is_copy(live):
            key = live.name.split(COPY_MARK, 1)[0]
            return f"a second copy of {key} ({live.body.get('name')}); the oldest copy is kept"
        return None

    def retryable(self, err: ApiError) -> bool:
        return concurrent_edit(err)
