"""What counts as a secret, decided once for everything that shows a body to a person.

Two readers mask secrets: the request listings and recordings (`provisioner.traffic.
request_secrets`), which see bodies as the APIs spell them, and the reports
(`provisioner.reports.render`), which also see spec-shaped names and environment variables.
Both take their words from here. Reports mask any name that contains one of the words, in
snake or kebab case, with or without its underscore (`DB_PASSWORD`, `private-key`); request
bodies are matched on whole field names, because an API names its credential fields exactly
and its `pageToken`s and the scheduler's `oauthToken` are not credentials.
"""

from __future__ import annotations

#: What a masked value is shown as.
MASK = "(sensitive)"

#: The words that name a secret, in snake_case.
SECRET_WORDS = ("password", "secret_value", "private_key", "token")

#: API field names (any case) whose value is a credential wherever they appear: the words
#: without their underscores, tokens aside, and a service account key's `privateKeyData`.
CREDENTIAL_FIELDS = frozenset({w.replace("_", "") for w in SECRET_WORDS if w != "token"} | {"privatekeydata"})

#: Fields that hold a credential only under a given parent: Secret Manager's `payload.data`.
CREDENTIAL_CHILDREN = {"payload": frozenset({"data"})}


def says_secret(name: str) -> bool:
    """Whether a field or variable name says it holds a secret (`DB_PASSWORD`, `privateKey`)."""
    lowered = name.lower().replace("-", "_")
    return any(word in lowered or word.replace("_", "") in lowered for word in SECRET_WORDS)
