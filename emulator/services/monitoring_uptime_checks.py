"""Cloud Monitoring uptime checks (v3): server-named, checked as the API checks them, masked patch.

Real traffic first: Config Connector's recordings ("KCC log" below: k8s-config-connector
pkg/test/resourcefixture/testdata/basic/monitoring/v1beta1/monitoringuptimecheckconfig/ at
cdb85ecf17, vendored in conformance/kcc-golden/monitoring/v1beta1/); then the API reference
(the `UptimeCheckConfig` schema of the monitoring v3 discovery document,
https://cloud.google.com/monitoring/api/ref_v3/rest/v3/projects.uptimeCheckConfigs) and the
update request (UpdateUptimeCheckConfigRequest); each rule cites its source where it is applied.
"""

from __future__ import annotations

import base64
import dataclasses
from typing import Any

from emulator import standard
from emulator.clock import parse_duration
from emulator.collection import declare
from emulator.errors import invalid, not_found
from emulator.registry import Api, Call
from emulator.services import _monitoring as m

API = Api("monitoring", "v3")

UPTIME_CHECK = "monitoring.uptimeCheckConfig"
LABEL = "Uptime check configuration"

# "the only supported values are 60s (1 minute), 300s (5 minutes), 600s (10 minutes), and 900s
# (15 minutes). Optional, defaults to 60s." (UptimeCheckConfig.period, discovery document). The
# default is not written back: a create without a period is answered without one
# (k8s-config-connector tcpuptimecheckconfig/_http.log at commit 099666127c, gRPC create).
PERIODS = ("60s", "300s", "600s", "900s")
# "The following monitored resource types are valid for this field: uptime_url, gce_instance,
# gae_app, aws_ec2_instance, aws_elb_load_balancer k8s_service servicedirectory_service
# cloud_run_revision" (UptimeCheckConfig.monitoredResource, discovery document)
RESOURCE_TYPES = frozenset(
    {
        "uptime_url",
        "gce_instance",
        "gae_app",
        "aws_ec2_instance",
        "aws_elb_load_balancer",
        "k8s_service",
        "servicedirectory_service",
        "cloud_run_revision",
    }
)
# The labels of `uptime_url`: project_id and host, host required to make the URL
# (https://cloud.google.com/monitoring/api/resources#tag_uptime_url).
URL_LABELS = frozenset({"project_id", "host"})
# "enough regions must be provided to include a minimum of 3 locations" (selectedRegions,
# discovery document); USA holds Oregon, Iowa and Virginia, every other region one location
# (https://github.com/2i2c-org/infrastructure/issues/2320 lists the six locations).
MIN_LOCATIONS = 3
LOCATIONS = {"USA": 3}
# "The following fields can be updated: display_name, http_check, tcp_check, timeout,
# content_matchers, and selected_regions."
# (https://cloud.google.com/python/docs/reference/monitoring/latest/google.cloud.monitoring_v3.types.UpdateUptimeCheckConfigRequest)
# and the period too: a mask naming `period` moved it from 60s to 300s (KCC log
# httpuptimecheckconfig, exchange 2), which the reference's list leaves out.
MUTABLE = {"displayName", "httpCheck", "tcpCheck", "timeout", "contentMatchers", "selectedRegions", "period"}
#: What a whole replacement (no mask) must leave as it is, by its name in error messages: the
#: target of the check (immutable in the Terraform provider's
#: mmv1/products/monitoring/UptimeCheckConfig.yaml, and outside the reference's list).
FIXED = {"monitoredResource": "monitored_resource", "resourceGroup": "resource_group"}
#: How the API shows a secret it keeps: a basic-auth password, and header values under
#: `maskHeaders` (KCC log httpuptimecheckconfig, exchange 0).
MASKED = "******"
# What a request may carry at all: the output-only `name` aside, the schema's fields.
WRITABLE = MUTABLE | {
    "monitoredResource",
    "resourceGroup",
    "syntheticMonitor",
    "period",
    "checkerType",
    "isInternal",
    "internalCheckers",
    "logCheckFailures",
    "disabled",
    "userLabels",
}


def _check(config: dict[str, Any]) -> None:
    if not config.get("displayName"):
        # "A human-friendly name for the Uptime check configuration. ... Required." (displayName)
        raise invalid(
            "uptime_check_config.display_name is required.", field="uptime_check_config.display_name"
        )
    targets = [t for t in ("monitoredResource", "resourceGroup", "syntheticMonitor") if config.get(t)]
    if len(targets) != 1:
        # One target: the resource, group or synthetic monitor the check is of (the `resource`
        # oneof of google/monitoring/v3/uptime.proto; exactly_one_of in the Terraform provider's
        # mmv1/products/monitoring/UptimeCheckConfig.yaml).
        raise invalid(
            "An uptime check needs exactly one of monitored_resource, resource_group, synthetic_monitor.",
            field="uptime_check_config",
        )
    resource = config.get("monitoredResource") or {}
    if resource and resource.get("type") not in RESOURCE_TYPES:
        raise invalid(
            f"Monitored resource type '{resource.get('type')}' is not supported for uptime checks.",
            field="uptime_check_config.monitored_resource.type",
        )
    if resource.get("type") == "uptime_url":
        labels = resource.get("labels") or {}
        if not labels.get("host") or set(labels) - URL_LABELS:
            raise invalid(
                "A monitored resource of type uptime_url takes the labels host (required) and project_id.",
                field="uptime_check_config.monitored_resource.labels",
            )
    if not config.get("syntheticMonitor") and len([c for c in ("httpCheck", "tcpCheck") if c in config]) != 1:
        # The `check_request_type` oneof of uptime.proto: an HTTP or a TCP check.
        raise invalid(
            "An uptime check needs exactly one of http_check, tcp_check.", field="uptime_check_config"
        )
    timeout = config.get("timeout")
    if timeout is None or not 1 <= parse_duration(timeout) <= 60:
        # "The maximum amount of time to wait for the request to complete (must be between 1 and
        # 60 seconds). Required." (timeout). The shortest period is 60s, so a timeout never
        # outlasts the period.
        raise invalid(
            f"uptime_check_config.timeout must be between 1s and 60s; got {timeout}.",
            field="uptime_check_config.timeout",
        )
    if config.get("period", PERIODS[0]) not in PERIODS:
        raise invalid(
            f"uptime_check_config.period must be one of {', '.join(PERIODS)}; got {config['period']}.",
            field="uptime_check_config.period",
        )
    regions = config.get("selectedRegions")
    if regions and sum(LOCATIONS.get(r, 1) for r in regions) < MIN_LOCATIONS:
        raise invalid(
            f"selected_regions must include at least {MIN_LOCATIONS} locations; {', '.join(regions)}"
            " hold fewer.",
            field="uptime_check_config.selected_regions",
        )
    m.check_user_labels(config.get("userLabels"), "uptime_check_config.user_labels")


def _settled(config: dict[str, Any]) -> dict[str, Any]:
    """The check with the values the API fills in."""
    out = dict(config)
    http = out.get("httpCheck")
    if http is not None:
        http = dict(http)
        # "Optional (defaults to "/"). ... If the provided path does not begin with "/", a "/"
        # will be prepended automatically." (HttpCheck.path)
        path = http.get("path") or "/"
        http["path"] = path if path.startswith("/") else "/" + path
        # "Optional (defaults to 80 when use_ssl is false, and 443 when use_ssl is true)." (HttpCheck.port;
        # answered back: `default_from_api` in the Terraform provider's UptimeCheckConfig.yaml)
        http.setdefault("port", 443 if http.get("useSsl") else 80)
        # "Users can provide a Content-Length header via the headers field or the API will do so."
        # (HttpCheck.body); the KCC log's answers carry it.
        if http.get("body") and "Content-Length" not in (http.get("headers") or {}):
            length = len(base64.b64decode(http["body"]))
            http["headers"] = {**(http.get("headers") or {}), "Content-Length": str(length)}
        if http.get("maskHeaders"):
            http["headers"] = {k: MASKED for k in http.get("headers") or {}}
        if (http.get("authInfo") or {}).get("password"):
            http["authInfo"] = {**http["authInfo"], "password": MASKED}
        # A false `validateSsl` is not answered back (KCC log, exchange 0): JSON of a proto3 default.
        out["httpCheck"] = {k: v for k, v in http.items() if v is not False}
    # "CHECKER_TYPE_UNSPECIFIED: ... Currently converted to STATIC_IP_CHECKERS on creation." (checkerType)
    if out.get("checkerType", "CHECKER_TYPE_UNSPECIFIED") == "CHECKER_TYPE_UNSPECIFIED":
        out["checkerType"] = "STATIC_IP_CHECKERS"
    return out


@API.handles("monitoring.projects.uptimeCheckConfigs.create")
def create_check(call: Call) -> dict[str, Any]:
    project = m.project_of(call, call.param("parent"), "monitoring.uptimeCheckConfigs.create")
    body = standard.drop_none(call.body or {})
    # "This field should be omitted when creating the Uptime check configuration; on create, the
    # resource name is assigned by the server and included in the response." (name)
    config = {k: v for k, v in body.items() if k in WRITABLE}
    _check(config)
    parent = f"projects/{project}"
    name = f"{parent}/uptimeCheckConfigs/{m.new_id(call, UPTIME_CHECK, parent, 'uptimeCheckConfigs')}"
    stored = {**_settled(config), "name": name}
    call.ctx.store.put(UPTIME_CHECK, name, stored, parent)
    return stored


@API.handles("monitoring.projects.uptimeCheckConfigs.patch")
def patch_check(call: Call) -> dict[str, Any]:
    name = m.canonical(call, call.param("name"), "uptimeCheckConfigs", "monitoring.uptimeCheckConfigs.update")
    current = _fetch(call, UPTIME_CHECK, name, LABEL)
    body = {k: v for k, v in standard.drop_none(call.body or {}).items() if k in WRITABLE}
    mask = call.query.get("updateMask")
    if mask:
        # "If present, only the listed fields in the current Uptime check configuration are
        # updated"; a field named but left out of the body is cleared (UpdateUptimeCheckConfigRequest).
        updated = standard.apply_update_mask(current, body, mask, MUTABLE, "UptimeCheckConfig")
    else:
        # No mask: "the current configuration is completely replaced with the new configuration";
        # a replacement must keep the period and the target, or it is refused
        # (hashicorp/terraform-provider-google#2703, GoogleCloudPlatform/magic-modules#1129).
        for fixed, spelled in FIXED.items():
            if body.get(fixed) != current.get(fixed):
                raise invalid(
                    f"The {spelled} of an uptime check cannot be changed.",
                    field=f"uptime_check_config.{spelled}",
                )
        updated = {**body, "name": name}
    _check(updated)
    stored = _settled(updated)
    call.ctx.store.put(UPTIME_CHECK, name, stored, name.split("/uptimeCheckConfigs/")[0])
    return stored


def _fetch(call: Call, kind: str, name: str, label: str) -> dict[str, Any]:
    found = call.ctx.store.get(kind, name)
    if found is None:
        # "Config not found for check ${uptimeCheckConfigID} in project ${projectId}" (KCC log, last exchange)
        project, _, check = name.removeprefix("projects/").partition("/uptimeCheckConfigs/")
        raise not_found(f"Config not found for check {check} in project {project}")
    return found


UPTIME_CHECKS = declare(
    API,
    dataclasses.replace(
        m.collection("uptimeCheckConfigs", UPTIME_CHECK, LABEL, parent_param="parent"), fetch=_fetch
    ),
    frozenset({"get", "list", "delete"}),
)
