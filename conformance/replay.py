"""Replaying one recorded log against a fresh emulator, in process.

Requests are the recorded ones with their placeholders filled: from what the emulator
answered earlier (its operation names, the ids it assigned), else with a value made up once
per log. Normalised etags, fingerprints and settings versions in a request are replaced by the
emulator's current ones. Operations take time (a flat delay) and the clock is moved forward
where the real log shows them finished, so an answer that says RUNNING is compared with one
that says RUNNING.
"""

from __future__ import annotations

import copy
import json
import random
import re
import string
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

from conformance.corpus import Exchange, Log
from conformance.score import Score, compare
from emulator import Emulator, EmulatorConfig

PROJECT = "kcc-conformance"
#: Seconds every emulated operation takes; the replay moves the clock instead of waiting.
OPERATION_DELAY_S = 30.0
_PLACEHOLDER = re.compile(r"\$\{([A-Za-z]+)\}")
#: Placeholders the emulator may give a new value in every answer.
_REBOUND = {"operationID"}
_NORMALISED_TAG = "abcdef0123A="
_TAG_KEYS = ("fingerprint", "Fingerprint", "etag")
#: Values of `status`/`state` that say a resource is still on its way.
_TRANSITIONAL = {
    "PROVISIONING",
    "PENDING",
    "PENDING_CREATE",
    "CREATING",
    "RECONCILING",
    "STOPPING",
    "DELETING",
    "UPDATING",
}


@dataclass
class Result:
    """One exchange as replayed: how it counts and what the emulator said."""

    log: str
    kind: str
    index: int
    method: str
    url: str
    method_id: str | None
    category: str  # scored | unimplemented | cascade
    real_status: int
    emu_status: int
    score: Score = field(default_factory=Score)


def _resource_of(exchange: Exchange, path: str, body: Any, query: str) -> str | None:
    """The path of the resource a create request makes, or None when it is not a create."""
    if exchange.method not in ("POST", "PUT"):
        return None
    q = parse_qs(query)
    for key, values in q.items():
        if key.endswith("Id") and key not in ("requestId",):
            return f"{path}/{values[0]}"
    if isinstance(body, dict):
        for wrapper in ("cluster", "nodePool", "serviceAccount"):
            inner = body.get(wrapper)
            if isinstance(inner, dict) and isinstance(inner.get("name"), str) and exchange.method == "POST":
                return f"{path}/{inner['name']}"
        if exchange.method == "POST" and isinstance(body.get("accountId"), str):
            return f"{path}/{body['accountId']}"
        name = body.get("name")
        if exchange.method == "POST" and isinstance(name, str) and "/" not in name and ":" not in path:
            tail = path.rsplit("/", 1)[-1]
            # A custom verb is camel-cased (setLabels, addRule); `addresses` is a collection
            # (kcc-golden compute/v1beta1/computerouternat/computerouternat/_http.log #9 makes one).
            verb = r"(?:set|add|remove)[A-Z]\w*|patch(?:[A-Z]\w*)?|clone|restart|failover|\w+:\w+"
            if not re.fullmatch(verb, tail):
                return f"{path}/{name}"
    return None


def _relative(path: str) -> str:
    at = path.find("projects/")
    return path[at:] if at >= 0 else path


class Replay:
    """A fresh emulator and the placeholders bound so far for one log."""

    def __init__(self, log: Log, seed: int = 0) -> None:
        self.log = log
        self.emu = Emulator(EmulatorConfig(projects=[PROJECT], operation_delay_s=OPERATION_DELAY_S))
        number = self.emu.ctx.projects.require(PROJECT)[1]
        # Other projects a log names outright (a reference across projects) exist too.
        for exchange in log.exchanges:
            for other in re.findall(r"/projects/([a-z][-a-z0-9]{4,28}[a-z0-9])/", exchange.url):
                self.emu.register_project(other)
        self._default_network()
        rng = random.Random(f"{seed}:{log.name}")
        self.unique = "".join(rng.choice(string.ascii_lowercase + string.digits) for _ in range(6))
        self.bound: dict[str, str] = {"projectId": PROJECT, "projectNumber": number, "uniqueId": self.unique}
        self.created: set[str] = set()
        self.failed: set[str] = set()
        self.last_write_failed = False
        self.seen: set[str] = set()
        self.absent: set[str] = set()
        self.assigned: dict[str, dict[str, str]] = {}
        self.seeded: list[str] = []
        #: Earlier values of a placeholder that stands for several resources of one log.
        self.generations: dict[str, list[str]] = {}
        #: Every value such a placeholder had, for the resources it stood for.
        self.aliases: dict[str, set[str]] = {}
        self.project_of_operations = PROJECT

    def _default_network(self) -> None:
        """The project has its `default` network, as every project Config Connector's tests run
        in (GKE clusters of the corpus name it without creating it)."""
        body = json.dumps({"name": "default", "autoCreateSubnetworks": True}).encode()
        self.send("POST", f"/compute/v1/projects/{PROJECT}/global/networks", "", body)
        self.finish_operations()

    # placeholders
    def _made_up(self, name: str) -> str:
        base = re.sub(r"(ID|Id)$", "", name)
        base = re.sub(r"[^a-z0-9]", "", base.lower()) or "x"
        return f"{base}-{self.unique}"

    def _next_generation(self, name: str) -> None:
        """Bind a placeholder to a new value, keeping the one it had for the resource before."""
        earlier = self.generations.setdefault(name, [])
        earlier.append(self.bound.get(name, self._made_up(name)))
        self.bound[name] = f"{self._made_up(name)}-{len(earlier) + 1}"
        self.aliases.setdefault(name, set()).update((earlier[-1], self.bound[name]))

    def fill(self, text: str) -> str:
        def one(m: re.Match[str]) -> str:
            name = m.group(1)
            if name not in self.bound:
                self.bound[name] = self._made_up(name)
            return self.bound[name]

        return _PLACEHOLDER.sub(one, text)

    def fill_known(self, value: Any) -> Any:
        """The real answer with the placeholders bound so far filled in, the others left."""
        if isinstance(value, dict):
            return {k: self.fill_known(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.fill_known(v) for v in value]
        if isinstance(value, str):
            return _PLACEHOLDER.sub(lambda m: self.bound.get(m.group(1), m.group(0)), value)
        return value

    def bind(self, real: Any, emu: Any) -> None:
        """Learn placeholder values from the emulator's answer, leaf by leaf."""
        if isinstance(real, dict) and isinstance(emu, dict):
            for key, value in real.items():
                if key in emu:
                    self.bind(value, emu[key])
        elif isinstance(real, list) and isinstance(emu, list):
            for r, e in zip(real, emu, strict=False):
                self.bind(r, e)
        elif isinstance(real, str) and isinstance(emu, str) and "${" in real:
            self._bind_text(real, emu)

    def _bind_text(self, template: str, value: str) -> None:
        names: list[str] = []
        pattern = ""
        pos = 0
        for m in _PLACEHOLDER.finditer(template):
            pattern += re.escape(template[pos : m.start()])
            name = m.group(1)
            if name in self.bound and name not in _REBOUND:
                pattern += re.escape(self.bound[name])
            elif name in names:
                pattern += f"(?P={name})"
            else:
                names.append(name)
                pattern += f"(?P<{name}>[^/]+?)"
            pos = m.end()
        pattern += re.escape(template[pos:])
        if not names:
            return
        for candidate, regex in ((value, pattern), (_relative(value), _relative(pattern))):
            found = re.fullmatch(regex, candidate)
            if found:
                self.bound.update(found.groupdict())
                return

    # the emulator
    def send(self, method: str, path: str, query: str, body: bytes) -> tuple[int, Any, str | None]:
        dispatcher = self.emu.dispatcher
        candidates = dispatcher.routes.candidates(method, path)
        method_id = None
        if candidates:
            route = next((r for r in candidates if r.method.id in dispatcher.handlers), candidates[0])
            method_id = route.method.id
        headers = {"Content-Type": "application/json"}
        outcome = dispatcher.handle(method, path, query, headers, body)
        try:
            payload = json.loads(outcome.body) if outcome.body else None
        except ValueError:
            payload = outcome.body.decode(errors="replace")
        return outcome.status, payload, method_id

    def finish_operations(self) -> None:
        """Move the clock until every operation started so far has finished."""
        for _ in range(50):
            pending = self.emu.store.due_operations(float("inf"))
            if not pending:
                return
            latest = max(self.emu.store.get_operation(n)["done_at"] for n in pending)
            self.emu.advance_time(max(0.001, latest - self.emu.clock.now() + 0.001))
            self.emu.settle()

    def current_tags(self, body: Any, path: str, query: str) -> Any:
        """Replace normalised etags, fingerprints and settings versions with the live ones."""
        text = json.dumps(body)
        if _NORMALISED_TAG not in text and '"settingsVersion": "123"' not in text:
            return body
        live = None
        if path.endswith(":setIamPolicy"):
            for verb in ("GET", "POST"):
                status, answer, _ = self.send(verb, path[: -len(":setIamPolicy")] + ":getIamPolicy", "", b"")
                if status == 200 and isinstance(answer, dict):
                    return _retag(copy.deepcopy(body), answer, answer)
        probe = path
        for _ in range(2):
            status, answer, _ = self.send("GET", probe, "", b"")
            if status == 200 and isinstance(answer, dict):
                live = answer
                break
            probe = probe.rsplit("/", 1)[0]
        if live is None:
            return body
        return _retag(copy.deepcopy(body), live, live)

    def run(self) -> list[Result]:
        results = []
        try:
            for exchange in self.log.exchanges:
                results.append(self.step(exchange))
        finally:
            self.emu.close()
        return results

    def _remember_assigned(self, exchange: Exchange, real: Any) -> None:
        """An id the emulator assigned in a create's answer, kept with the real answer's display
        name: one placeholder stands for every channel or policy the log makes, and a later
        read names which one by its display name."""
        found = (
            re.search(r"/\$\{([A-Za-z]+)\}$", str(real.get("name", ""))) if isinstance(real, dict) else None
        )
        if exchange.method != "POST" or not found or not real.get("displayName"):
            return
        name = found.group(1)
        if name in self.bound:
            self.assigned.setdefault(name, {})[str(real["displayName"])] = self.bound[name]

    def _name_in_url(self, exchange: Exchange) -> None:
        """The recorder writes one placeholder for every resource of a type (`${urlMapID}` for
        two URL maps of one log); the real answer names which one, and that name wins."""
        real = exchange.response
        segments_here = [m.group(1) for m in re.finditer(r"/\$\{([A-Za-z]+)\}(?=/|$)", exchange.path)]
        if isinstance(real, dict) and segments_here and real.get("displayName"):
            known = self.assigned.get(segments_here[-1], {}).get(str(real["displayName"]))
            if known:
                self.bound[segments_here[-1]] = known
                return
        named = None
        if isinstance(real, dict) and exchange.method == "GET" and isinstance(real.get("name"), str):
            named = real["name"]
        elif isinstance(real, dict) and isinstance(real.get("error"), dict):
            found = re.search(r"'([^']+)' was not found", str(real["error"].get("message", "")))
            named = found.group(1) if found else None
        if not named:
            return
        last = named.rsplit("/", 1)[-1]
        if any(m.group(1) not in self.bound for m in _PLACEHOLDER.finditer(last)):
            return
        segments = [m.group(1) for m in re.finditer(r"/\$\{([A-Za-z]+)\}(?=/|$)", exchange.path)]
        if segments and segments[-1] not in ("projectId", "operationID") and _PLACEHOLDER.search(last):
            self.bound[segments[-1]] = self.fill(last)

    def _id_in_query(self, exchange: Exchange) -> None:
        """A create that names its resource by a placeholder in the query (`jobId=${jobID}`)
        while the real answer spells the name out (`jobs/runjob-dependson-${uniqueId}`, kcc-golden
        run/v1beta1/runjob/runjob-dependson/_http.log exchange 1): the placeholder is that name."""
        real = exchange.response
        if exchange.method != "POST" or not isinstance(real, dict):
            return
        found = re.search(r"(?:^|&)[A-Za-z]+Id=\$\{([A-Za-z]+)\}(?:&|$)", exchange.query)
        if not found or found.group(1) in self.bound:
            return
        for holder in (real, real.get("metadata"), real.get("response")):
            name = holder.get("name") if isinstance(holder, dict) else None
            if isinstance(name, str) and "/operations/" not in name:
                last = name.rsplit("/", 1)[-1]
                if last != f"${{{found.group(1)}}}" and last:
                    self.bound[found.group(1)] = self.fill(last)
                return

    def step(self, exchange: Exchange) -> Result:
        self._name_in_url(exchange)
        self._id_in_query(exchange)
        url = urlsplit(self.fill(exchange.url))
        path, query = url.path, url.query
        if exchange.status < 400 or exchange.status == 404:
            # A project the log names (made outside the test) exists.
            for other in re.findall(r"/projects/([a-z][-a-z0-9]{4,28}[a-z0-9])(?=/|$)", path):
                if other not in self.emu.store.projects():
                    self.emu.register_project(other)
        if (
            path.startswith("/")
            and exchange.host == "storage.googleapis.com"
            and not path.startswith(("/storage/", "/upload/", "/download/"))
        ):
            path = "/storage/v1" + path
        request = exchange.request
        body_obj = json.loads(self.fill(exchange.request_text)) if isinstance(request, (dict, list)) else None
        real = exchange.response
        real_done = not (
            isinstance(real, dict)
            and (
                real.get("done") is False
                or str(real.get("status")) in _TRANSITIONAL
                or str(real.get("state")) in _TRANSITIONAL
                or (real.get("status") == "RUNNING" and "/operations/" in path)
            )
        )
        if real_done:
            self.finish_operations()
        elif "/operations/" in path:
            # A poll comes a few seconds after the answer that started the operation.
            self.emu.advance_time(OPERATION_DELAY_S / 5)
        if exchange.method == "GET" and exchange.status == 200 and "/operations/" not in path:
            self.seed_if_missing(path, real)
        if body_obj is not None:
            body_obj = self.current_tags(_without_normalised_addresses(body_obj), path, query)
        text = json.dumps(body_obj) if body_obj is not None else self.fill(exchange.request_text)
        raw = text.encode()
        status, answer, method_id = self.send(exchange.method, path, query, raw)
        ambiguous = [
            n
            for n in re.findall(r"/\$\{([A-Za-z]+)\}(?=/|$)", exchange.path)
            if n not in ("projectId", "uniqueId")
        ]
        again = _relative(path) in self.seeded or (
            exchange.method == "GET" and _relative(path) in self.created
        )
        if exchange.status == 404 and status == 200 and again and ambiguous:
            # The recorder wrote one placeholder for a dependency made outside the log and for a
            # resource the log makes itself, or for several resources the log makes (three
            # addresses are all `${addressID}` in kcc-golden compute/v1beta1/computerouternat/
            # computerouternat/_http.log: #18 and #24 find none after #9 made one): from here on
            # the placeholder is the next one.
            self._next_generation(ambiguous[-1])
            return self.step(exchange)
        if exchange.method in ("GET", "DELETE") and exchange.status == 200 and status == 404 and ambiguous:
            # ... and once the latest of them is gone, a read or delete that finds one is about an
            # earlier one (the same log, #39 and #45 read the addresses #37 did not delete; kcc-golden
            # compute/v1beta1/computetargethttpsproxy/regionaltargethttpsproxy/_http.log deletes its
            # two `${urlMapID}` maps one after the other).
            earlier = self.generations.get(ambiguous[-1])
            if earlier:
                self.bound[ambiguous[-1]] = earlier.pop()
                return self.step(exchange)
        where = f"{self.log.name}#{exchange.index} {exchange.method} {exchange.url}"
        result = Result(
            self.log.name,
            self.log.kind,
            exchange.index,
            exchange.method,
            exchange.url,
            method_id,
            "scored",
            exchange.status,
            status,
        )
        created = _resource_of(exchange, path, body_obj, query)
        if created is None and exchange.method == "PUT" and _relative(path) in self.absent:
            created = path  # a PUT where the log found nothing makes it (Pub/Sub topics)
        if exchange.method == "GET":
            (self.absent.add if exchange.status == 404 else self.absent.discard)(_relative(path))
        stale_operation = "/operations/" in path and self.last_write_failed
        if exchange.method != "GET":
            self.last_write_failed = exchange.status < 400 and (status >= 400 or method_id is None)
        if status == 501 or method_id is None:
            result.category = "unimplemented"
            if created:
                self.failed.add(_relative(created))
            result.score = Score(unimplemented=1)
            return result
        if stale_operation or (status != exchange.status and self._cascade(path, raw)):
            result.category = "cascade"
            if created:
                self.failed.add(_relative(created))
            result.score = Score(cascades=1, diffs=[{"at": where, "status": [exchange.status, status]}])
            return result
        if created:
            if exchange.status < 400 and status >= 400:
                self.failed.add(_relative(created))
            elif status < 400:
                self.created.add(_relative(created))
        if status < 400:
            self.seen.add(_relative(path))
        if status < 400 and isinstance(real, (dict, list)):
            again = (
                re.search(r"/\$\{([A-Za-z]+)\}$", str(real.get("name", "")))
                if isinstance(real, dict)
                else None
            )
            if exchange.method == "POST" and again and again.group(1) in self.assigned:
                self.bound.pop(again.group(1), None)  # a second resource of the same placeholder
            self.bind(real, answer)
            self._remember_assigned(exchange, real)
        filled = self._one_of_generations(real, self._as_other_project(path, real), answer)
        result.score = compare(exchange.status, real, filled, status, answer, where, exchange.host)
        return result

    def _one_of_generations(self, recorded: Any, filled: Any, emu: Any) -> Any:
        """Where one placeholder stands for several resources of the log, a value naming it
        names whichever of them the emulator's answer names there: the recording cannot tell
        which (kcc-golden compute/v1beta1/computerouternat/computerouternat/_http.log #42: the
        NAT's `natIps` and `sourceNatActiveIps` are all `${addressID}`, of three addresses)."""
        if not self.aliases:
            return filled
        if isinstance(recorded, dict) and isinstance(filled, dict):
            other = emu if isinstance(emu, dict) else {}
            return {k: self._one_of_generations(v, filled.get(k), other.get(k)) for k, v in recorded.items()}
        if isinstance(recorded, list) and isinstance(filled, list):
            others = emu if isinstance(emu, list) else []
            return [
                self._one_of_generations(v, f, others[i] if i < len(others) else None)
                for i, (v, f) in enumerate(zip(recorded, filled, strict=False))
            ]
        if not isinstance(recorded, str) or not isinstance(emu, str):
            return filled
        for name in _PLACEHOLDER.findall(recorded):
            for value in sorted(self.aliases.get(name, ())):
                candidate = _PLACEHOLDER.sub(
                    lambda m, n=name, v=value: (
                        v if m.group(1) == n else self.bound.get(m.group(1), m.group(0))
                    ),
                    recorded,
                )
                if _relative(candidate) == _relative(emu):
                    return candidate
        return filled

    def _as_other_project(self, path: str, real: Any) -> Any:
        """The real answer filled in; about another project of the log, `${projectNumber}` is
        that project's number: the recorder writes every project number so (kcc-golden
        serviceusage/v1beta1/service/service/_http.log #10 names the services of the project
        `project-${uniqueId}` the log creates as `projects/${projectNumber}/services/...`)."""
        other = re.match(r"^/[^?]*?/projects/([a-z][-a-z0-9]{4,28}[a-z0-9])(?=/|$)", path)
        if other and "/operations/" not in path:
            self.project_of_operations = other.group(1)
        elif other is None and "/operations/" in path:
            # `v1/operations/...` polls what the last request about a project started
            other = re.match(r"(.*)", self.project_of_operations)
        found = self.emu.ctx.projects.lookup(other.group(1)) if other else None
        if found is None or found[0] == PROJECT:
            return self.fill_known(real)
        mine = self.bound["projectNumber"]
        self.bound["projectNumber"] = found[1]
        try:
            return self.fill_known(real)
        finally:
            self.bound["projectNumber"] = mine

    def seed_if_missing(self, path: str, real: Any) -> None:
        """A resource the log reads but never made (a dependency made outside the test) is
        created first from its real answer, through the emulator's own create method."""
        rel = _relative(path)
        if rel in self.seen or rel in self.created or not isinstance(real, dict) or "name" not in real:
            return
        if any(rel == f or rel.startswith(f + "/") for f in self.failed):
            return
        status, _, _ = self.send("GET", path, "", b"")
        self.seen.add(rel)
        if status != 404:
            return
        collection, last = path.rsplit("/", 1)
        dispatcher = self.emu.dispatcher
        routes = [
            r for r in dispatcher.routes.candidates("POST", collection) if r.method.id in dispatcher.handlers
        ]
        if not routes:
            return
        method = routes[0].method
        resource = self.fill_known(real)
        if _PLACEHOLDER.search(json.dumps(resource)):
            resource = json.loads(self.fill(json.dumps(resource)))
        schema = method.api.schemas.get(method.request_ref or "", {})
        props = schema.get("properties", {})
        query = ""
        for param in method.query_parameters:
            if param.endswith("Id") and param != "requestId":
                query = f"{param}={last}"
        if "accountId" in props:
            account = _writable(method.api.schemas, props["serviceAccount"].get("$ref", ""), resource)
            body: Any = {"accountId": last.split("@")[0], "serviceAccount": account}
        else:
            body = _writable(method.api.schemas, method.request_ref or "", resource)
        status, _, _ = self.send("POST", collection, query, json.dumps(body).encode())
        self.finish_operations()
        if status < 400:
            self.seeded.append(rel)

    def _cascade(self, path: str, raw: bytes) -> bool:
        rel = _relative(path)
        text = raw.decode(errors="replace")
        for failed in self.failed:
            if rel == failed or rel.startswith(failed + "/") or failed in text:
                return True
        return "/operations/" in path and any(o in path for o in self.failed)


def _retag(node: Any, live_here: Any, live_root: dict[str, Any]) -> Any:
    """Walk the request; a normalised tag takes the live value at the same path, else the
    live value of the same key anywhere in the resource."""
    if isinstance(node, dict):
        for key, value in node.items():
            here = live_here.get(key) if isinstance(live_here, dict) else None
            if (value == _NORMALISED_TAG and (key.endswith(_TAG_KEYS) or key == "etag")) or (
                key == "settingsVersion" and str(value) == "123"
            ):
                found = here if here is not None else _find_key(live_root, key)
                if found is not None:
                    node[key] = found
            else:
                node[key] = _retag(value, here, live_root)
    elif isinstance(node, list):
        return [
            _retag(v, live_here[i] if isinstance(live_here, list) and i < len(live_here) else None, live_root)
            for i, v in enumerate(node)
        ]
    return node


def _find_key(node: Any, key: str) -> Any:
    if isinstance(node, dict):
        if key in node and not isinstance(node[key], (dict, list)):
            return node[key]
        for value in node.values():
            found = _find_key(value, key)
            if found is not None:
                return found
    elif isinstance(node, list):
        for value in node:
            found = _find_key(value, key)
            if found is not None:
                return found
    return None


def _output_only(spec: dict[str, Any]) -> bool:
    text = str(spec.get("description", ""))
    return bool(spec.get("readOnly")) or text.startswith(("[Output Only]", "Output only", "[Output only]"))


def _writable(schemas: dict[str, Any], ref: str, value: Any) -> Any:
    """`value` without the fields its schema marks output-only (or does not know)."""
    schema = schemas.get(ref)
    if schema is None or not isinstance(value, dict):
        return value
    out = {}
    for key, child in value.items():
        spec = schema.get("properties", {}).get(key)
        if spec is None or _output_only(spec):
            continue
        inner = spec.get("$ref") or spec.get("items", {}).get("$ref")
        if inner and isinstance(child, list):
            out[key] = [_writable(schemas, inner, c) for c in child]
        elif inner:
            out[key] = _writable(schemas, inner, child)
        else:
            out[key] = child
    return out


def _without_normalised_addresses(body: Any) -> Any:
    """The recorder writes every IP address as 8.8.8.8; a request naming one lets the emulator
    choose instead, as the real request chose one the recorder hid."""
    if isinstance(body, dict):
        return {k: _without_normalised_addresses(v) for k, v in body.items() if v != "8.8.8.8"}
    if isinstance(body, list):
        return [_without_normalised_addresses(v) for v in body]
    return body
