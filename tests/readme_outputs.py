"""The README's example outputs, made by running the examples against the embedded emulator.

A fenced block right after a `<!-- output: NAME -->` line is generated: the commands of the
scenario NAME, each after `$ `, then what they printed (stdout and stderr as a terminal shows
them). `make readme` (`python -m tests.readme_outputs --write`) rewrites those blocks;
`tests/ci/test_readme.py` runs them and fails when the README says something else.

Every scenario starts from an empty emulator state in a folder of its own, shown in the
README as /tmp/digitwin-local; what a scenario needs beforehand (a project without GPU quota,
APIs enabled by hand) is set through the emulator's own API, as the README tells the reader to
do with gcloud on a real project.
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
SHOWN_STATE = "/tmp/digitwin-local"
MARKER = re.compile(r"^<!-- output: ([a-z0-9-]+) -->\n```[^\n]*\n(.*?)^```$", re.MULTILINE | re.DOTALL)


@dataclass(frozen=True)
class Scenario:
    commands: tuple[str, ...]
    #: Run once on the scenario's emulator state before the commands.
    setup: Callable[[Path], None] | None = None
    #: Commands run first and not shown (with --local and the scenario's state), then `between`.
    before: tuple[str, ...] = ()
    between: Callable[[Path], None] | None = None
    #: Lines of output to keep, as regular expressions (None: all).
    keep: tuple[str, ...] | None = None
    env: dict[str, str] = field(default_factory=dict)


def _emulator(state: Path, project: str) -> object:
    from emulator import Emulator, EmulatorConfig

    state.mkdir(parents=True, exist_ok=True)
    return Emulator(EmulatorConfig(state_path=state / "emulator.sqlite", projects=[project]))


def _apis_enabled(state: Path, gpus: float | None = None) -> None:
    """The first deployment's manual steps: the spec's APIs enabled, and a GPU quota."""
    from provisioner.spec.loader import load_env_spec

    spec = load_env_spec(ROOT / "specs", "dev")
    emu = _emulator(state, spec.project)
    try:
        emu.set_services(spec.project, enable=spec.apis)  # type: ignore[attr-defined]
        if gpus is not None:
            emu.set_quota(spec.project, None, "GPUS_ALL_REGIONS", gpus)  # type: ignore[attr-defined]
    finally:
        emu.close()  # type: ignore[attr-defined]


def _changed_by_hand(state: Path) -> None:
    """Someone opens SSH to the world, turns off a bucket's versioning and makes a bucket of their
    own, through the APIs as the console would."""
    from google.auth.credentials import AnonymousCredentials
    from googleapiclient.discovery import build_from_document

    from provisioner.google.clients import _discovery_document

    emu = _emulator(state, "digitwin-live-dev")
    url = emu.start()  # type: ignore[attr-defined]
    try:

        def client(api: str, version: str) -> Any:
            document = _discovery_document(api, version)
            endpoint = f"{url}/{document.get('servicePath', '')}"
            return build_from_document(
                document, credentials=AnonymousCredentials(), client_options={"api_endpoint": endpoint}
            )

        compute, storage = client("compute", "v1"), client("storage", "v1")
        project = "digitwin-live-dev"
        rule = compute.firewalls().get(project=project, firewall="digitwin-dev-allow-iap-ssh").execute()
        ranges = [*rule["sourceRanges"], "0.0.0.0/0"]
        compute.firewalls().patch(
            project=project, firewall=rule["name"], body={"sourceRanges": ranges}
        ).execute()
        buckets = storage.buckets()
        buckets.patch(bucket=f"{project}-documents", body={"versioning": {"enabled": False}}).execute()
        buckets.insert(
            project=project, body={"name": f"{project}-ml-scratch", "location": "US-CENTRAL1"}
        ).execute()
    finally:
        emu.close()  # type: ignore[attr-defined]


LOCAL = f"--local --state-dir {SHOWN_STATE}"
SCENARIOS: dict[str, Scenario] = {
    "first-apply": Scenario(
        (
            f"python -m provisioner apply --env dev {LOCAL} --auto-approve -q",
            f"python -m provisioner plan --env dev {LOCAL} --detailed-exitcode",
        )
    ),
    "preflight-refused": Scenario(
        (f"python -m provisioner preflight --env dev {LOCAL}",),
        setup=lambda state: _apis_enabled(state, gpus=0),
    ),
    "preflight-passed": Scenario(
        (f"python -m provisioner preflight --env dev {LOCAL}",),
        setup=lambda state: _apis_enabled(state, gpus=4),
    ),
    "drift": Scenario(
        ("python -m provisioner drift --env dev",),
        before=(f"python -m provisioner apply --env dev {LOCAL} --auto-approve -q",),
        between=_changed_by_hand,
    ),
    "graph-dot": Scenario(("python -m provisioner graph --env dev --format dot --no-plan --out graph.dot",)),
}


def run(name: str) -> str:
    """The block's text: each command after `$ `, then its output."""
    scenario = SCENARIOS[name]
    with tempfile.TemporaryDirectory(prefix="readme-") as folder:
        work = Path(folder)
        state = work / "state"
        if scenario.setup is not None:
            scenario.setup(state)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PROVISIONER_", "GOOGLE_"))}
        env.update({"NO_COLOR": "1", "PYTHONPATH": str(ROOT), **scenario.env})

        def execute(command: str, local: bool) -> str:
            argv = shlex.split(command.replace(SHOWN_STATE, str(state)))
            argv[:3] = [sys.executable, "-m", "provisioner"]
            argv += ["--specs", str(ROOT / "specs")]
            if local and "--local" not in argv:
                argv += ["--local", "--state-dir", str(state)]
            done = subprocess.run(
                argv,
                cwd=work,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                timeout=600,
            )
            return done.stdout.replace(str(state), SHOWN_STATE).replace(str(work), ".")

        for command in scenario.before:
            execute(command, local=True)
        if scenario.between is not None:
            scenario.between(state)
        lines: list[str] = []
        for command in scenario.commands:
            output = execute(command, local=bool(scenario.before))
            lines.append(f"$ {command}")
            lines += [line.rstrip() for line in output.splitlines() if _kept(scenario, line)]
        return "\n".join(lines) + "\n"


def _kept(scenario: Scenario, line: str) -> bool:
    return scenario.keep is None or any(re.search(p, line) for p in scenario.keep)


def render(markdown: str, outputs: dict[str, str]) -> str:
    def block(match: re.Match[str]) -> str:
        name = match.group(1)
        fence = match.group(0).split("\n", 2)[1]
        return f"<!-- output: {name} -->\n{fence}\n{outputs[name]}```"

    return MARKER.sub(block, markdown)


def generated_names(markdown: str) -> list[str]:
    return [m.group(1) for m in MARKER.finditer(markdown)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="rewrite README.md (default: show what differs)")
    args = parser.parse_args(argv)
    markdown = README.read_text(encoding="utf-8")
    unknown = [n for n in generated_names(markdown) if n not in SCENARIOS]
    if unknown:
        print(f"README.md names scenarios that do not exist: {', '.join(unknown)}", file=sys.stderr)
        return 1
    updated = render(markdown, {name: run(name) for name in generated_names(markdown)})
    if args.write:
        README.write_text(updated, encoding="utf-8")
        print(f"README.md: {len(generated_names(markdown))} example outputs regenerated")
        return 0
    if updated != markdown:
        print("README.md example outputs are stale; run `make readme`", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
