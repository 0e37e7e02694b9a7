"""Text from a staff workbook is data in every output: typed as text in Excel (a leading
apostrophe), '=HYPERLINK(...)', '+cmd' and '@SUM' must never come back as formulas."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from syncservice.cli import main

import book

UNIT = '=HYPERLINK("http://evil.example","Klik her")'
LINES = ["+cmd|' /C calc'!A0", "@SUM(A1)"]
BAD_COUNT = "-2+3"


def as_text(path: Path, sheet: str, texts: dict[str, str]) -> Path:
    """Put texts into cells as Excel does for '=... typed with an apostrophe: a string."""
    wb = openpyxl.load_workbook(path)
    for ref, text in texts.items():
        cell = wb[sheet][ref]
        cell.value = text
        cell.data_type = "s"  # openpyxl would otherwise take a leading '=' for a formula
    wb.save(path)
    return path


@pytest.fixture
def site(tmp_path, monkeypatch):
    watched = tmp_path / "watched"
    lines = [["Område A", 1.0, 0.5, 0.8], ["Område B", 2.0, 1.0, 1.5]]
    hp = book.save(watched / "hp.xlsx", {"HP": book.handleplan(lines=lines)})
    as_text(hp, "HP", {"B3": UNIT, "A10": LINES[0], "A11": LINES[1]})  # total on row 9, lines below
    rejected = book.save(watched / "ta.xlsx", {"TA": book.tilgang()})
    as_text(rejected, "TA", {"A8": "=1+1", "C9": BAD_COUNT})
    (tmp_path / "config.toml").write_text("", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["ingest", "--config", str(tmp_path / "config.toml")], catch_exceptions=False)
    assert "1 godkendt, 1 afvist" in result.output, result.output
    return tmp_path


def strings_and_formulas(path: Path) -> tuple[set[str], list[str]]:
    wb = openpyxl.load_workbook(path)
    strings, formulas = set(), []
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if cell.data_type == "f":
                    formulas.append(f"{ws.title}!{cell.coordinate}")
                elif isinstance(cell.value, str):
                    strings.add(cell.value)
    return strings, formulas


def no_formula_in_the_xml(path: Path) -> bool:
    with zipfile.ZipFile(path) as z:
        return not any(b"<f>" in z.read(n) or b"<f " in z.read(n)
                       for n in z.namelist() if n.startswith("xl/worksheets/"))


def test_the_consolidated_workbook_holds_the_text_as_text(site):
    strings, formulas = strings_and_formulas(site / "output" / "Samlet oversigt.xlsx")
    assert formulas == [] and no_formula_in_the_xml(site / "output" / "Samlet oversigt.xlsx")
    assert {UNIT, *LINES} <= strings
    data = openpyxl.load_workbook(site / "output" / "Samlet oversigt.xlsx")["Data"]
    assert {r[0] for r in data.iter_rows(min_row=2, values_only=True)} == {UNIT}


def test_the_rejection_report_quotes_the_text_and_adds_no_formula(site):
    report = next((site / "output" / "Tilbagemeldinger").glob("*FEJL.xlsx"))
    strings, formulas = strings_and_formulas(report)
    assert formulas == [] and no_formula_in_the_xml(report)
    assert "=1+1" in strings and BAD_COUNT in strings
    text = next((site / "output" / "Tilbagemeldinger").glob("*FEJL.txt")).read_text(encoding="utf-8")
    assert f"«{BAD_COUNT}»" in text


def test_the_validation_log_keeps_the_text_verbatim(site):
    records = [json.loads(line) for line in (site / "logs" / "validation.jsonl").read_text("utf-8").splitlines()]
    values = {f["value"] for r in records for f in r.get("errors", [])}
    assert BAD_COUNT in values


def test_a_template_prefilled_from_the_store_writes_the_lines_as_text(site):
    out = site / "t.xlsx"
    result = CliRunner().invoke(main, ["template", "handleplan", "--unit", UNIT, "--year", "2015", "-o", str(out),
                                       "--config", str(site / "config.toml")], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    strings, formulas = strings_and_formulas(out)
    assert {UNIT, *LINES} <= strings
    assert all(ref.split("!")[1][0] != "A" for ref in formulas)  # only the total row's own SUMs
