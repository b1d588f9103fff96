"""Moving between proto-plus messages and the API's JSON shape.

Desired bodies are written in the REST JSON shape (camelCase, enum names, "7776000s"
durations), the shape every API description and every reviewer knows; typed clients
speak proto-plus messages. These two functions are the only bridge.
"""

from __future__ import annotations

import json
from typing import Any

from google.protobuf import json_format


def to_json_dict(message: Any) -> dict[str, Any]:
    # IAM methods return raw protobuf messages; everything else returns proto-plus wrappers.
    pb = message if hasattr(message, "DESCRIPTOR") else type(message).pb(message)
    as_dict: dict[str, Any] = json_format.MessageToDict(pb, preserving_proto_field_name=False)
    return as_dict


def from_json_dict(message_cls: Any, body: dict[str, Any]) -> Any:
    return message_cls.from_json(json.dumps(body), ignore_unknown_fields=False)
