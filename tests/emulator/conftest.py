from __future__ import annotations

from collections.abc import Iterator

import pytest
from google.api_core.client_options import ClientOptions
from google.auth.credentials import AnonymousCredentials
from google.cloud import kms_v1, storage

from emulator import Emulator, EmulatorConfig

PROJECT = "digitwin-live-dev"


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
