"""How long an operation takes before it is DONE.

Two profiles:

- ``flat``: every operation takes ``EmulatorConfig.operation_delay_s``
  (default 0: done on the first poll). Good for fast tests.
- ``realistic``: each kind of operation takes what the real API typically
  takes (shared/reference/gcp-api-behaviour.md, A.2), multiplied by
  ``EmulatorConfig.profile_scale`` (default 0.01, so a ten-minute Cloud SQL
  create takes six seconds). Good for seeing what a caller does while it waits
  and which of its waits overlap.

A handler names its operation with a key such as ``("compute", "insert",
"networks")`` or ``("sqladmin", "CREATE", "REGIONAL")``: service, verb, then
anything that refines it. The realistic table is searched with the full key,
then with the verb replaced by ``*``, then with ever shorter prefixes, then
``("*",)``. Keys are matched exactly, so verbs use the API's own spelling
(compute method names, Cloud SQL ``operationType`` values).

Realistic table, in seconds at scale 1 (unscaled):

=============================================  ======  ===========================================
key                                            secs    basis
=============================================  ======  ===========================================
compute                                        20      global resources take tens of seconds
compute * networks                             22      network insert seen at 22 s
compute * routers                              11      router insert seen at 11 s
compute * globalForwardingRules                21      forwarding-rule op seen at ~21 s
compute setLabels                              5       label edits; assumption
servicenetworking                              60      unverified (TPG allows 10 min)
vpcaccess                                      120     unverified (TPG allows 20 min)
sqladmin                                       60      other admin operations; assumption
sqladmin CREATE                                600     10-11 min seen for dedicated-core Postgres
sqladmin CREATE REGIONAL                       720     HA create unverified; at least zonal
sqladmin CREATE SHARED_CORE                    1800    30-50 min seen for db-f1-micro
sqladmin UPDATE                                60      patch without a tier change; assumption
sqladmin UPDATE TIER                           300     tier change restarts; duration unverified
sqladmin RESTART                               60      assumption
sqladmin DELETE                                60      assumption
sqladmin BACKUP_VOLUME                         120     on-demand backup of a small database; assumption
sqladmin RESTORE_VOLUME                        300     restore restarts the instance; assumption
sqladmin DELETE_BACKUP                         10      assumption
sqladmin CREATE_DATABASE / DELETE_DATABASE     10      assumption
sqladmin UPDATE_DATABASE                       10      assumption
sqladmin CREATE_USER / UPDATE_USER /           10      assumption
DELETE_USER
container CREATE_CLUSTER                       600     several minutes to over 15
container CREATE_NODE_POOL                     240     minutes for small pools
container                                      120     assumption
run                                            30      unverified; container start is bounded 4 min
cloudkms / storage / secretmanager /           0       synchronous or near-instant
monitoring / cloudscheduler
(anything else)                                10      assumption
=============================================  ======  ===========================================
"""

from __future__ import annotations

PROFILES = ("flat", "realistic")

REALISTIC: dict[tuple[str, ...], float] = {
    ("compute",): 20.0,
    ("compute", "*", "networks"): 22.0,
    ("compute", "*", "routers"): 11.0,
    ("compute", "*", "globalForwardingRules"): 21.0,
    ("compute", "setLabels"): 5.0,
    ("servicenetworking",): 60.0,
    ("vpcaccess",): 120.0,
    ("sqladmin",): 60.0,
    ("sqladmin", "CREATE"): 600.0,
    ("sqladmin", "CREATE", "REGIONAL"): 720.0,
    ("sqladmin", "CREATE", "SHARED_CORE"): 1800.0,
    ("sqladmin", "UPDATE"): 60.0,
    ("sqladmin", "UPDATE", "TIER"): 300.0,
    ("sqladmin", "RESTART"): 60.0,
    ("sqladmin", "DELETE"): 60.0,
    ("sqladmin", "BACKUP_VOLUME"): 120.0,
    ("sqladmin", "RESTORE_VOLUME"): 300.0,
    ("sqladmin", "DELETE_BACKUP"): 10.0,
    ("sqladmin", "CREATE_DATABASE"): 10.0,
    ("sqladmin", "UPDATE_DATABASE"): 10.0,
    ("sqladmin", "DELETE_DATABASE"): 10.0,
    ("sqladmin", "CREATE_USER"): 10.0,
    ("sqladmin", "UPDATE_USER"): 10.0,
    ("sqladmin", "DELETE_USER"): 10.0,
    ("container",): 120.0,
    ("container", "CREATE_CLUSTER"): 600.0,
    ("container", "CREATE_NODE_POOL"): 240.0,
    ("run",): 30.0,
    ("cloudkms",): 0.0,
    ("storage",): 0.0,
    ("secretmanager",): 0.0,
    ("monitoring",): 0.0,
    ("cloudscheduler",): 0.0,
    ("*",): 10.0,
}


#: How long, unscaled, something Google says is done takes to become usable everywhere:
#: - "api": calls to an API answer 403 SERVICE_DISABLED after its enable operation is done,
#:   "If you enabled this API recently, wait a few minutes for the action to propagate to our
#:   systems and retry." (the error's own text; emulator.service_catalog.service_disabled);
#: - "metric": an alert policy on a user-defined metric is refused with 404 "If a metric was
#:   created recently, it could take up to 10 minutes to become available." (the error's text,
#:   hashicorp/terraform-provider-google#11102, GoogleCloudPlatform/cloud-foundation-fabric#3739).
#: The realistic profile takes the worst case Google states, scaled like the operations.
PROPAGATION: dict[str, float] = {"api": 180.0, "metric": 600.0}


def propagation_seconds(what: str, *, profile: str, scale: float, override: float | None) -> float:
    """Seconds until `what` ("api" or "metric") made just now is usable (0 under the flat profile)."""
    if override is not None:
        return override
    return PROPAGATION[what] * scale if profile == "realistic" else 0.0


def realistic_seconds(key: tuple[str, ...]) -> float:
    """Unscaled typical duration for an operation key (see the module table)."""
    for candidate in _candidates(key):
        if candidate in REALISTIC:
            return REALISTIC[candidate]
    return REALISTIC[("*",)]


def _candidates(key: tuple[str, ...]) -> list[tuple[str, ...]]:
    found: list[tuple[str, ...]] = []
    for length in range(len(key), 0, -1):
        prefix = key[:length]
        found.append(prefix)
        if length >= 3:
            found.append((prefix[0], "*", *prefix[2:]))
    return found


def operation_seconds(
    key: tuple[str, ...] | None, *, profile: str, flat_delay_s: float, scale: float
) -> float:
    if profile == "flat":
        return flat_delay_s
    if profile == "realistic":
        return realistic_seconds(key or ("*",)) * scale
    raise ValueError(f"unknown operation profile {profile!r}; choose one of {', '.join(PROFILES)}")
