"""The emulator held to what real Google Cloud answered, kind by kind."""

from __future__ import annotations

from typing import Any

from conformance import corpus, report
from conformance.corpus import parse
from conformance.replay import PROJECT, Replay, _known_keys
from conformance.score import compare


def test_every_kind_stays_at_or_above_its_floor(corpus_run: report.Run) -> None:
    floors = report.load_floors()
    assert floors, "conformance/floors.json is missing"
    assert report.below_floors(corpus_run, floors) == []


def test_every_kind_of_the_corpus_has_a_floor(corpus_run: report.Run) -> None:
    assert set(corpus_run.by_kind) == set(report.load_floors())


def test_the_vendored_corpus_is_whole_and_credited() -> None:
    logs = corpus.logs()
    assert len(logs) == 147
    assert sum(len(log.exchanges) for log in logs) > 3000
    assert (corpus.CORPUS / "LICENSE").read_text().lstrip().startswith("Apache License")
    assert "cdb85ecf17" in (corpus.CORPUS / "NOTICE").read_text()


def test_the_earlier_real_recordings_are_credited_commit_by_commit() -> None:
    logs = corpus.logs(corpus.HISTORY)
    assert len(logs) == 30 and all(log.kind.startswith(corpus.HISTORY_PREFIX) for log in logs)
    assert (corpus.HISTORY / "LICENSE").read_text().lstrip().startswith("Apache License")
    notice = (corpus.HISTORY / "NOTICE").read_text()
    for log in logs:
        commit = log.case.rsplit("@", 1)[1]
        assert commit in notice, f"{log.name}: its commit is not named in kcc-history/NOTICE"


def test_a_lost_field_a_wrong_value_and_an_extra_field_each_count() -> None:
    real = {
        "name": "a",
        "priority": 1000,
        "selfLink": "https://www.googleapis.com/compute/v1/projects/p/x/a",
        "id": "000000000000000000000",
    }
    emu = {
        "name": "a",
        "priority": 65534,
        "selfLink": "https://compute.googleapis.com/compute/v1/projects/p/x/a",
        "id": "12",
        "mtu": 1460,
    }
    score = compare(200, real, real, 200, emu, "here")
    assert (score.fields, score.recalled) == (4, 4)
    # `id` is normalised in the recording: present, not compared; the link is compared by path.
    assert (score.values, score.agreed) == (3, 2)
    assert score.extra == 1
    assert compare(200, real, real, 404, None, "here").status_ok == 0


LOG = """GET https://compute.googleapis.com/compute/v1/projects/${projectId}/global/networks/${networkID}?alt=json

404 Not Found

{"error": {"code": 404, "message": "not found"}}

---

POST https://compute.googleapis.com/compute/v1/projects/${projectId}/global/networks?alt=json

{"name": "${networkID}", "autoCreateSubnetworks": false}

200 OK

{"kind": "compute#operation", "name": "${operationID}", "status": "RUNNING", "operationType": "insert"}

---

GET https://compute.googleapis.com/compute/v1/projects/${projectId}/global/operations/${operationID}?alt=json

200 OK

{"kind": "compute#operation", "name": "${operationID}", "status": "DONE", "operationType": "insert"}

---

GET https://compute.googleapis.com/compute/v1/projects/${projectId}/global/networks/${networkID}?alt=json

200 OK

{"name": "${networkID}", "autoCreateSubnetworks": false, "routingConfig": {"routingMode": "REGIONAL"}}
"""


def test_a_log_is_replayed_with_the_emulators_own_operation_and_a_finished_clock() -> None:
    log = corpus.Log(corpus.CORPUS / "x", "compute/test", "test", parse(LOG))
    replay = Replay(log)
    results = replay.run()
    assert [r.emu_status for r in results] == [404, 200, 200, 200]
    # The operation polled is the one the emulator started, and it is finished when polled.
    assert replay.bound["operationID"].startswith("operation-")
    assert results[2].score.agreed == results[2].score.values
    assert all(r.category == "scored" for r in results)


def test_a_failed_create_makes_what_follows_a_cascade_not_a_miss() -> None:
    broken = LOG.replace('"autoCreateSubnetworks": false}', '"autoCreateSubnetworks": false, "mtu": 9}', 1)
    results = Replay(corpus.Log(corpus.CORPUS / "x", "compute/test", "test", parse(broken))).run()
    assert results[1].real_status == 200 and results[1].emu_status == 400
    assert [r.category for r in results] == ["scored", "scored", "cascade", "cascade"]


def test_a_dependency_made_outside_the_log_is_seeded_from_its_real_answer() -> None:
    (log,) = [x for x in corpus.logs() if x.name == "compute/computefirewall/computefirewall"]
    replay = Replay(log)
    results = replay.run()
    # The log reads a network it never creates: it is made from its real answer first.
    assert replay.seeded and "/global/networks/" in replay.seeded[0]
    assert (results[0].real_status, results[0].emu_status, results[0].category) == (200, 200, "scored")
    assert all(r.category == "scored" and r.emu_status == r.real_status for r in results)


def test_surface_the_emulator_does_not_serve_is_counted_apart() -> None:
    text = LOG.split("---")[0].replace(
        "compute.googleapis.com/compute/v1/projects/${projectId}/global/networks/${networkID}",
        "dns.googleapis.com/dns/v1/projects/${projectId}/managedZones/z",
    )
    (result,) = Replay(corpus.Log(corpus.CORPUS / "x", "dns/test", "test", parse(text))).run()
    assert result.category == "unimplemented" and result.score.exchanges == 0
    assert result.score.unimplemented == 1


def test_what_the_recording_cannot_show_is_not_counted_and_nothing_else_is_excused() -> None:
    run = "run.googleapis.com"
    recorded = {"name": "s", "generation": "1", "metadata": {"terminalCondition": {"state": "SUCCEEDED"}}}
    emu = {
        "name": "s",
        "generation": "2",
        "uri": "https://s.run.app",
        "metadata": {"terminalCondition": {"state": "RECONCILING"}},
        "done": False,
    }
    score = compare(200, recorded, recorded, 200, emu, "here", run)
    # mockgcp's generation and early SUCCEEDED are not compared; its missing uri and the
    # normaliser's deleted `done: false` are not extra.
    assert (score.values, score.agreed, score.extra) == (1, 1, 0)
    # The same answer from another API (its `uri`), or a `done: true` the recording lacks, counts.
    other = compare(200, recorded, recorded, 200, emu, "here", "compute.googleapis.com")
    assert (other.values, other.agreed, other.extra) == (3, 1, 1)
    finished = compare(200, recorded, recorded, 200, {**emu, "done": True}, "here", run)
    assert finished.extra == 1
    # A field the recording does show is scored as usual, rule or not.
    shown = {**recorded, "uri": "https://other.run.app"}
    assert compare(200, shown, shown, 200, emu, "here", run).agreed == 1
    assert compare(200, shown, shown, 200, emu, "here", run).values == 2


def test_a_field_only_mockgcp_writes_is_not_one_to_recall() -> None:
    recorded = {"metadata": {"@type": "type.googleapis.com/google.protobuf.Empty", "value": {}}}
    emu = {"metadata": {"@type": "type.googleapis.com/google.api.serviceusage.v1.OperationMetadata"}}
    usage = compare(200, recorded, recorded, 200, emu, "here", "serviceusage.googleapis.com")
    assert (usage.fields, usage.recalled, usage.values) == (1, 1, 0)
    other = compare(200, recorded, recorded, 200, emu, "here", "compute.googleapis.com")
    assert (other.fields, other.recalled, other.values, other.agreed) == (2, 1, 1, 0)


def test_a_compute_operation_mockgcp_wrote_is_excused_only_in_that_shape() -> None:
    compute = "compute.googleapis.com"
    mock = {"kind": "compute#operation", "status": "DONE", "progress": 0}
    emu = {"kind": "compute#operation", "status": "DONE", "progress": 100, "endTime": "t", "user": "u"}
    excused = compare(200, mock, mock, 200, emu, "here", compute)
    assert (excused.extra, excused.values, excused.agreed) == (0, 1, 1)
    # mockgcp finishes the operation in the answer that starts it; Google's is still RUNNING.
    started = compare(200, mock, mock, 200, {**emu, "status": "RUNNING", "progress": 0}, "here", compute)
    assert (started.values, started.agreed) == (1, 1)
    running = {**mock, "status": "RUNNING", "operationType": "insert"}
    counted = compare(200, running, running, 200, {**emu, "operationType": "insert"}, "here", compute)
    assert counted.extra == 2 and counted.agreed < counted.values


def test_a_compute_operation_recorded_without_its_type_is_excused_its_attribution() -> None:
    compute = "compute.googleapis.com"
    mock = {"kind": "compute#operation", "status": "RUNNING", "progress": 0}
    emu = {**mock, "operationType": "removePeering", "targetLink": "l", "targetId": "1", "user": "u"}
    assert compare(200, mock, mock, 200, emu, "here", compute).extra == 0
    typed = {**mock, "operationType": "removePeering"}
    assert compare(200, typed, typed, 200, emu, "here", compute).extra == 3


def test_a_global_url_map_mockgcp_wrote_lacks_its_fingerprint_only_in_that_shape() -> None:
    compute = "compute.googleapis.com"
    link = "https://www.googleapis.com/compute/v1/projects/p/global/urlMaps/m"
    mock = {"kind": "compute#urlMap", "name": "m", "selfLink": link}
    emu = {**mock, "fingerprint": "abc="}
    assert compare(200, mock, mock, 200, emu, "here", compute).extra == 0
    regional = {**mock, "selfLink": link.replace("/global/", "/regions/r/")}
    assert compare(200, regional, regional, 200, {**regional, "fingerprint": "x"}, "here", compute).extra == 1
    backend = {**mock, "kind": "compute#backendService"}
    assert compare(200, backend, backend, 200, {**backend, "fingerprint": "x"}, "here", compute).extra == 1


def test_a_global_address_mockgcp_wrote_lacks_its_status_only_in_that_shape() -> None:
    compute = "compute.googleapis.com"
    link = "https://www.googleapis.com/compute/v1/projects/p/global/addresses/a"
    mock = {"kind": "compute#address", "name": "a", "selfLink": link, "purpose": "VPC_PEERING"}
    emu = {**mock, "status": "RESERVED", "networkTier": "PREMIUM", "addressType": "INTERNAL"}
    assert compare(200, mock, mock, 200, emu, "here", compute).extra == 0
    # A regional address recorded without its status is not excused: the emulator's is extra.
    regional = {**mock, "selfLink": link.replace("/global/", "/regions/r/")}
    with_status = {**regional, "status": "RESERVED"}
    assert compare(200, regional, regional, 200, with_status, "here", compute).extra == 1
    # A global address that carries a status is Google's: nothing else of it is excused.
    real = {**mock, "status": "RESERVED"}
    assert compare(200, real, real, 200, {**real, "networkTier": "PREMIUM"}, "here", compute).extra == 1


def test_a_managed_certificate_mockgcp_wrote_is_excused_only_in_that_shape() -> None:
    compute = "compute.googleapis.com"
    mock = {
        "kind": "compute#sslCertificate",
        "type": "MANAGED",
        "expireTime": "2024-04-01T12:34:56.123456Z",
        "managed": {"domains": ["a.example."]},
    }
    emu = {
        "kind": "compute#sslCertificate",
        "type": "MANAGED",
        "managed": {
            "domains": ["a.example."],
            "status": "PROVISIONING",
            "domainStatus": {"a.example.": "PROVISIONING"},
        },
    }
    excused = compare(200, mock, mock, 200, emu, "here", compute)
    assert (excused.fields, excused.recalled, excused.extra) == (3, 3, 0)
    real = {**mock, "managed": {**mock["managed"], "status": "ACTIVE"}}
    counted = compare(200, real, real, 200, {**emu, "managed": {"domains": ["a.example."]}}, "here", compute)
    assert counted.recalled < counted.fields


def test_a_secret_label_mockgcp_answered_in_clear_is_not_compared() -> None:
    monitoring = "monitoring.googleapis.com"
    mock = {"type": "webhook_basicauth", "labels": {"password": "password\n", "username": "admin"}}
    emu = {"type": "webhook_basicauth", "labels": {"password": "**********", "username": "admin"}}
    score = compare(200, mock, mock, 200, emu, "here", monitoring)
    assert (score.values, score.agreed) == (2, 2)
    listed = compare(
        200,
        {"notificationChannels": [mock]},
        {"notificationChannels": [mock]},
        200,
        {"notificationChannels": [emu]},
        "here",
        monitoring,
    )
    assert (listed.values, listed.agreed) == (2, 2)
    # A username is no secret: a different one still counts.
    other = {**emu, "labels": {**emu["labels"], "username": "root"}}
    assert compare(200, mock, mock, 200, other, "here", monitoring).agreed == 1


def test_a_gke_operation_without_its_type_is_mockgcps() -> None:
    gke = "container.googleapis.com"
    link = "https://container.googleapis.com/v1beta1/projects/1/zones/z/operations/op"
    mock = {"name": "op", "selfLink": link, "status": "RUNNING"}
    emu = {**mock, "operationType": "UPGRADE_NODES"}
    assert compare(200, mock, mock, 200, emu, "here", gke).extra == 0
    # Elsewhere an operation type the recording lacks counts.
    assert compare(200, mock, mock, 200, emu, "here", "compute.googleapis.com").extra == 1


def test_folder_prefixes_in_a_list_without_a_delimiter_are_not_the_buckets() -> None:
    storage = "storage.googleapis.com"
    stray = {"kind": "storage#objects", "prefixes": ["testfolder", "testmanagedfolder"]}
    emu = {"kind": "storage#objects"}
    url = (
        "storage/storagebucket/x#5 GET https://storage.googleapis.com/storage/v1/b/b/o?alt=json&versions=true"
    )
    excused = compare(200, stray, stray, 200, emu, url, storage)
    assert (excused.fields, excused.recalled) == (1, 1)
    # Asked with a delimiter, prefixes are the bucket's own and must be recalled.
    counted = compare(200, stray, stray, 200, emu, url + "&delimiter=/", storage)
    assert (counted.fields, counted.recalled) == (2, 1)


SECOND = """GET https://compute.googleapis.com/compute/v1/projects/${projectId}/global/networks/${networkID}?alt=json

404 Not Found

{"error": {"code": 404, "message": "not found"}}

---

POST https://compute.googleapis.com/compute/v1/projects/${projectId}/global/networks?alt=json

{"name": "${networkID}", "autoCreateSubnetworks": true}

200 OK

{"kind": "compute#operation", "name": "${operationID}", "status": "RUNNING", "operationType": "insert"}

---

GET https://compute.googleapis.com/compute/v1/projects/${projectId}/global/networks/${networkID}?alt=json

200 OK

{"name": "${networkID}", "autoCreateSubnetworks": true}
"""


def _log(text: str) -> corpus.Log:
    return corpus.Log(corpus.CORPUS / "x", "compute/test", "test", parse(text))


def test_one_placeholder_for_two_resources_is_told_apart_by_the_create_real_gcp_accepted() -> None:
    replay = Replay(_log(LOG + "\n---\n\n" + SECOND))
    results = replay.run()
    # The second read found nothing on real GCP and the create that follows was accepted:
    # another network, under the same placeholder.
    assert [(r.real_status, r.emu_status) for r in results][4:6] == [(404, 404), (200, 200)]
    assert results[-1].score.agreed == results[-1].score.values
    assert replay.bound["networkID"].endswith("-2")


def test_a_read_that_finds_nothing_where_no_create_follows_is_still_a_miss() -> None:
    results = Replay(_log(LOG + "\n---\n\n" + SECOND.split("---")[0])).run()
    assert (results[-1].real_status, results[-1].emu_status) == (404, 200)


def test_a_project_the_log_creates_does_not_exist_before_it() -> None:
    text = """GET https://cloudresourcemanager.googleapis.com/v1/projects/example-project-01?alt=json

403 Forbidden

{"error": {"code": 403, "message": "The caller does not have permission", "status": "PERMISSION_DENIED"}}

---

POST https://cloudresourcemanager.googleapis.com/v1/projects?alt=json

{"projectId": "example-project-01", "name": "Dependent Project"}

200 OK

{"name": "operations/${operationID}"}

---

GET https://cloudresourcemanager.googleapis.com/v1/projects/example-project-01?alt=json

200 OK

{"projectId": "example-project-01", "name": "Dependent Project", "lifecycleState": "ACTIVE"}

---

GET https://compute.googleapis.com/compute/v1/projects/example-project-01/global/networks/n?alt=json

404 Not Found

{"error": {"code": 404, "message": "not found"}}
"""
    results = Replay(_log(text)).run()
    statuses = [(r.real_status, r.emu_status) for r in results]
    assert statuses == [(403, 403), (200, 200), (200, 200), (404, 404)]
    assert results[2].score.agreed == results[2].score.values


def test_a_post_to_addresses_creates_an_address() -> None:
    text = LOG.replace("global/networks", "global/addresses").replace("networkID", "addressID")
    text = text.replace('"autoCreateSubnetworks": false, "routingConfig": {"routingMode": "REGIONAL"}', "")
    text = text.replace(', "autoCreateSubnetworks": false', "")
    replay = Replay(_log(text))
    replay.run()
    assert any("/global/addresses/" in c for c in replay.created)


TEARDOWN = """DELETE https://compute.googleapis.com/compute/v1/projects/${projectId}/global/networks/${networkID}?alt=json

200 OK

{"kind": "compute#operation", "name": "${operationID}", "status": "RUNNING", "operationType": "delete"}

---

GET https://compute.googleapis.com/compute/v1/projects/${projectId}/global/operations/${operationID}?alt=json

200 OK

{"kind": "compute#operation", "name": "${operationID}", "status": "DONE", "operationType": "delete"}

---

GET https://compute.googleapis.com/compute/v1/projects/${projectId}/global/networks/${networkID}?alt=json

200 OK

{"name": "${networkID}", "autoCreateSubnetworks": false}
"""


def test_after_one_of_two_resources_of_a_placeholder_is_deleted_the_other_is_meant() -> None:
    replay = Replay(_log(LOG + "\n---\n\n" + SECOND + "\n---\n\n" + TEARDOWN))
    results = replay.run()
    # The log deleted the second network and reads `${networkID}` with success: the first one.
    assert [(r.real_status, r.emu_status) for r in results][-3:] == [(200, 200), (200, 200), (200, 200)]
    assert not replay.bound["networkID"].endswith("-2")
    assert results[-1].score.agreed == results[-1].score.values


def _corpus_log(name: str) -> corpus.Log:
    """A log of the vendored corpus, by its name (`compute/<kind>/<case>`)."""
    api, rest = name.split("/", 1)
    return corpus.load(next(corpus.CORPUS.glob(f"{api}/*/{rest}/_http.log")))


def test_a_placeholder_listed_several_times_names_the_resources_made_in_creation_order() -> None:
    # computerouternat/_http.log makes three addresses `${addressID}` (#9, #19, #25) and #31
    # lists `${addressID}` three times: in `natIps` and twice in a rule's `sourceNatActiveIps`.
    replay = Replay(_corpus_log("compute/computerouternat/computerouternat"))
    results = replay.run()
    made = replay.made_as[("addresses", "addressID")]
    assert len(set(made)) == 3
    assert replay.listed[("addresses", "addressID")] == made
    # The router read back after the PATCH, and again before its deletion, agrees in every value.
    for index in (33, 42):
        assert results[index].score.agreed == results[index].score.values


def test_a_placeholder_for_a_network_and_a_subnetwork_the_log_makes_is_one_name_per_collection() -> None:
    # privateserviceconnectioncomputeregionnetworkendpointgroup/_http.log #12 reads the auto mode
    # network `${subnetworkID}` (200), #13 the subnetwork `${subnetworkID}` (404), #14 makes it.
    replay = Replay(
        _corpus_log(
            "compute/computeregionnetworkendpointgroup/privateserviceconnectioncomputeregionnetworkendpointgroup"
        )
    )
    results = replay.run()
    assert (results[13].real_status, results[13].emu_status) == (404, 404)
    assert replay._in_collection("subnetworkID", "subnetworks") != replay.bound["subnetworkID"]
    assert replay._in_collection("subnetworkID", "networks") is None


def test_a_network_and_its_auto_subnetwork_read_under_one_placeholder_keep_one_name() -> None:
    # regionalcomputeaddress-direct/_http.log #0/#1 read the default network and its subnetwork
    # in us-central1 as `${subnetworkID}`, both 200; the log makes neither.
    replay = Replay(_corpus_log("compute/computeaddress/regionalcomputeaddress-direct"))
    results = replay.run()
    assert not replay.per_collection
    assert (results[1].real_status, results[1].emu_status) == (200, 200)


def test_a_key_the_normaliser_wrote_with_a_placeholder_is_the_one_property_it_can_stand_for() -> None:
    # globalcomputeforwardingrulefull-direct/_http.log #10 inserts a URL map with
    # `"${networkID}Service"` (the network was `default`); real GCP accepted it.
    log = _corpus_log("compute/computeforwardingrule/globalcomputeforwardingrulefull-direct")
    results = Replay(log).run()
    assert (results[10].real_status, results[10].emu_status) == (200, 200)
    assert results[11].score.agreed == results[11].score.values
    assert not any(r.category == "cascade" for r in results)


def test_a_placeholder_in_a_key_is_read_as_a_word_only_where_one_property_fits() -> None:
    schemas = {
        "Map": {"properties": {"defaultService": {"type": "string"}, "tests": {"items": {"$ref": "Test"}}}},
        "Test": {"properties": {"service": {"type": "string"}, "host": {"type": "string"}}},
    }
    body = {"${networkID}Service": "a", "tests": [{"${x}": "b"}], "${y}Other": "c"}
    assert _known_keys(schemas, "Map", body) == {
        "defaultService": "a",
        "tests": [{"${x}": "b"}],  # two properties fit: left as written
        "${y}Other": "c",  # none fits
    }


IN_USE_TEARDOWN = """POST https://compute.googleapis.com/compute/v1/projects/${projectId}/global/networks?alt=json

{"name": "${networkID}", "autoCreateSubnetworks": false}

200 OK

{"kind": "compute#operation", "name": "${operationID}", "status": "DONE", "operationType": "insert"}

---

POST https://compute.googleapis.com/compute/v1/projects/${projectId}/regions/us-central1/subnetworks?alt=json

{
  "name": "${subnetworkID}",
  "ipCidrRange": "10.2.0.0/16",
  "network": "projects/${projectId}/global/networks/${networkID}"
}

200 OK

{"kind": "compute#operation", "name": "${operationID}", "status": "DONE", "operationType": "insert"}

---

DELETE https://compute.googleapis.com/compute/v1/projects/${projectId}/global/networks/${networkID}?alt=json

200 OK

{"kind": "compute#operation", "name": "${operationID}", "status": "DONE", "operationType": "delete"}
"""

SUBNET_DELETE = """
---

DELETE https://compute.googleapis.com/compute/v1/projects/${projectId}/regions/us-central1/subnetworks/${subnetworkID}?alt=json

200 OK

{"kind": "compute#operation", "name": "${operationID}", "status": "DONE", "operationType": "delete"}
"""


def test_a_teardown_logged_out_of_order_is_replayed_in_the_order_google_ran_it() -> None:
    # The network's delete is logged before its subnetwork's: Google ran the subnetwork's first.
    results = _log_results(IN_USE_TEARDOWN + SUBNET_DELETE)
    assert [(r.category, r.emu_status) for r in results[2:]] == [("scored", 200), ("scored", 200)]
    # Without a later delete of what uses it, the refusal stands and is scored as a miss.
    (*_, refused) = _log_results(IN_USE_TEARDOWN)
    assert (refused.category, refused.real_status, refused.emu_status) == ("scored", 200, 400)
    (log,) = [x for x in corpus.logs() if x.case == "regionaltargethttpsproxycertificatemanagercertificates"]
    deletes = [r for r in Replay(log).run() if r.method == "DELETE"]
    assert all(r.category == "scored" and r.emu_status == r.real_status == 200 for r in deletes)


def test_a_delete_only_mockgcp_accepted_is_counted_apart_with_its_operation() -> None:
    (log,) = [x for x in corpus.logs() if x.case == "containercluster-disablel4lbfirewallreconciliation"]
    results = Replay(log).run()
    apart = [r for r in results if r.category == "mock-accepted"]
    # The network and subnetwork deletes the emulator refused as Google does, and their polls.
    assert [(r.method, r.emu_status) for r in apart[:2]] == [("DELETE", 400), ("DELETE", 400)]
    assert [r.method for r in apart[2:]] == ["GET", "GET"]
    assert all(r.score.exchanges == 0 and r.score.mock_accepted == 1 for r in apart)
    assert not [r for r in results if r.category == "cascade"]


def _log_results(text: str) -> list[Any]:
    return Replay(_log(text)).run()


def test_a_name_made_up_for_a_read_that_found_nothing_gives_way_to_the_one_the_create_spells() -> None:
    (log,) = [x for x in corpus.logs() if x.case == "runjob-with-port"]
    replay = Replay(log)
    results = replay.run()
    # #0 reads `jobs/${jobID}` (404) before #1 creates it as `runjob-with-port-${uniqueId}`.
    assert replay.bound["jobID"] == f"runjob-with-port-{replay.unique}"
    assert all(r.score.agreed == r.score.values for r in results)


def test_upgrade_targets_mockgcp_listed_twice_are_not_compared() -> None:
    sql = "sqladmin.googleapis.com"

    def target(name: str) -> dict[str, str]:
        return {"displayName": name, "majorVersion": "MYSQL_8_0", "name": name}

    doubled = {
        "databaseVersion": "MYSQL_8_0",
        "upgradableDatabaseVersions": [target("MYSQL_8_0"), target("MYSQL_8_0_18"), target("MYSQL_8_0_18")],
    }
    emu = {"databaseVersion": "MYSQL_8_0", "upgradableDatabaseVersions": [target("MYSQL_8_0_18")]}
    excused = compare(200, doubled, doubled, 200, emu, "here", sql)
    assert (excused.values, excused.agreed) == (1, 1)  # databaseVersion alone
    single = {"databaseVersion": "MYSQL_8_0", "upgradableDatabaseVersions": [target("MYSQL_8_0_26")]}
    counted = compare(200, single, single, 200, emu, "here", sql)
    assert counted.values == 4 and counted.agreed == 2


def test_the_version_defaults_mockgcp_hard_codes_are_not_compared() -> None:
    sql = "sqladmin.googleapis.com"

    def target(name: str) -> dict[str, str]:
        return {"displayName": name, "majorVersion": name, "name": name}

    emu = {
        "databaseVersion": "POSTGRES_16",
        "databaseInstalledVersion": "POSTGRES_16_3",
        "upgradableDatabaseVersions": [target("POSTGRES_17"), target("POSTGRES_18")],
    }
    mock = {"databaseVersion": "POSTGRES_16", "databaseInstalledVersion": "POSTGRES_16_3"}
    excused = compare(200, mock, mock, 200, emu, "here", sql)
    assert excused.extra == 0 and (excused.values, excused.agreed) == (2, 2)
    real = {**mock, "databaseInstalledVersion": "POSTGRES_16_11"}
    counted = compare(200, real, real, 200, emu, "here", sql)
    assert counted.extra == 3
    nine = {"databaseVersion": "POSTGRES_9_6", "databaseInstalledVersion": "POSTGRES_9_6"}
    shown = {**nine, "databaseInstalledVersion": "POSTGRES_9_6_24"}
    assert compare(200, nine, nine, 200, shown, "here", sql).agreed == 1


def test_a_cloud_sql_user_made_at_the_normalised_host_is_made_at_the_host_the_log_names() -> None:
    (log,) = [x for x in corpus.logs() if x.case == "sqluser"]
    replay = Replay(log)
    results = replay.run()
    # #8 inserts the user at 10.1.2.3, #15 deletes it at host=foo (real 200).
    assert replay.user_hosts == {"root": "%", "sqluser-${uniqueId}": "foo"}
    assert all(r.emu_status == r.real_status for r in results)


def test_the_service_accounts_a_real_policy_grants_to_are_made_before_the_log_sets_it() -> None:
    (log,) = [x for x in corpus.logs(corpus.HISTORY) if x.case.startswith("sqlinstanceencryptionkey@")]
    replay = Replay(log)
    results = replay.run()
    # #1 reads cnrm-system@ in the project's policy, #4 sets the policy with it (real 200).
    assert replay.seeded == [
        f"projects/{PROJECT}/serviceAccounts/cnrm-system@{PROJECT}.iam.gserviceaccount.com"
    ]
    assert all(r.emu_status == r.real_status for r in results)


def test_a_poll_of_an_operation_an_older_recorder_wrote_out_is_a_poll_of_that_operation() -> None:
    (log,) = [x for x in corpus.logs(corpus.HISTORY) if x.case.startswith("postgresinstance@")]
    replay = Replay(log)
    results = replay.run()
    # #13 answers `operations/pssn.p24-${projectNumber}-8d70...`, #14 polls `operations/${operationID}`.
    (poll,) = [r for r in results if r.index == 14]
    assert (poll.real_status, poll.emu_status) == (200, 200)


def test_instance_groups_gke_lists_in_its_own_order_are_bound_zone_by_zone() -> None:
    base = "https://www.googleapis.com/compute/v1/projects/p/zones/us-west2-{}/instanceGroupManagers/{}-grp"
    real = [
        base.format("c", "gke-x-8c3d7fa5"),
        base.format("a", "gke-x-035b8fa3"),
        base.format("b", "gke-x-edb41a76"),
    ]
    emu = [
        base.format("a", "gke-x-11111111"),
        base.format("b", "gke-x-22222222"),
        base.format("c", "gke-x-33333333"),
    ]
    replay = Replay(corpus.Log(corpus.CORPUS / "x", "container/test", "test", []))
    replay.bind(real, emu)
    assert replay.server_named["gke-x-8c3d7fa5-grp"] == "gke-x-33333333-grp"
    assert replay.server_named["gke-x-035b8fa3-grp"] == "gke-x-11111111-grp"
    assert replay.server_named["gke-x-edb41a76-grp"] == "gke-x-22222222-grp"
