"""docs/workbooks.md is the project's own reference of what it accepts: it must name
every kind, label and rule the code knows, and the README's links must resolve inside
the clone (a newcomer has nothing beside it)."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

from schemas import KINDS
from syncservice.base.layout import META_LABELS, TOTAL_LABELS

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

import workbooks_doc  # noqa: E402

DOC = (ROOT / "docs" / "workbooks.md").read_text(encoding="utf-8")


def test_the_rules_table_is_written_from_the_catalogue():
    assert workbooks_doc.rendered(DOC) == DOC, "run .venv/bin/python scripts/workbooks_doc.py"


def test_every_rule_has_its_danish_message_in_the_reference():
    from syncservice.rules.messages import all_texts

    for rule, texts in all_texts().items():
        row = next((line for line in DOC.splitlines() if line.startswith(f"| `{rule}` |")), None)
        assert row is not None, rule
        assert texts["da"][0].split("{")[0].strip() in row


@pytest.mark.parametrize("name", sorted(KINDS))
def test_every_kind_has_its_section(name):
    assert f"### `{name}`" in DOC


@pytest.mark.parametrize("name", sorted(KINDS))
def test_every_header_label_of_a_kind_is_in_its_section(name):
    section = DOC.split(f"### `{name}`", 1)[1].split("\n## ", 1)[0].split("\n### ", 1)[0]
    for column in KINDS[name].columns:
        for label in column.labels:
            assert f"`{label}`" in section, f"{name}: header label {label!r} is not in docs/workbooks.md"


def test_every_metadata_and_total_label_is_in_the_reference():
    for labels in META_LABELS.values():
        for label in labels:
            assert f"`{label}`" in DOC, label
    for label in TOTAL_LABELS:
        assert f"`{label}`" in DOC, label


def test_every_link_in_the_readme_resolves_inside_the_clone():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    targets = re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", readme)
    assert targets
    for target in targets:
        if re.match(r"[a-z]+://", target):
            continue
        resolved = (ROOT / target).resolve()
        assert resolved.is_relative_to(ROOT), f"{target} points outside the project"
        assert resolved.exists(), f"{target} does not exist"


def _command_rows() -> dict[str, str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = readme.split("## Commands", 1)[1].split("\n## ", 1)[0]
    return {m.group(1): line for line in table.splitlines()
            if (m := re.match(r"\| `syncservice ([a-z-]+)", line))}


def test_the_readme_command_table_lists_every_command_and_option():
    import click

    from syncservice.cli import main

    rows = _command_rows()
    assert set(rows) == set(main.commands), "the README's command table and the CLI differ"
    for name, command in main.commands.items():
        # a group's row names each of its subcommands ('notify test'), with their options
        commands = ({f"{name} {sub}": c for sub, c in command.commands.items()}
                    if isinstance(command, click.Group) else {name: command})
        for shown, each in commands.items():
            assert f"`syncservice {shown}" in rows[name], f"{shown} is not in the README"
            for param in each.params:
                if isinstance(param, click.Option) and param.name not in ("config_path", "help"):
                    assert any(opt in rows[name] for opt in param.opts), \
                        f"{shown} {param.opts[0]} is not in the README"
