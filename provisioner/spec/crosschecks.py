"""Rules that span sections of an environment spec.

Each check adds to a collector instead of raising, so a spec with several
mistakes gets all of them reported in one run.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from .gke import is_zone
from .rules import Path, ViolationCollector
from .storage import bucket_name_problem

if TYPE_CHECKING:
    from .models import EnvSpec

_CONNECTOR_NAME = re.compile(r"^[a-z][-a-z0-9]{0,23}[a-z0-9]$")


def check_environment(spec: EnvSpec) -> ViolationCollector:
    problems = ViolationCollector()
    for check in (
        _high_availability,
        _deletion_protection,
        _cidr_overlaps,
        _bucket_names,
        _kms_references,
        _cmek_locations,
        _lb_routes,
        _connector_name,
        _names_without_labels,
        _gke_locations,
    ):
        check(spec, problems)
    return problems


def _high_availability(spec: EnvSpec, problems: ViolationCollector) -> None:
    sql = spec.sql
    if sql.availability == "REGIONAL" and not spec.is_prod and not sql.allow_high_availability_outside_prod:
        problems.add(
            ("sql", "availability"),
            f"availability REGIONAL (high availability) is meant for prod, but env is {spec.env!r};"
            " use ZONAL, or set sql.allow_high_availability_outside_prod: true to pay for it anyway",
        )


def _deletion_protection(spec: EnvSpec, problems: ViolationCollector) -> None:
    sql = spec.sql
    if spec.is_prod and not sql.deletion_protection and not sql.allow_deletion_protection_off_in_prod:
        problems.add(
            ("sql", "deletion_protection"),
            "deletion_protection must be true in prod; to switch it off deliberately (e.g. before"
            " decommissioning) also set sql.allow_deletion_protection_off_in_prod: true",
        )


def _cidr_overlaps(spec: EnvSpec, problems: ViolationCollector) -> None:
    net = spec.network
    ranges: list[tuple[Path, str, str]] = [
        (("network", "subnet", "cidr"), "subnet", net.subnet.cidr),
        (("network", "subnet", "pods", "cidr"), "pods range", net.subnet.pods.cidr),
        (("network", "subnet", "services", "cidr"), "services range", net.subnet.services.cidr),
        (
            ("network", "private_service_access", "address"),
            "private service access range",
            net.private_service_access.cidr,
        ),
        (("network", "vpc_connector", "cidr"), "VPC connector range", net.vpc_connector.cidr),
        (("gke", "master_cidr"), "GKE master range", spec.gke.master_cidr),
    ]
    parsed = [(path, label, ipaddress.IPv4Network(cidr)) for path, label, cidr in ranges]
    for i, (_, label_a, net_a) in enumerate(parsed):
        for path_b, label_b, net_b in parsed[i + 1 :]:
            if net_a.overlaps(net_b):
                problems.add(
                    path_b,
                    f"{label_b} {net_b} overlaps the {label_a} {net_a}; every range in the VPC"
                    " (subnet, pods, services, private service access, connector, GKE master)"
                    " must be disjoint",
                )


def _bucket_names(spec: EnvSpec, problems: ViolationCollector) -> None:
    seen: dict[str, str] = {}
    entries: list[tuple[str, Path]] = [(key, ("storage", "buckets", key)) for key in spec.storage.buckets]
    entries.append(("state", ("storage", "state_bucket")))
    for key, path in entries:
        bucket = spec.storage.state_bucket if key == "state" else spec.storage.buckets[key]
        name = spec.bucket_name(key)
        field_path = (*path, "name") if bucket.name else path
        if bucket.name is None and (problem := bucket_name_problem(name)):
            problems.add(field_path, f"the default name {problem}; set an explicit name")
        if name in seen:
            problems.add(
                field_path,
                f"bucket name {name!r} is also used by {seen[name]}; bucket names must be unique",
            )
        else:
            seen[name] = ".".join(str(p) for p in path)


def _kms_references(spec: EnvSpec, problems: ViolationCollector) -> None:
    keys = spec.kms.keys
    valid = ", ".join(keys)
    uses_cmek = [k for k, b in spec.storage.buckets.items() if b.cmek] + (
        ["state_bucket"] if spec.storage.state_bucket.cmek else []
    )
    if spec.storage.kms_key is None and uses_cmek:
        problems.add(
            ("storage", "kms_key"),
            f"bucket(s) {', '.join(uses_cmek)} have cmek: true but storage.kms_key is not set;"
            f" name one of the keys in kms.keys ({valid}) or set cmek: false",
        )
    references: list[tuple[Path, str | None]] = [
        (("storage", "kms_key"), spec.storage.kms_key),
        (("sql", "kms_key"), spec.sql.kms_key),
        (("secrets", "kms_key"), spec.secrets.kms_key),
    ]
    for path, key in references:
        if key is not None and key not in keys:
            problems.add(path, f"key {key!r} is not defined in kms.keys; valid keys: {valid}")


def _cmek_locations(spec: EnvSpec, problems: ViolationCollector) -> None:
    kms_location = spec.kms_location.lower()
    if spec.storage.kms_key and spec.storage_location.lower() != kms_location:
        problems.add(
            ("storage", "location"),
            f"buckets in {spec.storage_location} cannot use a CMEK key in {spec.kms_location};"
            " the key ring must be in the same location as the buckets",
        )
    if spec.region.lower() != kms_location:
        problems.add(
            ("kms", "location"),
            f"Cloud SQL in {spec.region} needs its CMEK key in {spec.region}, not {spec.kms_location}",
        )


def _lb_routes(spec: EnvSpec, problems: ViolationCollector) -> None:
    routes = spec.lb.routes
    valid = ", ".join(spec.run.services)
    for name in ("websocket", "api", "static"):
        route = getattr(routes, name)
        if route.service not in spec.run.services:
            problems.add(
                ("lb", "routes", name, "service"),
                f"service {route.service!r} is not defined in run.services; valid services: {valid}",
            )
    behind = sorted({getattr(routes, n).service for n in ("websocket", "api", "static")})
    for key in behind:
        service = spec.run.services.get(key)
        if service is not None and not service.public:
            problems.add(
                ("run", "services", key, "public"),
                f"service {key!r} is behind the load balancer but not public: the load balancer"
                " forwards requests without identity tokens, so Cloud Run would refuse them with 403;"
                " set public: true",
            )


def _connector_name(spec: EnvSpec, problems: ViolationCollector) -> None:
    name = spec.connector_name
    if not _CONNECTOR_NAME.fullmatch(name):
        explicit = spec.network.vpc_connector.name is not None
        problems.add(
            ("network", "vpc_connector", "name") if explicit else ("network", "vpc_connector"),
            f"connector name {name!r} is invalid: VPC Access connector names are at most 25"
            " characters of lowercase letters, digits and '-'"
            + ("" if explicit else "; set vpc_connector.name explicitly"),
        )


def _names_without_labels(spec: EnvSpec, problems: ViolationCollector) -> None:
    """The APIs keep no labels on these: the provisioner knows its own by the name's prefix.

    A name without it could never be told apart from someone else's resource: every plan
    would hold it back as not ours, and no `--adopt` could change that.
    """
    prefix = f"{spec.name_prefix}-"
    named: list[tuple[Path, str | None, str]] = [
        (("kms", "key_ring"), spec.kms.key_ring, "key rings"),
        (("network", "vpc_name"), spec.network.vpc_name, "networks"),
        (("network", "subnet", "name"), spec.network.subnet.name, "subnetworks"),
        (("network", "router", "name"), spec.network.router.name, "routers"),
        (("network", "vpc_connector", "name"), spec.network.vpc_connector.name, "VPC Access connectors"),
    ]
    for path, name, what in named:
        if name is not None and not name.startswith(prefix):
            problems.add(
                path,
                f"{name!r} must start with {prefix!r}: the API keeps no labels on {what}, so the"
                f" provisioner tells its own apart by that prefix; rename it (e.g. {prefix + name!r}),"
                " or leave the key out for the default name",
            )


def _gke_locations(spec: EnvSpec, problems: ViolationCollector) -> None:
    """The cluster sits on the environment's subnet, so it and its pools are in its region."""
    region = spec.region
    location = spec.gke.location
    if (
        location is not None
        and location != region
        and not (is_zone(location) and location.rsplit("-", 1)[0] == region)
    ):
        problems.add(
            ("gke", "location"),
            f"location {location!r} is neither the region {region!r} (a regional cluster) nor one of"
            f" its zones (a zonal cluster, e.g. '{region}-a'); the cluster uses the subnet in {region}",
        )
    for key, pool in spec.gke.node_pools.items():
        for i, zone in enumerate(pool.node_locations or ()):
            if not is_zone(zone) or zone.rsplit("-", 1)[0] != region:
                problems.add(
                    ("gke", "node_pools", key, "node_locations", i),
                    f"{zone!r} is not a zone of {region!r}; a pool's nodes are in its cluster's region"
                    f" (e.g. '{region}-a')",
                )


def across_environments(specs: Sequence[EnvSpec]) -> list[str]:
    """Warnings about what environments validated together claim between them: the billing
    account's GKE free-tier credit covers one zonal or Autopilot cluster. Only warnings, since
    environments may be billed to different accounts, which the specs do not say."""
    claims = [spec.env for spec in specs if spec.gke.free_tier_credit]
    if len(claims) < 2:
        return []
    names = f"{', '.join(claims[:-1])} and {claims[-1]} {'both' if len(claims) == 2 else 'all'}"
    return [
        f"warning: {names} claim the GKE free-tier credit (gke.free_tier_credit),"
        " which covers one zonal or Autopilot cluster per billing account: unless they are billed"
        " to different accounts, `cost` counts the credit more than once; keep it on one of them"
    ]
