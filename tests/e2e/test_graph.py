"""`graph` draws the desired resources' dependencies and marks what a plan would change."""

from __future__ import annotations

import re

from google.auth.credentials import AnonymousCredentials
from google.cloud import storage

DOCUMENTS = "digitwin-live-dev-documents"


def _mermaid_edges(text: str) -> set[tuple[str, str]]:
    """Mermaid edges by resource address, read back through the node ids."""
    labels = {
        m.group(1): m.group(2).split("<br/>")[0] for m in re.finditer(r'^\s+(n\d+)\["([^"]*)"\]', text, re.M)
    }
    return {(labels[a], labels[b]) for a, b in re.findall(r"^\s+(n\d+) --> (n\d+)$", text, re.M)}


def test_graph_without_a_plan_calls_no_api_and_draws_the_dependencies(emulator, cli):
    emulator.clear_requests()

    drawn = cli("graph", "--env", "dev", "--no-plan")

    assert drawn.code == 0, drawn.err
    assert not emulator.requests()
    assert drawn.out.startswith("flowchart LR")
    edges = _mermaid_edges(drawn.out)
    bucket_deps = {b for a, b in edges if a == f"storage.bucket/{DOCUMENTS}"}
    assert any(dep.startswith("kms.key_iam/") for dep in bucket_deps), bucket_deps
    assert "classDef" not in drawn.out

    dot = cli("graph", "--env", "dev", "--no-plan", "--format", "dot")
    assert dot.code == 0
    assert dot.out.startswith('digraph "dev" {') and dot.out.rstrip().endswith("}")
    assert f'"storage.bucket/{DOCUMENTS}" -> "' in dot.out


def test_graph_marks_what_a_plan_would_change(emulator, cli, tmp_path):
    created = cli("graph", "--env", "dev")
    assert created.code == 0, created.err
    assert "class " in created.out and " create" in created.out

    assert cli("apply", "--env", "dev", "--auto-approve").code == 0
    unchanged = cli("graph", "--env", "dev")
    assert "classDef" not in unchanged.out

    client = storage.Client(
        project="digitwin-live-dev",
        credentials=AnonymousCredentials(),
        client_options={"api_endpoint": emulator.url},
    )
    bucket = client.get_bucket(DOCUMENTS)
    bucket.versioning_enabled = False
    bucket.patch()

    changed = cli("graph", "--env", "dev")
    assert f"storage.bucket/{DOCUMENTS}<br/>(update)" in changed.out
    assert re.search(r"^\s+class n\d+ update$", changed.out, re.M)

    out = tmp_path / "graph.dot"
    written = cli("graph", "--env", "dev", "--format", "dot", "--out", str(out))
    assert written.code == 0 and f"Wrote {out}" in written.out
    text = out.read_text()
    assert f'"storage.bucket/{DOCUMENTS}" [label="storage.bucket/{DOCUMENTS}\\n(update)"' in text
    assert 'fillcolor="#fff3c4"' in text


def test_svg_without_graphviz_says_what_to_do(emulator, cli, tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    out = tmp_path / "graph.svg"

    result = cli("graph", "--env", "dev", "--no-plan", "--out", str(out))

    assert result.code == 1
    assert "Graphviz" in result.err and "--format dot" in result.err
    assert not out.exists()


def test_svg_is_rendered_by_the_dot_program(emulator, cli, tmp_path, monkeypatch):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake_dot = bin_dir / "dot"
    # Stands in for Graphviz: records the DOT source it is given as the "SVG".
    fake_dot.write_text('#!/bin/sh\n[ "$1" = -Tsvg ] && [ "$2" = -o ] && cat > "$3"\n')
    fake_dot.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:/usr/bin:/bin")
    out = tmp_path / "graph.svg"

    result = cli("graph", "--env", "dev", "--no-plan", "--out", str(out))

    assert result.code == 0, result.err
    assert f"Wrote {out}" in result.out
    assert out.read_text().startswith('digraph "dev" {')
