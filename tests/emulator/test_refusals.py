"""The catalogue of refusals: every declared constraint names its source and a test that exists."""

from __future__ import annotations

import ast
from pathlib import Path

from emulator.refusals import loaded, table

ROOT = Path(__file__).resolve().parents[2]


def _test_names(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    return {node.name for node in tree.body if isinstance(node, ast.FunctionDef)}


def test_every_refusal_has_a_source_and_a_test_that_exists() -> None:
    rules = loaded()
    assert len(rules) >= 12
    for rule in rules:
        assert rule.source.strip(), rule
        file, _, name = rule.test.partition("::")
        path = ROOT / file
        assert path.is_file(), rule.test
        assert name in _test_names(path), rule.test


def test_the_table_counts_every_refusal() -> None:
    rules = loaded()
    text = table(rules)
    assert text.splitlines()[0] == f"{len(rules)} refusals"
    assert (
        sum(1 for line in text.splitlines() if line.startswith("| ") and "---" not in line) == len(rules) + 1
    )
