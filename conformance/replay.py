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

from conformance import recorder
from conformance.corpus import Exchange, Log
from conformance.score import Score, compare
from emulator import Emulator, EmulatorConfig

PROJECT = "kcc-conformance"
#: Seconds every emulated operation takes; the replay moves the clock instead of waiting.
OPERATION_DELAY_S = 30.0
_PLACEHOLDER = re.compile(r"\$\{([A-Za-z]+)\}")
#: A reference to a resource named by a placeholder: its collection and the placeholder.
_REFERENCE = re.compile(r"/([A-Za-z]+)/\$\{([A-Za-z]+)\}(?=/|$)")
#: Placeholders the emulator may give a new value in every answer.
_REBOUND = {"operationID"}
_NORMALISED_TAG = "abcdef0123A="
NORMALISED_TIME = "2024-04-01T12:34:56.123456Z"
#: Config Connector's normaliser writes every `host` field as 10.1.2.3, in requests too
#: (k8s-config-connector tests/e2e/normalize_legacy.go at cdb85ecf17, `addReplacement("host",
#: "10.1.2.3")`, written for Redis).
NORMALISED_HOST = "10.1.2.3"
#: How far ahead of the emulator's clock a normalised time in a request is taken to be.
NORMALISED_TIME_AHEAD_S = 30 * 86_400.0
#: Resources the server names itself, with a random part: GKE names a node pool's managed
#: instance groups `gke-<cluster>-<pool>-<8 hex>-grp` (kcc-golden container/v1beta1/
#: containercluster/containercluster-intransitencryption/_http.log #3 `instanceGroupUrls`, then
#: #4 `GET .../instanceGroupManagers/gke-containercluster-da4-default-pool-76327978-grp`). The
#: log names the group GKE made for that pool, as `${operationID}` names the operation it started.
#: A node pool update that changes its nodes makes a new instance template, named anew
#: (containercluster-swap/_http.log: `instanceTemplates/...-a09d3c5a` before the node pool PUT #10,
#: `...-6c06e4da` after).
_SERVER_NAMED = re.compile(
    r"/(?:instanceGroupManagers/([a-z][-a-z0-9]*-grp)|instanceTemplates/([a-z][-a-z0-9]*))$"
)
_ZONE = re.compile(r"/zones/([a-z0-9-]+)/")


def _by_zone(real: list[Any], emu: list[Any]) -> tuple[list[Any], list[Any]]:
    """Two lists of zonal links, paired zone by zone where both have the zone, the rest in
    order. GKE lists a pool's instance groups in an order of its own (kcc-history
    containercluster-minimal@ec377bc8a3 #3 reads zones c, a, b where the emulator lists a, b, c),
    so pairing by position would bind a real group to the emulator's group of another zone.
    Lists that are not all zonal links stay in order."""
    zones_real = [m.group(1) if isinstance(r, str) and (m := _ZONE.search(r)) else None for r in real]
    zones_emu = [m.group(1) if isinstance(e, str) and (m := _ZONE.search(e)) else None for e in emu]
    if not real or None in zones_real or None in zones_emu:
        return real, emu
    left = list(range(len(emu)))
    pairs: list[tuple[Any, Any]] = []
    unpaired: list[Any] = []
    for item, zone in zip(real, zones_real, strict=True):
        match = next((i for i in left if zones_emu[i] == zone), None)
        if match is None:
            unpaired.append(item)
        else:
            left.remove(match)
            pairs.append((item, emu[match]))
    pairs.extend(zip(unpaired, [emu[i] for i in left], strict=False))
    return [p[0] for p in pairs], [p[1] for p in pairs]


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


def _projects_made(log: Log) -> set[str]:
    """Projects the log creates through Resource Manager, so that did not exist before it.

    kcc-golden compute/v1beta1/computeforwardingrule/regionalcomputeforwardingrulepsc-direct/
    _http.log #0 reads `v1/projects/example-project-01` and real GCP answers 403 ("The caller
    does not have permission"), and #2 is `POST v1/projects` with `"projectId":
    "example-project-01"`, answered with the creation's operation: the project was made by the
    test, not outside it, so the replay must not make it beforehand. The project id may hold a
    placeholder (`other${uniqueId}`, monitoringdashboardprojectref/_http.log #1): it is kept
    as written and compared once filled.
    """
    made: set[str] = set()
    for exchange in log.exchanges:
        if (
            exchange.method == "POST"
            and exchange.host == "cloudresourcemanager.googleapis.com"
            and re.fullmatch(r"/v[13]/projects", exchange.path)
            and isinstance(exchange.request, dict)
            and isinstance(exchange.request.get("projectId"), str)
        ):
            made.add(exchange.request["projectId"])
    return made


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
            # A verb after the collection (`setLabels`, `addPeering`, `removePeering`) is camel
            # case; `addresses` is a collection, whose POST creates an address.
            if not re.fullmatch(r"(set|add|remove)[A-Z]\w*|patch\w*|clone|restart|failover|\w+:\w+", tail):
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
        self.made_by_log = _projects_made(log)
        # Other projects a log names outright (a reference across projects) exist too, except
        # those the log makes itself.
        for exchange in log.exchanges:
            for other in re.findall(r"/projects/([a-z][-a-z0-9]{4,28}[a-z0-9])/", exchange.url):
                if other not in self.made_by_log:
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
        self.server_named: dict[str, str] = {}
        self.seeded: list[str] = []
        #: Paths the log deleted (real answer a success) and has not made again since.
        self.deleted: set[str] = set()
        #: Earlier values of a placeholder that stood for more than one resource.
        self.alternates: dict[str, list[str]] = {}
        self.after_delete: tuple[Exchange, str] | None = None
        self.project_of_operations = PROJECT
        #: The resources the log made under a placeholder, by collection, in creation order.
        self.made_as: dict[tuple[str, str], list[str]] = {}
        #: The resources a request listed under one placeholder, in the order it listed them.
        self.listed: dict[tuple[str, str], list[str]] = {}
        #: Placeholders the log uses in several collections, with those collections in the order
        #: the log first names them; the first takes the placeholder's own value.
        self.per_collection = _several_collections(log)
        #: The collection the exchange being replayed is about, for each of those placeholders.
        self.context: dict[str, str] = {}
        #: Answers to deletes sent ahead of their place in the log (see `_teardown_order`).
        self.answered_early: dict[int, tuple[int, Any, str | None]] = {}
        self.log_text = "\n".join(e.response_text for e in log.exchanges)
        #: The last write was one only mockgcp accepts (`recorder.MockAccepted`).
        self.last_write_mock = False
        #: Operation names an older recorder left as written in answers, with the emulator's
        #: name for the same operation (see `_operation_named_in_answer`).
        self.literal_operations: dict[str, str] = {}
        #: The host each Cloud SQL user is named at in the query of the log's requests.
        self.user_hosts = _user_hosts(log)

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

    def fill(self, text: str) -> str:
        def one(m: re.Match[str]) -> str:
            name = m.group(1)
            if name not in self.bound:
                self.bound[name] = self._made_up(name)
            return self.bound[name]

        return self._server_names(_PLACEHOLDER.sub(one, self._by_collection(text)))

    def _in_collection(self, name: str, collection: str | None) -> str | None:
        """The value of `${name}` in `collection`, where the log uses the placeholder in several:
        one resource per collection, the first collection keeping the placeholder's own value.

        kcc-golden compute/v1beta1/computeregionnetworkendpointgroup/
        privateserviceconnectioncomputeregionnetworkendpointgroup/_http.log #12 reads
        `global/networks/${subnetworkID}` (real 200), #13 reads `subnetworks/${subnetworkID}`
        in the network's region (real 404) and #14 creates that subnetwork with `"network":
        ".../networks/${subnetworkID}"`: had both one name, #13 would have found the subnetwork
        an auto mode network makes under its own name; they are two names the recorder wrote alike.
        """
        collections = self.per_collection.get(name)
        if not collections or collection not in collections[1:]:
            return None
        return f"{self._made_up(name)}-{collection.lower()}"

    def _by_collection(self, text: str) -> str:
        """`text` with the placeholders used in several collections filled per collection: in a
        reference by the collection it names, elsewhere by the one the exchange is about."""
        if not self.per_collection:
            return text

        def in_reference(m: re.Match[str]) -> str:
            collection, name = m.group(1), m.group(2)
            if name not in self.per_collection:
                return m.group(0)
            value = self._in_collection(name, collection)
            if value is None:  # the first collection: the placeholder's own value
                value = self.bound.setdefault(name, self._made_up(name))
            return f"/{collection}/{value}"

        def bare(m: re.Match[str]) -> str:
            value = self._in_collection(m.group(1), self.context.get(m.group(1)))
            return m.group(0) if value is None else value

        text = re.sub(r"/([A-Za-z]+)/\$\{([A-Za-z]+)\}(?![A-Za-z])", in_reference, text)
        return _PLACEHOLDER.sub(bare, text)

    def _server_names(self, text: str) -> str:
        for real, mine in self.server_named.items():
            text = re.sub(rf"(?<![-a-z0-9]){re.escape(real)}(?![-a-z0-9])", mine, text)
        return text

    def fill_known(self, value: Any) -> Any:
        """The real answer with the placeholders bound so far filled in, the others left."""
        if isinstance(value, dict):
            return {k: self.fill_known(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.fill_known(v) for v in value]
        if isinstance(value, str):
            filled = _PLACEHOLDER.sub(
                lambda m: self.bound.get(m.group(1), m.group(0)), self._by_collection(value)
            )
            return self._server_names(filled)
        return value

    def bind(self, real: Any, emu: Any) -> None:
        """Learn placeholder values from the emulator's answer, leaf by leaf."""
        if isinstance(real, dict) and isinstance(emu, dict):
            for key, value in real.items():
                if key in emu:
                    self.bind(value, emu[key])
        elif isinstance(real, list) and isinstance(emu, list):
            for r, e in zip(*_by_zone(real, emu), strict=False):
                self.bind(r, e)
        elif isinstance(real, str) and isinstance(emu, str):
            if "${" in real:
                self._bind_text(real, emu)
            self._bind_server_name(real, emu)

    def _bind_server_name(self, real: str, emu: str) -> None:
        """A name the server chose (`_SERVER_NAMED`) stands, in later requests and answers, for
        the one the emulator chose in the same place; with it the group's base instance name
        (the name less `-grp`, containercluster-intransitencryption #4)."""
        found, mine = _SERVER_NAMED.search(self.fill_known(real)), _SERVER_NAMED.search(emu)
        if not found or not mine or found.lastindex != mine.lastindex:
            return
        theirs, ours = found.group(found.lastindex), mine.group(mine.lastindex)
        # One name of the emulator's stands for one real name: a second real name (a new
        # template) needs a second name of the emulator's.
        taken = theirs in self.server_named or ours in self.server_named.values()
        if theirs == ours or "$" in theirs or taken:
            return
        self.server_named[theirs] = ours
        if theirs.endswith("-grp"):
            self.server_named[theirs.removesuffix("-grp")] = ours.removesuffix("-grp")

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
        if segments and segments[-1] in self.per_collection:
            return  # one value per collection (`_in_collection`), not rebound by one answer
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
        if not found:
            return
        # A value made up for an earlier read that found nothing (runjob-with-port/_http.log #0,
        # a 404) gives way to the name the create spells out.
        made_up = self._made_up(found.group(1))
        if self.bound.get(found.group(1), made_up) != made_up:
            return
        for holder in (real, real.get("metadata"), real.get("response")):
            name = holder.get("name") if isinstance(holder, dict) else None
            if isinstance(name, str) and "/operations/" not in name:
                last = name.rsplit("/", 1)[-1]
                if last != f"${{{found.group(1)}}}" and last:
                    self.bound[found.group(1)] = self.fill(last)
                return

    def step(self, exchange: Exchange) -> Result:
        if self.after_delete and "/operations/" not in exchange.path:
            self._next_of_same_placeholder(*self.after_delete)
            self.after_delete = None
        self.context = self._collections_here(exchange)
        self._name_in_url(exchange)
        self._id_in_query(exchange)
        self._operation_named_in_answer(exchange)
        url = urlsplit(self.fill(exchange.url))
        path, query = url.path, url.query
        if exchange.status < 400 or exchange.status == 404:
            # A project the log names (made outside the test) exists.
            for other in re.findall(r"/projects/([a-z][-a-z0-9]{4,28}[a-z0-9])(?=/|$)", path):
                made = {self.fill(p) for p in self.made_by_log}
                if other not in self.emu.store.projects() and other not in made:
                    self.emu.register_project(other)
        if (
            path.startswith("/")
            and exchange.host == "storage.googleapis.com"
            and not path.startswith(("/storage/", "/upload/", "/download/"))
        ):
            path = "/storage/v1" + path
        request = exchange.request
        body_obj = None
        if isinstance(request, (dict, list)):
            request = _known_keys(*self._schemas_of(exchange.method, path, "request"), request)
            request = self._one_per_occurrence(request)
            request = self._user_host(exchange, path, request)
            body_obj = json.loads(self.fill(json.dumps(request)))
        real = self._listed_again(
            _known_keys(*self._schemas_of(exchange.method, path, "response"), exchange.response)
        )
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
        if exchange.method == "POST" and exchange.status == 200 and path.endswith(":getIamPolicy"):
            self.seed_policy_members(real)
        if body_obj is not None:
            body_obj = _without_normalised_addresses(body_obj)
            body_obj = _normalised_times_ahead(body_obj, self.emu.clock.rfc3339(NORMALISED_TIME_AHEAD_S))
            body_obj = self.current_tags(body_obj, path, query)
        text = json.dumps(body_obj) if body_obj is not None else self.fill(exchange.request_text)
        raw = text.encode()
        if exchange.index in self.answered_early:
            status, answer, method_id = self.answered_early.pop(exchange.index)
        else:
            status, answer, method_id = self.send(exchange.method, path, query, raw)
        if exchange.method == "DELETE" and exchange.status < 400 and self._teardown_order(exchange, answer):
            status, answer, method_id = self.send(exchange.method, path, query, raw)
        if self._one_placeholder_for_two(exchange, path, status, answer):
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
        mock_operation = stale_operation and self.last_write_mock
        if exchange.method != "GET":
            self.last_write_failed = exchange.status < 400 and (status >= 400 or method_id is None)
            self.last_write_mock = (
                exchange.status < 400
                and status >= 400
                and recorder.mock_accepted(self.log_text, exchange.method, exchange.url)
            )
        if (self.last_write_mock and exchange.method != "GET") or mock_operation:
            # mockgcp's success, not Google's: the emulator refused as Google does.
            result.category = "mock-accepted"
            result.score = Score(mock_accepted=1, diffs=[{"at": where, "status": [exchange.status, status]}])
            return result
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
                self.deleted.discard(_relative(created))
                self._remember_made(request, created)
        if exchange.method == "DELETE" and exchange.status < 400:
            self.deleted.add(_relative(path))
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
            self._remember_operation(exchange, answer)
        result.score = compare(
            exchange.status, real, self._as_other_project(path, real), status, answer, where, exchange.host
        )
        if exchange.method == "DELETE" and exchange.status < 400 and status < 400:
            # Once the delete's operation has been polled (its targetLink names the deleted one).
            self.after_delete = (exchange, path)
        return result

    def _remember_operation(self, exchange: Exchange, answer: Any) -> None:
        real = exchange.response.get("name") if isinstance(exchange.response, dict) else None
        mine = answer.get("name") if isinstance(answer, dict) else None
        if isinstance(real, str) and real.startswith("operations/") and "${operationID}" not in real and mine:
            self.literal_operations.setdefault(real, str(mine))

    def _operation_named_in_answer(self, exchange: Exchange) -> None:
        """A poll of `operations/${operationID}` whose real answer names the operation as an
        earlier answer wrote it out is a poll of that operation: the recorder of 2024 wrote the
        poll's URL with the placeholder and both answers without it
        (kcc-history sql/v1beta1/sqlinstance/postgresinstance@a0c29df460/_http.log #13 answers
        `operations/pssn.p24-${projectNumber}-8d70d79c-...`, #14 polls
        `v1/operations/${operationID}` and is answered with that name)."""
        real = exchange.response.get("name") if isinstance(exchange.response, dict) else None
        if "/operations/${operationID}" not in exchange.url or real not in self.literal_operations:
            return
        self.bound["operationID"] = self.literal_operations[str(real)].split("operations/", 1)[-1]

    def _user_host(self, exchange: Exchange, path: str, request: Any) -> Any:
        """A Cloud SQL user made at the normalised host is made at the host the log's later
        requests name it at: kcc-golden sql/v1beta1/sqluser/sqluser/_http.log #8 inserts
        `{"host": "10.1.2.3", "name": "sqluser-${uniqueId}"}` and #15 deletes
        `users?host=foo&name=sqluser-${uniqueId}`, real GCP answering 200; the test asked for
        host `foo` (its create.yaml, k8s-config-connector pkg/test/resourcefixture/testdata/basic/
        sql/v1beta1/sqluser/sqluser at cdb85ecf17)."""
        if exchange.method != "POST" or not path.endswith("/users") or not isinstance(request, dict):
            return request
        host = self.user_hosts.get(str(request.get("name")))
        if request.get("host") != NORMALISED_HOST or host is None:
            return request
        return {**request, "host": host}

    def _teardown_order(self, exchange: Exchange, answer: Any) -> bool:
        """Put a teardown's deletes in the order Google ran them, when the log holds them in
        another: Config Connector deletes the resources of a test at once, and its log writes
        each exchange as it is answered. Real GCP refuses to delete what another resource still
        uses (400 resourceInUseByAnotherResource: https://cloud.google.com/compute/docs/
        reference/rest/v1/backendServices/delete), so when the log shows such a delete accepted
        while the user's own delete comes later (kcc-golden compute/v1beta1/
        computetargethttpsproxy/regionaltargethttpsproxycertificatemanagercertificates/_http.log:
        #27 reads the URL map naming the backend service, #28 deletes that backend service and
        #29 its health check, #31 deletes the URL map), the user's delete had been sent first.
        It is sent now, its answer kept for its own place in the log, and its operation
        finished; True when the refused delete should be sent again."""
        error = answer.get("error") if isinstance(answer, dict) else None
        reasons = [e.get("reason") for e in (error or {}).get("errors", []) if isinstance(e, dict)]
        if "resourceInUseByAnotherResource" not in reasons:
            return False
        user = re.search(r"is already being used by '([^']+)'", str(error.get("message", "")))
        if user is None:
            return False
        self.finish_operations()
        for later in self.log.exchanges[exchange.index + 1 :]:
            if later.method != "DELETE" or later.status >= 400 or later.index in self.answered_early:
                continue
            later_path = urlsplit(self.fill(later.url)).path
            if _relative(later_path) == _relative(user.group(1)):
                self.answered_early[later.index] = self.send("DELETE", later_path, "", b"")
                self.finish_operations()
                return True
        return True

    def _collections_here(self, exchange: Exchange) -> dict[str, str]:
        """For each placeholder used in several collections, the one this exchange is about: the
        collection its path names it in, or the collection a create posts to."""
        here: dict[str, str] = {}
        last = exchange.path.rsplit("/", 1)[-1]
        for name, collections in self.per_collection.items():
            named = [m.group(1) for m in _REFERENCE.finditer(exchange.path) if m.group(2) == name]
            if named:
                here[name] = named[-1]
            elif exchange.method == "POST" and last in collections:
                here[name] = last
        return here

    def _schemas_of(self, method: str, path: str, part: str) -> tuple[dict[str, Any], str | None]:
        """The discovery schemas of the method the emulator routes `method path` to, and the
        reference of its request or response body (`part`)."""
        dispatcher = self.emu.dispatcher
        candidates = dispatcher.routes.candidates(method, path)
        if not candidates:
            return {}, None
        route = next((r for r in candidates if r.method.id in dispatcher.handlers), candidates[0])
        ref = route.method.request_ref if part == "request" else route.method.response_ref
        return route.method.api.schemas, ref

    def _remember_made(self, request: Any, created: str) -> None:
        """A create real GCP and the emulator accepted, of a resource named by a placeholder:
        kept per collection and placeholder, in creation order."""
        name = (
            re.fullmatch(r"\$\{([A-Za-z]+)\}", str(request.get("name")))
            if isinstance(request, dict)
            else None
        )
        parts = created.rsplit("/", 2)
        if name is None or len(parts) < 3:
            return
        made = self.made_as.setdefault((parts[1], name.group(1)), [])
        if parts[2] not in made:
            made.append(parts[2])

    def _one_per_occurrence(self, body: Any) -> Any:
        """A request that lists one placeholder several times names as many resources: the n-th
        occurrence is the n-th resource of that collection the log made under the placeholder,
        in creation order, counted through the whole request in the order it is written.

        kcc-golden compute/v1beta1/computerouternat/computerouternat/_http.log makes three
        addresses, all `${addressID}`, each after a read real GCP answered 404 (#8/#9, #18/#19,
        #24/#25, with no delete between), then #31 PATCHes the router with `natIps` naming
        `${addressID}` once and a rule's `sourceNatActiveIps` naming it twice; #33 reads the
        router back with the same three references. One name for all three is a request real
        GCP never got.
        """
        counts: dict[tuple[str, str], int] = {}
        for text in _listed_strings(body):
            for m in _REFERENCE.finditer(text):
                key = (m.group(1), m.group(2))
                counts[key] = counts.get(key, 0) + 1
        chosen = {
            key: list(self.made_as[key][:n])
            for key, n in counts.items()
            if n > 1 and len(self.made_as.get(key, [])) >= n
        }
        if not chosen:
            return body
        self.listed.update({key: list(values) for key, values in chosen.items()})
        return _in_order(body, chosen)

    def _listed_again(self, real: Any) -> Any:
        """A real answer that lists a placeholder as many times as a request listed it names the
        same resources in the same order (`_one_per_occurrence`; computerouternat/_http.log #33
        and #42 read back the router #31 patched)."""
        if not self.listed or not isinstance(real, (dict, list)):
            return real
        counts: dict[tuple[str, str], int] = {}
        for text in _listed_strings(real):
            for m in _REFERENCE.finditer(text):
                key = (m.group(1), m.group(2))
                counts[key] = counts.get(key, 0) + 1
        chosen = {key: list(values) for key, values in self.listed.items() if counts.get(key) == len(values)}
        return _in_order(real, chosen) if chosen else real

    def _one_placeholder_for_two(self, exchange: Exchange, path: str, status: int, answer: Any) -> bool:
        """The recorder writes one placeholder for every resource of a type; when the real read
        shows it is about another resource than the one bound, bind that one and say so.

        - Real 404 where the emulator has the resource bound, and it is either a dependency
          made outside the log (seeded) or one the log made and never deleted while the log
          goes on to create one of that placeholder again, which real GCP accepted: a name in
          use would have been refused with 409, so the real name was another one. Evidence:
          kcc-golden compute/v1beta1/computeforwardingrule/regionalcomputeforwardingruletcp/
          _http.log #6 `POST .../subnetworks` (`"ipCidrRange": "10.1.2.0/24"`), #8 GET 200,
          #9 GET 404 and #10 `POST .../subnetworks` (`"ipCidrRange": "10.129.0.0/23"`,
          `"purpose": "REGIONAL_MANAGED_PROXY"`), both named `${subnetworkID}`, no DELETE
          between; sql/v1beta1/sqlinstance/sqlinstance-privatenetwork-direct/_http.log #1 and
          #22 create two networks `${networkID}` the same way.
        - Real 200 where the emulator's bound one is gone (the log deleted it) while another
          of the same placeholder exists: the real answer is about that one; of several, the
          one whose answer agrees with the real one in most values.
        """
        segments = re.findall(r"/\$\{([A-Za-z]+)\}(?=/|$)", exchange.path)
        if not segments or segments[-1] in ("projectId", "uniqueId", "operationID"):
            return False
        name = segments[-1]
        rel = _relative(path)
        seeded = exchange.status == 404 and status == 200 and rel in self.seeded
        if not seeded and (exchange.method != "GET" or len(self._collections_of(name)) > 1):
            # One placeholder for resources of several collections (privateserviceconnection-
            # computeregionnetworkendpointgroup/_http.log names a network and a subnetwork
            # `${subnetworkID}`): binding it anew would move both; left as it is.
            return False
        made_here = rel in self.created and rel not in self.deleted
        if seeded or (exchange.status == 404 and status == 200 and made_here and self._made_again(exchange)):
            others = self.alternates.setdefault(name, [])
            others.append(self.bound[name])
            self.bound[name] = f"{self._made_up(name)}-{len(others) + 1}"
            return True
        if exchange.status == 200 and status == 404 and self.alternates.get(name):
            real = exchange.response
            best, best_agree = None, -1
            for value in self.alternates[name]:
                candidate = path[: len(path) - len(self.bound[name])] + value
                if not path.endswith(self.bound[name]):
                    break
                found, there, _ = self.send("GET", candidate, "", b"")
                agree = _agreeing_leaves(self.fill_known(real), there) if found == 200 else -1
                if found == 200 and agree > best_agree:
                    best, best_agree = value, agree
            if best is not None:
                self.alternates[name].remove(best)
                self.alternates[name].append(self.bound[name])
                self.bound[name] = best
                return True
        return False

    def _collections_of(self, name: str) -> set[str]:
        """The collections whose resources the log names by `${name}`."""
        mark = re.compile(r"/([A-Za-z]+)/\$\{" + name + r"\}(?=/|$)")
        return {m.group(1) for ex in self.log.exchanges for m in mark.finditer(ex.path)}

    def _next_of_same_placeholder(self, exchange: Exchange, path: str) -> None:
        """The log deleted the resource its placeholder was bound to, and goes on using the
        placeholder with real successes without making one again: from here on the placeholder
        is another resource it stood for that still exists. Evidence: kcc-golden sql/v1beta1/
        sqlinstance/sqlinstance-privatenetwork-direct/_http.log #65 deletes `${networkID}`
        (real 200), then #68 lists the connections of `network=.../${networkID}` (real: one
        connection) and #70 removes a peering of `${networkID}` (real 200): the log made two
        networks under that placeholder (#1 and #22) and tears down both."""
        segments = re.findall(r"/\$\{([A-Za-z]+)\}(?=/|$)", exchange.path)
        if not segments or not self.alternates.get(segments[-1]):
            return
        name = segments[-1]
        if len(self._collections_of(name)) > 1:
            return
        if not self._used_after(exchange, name) or not path.endswith(self.bound[name]):
            return
        stem = path[: len(path) - len(self.bound[name])]
        for value in reversed(self.alternates[name]):
            if self.send("GET", stem + value, "", b"")[0] == 200:
                self.alternates[name].remove(value)
                self.bound[name] = value
                return

    def _used_after(self, exchange: Exchange, name: str) -> bool:
        """A later exchange names `${name}` and real GCP answered it with a success, before any
        create of that placeholder."""
        mark = f"${{{name}}}"
        for later in self.log.exchanges[exchange.index + 1 :]:
            request = later.request
            if later.method == "POST" and isinstance(request, dict) and request.get("name") == mark:
                return False
            if mark in later.url and later.status < 400 and "/operations/" not in later.path:
                return True
        return False

    def _made_again(self, exchange: Exchange) -> bool:
        """The log's next write after this read creates a resource named by the same placeholder
        in the same collection, and real GCP accepted it."""
        collection, last = exchange.path.rsplit("/", 1)
        for later in self.log.exchanges[exchange.index + 1 :]:
            if later.method == "GET":
                continue
            request = later.request
            return (
                later.method == "POST"
                and later.path == collection
                and later.status < 400
                and isinstance(request, dict)
                and request.get("name") == last
            )
        return False

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

    def seed_policy_members(self, policy: Any) -> None:
        """The service accounts of a project a real policy grants roles to existed in the project
        the log was recorded in, made outside the test: they are made first, so that the log's
        later setIamPolicy, which sends them back, names accounts that exist.
        kcc-history sql/v1beta1/sqlinstance/sqlinstanceencryptionkey@a0c29df460/_http.log #1
        reads `serviceAccount:cnrm-system@${projectId}.iam.gserviceaccount.com` in the project's
        policy, #4 sets the policy with it (200)."""
        bindings = policy.get("bindings") if isinstance(policy, dict) else None
        for binding in bindings if isinstance(bindings, list) else []:
            for member in binding.get("members") or [] if isinstance(binding, dict) else []:
                found = re.fullmatch(
                    r"serviceAccount:([a-z][-a-z0-9]{4,28}[a-z0-9])@([-a-z0-9]+)"
                    r"\.iam\.gserviceaccount\.com",
                    self.fill_known(str(member)),
                )
                if not found or found.group(2) not in self.emu.store.projects():
                    continue
                account, project = found.groups()
                path = f"/v1/projects/{project}/serviceAccounts/{account}@{project}.iam.gserviceaccount.com"
                if _relative(path) in self.seen or self.send("GET", path, "", b"")[0] != 404:
                    self.seen.add(_relative(path))
                    continue
                body = json.dumps({"accountId": account}).encode()
                if self.send("POST", f"/v1/projects/{project}/serviceAccounts", "", body)[0] < 400:
                    self.seeded.append(_relative(path))
                self.seen.add(_relative(path))

    def _cascade(self, path: str, raw: bytes) -> bool:
        rel = _relative(path)
        text = raw.decode(errors="replace")
        for failed in self.failed:
            if rel == failed or rel.startswith(failed + "/") or failed in text:
                return True
        return "/operations/" in path and any(o in path for o in self.failed)


def _user_hosts(log: Log) -> dict[str, str]:
    """The host each Cloud SQL user name is given in the query of the log's requests
    (`.../users?host=...&name=...`), as written, placeholders and all."""
    out: dict[str, str] = {}
    for exchange in log.exchanges:
        url = urlsplit(exchange.url)
        query = parse_qs(url.query)
        if url.path.endswith("/users") and "host" in query and "name" in query:
            out.setdefault(query["name"][0], query["host"][0])
    return out


def _several_collections(log: Log) -> dict[str, list[str]]:
    """Placeholders that stand for one resource per collection: used in the log's paths in more
    than one collection, and made by the log, with real GCP's consent, in a collection after the
    first it names them in. Those collections, in the order the log first names them, the first
    one leading (`Replay._in_collection`).

    Made in a later collection only: regionalcomputeaddress-direct/_http.log reads the
    project's default network and its subnetwork in us-central1 as `networks/${subnetworkID}`
    (#0) and `subnetworks/${subnetworkID}` (#1), both real 200 and made by neither: an auto mode
    network names its subnetworks after itself, so there they are one name.
    """
    found: dict[str, list[str]] = {}
    made: dict[str, set[str]] = {}
    for exchange in log.exchanges:
        for m in _REFERENCE.finditer(exchange.path):
            collections = found.setdefault(m.group(2), [])
            if m.group(1) not in collections:
                collections.append(m.group(1))
        request = exchange.request
        named = (
            re.fullmatch(r"\$\{([A-Za-z]+)\}", str(request.get("name")))
            if isinstance(request, dict)
            else None
        )
        if exchange.method == "POST" and exchange.status < 400 and named:
            made.setdefault(named.group(1), set()).add(exchange.path.rsplit("/", 1)[-1])
    return {
        name: cols
        for name, cols in found.items()
        if len(cols) > 1 and name != "projectId" and made.get(name, set()) & set(cols[1:])
    }


def _listed_strings(node: Any, in_list: bool = False) -> list[str]:
    """The strings that are items of a list, anywhere in `node`, in the order written."""
    if isinstance(node, dict):
        return [s for v in node.values() for s in _listed_strings(v)]
    if isinstance(node, list):
        return [s for v in node for s in _listed_strings(v, True)]
    return [node] if in_list and isinstance(node, str) else []


def _in_order(node: Any, chosen: dict[tuple[str, str], list[str]], in_list: bool = False) -> Any:
    """`node` with each listed reference to a chosen placeholder taking the next chosen value."""
    if isinstance(node, dict):
        return {k: _in_order(v, chosen) for k, v in node.items()}
    if isinstance(node, list):
        return [_in_order(v, chosen, True) for v in node]
    if not (in_list and isinstance(node, str)):
        return node

    def one(m: re.Match[str]) -> str:
        values = chosen.get((m.group(1), m.group(2)))
        return f"/{m.group(1)}/{values.pop(0)}" if values else m.group(0)

    return _REFERENCE.sub(one, node)


def _known_keys(schemas: dict[str, Any], ref: str | None, value: Any) -> Any:
    """`value` with each key that holds a placeholder and is unknown to its schema renamed to the
    one property of the schema it can stand for, the placeholder read as a word.

    Config Connector's normaliser writes a resource's name as its placeholder wherever the name
    occurs, keys too: kcc-golden compute/v1beta1/computeforwardingrule/
    globalcomputeforwardingrulefull-direct/_http.log #0 reads the network `${networkID}` (the
    project's `default`), and #10 inserts a URL map with the key `"${networkID}Service"`, which
    real GCP accepted and #11 answers with: the UrlMap schema knows `defaultService` only.
    """
    schema = schemas.get(ref or "")
    if isinstance(value, list):
        return [_known_keys(schemas, ref, v) for v in value]
    if schema is None or not isinstance(value, dict):
        return value
    props = schema.get("properties", {})
    out: dict[str, Any] = {}
    for key, child in value.items():
        if "${" in key and key not in props:
            words = _PLACEHOLDER.split(key)[::2]
            pattern = "[a-z][A-Za-z0-9]*".join(re.escape(w) for w in words)
            known = [p for p in props if re.fullmatch(pattern, p)]
            if len(known) == 1 and known[0] not in value:
                key = known[0]
        spec = props.get(key, {})
        inner = spec.get("$ref") or spec.get("items", {}).get("$ref")
        out[key] = _known_keys(schemas, inner, child) if inner else child
    return out


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


def _agreeing_leaves(real: Any, other: Any) -> int:
    """How many leaves of `real` `other` has with the same value."""
    if isinstance(real, dict) and isinstance(other, dict):
        return sum(_agreeing_leaves(v, other[k]) for k, v in real.items() if k in other)
    if isinstance(real, list) and isinstance(other, list):
        return sum(_agreeing_leaves(r, o) for r, o in zip(real, other, strict=False))
    return int(real == other)


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


def _normalised_times_ahead(body: Any, ahead: str) -> Any:
    """The recorder writes every timestamp as 2024-04-01T12:34:56.123456Z, in requests too
    (kcc-golden secretmanager/v1beta1/secretmanagersecret/fullsecretmanagersecret-auto-direct/
    _http.log #23 sends `"expireTime": "2024-04-01T12:34:56.123456Z"` and real GCP creates the
    secret, which expires at that time: it was a time ahead when sent). A `...Time` field of a
    request holding it takes a time ahead of the emulator's clock instead."""
    if isinstance(body, dict):
        return {
            k: ahead if k.endswith("Time") and v == NORMALISED_TIME else _normalised_times_ahead(v, ahead)
            for k, v in body.items()
        }
    if isinstance(body, list):
        return [_normalised_times_ahead(v, ahead) for v in body]
    return body


def _without_normalised_addresses(body: Any) -> Any:
    """The recorder writes every IP address as 8.8.8.8; a request naming one lets the emulator
    choose instead, as the real request chose one the recorder hid."""
    if isinstance(body, dict):
        return {k: _without_normalised_addresses(v) for k, v in body.items() if v != "8.8.8.8"}
    if isinstance(body, list):
        return [_without_normalised_addresses(v) for v in body]
    return body
