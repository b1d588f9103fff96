"""The Emulator object: state, faults and the server, started and stopped together."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable
from typing import Any

from emulator import guardrails, service_agents, service_catalog
from emulator.clock import Clock
from emulator.config import EmulatorConfig
from emulator.context import Context
from emulator.dispatch import Dispatcher
from emulator.faults import Faults
from emulator.locations import REGIONS
from emulator.operations import Operations
from emulator.projects import Projects
from emulator.records import RequestRecord
from emulator.server import EmulatorServer
from emulator.services import all_apis
from emulator.state import Store


class Emulator:
    def __init__(self, config: EmulatorConfig | None = None) -> None:
        self.config = config or EmulatorConfig()
        self.store = Store(self.config.state_path)
        self.clock = Clock(self.store)
        self.faults = Faults(seed=self.config.seed, latency_ms=self.config.latency_ms)
        self.ctx = Context(
            config=self.config,
            store=self.store,
            projects=Projects(self.store),
            operations=Operations(
                self.store,
                self.faults,
                self.clock,
                self.config.operation_delay_s,
                profile=self.config.operation_profile,
                scale=self.config.profile_scale,
            ),
            faults=self.faults,
            clock=self.clock,
        )
        for project_id in self.config.projects:
            self.register_project(project_id)
        self.dispatcher = Dispatcher(self.ctx, all_apis())
        self._server: EmulatorServer | None = None
        self._thread: threading.Thread | None = None
        self.base_url = ""

    def start(self, port: int = 0) -> str:
        """Serve in a daemon thread; returns the base URL every API is served under."""
        self._server = EmulatorServer((self.config.host, port), self)
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), name="emulator", daemon=True
        )
        self._thread.start()
        self.base_url = f"http://{self.config.host}:{self._server.server_address[1]}"
        return self.base_url

    def wait(self) -> None:
        """Block until the server stops (the CLI's main loop)."""
        if self._thread is not None:
            self._thread.join()

    @property
    def port(self) -> int:
        return self._server.server_address[1] if self._server else 0

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def close(self) -> None:
        self.stop()
        self.store.close()

    def register_project(self, project_id: str) -> str:
        """Make a project exist; returns its number."""
        return self.ctx.projects.register(project_id)

    def set_services(self, project: str, enable: Iterable[str] = (), disable: Iterable[str] = ()) -> None:
        """Turn APIs on or off in a project at once, as if done by hand long ago."""
        project_id, number = self.ctx.projects.require(project)
        known = service_catalog.catalog()
        for service, on in [*((s, True) for s in enable), *((s, False) for s in disable)]:
            if service not in known:
                raise ValueError(f"unknown service {service!r} for project {project_id}")
            service_catalog.set_state(self.store, number, service, on)

    def generate_service_agent(self, project: str, service: str) -> str | None:
        """Make `service`'s service agent exist in a project, as if asked for long ago; its email."""
        _, number = self.ctx.projects.require(project)
        return service_agents.generate(self.store, number, service)

    def enabled_services(self, project: str) -> list[str]:
        _, number = self.ctx.projects.require(project)
        return [s for s in service_catalog.catalog() if service_catalog.is_enabled(self.store, number, s)]

    # -- what a project allows (billing, quotas, the caller's permissions, org policies) ----
    def set_billing(self, project: str, enabled: bool) -> dict[str, Any]:
        project_id, _ = self.ctx.projects.require(project)
        guardrails.set_billing(self.store, project_id, enabled)
        return guardrails.billing(self.store, project_id)

    def set_quota(
        self, project: str, region: str | None, metric: str, limit: float, usage: float | None = None
    ) -> dict[str, Any]:
        """Set one quota's limit (and usage): in `region`, or project-wide when None."""
        project_id, _ = self.ctx.projects.require(project)
        if region is not None and region not in REGIONS:
            raise ValueError(f"unknown region {region!r}")
        guardrails.set_quota(self.store, project_id, region, metric, limit, usage)
        return {"quotas": guardrails.quotas(self.store, project_id, region)}

    def set_caller_permissions(self, project: str, granted: Iterable[str] | None) -> dict[str, Any]:
        """What the caller may do in the project; None: everything (an owner)."""
        project_id, _ = self.ctx.projects.lookup(project) or (None, None)
        if project_id is None:
            raise ValueError(f"unknown project {project!r}")
        guardrails.set_granted(self.store, project_id, granted)
        held = guardrails.granted(self.store, project_id)
        return {"granted": None if held is None else sorted(held)}

    def set_org_policy(
        self, project: str, constraint: str, policy: dict[str, Any] | list[str] | None
    ) -> dict[str, Any]:
        """Put a v1 OrgPolicy in force on the project (None lifts it); a list of values is short
        for a list policy allowing them."""
        project_id, _ = self.ctx.projects.require(project)
        if isinstance(policy, list):
            policy = {"listPolicy": {"allowedValues": list(policy)}}
        guardrails.set_org_policy(self.store, project_id, constraint, policy)
        name = constraint if constraint.startswith("constraints/") else f"constraints/{constraint}"
        return guardrails.effective_org_policy(self.store, project_id, name)

    def requests(self) -> list[RequestRecord]:
        return [
            RequestRecord(*row[:-1], body=json.loads(row[-1]) if row[-1] else None)
            for row in self.store.requests()
        ]

    def clear_requests(self) -> None:
        self.store.clear_requests()

    def reset(self) -> None:
        self.store.reset()
        self.faults.clear()

    def advance_time(self, seconds: float) -> None:
        self.clock.advance(seconds)

    def settle(self) -> int:
        """Apply what every finished operation does (requests do this themselves);
        for callers that read `store` directly."""
        return self.ctx.operations.settle()

    def __enter__(self) -> Emulator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
