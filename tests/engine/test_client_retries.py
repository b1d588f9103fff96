"""Clients are built with the libraries' own retries off: the engine's retry policy is the only one."""

from __future__ import annotations

import pytest
from google.api_core import exceptions
from google.api_core.retry import Retry
from google.cloud import kms_v1, run_v2

from provisioner.google.clients import ClientFactory, Endpoints


def factory() -> ClientFactory:
    return ClientFactory(Endpoints(default="http://127.0.0.1:9"))


@pytest.mark.parametrize(
    ("service", "client_cls"), [("kms", kms_v1.KeyManagementServiceClient), ("run", run_v2.ServicesClient)]
)
def test_gapic_methods_have_no_default_retry(service, client_cls):
    built = factory().gapic(service, client_cls)
    assert all(method._retry is None for method in built._transport._wrapped_methods.values())


def test_a_gapic_client_built_elsewhere_would_retry_by_itself():
    """What the factory switches off is there to switch off: the library does retry by default."""
    from google.auth.credentials import AnonymousCredentials

    plain = kms_v1.KeyManagementServiceClient(transport="rest", credentials=AnonymousCredentials())
    assert any(method._retry is not None for method in plain._transport._wrapped_methods.values())


def test_storage_json_calls_are_sent_once_whatever_retry_their_caller_passes(monkeypatch):
    from google.cloud import _http

    calls = []

    def unavailable(self, *args, **kwargs):
        calls.append(kwargs)
        raise exceptions.ServiceUnavailable("busy")

    monkeypatch.setattr(_http.JSONConnection, "api_request", unavailable)
    client = factory().storage("digitwin-live-dev")
    eager = Retry(predicate=lambda exc: True, initial=0.001, maximum=0.001, timeout=0.2)
    with pytest.raises(exceptions.ServiceUnavailable):
        client._get_resource("/b/some-bucket", retry=eager)
    assert len(calls) == 1
