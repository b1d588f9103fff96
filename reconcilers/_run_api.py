"""What the Cloud Run kinds share: the API they call and its client library.

Services, jobs and the invoker grants on services all go through the Cloud Run Admin API v2
(run.googleapis.com). Its client library names everything after the resource's noun
("service": `run_v2.Service`, `run_v2.ServicesClient`), so a kind names its noun and these
find the rest. `google.cloud.run_v2` is imported when a call needs it, as the kinds did.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from provisioner.engine.context import Context
from provisioner.engine.kind import KindMeta

#: The meta of a Cloud Run kind: every one calls run.googleapis.com.
run_meta = partial(KindMeta, api="run.googleapis.com")


def run_name(ctx: Context, noun: str, short: str) -> str:
    """The API's name of the `<noun>` at `<region>/<name>` ("service": `.../services/<name>`)."""
    region, name = short.split("/")
    return f"projects/{ctx.project}/locations/{region}/{noun}s/{name}"


def run_client(ctx: Context, noun: str) -> Any:
    """The session's gapic client of Cloud Run's `<noun>s` ("job": `run_v2.JobsClient`)."""
    from google.cloud import run_v2

    return ctx.clients.gapic("run", getattr(run_v2, f"{noun.capitalize()}sClient"))


def run_message(noun: str) -> Any:
    """The proto message of one `<noun>` ("service": `run_v2.Service`)."""
    from google.cloud import run_v2

    return getattr(run_v2, noun.capitalize())
