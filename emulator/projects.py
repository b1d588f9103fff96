"""Registered projects and their stable numbers.

Only registered projects exist; everything else is refused, as the real API
refuses projects the caller cannot see.
"""

from __future__ import annotations

import hashlib

from emulator.errors import ApiError, permission_denied
from emulator.state import Store


def project_number(project_id: str) -> str:
    """A 12-digit number derived from the id, the same in every process."""
    digest = int(hashlib.sha256(project_id.encode()).hexdigest(), 16)
    return str(100_000_000_000 + digest % 900_000_000_000)


class Projects:
    def __init__(self, store: Store) -> None:
        self.store = store

    def register(self, project_id: str) -> str:
        number = project_number(project_id)
        self.store.add_project(project_id, number)
        return number

    def lookup(self, id_or_number: str) -> tuple[str, str] | None:
        """(project id, number) for a project id or number, if registered."""
        for project_id, number in self.store.projects().items():
            if id_or_number in (project_id, number):
                return project_id, number
        return None

    def require(self, id_or_number: str, permission: str = "resourcemanager.projects.get") -> tuple[str, str]:
        """The project, when it exists and the caller holds `permission` on it: Google answers
        both cases with the same 403, so a caller cannot learn what exists."""
        from emulator import guardrails

        found = self.lookup(id_or_number)
        if found is None or not guardrails.allows(self.store, found[0], permission):
            raise permission_denied_for(id_or_number, permission)
        return found


def permission_denied_for(project: str, permission: str) -> ApiError:
    return permission_denied(
        f"Permission '{permission}' denied on resource 'projects/{project}' (or it may not exist)."
    )
