"""Cloud Monitoring notification channels: server-assigned names, typed labels, masked patch,
and deletes refused while an alert policy still notifies the channel (unless `force`).

Channel types are declared by their descriptors: the labels each type takes, which of them
are required, and whether the channel must be verified before it can be relied on.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from typing import Any

from emulator import standard
from emulator.collection import declare
from emulator.errors import failed_precondition, invalid
from emulator.registry import Api, Call
from emulator.services import _monitoring as m

API = Api("monitoring", "v3")

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE = re.compile(r"^\+[1-9]\d{6,14}$")


@dataclass(frozen=True)
class ChannelType:
    labels: frozenset[str]
    required: frozenset[str]
    #: Verification applies to the type: new channels start UNVERIFIED.
    verified: bool = False


TYPES = {
    "email": ChannelType(frozenset({"email_address"}), frozenset({"email_address"})),
    "sms": ChannelType(frozenset({"number"}), frozenset({"number"}), verified=True),
    "slack": ChannelType(frozenset({"channel_name", "auth_token"}), frozenset({"channel_name"})),
    "pagerduty": ChannelType(frozenset({"service_key"}), frozenset({"service_key"})),
    "pubsub": ChannelType(frozenset({"topic"}), frozenset({"topic"})),
    "webhook_tokenauth": ChannelType(frozenset({"url"}), frozenset({"url"})),
    # conformance/kcc-golden/monitoring/v1beta1/monitoringnotificationchannel/
    # monitoringnotificationchannel/_http.log, exchange 0.
    "webhook_basicauth": ChannelType(frozenset({"url", "username", "password"}), frozenset({"url"})),
}
#: Labels the API never returns in clear.
SECRET_LABELS = frozenset({"auth_token", "password", "service_key"})
MUTABLE = {"displayName", "description", "labels", "userLabels", "enabled"}


def _check(channel: dict[str, Any]) -> ChannelType:
    kind = channel.get("type")
    if not kind:
        raise invalid("Field notification_channel.type is required.", field="notification_channel.type")
    spec = TYPES.get(kind)
    if spec is None:
        raise invalid(
            f"Unknown notification channel type '{kind}'; see notificationChannelDescriptors.list"
            " for the supported types.",
            field="notification_channel.type",
        )
    labels = channel.get("labels") or {}
    for key in labels:
        if key not in spec.labels:
            raise invalid(
                f"Label '{key}' is not defined for notification channels of type '{kind}'.",
                field="notification_channel.labels",
            )
    for key in sorted(spec.required - set(labels)):
        raise invalid(
            f"Notification channels of type '{kind}' require the label '{key}'.",
            field="notification_channel.labels",
        )
    email = labels.get("email_address")
    if email is not None and not _EMAIL.match(email):
        raise invalid(f"'{email}' is not a valid email address.", field="notification_channel.labels")
    number = labels.get("number")
    if number is not None and not _PHONE.match(number):
        raise invalid(
            f"'{number}' is not a phone number in E.164 format.", field="notification_channel.labels"
        )
    if len(channel.get("displayName") or "") > 512:
        raise invalid("display_name is limited to 512 characters.", field="notification_channel.display_name")
    m.check_user_labels(channel.get("userLabels"), "notification_channel.user_labels")
    return spec


def _shown(channel: dict[str, Any]) -> dict[str, Any]:
    """The channel as the API returns it: secret labels obfuscated."""
    out = copy.deepcopy(channel)
    labels = out.get("labels") or {}
    for key in SECRET_LABELS & set(labels):
        labels[key] = "*" * 10
    return out


@API.handles("monitoring.projects.notificationChannels.create")
def create_channel(call: Call) -> dict[str, Any]:
    project = m.project_of(call, call.param("name"), "monitoring.notificationChannels.create")
    body = standard.drop_none(call.body or {})
    spec = _check(body)
    parent = f"projects/{project}"
    name = f"{parent}/notificationChannels/{m.new_id(call, m.CHANNEL, parent, 'notificationChannels')}"
    record = m.mutation_record(call, by=False)
    channel = {
        **{k: v for k, v in body.items() if k in MUTABLE | {"type"}},
        "name": name,
        "enabled": body.get("enabled", True),
        "creationRecord": record,
        "mutationRecords": [record],
    }
    if spec.verified:
        channel["verificationStatus"] = "UNVERIFIED"
    call.ctx.store.put(m.CHANNEL, name, channel, parent)
    return _shown(channel)


@API.handles("monitoring.projects.notificationChannels.patch")
def patch_channel(call: Call) -> dict[str, Any]:
    name = m.canonical(
        call, call.param("name"), "notificationChannels", "monitoring.notificationChannels.update"
    )
    current = m.fetch(call, m.CHANNEL, name, "Notification channel")
    body = standard.drop_none(call.body or {})
    if body.get("type") not in (None, current["type"]):
        raise invalid(
            "The type of a notification channel cannot be changed.", field="notification_channel.type"
        )
    mask = call.query.get("updateMask")
    if mask:
        updated = standard.apply_update_mask(current, body, mask, MUTABLE, "NotificationChannel")
    else:
        # No mask: every updatable field is replaced by the request's.
        updated = {k: v for k, v in current.items() if k not in MUTABLE}
        updated.update({k: v for k, v in body.items() if k in MUTABLE})
        updated.setdefault("enabled", True)
    spec = _check(updated)
    if spec.verified and updated.get("labels") != current.get("labels"):
        updated["verificationStatus"] = "UNVERIFIED"  # a new address must be verified again
    updated["mutationRecords"] = [*current.get("mutationRecords", []), m.mutation_record(call, by=False)]
    call.ctx.store.put(m.CHANNEL, name, updated, name.split("/notificationChannels/")[0])
    return _shown(updated)


@API.handles("monitoring.projects.notificationChannels.delete")
def delete_channel(call: Call) -> dict[str, Any]:
    name = m.canonical(
        call, call.param("name"), "notificationChannels", "monitoring.notificationChannels.delete"
    )
    m.fetch(call, m.CHANNEL, name, "Notification channel")
    parent = name.split("/notificationChannels/")[0]
    users = [
        p for p in call.ctx.store.list(m.POLICY, parent) if name in (p.get("notificationChannels") or [])
    ]
    if users and not call.query.get("force"):
        raise failed_precondition(
            f"Notification channel {name} is referenced by alert policies "
            f"{', '.join(p['name'] for p in users)}; remove it from them or delete with force=true."
        )
    for policy in users:
        policy["notificationChannels"] = [c for c in policy["notificationChannels"] if c != name]
        if not policy["notificationChannels"]:
            policy.pop("notificationChannels")
        call.ctx.store.put(m.POLICY, policy["name"], policy, parent)
    call.ctx.store.delete(m.CHANNEL, name)
    return {}


@API.handles("monitoring.projects.notificationChannels.verify")
def verify_channel(call: Call) -> dict[str, Any]:
    name = m.canonical(
        call, call.param("name"), "notificationChannels", "monitoring.notificationChannels.verify"
    )
    channel = m.fetch(call, m.CHANNEL, name, "Notification channel")
    if not TYPES[channel["type"]].verified:
        raise failed_precondition(f"Notification channels of type '{channel['type']}' are not verified.")
    if not re.fullmatch(r"G-\d{6}", str((call.body or {}).get("code", ""))):
        raise invalid("The verification code is invalid.", field="code")
    channel["verificationStatus"] = "VERIFIED"
    call.ctx.store.put(m.CHANNEL, name, channel, name.split("/notificationChannels/")[0])
    return _shown(channel)


CHANNELS = declare(
    API, m.collection("notificationChannels", m.CHANNEL, "Notification channel", render=_shown)
)
