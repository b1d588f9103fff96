"""Cloud Scheduler v1 jobs: create, get, list, patch, delete, pause, resume, run.

Synchronous, as the real API. The schedule is unix-cron (five fields, names allowed for
months and weekdays) and the time zone an IANA name; a job has exactly one target, and an
HTTP target calls with at most one of an OAuth token (Google APIs only) or an OIDC token,
whose service account must exist. The API fills in the retry policy, the attempt deadline,
the time zone and the next `scheduleTime`.
"""

from __future__ import annotations

import copy
import re
import zoneinfo
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlparse

from emulator import standard
from emulator.clock import format_rfc3339
from emulator.errors import already_exists, failed_precondition, invalid, not_found
from emulator.locations import regional_parent
from emulator.registry import Api, Call
from emulator.services import _iam_accounts

API = Api("cloudscheduler", "v1")

JOB = "cloudscheduler.job"
CLOUD_PLATFORM = "https://www.googleapis.com/auth/cloud-platform"
TARGETS = ("pubsubTarget", "appEngineHttpTarget", "httpTarget")
OUTPUT = {"state", "status", "scheduleTime", "lastAttemptTime", "userUpdateTime", "satisfiesPzs"}
MUTABLE = {"description", "schedule", "timeZone", "retryConfig", "attemptDeadline", *TARGETS}
RETRY_DEFAULTS = {
    "maxRetryDuration": "0s",
    "minBackoffDuration": "5s",
    "maxBackoffDuration": "3600s",
    "maxDoublings": 5,
}
_NAME = re.compile(r"^projects/([^/]+)/locations/([^/]+)/jobs/([A-Za-z0-9_-]{1,500})$")
_FIELDS = (  # (low, high, names)
    (0, 59, ()),
    (0, 23, ()),
    (1, 31, ()),
    (1, 12, ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")),
    (0, 7, ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")),
)


def _parent(call: Call, parent: str, permission: str) -> str:
    project_id, region = regional_parent(
        call,
        parent,
        permission,
        malformed="Invalid parent: {parent}",
        not_a_region="Location '{location}' is not a valid Cloud Scheduler location.",
    )
    return f"projects/{project_id}/locations/{region}"


def _name(call: Call, name: str, permission: str) -> tuple[str, str]:
    m = _NAME.match(name)
    if not m:
        raise invalid(f"Invalid job name: {name}", field="job.name")
    parent = _parent(call, f"projects/{m.group(1)}/locations/{m.group(2)}", permission)
    return parent, f"{parent}/jobs/{m.group(3)}"


def _fetch(call: Call, name: str, permission: str) -> tuple[str, dict[str, Any]]:
    parent, canonical = _name(call, name, permission)
    job = call.ctx.store.get(JOB, canonical)
    if job is None:
        raise not_found(f"Job not found: {canonical}")
    return parent, job


def _values(text: str, low: int, high: int, names: tuple[str, ...]) -> set[int]:
    """The values one cron field allows; ValueError when it is not valid cron."""
    allowed: set[int] = set()
    for part in text.split(","):
        base, _, step_text = part.partition("/")
        step = int(step_text) if step_text else 1
        if step < 1:
            raise ValueError(part)
        if base == "*":
            start, end = low, high
        else:
            first, _, last = base.partition("-")
            start = _number(first, low, names)
            end = _number(last, low, names) if last else (high if step_text else start)
        if not low <= start <= end <= high:
            raise ValueError(part)
        allowed.update(range(start, end + 1, step))
    return allowed


def _number(text: str, low: int, names: tuple[str, ...]) -> int:
    if text.upper() in names:
        return names.index(text.upper()) + low
    if not text.isdigit():
        raise ValueError(text)
    return int(text)


def parse_schedule(schedule: str) -> list[set[int]]:
    fields = schedule.split()
    if len(fields) != 5:
        raise invalid(f"Schedule '{schedule}' is not a valid unix-cron expression.", field="job.schedule")
    try:
        return [_values(f, *spec) for f, spec in zip(fields, _FIELDS, strict=True)]
    except ValueError:
        raise invalid(
            f"Schedule '{schedule}' is not a valid unix-cron expression.", field="job.schedule"
        ) from None


def next_run(schedule: str, zone: str, after: datetime) -> datetime | None:
    """The first minute after `after` the schedule fires, looking a year ahead."""
    minutes, hours, days, months, weekdays = parse_schedule(schedule)
    weekdays = {d % 7 for d in weekdays}
    moment = after.astimezone(zoneinfo.ZoneInfo(zone)).replace(second=0, microsecond=0) + timedelta(minutes=1)
    end = moment + timedelta(days=366)
    while moment < end:
        if moment.month not in months or moment.day not in days or (moment.isoweekday() % 7) not in weekdays:
            moment = (moment + timedelta(days=1)).replace(hour=0, minute=0)
            continue
        if moment.hour not in hours:
            moment = (moment + timedelta(hours=1)).replace(minute=0)
            continue
        if moment.minute in minutes:
            return moment
        moment += timedelta(minutes=1)
    return None


def _check_zone(zone: str) -> None:
    try:
        zoneinfo.ZoneInfo(zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise invalid(f"Invalid time zone '{zone}'.", field="job.time_zone") from None


def _check_http(call: Call, target: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(target)
    uri = urlparse(out.get("uri") or "")
    if uri.scheme not in ("http", "https") or not uri.netloc:
        raise invalid("http_target.uri must be an absolute http or https URL.", field="job.http_target.uri")
    out.setdefault("httpMethod", "POST")
    if out.get("body") and out["httpMethod"] not in ("POST", "PUT", "PATCH"):
        raise invalid("A body is allowed only with POST, PUT and PATCH.", field="job.http_target.body")
    oauth, oidc = out.get("oauthToken"), out.get("oidcToken")
    if oauth and oidc:
        raise invalid("Only one of oauth_token and oidc_token may be set.", field="job.http_target")
    token = oauth or oidc
    if token:
        email = token.get("serviceAccountEmail") or ""
        where = "job.http_target." + ("oauth_token" if oauth else "oidc_token") + ".service_account_email"
        if not email or _iam_accounts.missing(call.ctx.store, email):
            raise invalid(f"Service account {email} does not exist.", field=where)
    if oauth:
        if not uri.netloc.endswith(".googleapis.com"):
            raise invalid(
                "OAuth tokens are sent to Google APIs (*.googleapis.com) only.", field="job.http_target"
            )
        oauth.setdefault("scope", CLOUD_PLATFORM)
    if oidc:
        oidc.setdefault("audience", out["uri"])
    return out


def _desired(call: Call, body: dict[str, Any]) -> dict[str, Any]:
    targets = [t for t in TARGETS if body.get(t)]
    if len(targets) != 1:
        raise invalid("Exactly one of pubsub_target, app_engine_http_target and http_target is required.",
                      field="job")  # fmt: skip
    out = {k: copy.deepcopy(v) for k, v in body.items() if k in MUTABLE or k == "name"}
    if not out.get("schedule"):
        raise invalid("schedule is required.", field="job.schedule")
    parse_schedule(out["schedule"])
    out["timeZone"] = out.get("timeZone") or "Etc/UTC"
    _check_zone(out["timeZone"])
    if "httpTarget" in out:
        out["httpTarget"] = _check_http(call, out["httpTarget"])
    out["retryConfig"] = {**RETRY_DEFAULTS, **(out.get("retryConfig") or {})}
    out.setdefault("attemptDeadline", "180s")
    deadline = float(str(out["attemptDeadline"]).rstrip("s"))
    if "httpTarget" in out and not 15 <= deadline <= 1800:
        raise invalid(
            "attempt_deadline must be between 15s and 30m for HTTP targets.", field="job.attempt_deadline"
        )
    if len(out.get("description") or "") > 500:
        raise invalid("description must be at most 500 characters.", field="job.description")
    return out


def _schedule_time(call: Call, job: dict[str, Any]) -> dict[str, Any]:
    if job.get("state") != "ENABLED":
        job.pop("scheduleTime", None)
        return job
    moment = next_run(job["schedule"], job["timeZone"], call.ctx.clock.datetime())
    if moment is not None:
        job["scheduleTime"] = format_rfc3339(moment)
    return job


@API.handles("cloudscheduler.projects.locations.jobs.create")
def create_job(call: Call) -> dict[str, Any]:
    parent = _parent(call, call.param("parent"), "cloudscheduler.jobs.create")
    body = standard.drop_none(call.body or {})
    job_parent, name = _name(call, body.get("name") or "", "cloudscheduler.jobs.create")
    if job_parent != parent:
        raise invalid(f"The job name must be under {parent}.", field="job.name")
    if call.ctx.store.get(JOB, name) is not None:
        raise already_exists(f"Job {name} already exists.")
    job = {
        **_desired(call, body),
        "name": name,
        "state": "ENABLED",
        "userUpdateTime": call.ctx.clock.rfc3339(),
    }
    job = _schedule_time(call, job)
    call.ctx.store.put(JOB, name, job, parent)
    return job


@API.handles("cloudscheduler.projects.locations.jobs.get")
def get_job(call: Call) -> dict[str, Any]:
    return _fetch(call, call.param("name"), "cloudscheduler.jobs.get")[1]


@API.handles("cloudscheduler.projects.locations.jobs.list")
def list_jobs(call: Call) -> dict[str, Any]:
    parent = _parent(call, call.param("parent"), "cloudscheduler.jobs.list")
    items = sorted(call.ctx.store.list(JOB, parent), key=lambda j: j["name"])
    return standard.list_answer(call, "jobs", items, default_size=500, max_size=500)


@API.handles("cloudscheduler.projects.locations.jobs.patch")
def patch_job(call: Call) -> dict[str, Any]:
    parent, current = _fetch(call, call.param("name"), "cloudscheduler.jobs.update")
    body = standard.drop_none(call.body or {})
    if body.get("name") and _name(call, body["name"], "cloudscheduler.jobs.update")[1] != current["name"]:
        raise invalid("The job name cannot be changed.", field="job.name")
    user = {k: v for k, v in current.items() if k in MUTABLE}
    mask = call.query.get("updateMask")
    if mask:
        user = standard.apply_update_mask(user, body, str(mask), MUTABLE, "job")
    else:
        user = {**user, **{k: v for k, v in body.items() if k in MUTABLE}}
    replaced = [t for t in TARGETS if body.get(t) and user.get(t)]
    if replaced:  # a new target replaces the old one, whatever its type
        user = {k: v for k, v in user.items() if k not in TARGETS or k == replaced[0]}
    job = {
        **{k: v for k, v in current.items() if k in OUTPUT},
        **_desired(call, user),
        "name": current["name"],
        "userUpdateTime": call.ctx.clock.rfc3339(),
    }
    job = _schedule_time(call, job)
    call.ctx.store.put(JOB, current["name"], job, parent)
    return job


@API.handles("cloudscheduler.projects.locations.jobs.delete")
def delete_job(call: Call) -> dict[str, Any]:
    _, current = _fetch(call, call.param("name"), "cloudscheduler.jobs.delete")
    call.ctx.store.delete(JOB, current["name"])
    return {}


def _set_state(call: Call, permission: str, state: str) -> dict[str, Any]:
    parent, current = _fetch(call, call.param("name"), permission)
    if current.get("state") not in ("ENABLED", "PAUSED"):
        raise failed_precondition(f"Job {current['name']} is in state {current.get('state')}.")
    job = _schedule_time(call, {**current, "state": state, "userUpdateTime": call.ctx.clock.rfc3339()})
    call.ctx.store.put(JOB, current["name"], job, parent)
    return job


@API.handles("cloudscheduler.projects.locations.jobs.pause")
def pause_job(call: Call) -> dict[str, Any]:
    return _set_state(call, "cloudscheduler.jobs.pause", "PAUSED")


@API.handles("cloudscheduler.projects.locations.jobs.resume")
def resume_job(call: Call) -> dict[str, Any]:
    return _set_state(call, "cloudscheduler.jobs.enable", "ENABLED")


@API.handles("cloudscheduler.projects.locations.jobs.run")
def run_job(call: Call) -> dict[str, Any]:
    parent, current = _fetch(call, call.param("name"), "cloudscheduler.jobs.run")
    job = {**current, "lastAttemptTime": call.ctx.clock.rfc3339()}
    call.ctx.store.put(JOB, current["name"], job, parent)
    return job
