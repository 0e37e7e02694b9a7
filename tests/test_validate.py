"""One test per rule: a workbook that breaks exactly that rule, its verdict, rule id and cell."""

from __future__ import annotations

import datetime as dt

import pytest

import book
from conftest import only
from syncservice.messages import render


# --- the seeds come out right --------------------------------------------------------------

def test_seed_000_handleplan_is_accepted_in_kroner(check):
    v = check(book.handleplan())
    assert v.accepted, v.errors
    (report,) = v.reports
    assert report.key == ("handleplan", "Handicap og Socialpsykiatri, Fredensborg", 2015)
    assert report.as_of == dt.date(2015, 11, 30)
    figures = {(f.line, f.metric): f.value for f in report.figures}
    assert figures[("Støtte eget hjem", "Mål")] == 6_000_000
    assert figures[("Institutioner", "Realiseret")] == 4_500_000  # footnote marker dropped
    assert figures[("Ledsageordning", "Mål")] == 300_000
    assert sum(v for (line, metric), v in figures.items() if metric == "Realiseret") == 16_700_000
    assert "Total" not in {f.line for f in report.figures}


def test_seed_002_effekt_alle_row_totals_per_year(check):
    v = check(book.effekt())
    assert v.accepted, v.errors
    (report,) = v.reports
    assert report.year == 2020  # no År in the metadata: the first year column
    per_year = {}
    for f in report.figures:
        per_year[f.period] = per_year.get(f.period, 0) + f.value
    assert per_year == {"2020": -2_500_000, "2021": -5_950_000, "2022": -8_750_000,
                        "2023": -11_550_000, "2024": -15_850_000}
    assert {f.track for f in report.figures} == {"1", "2", "3", "4 a", "4 b"}


def test_seed_003_tilgang_balances_through_q3(check):
    v = check(book.tilgang())
    assert v.accepted, v.errors
    (report,) = v.reports
    assert report.through == 3
    ends = {f.line: (f.value) for f in report.figures if f.metric == "Ultimo"}
    starts = {f.line: (f.value) for f in report.figures if f.metric == "Primo"}
    assert starts == {"Krumtappen": 18, "Bibliotekscaféen": 13, "Larsbjerggård": 9, "Det Nye Sted": 50}
    assert ends == {"Krumtappen": 22, "Bibliotekscaféen": 13, "Larsbjerggård": 8, "Det Nye Sted": 54}


# --- numbers ------------------------------------------------------------------------------

def test_danish_number_text_is_read(check):
    lines = [list(r) for r in book.HANDLEPLAN_LINES]
    lines[0][1:] = ["6,0", "3,6", "3,6"]
    lines[1][1] = "5"
    lines[8][2:] = ["-", "–"]
    v = check(book.handleplan(lines=lines, total=["Total", "25", "16,7", "17,6"]))
    assert v.accepted, v.errors


def test_text_in_a_number_column_names_the_cell(check):
    lines = [list(r) for r in book.HANDLEPLAN_LINES]
    lines[1][2] = "ca. 5"
    v = check(book.handleplan(lines=lines, total=False))
    (f,) = only(v.errors, "value.not_number")
    assert not v.accepted
    assert (f.sheet, f.cells, f.column, f.value) == ("Ark1", ("C10",), "Realiseret", "ca. 5")
    assert "ikke et tal" in render(f)


def test_point_as_decimal_sign_is_its_own_error(check):
    lines = [list(r) for r in book.HANDLEPLAN_LINES]
    lines[0][2] = "3.6"
    v = check(book.handleplan(lines=lines, total=False))
    (f,) = only(v.errors, "value.decimal_point")
    assert f.cells == ("C9",)
    assert "komma" in render(f)


def test_empty_figure_is_an_error(check):
    lines = [list(r) for r in book.HANDLEPLAN_LINES]
    lines[2][3] = None
    v = check(book.handleplan(lines=lines, total=False))
    (f,) = only(v.errors, "value.missing")
    assert (f.cells, f.column) == (("D11",), "Forventet")


def test_negative_target_is_an_error(check):
    lines = [list(r) for r in book.HANDLEPLAN_LINES]
    lines[3][1] = -5
    v = check(book.handleplan(lines=lines, total=False))
    (f,) = only(v.errors, "value.negative")
    assert (f.cells, f.value) == (("B12",), "-5")


def test_formula_without_cached_value_is_an_error(check):
    lines = [list(r) for r in book.HANDLEPLAN_LINES]
    lines[0][1] = "=2*3"  # openpyxl writes the formula with no cached result
    v = check(book.handleplan(lines=lines, total=False))
    (f,) = only(v.errors, "value.formula_no_cache")
    assert f.cells == ("B9",)
    assert "aldrig" in render(f)


# --- totals -------------------------------------------------------------------------------

def test_total_row_mismatch_names_the_total_cell(check):
    v = check(book.handleplan(total=["Total", 25, 16.9, 17.6]))
    (f,) = only(v.errors, "total.mismatch")
    assert (f.cells, f.column, f.value) == (("C9",), "Realiseret", "16.9")
    # the total and the sum in Danish, with the column's decimals; in English, as English writes them
    assert render(f).startswith("Totalen i kolonnen Realiseret er 16,9, men rækkerne giver 16,7 (forskel 0,2).")
    assert render(f, "en").startswith("The total in column Realiseret is 16.9, but the rows add up to 16.7 "
                                      "(difference 0.2).")


def test_total_within_half_a_unit_of_last_decimal_shown_is_accepted(check):
    lines = [["A", 1.04, 1, 1], ["B", 1.04, 1, 1]]
    v = check(book.handleplan(lines=lines, total=["I alt", 2.1, 2, 2]),
              formats={"B9": "0.0", "B10": "0.0", "B11": "0.0"})
    assert v.accepted, v.errors


def test_total_row_may_stand_last_and_be_called_i_alt(check):
    rows = book.handleplan(total=False)
    rows.append(["I alt", 25, 16.7, 17.6])
    assert check(rows).accepted


def test_effekt_alle_total_mismatch(check):
    rows = book.effekt()
    rows[-1][4] = -8000
    v = check(rows)
    (f,) = only(v.errors, "total.mismatch")
    assert f.cells == ("E12",)


# --- names --------------------------------------------------------------------------------

def test_repeated_name_is_reported_at_the_repeat_naming_the_first(check):
    lines = [list(r) for r in book.HANDLEPLAN_LINES]
    lines[5][0] = "dagtilbud "
    v = check(book.handleplan(lines=lines, total=False))
    (f,) = only(v.errors, "row.duplicate")
    assert f.cells == ("A14",)
    assert f.params["first_row"] == 10
    assert "række 10" in render(f)


def test_row_with_figures_but_no_name(check):
    lines = [list(r) for r in book.HANDLEPLAN_LINES]
    lines[4][0] = None
    v = check(book.handleplan(lines=lines, total=False))
    (f,) = only(v.errors, "row.name_missing")
    assert f.cells == ("A13",)


def test_effekt_same_initiative_under_two_tracks_is_fine_but_not_twice_in_one(check):
    lines = [list(r) for r in book.EFFEKT_LINES]
    lines[1][1] = lines[0][1]
    assert check(book.effekt(lines=lines)).accepted
    lines[1][0] = "1"
    v = check(book.effekt(lines=lines))
    (f,) = only(v.errors, "row.duplicate")
    assert f.cells == ("B8",)


# --- metadata -----------------------------------------------------------------------------

def test_missing_required_metadata_is_named(check):
    rows = book.handleplan()
    rows[5] = []  # no "Beløb i"
    v = check(rows)
    (f,) = only(v.errors, "meta.missing")
    assert f.params["field"] == "Beløb i"
    assert "Beløb i" in render(f)


def test_a_metadata_label_without_its_value_names_the_empty_cell_beside_it(check):
    rows = book.handleplan()
    rows[2] = ["Enhed:"]  # the label written, the unit forgotten
    rows[4] = ["Opgjort pr.:", "   "]  # only spaces: blank to a person
    v = check(rows)
    assert not v.accepted
    found = sorted((f.rule, f.cells, f.column) for f in v.errors)
    assert found == [("meta.empty", ("B3",), "Enhed"), ("meta.empty", ("B5",), "Opgjort pr.")]
    (unit,) = [f for f in v.errors if f.column == "Enhed"]
    assert render(unit) == ("«Enhed» står over tabellen, men cellen til højre for den er tom. "
                            "Skriv værdien i B3, lige til højre for «Enhed».")


def test_bad_year_names_its_cell(check):
    v = check(book.handleplan(year="tyve femten"))
    (f,) = only(v.errors, "meta.year")
    assert f.cells == ("B4",)


def test_as_of_in_text_forms(check):
    for text in ("30.11.2015", "30-11-2015", "30/11 2015"):
        v = check(book.handleplan(as_of=text))
        assert v.accepted, (text, v.errors)
        assert v.reports[0].as_of == dt.date(2015, 11, 30)


def test_unknown_amount_unit(check):
    v = check(book.handleplan(amount_unit="kroner i tusinder?"))
    (f,) = only(v.errors, "meta.amount_unit")
    assert f.cells == ("B6",)


def test_metadata_labels_without_colon_and_in_one_cell(check):
    rows = book.handleplan()
    rows[2] = ["ENHED", "Fredensborg"]
    rows[3] = ["Budgetår: 2015"]
    v = check(rows)
    assert v.accepted, v.errors
    assert v.reports[0].key == ("handleplan", "Fredensborg", 2015)


def test_label_and_value_in_one_cell_without_a_colon_where_the_value_reads(check):
    # 'Status pr. 30.11' is how seed 000 writes it; the value reads as a date, a year or
    # an amount unit, so it is the field's; 'Organisation og ledelse' is a title, not a unit
    rows = book.handleplan()
    rows[0] = ["Organisation og ledelse"]
    rows[3] = ["Budgetår 2015"]
    rows[4] = ["Status pr. 30.11.2015"]
    rows[5] = ["Beløb i mio. kr."]
    v = check(rows)
    assert v.accepted, [(f.rule, f.location) for f in v.errors]
    (report,) = v.reports
    assert report.key == ("handleplan", "Handicap og Socialpsykiatri, Fredensborg", 2015)
    assert (report.as_of, report.amount_unit) == (dt.date(2015, 11, 30), "mio. kr.")


def test_a_date_without_its_year_after_the_label_is_named_as_no_date_at_its_cell(check):
    # seed 000 writes 'Status pr. 30.11': the person did write the as-of date, without a year
    rows = book.handleplan()
    rows[4] = ["Status pr. 30.11"]
    v = check(rows)
    (f,) = only(v.errors, "meta.as_of")
    assert (f.cells, f.value) == (("A5",), "30.11")
    assert render(f) == "«30.11» er ikke en dato. Skriv datoen som 30.11.2025, eller som en Excel-dato."
    assert not [f for f in v.errors if f.rule == "meta.missing"]


# --- handleplan warnings ------------------------------------------------------------------

def test_realised_above_expected_is_a_warning(check):
    lines = [list(r) for r in book.HANDLEPLAN_LINES]
    lines[2][2] = 0.6
    v = check(book.handleplan(lines=lines))
    assert v.accepted
    (f,) = only(v.warnings, "handleplan.realised_exceeds_expected")
    assert f.cells == ("C12", "D12")
    assert "opdater Forventet" in render(f)


def test_negative_realised_is_a_warning(check):
    lines = [list(r) for r in book.HANDLEPLAN_LINES]
    lines[8][2:] = [-0.1, 0]
    v = check(book.handleplan(lines=lines))
    assert v.accepted, v.errors
    (f,) = only(v.warnings, "handleplan.negative")
    assert f.cells == ("C18",)


def test_as_of_outside_the_year_is_a_warning(check):
    v = check(book.handleplan(as_of=dt.date(2016, 5, 1)))
    assert v.accepted
    (f,) = only(v.warnings, "handleplan.as_of_outside_year")
    assert f.cells == ("B5",)
    assert check(book.handleplan(as_of=dt.date(2016, 3, 31))).warnings == ()


# --- effekt -------------------------------------------------------------------------------

def test_effekt_years_must_be_consecutive(check):
    v = check(book.effekt(years=[2020, 2021, 2023, 2024, 2025]))
    (f,) = only(v.errors, "effekt.years_sequence")
    assert (f.cells, f.value) == (("E6",), "2023")


def test_a_year_misspelt_between_the_years_is_named_at_its_own_cell(check):
    """2020 | 2021 | 2O22 | 2023: the letter O was read as no year, and the sequence was
    said to break at 2023 (F6), the cell after the one to fix."""
    (f,) = check(book.effekt(years=[2020, 2021, "2O22", 2023, 2024])).errors
    assert (f.rule, f.sheet, f.cells, f.value) == ("effekt.years_sequence", "Ark1", ("E6",), "2O22")
    assert render(f).startswith("Årskolonnerne skal komme i rækkefølge uden huller; her står 2O22, men der "
                                "skulle stå 2022.")


def test_a_word_between_the_year_columns_breaks_them_at_its_own_cell(check):
    for under in ([r[4] for r in book.EFFEKT_LINES], ["se note"] * len(book.EFFEKT_LINES)):
        rows = book.effekt(years=[2020, 2021, "Note", 2023, 2024], total=False)
        for row, value in enumerate(under, start=7):
            rows[row - 1][4] = value
        (f,) = check(rows).errors
        assert (f.rule, f.cells, f.value) == ("effekt.years_sequence", ("E6",), "Note")
        assert "her står Note, men der skulle stå 2022" in render(f)


def test_effekt_needs_two_years(check):
    lines = [r[:3] for r in book.EFFEKT_LINES]
    v = check(book.effekt(years=[2020], lines=lines))
    only(v.errors, "effekt.years_too_few")


def test_effekt_empty_figure_is_an_error_and_dash_is_zero(check):
    lines = [list(r) for r in book.EFFEKT_LINES]
    lines[3][2] = "-"
    assert check(book.effekt(lines=lines, total=False)).accepted
    lines[3][3] = None
    v = check(book.effekt(lines=lines, total=False))
    (f,) = only(v.errors, "value.missing")
    assert (f.cells, f.column) == (("D10",), "2021")


def test_effekt_status_values(check):
    ok = check(book.effekt(status=["Grøn", "gul", "RØD", "green", None]))
    assert ok.accepted, ok.errors
    v = check(book.effekt(status=["Grøn", "blå", "Rød", "Gul", "Gul"]))
    (f,) = only(v.errors, "effekt.status")
    assert (f.cells, f.value) == (("H8",), "blå")


# --- tilgang_afgang -----------------------------------------------------------------------

def test_balance_error_cites_every_cell_involved(check):
    lines = [list(r) for r in book.TILGANG_LINES]
    lines[0][8] = 21
    v = check(book.tilgang(lines=lines))
    (f,) = only(v.errors, "tilgang.balance")
    assert f.cells == ("B8", "C8", "D8", "E8", "F8", "G8", "H8", "I8")
    assert "22" in render(f) and "21" in render(f)


def test_a_typo_in_one_row_does_not_hide_a_balance_error_in_another(check):
    """Lazy means all of it: the person fixes both in one go, not one per save."""
    lines = [list(r) for r in book.TILGANG_LINES]
    lines[0][8] = 23  # Krumtappen: 18 + 4 - 0 is 22
    lines[1][2] = "ca. 5"
    v = check(book.tilgang(lines=lines))
    assert only(v.errors, "value.not_number")[0].cells == ("C9",)
    (f,) = only(v.errors, "tilgang.balance")
    assert f.cells[-1] == "I8" and "22" in render(f)


def test_a_negative_quarter_figure_is_reported_at_its_own_cell(check):
    """The quarter columns are one pattern in the schema (in_1, out_1, ...): each still
    answers for its own cells."""
    lines = [list(r) for r in book.TILGANG_LINES]
    lines[0][6] = -3  # Krumtappen, K3 Tilgang
    v = check(book.tilgang(lines=lines))
    (f,) = only(v.errors, "value.negative")
    assert f.cells == ("G8",) and f.column == "K3 Tilgang" and f.value == "-3"


def test_a_row_with_an_unreadable_count_gets_no_balance_error_of_its_own(check):
    lines = [list(r) for r in book.TILGANG_LINES]
    lines[1][2] = "ca. 5"
    v = check(book.tilgang(lines=lines))
    assert [f.rule for f in v.errors] == ["value.not_number"]


def test_a_count_that_is_not_whole_is_reported_once_not_again_as_a_balance(check):
    lines = [list(r) for r in book.TILGANG_LINES]
    lines[0][1] = 18.5
    v = check(book.tilgang(lines=lines))
    assert [(f.rule, f.cells) for f in v.errors] == [("value.not_whole", ("B8",))]


def test_a_count_a_formula_left_a_hair_off_whole_is_that_whole_number(check):
    lines = [list(r) for r in book.TILGANG_LINES]
    lines[0][1], lines[0][8] = 18.000000000000004, 21.999999999999996  # what =A1*3/3 can give; Excel shows 18, 22
    v = check(book.tilgang(lines=lines))
    assert v.accepted, v.errors
    figures = {(f.line, f.metric): f.value for f in v.reports[0].figures}
    assert (figures[("Krumtappen", "Primo")], figures[("Krumtappen", "Ultimo")]) == (18.0, 22.0)  # exactly
    lines[0][1], lines[0][8] = 18.001, 22.001  # a thousandth of a person is typed, not noise
    assert {f.cells for f in only(check(book.tilgang(lines=lines)).errors, "value.not_whole")} == {("B8",), ("I8",)}


def test_half_a_person_in_a_quarters_intake_is_not_whole_at_its_cell(check):
    lines = [list(r) for r in book.TILGANG_LINES]
    lines[0][2], lines[0][8] = 1.5, 23.5  # K1 Tilgang, and an end count that balances with it
    v = check(book.tilgang(lines=lines))
    assert sorted(f.cells for f in only(v.errors, "value.not_whole")) == [("C8",), ("I8",)]


def test_running_count_never_negative_at_that_quarters_afgang(check):
    lines = [["Nyt tilbud", 0, 0, 2, 3, 0, 0, 0, 1]]
    v = check(book.tilgang(lines=lines))
    (f,) = only(v.errors, "tilgang.running_negative")
    assert f.cells == ("D8",)
    assert f.params["quarter"] == 1


def test_blank_quarter_cells_count_as_zero_but_blank_end_is_an_error(check):
    lines = [list(r) for r in book.TILGANG_LINES]
    lines[0][2] = None
    assert check(book.tilgang(lines=lines)).accepted
    lines[0][8] = None
    v = check(book.tilgang(lines=lines))
    (f,) = only(v.errors, "value.missing")
    assert f.cells == ("I8",)


def test_counts_are_whole_people(check):
    lines = [list(r) for r in book.TILGANG_LINES]
    lines[1][1] = 12.5
    lines[1][8] = 12.5
    v = check(book.tilgang(lines=lines))
    assert {f.cells for f in only(v.errors, "value.not_whole")} == {("B9",), ("I9",)}


def test_quarters_must_run_from_one(check):
    v = check(book.tilgang(quarter_labels=["1. kv. 2016", "3. kv. 2016", "4. kv. 2016"],
                           end_label="Antal borgere 31/12 2016"))
    (f,) = only(v.errors, "tilgang.quarters")
    assert f.cells == ("E6",)


def test_end_label_must_agree_with_quarter_reported_through(check):
    v = check(book.tilgang(end_label="Antal borgere 31/12 2016"))
    (f,) = only(v.errors, "tilgang.end_label")
    assert f.cells == ("I6",)


def test_quarters_are_judged_in_the_order_written_not_sorted(check):
    """K1 | K3 | K2: the second pair's figures were typed as K2's; reported at K3's label."""
    v = check(book.tilgang(quarter_labels=["K1", "K3", "K2"]))
    (f,) = only(v.errors, "tilgang.quarters")
    assert f.cells == ("E6",)
    assert "her står kvartal 3, hvor kvartal 2 skulle stå" in render(f)


def test_a_repeated_quarter_is_reported_at_the_repeat_not_dropped(check):
    """K1 | K2 | K2: the third pair was silently left out before, and the end label blamed."""
    v = check(book.tilgang(quarter_labels=["1. kv. 2016", "2. kv. 2016", "2. kv. 2016"]))
    assert [(f.rule, f.cells) for f in v.errors] == [("tilgang.quarters", ("G6",))]
    assert "her står kvartal 2, hvor kvartal 3 skulle stå" in render(v.errors[0])


def test_two_tilgang_columns_under_one_quarter_are_named_not_half_dropped(check):
    """'Tilgang §103' | 'Tilgang §104' under 1. kv.: the second column was silently left out."""
    lines = [[r[0], r[1], 0, r[2], r[3], r[1] + r[2] - r[3]] for r in book.TILGANG_LINES]
    rows = book.tilgang(quarters=1, lines=lines)
    rows[5] = [None, "Antal borgere 1/1 2016", "1. kv. 2016", None, None, "Antal borgere 31/3 2016"]
    rows[6] = [None, None, "Tilgang §103", "Tilgang §104", "Afgang"]
    (f,) = check(rows).errors
    assert (f.rule, f.cells) == ("tilgang.quarters", ("C6",))
    assert "kvartal 1 har to kolonner med Tilgang" in render(f)


def test_a_quarter_without_its_afgang_says_so(check):
    rows = book.tilgang()
    rows[6][7] = None  # no Afgang under 3. kv.
    (f,) = only(check(rows).errors, "tilgang.quarters")
    assert f.cells == ("G6",)
    assert "kvartal 3 mangler Afgang" in render(f)


def test_an_unreadable_quarter_label_is_named_at_its_own_cell(check):
    """'2. kvx 2016' between K1 and K3: the break was put at K3's label (G6), the cell after."""
    v = check(book.tilgang(quarter_labels=["1. kv. 2016", "2. kvx 2016", "3. kv. 2016"]))
    (f,) = v.errors
    assert (f.rule, f.sheet, f.cells, f.value) == ("tilgang.quarters", "Ark1", ("E6",), "2. kvx 2016")
    assert ("Kvartalerne skal være 1. til 4. i rækkefølge, hver med Tilgang og Afgang; «2. kvx 2016» kan ikke "
            "læses, og her skulle kvartal 2 stå.") in render(f)


def test_a_misspelt_afgang_under_a_quarter_is_named_at_its_own_cell(check):
    """'Afgnag' under 3. kv.: the quarter's label (G6) was named, not the word to fix."""
    rows = book.tilgang()
    rows[6][7] = "Afgnag"
    (f,) = check(rows).errors
    assert (f.rule, f.cells, f.value) == ("tilgang.quarters", ("H7",), "Afgnag")
    assert "kvartal 3 mangler Afgang, og «Afgnag» kan ikke læses som det" in render(f)


def test_a_misspelt_flow_in_a_one_row_header_is_named_at_its_own_cell(check):
    """'K2 Tilgnag' was named at K2 Afgang (F6), 'K1 Afgnag' at K1 Tilgang (C6): the neighbours."""
    header = ["Tilbud", "Primo", "K1 Tilgang", "K1 Afgang", "K2 Tilgang", "K2 Afgang", "K3 Tilgang", "K3 Afgang",
              "Ultimo"]
    for at, typo, ref in ((4, "K2 Tilgnag", "E6"), (3, "K1 Afgnag", "D6")):
        rows = book.tilgang()
        rows[5] = header[:at] + [typo] + header[at + 1:]
        rows[6:] = [list(r) for r in book.TILGANG_LINES]
        (f,) = check(rows).errors
        assert (f.rule, f.cells, f.value) == ("tilgang.quarters", (ref,), typo)
        assert f"«{typo}» kan ikke læses" in render(f)


def test_end_label_message_names_the_date_that_fits(check):
    (f,) = only(check(book.tilgang(end_label="Antal borgere 30/9 2015")).errors, "tilgang.end_label")
    assert f.cells == ("I6",)
    assert render(f) == ("Overskriften «Antal borgere 30/9 2015» passer ikke med, at der er indberettet til og med "
                         "3. kvartal 2016. Ret datoen i overskriften til kvartalets sidste dag, 30/9 2016.")
    (f,) = only(check(book.tilgang(end_label="Antal borgere 30/6 2016")).errors, "tilgang.end_label")
    assert "30/9 2016" in render(f)


def test_a_years_template_filled_through_q3_is_told_it_may_delete_the_empty_k4(check):
    """K1..K4 columns, K4 left empty, 'Antal borgere 30/9 2016': the quarters present say K4,
    so the label disagrees; the person is also told the empty K4 columns may go."""
    lines = [r[:8] + [None, None, r[8]] for r in book.TILGANG_LINES]
    v = check(book.tilgang(quarters=4, lines=lines, end_label="Antal borgere 30/9 2016"))
    (f,) = only(v.errors, "tilgang.end_label")
    assert f.cells == ("K6",)
    assert render(f).endswith("Ret datoen i overskriften til kvartalets sidste dag, 31/12 2016, eller slet de "
                              "tomme kolonner for 4. kvartal, hvis det ikke er indberettet endnu.")
    lines[0][8], lines[0][10] = 1, 23  # a figure in K4: it is reported, the label is what is wrong
    (f,) = only(check(book.tilgang(quarters=4, lines=lines, end_label="Antal borgere 30/9 2016")).errors,
                "tilgang.end_label")
    assert render(f).endswith("sidste dag, 31/12 2016.")


def test_one_row_header_may_put_every_tilgang_before_every_afgang(check):
    rows = book.tilgang()
    rows[5] = ["Tilbud", "Primo", "K1 Tilgang", "K2 Tilgang", "K3 Tilgang", "K1 Afgang", "K2 Afgang",
               "K3 Afgang", "Ultimo"]
    rows[6:] = [[r[0], r[1], r[2], r[4], r[6], r[3], r[5], r[7], r[8]] for r in book.TILGANG_LINES]
    v = check(rows)
    assert v.accepted, v.errors
    figures = {(f.line, f.metric, f.period): f.value for f in v.reports[0].figures}
    assert figures[("Det Nye Sted", "Afgang", "K2")] == 2 and figures[("Det Nye Sted", "Tilgang", "K3")] == 3


def test_one_row_quarter_header(check):
    rows = book.tilgang()
    rows[5] = ["Tilbud", "Primo", "K1 Tilgang", "K1 Afgang", "K2 Tilgang", "K2 Afgang", "K3 Tilgang",
               "K3 Afgang", "Ultimo"]
    rows[6] = list(book.TILGANG_LINES[0])
    rows[7:] = [list(r) for r in book.TILGANG_LINES[1:]]
    v = check(rows)
    assert v.accepted, v.errors
    assert v.reports[0].through == 3


def test_one_row_header_with_the_quarter_after_the_word(check):
    """'Tilgang K1' is the label Tilgang with the quarter as its suffix (§1: a label may
    carry one); it was 'no header row' with handleplan's columns as the example."""
    rows = book.tilgang()
    rows[5] = ["Tilbud", "Primo", "Tilgang K1", "Afgang K1", "Tilgang 2. kvt.", "Afgang 2. kvt.", "Tilgang Q3",
               "Afgang Q3", "Ultimo"]
    rows[6:] = [list(r) for r in book.TILGANG_LINES]
    v = check(rows)
    assert v.accepted, v.errors
    figures = {(f.line, f.metric, f.period): f.value for f in v.reports[0].figures}
    assert figures[("Det Nye Sted", "Tilgang", "K2")] == 3 and figures[("Det Nye Sted", "Afgang", "K2")] == 2
    assert v.reports[0].through == 3
    rows = book.tilgang(end_label="Ultimo 3. kv. 2016")  # a quarter after another word: still two rows
    assert check(rows).accepted


def test_over_capacity_is_a_warning(check):
    v = check(book.tilgang(capacity=[20, 15, 10, 60]))
    assert v.accepted, v.errors
    (f,) = only(v.warnings, "tilgang.over_capacity")
    assert f.cells[0] == "J8"


# --- a column no kind knows (WORKBOOKS.md §1 "No column is silently ignored") --------------

@pytest.mark.parametrize("label", ["2025 (ny)", "2O25", 2101, 1999])
def test_a_column_after_the_years_that_is_no_year_is_an_error_at_its_header(check, label):
    """Its figures were dropped in silence and the workbook accepted."""
    rows = book.add_column(book.effekt(total=False), 6, label, [r[-1] for r in book.EFFEKT_LINES])
    v = check(rows)
    assert not v.accepted and not v.reports
    (f,) = v.errors
    assert (f.rule, f.sheet, f.cells, f.value) == ("sheet.unknown_column", "Ark1", ("H6",), str(label))
    assert render(f) == (f"Kolonnen «{label}» er ikke en af skemaets kolonner, men der står tal under den (fx i "
                         "H7); de tal bliver ikke læst og ville gå tabt. Giv kolonnen en overskrift, skemaet kender "
                         "(Spor, Tiltag, Status eller et årstal fra 2000 til 2100), eller flyt kolonnen ud af "
                         "tabellen eller slet den.")


def test_an_unknown_column_with_figures_is_an_error_in_every_kind(check):
    lines = len(book.HANDLEPLAN_LINES) + 1  # and the total
    (f,) = check(book.add_column(book.handleplan(), 8, "Budget 2016", [1.5] * lines)).errors
    assert (f.rule, f.cells, f.value) == ("sheet.unknown_column", ("E8",), "Budget 2016")
    assert "(Område, Mål, Realiseret eller Forventet)" in render(f)
    tilgang = len(book.TILGANG_LINES)
    rows = book.add_column(book.tilgang(capacity=[30, 30, 30, 60]), 6, "Venteliste", [0, 2, 1, 5], first=8)
    (f,) = check(rows).errors  # a label in the upper header row, over a blank under it
    assert (f.rule, f.sheet, f.cells) == ("sheet.unknown_column", "Ark1", ("K6",))
    assert "Tilbud, Primo, Ultimo, Pladser eller Tilgang og Afgang under et kvartal som 1. kv." in render(f)
    rows = book.add_column(book.tilgang(), 7, "Heraf §104", ["1"] * tilgang, first=8)
    (f,) = check(rows).errors  # a label in the lower header row only
    assert (f.rule, f.cells, f.value) == ("sheet.unknown_column", ("J7",), "Heraf §104")


def test_a_misspelt_optional_column_with_figures_is_an_error_not_dropped(check):
    rows = book.tilgang(capacity=[30, 30, 30, 60])
    rows[5][9] = "Pladsr"
    (f,) = check(rows).errors
    assert (f.rule, f.cells, f.value) == ("sheet.unknown_column", ("J6",), "Pladsr")
    assert render(f, "en").startswith("The column «Pladsr» is none of the form's columns, but there are figures "
                                      "under it (e.g. in J8); they are not read and would be lost.")


def test_a_notes_column_with_only_text_under_it_is_read_as_no_figure(check):
    """Text, a dash, a date, a year in words: a person reads no figure there, none is lost."""
    notes = ["Ny leverandør fra 2025", "-", dt.date(2016, 3, 1), None, "se note 2", "x"]
    for rows, header_row in ((book.handleplan(), 8), (book.effekt(), 6), (book.tilgang(), 6)):
        v = check(book.add_column(rows, header_row, "Bemærkning", notes))
        assert v.accepted and not v.warnings, (header_row, v.errors, v.warnings)


def test_a_share_column_beside_the_figures_is_no_figure_lost(check):
    """'Belægning i %' (or shares in a percent format): derived from the counts, not a figure."""
    shares = [0.73, 0.87, 0.9, 0.9]
    rows = book.add_column(book.tilgang(), 6, "Belægning i %", shares, first=8)
    assert check(rows).accepted
    rows = book.add_column(book.tilgang(), 6, "Belægning", shares, first=8)
    v = check(rows, formats={f"J{r}": "0%" for r in range(8, 12)})
    assert v.accepted, v.errors


def test_a_table_right_of_a_blank_column_is_judged_by_the_header_row_it_shares(check):
    """WORKBOOKS.md §1 says "a non-empty header cell in the header row": a second table in the
    same rows, past a blank column, would have its figures read as none of this report's."""
    rows = book.add_column(book.handleplan(), 8, "Budget 2016", [1] * 11, col=6)
    (f,) = check(rows).errors
    assert (f.rule, f.cells) == ("sheet.unknown_column", ("F8",))
    rows = book.add_column(book.handleplan(), 8, "Noter", ["ok"] * 11, col=6)
    assert check(rows).accepted


# --- sheets and workbooks -----------------------------------------------------------------

def test_notes_sheet_is_skipped_with_a_warning(check):
    v = check({"Handleplan": book.handleplan(), "Noter": [["Husk at gemme"]]})
    assert v.accepted
    (f,) = only(v.warnings, "sheet.skipped")
    assert f.sheet == "Noter"


def test_sheet_with_metadata_but_no_header_is_an_error(check):
    v = check({"Handleplan": book.handleplan(), "Kladde": [["Enhed:", "X"], ["År:", 2015], [], ["a", "b"]]})
    (f,) = only(v.errors, "sheet.no_header")
    assert f.sheet == "Kladde"


def test_a_header_with_one_label_misspelt_names_that_label_and_its_cell(check):
    """'Områder' for 'Område': the person learns which header to fix, and how."""
    v = check(book.handleplan(header=["Områder", "Mål 2015", "Realiseret pr. 30.11", "Forventet 2015"]))
    (f,) = only(v.errors, "sheet.header_incomplete")
    assert f.cells == ("A8",)
    assert f.value.startswith("Områder | Mål 2015")
    assert "Række 8 ligner overskriften til Handleplan" in render(f)
    assert "«Område»" in render(f) and "Område / Tiltag / Indsats" in render(f)


def test_a_header_with_an_unknown_word_for_a_column_points_at_that_word(check):
    v = check(book.handleplan(header=["Område", "Budget", "Realiseret", "Forventet"]))
    (f,) = only(v.errors, "sheet.header_incomplete")
    assert f.cells == ("B8",) and "«Mål»" in render(f) and "Mål / Målsætning" in render(f)


def test_an_end_count_header_of_ones_own_is_named_not_taken_for_the_start(check):
    """'Antal borgere 1/1 2016' could be read as start or end; it is the start, so the
    unrecognised 'Antal borgere ultimo' is the missing Ultimo, at its cell."""
    v = check(book.tilgang(end_label="Antal borgere ultimo"))
    (f,) = only(v.errors, "sheet.header_incomplete")
    assert f.cells == ("I6",) and "«Ultimo»" in render(f) and "Tilgang og afgang" in render(f)


def test_tilgang_afgang_abbreviated_under_the_quarters_are_named_at_their_cells(check):
    """'Tilg.' / 'Afg.' under the quarter labels: the sheet is plainly this kind's, so the
    person is told which words to write and where, not shown handleplan's columns."""
    rows = book.tilgang()
    rows[6] = [None, None, "Tilg.", "Afg.", "Tilg.", "Afg.", "Tilg.", "Afg."]
    (f,) = check(rows).errors
    assert f.rule == "sheet.header_incomplete" and f.cells == ("C7", "D7", "E7")
    assert "Tilgang og afgang" in render(f) and "(Tilgang / Afgang)" in render(f)
    assert "Område" not in render(f)
    rows = book.tilgang()
    rows[5] = ["Tilbud", "Primo", "K1 Tilg.", "K1 Afg.", "Ultimo"]
    rows[6:] = [[r[0], r[1], r[2], r[3], r[1] + r[2] - r[3]] for r in book.TILGANG_LINES]
    (f,) = check(rows).errors
    assert f.rule == "sheet.header_incomplete" and f.cells == ("C6", "D6")


def test_an_effekt_header_without_a_known_initiative_label_names_it(check):
    rows = book.effekt()
    rows[5][1] = "Tiltaget"
    v = check(rows)
    (f,) = only(v.errors, "sheet.header_incomplete")
    assert f.cells == ("B6",) and "«Tiltag»" in render(f)


def test_workbook_without_report_sheet_is_rejected(check):
    v = check({"Noter": [["Bare tekst"]]})
    assert not v.accepted
    only(v.errors, "file.no_report_sheet")


def test_several_kinds_in_one_workbook(check):
    v = check({"HP": book.handleplan(), "Eff": book.effekt(), "TA": book.tilgang()})
    assert v.accepted, v.errors
    assert sorted(r.kind for r in v.reports) == ["effekt", "handleplan", "tilgang_afgang"]


def test_same_report_on_two_sheets_is_an_error(check):
    v = check({"A": book.handleplan(), "B": book.handleplan()})
    (f,) = only(v.errors, "report.duplicate_sheet")
    assert (f.sheet, f.cells) == ("B", ("B3",))


def test_same_report_on_two_sheets_with_the_unit_spelt_two_ways_is_an_error(check):
    v = check({"A": book.handleplan(unit="Handicap & Psykiatri, Ballerup"),
               "B": book.handleplan(unit="handicap & psykiatri,ballerup")})
    (f,) = only(v.errors, "report.duplicate_sheet")
    assert (f.sheet, f.cells, f.params["other_sheet"]) == ("B", ("B3",), "A")


def test_one_error_rejects_the_whole_workbook(check):
    lines = [list(r) for r in book.TILGANG_LINES]
    lines[0][8] = 99
    v = check({"HP": book.handleplan(), "TA": book.tilgang(lines=lines)})
    assert not v.accepted and v.reports == ()


def test_all_problems_are_reported_in_one_go(check):
    lines = [list(r) for r in book.HANDLEPLAN_LINES]
    lines[0][1] = "x"
    lines[3][2] = "?"
    lines[6][0] = "BPA"
    v = check(book.handleplan(lines=lines, total=False, year="?"))
    assert {f.rule for f in v.errors} >= {"value.not_number", "row.duplicate", "meta.year"}
    assert len([f for f in v.errors if f.rule == "value.not_number"]) == 2


def test_table_ends_at_blank_row_and_footnote(check):
    rows = book.handleplan()
    rows.append(["*Kun i 2015 pga. KKR aftalen."])
    rows.append(["Note", 1, 2, 3])
    assert check(rows).accepted
    rows = book.handleplan()
    rows += [[], ["Efterladt", "x", "y", "z"]]
    assert check(rows).accepted


def test_header_labels_with_case_space_and_suffix(check):
    header = ["  OMRÅDE:", "Målsætning (mio. kr.)", "realiseret  pr.\n30/11", "Prognose 2015"]
    assert check(book.handleplan(header=header)).accepted


def test_english_messages(check):
    lines = [list(r) for r in book.HANDLEPLAN_LINES]
    lines[1][2] = "ca. 5"
    (f,) = only(check(book.handleplan(lines=lines, total=False)).errors, "value.not_number")
    assert render(f, "en").startswith("«ca. 5» in column Realiseret is not a number.")


def test_a_percentage_column_named_like_an_amount_column_is_not_taken_for_it(check):
    # 'Opnået i %' (a share) before 'Realiseret': 'Opnået' is Realiseret's synonym, but with
    # '%' after it the column is the share, and the amounts stay Realiseret's
    lines = [[name, target, f"{round(100 * real / target)}%", real, expected]
             for name, target, real, expected in book.HANDLEPLAN_LINES]
    header = ["Område", "Mål", "Opnået i %", "Realiseret 30.11 2015", "Forventet 2015"]
    v = check(book.handleplan(lines=lines, header=header, total=["Total", 25, "67%", 16.7, 17.6]))
    assert v.accepted, [(f.rule, f.location) for f in v.errors]
    figures = {(f.line, f.metric): f.value for f in v.reports[0].figures}
    assert figures[("Støtte eget hjem", "Realiseret")] == 3_600_000
    assert sum(v for (_, metric), v in figures.items() if metric == "Realiseret") == 16_700_000


def test_lines_left_out_under_a_blank_row_are_named_not_dropped_in_silence(check):
    # the table ends at the first blank row (WORKBOOKS.md §1); a blank row left between the
    # lines used to drop those under it, and an 'I alt' under them, without a word
    rows = book.handleplan(total=False)
    rows.insert(13, [])  # between 'Alkohol/stof' (row 13) and 'Træning børn', now row 15
    rows.append(["I alt", 25, 16.7, 17.6])
    v = check(rows)
    assert v.accepted  # a warning: the sheet's figures are those above the blank row
    (f,) = only(v.warnings, "table.rows_after_blank")
    assert (f.sheet, f.cells, f.column, f.value) == ("Ark1", ("A14", "A15"), "Område", "Træning børn")
    assert render(f) == ("Tabellen slutter ved den tomme række 14, så række 15 («Træning børn») og rækkerne under "
                         "den er ikke læst med. Slet den tomme række, hvis rækkerne under den hører til tabellen.")
    assert {f.line for f in v.reports[0].figures} == {r[0].rstrip(" *") for r in book.HANDLEPLAN_LINES[:5]}


def test_text_or_a_footnote_under_the_blank_row_after_a_table_is_no_stray_line(check):
    for below in (["Efterladt", "x", "y", "z"], ["* Kun i 2015", 1], ["Handleplan 2014"]):
        v = check(book.handleplan() + [[], below, ["BPA", 1, 1, 1]])
        assert v.accepted and not v.warnings, (below, v.warnings)


def test_of_two_year_columns_for_one_figure_the_reports_year_is_read(check):
    # last year's forecast kept beside this year's (hidden, or simply left): a 2015 report
    # is read from 'Forventet 2015', not from the first 'Forventet' in the row
    lines = [[*line[:3], 99, line[3]] for line in book.HANDLEPLAN_LINES]
    header = ["Område", "Mål", "Realiseret 30.11 2015", "Forventet 2014", "Forventet 2015"]
    v = check(book.handleplan(lines=lines, header=header, total=["Total", 25, 16.7, 990, 17.6]))
    assert v.accepted, [(f.rule, f.location) for f in v.errors]
    expected = {f.line: (f.value, f.cell) for f in v.reports[0].figures if f.metric == "Forventet"}
    assert expected["Støtte eget hjem"] == (3_600_000, "E10")  # the total is row 9
    assert sum(value for value, _ in expected.values()) == 17_600_000


# --- what people really type --------------------------------------------------------------

def test_tilgang_total_row_is_checked_and_left_out_of_the_figures(check):
    rows = book.tilgang()
    rows.append(["I alt", 90, 0, 1, 5, 2, 6, 1, 97])
    v = check(rows)
    assert v.accepted, v.errors
    assert "I alt" not in {f.line for f in v.reports[0].figures}
    rows[-1][8] = 96
    (f,) = only(check(rows).errors, "total.mismatch")
    assert (f.cells, f.params["expected"]) == (("I12",), 97)
    assert "er 96, men rækkerne giver 97 (forskel -1)" in render(f)


def test_a_total_named_with_more_after_it_is_the_total_it_looks_like(check):
    rows = book.tilgang()
    rows.append(["I alt Ballerup", 90, 0, 1, 5, 2, 6, 1, 97])  # every figure the sum of the lines above
    v = check(rows)
    assert v.accepted and not v.warnings, (v.errors, v.warnings)
    assert {f.line for f in v.reports[0].figures} == {"Krumtappen", "Bibliotekscaféen", "Larsbjerggård",
                                                      "Det Nye Sted"}  # counted once, not twice
    rows[-1] = ["Total (2016)", 90, 0, 1, 5, 2, 6, 1, 97]
    assert check(rows).accepted and "Total (2016)" not in {f.line for f in check(rows).reports[0].figures}


def test_a_line_named_like_a_total_that_is_not_the_sum_stays_a_line_with_a_warning(check):
    rows = book.tilgang()
    rows.append(["I alt Ballerup", 91, 0, 1, 5, 2, 6, 1, 98])  # one more at the start: not the sum
    v = check(rows)
    assert v.accepted
    (f,) = only(v.warnings, "row.looks_like_total")
    assert (f.cells, f.column, f.value) == (("A12",), "Tilbud", "I alt Ballerup")
    assert render(f).startswith("Rækken «I alt Ballerup» ligner en totalrække, men dens tal er ikke summen")
    assert "I alt Ballerup" in {f.line for f in v.reports[0].figures}


def test_an_initiative_called_alle_something_is_an_initiative(check):
    lines = [list(r) for r in book.EFFEKT_LINES] + [["5", "Alle borgere i job", -100, -200, -300, -400, -500]]
    v = check(book.effekt(lines=lines))
    assert v.accepted, v.errors
    assert "Alle borgere i job" in {f.line for f in v.reports[0].figures}
    assert [f.rule for f in v.warnings] == ["row.looks_like_total"]  # worth a look, never a rejection


def test_quarter_labels_as_staff_write_them(check):
    for labels in (["K1", "K2", "K3"], ["Q1", "Q2", "Q3"], ["1. kvartal", "2. kvartal", "3. kvartal"]):
        v = check(book.tilgang(quarter_labels=labels))
        assert v.accepted, (labels, v.errors)
        assert v.reports[0].through == 3


def test_start_and_end_labels_primo_ultimo_and_kapacitet(check):
    rows = book.tilgang(capacity=[30, 30, 30, 60])
    rows[5][0], rows[5][1], rows[5][8], rows[5][9] = "Dagtilbud", "Antal primo", "Antal ultimo", "Kapacitet"
    v = check(rows)
    assert v.accepted, v.errors


def test_numbers_typed_as_danish_text_in_a_tilgang_sheet(check):
    lines = [list(r) for r in book.TILGANG_LINES]
    lines[3][1:] = ["50", "-", "–", "3", "2", "3", "0", "54"]
    assert check(book.tilgang(lines=lines)).accepted


def test_handleplan_amounts_typed_with_kr_and_thousands(check):
    lines = [["Botilbud", "5.000.000 kr.", "4.500.000", "4.700.000 kr"], ["BPA", "800.000", "200.000", "500.000"]]
    v = check(book.handleplan(lines=lines, amount_unit="kr.", total=["I alt", "5.800.000", "4.700.000", "5.200.000"]))
    assert v.accepted, v.errors
    assert {f.value for f in v.reports[0].figures if f.line == "BPA"} == {800_000, 200_000, 500_000}


def test_header_found_below_a_long_title_block_and_blank_columns(check):
    rows = [[None, None, None]] + [[None, "Notat"]] * 3 + [[]] + [[None] + r for r in book.handleplan()]
    v = check(rows)
    assert v.accepted, v.errors
    assert v.reports[0].figures[0].cell == "C15"  # B10 in the plain layout: one column, five rows on


# --- a percentage where an amount or a count belongs (issue 13) ----------------------------

def test_percent_typed_in_an_amount_column_is_an_error_not_a_hundredth(check):
    rows = book.cell(book.handleplan(total=False), "C9", "360%")  # Realiseret of 'Støtte eget hjem'
    v = check({"HP": rows})
    (f,) = only(v.errors, "value.percent")
    assert (f.sheet, f.cells, f.column, f.value) == ("HP", ("C9",), "Realiseret", "360%")
    assert render(f) == ("«360%» i kolonnen Realiseret er en procentsats, men kolonnen indeholder beløb eller "
                         "antal, ikke procenter. Skriv beløbet eller antallet uden %, og sæt cellens format til "
                         "Tal (Hjem > Talformat); hører procenten til et andet tal, så skriv den i en kolonne "
                         "for sig.")


def test_number_formatted_as_percent_in_an_amount_column_is_an_error(check):
    # typed '360%', Excel keeps 3.6 and formats the cell 0%: it shows 360%, not 3,6 mio. kr.
    rows = book.cell(book.handleplan(total=False), "C9", 3.6)
    v = check({"HP": rows}, formats={"C9": "0%"})
    (f,) = only(v.errors, "value.percent")
    assert (f.sheet, f.cells, f.value) == ("HP", ("C9",), "360%")
    assert not v.reports


def test_percent_in_a_count_column_is_an_error(check):
    rows = book.tilgang()
    rows[7][1] = 0.25  # Primo of the first day service, formatted 0% below: shows 25%
    v = check({"TA": rows}, formats={"B8": "0%"})
    (f,) = only(v.errors, "value.percent")
    assert (f.sheet, f.cells, f.value) == ("TA", ("B8",), "25%")
    assert "beløb eller antal, ikke procenter" in render(f)


def test_a_percentage_column_of_percent_formatted_numbers_stays_unaffected(check):
    # 'Opnået %' beside the amounts holds shares formatted as percent: not the amounts, no finding
    lines = [[name, target, real / target, real, expected] for name, target, real, expected in book.HANDLEPLAN_LINES]
    header = ["Område", "Mål", "Opnået %", "Realiseret 30.11 2015", "Forventet 2015"]
    rows = book.handleplan(lines=lines, header=header, total=False)
    v = check({"HP": rows}, formats={f"C{r}": "0%" for r in range(9, 19)})
    assert v.accepted, [(f.rule, f.cells) for f in v.errors]
    assert "value.percent" not in {f.rule for f in v.warnings}


def test_formulas_never_calculated_are_one_finding_listing_every_cell(check):
    # a generated file never opened in a spreadsheet program: each total formula has no value
    rows = book.handleplan(total=["Total", "=SUM(B10:B19)", "=SUM(C10:C19)", "=SUM(D10:D19)"])
    rows = book.cell(rows, "D12", "=C12+0.3")  # and one line's figure
    v = check({"HP": rows, "HP 2": book.handleplan(total=["Total", "=SUM(B10:B19)", 16.7, 17.6])})
    first, second = only(v.errors, "value.formula_no_cache")
    assert (first.sheet, first.cells, first.column) == ("HP", ("B9", "C9", "D9", "D12"), "")
    assert (second.sheet, second.cells, second.column) == ("HP 2", ("B9",), "Mål")
    assert render(first) == ("Formlerne i 4 celle(r) er aldrig blevet beregnet, så de har ingen værdi at læse "
                             "(filen er ikke åbnet og gemt i et regneark). Åbn projektmappen i Excel, så "
                             "formlerne beregnes, og gem den igen.")
    assert {f.rule for f in v.errors} == {"value.formula_no_cache"}  # no total mismatch from the empty D12
