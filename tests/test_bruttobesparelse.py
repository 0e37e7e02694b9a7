"""Kind `bruttobesparelse` (schemas/bruttobesparelse.py, WORKBOOKS.md §7): follow-ups that
revise one estimate per year; seed 003's table is accepted as millions, in time order, with
no total."""

from __future__ import annotations

import datetime as dt

import book
from conftest import only
from syncservice.messages import render
from syncservice.models import DataRow, StoredVersion
from syncservice.summary import write_consolidated

UNIT = "Handicap & Psykiatri, Ballerup"


def test_the_seed_table_is_accepted_in_millions_from_its_corner_cell(check):
    verdict = check({"Bruttobesparelse": book.bruttobesparelse()})
    assert verdict.errors == () and verdict.warnings == ()
    [report] = verdict.reports
    assert (report.kind, report.unit, report.year, report.amount_unit) == ("bruttobesparelse", UNIT, 2016, "mio. kr.")
    figures = {(f.line, f.period): f.value for f in report.figures}
    assert figures[("3. opfølgning 2015", "2014")] == 2_400_000
    assert [figures[("3. opfølgning 2016", str(y))] for y in (2014, 2015, 2016, 2017)] == [
        2_400_000, 7_300_000, 13_600_000, 16_000_000]
    assert report.through == 4  # reported through four follow-ups


def test_an_empty_estimate_is_no_figure_never_nan(check):
    lines = [list(r) for r in book.BRUTTO_LINES]
    lines[0][4] = None  # 3. opfølgning 2015 had no estimate for 2017 yet
    [report] = check({"B": book.bruttobesparelse(lines=lines)}).reports
    assert ("3. opfølgning 2015", "2017") not in {(f.line, f.period) for f in report.figures}
    assert all(f.value == f.value for f in report.figures)
    assert len(report.figures) == 15


def test_a_follow_up_out_of_time_order_is_an_error_at_it(check):
    lines = [list(r) for r in book.BRUTTO_LINES]
    lines[1], lines[2] = lines[2], lines[1]  # 2. before 1. opfølgning 2016
    verdict = check({"B": book.bruttobesparelse(lines=lines)})
    [error] = only(verdict.errors, "bruttobesparelse.follow_up_order")
    assert (error.sheet, error.cells) == ("B", ("A7",))
    assert render(error) == ("Opfølgningen «1. opfølgning 2016» står under «2. opfølgning 2016», men er lavet før "
                             "den. Sæt opfølgningerne i tidsrækkefølge med den ældste øverst og den nyeste nederst.")


def test_a_line_that_names_no_follow_up_is_an_error(check):
    lines = [list(r) for r in book.BRUTTO_LINES]
    lines[3][0] = "Seneste skøn"
    [error] = only(check({"B": book.bruttobesparelse(lines=lines)}).errors, "bruttobesparelse.follow_up")
    assert error.cells == ("A8",) and "«Seneste skøn» er ikke en budgetopfølgning." in render(error)


def test_a_total_row_is_an_error_as_the_follow_ups_never_add_up(check):
    lines = [*map(list, book.BRUTTO_LINES), ["I alt", 9.6, 29.2, 50.8, 55.4]]
    [error] = only(check({"B": book.bruttobesparelse(lines=lines)}).errors, "total.not_allowed")
    assert error.cells == ("A9",)
    assert render(error).startswith("Rækken «I alt» er en totalrække, men linjerne i Bruttobesparelse lægges ikke "
                                    "sammen")


def test_a_past_years_estimate_changed_at_a_later_follow_up_is_a_warning(check):
    lines = [list(r) for r in book.BRUTTO_LINES]
    lines[1][2] = 7.0  # 2015 had ended by 1. opfølgning 2016, yet its estimate moved from 7,3
    verdict = check({"B": book.bruttobesparelse(lines=lines)})
    assert verdict.errors == ()
    warning, back = only(verdict.warnings, "bruttobesparelse.past_year_changed")
    assert (warning.cells, back.cells) == (("C6",), ("C7",))  # and back to 7,3 at the next follow-up
    assert render(warning).startswith("Ved 1. opfølgning 2016 er besparelsen for 2015 ændret fra 7,3 til 7, "
                                      "selv om 2015 var slut.")


def test_the_corner_and_the_metadata_naming_different_units_is_an_error_naming_both(check):
    verdict = check({"B": book.bruttobesparelse(corner="i 1.000 kr.", meta=[["Beløb i:", "mio. kr."]])})
    [error] = only(verdict.errors, "meta.amount_unit_conflict")
    assert error.cells == ("B3", "A5")
    assert "mio. kr. og 1.000 kr." in render(error)


def test_the_corner_and_a_title_line_agreeing_are_one_unit(check):
    rows = book.bruttobesparelse(corner="Besparelser i mio. kr.")
    rows[0] = ["Bruttobesparelse jf. tidligere og nuværende strategi (mio. kr.):"]
    [report] = check({"B": rows}).reports
    assert report.amount_unit == "mio. kr."


def test_an_effekt_sheet_without_its_tiltag_label_is_still_diagnosed_as_effekt(check):
    """A blank cell left of the years is no corner when the table starts further left."""
    rows = book.effekt()
    rows[5] = ["Spor", None, *rows[5][2:]]
    [error] = check({"E": rows}).errors
    assert error.rule == "sheet.header_incomplete" and error.params["kind"] == "Effekt"


def test_the_overview_shows_the_latest_estimate_and_its_change_from_the_follow_up_before(tmp_path, check):
    [report] = check({"B": book.bruttobesparelse()}).reports
    version = StoredVersion(1, "bruttobesparelse", UNIT, 2016, 1, "B.xlsx", "B.xlsx", "B", "",
                            saved_at="2016-12-01T10:00:00+00:00", accepted_at="2016-12-01T10:00:00+00:00",
                            archive_path="", amount_unit="mio. kr.", through=4)
    rows = [DataRow(UNIT, 2016, "bruttobesparelse", f.line, f.metric, f.period, f.value, "B.xlsx", 1, f.line_no)
            for f in report.figures]
    path = tmp_path / "Samlet.xlsx"
    write_consolidated(path, [version], lambda: iter(rows), [], amount_unit="mio. kr.", message=render,
                       now=dt.datetime(2016, 12, 2, tzinfo=dt.UTC))
    from openpyxl import load_workbook

    ws = load_workbook(path)["Bruttobesparelse"]
    shown = [[c for c in row if c is not None] for row in ws.iter_rows(values_only=True)]
    assert [UNIT, 2016, "Seneste: 3. opfølgning 2016", 2.4, 7.3, 13.6, 16] in shown
    assert [UNIT, 2016, "Ændring fra 2. opfølgning 2016", 0, 0, 1.1, 2.4] in [
        [round(c, 6) if isinstance(c, float) else c for c in row] for row in shown]
    block = shown[:next(i for i, row in enumerate(shown) if row == ["Totaler pr. enhed"])]
    assert not any("I alt" in row for row in block)  # no sum of revisions in a unit's block


def test_a_follow_ups_estimate_changed_in_a_later_version_is_a_change_warning_a_new_follow_up_is_not(check):
    from syncservice.changes import changed_figures

    first = check({"B": book.bruttobesparelse(lines=[list(r) for r in book.BRUTTO_LINES[:3]])}).reports[0]
    lines = [list(r) for r in book.BRUTTO_LINES]
    lines[2][3] = 12.8  # 2. opfølgning 2016's 2016 estimate, already reported as 12,5
    [report] = check({"B": book.bruttobesparelse(lines=lines)}).reports
    previous = StoredVersion(1, "bruttobesparelse", UNIT, 2016, 1, "B.xlsx", "B.xlsx", "B", "", "", "", "")
    [change] = changed_figures(report, previous, first.figures)
    assert (change.rule, change.cells, change.params["line"], change.params["period"]) == (
        "change.figure", ("D7",), "2. opfølgning 2016", "2016")
    assert render(change).startswith("Bruttobesparelse 2016 for 2. opfølgning 2016 var 12.500.000")


def test_a_table_of_years_under_a_blank_corner_with_no_metadata_is_no_report(check):
    """A pivot table by year ('Row Labels | 2005 | 2006', as in the wild corpus) has the shape
    of follow-ups by year; without a metadata block or a corner naming the amount unit it is
    a sheet skipped, not a bruttobesparelse full of errors."""
    pivot = [["Row Labels", None, None], [None, 2005, 2006], ["Sum of Cost", 10, 12], ["Total", 10, 12]]
    verdict = check({"Pivot": [[None, 2005, 2006, 2007], ["Sum of Cost", 1, 2, 3], ["Grand Total", 1, 2, 3]],
                     "Pivot2": pivot})
    assert [f.rule for f in verdict.errors] == ["file.no_report_sheet"]
    assert {f.sheet for f in verdict.warnings if f.rule == "sheet.skipped"} == {"Pivot", "Pivot2"}


def test_follow_ups_under_a_blank_corner_are_read_where_the_metadata_names_the_amount_unit(check):
    rows = book.bruttobesparelse(corner=None, meta=[["Beløb i:", "mio. kr."]])
    verdict = check({"Bruttobesparelse": rows})
    assert verdict.errors == ()
    [report] = verdict.reports
    assert report.kind == "bruttobesparelse" and report.amount_unit == "mio. kr."
