"""Secrets in API requests: learnt from the requests themselves, masked wherever they appear.

A request listing is shown to reviewers, so no credential may survive into it: fields that
hold one by their name (a Cloud SQL user's `password`, Secret Manager's `payload.data`, a
`privateKey`) are masked, and so is every other appearance of a value those fields carried
in the run (the generated database password, read back from Secret Manager to create the
user, is masked in any request that repeats it), plain or base64-encoded.
"""

from __future__ import annotations

import base64
import binascii
import threading
from typing import Any

from provisioner.engine.sensitive import CREDENTIAL_CHILDREN, CREDENTIAL_FIELDS, MASK

#: Field names (any case) whose value is a credential, wherever and under which parent.
SECRET_KEYS = CREDENTIAL_FIELDS
SECRET_CHILDREN = CREDENTIAL_CHILDREN
#: Shorter values are not treated as secrets to find elsewhere: "true" is nobody's password.
MIN_SECRET_LENGTH = 8


class KnownSecrets:
    """The secret values one run has seen, and a masker for anything that may contain them."""

    def __init__(self) -> None:
        self._values: set[str] = set()
        self._lock = threading.Lock()

    def learn(self, value: str) -> None:
        if len(value) < MIN_SECRET_LENGTH:
            return
        with self._lock:
            self._values.add(value)
            self._values.add(base64.b64encode(value.encode()).decode())

    def learn_from(self, body: Any) -> None:
        """Remember every credential a request or response body carries."""
        for key, value in _secret_fields(body):
            if not isinstance(value, str):
                continue
            self.learn(value)
            if key == "data":  # Secret Manager payloads travel base64-encoded
                decoded = _b64decode(value)
                if decoded is not None:
                    self.learn(decoded)

    def mask(self, value: Any, secret: frozenset[str] = SECRET_KEYS) -> Any:
        """`value` with every credential field and every known secret value masked."""
        if isinstance(value, dict):
            out = {}
            for key, item in value.items():
                if key.lower() in secret:
                    out[key] = MASK
                else:
                    out[key] = self.mask(item, SECRET_KEYS | SECRET_CHILDREN.get(key, frozenset()))
            return out
        if isinstance(value, list):
            return [self.mask(item) for item in value]
        if isinstance(value, str):
            return self.mask_text(value)
        return value

    def mask_text(self, text: str) -> str:
        with self._lock:
            values = sorted(self._values, key=len, reverse=True)
        for secret in values:
            if secret in text:
                text = text.replace(secret, MASK)
        return text


def _secret_fields(value: Any, secret: frozenset[str] = SECRET_KEYS) -> list[tuple[str, Any]]:
    found: list[tuple[str, Any]] = []
    if isinstance(value, dict):
        for key, item in value.items():
            if key.lower() in secret:
                found.append((key.lower(), item))
            else:
                found += _secret_fields(item, SECRET_KEYS | SECRET_CHILDREN.get(key, frozenset()))
    elif isinstance(value, list):
        for item in value:
            found += _secret_fields(item)
    return found


def _b64decode(text: str) -> str | None:
    try:
        return base64.b64decode(text, validate=True).decode()
    except (binascii.Error, ValueError):
        return None
