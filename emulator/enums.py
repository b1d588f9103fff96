"""Enum numbers from the protobuf descriptors of the installed client libraries.

gapic REST clients send enums as integers; discovery documents only list names.
The numbers are taken from the proto messages that correspond to discovery
schemas, never guessed from the order of the discovery list.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from functools import cache
from typing import Any

from google.protobuf.descriptor import Descriptor, EnumDescriptor, FieldDescriptor


@dataclass(frozen=True)
class ProtoSource:
    modules: tuple[str, ...]
    schema_prefix: str = ""


#: Names an API takes and answers beside those its discovery document lists:
#: (discovery service, schema, field) -> the other names. GKE takes `OS_2022`/`OS_2019` for a
#: Windows pool's OS version and answers with them: Config Connector's windowsNodeConfig fixture
#: was recorded on real GKE sending and reading `"osVersion": "OS_2022"`, and mockgcp was then
#: taught to take and answer the short names to match (k8s-config-connector commit 23ea943f9f,
#: mockgcp/mockcontainer/service.go, "Intercept Request Body: OS_2022 -> OS_VERSION_LTSC2022"
#: and back in the response; kcc-golden container/v1beta1/containernodepool/
#: containernodepool-windowsnodeconfig/_http.log #8).
ENUM_ALIASES: dict[tuple[str, str, str], tuple[str, ...]] = {
    ("container", "WindowsNodeConfig", "osVersion"): ("OS_2019", "OS_2022"),
    # An empty scheme is taken for a Private Service Connect forwarding rule (answered 200, and
    # read back without a scheme): kcc-golden compute/v1beta1/computeforwardingrule/
    # regionalcomputeforwardingrulepsc-direct/_http.log #53 and #55.
    ("compute", "ForwardingRule", "loadBalancingScheme"): ("",),
}

# discovery service name -> modules whose messages mirror its schemas.
PROTO_SOURCES: dict[str, ProtoSource] = {
    "cloudkms": ProtoSource(("google.cloud.kms_v1.types", "google.iam.v1.policy_pb2")),
    "run": ProtoSource(("google.cloud.run_v2.types", "google.iam.v1.policy_pb2"), "GoogleCloudRunV2"),
    "container": ProtoSource(("google.cloud.container_v1.types",)),
    "monitoring": ProtoSource(
        ("google.cloud.monitoring_v3.types", "google.cloud.monitoring_dashboard_v1.types")
    ),
}


def _module_descriptors(module_name: str) -> list[Descriptor]:
    try:
        module = importlib.import_module(module_name)
    except ImportError:
        return []
    found: list[Descriptor] = []
    for value in vars(module).values():
        desc = getattr(value, "DESCRIPTOR", None)
        if isinstance(desc, Descriptor):
            found.append(desc)
            continue
        pb = getattr(value, "pb", None)
        if callable(pb) and hasattr(value, "meta"):
            try:
                found.append(pb().DESCRIPTOR)
            except Exception:
                continue
    return found


@cache
def _message_index(service: str) -> dict[str, Descriptor]:
    source = PROTO_SOURCES.get(service)
    if source is None:
        return {}
    index: dict[str, Descriptor] = {}

    def add(desc: Descriptor, prefix: str) -> None:
        index.setdefault(desc.name, desc)
        index.setdefault(prefix + desc.name, desc)
        for nested in desc.nested_types:
            add(nested, prefix + desc.name)

    for module in source.modules:
        for desc in _module_descriptors(module):
            add(desc, "")
    return index


def _enum_field(service: str, schema: str, json_name: str) -> EnumDescriptor | None:
    source = PROTO_SOURCES.get(service)
    if source is None:
        return None
    index = _message_index(service)
    name = schema[len(source.schema_prefix) :] if schema.startswith(source.schema_prefix) else schema
    desc = index.get(name) or index.get(schema)
    if desc is None:
        return None
    for f in desc.fields:
        if f.json_name == json_name or f.name == json_name:
            return f.enum_type if f.type == FieldDescriptor.TYPE_ENUM else None
    return None


def enum_name(service: str, schema: str, field: str, number: int, names: list[str]) -> str | None:
    """The name of enum value `number`, or None when no such value exists."""
    enum = _enum_field(service, schema, field)
    if enum is not None:
        value = enum.values_by_number.get(number)
        return value.name if value is not None else None
    # No descriptor: proto3 enums in discovery are listed in number order from 0.
    if 0 <= number < len(names):
        return names[number]
    return None


def enum_number(
    service: str, schema: str, field: str, name: str, names: list[str] | None = None
) -> int | None:
    enum = _enum_field(service, schema, field)
    if enum is None:
        # No descriptor for the message: the discovery list's order, as enum_name reads it (Secret
        # Manager's SecretVersion.State answers 1, 2, 3 for ENABLED, DISABLED, DESTROYED:
        # conformance/kcc-golden/secretmanager/v1beta1/secretmanagersecretversion/.../_http.log
        # #2-#6; a dashboard's Text.Format MARKDOWN 1, FontSize FS_LARGE 4, PointerLocation
        # PL_TOP_LEFT 5: kcc-golden/monitoring/v1beta1/monitoringdashboard/, whose protos are not
        # installed).
        known = _message_index(service)
        message = schema[len(PROTO_SOURCES[service].schema_prefix) :] if service in PROTO_SOURCES else schema
        if known.get(message) or known.get(schema):
            return None  # a message we know, whose field is no enum
        return names.index(name) if names and name in names else None
    value = enum.values_by_name.get(name)
    return value.number if value is not None else None


def encode_enums_as_ints(service: str, doc_schemas: dict[str, Any], ref: str | None, value: Any) -> Any:
    """Rewrite enum names in a response as numbers, as the API does for enum-encoding=int."""
    if ref is None or not isinstance(value, dict):
        return value
    schema = doc_schemas.get(ref)
    if schema is None:
        return value
    return _encode_object(service, doc_schemas, ref, schema, value)


def _encode_object(
    service: str, schemas: dict[str, Any], ref: str, schema: dict[str, Any], value: dict[str, Any]
) -> Any:
    props = schema.get("properties", {})
    out: dict[str, Any] = {}
    for key, item in value.items():
        prop = props.get(key)
        if prop is None:
            extra = schema.get("additionalProperties")
            out[key] = _encode_value(service, schemas, ref, key, extra, item) if extra else item
            continue
        out[key] = _encode_value(service, schemas, ref, key, prop, item)
    return out


def _encode_value(
    service: str, schemas: dict[str, Any], ref: str, key: str, prop: dict[str, Any], item: Any
) -> Any:
    if "$ref" in prop:
        sub = schemas.get(prop["$ref"])
        if sub is not None and isinstance(item, dict):
            return _encode_object(service, schemas, prop["$ref"], sub, item)
        return item
    if prop.get("type") == "array" and isinstance(item, list):
        return [_encode_value(service, schemas, ref, key, prop.get("items", {}), x) for x in item]
    if prop.get("type") == "object" and isinstance(item, dict) and isinstance(item.get("@type"), str):
        # An `Any` (an operation's metadata or response) is encoded as the message its `@type`
        # names: a logging LinkMetadata's `state` answers 1 for OPERATION_STATE_SCHEDULED
        # (conformance/kcc-golden/monitoring/v1beta1/monitoringalertpolicy/
        # monitoringalertpolicysqlhourly/_http.log #4).
        message = item["@type"].rsplit(".", 1)[-1]
        sub = schemas.get(message)
        if sub is not None:
            return _encode_object(service, schemas, message, sub, item)
        return item
    if prop.get("type") == "object" and isinstance(item, dict) and "additionalProperties" in prop:
        return {
            k: _encode_value(service, schemas, ref, key, prop["additionalProperties"], v)
            for k, v in item.items()
        }
    if "enum" in prop and isinstance(item, str):
        number = enum_number(service, ref, key, item, prop["enum"])
        return number if number is not None else item
    return item
