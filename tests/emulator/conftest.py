from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from google.api_core.client_options import ClientOptions
from google.auth.credentials import AnonymousCredentials
from google.cloud import kms_v1, storage

from emulator import Emulator, EmulatorConfig

PROJECT = "digitwin-live-dev"
#: How long every operation of the `slow` emulator takes, in emulator time.
SLOW_OPERATION_S = 60.0


@pytest.fixture
def emu() -> Iterator[Emulator]:
    emulator = Emulator(EmulatorConfig(projects=[PROJECT]))
    emulator.start()
    yield emulator
    emulator.close()


@pytest.fixture
def kms(emu: Emulator) -> kms_v1.KeyManagementServiceClient:
    return kms_v1.KeyManagementServiceClient(
        transport="rest",
        credentials=AnonymousCredentials(),
        client_options=ClientOptions(api_endpoint=emu.base_url),
    )


@pytest.fixture
def gcs(emu: Emulator) -> storage.Client:
    return storage.Client(
        project=PROJECT, credentials=AnonymousCredentials(), client_options={"api_endpoint": emu.base_url}
    )


@pytest.fixture
def slow() -> Iterator[Emulator]:
    """Operations take a minute of emulator time; tests move the clock instead of waiting."""
    emulator = Emulator(EmulatorConfig(projects=[PROJECT], operation_delay_s=SLOW_OPERATION_S))
    emulator.start()
    yield emulator
    emulator.close()


def sqladmin(emu: Emulator, version: str = "v1") -> Any:
    """A Cloud SQL Admin discovery client of the emulator (v1, or gcloud's v1beta4)."""
    from googleapiclient.discovery import build

    return build(
        "sqladmin",
        version,
        credentials=AnonymousCredentials(),
        static_discovery=True,
        client_options={"api_endpoint": emu.base_url + "/"},
    )
