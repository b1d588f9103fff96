"""One decision of what is a secret, read two ways: whole API field names, words in any name."""

from __future__ import annotations

import pytest

from provisioner.engine.sensitive import CREDENTIAL_FIELDS, says_secret


@pytest.mark.parametrize(
    "name",
    ["password", "DB_PASSWORD", "secret_value", "secretValue", "privateKey", "private-key", "api_token"],
)
def test_names_that_say_they_hold_a_secret(name):
    assert says_secret(name)


@pytest.mark.parametrize("name", ["user", "secretId", "DATABASE_HOST", "key", "privateIpGoogleAccess"])
def test_names_that_do_not(name):
    assert not says_secret(name)


def test_request_fields_are_the_apis_credential_fields_and_not_its_cursors():
    assert {"password", "privatekey", "privatekeydata", "secretvalue"} == CREDENTIAL_FIELDS
    assert "pagetoken" not in CREDENTIAL_FIELDS and "oauthtoken" not in CREDENTIAL_FIELDS
