"""Numbers in what people read: a number cell's value is written as the reader's language
writes numbers (1.234,5 in Danish, 1,234.5 in English) in messages, the rejection report,
the terminal and the consolidated workbook; text the person typed is shown exactly as typed."""

from __future__ import annotations

import datetime as dt
import json

import openpyxl
import pytest
from click.testing import CliRunner

import book
from conftest import only, verdict_for
from syncservice.cli import main
from syncservice.config import defaults
from syncservice.feedback import write_report
from syncservice.messages import number_text, render, shown_value
from syncservice.models import ERROR, Finding, StagedFile
from syncservice.pipeline import Pipeline
from syncservice.store import Store

LINES = [["Område A", 1.5, 0.75, 1.25], ["Område B", 2.25, 1234567.5, 1234567.5]]


@pytest.mark.parametrize(("value", "decimals", "da", "en"), [
    (1234567.5, None, "1.234.567,5", "1,234,567.5"),
    (3.0, None, "3", "3"),
    (-0.25, None, "-0,25", "-0.25"),
    (0.1 + 0.2, None, "0,3", "0.3"),  # float noise is not shown
    (-1e-9, 2, "0,00", "0.00"),  # no minus on a difference that rounds away
    (1234568.25, 2, "1.234.568,25", "1,234,568.25"),
    (97.0, 0, "97", "97"),
])
def test_number_text_in_each_language(value, decimals, da, en):
    assert (number_text(value, "da", decimals), number_text(value, "en", decimals)) == (da, en)


def handleplan_with_bad_totals(path):
    """A total for Mål of 3,5 where the lines give 3,75; Realiseret 2,5 where they give 1.234.568,25."""
    return book.save(path, {"HP": book.handleplan(lines=LINES, total=["Total", 3.5, 2.5, 1234568.75])})


def test_check_shows_the_found_number_in_danish(tmp_path):
    path = handleplan_with_bad_totals(tmp_path / "hp.xlsx")
    result = CliRunner().invoke(main, ["check", str(path)])
    assert result.exit_code == 1, result.output
    assert "HP!B9  Mål · «3,5»  [total.mismatch]" in result.output
    assert "Totalen i kolonnen Mål er 3,5, men rækkerne giver 3,75 (forskel -0,25)." in result.output
    assert "Totalen i kolonnen Realiseret er 2,5, men rækkerne giver 1.234.568,25 (forskel -1.234.565,75)." \
        in result.output
    assert "«3.5»" not in result.output


def test_check_json_keeps_the_value_language_neutral(tmp_path):
    path = handleplan_with_bad_totals(tmp_path / "hp.xlsx")
    result = CliRunner().invoke(main, ["check", "--json", str(path)])
    (verdict,) = json.loads(result.output)
    first = verdict["errors"][0]
    assert (first["cells"], first["value"]) == (["B9"], "3.5")  # for programs: one way to write it
    assert "er 3,5, men" in first["message"]  # for people: their way


def test_text_typed_with_a_point_is_shown_as_typed():
    # value.decimal_point: the person typed the text '3.5' in a number column
    typed = Finding("value.decimal_point", ERROR, "HP", ("B9",), "Mål", "3.5")
    assert shown_value(typed) == "3.5" and "«3.5»" in render(typed)
    read = Finding("value.negative", ERROR, "HP", ("B9",), "Mål", "-1.5", numeric=True)
    assert shown_value(read) == "-1,5" and shown_value(read, "en") == "-1.5"
    assert render(read).startswith("Mål er negativ (-1,5)")


@pytest.mark.parametrize(("language", "sheet", "shown", "said"), [
    ("da", "Fejl", "1.234.567,5", "Realiseret (1.234.567,5) overstiger forventet for året (1.000)."),
    ("en", "Errors", "1,234,567.5", "Realised (1,234,567.5) exceeds expected for the year (1,000)."),
])
def test_rejection_report_writes_found_numbers_in_the_readers_language(tmp_path, language, sheet, shown, said):
    lines = [["Område A", 1.5, 0.75, 1.25], ["Område B", 2.25, 1234567.5, 1000]]
    path = book.save(tmp_path / "hp.xlsx", {"HP": book.handleplan(lines=lines, total=["Total", 3.5, 0, 0])})
    verdict = verdict_for(path)
    staged = StagedFile(path, "hp.xlsx", path, "0" * 64, path.stat().st_size, 0)
    xlsx, txt = write_report(staged, verdict, tmp_path / "feedback", language=language,
                             now=dt.datetime(2016, 1, 1, tzinfo=dt.UTC), message=lambda f: render(f, language))
    ws = openpyxl.load_workbook(xlsx)[sheet]
    rows = [[c.value for c in r] for r in ws.iter_rows()]
    (row,) = [r for r in rows if r[-1] == "handleplan.realised_exceeds_expected"]
    assert row[4] == shown and row[5] == said
    assert f"«{shown}»" in txt.read_text(encoding="utf-8-sig")


def test_afviste_sheet_renders_stored_findings_with_danish_numbers(tmp_path):
    config = defaults(tmp_path)
    (tmp_path / "watched").mkdir()
    with Store.open(config.path("database")) as store:
        pipeline = Pipeline(config, store)
        assert pipeline.process(handleplan_with_bad_totals(tmp_path / "watched" / "hp.xlsx")).status == "rejected"
        wb = openpyxl.load_workbook(pipeline.write_summary())
    said = [r[5] for r in wb["Afviste"].iter_rows(min_row=5, values_only=True)]
    assert said[0].startswith("Totalen i kolonnen Mål er 3,5, men rækkerne giver 3,75")



# --- a number format that scales what is shown (issue 13) -------------------------------

def test_thousands_format_is_read_as_the_thousands_shown(check):
    # C7 holds -250000 formatted '#,##0,': Excel shows -250, and the sheet is in 1.000 kr.
    rows = book.cell(book.effekt(), "C7", -250_000)
    v = check({"Effekt": rows}, formats={"C7": "#,##0,"})
    assert v.accepted, [(f.rule, f.cells) for f in v.errors]
    (figure,) = [f for f in v.reports[0].figures if f.cell == "C7"]
    assert figure.value == -250_000  # kroner: -250 thousands, not -250,000,000


def test_millions_format_with_text_is_read_as_the_millions_shown(check):
    # B10 holds 6.000.000 formatted as millions with a decimal ('6,0 mio.'); the sheet is in mio. kr.
    rows = book.cell(book.handleplan(), "B10", 6_000_000)
    v = check({"HP": rows}, formats={"B10": '#,##0.0,," mio."'})
    assert v.accepted, [(f.rule, f.cells) for f in v.errors]
    (figure,) = [f for f in v.reports[0].figures if f.cell == "B10"]
    assert figure.value == 6_000_000


def test_scaled_negative_section_scales_only_the_negative_figures(check):
    # '0;-0,': a negative shows in thousands, a positive as it is; the sheet is in 1.000 kr.
    fmt = "0;-0,"
    rows = book.cell(book.cell(book.effekt(), "C7", -250_000), "F11", 9)
    rows = book.cell(rows, "F12", -11_550 + 3_000 + 9)  # F11 was -3.000: the total follows the 9 shown
    v = check({"Effekt": rows}, formats={"C7": fmt, "F11": fmt})
    assert v.accepted, [(f.rule, f.cells) for f in v.errors]
    figures = {f.cell: f.value for f in v.reports[0].figures}
    assert (figures["C7"], figures["F11"]) == (-250_000, 9_000)


def test_total_of_scaled_figures_is_held_to_the_decimals_shown(check):
    # the lines hold kroner shown in thousands ('#,##0,'): 3.600.400 shows 3.600, within half a thousand
    lines = [["Område A", 1, 3_600_400, 4], ["Område B", 2, 1_100_000, 5]]
    rows = book.handleplan(amount_unit="1.000 kr.", lines=lines, total=["Total", 3, 4_700, 9])
    v = check({"HP": rows}, formats={"C10": "#,##0,", "C11": "#,##0,"})
    assert v.accepted, [(f.rule, f.cells, f.value, f.params) for f in v.errors]
    lines[0][2] = 3_601_000  # shows 3.601: a whole thousand off the total
    v = check({"HP": book.handleplan(amount_unit="1.000 kr.", lines=lines, total=["Total", 3, 4_700, 9])},
              formats={"C10": "#,##0,", "C11": "#,##0,"})
    (f,) = only(v.errors, "total.mismatch")
    assert (f.sheet, f.cells) == ("HP", ("C9",))
    assert "rækkerne giver 4.701" in render(f)
