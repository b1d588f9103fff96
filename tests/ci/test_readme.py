"""The README's examples against the real command line.

Every `python -m provisioner ...` line in a code block of README.md is parsed by the CLI's own
parser, so a renamed or removed option breaks this test instead of an operator's paste; every
command the parser offers must have an example, and every option a mention. Placeholders in
capitals (ENV, LOCK_ID, ...) stand for sample values of the right type.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import re
import shlex
from dataclasses import dataclass
from pathlib import Path

import pytest

from provisioner.cli.main import build_parser
from tests.cli_commands import command_paths, subcommands

README = Path(__file__).resolve().parents[2] / "README.md"

#: Sample values for the placeholders the README may write in capitals.
PLACEHOLDERS = {
    "ENV": "dev",
    "LOCK_ID": "6f0c2a9e41d7",
    "ID": "1717988400000",
    "ADDRESS": "sql.instance/digitwin-dev-pg",
    "ADDRESS_OR_KIND": "storage.bucket",
    "SECONDS": "300",
    "N": "4",
    "DIR": "plans",
    "FILE": "prices.yaml",
    "PLANFILE": "plan.json",
    "SERVICE_ACCOUNT": "deployer@digitwin-live-dev.iam.gserviceaccount.com",
}
FENCE = re.compile(r"^[ \t]*```[^\n]*\n(.*?)^[ \t]*```[ \t]*$", re.MULTILINE | re.DOTALL)
PROMPT = re.compile(r"^\s*(?:\$\s+)?(?:[A-Z_][A-Z0-9_]*=\S*\s+)*(python -m provisioner\b.*)$")
CAPITALS = re.compile(r"^[A-Z][A-Z0-9_]*$")


@dataclass(frozen=True)
class Example:
    line: int
    text: str

    def __str__(self) -> str:
        return f"README.md:{self.line}: {self.text}"


def examples(markdown: str) -> list[Example]:
    """The command lines of the code blocks: `$ ` prompts, `VAR=value` prefixes and
    backslash continuations allowed; output lines that merely mention a command are not commands."""
    found = []
    for block in FENCE.finditer(markdown):
        start = markdown.count("\n", 0, block.start(1)) + 1
        lines = block.group(1).split("\n")
        i = 0
        while i < len(lines):
            first, text = i, lines[i]
            while text.endswith("\\") and i + 1 < len(lines):
                i += 1
                text = text[:-1] + " " + lines[i].strip()
            match = PROMPT.match(text)
            if match:
                found.append(Example(start + first, match.group(1)))
            i += 1
    return found


def argv(command: str) -> list[str]:
    """The words after `python -m provisioner`, comments dropped, cut at the first shell
    operator, placeholders replaced by sample values."""
    lexer = shlex.shlex(command, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    words = []
    for word in list(lexer)[3:]:
        if set(word) <= set("<>|&;()"):
            break
        if CAPITALS.fullmatch(word):
            if word not in PLACEHOLDERS:
                raise ValueError(f"unknown placeholder {word}: give it a sample value in PLACEHOLDERS")
            word = PLACEHOLDERS[word]
        words.append(word)
    return words


def parse(example: Example) -> argparse.Namespace:
    """The parsed command line; argparse's complaint becomes the failure message."""
    err = io.StringIO()
    try:
        with contextlib.redirect_stderr(err):
            return build_parser().parse_args(argv(example.text))
    except SystemExit:
        pytest.fail(f"{example}\n  does not parse: {err.getvalue().strip().splitlines()[-1]}")


def command_of(args: argparse.Namespace) -> tuple[str, ...]:
    nested = getattr(args, f"{args.command}_command", None)
    return (args.command, nested) if nested else (args.command,)


README_EXAMPLES = examples(README.read_text(encoding="utf-8"))


def test_the_readme_has_command_examples() -> None:
    assert len(README_EXAMPLES) >= len(command_paths())


@pytest.mark.parametrize("example", README_EXAMPLES, ids=lambda e: f"line-{e.line}")
def test_every_command_line_in_the_readme_parses(example: Example) -> None:
    parse(example)


def test_every_command_has_an_example_in_the_readme() -> None:
    shown = {command_of(parse(example)) for example in README_EXAMPLES}
    missing = [" ".join(path) for path in command_paths() if path not in shown]
    assert not missing, f"commands without an example in README.md: {', '.join(missing)}"


def test_every_option_is_mentioned_in_the_readme() -> None:
    text = README.read_text(encoding="utf-8")
    missing = []
    for path in command_paths():
        parser = build_parser()
        for name in path:
            parser = subcommands(parser)[name]
        for action in parser._actions:
            names = [o for o in action.option_strings if o not in ("-h", "--help")]
            if names and not any(re.search(rf"(?<![\w-]){re.escape(o)}(?![\w-])", text) for o in names):
                missing.append(f"{' '.join(path)} {names[-1]}")
    assert not missing, f"options README.md never mentions: {', '.join(missing)}"


def test_examples_are_read_as_a_shell_would() -> None:
    markdown = "\n".join(
        [
            "```",
            "$ python -m provisioner plan --env ENV \\",
            "    --out plan.json   # saved for apply",
            "error: ... python -m provisioner force-unlock 1 --env ...",
            "NO_COLOR=1 python -m provisioner drift --env prod > drift.txt",
            "```",
            "  ```",
            "  python -m provisioner restore --env prod --backup-id ID --prune",
            "  ```",
        ]
    )
    found = examples(markdown)
    assert [e.line for e in found] == [2, 5, 8]
    assert argv(found[0].text) == ["plan", "--env", "dev", "--out", "plan.json"]
    assert argv(found[1].text) == ["drift", "--env", "prod"]
    assert parse(found[0]).out == Path("plan.json")
    with pytest.raises(pytest.fail.Exception, match="unrecognized arguments: --prune"):
        parse(found[2])
    with pytest.raises(ValueError, match="unknown placeholder PROJECT"):
        argv("python -m provisioner plan --env PROJECT")


def test_the_readme_outputs_are_what_the_examples_print_today() -> None:
    """The marked outputs are regenerated by running them against the embedded emulator
    (`make readme`): a change of behaviour that makes one say something else fails here."""
    from tests import readme_outputs

    markdown = README.read_text(encoding="utf-8")
    names = readme_outputs.generated_names(markdown)
    assert {"first-apply", "preflight-refused", "preflight-passed", "drift", "graph-dot"} <= set(names)
    regenerated = readme_outputs.render(markdown, {name: readme_outputs.run(name) for name in names})
    stale = [
        name
        for name, old, new in zip(
            names,
            readme_outputs.MARKER.finditer(markdown),
            readme_outputs.MARKER.finditer(regenerated),
            strict=True,
        )
        if old.group(2) != new.group(2)
    ]
    assert not stale, (
        f"README.md outputs no longer what the commands print: {', '.join(stale)}; run `make readme`"
    )
