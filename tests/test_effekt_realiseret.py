"""Kind `effekt_realiseret` (schemas/effekt_realiseret.py, WORKBOOKS.md §8): expected against
realised effect per budget year; seed 004 read as the contract says, 'Ej opgjort' and
'3,8 pr 3. kvartal 2016' included."""

from __future__ import annotations

import datetime as dt

from openpyxl import load_workbook

import book
from conftest import only
from syncservice.messages import render
from syncservice.models import DataRow, StoredVersion
from syncservice.summary import write_consolidated

UNIT = "Social- og Handicapcentret, Høje-Taastrup"


def test_the_seed_table_is_accepted_in_millions_from_its_title_line(check):
    verdict = check({"Effekt": book.effekt_realiseret()})
    assert verdict.errors == ()
    [report] = verdict.reports
    assert (report.kind, report.unit, report.year, report.amount_unit) == ("effekt_realiseret", UNIT, 2016, "mio. kr.")
    figures = {(f.metric, f.period): f.value for f in report.figures}
    assert figures[("Realiseret, oprindelige borgere", "2014")] == 150_000
    assert figures[("Realiseret i alt", "2016")] == 5_200_000
    assert {f.line for f in report.figures} == {""}
    assert len(report.figures) == 15 and all(f.value == f.value for f in report.figures)


def test_ej_opgjort_is_no_figure_and_no_finding_and_is_kept_for_the_overview(check):
    verdict = check({"Effekt": book.effekt_realiseret()})
    [report] = verdict.reports
    assert ("Realiseret, nye borgere", "2014") not in {(f.metric, f.period) for f in report.figures}
    assert not any(f.cells[0] in ("E6", "F6", "E7", "F7") for f in verdict.warnings)
    assert ["", "Realiseret, nye borgere", "2014", "Ej opgjort"] in report.extra["not_computed"]


def test_a_number_with_its_period_is_read_as_the_number_with_a_warning_at_each_cell(check):
    warnings = only(check({"Effekt": book.effekt_realiseret()}).warnings, "effekt_realiseret.period_in_cell")
    assert [w.cells for w in warnings] == [("D8",), ("E8",), ("F8",)]
    assert render(warnings[0]) == ("«3,8 pr 3. kvartal 2016» er læst som 3,8; perioden, tallet er opgjort for, hører "
                                   "ikke til i cellen. Skriv kun tallet i cellen, og datoen i «Opgjort pr.» over "
                                   "tabellen.")


def test_a_total_that_is_not_original_plus_new_is_an_error_at_the_total_citing_both(check):
    lines = [list(r) for r in book.EFFEKT_REALISERET_LINES]
    lines[2][3:6] = [3.8, 1.4, 5.6]
    [error] = only(check({"Effekt": book.effekt_realiseret(lines=lines)}).errors, "effekt_realiseret.total")
    assert (error.sheet, error.cells) == ("Effekt", ("F8", "D8", "E8"))
    assert render(error) == ("Samlet effekt for 2016 er 5,6, men oprindelige og nye borgere giver tilsammen 5,2. "
                             "Ret samlet effekt eller de to tal, så samlet effekt = oprindelige + nye borgere.")


def test_a_realised_figure_after_the_as_of_year_is_an_error(check):
    lines = [list(r) for r in book.EFFEKT_REALISERET_LINES]
    lines[3][3] = 2.0  # 2017, reported as of 30.09.2016
    [error] = only(check({"Effekt": book.effekt_realiseret(lines=lines)}).errors, "effekt_realiseret.in_advance")
    assert error.cells == ("D9",) and "for 2017, men tallene er opgjort til og med 2016" in render(error)


def test_budget_years_out_of_sequence_are_an_error_at_the_first(check):
    lines = [list(r) for r in book.EFFEKT_REALISERET_LINES]
    lines[4][0] = 2019
    [error] = only(check({"Effekt": book.effekt_realiseret(lines=lines)}).errors, "effekt_realiseret.years_sequence")
    assert error.cells == ("A10",)


def test_title_and_metadata_naming_different_units_is_an_error_naming_both(check):
    rows = book.effekt_realiseret(title="Effekt af den faglige omstilling (1000 kr.)")
    rows.insert(2, ["Beløb i:", "mio. kr."])
    [error] = only(check({"Effekt": rows}).errors, "meta.amount_unit_conflict")
    assert error.cells == ("B3", "A5")


def test_without_ar_or_opgjort_pr_the_report_has_no_year_and_says_so(check):
    rows = book.effekt_realiseret(as_of=None)
    rows[1] = []
    [error] = only(check({"Effekt": rows}).errors, "meta.missing")
    assert error.params == {"field": "År"}


def test_the_overview_shows_a_line_per_budget_year_and_the_words_not_computed(tmp_path, check):
    [report] = check({"Effekt": book.effekt_realiseret()}).reports
    version = StoredVersion(1, "effekt_realiseret", UNIT, 2016, 1, "E.xlsx", "E.xlsx", "Effekt", "",
                            saved_at="2016-12-01T10:00:00+00:00", accepted_at="2016-12-01T10:00:00+00:00",
                            archive_path="", amount_unit="mio. kr.", as_of="2016-09-30", extra=report.extra)
    rows = [DataRow(UNIT, 2016, "effekt_realiseret", f.line, f.metric, f.period, f.value, "E.xlsx", 1, f.line_no)
            for f in report.figures]
    path = tmp_path / "Samlet.xlsx"
    write_consolidated(path, [version], lambda: iter(rows), [], amount_unit="mio. kr.", message=render,
                       now=dt.datetime(2016, 12, 2, tzinfo=dt.UTC))
    ws = load_workbook(path)["Effekt realiseret"]
    shown = [list(row) for row in ws.iter_rows(values_only=True)]
    header = next(row for row in shown if row[0] == "Enhed")
    assert header[2:8] == ["Budgetår", "Forventet, oprindelig", "Forventet, justeret",
                           "Realiseret, oprindelige borgere", "Realiseret, nye borgere", "Realiseret i alt"]
    assert [UNIT, 2016, "2014", 1.5, None, 0.15, "Ej opgjort", "Ej opgjort"] in shown
    assert [UNIT, 2016, "2016", 7.3, 5.8, 3.8, 1.4, 5.2] in shown
