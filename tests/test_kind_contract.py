"""The contract of schemas/ (README "Adding a kind", STYLE.md point 2): a kind is one file.

A small, made-up kind (the module the README shows) is written into a temporary copy of schemas/, and the real service
(`python -m syncservice`, with that copy first on its path) is run on a workbook of it.
No other file changes, and the kind is recognised, validated with Danish messages for
its own rule, stored, shown on its own overview sheet and in Data, Kilder, Ændringer and
Mangler, listed by `template` and given a template with its own help.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

ROOT = Path(__file__).resolve().parent.parent



def readme_kind() -> str:
    """The smallest real kind: the module README's "Adding a kind" shows, a waiting list per
    day service. Its rule, its texts, its help and what it compares are declared there and
    nowhere else; what the README shows is what this test runs."""
    section = (ROOT / "README.md").read_text(encoding="utf-8").split("### Adding a kind", 1)[1]
    return section.split("```python\n", 1)[1].split("```", 1)[0]


UNIT, OTHER = "Dagtilbud Vest", "Dagtilbud Øst"


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    """A folder with the service's config, a schemas/ copy holding the new kind, and a runner."""
    base = tmp_path_factory.mktemp("contract")
    shutil.copytree(ROOT / "schemas", base / "code" / "schemas", ignore=shutil.ignore_patterns("__pycache__"))
    (base / "code" / "schemas" / "venteliste.py").write_text(readme_kind(), encoding="utf-8")
    (base / "watched").mkdir()
    (base / "config.toml").write_text(textwrap.dedent(f"""
        [paths]
        watched = "watched"
        [reporting]
        units = ["{UNIT}", "{OTHER}"]
        [reporting.deadlines]
        venteliste = ["15-01"]
        """), encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(base / "code"), str(ROOT)])}

    def run(*args: str, ok: tuple[int, ...] = (0,)) -> subprocess.CompletedProcess:
        done = subprocess.run([sys.executable, "-m", "syncservice", *args, "--config", str(base / "config.toml")],
                              cwd=base, env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode in ok, done.stdout + done.stderr
        return done

    return base, run


def waiting_list(path: Path, rows: list[tuple[str, int, int]], year: int = 2025) -> Path:
    wb = Workbook()
    ws = wb.active
    ws.title = "Venteliste"
    for row in (["Venteliste pr. tilbud"], [], ["Enhed", UNIT], ["År", year], [], ["Tilbud", "Ventende", "Visiteret"],
                *map(list, rows)):
        ws.append(row)
    wb.save(path)
    return path


def test_the_schemas_copy_with_the_new_kind_is_the_one_the_service_runs(service):
    base, run = service
    listed = run("template").stdout
    assert "venteliste" in listed and "Venteliste: Tilbud | Ventende | Visiteret" in listed
    assert "handleplan" in listed  # the kinds already there are still there


def test_a_new_kind_is_recognised_and_its_own_rule_speaks_danish(service):
    base, run = service
    path = waiting_list(base / "check.xlsx", [("Krumtappen", 4, 6), ("Solsikken", 3, 1)])
    verdict = json.loads(run("check", str(path), "--json").stdout)[0]
    assert verdict["verdict"] == "accepted"
    assert verdict["sheets"] == [{"sheet": "Venteliste", "kind": "venteliste", "unit": UNIT, "year": 2025}]
    [warning] = verdict["warnings"]
    assert (warning["rule"], warning["sheet"], warning["cells"]) == ("venteliste.placed_over_waiting", "Venteliste",
                                                                     ["C7", "B7"])
    assert warning["message"] == ("Krumtappen har visiteret 6, flere end de 4 på ventelisten. "
                                  "Kontrollér tallene for ventende og visiterede.")


def test_a_new_kind_is_stored_and_shown_on_its_overview_data_sources_changes_and_missing(service):
    base, run = service
    path = waiting_list(base / "watched" / "Venteliste Vest.xlsx", [("Krumtappen", 4, 2), ("Solsikken", 3, 1)])
    run("ingest")
    waiting_list(path, [("Krumtappen", 5, 2), ("Solsikken", 3, 1)])  # a later version: Ventende changed
    os.utime(path, (path.stat().st_atime, path.stat().st_mtime + 60))
    run("ingest")
    run("summary")
    book = load_workbook(base / "output" / "Samlet oversigt.xlsx")
    assert "Venteliste" in book.sheetnames
    overview = [[c for c in row if c is not None] for row in book["Venteliste"].iter_rows(values_only=True)]
    assert any(row[:2] == [UNIT, 2025] and "Krumtappen" in row and 5 in row and 2 in row for row in overview)
    assert any("I alt" in row and 8 in row and 3 in row for row in overview)  # its lines add up: a total
    data = [row for row in book["Data"].iter_rows(values_only=True) if row[2] == "venteliste"]
    assert sorted((r[3], r[4], r[6]) for r in data) == [("Krumtappen", "Ventende", 5), ("Krumtappen", "Visiteret", 2),
                                                         ("Solsikken", "Ventende", 3), ("Solsikken", "Visiteret", 1)]
    assert all(r[7] == "Venteliste Vest.xlsx" for r in data)
    sources = "\n".join(" ".join(map(str, row)) for row in book["Kilder"].iter_rows(values_only=True))
    assert "venteliste" in sources.casefold() and "Venteliste Vest.xlsx" in sources
    changes = "\n".join(" ".join(map(str, row)) for row in book["Ændringer"].iter_rows(values_only=True))
    assert "Ventende" in changes and "Krumtappen" in changes and "var 4" in changes and "er nu 5" in changes
    missing = [row for row in book["Mangler"].iter_rows(values_only=True) if OTHER in row]
    assert missing and "venteliste" in missing[0]


def test_a_new_kind_gets_a_template_with_its_own_help(service):
    base, run = service
    run("template", "venteliste", "--unit", UNIT, "--year", "2026", "--output", str(base / "skabelon.xlsx"))
    ws = load_workbook(base / "skabelon.xlsx").active
    header = next(r for r in range(1, 20) if ws.cell(r, 1).value == "Tilbud")
    assert [ws.cell(header, c).value for c in (1, 2, 3)] == ["Tilbud", "Ventende", "Visiteret"]
    prompts = {dv.promptTitle: dv.prompt for dv in ws.data_validations.dataValidation if dv.prompt}
    assert prompts["Ventende"] == "Borgere på ventelisten den sidste dag i året. Et helt tal."  # its own help
    assert prompts["Visiteret"] == "Et helt antal, 0 eller derover."  # none of its own: by the column's type
    assert ws.cell(header + 1, 1).value == "I alt"  # its lines add up


def test_two_kinds_that_could_read_the_same_sheet_are_refused_at_start_naming_both(tmp_path):
    shutil.copytree(ROOT / "schemas", tmp_path / "schemas", ignore=shutil.ignore_patterns("__pycache__"))
    # a kind reading any sheet with Område, Mål and Realiseret: every handleplan sheet
    (tmp_path / "schemas" / "maal.py").write_text(textwrap.dedent('''
        from syncservice.layout import Column, Kind
        KIND = Kind(name="maal", title="Mål", line_columns=("area",), schema=lambda f: None, figures=lambda f: (),
                    columns=(Column("area", "Område", ("Område",), "text"), Column("target", "Mål", ("Mål",)),
                             Column("realised", "Realiseret", ("Realiseret",))))
        '''), encoding="utf-8")
    done = subprocess.run([sys.executable, "-c", "import schemas"], cwd=tmp_path, capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), str(ROOT)])}, timeout=60)
    assert done.returncode != 0
    assert "'handleplan' (schemas/handleplan.py) and 'maal' (schemas/maal.py) could both read the same sheet" \
        in done.stderr


def test_the_engine_names_no_kind_outside_its_comments_and_docstrings():
    """STYLE.md point 2: the engine only loops over the discovered kinds. A kind's name in a
    string of the engine's code would be knowledge of that kind outside its module."""
    import ast
    import re

    from schemas import KINDS

    names = re.compile(rf"\b({'|'.join(map(re.escape, KINDS))})\b")
    found = []
    for path in sorted((Path(__file__).resolve().parent.parent / "syncservice").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                      if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
                      and node.body and isinstance(node.body[0], ast.Expr)
                      and isinstance(node.body[0].value, ast.Constant)}
        for node in ast.walk(tree):
            if (isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings
                    and names.search(node.value)):
                found.append(f"{path.name}:{node.lineno}: {node.value[:60]!r}")
    assert found == []
