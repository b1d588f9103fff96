"""The command line as an operator meets it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from provisioner.cli.main import main

ROOT = Path(__file__).resolve().parents[2]


def test_help_lists_the_commands_and_imports_no_client_library():
    code = (
        "import sys; from provisioner.cli.main import build_parser; build_parser().format_help();"
        "print(sorted(m for m in sys.modules if m.startswith(('google', 'googleapiclient', 'emulator'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
    helped = subprocess.run(
        [sys.executable, "-m", "provisioner", "--help"], cwd=ROOT, capture_output=True, text=True
    )
    assert helped.returncode == 0
    for command in ("validate", "plan", "apply"):
        assert command in helped.stdout


def test_validate_checks_every_shipped_environment(capsys):
    assert main(["validate", "--specs", str(ROOT / "specs")]) == 0
    out = capsys.readouterr().out
    assert "dev: valid" in out and "staging: valid" in out and "prod: valid" in out


def test_apply_without_a_terminal_needs_auto_approve(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(sys, "stdin", open("/dev/null"))  # noqa: SIM115
    code = main(
        ["apply", "--env", "dev", "--local", "--state-dir", str(tmp_path), "--specs", str(ROOT / "specs")]
    )
    assert code == 1
    assert "--auto-approve" in capsys.readouterr().err


def test_unknown_target_is_refused_with_the_known_kinds(tmp_path, capsys):
    code = main(
        [
            "plan",
            "--env",
            "dev",
            "--local",
            "--state-dir",
            str(tmp_path),
            "--specs",
            str(ROOT / "specs"),
            "--target",
            "storage.bukket",
        ]
    )
    assert code == 1
    err = capsys.readouterr().err
    assert "storage.bukket" in err and "storage.bucket" in err


def _help(capsys, *command: str) -> str:
    try:
        main([*command, "--help"])
    except SystemExit as exc:
        assert exc.code == 0
    return capsys.readouterr().out


CONSENT = ("--adopt", "--prune", "--allow-destroy", "--allow-prod-destroy")


def test_commands_that_plan_nothing_offer_no_plan_consent_flags(capsys):
    for command in (("restore",), ("backups", "list"), ("backups", "create"), ("force-unlock",)):
        text = _help(capsys, *command)
        assert "--local" in text and "--impersonate" in text, command
        for flag in (*CONSENT, "--parallelism"):
            assert flag not in text, (command, flag)
    for command in (("drift",), ("graph",)):
        text = _help(capsys, *command)
        assert "--parallelism" in text and not any(flag in text for flag in CONSENT), command
    for command in (("plan",), ("apply",), ("cost",)):
        text = _help(capsys, *command)
        assert all(flag in text for flag in CONSENT), command


def test_restore_refuses_a_flag_it_would_ignore(capsys):
    try:
        main(["restore", "--env", "dev", "--backup-id", "1", "--prune"])
    except SystemExit as exc:
        assert exc.code == 1  # a usage error: never 2, which means "changes" elsewhere
    else:
        raise AssertionError("restore --prune was accepted")
    assert "unrecognized arguments: --prune" in capsys.readouterr().err
