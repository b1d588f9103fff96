"""The commands the CLI offers, read from its own parser.

Tests that must cover every command (the README's examples, the bad-input properties) take
the list from here, so a command added to the parser is covered without anyone updating a
hand-kept list.
"""

from __future__ import annotations

import argparse

from provisioner.cli.main import build_parser


def subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    """The parser's sub-commands by name (empty for a parser that has none)."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def top_level_commands() -> tuple[str, ...]:
    """`validate`, `plan`, ... as `python -m provisioner --help` lists them."""
    return tuple(subcommands(build_parser()))


def command_paths(parser: argparse.ArgumentParser | None = None) -> list[tuple[str, ...]]:
    """Every runnable command, nested actions spelled out: ("plan",), ("backups", "list"), ..."""
    paths: list[tuple[str, ...]] = []
    for name, sub in subcommands(parser or build_parser()).items():
        nested = command_paths(sub)
        paths += [(name, *rest) for rest in nested] if nested else [(name,)]
    return paths
