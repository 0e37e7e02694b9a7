"""Reading workbooks as real programs save them: positions, formulas, shared strings."""

from __future__ import annotations

import datetime as dt
import tracemalloc
import warnings

import openpyxl
import pytest

import syncservice.intake.sheet_xml as sheet_xml
from syncservice.intake.read import OpenWorkbook

import book
import hostile
from conftest import verdict_for

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


# --- the sheet's XML: the C parser where no DOCTYPE can be, defusedxml everywhere else ---------


@pytest.mark.parametrize("prolog", [
    hostile.LAUGHS,                                             # right after the declaration
    "<!-- a comment -->\n<?some instruction?>" + hostile.LAUGHS,  # behind a comment and an instruction
    "\n\t " + hostile.LAUGHS.replace("<!DOCTYPE", "<!doctype"),   # lower case: still not the root
], ids=["after-declaration", "after-comment-and-pi", "lower-case"])
def test_entity_expansion_behind_any_prolog_is_refused_in_little_memory(tmp_path, prolog):
    sheet = hostile._sheet(f'<row r="1">{hostile._inline("A1", "&lol9;")}</row>', prolog=prolog)
    path = hostile._write_zip(tmp_path / "laughs.xlsx", hostile._package({"Ark1": sheet}))
    tracemalloc.start()
    try:
        verdict = verdict_for(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert [f.rule for f in verdict.errors] == ["file.corrupt"]
    assert peak < 30 << 20, f"{peak >> 20} MB"


def test_byte_order_mark_comment_and_instruction_before_the_root_read_as_usual(tmp_path):
    rows = f'<row r="1">{hostile._inline("A1", "Navn &amp; nr.")}<c r="B1"><v>3.5</v></c></row>'
    sheet = hostile._sheet(rows, prolog="<!-- skrevet af et program -->\n<?mso-application progid?>")
    parts = hostile._package({"Ark1": sheet})
    parts["xl/worksheets/sheet1.xml"] = b"\xef\xbb\xbf" + parts["xl/worksheets/sheet1.xml"]
    path = hostile._write_zip(tmp_path / "prolog.xlsx", parts)
    with OpenWorkbook(path) as wb:
        (_, cells), = wb.rows(wb.sheets[0])
    assert cells[1].value == "Navn & nr." and cells[2].value == 3.5


def test_every_cell_reads_as_openpyxl_reads_it(tmp_path, monkeypatch):
    """Values, positions and formula marks as openpyxl gives them, through the C parser and
    through defusedxml's alike: numbers, shared and inline strings, booleans, dates, errors,
    formulas with and without a cached value."""
    rows = [["Tekst", 1, 2.5, True, dt.date(2016, 3, 31), "=B1+C1", "#DIV/0!", "  "],
            [None, "x" * 300, -0.0, 10**15, "1.600", None, "æøå – ‘’", "=1/0"],
            [dt.datetime(2016, 1, 1, 12, 30), 1e-7, -12345.678, False]]
    path = book.save(tmp_path / "alt.xlsx", {"Ark": rows}, formats={"C1": "0.00", "E1": "DD-MM-YYYY"})
    if book.SOFFICE:  # shared strings and cached formula values, as a spreadsheet program saves them
        path = book.resave_with_libreoffice(path, tmp_path / "lo")
    values = openpyxl.load_workbook(path, read_only=True, data_only=True).worksheets[0]
    expected = {(c.row, c.column): c.value for row in values.iter_rows() for c in row
                if c.value is not None and not (isinstance(c.value, str) and not c.value.strip())}
    formulas = {(c.row, c.column) for row in openpyxl.load_workbook(path).worksheets[0].iter_rows()
                for c in row if c.data_type == "f"}

    def read() -> tuple[dict, set]:
        with OpenWorkbook(path) as wb:
            cells = [c for _, row in wb.rows(wb.sheets[0]) for c in row.values()]
        return ({(c.row, c.col): c.value for c in cells if c.value is not None},
                {(c.row, c.col) for c in cells if c.formula})

    assert read() == (expected, formulas)
    monkeypatch.setattr(sheet_xml, "root_without_doctype", lambda head: False)  # defusedxml's parser
    assert read() == (expected, formulas)
    assert expected[(1, 1)] == "Tekst" and expected[(1, 5)] == dt.datetime(2016, 3, 31) and (1, 6) in formulas


def _with_sheet_xml(saved, path, rows_xml: str):
    """`saved` (a workbook openpyxl wrote, for its styles) with its first sheet's rows replaced by `rows_xml`."""
    import zipfile

    with zipfile.ZipFile(saved) as zf:
        parts = {i.filename: zf.read(i) for i in zf.infolist()}
    parts["xl/worksheets/sheet1.xml"] = hostile._sheet(rows_xml).encode()
    return hostile._write_zip(path, parts)


def _style_ids(saved) -> dict[str, str]:
    """The style id (s) openpyxl gave each cell of the first sheet."""
    import re
    import zipfile

    with zipfile.ZipFile(saved) as zf:
        xml = zf.read("xl/worksheets/sheet1.xml").decode()
    return dict(re.findall(r'<c r="([A-Z]+\d+)" s="(\d+)"', xml))


def test_every_kind_of_cell_in_the_xml_reads_as_openpyxl_reads_it(tmp_path):
    """Each cell type a writer may use (t = b, e, str, d, inlineStr, s, n), dates and
    durations by their number format, a serial beyond the calendar, cells and rows that do
    not say where they are: read as openpyxl's own read-only parser reads them."""
    styled = book.save(tmp_path / "styles.xlsx", [[1, 2, 3]], formats={"A1": "DD-MM-YYYY", "B1": "[h]:mm:ss", "C1": "0.00"})
    s = _style_ids(styled)
    date, duration, decimals = s["A1"], s["B1"], s["C1"]
    rows = (f'<row r="1"><c r="A1" t="b"><v>1</v></c><c r="B1" t="b"><v>0</v></c><c r="C1" t="e"><v>#DIV/0!</v></c>'
            f'<c r="D1" t="str"><f>"a"&amp;"b"</f><v>ab</v></c><c r="E1" t="d"><v>2016-03-31T12:30:00</v></c>'
            f'{hostile._inline("F1", "inline &amp; tekst")}<c r="G1" t="inlineStr"/></row>'
            f'<row r="2"><c r="A2" s="{date}"><v>42460</v></c><c r="B2" s="{duration}"><v>1.5</v></c>'
            f'<c r="C2" s="{decimals}"><v>1E3</v></c><c r="D2" s="{date}"><v>1e12</v></c>'
            f'<c r="E2" s="{date}"><f>TODAY()</f><v>42461</v></c><c r="F2" t="e" s="{date}"><v>#N/A</v></c></row>'
            f'<row><c><v>7</v></c><c t="b"><v>1</v></c><c s="{date}"><v>1</v></c></row>'
            f'<row r="5.0"><c r="B5"><v>-2.5</v></c><c t="inlineStr"><is><r><t>ri</t></r><r><t>ch</t></r></is></c></row>')
    path = _with_sheet_xml(styled, tmp_path / "alle.xlsx", rows)
    with warnings.catch_warnings():  # openpyxl warns of the serial beyond the calendar
        warnings.simplefilter("ignore", UserWarning)
        sheet = openpyxl.load_workbook(path, read_only=True, data_only=True).worksheets[0]
        expected = {(c.row, c.column): c.value for row in sheet.iter_rows() for c in row if c.value is not None}
    with OpenWorkbook(path) as wb:
        cells = [c for _, row in wb.rows(wb.sheets[0]) for c in row.values()]
    assert {(c.row, c.col): c.value for c in cells if c.value is not None} == expected
    assert expected[(2, 1)] == dt.datetime(2016, 3, 31) and expected[(2, 2)] == dt.timedelta(hours=36)
    assert expected[(2, 4)] == "#VALUE!" and expected[(3, 3)] == dt.datetime(1900, 1, 1)
    assert expected[(5, 3)] == "rich" and expected[(1, 4)] == "ab"


def test_a_cell_with_an_empty_style_reads_as_unstyled(tmp_path):
    """s="" (a writer leaving the attribute empty) is style 0 on every kind of cell, not a crash."""
    rows = '<row r="1"><c r="A1" t="b" s=""><v>1</v></c><c r="B1" s=""><v>2</v></c></row>'
    path = hostile._write_zip(tmp_path / "s.xlsx", hostile._package({"Ark1": hostile._sheet(rows)}))
    with OpenWorkbook(path) as wb:
        (_, cells), = wb.rows(wb.sheets[0])
    assert [(c.value, c.number_format) for c in cells.values()] == [(True, "General"), (2, "General")]


def _with_chart_sheet(path, names: tuple[str, str, str]):
    """Sheets A (1 in A1), a chart sheet, B (2 in A1), in that order, then renamed to `names` in
    the workbook part, as a writer that allows any name might leave them."""
    import zipfile

    from openpyxl import Workbook
    from openpyxl.chart import BarChart, Reference

    wb = Workbook()
    first = wb.active
    first.title, first["A1"] = "A", 1
    chart = BarChart()
    chart.add_data(Reference(first, min_col=1, min_row=1, max_row=1))
    wb.create_chartsheet("Diagram").add_chart(chart)
    wb.create_sheet("B")["A1"] = 2
    wb.save(path)
    with zipfile.ZipFile(path) as zf:
        parts = {i.filename: zf.read(i) for i in zf.infolist()}
    xml = parts["xl/workbook.xml"].decode()
    for old, new in zip(("A", "Diagram", "B"), names):
        xml = xml.replace(f'<sheet name="{old}" ', f'<sheet name="{new}" ')
    parts["xl/workbook.xml"] = xml.encode()
    return hostile._write_zip(path, parts)


@pytest.mark.parametrize("names, listed", [
    (("A", "Diagram", "B"), ["A", "Diagram", "B"]),
    (("A", "Diagram", "Diagram"), ["A", "Diagram", "Diagram"]),  # a worksheet repeating the chart sheet's name
    (("Diagram", "Diagram", "B"), ["Diagram", "Diagram1", "B"]),  # openpyxl renames the chart sheet
], ids=["named-apart", "worksheet-after-named-alike", "chart-after-named-alike"])
def test_a_chart_sheet_keeps_its_place_among_the_worksheets(tmp_path, names, listed):
    path = _with_chart_sheet(tmp_path / "diagram.xlsx", names)
    with OpenWorkbook(path) as wb:
        sheets = wb.sheets
        firsts = [next(iter(dict(wb.rows(s))[1].values())).value if s.worksheet else None for s in sheets]
    assert [(s.name, s.index, s.worksheet) for s in sheets] == [(n, i, i != 1) for i, n in enumerate(listed)]
    assert firsts == [1, None, 2]
