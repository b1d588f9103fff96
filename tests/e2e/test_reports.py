"""Reports as the people and machines reading them get them.

The JSON plan keeps to its published schema, a Markdown plan too long for one pull-request
comment comes as whole comment-sized parts, colour reaches only a terminal, and
`--log-format json` writes nothing on stderr a JSON parser would choke on.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import pytest
from google.auth.credentials import AnonymousCredentials
from google.cloud import storage

from provisioner.engine.plan import Change, FieldChange, Plan
from provisioner.reports.render import (
    COMMENT_LIMIT,
    plan_markdown,
    plan_markdown_parts,
    plan_text,
    render_plan,
)

SCHEMA = json.loads((Path(__file__).resolve().parents[2] / "schemas" / "plan.schema.json").read_text())
ESCAPE = re.compile(r"\x1b\[")


def _validate(plan: dict) -> None:
    jsonschema.Draft202012Validator(
        SCHEMA, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    ).validate(plan)


def test_the_schema_is_valid_draft_2020_12():
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    assert SCHEMA["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_plans_from_the_emulator_follow_the_schema(emulator, cli, tmp_path):
    empty = cli("plan", "--env", "dev", "--format", "json")
    assert empty.code == 0, empty.err
    _validate(json.loads(empty.out))
    assert {c["action"] for c in json.loads(empty.out)["changes"]} == {"create"}

    assert cli("apply", "--env", "dev", "--auto-approve").code == 0
    client = storage.Client(
        project="digitwin-live-dev",
        credentials=AnonymousCredentials(),
        client_options={"api_endpoint": emulator.url},
    )
    bucket = client.get_bucket("digitwin-live-dev-documents")
    bucket.versioning_enabled = False
    bucket.patch()

    saved = tmp_path / "plan.json"
    drifted = cli("plan", "--env", "dev", "--format", "json", "--out", str(saved))
    assert drifted.code == 0, drifted.err
    for data in (json.loads(drifted.out), json.loads(saved.read_text())):
        _validate(data)
        (change,) = [c for c in data["changes"] if c["action"] != "noop"]
        assert change["action"] == "update" and change["symbol"] == "~"
        assert change["fields"][0]["path"].startswith("versioning")


def test_the_schema_rejects_what_plan_load_would_misread():
    plan = _synthetic(3).to_dict()
    _validate(plan)
    for broken in (
        {**plan, "format_version": 2},
        {**plan, "extra": 1},
        {**plan, "changes": [{**plan["changes"][0], "symbol": "+", "action": "delete"}]},
        {**plan, "summary": {k: v for k, v in plan["summary"].items() if k != "blocked"}},
    ):
        with pytest.raises(jsonschema.ValidationError):
            _validate(broken)


def test_the_json_plan_masks_secret_fields_by_their_path():
    change = Change(
        "sql.user/app",
        "sql.user",
        "app",
        "update",
        [FieldChange("password", "old-secret", "new-secret"), FieldChange("host", "%", "10.0.0.0/8")],
    )
    rendered = render_plan(Plan("dev", "p", [change], {"sql.user/app": "t"}), "json")
    _validate(json.loads(rendered))
    assert "secret" not in rendered and '"(sensitive)"' in rendered and "10.0.0.0/8" in rendered


def _synthetic(count: int) -> Plan:
    changes = []
    for i in range(count):
        if i % 97 == 0:
            change = Change(
                f"sql.instance/db-{i:05d}",
                "sql.instance",
                f"db-{i:05d}",
                "replace",
                [FieldChange("region", "us-central1", "europe-west4")],
                reason="region cannot change in place",
                destructive=True,
            )
        else:
            fields = [
                FieldChange(f"labels.key{j}", f"old-value-{i}-{j}", f"new | value <{i}-{j}>")
                for j in range(i % 5 + 1)
            ]
            change = Change(f"storage.bucket/b-{i:05d}", "storage.bucket", f"b-{i:05d}", "update", fields)
        changes.append(change)
    return Plan(
        env="prod",
        project="digitwin-live-prod",
        changes=changes,
        observed={c.address: "token" for c in changes},
        notices={"compute.ssl_certificate/cert": "still PROVISIONING"},
    )


def _inside_table(line_before_end: str) -> bool:
    return line_before_end.startswith("|")


def test_a_long_markdown_plan_splits_into_whole_comment_sized_parts():
    plan = _synthetic(2000)
    assert len(plan_markdown(plan)) > COMMENT_LIMIT

    parts = plan_markdown_parts(plan)

    assert len(parts) > 1
    seen: list[str] = []
    for i, part in enumerate(parts, 1):
        assert len(part) <= COMMENT_LIMIT
        head = part.splitlines()[0]
        assert head.endswith(f"part {i} of {len(parts)}")
        assert "Plan: 0 to create, 1979 to update, 21 to replace, 0 to delete." in part
        assert "[!CAUTION]" in part and "21 destructive changes: data will be lost." in part
        # Every section closes in the part that opens it, and no table is left open.
        assert part.count("<details>") == part.count("</details>")
        assert not _inside_table(part.rstrip("\n").splitlines()[-1])
        for block in part.split("<details>")[1:]:
            body = block.split("</details>")[0]
            table = [line for line in body.splitlines() if line.startswith("|")]
            if table:
                assert table[1].startswith("| ---")
        seen += re.findall(r"<code>\S+ (\S+)</code></summary>", part)
    assert sorted(seen) == sorted(c.address for c in plan.changes)
    assert len(seen) == len(set(seen))
    # Destructive changes come first, loud.
    assert seen[:21] == sorted(c.address for c in plan.changes if c.destructive)
    assert "⚠️ <b>DESTRUCTIVE</b>" in parts[0]


def test_a_short_markdown_plan_is_one_part_with_a_before_after_table():
    plan = _synthetic(3)
    (part,) = plan_markdown_parts(plan)
    assert part == plan_markdown(plan)
    assert "| field | before | after |" in part
    assert '| `labels.key0` | "old-value-1-0" | "new \\| value &lt;1-0>" |' in part
    assert "still PROVISIONING" in part


def test_one_huge_resource_is_carried_as_several_whole_tables():
    fields = [FieldChange(f"metadata.item{j:04d}", "x" * 100, "y" * 100) for j in range(2000)]
    plan = Plan("dev", "p", [Change("storage.bucket/huge", "storage.bucket", "huge", "update", fields)], {})
    parts = plan_markdown_parts(plan, limit=20_000)
    assert len(parts) > 1
    rows = [line for part in parts for line in part.splitlines() if line.startswith("| `metadata.")]
    assert len(rows) == 2000
    for part in parts:
        assert len(part) <= 20_000
        assert part.count("<details>") == part.count("</details>")


def test_colour_only_on_a_terminal_and_never_with_no_color(emulator, cli, monkeypatch):
    plan = _synthetic(100)
    coloured = plan_text(plan, colour=True)
    assert "\x1b[33m" in coloured and "\x1b[31m" in coloured
    assert not ESCAPE.search(plan_text(plan))

    # Captured output is not a terminal: no escape codes, with or without NO_COLOR.
    monkeypatch.delenv("NO_COLOR", raising=False)
    out = cli("plan", "--env", "dev")
    assert out.code == 0 and "+ storage.bucket/" in out.out
    assert not ESCAPE.search(out.out + out.err)

    class Terminal:
        def isatty(self) -> bool:
            return True

    from provisioner.reports.render import use_colour

    assert use_colour(Terminal(), {})
    assert not use_colour(Terminal(), {"NO_COLOR": "1"})
    monkeypatch.setenv("NO_COLOR", "1")
    assert not use_colour(Terminal())


def test_markdown_dir_holds_the_comment_parts(emulator, cli, tmp_path):
    folder = tmp_path / "comments"
    folder.mkdir()
    (folder / "plan-7.md").write_text("left over from a longer plan")
    run = cli("plan", "--env", "prod", "--format", "markdown", "--markdown-dir", str(folder))
    assert run.code == 0, run.err
    assert run.out.startswith("### Plan for `prod`")
    assert [p.name for p in folder.iterdir()] == ["plan-1.md"]
    assert (folder / "plan-1.md").read_text() + "\n" == run.out


def test_log_format_json_lines_parse(emulator, cli, tmp_path):
    run = cli(
        "plan", "--env", "dev", "-v", "--log-format", "json", "--out", str(tmp_path / "nope" / "p.json")
    )
    assert run.code == 1
    lines = [json.loads(line) for line in run.err.splitlines()]
    assert lines and all({"severity", "message", "time"} <= set(entry) for entry in lines)
    assert lines[-1]["severity"] == "ERROR" and "does not exist" in lines[-1]["message"]

    run = cli("plan", "--env", "dev", "-vv", "--log-format", "json")
    assert run.code == 0
    lines = [json.loads(line) for line in run.err.splitlines()]
    assert any("logger" in entry for entry in lines)
    assert "+ storage.bucket/" in run.out  # the plan itself stays readable on stdout


def test_a_one_flag_change_in_a_list_of_containers_reads_as_one_line():
    before = [
        {"name": "app", "image": "gcr.io/p/app:1", "resources": {"cpuIdle": True, "limits": {"cpu": "2"}}},
        {
            "name": "sidecar",
            "image": "gcr.io/p/proxy:1",
            "env": [{"name": "DB_PASSWORD", "value": "hunter2"}],
        },
    ]
    after = [
        {"name": "app", "image": "gcr.io/p/app:1", "resources": {"cpuIdle": False, "limits": {"cpu": "2"}}},
        {
            "name": "sidecar",
            "image": "gcr.io/p/proxy:2",
            "env": [{"name": "DB_PASSWORD", "value": "hunter3"}],
        },
    ]
    fields = [
        FieldChange("template.containers", before, after),
        FieldChange("scaling.zones", ["a"], ["a", "b"]),
    ]
    plan = Plan("dev", "p", [Change("run.service/s", "run.service", "s", "update", fields)], {})

    text, markdown = plan_text(plan), plan_markdown(plan)

    assert "template.containers[0].resources.cpuIdle: true → false" in text
    assert 'template.containers[1].image: "gcr.io/p/proxy:1" → "gcr.io/p/proxy:2"' in text
    assert 'scaling.zones: ["a"] → ["a", "b"]' in text  # a list of plain values reads whole
    assert "gcr.io/p/app:1" not in text  # what did not change is not repeated
    assert "| `template.containers[0].resources.cpuIdle` | true | false |" in markdown
    for rendered in (text, markdown):
        # An environment variable named for a secret keeps its value masked, even as one leaf.
        assert "hunter" not in rendered
        assert "template.containers[1].env[0].value" in rendered and "(sensitive)" in rendered
    # The JSON plan keeps the field as compared and written: the whole list.
    assert json.loads(render_plan(plan, "json"))["changes"][0]["fields"][0]["path"] == "template.containers"


def test_a_map_named_like_a_secret_shows_what_is_not_secret_in_it():
    fields = [
        FieldChange(
            "httpTarget.oauthToken",
            {"serviceAccountEmail": "old@p.iam.gserviceaccount.com", "scope": "s"},
            {"serviceAccountEmail": "new@p.iam.gserviceaccount.com", "scope": "s"},
        ),
        FieldChange("httpTarget.headers.tokenValue", "abc123", "def456"),
    ]
    plan = Plan("dev", "p", [Change("scheduler.job/j", "scheduler.job", "j", "update", fields)], {})
    text = plan_text(plan)
    assert "new@p.iam.gserviceaccount.com" in text
    assert "abc123" not in text and "def456" not in text
