"""Building blocks shared by every section of the spec.

Every model forbids unknown keys and coerces nothing: a typo or a quoted number
in a spec file is a mistake the operator should hear about before anything
talks to Google Cloud.
"""

from __future__ import annotations

import ipaddress
import re
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from .ownership import RESERVED_KEYS

DeletionPolicy = Literal["delete", "abandon"]
"""``abandon`` leaves the live resource in place when the spec drops it."""

_LABEL_KEY = re.compile(r"^[a-z][a-z0-9_-]{0,62}$")
_LABEL_VALUE = re.compile(r"^[a-z0-9_-]{0,63}$")
_ACCOUNT_ID = re.compile(r"^[a-z][a-z0-9-]{4,28}[a-z0-9]$")
_RESOURCE_NAME = re.compile(r"^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$")
_SECRET_ID = re.compile(r"^[A-Za-z0-9_-]{1,255}$")
_ROLE = re.compile(r"^(roles/[A-Za-z0-9_.]+|projects/[a-z0-9-]+/roles/[A-Za-z0-9_.]+)$")


class StrictModel(BaseModel):
    # NaN and infinity pass every bound check (NaN compares false) and no API accepts them.
    model_config = ConfigDict(extra="forbid", strict=True, frozen=False, allow_inf_nan=False)


def _check_labels(labels: dict[str, str]) -> dict[str, str]:
    if len(labels) > 64:
        raise ValueError(f"at most 64 labels are allowed, got {len(labels)}")
    for key, value in labels.items():
        if not _LABEL_KEY.fullmatch(key):
            raise ValueError(
                f"label key {key!r} is invalid: keys are 1-63 characters of lowercase letters, digits,"
                " '_' and '-', starting with a letter"
            )
        if not _LABEL_VALUE.fullmatch(value):
            raise ValueError(
                f"label value {value!r} (key {key!r}) is invalid: values are 0-63 characters of"
                " lowercase letters, digits, '_' and '-'"
            )
    return labels


def _check_user_labels(labels: dict[str, str]) -> dict[str, str]:
    reserved = sorted(RESERVED_KEYS & labels.keys())
    if reserved:
        raise ValueError(
            f"label key(s) {', '.join(reserved)} are set by the provisioner to mark ownership"
            " and cannot be set in the spec"
        )
    return _check_labels(labels)


Labels = Annotated[dict[str, str], AfterValidator(_check_user_labels)]
"""GCP resource labels; the ownership labels are added by the provisioner."""


def valid_when(test: Callable[[Any], bool], problem: str) -> AfterValidator:
    """A field check: the value passes when ``test`` holds, else ``problem`` is what the operator reads.

    Most spec fields are a type plus one rule and one sentence saying what a valid value looks
    like; declaring the pair on the field's type keeps every such rule to one line beside its
    name, instead of a validator method each. ``problem`` is a format string given the
    offending value as ``value`` (``"cpu {value!r} is invalid; ..."``).
    """

    def check(value: Any) -> Any:
        if not test(value):
            raise ValueError(problem.format(value=value))
        return value

    return AfterValidator(check)


def matches(pattern: re.Pattern[str], problem: str) -> AfterValidator:
    """A field check: the whole string must match ``pattern`` (see :func:`valid_when`)."""
    return valid_when(lambda value: pattern.fullmatch(value) is not None, problem)


def each_matches(pattern: re.Pattern[str], problem: str) -> AfterValidator:
    """A list check: every item must match ``pattern`` whole, else ``problem`` names the first that does not.

    The problem is the list's, as a set of names (domains, APIs) is read as one setting.
    """

    def check(values: list[str]) -> list[str]:
        for value in values:
            if not pattern.fullmatch(value):
                raise ValueError(problem.format(value=value))
        return values

    return AfterValidator(check)


def requires_keys(required: tuple[str, ...], problem: str) -> AfterValidator:
    """A mapping check: every key in ``required`` must be present.

    The application needs some entries by name (its buckets, its services, its keys); a spec
    that leaves one out is refused with ``problem``, a format string given the missing and the
    required keys, comma-separated, as ``missing`` and ``required``.
    """

    def check(entries: dict[str, Any]) -> dict[str, Any]:
        missing = [key for key in required if key not in entries]
        if missing:
            raise ValueError(problem.format(missing=", ".join(missing), required=", ".join(required)))
        return entries

    return AfterValidator(check)


def repeated(values: Iterable[str]) -> list[str]:
    """The values that occur more than once, sorted: what a list meant as a set must not have."""
    seen = Counter(values)
    return sorted(value for value, count in seen.items() if count > 1)


def listed_once(noun: str) -> AfterValidator:
    """A list check: a list meant as a set names each value once; the problem names the repeats
    (``"api(s) a, b are listed more than once"``)."""

    def check(values: list[str]) -> list[str]:
        duplicates = repeated(values)
        if duplicates:
            raise ValueError(f"{noun}(s) {', '.join(duplicates)} are listed more than once")
        return values

    return AfterValidator(check)


ServiceAccountId = Annotated[
    str,
    matches(
        _ACCOUNT_ID,
        "service account id {value!r} is invalid: 6-30 characters of lowercase letters, digits"
        " and '-', starting with a letter and not ending with '-'",
    ),
]

ResourceName = Annotated[
    str,
    matches(
        _RESOURCE_NAME,
        "name {value!r} is invalid: 1-63 characters of lowercase letters, digits and '-',"
        " starting with a letter and not ending with '-'",
    ),
]
"""A Compute-style resource name (RFC 1035 label)."""

SecretId = Annotated[
    str,
    matches(_SECRET_ID, "secret id {value!r} is invalid: 1-255 characters of letters, digits, '_' and '-'"),
]

Role = Annotated[
    str,
    matches(_ROLE, "role {value!r} is invalid: expected 'roles/<name>' or 'projects/<id>/roles/<name>'"),
]


def _check_cidr(value: str) -> str:
    try:
        network = ipaddress.IPv4Network(value, strict=True)
    except ipaddress.NetmaskValueError as exc:
        raise ValueError(f"{value!r} is not a valid IPv4 CIDR range: {exc}") from None
    except ValueError as exc:
        if "has host bits set" in str(exc):
            base = ipaddress.IPv4Network(value, strict=False)
            raise ValueError(
                f"{value!r} has host bits set; the range starting at its network address is {base}"
            ) from None
        raise ValueError(f"{value!r} is not a valid IPv4 CIDR range (expected e.g. '10.0.0.0/20')") from None
    if "/" not in value:
        raise ValueError(f"{value!r} needs a prefix length, e.g. '{value}/24'")
    return str(network)


Cidr = Annotated[str, AfterValidator(_check_cidr)]
"""An IPv4 range in CIDR notation, normalised (``10.0.0.0/20``)."""


def _check_cidr28(value: str) -> str:
    value = _check_cidr(value)
    if not value.endswith("/28"):
        raise ValueError(f"{value!r} must be a /28 range (16 addresses), e.g. '10.8.0.0/28'")
    return value


Cidr28 = Annotated[str, AfterValidator(_check_cidr28)]

PositiveInt = Annotated[int, Field(ge=1)]
NonNegativeInt = Annotated[int, Field(ge=0)]
