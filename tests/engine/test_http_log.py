"""The `_http.log` format and normalisation shared with the recorded real-GCP corpus."""

from __future__ import annotations

import threading

from provisioner.traffic.http_log import Exchange, Normaliser, parse, render
from provisioner.traffic.http_record import HttpRecorder

#: An exchange as the corpus writes it (compute/v1beta1/computefirewall, shortened).
CORPUS = """POST https://compute.googleapis.com/compute/v1/projects/${projectId}/global/firewalls
Content-Type: application/json
User-Agent: kcc/${kccVersion} (+https://github.com/GoogleCloudPlatform/k8s-config-connector)

{
  "name": "${firewallID}",
  "network": "projects/${projectId}/global/networks/${networkID}"
}

200 OK
Content-Type: application/json; charset=UTF-8
Server: ESF
Vary: Origin
Vary: X-Origin

{
  "id": "000000000000000000000",
  "insertTime": "2024-04-01T12:34:56.123456Z",
  "kind": "compute#operation",
  "name": "${operationID}",
  "status": "RUNNING"
}

---

GET https://compute.googleapis.com/compute/v1/projects/${projectId}/global/firewalls/${firewallID}
Content-Type: application/json

404 Not Found
Content-Type: application/json; charset=UTF-8

{
  "error": {
    "code": 404
  }
}"""

PROJECT = "digitwin-live-dev"


def test_a_corpus_log_parses_and_renders_back_byte_for_byte():
    exchanges = parse(CORPUS)

    assert [(e.method, e.status) for e in exchanges] == [("POST", 200), ("GET", 404)]
    assert exchanges[0].request_body["name"] == "${firewallID}"
    assert ("Vary", "X-Origin") in exchanges[0].response_headers
    assert exchanges[1].request_body is None and exchanges[1].response_body == {"error": {"code": 404}}
    assert render(exchanges) == CORPUS


def test_the_corpus_grpc_exchanges_parse_with_their_status_as_http():
    text = 'GRPC /google.monitoring.v3.AlertPolicyService/GetAlertPolicy\n\n{\n  "name": "p"\n}\n\nNOT_FOUND'
    (exchange,) = parse(text)

    assert (exchange.method, exchange.url, exchange.status) == (
        "GRPC",
        "/google.monitoring.v3.AlertPolicyService/GetAlertPolicy",
        404,
    )
    assert render([exchange]) == text


def _raw(**overrides):
    base = dict(
        method="POST",
        url=f"http://127.0.0.1:4242/compute/v1/projects/{PROJECT}/global/firewalls?alt=json",
        request_headers=(
            ("authorization", "Bearer ya29.secret-token"),
            ("content-type", "application/json"),
            ("user-agent", "google-api-python-client/2.150.0 gl-python/3.11.7"),
            ("x-goog-api-client", "gdcl/2.150.0"),
        ),
        request_body={"name": "fw", "network": f"projects/{PROJECT}/global/networks/vpc"},
        status=200,
        response_headers=(
            ("content-type", "application/json; charset=UTF-8"),
            ("date", "Fri, 04 Dec 2026 17:00:00 GMT"),
            ("vary", "Origin, X-Origin, Referer"),
            ("server", "ESF"),
        ),
        response_body={
            "kind": "compute#operation",
            "name": "operation-1733331600000-61a2b3c4d5e6f-7a8b9c0d-1e2f3a4b",
            "id": "4913067014921750751",
            "targetId": "8123456789012345678",
            "insertTime": "2026-12-04T17:00:00.123-08:00",
            "selfLink": f"http://127.0.0.1:4242/compute/v1/projects/{PROJECT}/global/operations/"
            "operation-1733331600000-61a2b3c4d5e6f-7a8b9c0d-1e2f3a4b",
            "user": "alice@example.org",
        },
        service="compute",
    )
    base.update(overrides)
    return Exchange(**base)


def test_values_that_change_between_runs_are_written_as_the_corpus_writes_them():
    poll = _raw(
        method="GET",
        url=f"http://127.0.0.1:4242/compute/v1/projects/{PROJECT}/global/operations/"
        "operation-1733331600000-61a2b3c4d5e6f-7a8b9c0d-1e2f3a4b?alt=json",
        request_body=None,
        response_body={"kind": "compute#operation", "status": "DONE", "fingerprint": "Xq1=", "progress": 100},
    )
    created, polled = Normaliser(PROJECT, ("http://127.0.0.1:4242",)).normalise([_raw(), poll])

    assert (
        created.url
        == "https://compute.googleapis.com/compute/v1/projects/${projectId}/global/firewalls?alt=json"
    )
    assert created.request_headers == (("Content-Type", "application/json"),)
    assert created.response_headers == (
        ("Content-Type", "application/json; charset=UTF-8"),
        ("Vary", "Origin"),
        ("Vary", "X-Origin"),
        ("Vary", "Referer"),
    )  # the emulator's own Server header says nothing about Google's
    assert created.response_body == {
        "kind": "compute#operation",
        "name": "${operationID}",
        "id": "000000000000000000000",
        "targetId": "000000000000000000000",
        "insertTime": "2024-04-01T12:34:56.123456Z",
        "selfLink": "https://compute.googleapis.com/compute/v1/projects/${projectId}/global/operations/${operationID}",
        "user": "user@example.com",
    }
    assert polled.url.endswith("/global/operations/${operationID}?alt=json")
    assert polled.response_body["fingerprint"] == "abcdef0123A="
    assert polled.response_body["progress"] == 100


def test_ids_the_api_assigns_become_numbered_placeholders_and_the_project_number_is_learnt():
    channel = _raw(
        url=f"https://monitoring.googleapis.com/v3/projects/{PROJECT}/notificationChannels",
        request_body={"type": "email"},
        response_body={"name": f"projects/{PROJECT}/notificationChannels/1261750269007766533"},
        service="monitoring",
    )
    other = _raw(
        url=f"https://monitoring.googleapis.com/v3/projects/{PROJECT}/notificationChannels",
        request_body={"type": "email"},
        response_body={"name": f"projects/{PROJECT}/notificationChannels/5751222675682844908"},
        service="monitoring",
    )
    bucket = _raw(
        method="GET",
        url="https://storage.googleapis.com/storage/v1/b/b1",
        request_body=None,
        response_body={"name": "b1", "projectNumber": "330987160757", "generation": "1733331600123456"},
        service="storage",
    )
    delete = _raw(
        method="DELETE",
        url=f"https://monitoring.googleapis.com/v3/projects/{PROJECT}/notificationChannels/5751222675682844908",
        request_body=None,
        response_body={"note": "service-330987160757@gcp-sa-cloud-sql.iam.gserviceaccount.com"},
        service="monitoring",
    )
    project = _raw(
        method="GET",
        url=f"https://cloudresourcemanager.googleapis.com/v3/projects/{PROJECT}",
        request_body=None,
        response_body={"name": "projects/330987160757", "projectId": PROJECT},
        service="cloudresourcemanager",
    )
    out = Normaliser(PROJECT).normalise([channel, other, bucket, delete, project])

    assert (
        out[0].response_body["name"] == "projects/${projectId}/notificationChannels/${notificationChannelID}"
    )
    assert (
        out[1].response_body["name"] == "projects/${projectId}/notificationChannels/${notificationChannelID2}"
    )
    assert out[2].response_body["projectNumber"] == "${projectNumber}"
    assert out[2].response_body["generation"] == "12345678901234"
    assert out[3].url.endswith("/notificationChannels/${notificationChannelID2}")
    assert out[3].response_body["note"] == "service-${projectNumber}@gcp-sa-cloud-sql.iam.gserviceaccount.com"
    assert out[4].response_body == {"name": "projects/${projectNumber}", "projectId": "${projectId}"}


def test_secrets_are_masked_wherever_they_recur():
    password = "s3cret-Generated-Passw0rd"
    add_version = _raw(
        url=f"https://secretmanager.googleapis.com/v1/projects/{PROJECT}/secrets/db:addVersion",
        request_body={"payload": {"data": "czNjcmV0LUdlbmVyYXRlZC1QYXNzdzByZA=="}},
        response_body={"name": "projects/1/secrets/db/versions/1"},
        service="secretmanager",
    )
    user = _raw(
        url=f"https://sqladmin.googleapis.com/v1/projects/{PROJECT}/instances/pg/users?note={password}",
        request_body={"name": "app", "password": password},
        response_body={
            "kind": "sql#operation",
            "name": "2f6b1c52-7d1e-4a57-9a5b-2c1c55d1f0a1",
            "echo": password,
        },
        service="sqladmin",
    )
    text = render(Normaliser(PROJECT).normalise([add_version, user]))

    assert password not in text and "czNjcmV0LUdlbmVyYXRlZC1QYXNzdzByZA==" not in text
    assert text.count("(sensitive)") == 4


def test_the_recorder_keeps_every_exchange_of_many_threads():
    recorder = HttpRecorder()

    def send(n: int) -> None:
        with recorder.attributed(f"compute.firewall/fw-{n}"):
            for i in range(50):
                recorder.add("compute", "GET", f"https://x/{n}/{i}", {}, None, 200, {}, b"{}")

    threads = [threading.Thread(target=send, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    exchanges = recorder.exchanges()
    assert len(exchanges) == 400
    assert all(e.url.startswith(f"https://x/{e.address.rsplit('-', 1)[1]}/") for e in exchanges)


def test_a_longrunning_operation_and_a_name_by_number_are_recognised_without_other_clues():
    connect = _raw(
        url="https://servicenetworking.googleapis.com/v1/services/servicenetworking.googleapis.com/connections",
        request_body={"network": f"projects/{PROJECT}/global/networks/vpc"},
        response_body={"name": "operations/pssn.p24-330987160757-5f0a6b4c"},
        service="servicenetworking",
    )
    poll = _raw(
        method="GET",
        url="https://servicenetworking.googleapis.com/v1/operations/pssn.p24-330987160757-5f0a6b4c",
        request_body=None,
        response_body={"name": "operations/pssn.p24-330987160757-5f0a6b4c", "done": True},
        service="servicenetworking",
    )
    secret = _raw(
        method="GET",
        url=f"https://secretmanager.googleapis.com/v1/projects/{PROJECT}/secrets/db",
        request_body=None,
        response_body={"name": "projects/330987160757/secrets/db"},
        service="secretmanager",
    )
    out = Normaliser(PROJECT).normalise([connect, poll, secret])

    assert out[0].response_body == {"name": "operations/${operationID}"}
    assert out[1].url.endswith("/v1/operations/${operationID}")
    assert out[2].response_body == {"name": "projects/${projectNumber}/secrets/db"}


def test_what_cloud_sql_and_gke_make_for_themselves_is_written_as_the_corpus_has_it():
    instance = _raw(
        method="GET",
        url=f"https://sqladmin.googleapis.com/v1/projects/{PROJECT}/instances/pg",
        request_body=None,
        response_body={
            "ipAddresses": [{"type": "PRIVATE", "ipAddress": "10.23.0.5"}],
            "serverCaCert": {"cert": "-----BEGIN CERTIFICATE-----\nMIIB\n", "sha1Fingerprint": "9f8e"},
            "serviceAccountEmailAddress": "p330987160757-x1y2z3@gcp-sa-cloud-sql.iam.gserviceaccount.com",
            "projectNumber": "330987160757",
        },
        service="sqladmin",
    )
    cluster = _raw(
        method="GET",
        url=f"https://container.googleapis.com/v1/projects/{PROJECT}/locations/us-central1/clusters/gke",
        request_body=None,
        response_body={"endpoint": "34.57.1.2", "masterAuth": {"clusterCaCertificate": "LS0tLS1CRUdJTg=="}},
        service="container",
    )
    sql, gke = Normaliser(PROJECT).normalise([instance, cluster])

    assert sql.response_body["ipAddresses"] == [{"type": "PRIVATE", "ipAddress": "10.10.10.10"}]
    assert sql.response_body["serverCaCert"] == {
        "cert": "-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n",
        "sha1Fingerprint": "12345678",
    }
    assert sql.response_body["serviceAccountEmailAddress"] == (
        "p${projectNumber}-abcdef@gcp-sa-cloud-sql.iam.gserviceaccount.com"
    )
    assert gke.response_body == {
        "endpoint": "${publicEndpointIPV4}",
        "masterAuth": {"clusterCaCertificate": "1234567890abcdefghijklmn"},
    }


def test_a_body_that_is_not_json_is_kept_as_one_json_string_with_its_times_and_boundary_normalised():
    upload = _raw(
        url="https://storage.googleapis.com/upload/storage/v1/b/state/o?uploadType=multipart",
        request_body='--===============4913067014921750751==\r\n{"created": "2026-12-04T17:07:25+00:00"}',
        response_body=None,
        service="storage",
    )
    (out,) = Normaliser(PROJECT).normalise([upload])

    assert out.request_body == (
        '--===============0000000000000000000==\r\n{"created": "2024-04-01T12:34:56.123456Z"}'
    )
    assert parse(render([out]))[0].request_body == out.request_body
