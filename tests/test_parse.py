"""Tests for syncservice.parse: what staff type into cells (WORKBOOKS.md §1, §4)."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from syncservice.parse import (
    NotANumber,
    Number,
    decimals_shown,
    is_blank,
    label_matches,
    matched_synonym,
    name_key,
    normalise_label,
    parse_amount_unit,
    parse_date,
    parse_number,
    parse_quarter,
    parse_year,
    split_quarter_prefix,
    strip_footnote_marker,
)

# Every label the spec accepts, as staff would type it.
SPEC_LABELS = [
    "Enhed", "Afdeling", "Organisation", "År", "Budgetår", "Regnskabsår", "Opgjort pr.",
    "Status pr.", "Pr. dato", "Beløb i", "Beløbsenhed", "Område", "Tiltag", "Indsats", "Mål",
    "Målsætning", "Realiseret", "Opnået", "Forventet", "Prognose", "Skøn", "Spor", "Initiativ",
    "Status", "Tilbud", "Dagtilbud", "Navn", "Primo", "Antal primo", "Ultimo", "Antal ultimo",
    "Pladser", "Kapacitet",
]  # fmt: skip
DANISH_MONTHS = [
    "januar", "februar", "marts", "april", "maj", "juni",
    "juli", "august", "september", "oktober", "november", "december",
]  # fmt: skip


# ---- numbers: examples ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value", "decimals"),
    [
        ("16,7", 16.7, 1),
        ("1.600", 1600, 0),
        ("-1.600", -1600, 0),
        ("- 500.000 kr.", -500000, 0),
        ("1.600,50 kr.", 1600.5, 2),
        ("kr. 1.600", 1600, 0),
        ("1.600 kr", 1600, 0),
        ("1.600 DKK", 1600, 0),
        ("1.600,-", 1600, 0),
        ("+5", 5, 0),
        ("0,25", 0.25, 2),
        ("1600", 1600, 0),
        ("12.345.678,9", 12345678.9, 1),
        ("  16,7\n", 16.7, 1),
    ],
)
def test_danish_thousands_and_decimal_comma(text: str, value: float, decimals: int) -> None:
    assert parse_number(text) == Number(value, decimals)


@pytest.mark.parametrize("text", ["−250", "–250", "—250", "-250", "- 250", "(250)", "(250 kr.)", "250-", "250−"])
def test_every_kind_of_minus_and_accounting_brackets_make_a_negative(text: str) -> None:
    assert parse_number(text) == Number(-250.0, 0)


@pytest.mark.parametrize(("text", "value", "decimals"), [("1.600,00-", -1600.0, 2), ("1.600,00- kr.", -1600.0, 2),
                                                        ("12,5-", -12.5, 1)])
def test_a_minus_after_the_number_as_sap_exports_it(text: str, value: float, decimals: int) -> None:
    assert parse_number(text) == Number(value, decimals)


@pytest.mark.parametrize("text", ["1 600", "1\xa0600", "1\u202f600", "1 600 kr."])
def test_space_and_nbsp_group_thousands(text: str) -> None:
    assert parse_number(text) == Number(1600.0, 0)


@pytest.mark.parametrize(
    ("text", "value", "decimals"),
    [("51%", 0.51, 2), ("51 %", 0.51, 2), ("16,7%", 0.167, 3), ("-5%", -0.05, 2), ("100%", 1.0, 2)],
)
def test_percent_is_divided_by_100_and_shows_two_more_decimals(
    text: str, value: float, decimals: int
) -> None:
    # marked as a percentage: validate refuses it in an amount or count column
    assert parse_number(text) == Number(value, decimals, percent=True)


@pytest.mark.parametrize("text", ["-", "–", "—", "−", " - ", "\xa0–\xa0", "kr. -", "- kr."])
def test_a_dash_alone_means_zero(text: str) -> None:
    assert parse_number(text) == Number(0.0, 0)


def test_minus_zero_is_plain_zero() -> None:
    parsed = parse_number("-0")
    assert parsed == Number(0.0, 0) and str(parsed.value) == "0.0"


@pytest.mark.parametrize("value", [None, "", "   ", "\xa0", "\n\t"])
def test_an_empty_cell_is_none(value: object) -> None:
    assert parse_number(value) is None


@pytest.mark.parametrize("text", ["16.7", "1.60", "1.6000", "1,600.50", "-16.7", "16.7 kr.", "0.5%"])
def test_point_decimal_is_refused_with_its_own_reason(text: str) -> None:
    with pytest.raises(NotANumber) as caught:
        parse_number(text)
    assert caught.value.reason == "decimal_point"


@pytest.mark.parametrize(
    "text",
    ["ca. 5", "?", "se note", "5 borgere", "1,2,3", "1.600 000", "+", "(-500)", "1..600", ",5", "x",
     "(500-)", "-500-", "250,--"],
)
def test_other_text_in_a_number_column_is_not_a_number(text: str) -> None:
    with pytest.raises(NotANumber) as caught:
        parse_number(text)
    assert caught.value.reason == "not_number"
    assert isinstance(caught.value, ValueError)


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (True, "not_number"),
        (False, "not_number"),
        (float("nan"), "not_number"),
        (float("inf"), "not_number"),
        (dt.date(2015, 11, 30), "date"),
        (dt.datetime(2015, 11, 30, 12, 0), "date"),
        (dt.time(12, 0), "date"),
        ([1], "not_number"),
    ],
)
def test_booleans_dates_and_odd_values_are_refused_with_a_reason(value: object, reason: str) -> None:
    with pytest.raises(NotANumber) as caught:
        parse_number(value)
    assert caught.value.reason == reason


@pytest.mark.parametrize(
    ("value", "number_format", "expected"),
    [
        (16.7, "General", Number(16.7, 1)),
        (25.0, "General", Number(25.0, 0)),
        (1600, "General", Number(1600.0, 0)),
        (3.6, "0.0", Number(3.6, 1)),
        (25, "#,##0.00", Number(25.0, 2)),
        (0.51, "0%", Number(0.51, 2)),
    ],
)
def test_numeric_cells_keep_their_value_and_the_decimals_their_format_shows(
    value: float, number_format: str, expected: Number
) -> None:
    assert parse_number(value, number_format) == expected


def test_number_is_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        Number(1.0, 0).value = 2.0  # type: ignore[misc]


# ---- numbers: decimals shown ------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "number_format", "expected"),
    [
        (16.7, "General", 1),
        (25.0, "General", 0),
        (0.1 + 0.2, "General", 1),
        (2500, "General", 0),
        (1 / 3, "General", 10),
        (16.7, "@", 1),
        (16.7, "", 1),
        (1.0, "0.0", 1),
        (1.0, "#,##0.00", 2),
        (1.0, "0.0%", 3),
        (1.0, "0%", 2),
        (1.0, "0", 0),
        (1.0, "#,##0", 0),
        (1.0, "0.0;[Red]-0.000", 1),
        (1.0, "[Red]0.000", 3),
        (1.0, "[$-406]#,##0.0", 1),
        (1.0, '"kr." #,##0', 0),
        (1.0, '#,##0.00\\ "kr."', 2),
        (1.0, '_-* #,##0.00 "kr."_-;-* #,##0.00 "kr."_-;_-* "-"?? "kr."_-;_-@_-', 2),
        (1.0, '"a.00"0', 0),
        (1.0, "[Red]General", 0),
    ],
)
def test_decimals_shown_follow_the_number_format(
    value: float, number_format: str, expected: int
) -> None:
    assert decimals_shown(value, number_format) == expected


# ---- numbers: properties ----------------------------------------------------------------

MINUS_SIGNS = ["-", "\u2212", "- ", "\u2013", "\u2212 "]


@given(
    number=st.floats(min_value=-1e12, max_value=1e12, allow_nan=False),
    decimals=st.integers(min_value=0, max_value=6),
    grouped=st.booleans(),
    separator=st.sampled_from([".", " ", "\xa0"]),
    minus=st.sampled_from(MINUS_SIGNS),
    suffix=st.sampled_from(["", " kr.", " kr", "kr."]),
)
def test_danish_number_text_round_trips(
    number: float, decimals: int, grouped: bool, separator: str, minus: str, suffix: str
) -> None:
    english = f"{abs(number):{',' if grouped else ''}.{decimals}f}"  # '1,234.5'
    danish = english.translate(str.maketrans({",": separator, ".": ","}))  # '1.234,5'
    text = (minus if number < 0 else "") + danish + suffix
    expected = float(f"{abs(number):.{decimals}f}") * (-1 if number < 0 else 1)

    parsed = parse_number(text)

    assert parsed is not None
    assert parsed.value == pytest.approx(expected, rel=1e-9, abs=0)
    assert parsed.decimals == decimals


@given(st.integers(min_value=-(10**15), max_value=10**15), st.sampled_from(MINUS_SIGNS))
def test_whole_numbers_round_trip_exactly_with_no_decimals(number: int, minus: str) -> None:
    text = (minus if number < 0 else "") + f"{abs(number):,}".replace(",", ".")
    assert parse_number(text) == Number(float(number), 0)


# ---- labels -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Realiseret\n30.11 2015", "realiseret 30.11 2015"),
        ("Mål:", "mål"),
        (" Opgjort  pr. ", "opgjort pr"),
        ("Status\xa0pr.\u202f:", "status pr"),
        ("Beløb i:  *", "beløb i"),
        ("Antal\r\n\tprimo ;", "antal primo"),
        (None, ""),
        (2015, "2015"),
    ],
)
def test_normalise_label_folds_case_space_and_trailing_punctuation(text: object, expected: str) -> None:
    assert normalise_label(text) == expected


@pytest.mark.parametrize(
    ("text", "synonym", "expected"),
    [
        ("Realiseret 30.11 2015", "Realiseret", True),
        ("Forventet 2015", "Forventet", True),
        ("Mål (mio. kr.)", "Mål", True),
        ("Mål, 2015", "Mål", True),
        ("MÅL:", "Mål", True),
        ("Opgjort pr.", "Opgjort pr.", True),
        ("Målgruppe", "Mål", False),
        ("Målsætning", "Mål", False),
        ("Status pr.", "Status", True),  # prefix + space: callers prefer the longest synonym
        ("Område", "Mål", False),
        ("", "Mål", False),
        (None, "Mål", False),
        ("Mål", "", False),
    ],
)
def test_label_matches_exactly_or_with_a_non_letter_suffix(
    text: object, synonym: str, expected: bool
) -> None:
    assert label_matches(text, [synonym]) is expected


def test_matched_synonym_prefers_the_longest() -> None:
    assert matched_synonym("Status pr. 30.11", ["Status", "Status pr."]) == "Status pr."
    assert matched_synonym("Status", ["Status", "Status pr."]) == "Status"
    assert matched_synonym("Målgruppe", ["Mål", "Målsætning"]) is None


def test_matched_synonym_accepts_any_iterable() -> None:
    assert matched_synonym("Skøn 2016", (s for s in ["Forventet", "Skøn"])) == "Skøn"


WHITESPACE_RUNS = [" ", "  ", "\n", "\r\n", "\t", "\xa0", "\u202f", " \n "]
SUFFIXES = ["", " 2015", " 30.11 2015", "\n30.11 2015", " (mio. kr.)", ", 2015"]


@given(
    label=st.sampled_from(SPEC_LABELS),
    data=st.data(),
    colon=st.sampled_from(["", ":", " :", ": "]),
    suffix=st.sampled_from(SUFFIXES),
    colon_last=st.booleans(),
)
def test_label_matching_ignores_case_whitespace_colon_and_suffix(
    label: str, data: st.DataObject, colon: str, suffix: str, colon_last: bool
) -> None:
    words = [
        "".join(c.upper() if data.draw(st.booleans()) else c.lower() for c in word)
        for word in label.split(" ")
    ]
    text = words[0] + "".join(data.draw(st.sampled_from(WHITESPACE_RUNS)) + w for w in words[1:])
    text = data.draw(st.sampled_from(["", " ", "\n"])) + text
    text += suffix + colon if colon_last else colon + suffix

    assert label_matches(text, [label])
    assert matched_synonym(text, SPEC_LABELS) == label


@given(label=st.sampled_from(SPEC_LABELS), letters=st.text("abcdefghijklmnopqrstuvwxyzæøå", min_size=1))
def test_a_longer_word_never_matches_a_label(label: str, letters: str) -> None:
    # Appended to the normalised label: after 'Opgjort pr.' the '.' is itself a suffix.
    longer = normalise_label(label) + letters
    assume(longer not in {normalise_label(s) for s in SPEC_LABELS})  # 'Mål' + 'sætning'
    assert not label_matches(longer, [label])


# ---- years and dates --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (2015, 2015),
        (2015.0, 2015),
        ("2015", 2015),
        (" 2015 ", 2015),
        ("År 2015", None),
        (2015.5, None),
        (1899, None),
        (2201, None),
        ("15", None),
        ("20155", None),
        (True, None),
        (None, None),
        (dt.date(2015, 1, 1), None),
    ],
)
def test_parse_year_takes_only_a_four_digit_year(value: object, expected: int | None) -> None:
    assert parse_year(value) == expected


@pytest.mark.parametrize(
    "text",
    [
        "30.11.2015",
        "30-11-2015",
        "30/11 2015",
        "30/11/2015",
        "30.11 2015",
        "2015-11-30",
        "30. november 2015",
        "30. nov. 2015",
        "30 nov 2015",
        "30. November 2015",
        "pr. 30.11.2015",
        "Pr. 30/11 2015",
        "den 30. nov 2015",
        " 30.11.2015 ",
        "d. 30.11.2015",
        "d.30/11 2015",
        "mandag den 30. november 2015",
        "Mandag, 30. november 2015",
        "30-Nov-2015",  # an English Excel's date cell, pasted as text
        "30-nov.-2015",
        "30 November 2015",
    ],
)
def test_danish_date_forms(text: str) -> None:
    assert parse_date(text) == dt.date(2015, 11, 30)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("1. maj 2016", dt.date(2016, 5, 1)), ("3. okt 2016", dt.date(2016, 10, 3)),
     ("31. dec. 2016", dt.date(2016, 12, 31)), ("1. marts 2016", dt.date(2016, 3, 1))],
)  # fmt: skip
def test_danish_month_names_and_abbreviations(text: str, expected: dt.date) -> None:
    assert parse_date(text) == expected


@pytest.mark.parametrize(
    "value",
    ["31.02.2015", "30.13.2015", "30.11.15", "30/11", "30. foo 2015", "30.112015", "i går", "", None, 42,
     "30.11.0201", "30.11.1899", "1.1.2201", "d. 30", "mandag", "november 2015"],
)
def test_invalid_ambiguous_or_other_dates_are_none(value: object) -> None:
    assert parse_date(value) is None


def test_excel_dates_come_back_as_dates() -> None:
    assert parse_date(dt.datetime(2015, 11, 30, 0, 0)) == dt.date(2015, 11, 30)
    assert parse_date(dt.date(2015, 11, 30)) == dt.date(2015, 11, 30)


DATE_FORMS = [
    "{d}.{m}.{y}", "{d:02}.{m:02}.{y}", "{d}-{m}-{y}", "{d:02}-{m:02}-{y}", "{d}/{m} {y}",
    "{d}/{m}/{y}", "{d}.{m} {y}", "{y}-{m:02}-{d:02}", "{d}. {month} {y}", "{d}. {mon}. {y}",
    "{d} {mon} {y}", "{d}-{mon}-{y}",
]  # fmt: skip


@given(
    day=st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2200, 12, 31)),
    form=st.sampled_from(DATE_FORMS),
    prefix=st.sampled_from(["", "pr. ", "Pr. ", "den ", "d. ", "mandag den ", "Fredag, "]),
    upper=st.booleans(),
)
def test_every_accepted_date_form_round_trips(day: dt.date, form: str, prefix: str, upper: bool) -> None:
    month = DANISH_MONTHS[day.month - 1]
    text = prefix + form.format(d=day.day, m=day.month, y=day.year, month=month, mon=month[:3])
    assert parse_date(text.upper() if upper else text) == day


# ---- amount unit ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        *[(t, ("kr.", 1)) for t in ["kr.", "kr", "kroner", "DKK", "Kr.", " kr. "]],
        *[
            (t, ("1.000 kr.", 1000))
            for t in ["1.000 kr.", "1000 kr", "t.kr.", "tkr", "tusinde kr.", "i 1.000 kr.", "(1000 kr.)"]
        ],
        *[
            (t, ("mio. kr.", 1_000_000))
            for t in ["mio. kr.", "mio kr", "mio.kr.", "millioner kr.", "mill. kr.", "Mio. Kr."]
        ],
    ],
)
def test_amount_unit_labels_give_a_canonical_label_and_factor(
    value: str, expected: tuple[str, int]
) -> None:
    assert parse_amount_unit(value) == expected


def test_amount_unit_typed_as_a_bare_scale_is_understood() -> None:
    # A Danish Excel stores '1.000' typed in a cell as the number 1000.
    assert parse_amount_unit(1000) == ("1.000 kr.", 1000)
    assert parse_amount_unit(1_000_000.0) == ("mio. kr.", 1_000_000)
    assert parse_amount_unit("1.000") == ("1.000 kr.", 1000)
    assert parse_amount_unit("mio.") == ("mio. kr.", 1_000_000)


@pytest.mark.parametrize("value", ["euro", "mia. kr.", "", "i", "100 kr.", 100, True, None])
def test_other_amount_units_are_none(value: object) -> None:
    assert parse_amount_unit(value) is None


# ---- quarters ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1. kv. 2016", (1, 2016)),
        ("K1", (1, None)),
        ("Q3", (3, None)),
        ("2. kvartal", (2, None)),
        ("3. kvt.", (3, None)),
        ("kvartal 4", (4, None)),
        ("4. kv 2016", (4, 2016)),
        ("K2 2017", (2, 2017)),
        ("k1", (1, None)),
        ("1. Kvartal\n2016", (1, 2016)),
        ("K5", (5, None)),
    ],
)
def test_quarter_labels(text: str, expected: tuple[int, int | None]) -> None:
    assert parse_quarter(text) == expected


@pytest.mark.parametrize("text", ["Kapacitet", "Kvalitet", "K12", "Tilgang", "2016", "", None, 1])
def test_words_and_numbers_are_not_quarters(text: object) -> None:
    assert parse_quarter(text) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("K1 Tilgang", (1, "tilgang")),
        ("Q2 afgang", (2, "afgang")),
        ("1. kv. Tilgang", (1, "tilgang")),
        ("1. kv. 2016 Afgang", (1, "afgang")),
        ("K3\nAfgang:", (3, "afgang")),
        ("Tilgang K1", (1, "tilgang")),  # the word first, the quarter its suffix
        ("Afgang 2. kvt. 2016", (2, "afgang")),
        ("Tilgang: Q3", (3, "tilgang")),
    ],
)
def test_one_row_quarter_headers_split_into_quarter_and_label(text: str, expected: tuple[int, str]) -> None:
    assert split_quarter_prefix(text) == expected


@pytest.mark.parametrize("text", ["K1", "K1 2016", "Tilgang", "Kapacitet 2016", "Tilgang i alt", "Antal borgere K1", None])
def test_text_without_a_quarter_prefix_and_a_label_does_not_split(text: object) -> None:
    assert split_quarter_prefix(text) is None


# ---- row names --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Institutioner *", "Institutioner"),
        ("Institutioner*", "Institutioner"),
        ("Dagtilbud **", "Dagtilbud"),
        ("Dagtilbud * *", "Dagtilbud"),
        ("  Krumtappen  ", "Krumtappen"),
        ("A*B", "A*B"),
    ],
)
def test_trailing_footnote_marker_is_not_part_of_the_name(text: str, expected: str) -> None:
    assert strip_footnote_marker(text) == expected


def test_names_that_differ_only_in_case_space_or_marker_share_a_key() -> None:
    keys = {name_key(n) for n in ["Dagtilbud ", "dagtilbud", "DAGTILBUD *", "Dagtilbud\xa0"]}
    assert keys == {"dagtilbud"}
    assert name_key("Det  Nye\nSted") == name_key("det nye sted")
    assert name_key("Krumtappen") != name_key("Krumtappen 2")


@pytest.mark.parametrize(
    ("value", "expected"),
    [(None, True), ("", True), ("  \n\xa0", True), ("x", False), (0, False), (0.0, False), (False, False)],
)
def test_is_blank_means_none_or_whitespace(value: object, expected: bool) -> None:
    assert is_blank(value) is expected
