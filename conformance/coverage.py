"""Which API methods the provisioner calls, read from the emulator's request log of real runs.

`provisioner_methods` applies the three shipped environments from empty against a fresh
emulator and runs `plan`, `drift`, `backups list`, `backups create` and `restore` as an
operator would; every method the emulator logged is one the provisioner sends to Google.
Each must be exercised by a replayed real exchange, or be listed in `unrecorded.json` with why
no recording exists and the documentation its emulation follows. One reason holds for a whole
family of methods and is stated once, here (`LIST_THROUGH_GET`), not once per collection.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import tempfile
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

from emulator import Emulator, EmulatorConfig

UNRECORDED = Path(__file__).parent / "unrecorded.json"

#: Why a collection's `list` needs no recording of its own when its `get` is replayed. Config
#: Connector reads each resource by name, so the corpus holds almost no list call; the
#: emulator's list answers with the very resources its get returns (one declaration makes both,
#: `emulator/collection.py`, `emulator/services/_compute_collection.py`), in the list envelope
#: the standard method documents, with page tokens.
LIST_THROUGH_GET = {
    "reason": "Config Connector reads each resource by name, so the corpus holds no list call of "
    "this collection; its list answers with what its replayed get returns, in the documented "
    "list envelope with page tokens.",
    "documentation": "https://cloud.google.com/apis/design/standard_methods#list",
}


def through_get(method: str, exercised: set[str]) -> bool:
    """A `list` whose collection's `get` is replayed: measured through the get (`LIST_THROUGH_GET`)."""
    return method.endswith(".list") and f"{method.removesuffix('.list')}.get" in exercised


SPECS = Path(__file__).resolve().parents[1] / "specs"
ENVS = ("dev", "staging", "prod")


@contextlib.contextmanager
def _endpoint(url: str) -> Iterator[None]:
    saved = os.environ.get("PROVISIONER_ENDPOINT")
    os.environ["PROVISIONER_ENDPOINT"] = url
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop("PROVISIONER_ENDPOINT", None)
        else:
            os.environ["PROVISIONER_ENDPOINT"] = saved


def provisioner_methods(specs: Path = SPECS) -> dict[str, list[str]]:
    """Method id -> the commands (e.g. `apply dev`) that called it."""
    from emulator.services import all_apis  # noqa: F401  (the emulator's own routes load here)
    from provisioner.cli.main import main

    calls: dict[str, set[str]] = defaultdict(set)
    with tempfile.TemporaryDirectory() as tmp:
        emu = Emulator(
            EmulatorConfig(
                state_path=Path(tmp) / "emulator.sqlite",
                projects=[f"digitwin-live-{env}" for env in ENVS],
                enforce_enabled_apis=True,
            )
        )
        url = emu.start(port=0)

        def run(label: str, *argv: str) -> str:
            out = io.StringIO()
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
                main([*argv, "--specs", str(specs)])
            for record in emu.requests():
                if record.method_id:
                    calls[record.method_id].add(label)
            emu.clear_requests()
            return out.getvalue()

        try:
            with _endpoint(url):
                for env in ENVS:
                    run(f"plan {env}", "plan", "--env", env)
                    run(f"apply {env}", "apply", "--env", env, "--auto-approve", "-q")
                    run(f"plan {env}", "plan", "--env", env)
                    run(f"drift {env}", "drift", "--env", env)
                run("backups list dev", "backups", "list", "--env", "dev")
                made = run("backups create dev", "backups", "create", "--env", "dev")
                found = re.search(r"Backup (\d+) of", made)
                if found:
                    run(
                        "restore dev",
                        "restore",
                        "--env",
                        "dev",
                        "--backup-id",
                        found.group(1),
                        "--auto-approve",
                    )
        finally:
            emu.close()
    return {method: sorted(labels) for method, labels in sorted(calls.items())}


def unrecorded() -> dict[str, dict[str, str]]:
    return json.loads(UNRECORDED.read_text())


def uncovered(called: dict[str, list[str]], exercised: set[str]) -> list[str]:
    """Methods the provisioner calls that no real exchange exercises and the list leaves out."""
    listed = unrecorded()
    return [m for m in called if m not in exercised and m not in listed and not through_get(m, exercised)]


if __name__ == "__main__":
    from conformance import report

    called = provisioner_methods()
    exercised = set(report.replay_all().methods())
    for method, labels in called.items():
        if method in exercised:
            mark = "recorded"
        elif through_get(method, exercised):
            mark = "via get"
        else:
            mark = "listed" if method in unrecorded() else "MISSING"
        print(f"{mark:9s} {method}  ({', '.join(labels)})")
