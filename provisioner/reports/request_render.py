"""The requests a dry run held back, added to a rendered plan (text, JSON or Markdown).

Reviewers want every call complete: bodies are printed whole, as sent (secrets masked).
Polls of operations and the reads that go before a write are left out; a write the API
answers with an operation says that apply waits on it.
"""

from __future__ import annotations

import json
import re
from typing import Any

from provisioner.traffic.dry_run import ASSIGNED_PREFIX
from provisioner.traffic.show_requests import RequestListing

TITLE = "Requests apply would send"
HOW = "A dry run: reads went to the API, every write was held back and answered in-process."
WAITS = "then waits on the operation"
SILENT = "Done by another change's request, with none of their own"


def attach(rendered_plan: str, listing: RequestListing, fmt: str) -> str:
    """The rendered plan with its requests: a section after text or Markdown, a key in JSON."""
    if fmt == "json":
        data = json.loads(rendered_plan)
        data["requests"] = requests_json(listing)
        return json.dumps(data, indent=2, default=str)
    if fmt == "markdown":
        return rendered_plan.rstrip("\n") + "\n\n" + requests_markdown(listing)
    return rendered_plan + "\n\n" + requests_text(listing)


def requests_json(listing: RequestListing) -> list[dict[str, Any]]:
    return [
        {
            "number": r.number,
            "address": r.address,
            "method": r.method,
            "url": listing.url(r),
            "body": r.body,
            "waits_on_operation": r.operation,
        }
        for r in listing.requests
    ]


def _totals(listing: RequestListing) -> str:
    count, changes = len(listing.requests), len(listing.by_address())
    line = f"{count} request{'s' if count != 1 else ''} for {changes} change{'s' if changes != 1 else ''}."
    if any(ASSIGNED_PREFIX in json.dumps(r.body) for r in listing.requests):
        line += f" Names the API assigns on create appear as {ASSIGNED_PREFIX}N."
    return line


def requests_text(listing: RequestListing) -> str:
    out = [f"{TITLE}:", f"({HOW})"]
    if not listing.requests and not listing.problems:
        return "\n".join([*out, "", "None: there is nothing to apply."])
    for address, requests in listing.by_address():
        out += ["", f"  {address}"]
        for r in requests:
            out.append(f"    {r.number}. {r.method} {listing.url(r)}")
            if r.body is not None:
                out += ["       " + line for line in json.dumps(r.body, indent=2).splitlines()]
            if r.operation:
                out.append(f"       {WAITS}")
    out += ["", _totals(listing)]
    if listing.silent:
        out += ["", f"{SILENT}:"] + [f"  {address}" for address in listing.silent]
    if listing.problems:
        out += ["", "The requests of these changes could not be worked out, nor of what depends on them:"]
        out += [f"  {address}: {why}" for address, why in listing.problems]
    return "\n".join(out)


def requests_markdown(listing: RequestListing) -> str:
    out = [f"### {TITLE}", "", f"{HOW} {_totals(listing)}", ""]
    for address, requests in listing.by_address():
        noun = "request" if len(requests) == 1 else "requests"
        out += ["<details>", f"<summary><code>{address}</code>: {len(requests)} {noun}</summary>", ""]
        for r in requests:
            out += [f"**{r.number}.** `{r.method} {listing.url(r)}`", ""]
            if r.body is not None:
                text = json.dumps(r.body, indent=2)
                fence = "`" * max(3, _longest_backtick_run(text) + 1)
                out += [f"{fence}json", text, fence, ""]
            if r.operation:
                out += [WAITS, ""]
        out += ["</details>", ""]
    if listing.silent:
        out += [f"{SILENT}: " + ", ".join(f"`{address}`" for address in listing.silent), ""]
    if listing.problems:
        out += ["**The requests of these changes could not be worked out:**", ""]
        out += [f"- `{address}`: {' '.join(why.split())}" for address, why in listing.problems]
        out.append("")
    return "\n".join(out)


def _longest_backtick_run(text: str) -> int:
    return max((len(run) for run in re.findall(r"`+", text)), default=0)
