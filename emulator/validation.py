"""Request checks against the discovery description: query parameters and bodies.

Messages follow the wording of Google's front end so that callers see what
they would see from the real API.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from typing import Any

from emulator import enums
from emulator.discovery import ApiDocument, Method
from emulator.errors import ApiError, invalid

_DURATION = re.compile(r"^-?\d+(\.\d{1,9})?s$")
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_INT = re.compile(r"^-?\d+$")
_INT64_RANGE = {
    "int64": (-(2**63), 2**63 - 1),
    "uint64": (0, 2**64 - 1),
    "int32": (-(2**31), 2**31 - 1),
    "uint32": (0, 2**32 - 1),
}
_STANDARD_EXTRA = {"$alt"}
# Compute Engine list methods accept `returnPartialSuccess` (gcloud always sends it on
# aggregated lists) although the shipped discovery documents of some methods predate it.
_PARTIAL_SUCCESS = {"type": "boolean", "location": "query"}


def snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def is_output_only(prop: dict[str, Any]) -> bool:
    if prop.get("readOnly"):
        return True
    text = prop.get("description", "").lstrip()
    return text.startswith(("Output only", "[Output Only]", "Output-only", "[Output-only]"))


def _required_error(name: str) -> ApiError:
    return ApiError(400, f"Required parameter: {name}", reason="required")


def validate_query(method: Method, query: dict[str, list[str]]) -> dict[str, Any]:
    """Typed query parameters, or a 400 for anything the API would refuse."""
    allowed = {**method.api.parameters, **method.query_parameters}
    out: dict[str, Any] = {}
    for name, values in query.items():
        if name in _STANDARD_EXTRA:
            out[name] = values[-1]
            continue
        spec = allowed.get(name)
        if spec is None and name == "returnPartialSuccess" and method.id.endswith(("list", "List")):
            spec = _PARTIAL_SUCCESS
        if spec is None:
            message = f'Invalid JSON payload received. Unknown name "{name}": Cannot bind query parameter.'
            raise invalid(message, field=name)
        typed = [_query_value(name, spec, v) for v in values]
        out[name] = typed if spec.get("repeated") else typed[-1]
    for name, spec in method.query_parameters.items():
        if spec.get("required") and name not in out:
            raise _required_error(name)
    return out


def _query_value(name: str, spec: dict[str, Any], raw: str) -> Any:
    kind = spec.get("type")
    if kind == "integer" or spec.get("format") in _INT64_RANGE:
        if not _INT.match(raw.strip()):
            raise invalid(
                f"Invalid value at '{name}' ({spec.get('format', 'int32').upper()}), \"{raw}\"", field=name
            )
        return int(raw)
    if kind == "boolean":
        if raw.lower() not in ("true", "false", "1", "0"):
            raise invalid(f"Invalid value at '{name}' (TYPE_BOOL), \"{raw}\"", field=name)
        return raw.lower() in ("true", "1")
    if kind == "number":
        try:
            return float(raw)
        except ValueError:
            raise invalid(f"Invalid value at '{name}' (TYPE_DOUBLE), \"{raw}\"", field=name) from None
    names = spec.get("enum")
    if names:
        if raw in names:
            return raw
        if _INT.match(raw) and 0 <= int(raw) < len(names):
            return names[int(raw)]
        raise invalid(f"Invalid value at '{name}' (TYPE_ENUM), \"{raw}\"", field=name)
    return raw


class BodyValidator:
    """Checks a JSON body against a discovery schema and returns its normal form.

    The normal form drops output-only fields (the API ignores them on input),
    turns integer enums into names, int64 into strings and int32 into numbers.
    """

    def __init__(self, doc: ApiDocument) -> None:
        self.doc = doc
        self.service = doc.name

    def validate(self, ref: str, body: Any) -> dict[str, Any]:
        root = "" if ref.endswith("Request") else snake(ref)
        if not isinstance(body, dict):
            raise invalid("Invalid JSON payload received. Expected an object.")
        return self._object(ref, self.doc.schema(ref), body, root)

    def _object(self, ref: str, schema: dict[str, Any], body: dict[str, Any], path: str) -> dict[str, Any]:
        props = schema.get("properties", {})
        extra = schema.get("additionalProperties")
        out: dict[str, Any] = {}
        for key, value in body.items():
            prop = props.get(key)
            if prop is None:
                prop = self._by_snake_name(props, key)
            if prop is None:
                if extra is not None:
                    out[key] = self._value(ref, key, extra, value, _join(path, key))
                    continue
                where = f" at '{path}'" if path else ""
                message = f'Invalid JSON payload received. Unknown name "{key}"{where}: Cannot find field.'
                raise invalid(message, field=path or key)
            if is_output_only(prop):
                continue
            name = prop.get("_json_name", key)
            out[name] = self._value(ref, name, prop, value, _join(path, snake(name)))
        return out

    @staticmethod
    def _by_snake_name(props: dict[str, Any], key: str) -> dict[str, Any] | None:
        # Google's JSON parser accepts the proto field name as well as the JSON name.
        for name, prop in props.items():
            if snake(name) == key and name != key:
                return {**prop, "_json_name": name}
        return None

    def _type_error(self, path: str, kind: str, value: Any) -> ApiError:
        return invalid(f"Invalid value at '{path}' ({kind}), {json.dumps(value)}", field=path)

    def _value(self, ref: str, key: str, prop: dict[str, Any], value: Any, path: str) -> Any:
        if value is None:
            return None
        if "$ref" in prop:
            sub_ref = prop["$ref"]
            if not isinstance(value, dict):
                raise self._type_error(path, self._proto_type_name(sub_ref), value)
            return self._object(sub_ref, self.doc.schema(sub_ref), value, path)
        kind = prop.get("type")
        fmt = prop.get("format")
        if kind == "array":
            if not isinstance(value, list):
                raise self._type_error(path, "TYPE_LIST", value)
            return [
                self._value(ref, key, prop.get("items", {}), v, f"{path}[{i}]") for i, v in enumerate(value)
            ]
        if kind == "object":
            if not isinstance(value, dict):
                raise self._type_error(path, "TYPE_MESSAGE", value)
            if "properties" in prop or "additionalProperties" in prop:
                return self._object(ref, prop, value, path)
            return value
        if kind == "any":
            return value
        if "enum" in prop:
            return self._enum(ref, key, prop, value, path)
        if kind == "boolean":
            if not isinstance(value, bool):
                raise self._type_error(path, "TYPE_BOOL", value)
            return value
        if kind == "integer" or (kind == "string" and fmt in _INT64_RANGE):
            return self._integer(fmt or "int32", value, path)
        if kind == "number":
            if isinstance(value, bool) or not isinstance(value, (int, float, str)):
                raise self._type_error(path, "TYPE_DOUBLE", value)
            try:
                return float(value)
            except ValueError:
                raise self._type_error(path, "TYPE_DOUBLE", value) from None
        if kind == "string":
            if not isinstance(value, str):
                raise self._type_error(path, "TYPE_STRING", value)
            self._string_format(fmt, value, path)
            return value
        return value

    def _integer(self, fmt: str, value: Any, path: str) -> Any:
        label = f"TYPE_{fmt.upper()}"
        if isinstance(value, bool):
            raise self._type_error(path, label, value)
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, str) and _INT.match(value.strip()):
            number = int(value)
        elif isinstance(value, int):
            number = value
        else:
            raise self._type_error(path, label, value)
        low, high = _INT64_RANGE.get(fmt, _INT64_RANGE["int64"])
        if not low <= number <= high:
            raise self._type_error(path, label, value)
        return str(number) if fmt in ("int64", "uint64") else number

    def _string_format(self, fmt: str | None, value: str, path: str) -> None:
        if fmt == "google-duration" and not _DURATION.match(value):
            raise invalid(
                f"Invalid value at '{path}' (type.googleapis.com/google.protobuf.Duration), "
                f"Field '{path}', Illegal duration format; duration must end with 's'",
                field=path,
            )
        if fmt == "google-datetime" and not _DATETIME.match(value):
            raise invalid(
                f"Invalid value at '{path}' (type.googleapis.com/google.protobuf.Timestamp), "
                f"Field '{path}', Invalid time format: {value}",
                field=path,
            )
        if fmt == "date" and not _DATE.match(value):
            raise self._type_error(path, "TYPE_STRING", value)
        if fmt == "byte":
            try:
                base64.b64decode(
                    value + "=" * (-len(value) % 4), altchars=b"-_" if "-" in value or "_" in value else None
                )
            except (binascii.Error, ValueError):
                raise self._type_error(path, "TYPE_BYTES", value) from None

    def _enum(self, ref: str, key: str, prop: dict[str, Any], value: Any, path: str) -> str:
        names: list[str] = prop["enum"]
        if isinstance(value, str) and (
            value in names or value in enums.ENUM_ALIASES.get((self.service, ref, key), ())
        ):
            return value
        if isinstance(value, int) and not isinstance(value, bool):
            name = enums.enum_name(self.service, ref, key, value, names)
            if name is not None and name in names:
                return name
        raise self._type_error(path, self._enum_type_name(ref, key), value)

    def _enum_type_name(self, ref: str, key: str) -> str:
        enum = enums._enum_field(self.service, ref, key)
        return f"type.googleapis.com/{enum.full_name}" if enum is not None else "TYPE_ENUM"

    def _proto_type_name(self, ref: str) -> str:
        return f"type.googleapis.com/{ref}"


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key
