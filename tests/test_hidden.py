"""Hidden content counts, and is said (WORKBOOKS.md §1): read like any other, with a warning
per sheet and kind of hiding that names the sheet, rows, columns or cells."""

from __future__ import annotations

import pytest

import book
from conftest import only, verdict_for
from syncservice.hidden import runs
from syncservice.messages import render


def realised(verdict):
    return {f.line: f.value for f in verdict.reports[0].figures if f.metric == "Realiseret"}


@pytest.mark.parametrize("state", ["hidden", "veryHidden"])
def test_hidden_sheet_holding_a_report_is_read_with_a_warning(tmp_path, state):
    path = book.save(tmp_path / "hp.xlsx", {"Forside": [["Noter"]], "Handleplan": book.handleplan()})
    v = verdict_for(book.hide(path, "Handleplan", state=state))
    assert v.accepted, v.errors
    (f,) = only(v.warnings, "sheet.hidden")
    assert (f.sheet, f.cells) == ("Handleplan", ())
    assert render(f).startswith("Arket «Handleplan» er skjult, men indeholder en indberetning; dens tal er læst med")
    assert realised(v)["Støtte eget hjem"] == 3_600_000


def test_hidden_sheet_that_is_no_report_is_only_skipped(tmp_path):
    path = book.save(tmp_path / "hp.xlsx", {"Noter": [["Noter"]], "Handleplan": book.handleplan()})
    v = verdict_for(book.hide(path, "Noter", state="hidden"))
    assert "sheet.hidden" not in {f.rule for f in v.warnings}


def test_hidden_rows_inside_the_table_are_read_and_listed_in_one_warning(tmp_path):
    # lines at rows 10-19 under the total (row 9); rows 12, 13 and 17 hidden, and rows 2 and 25 outside the table
    path = book.save(tmp_path / "hp.xlsx", {"HP": book.handleplan()})
    v = verdict_for(book.hide(path, "HP", rows=(2, 12, 13, 17, 25)))
    assert v.accepted, v.errors
    (f,) = only(v.warnings, "table.hidden_rows")
    assert (f.sheet, f.cells) == ("HP", ("A12", "A13", "A17"))
    assert render(f).startswith("Række 12-13, 17 i tabellen er skjult; tallene i dem er læst med som alle andre.")
    assert realised(v)["BPA"] == 200_000  # row 12, hidden, is counted


def test_hidden_columns_of_the_table_are_read_and_listed_in_one_warning(tmp_path):
    path = book.save(tmp_path / "hp.xlsx", {"HP": book.handleplan()})
    v = verdict_for(book.hide(path, "HP", columns=("C", "D", "G")))  # G: outside the table
    assert v.accepted, v.errors
    (f,) = only(v.warnings, "table.hidden_columns")
    assert (f.sheet, f.cells) == ("HP", ("C8", "D8"))
    assert render(f).startswith("Kolonne C, D i tabellen er skjult; tallene i dem er læst med")
    assert sum(realised(v).values()) == 16_700_000


def test_rows_and_columns_hidden_outside_the_table_are_not_mentioned(tmp_path):
    path = book.save(tmp_path / "hp.xlsx", {"HP": book.handleplan()})
    v = verdict_for(book.hide(path, "HP", rows=(1, 2, 30), columns=("F", "H")))
    assert v.accepted and not v.warnings, v.warnings


def test_cells_whose_format_hides_the_value_are_read_and_listed_in_one_warning(check):
    v = check({"HP": book.handleplan()}, formats={"C10": ";;;", "D10": ";;;", "B14": ";;", "A15": ";;;"})
    assert v.accepted, v.errors
    (f,) = only(v.warnings, "value.hidden_format")
    assert (f.sheet, f.cells) == ("HP", ("C10", "D10", "B14", "A15"))
    assert render(f).startswith("4 celle(r) i tabellen har et talformat, der skjuler værdien (fx ;;;)")
    assert realised(v)["Støtte eget hjem"] == 3_600_000


def test_runs_of_rows_read_as_in_excels_margin():
    assert runs([12, 13, 14, 20]) == "12-14, 20"
    assert runs([7]) == "7"
