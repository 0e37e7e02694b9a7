"""Reading workbooks as real programs save them: positions, formulas, shared strings."""

from __future__ import annotations

import pytest

import book
from conftest import verdict_for
from syncservice.read import OpenWorkbook

needs_soffice = pytest.mark.skipif(book.SOFFICE is None, reason="LibreOffice (soffice) is not installed")


def test_cells_keep_their_positions(tmp_path):
    path = book.save(tmp_path / "a.xlsx", {"Ark": [[None, "x"], [], [None, None, 3.5]]})
    with OpenWorkbook(path) as wb:
        rows = dict(wb.rows(wb.sheets[0]))
    assert rows[1][2].ref == "B1" and rows[1][2].value == "x"
    assert 2 not in rows  # a blank row is not there
    assert rows[3][3].ref == "C3" and rows[3][3].value == 3.5


def test_formula_without_cached_value_is_marked(tmp_path):
    path = book.save(tmp_path / "f.xlsx", [[1, 2, "=A1+B1"]])
    with OpenWorkbook(path) as wb:
        (_, cells), = wb.rows(wb.sheets[0])
    assert cells[3].formula and cells[3].value is None
    assert not cells[1].formula


@needs_soffice
def test_workbook_saved_by_libreoffice_is_accepted_with_the_same_figures(tmp_path):
    original = book.save(tmp_path / "hp.xlsx", {"Handleplan": book.handleplan()})
    resaved = book.resave_with_libreoffice(original, tmp_path / "lo")
    before, after = verdict_for(original), verdict_for(resaved)
    assert after.accepted, after.errors
    assert [(f.line, f.metric, f.value, f.cell) for f in after.reports[0].figures] == \
        [(f.line, f.metric, f.value, f.cell) for f in before.reports[0].figures]


@needs_soffice
def test_total_formula_calculated_by_libreoffice_is_read_through_its_cached_value(tmp_path):
    rows = book.handleplan(total=["Total", "=SUM(B10:B19)", "=SUM(C10:C19)", "=SUM(D10:D19)"])
    never_opened = book.save(tmp_path / "hp.xlsx", rows)
    assert {f.rule for f in verdict_for(never_opened).errors} == {"value.formula_no_cache"}
    resaved = book.resave_with_libreoffice(never_opened, tmp_path / "lo")
    verdict = verdict_for(resaved)
    assert verdict.accepted, verdict.errors


@needs_soffice
def test_libreoffice_two_row_merged_quarter_header(tmp_path):
    original = book.save(tmp_path / "ta.xlsx", {"Tilgang og afgang": book.tilgang(quarters=3)})
    resaved = book.resave_with_libreoffice(original, tmp_path / "lo")
    verdict = verdict_for(resaved)
    assert verdict.accepted, verdict.errors
    assert verdict.reports[0].through == 3
