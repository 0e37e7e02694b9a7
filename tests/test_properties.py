"""Property tests for what staff type: Danish number text, header and metadata labels,
metadata dates (WORKBOOKS.md §1-§4). Generated inputs, checked against the value meant.

Label and date properties run through locate + check_table on in-memory rows, so they
test what a user would see (the column found, the figures and as-of date of the report),
not only the helper in parse.py. Derandomized: the same examples on every run.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from schemas import KINDS
from syncservice.base.layout import META_LABELS
from syncservice.base.models import Cell, Report
from syncservice.base.parse import NotANumber, label_matches, normalise_label, parse_date, parse_number
from syncservice.intake.locate import locate
from syncservice.intake.read import Row
from syncservice.rules.validate import check_table

import book
from conftest import verdict_for

FAST = settings(max_examples=200, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow])
SLOW = settings(FAST, max_examples=40)  # each example locates and validates a whole sheet


# ---- helpers ----------------------------------------------------------------------------


def stream(rows: book.Rows) -> Iterator[Row]:
    """Rows of values → what read.py yields: every row, empty ones as (n, {})."""
    for r, values in enumerate(rows, start=1):
        yield r, {c: Cell(r, c, v) for c, v in enumerate(values, start=1) if v is not None}


def report_of(rows: book.Rows, sheet: str = "Ark1") -> tuple[Report | None, list[str]]:
    """The report a sheet gives (None when rejected) and the rules of its errors."""
    located = locate(sheet, stream(rows), KINDS.values(), max_rows=10_000)
    if located.table is None:
        return None, [f.rule for f in located.findings]
    checked = check_table(located.table)
    return checked.report, [f.rule for f in checked.findings if f.severity == "error"]


def figures(report: Report | None) -> list[tuple[Any, ...]]:
    """A report's figures: line, metric, period and value in kroner (the cells depend on
    the header's depth)."""
    assert report is not None
    return [(f.track, f.line, f.metric, f.period, f.value) for f in report.figures]


# Whitespace people leave between words of a label: spaces, NBSP (Excel's and Word's own),
# a narrow NBSP, a tab, and Alt+Enter's line break (LibreOffice may save it as \r\n).
INNER_SPACE = st.sampled_from([" ", "  ", "\xa0", "\u202f", "\t", "\n", "\r\n", " \n", "\n "])
EDGE_SPACE = st.sampled_from(["", " ", "  ", "\xa0", "\n"])


@st.composite
def typed_label(draw: st.DrawFn, label: str, suffixes: list[str] | None = None) -> str:
    """`label` as someone might type it: any case per letter, any whitespace between words,
    spaces around, an optional suffix (unit, year, date) and trailing colon."""
    words = ["".join(c.upper() if draw(st.booleans()) else c.lower() for c in w) for w in label.split(" ")]
    text = words[0] + "".join(draw(INNER_SPACE) + w for w in words[1:])
    if suffixes:
        text += draw(st.sampled_from(suffixes))
    text += draw(st.sampled_from(["", ":", " :", ":  "]))
    return draw(EDGE_SPACE) + text + draw(EDGE_SPACE)


# ---- numbers ----------------------------------------------------------------------------

GROUPERS = [".", " ", "\xa0", "\u202f"]  # Danish thousands: a dot, or a (non-breaking) space
MINUSES = ["-", "\u2212", "\u2013", "- ", "\u2212 ", "\u2013 "]  # hyphen, Unicode minus, Word's en dash


def danish(magnitude: Decimal, places: int, grouper: str | None) -> str:
    """12345.6 → '12.345,6' (grouper '.'), '12345,6' (no grouper)."""
    whole, _, frac = f"{magnitude:.{places}f}".partition(".")
    if grouper:
        whole = f"{int(whole):,}".replace(",", grouper)
    return whole + ("," + frac if frac else "")


@st.composite
def amount_text(draw: st.DrawFn) -> tuple[str, Decimal, int]:
    """(text, value meant, decimals shown) for an amount or percent typed the Danish way."""
    places = draw(st.integers(0, 4))
    magnitude = Decimal(draw(st.integers(0, 10**13))).scaleb(-places)
    negative = draw(st.booleans()) and magnitude != 0
    body = danish(magnitude, places, draw(st.sampled_from([None, *GROUPERS])))
    style = draw(st.sampled_from(["plain", "kr", "percent"]))
    if style == "kr":
        before, after = draw(st.sampled_from([
            ("", " kr."), ("", " kr"), ("", "kr."), ("", " Kr."), ("", " DKK"), ("", " kroner"),
            ("kr. ", ""), ("Kr ", ""), ("DKK ", ""), ("", ""),
        ]))  # fmt: skip
        if places == 0 and draw(st.booleans()):
            body += ",-"  # '1.600,- kr.': whole kroner
    elif style == "percent":
        before, after = "", draw(st.sampled_from(["%", " %", "\xa0%"]))
    else:
        before, after = "", ""
    if negative:
        if draw(st.booleans()):
            text = "(" + before + body + after + ")"  # accounting brackets
        else:
            text = before + draw(st.sampled_from(MINUSES)) + body + after
    else:
        text = before + draw(st.sampled_from(["", "+"])) + body + after
    value = (-magnitude if negative else magnitude) / (100 if style == "percent" else 1)
    return draw(EDGE_SPACE) + text + draw(EDGE_SPACE), value, places + (2 if style == "percent" else 0)


@FAST
@given(amount_text())
@example(("- 500.000 kr.", Decimal(-500000), 0))
@example(("−1.234,5 %", Decimal("-12.345"), 3))
@example(("(kr. 1.600,-)", Decimal(-1600), 0))
@example(("1\u202f600\xa0kr.", Decimal(1600), 0))
def test_danish_number_text_parses_back_to_the_value_typed(case: tuple[str, Decimal, int]) -> None:
    text, value, places = case
    parsed = parse_number(text)
    assert parsed is not None
    assert parsed.value == float(value)  # exactly: Decimal → float is correctly rounded, as parse is
    assert parsed.decimals == places


@FAST
@given(lead=st.integers(1, 999), group=st.integers(0, 999), negative=st.booleans())
def test_one_dot_group_of_three_is_thousands_and_one_comma_group_is_decimals(
    lead: int, group: int, negative: bool
) -> None:
    """The documented reading of the ambiguous forms: '1.234' is 1234, '1,234' is 1,234."""
    sign = "-" if negative else ""
    assert parse_number(f"{sign}{lead}.{group:03}").value == (-1 if negative else 1) * (lead * 1000 + group)
    decimal = parse_number(f"{sign}{lead},{group:03}")
    assert decimal.value == float(Decimal(f"{sign}{lead}.{group:03}")) and decimal.decimals == 3


@FAST
@given(
    whole=st.integers(0, 10**9), frac=st.integers(0, 10**6), places=st.integers(1, 6),
    grouped=st.booleans(), negative=st.booleans(), suffix=st.sampled_from(["", " kr.", "%"]),
)
@example(whole=0, frac=500, places=3, grouped=False, negative=False, suffix="")
@example(whole=0, frac=125, places=3, grouped=False, negative=True, suffix=" kr.")
def test_english_decimal_point_is_refused_with_its_own_reason(
    whole: int, frac: int, places: int, grouped: bool, negative: bool, suffix: str
) -> None:
    """'16.7', '1,600.50', '0.500': an English decimal point is never read as Danish
    thousands; the message can say "write 16,7". ('1.234' is Danish thousands: above.)"""
    digits = f"{frac % 10**places:0{places}}"
    lead = f"{whole:,}" if grouped else str(whole)
    if places == 3 and "," not in lead:
        lead = "0"  # '1.234' is Danish thousands (above), but no group of thousands starts with 0
    text = ("-" if negative else "") + lead + "." + digits + suffix
    with pytest.raises(NotANumber) as caught:
        parse_number(text)
    assert caught.value.reason == "decimal_point", text


@FAST
@given(groups=st.lists(st.integers(0, 999), min_size=2, max_size=4), lead=st.integers(1, 999))
def test_english_thousands_commas_are_never_read_as_a_number(groups: list[int], lead: int) -> None:
    text = f"{lead}," + ",".join(f"{g:03}" for g in groups)  # '1,234,567'
    with pytest.raises(NotANumber):
        parse_number(text)


@FAST
@given(
    number=amount_text(),
    word=st.text("abcdefghijklmnopqrstuvwxyzæøå?", min_size=1, max_size=8),
    before=st.booleans(),
)
@example(number=("5", Decimal(5), 0), word="ca.", before=True)
@example(number=("5", Decimal(5), 0), word="borgere", before=False)
def test_a_number_with_other_words_is_not_a_number(number: tuple[str, Decimal, int], word: str,
                                                   before: bool) -> None:
    """'ca. 5', '5 borgere', '?': an error, never a figure with the word dropped."""
    text = number[0].strip()
    if word.casefold().rstrip(".") in {"kr", "dkk", "kroner"}:
        return  # the currency itself is allowed (above)
    with pytest.raises(NotANumber):
        parse_number(f"{word} {text}" if before else f"{text} {word}")


@FAST
@given(dash=st.sampled_from(["-", "–", "—", "−"]), around=EDGE_SPACE,
       currency=st.sampled_from(["", " kr.", "kr. "]))
def test_a_dash_alone_is_zero(dash: str, around: str, currency: str) -> None:
    text = around + (currency + dash if currency.endswith(" ") else dash + currency) + around
    assert parse_number(text).value == 0.0


KRONER_LINES = [[name, *(round(v * 1_000_000) for v in values)] for name, *values in book.HANDLEPLAN_LINES]
KRONER_TOTAL = ["Total", *(sum(line[i] for line in KRONER_LINES) for i in (1, 2, 3))]


@st.composite
def kroner_text(draw: st.DrawFn, kroner: int) -> str:
    """A whole amount in kroner as typed in a text cell: '3.600.000', '3 600 000,00 kr.', '-'."""
    if kroner == 0 and draw(st.booleans()):
        return draw(st.sampled_from(["-", "–", "0", "0,00", "0 kr."]))
    places = draw(st.sampled_from([0, 2]))
    body = danish(Decimal(kroner), places, draw(st.sampled_from([None, *GROUPERS])))
    suffix = draw(st.sampled_from(["", " kr.", " kr", "kr.", " DKK"] + ([",-", ",- kr."] if places == 0 else [])))
    return body + suffix


@SLOW
@given(data=st.data())
def test_figures_typed_as_danish_text_give_the_same_report_as_number_cells(data: st.DataObject) -> None:
    plain, _ = report_of(book.handleplan(lines=KRONER_LINES, amount_unit="kr.", total=KRONER_TOTAL))
    typed = [[name, *(data.draw(kroner_text(v)) for v in values)] for name, *values in [*KRONER_LINES, KRONER_TOTAL]]
    report, errors = report_of(book.handleplan(lines=typed[:-1], amount_unit="kr.", total=typed[-1]))
    assert not errors, (typed, errors)
    assert figures(report) == figures(plain)


# ---- header labels ----------------------------------------------------------------------

UNIT_SUFFIXES = ["", " (1.000 kr.)", " (mio. kr.)", " 1.000 kr.", " i 1.000 kr.", ", kr."]
DATE_SUFFIXES = ["", " 2015", " 30.11 2015", "\n30.11 2015", " pr. 30.11.2015", " (1.000 kr.)", " *"]

HANDLEPLAN_LABELS = {spec.key: spec.labels for spec in KINDS["handleplan"].columns}
PLAIN_HANDLEPLAN = figures(report_of(book.handleplan())[0])


@SLOW
@given(data=st.data())
@example(data=None)  # the seed's own header, unchanged
def test_handleplan_header_found_whatever_the_case_space_colon_or_suffix(data: st.DataObject | None) -> None:
    if data is None:
        header = ["Område", "Mål", "Realiseret\n30.11 2015", "Forventet 2015"]
    else:
        header = [data.draw(typed_label(data.draw(st.sampled_from(HANDLEPLAN_LABELS[key])),
                                        DATE_SUFFIXES if key != "area" else None))
                  for key in ("area", "target", "realised", "expected")]
    report, errors = report_of(book.handleplan(header=header))
    assert not errors, (header, errors)
    assert figures(report) == PLAIN_HANDLEPLAN  # every column found where it is


PLAIN_EFFEKT = report_of(book.effekt(status=["Grøn", "Gul", "Rød", "Grøn", "Gul"]))[0]


@SLOW
@given(data=st.data())
def test_effekt_header_found_whatever_the_case_space_colon_or_suffix(data: st.DataObject) -> None:
    rows = book.effekt(status=["Grøn", "Gul", "Rød", "Grøn", "Gul"])
    header = rows[5]
    header[0] = data.draw(typed_label("Spor"))
    header[1] = data.draw(typed_label(data.draw(st.sampled_from(("Tiltag", "Initiativ", "Indsats"))),
                                      UNIT_SUFFIXES))
    header[2:7] = [data.draw(st.sampled_from([y, str(y), f" {y} ", float(y), f"{y}:"])) for y in header[2:7]]
    header[7] = data.draw(typed_label("Status"))
    report, errors = report_of(rows)
    assert not errors, (header, errors)
    assert figures(report) == figures(PLAIN_EFFEKT)
    assert report.extra["status"] == PLAIN_EFFEKT.extra["status"]  # the Status column found too


PLAIN_TILGANG = figures(report_of(book.tilgang())[0])
COUNT_SUFFIXES = ["", " (antal)", " (borgere)", " i alt", " *"]
QUARTER_LABELS = ["{q}. kv. 2016", "{q}. kv.", "{q}.kv.2016", "K{q}", "Q{q}", "Q{q} 2016", "K{q}-2016", "{q}. kvartal",
                  "{q}. kvartal 2016", "{q}.kvt.", "{q}. kvt. 2016", "kvartal {q}", "K{q} 2016"]  # fmt: skip


@SLOW
@given(data=st.data(), two_rows=st.booleans())
def test_tilgang_header_found_whatever_the_case_space_colon_or_suffix(data: st.DataObject, two_rows: bool) -> None:
    rows = book.tilgang()
    upper, lower = rows[5], rows[6]
    upper[0] = data.draw(st.sampled_from([None, "Tilbud", "Dagtilbud", "Navn", " TILBUD: "]))
    upper[1] = data.draw(st.one_of([
        typed_label("Primo"), typed_label("Antal primo"), typed_label("Antal borgere 1/1 2016"),
        typed_label("Antal borgere pr. 1.1.2016"), typed_label("Antal borgere 01.01.2016"),
    ]))  # fmt: skip
    upper[8] = data.draw(st.one_of([
        typed_label("Ultimo"), typed_label("Antal ultimo"), typed_label("Antal borgere 30/9 2016"),
        typed_label("Antal borgere pr. 30.9.2016"),
    ]))  # fmt: skip
    form = data.draw(st.sampled_from(QUARTER_LABELS))
    for q, col in zip((1, 2, 3), (2, 4, 6)):
        quarter = data.draw(typed_label(form.format(q=q)))
        intake, outflow = data.draw(typed_label("Tilgang", COUNT_SUFFIXES)), data.draw(typed_label("Afgang"))
        if two_rows:
            upper[col], lower[col], lower[col + 1] = quarter, intake, outflow
        else:
            upper[col] = f"{quarter.strip().rstrip(':')} {intake}"
            upper[col + 1] = f"K{q}{data.draw(INNER_SPACE)}{outflow}"
    if not two_rows:
        del rows[6]  # one header row: 'K1 Tilgang' | 'K1 Afgang'
    report, errors = report_of(rows)
    assert not errors, (rows[5:7], errors)
    assert figures(report) == PLAIN_TILGANG and report.through == 3


# Words that start like a label but are other words: a header made of them is no header.
LOOKALIKES = [
    ["Områdechef", "Målgruppe", "Realiseringsgrad", "Forventning"],
    ["Indsatsområde", "Målsætninger", "Opnåede", "Prognoser"],
    ["Ikke område", "Mål", "Realiseret", "Forventet"],  # 'Ikke område' is no area
    ["Område", "Mål", "Urealiseret", "Forventet"],
]


@FAST
@given(
    label=st.sampled_from(sorted({s for kind in KINDS.values() for c in kind.columns for s in c.labels})),
    tail=st.text("abcdefghijklmnopqrstuvwxyzæøåé", min_size=1, max_size=10),
    head=st.text("abcdefghijklmnopqrstuvwxyzæøå ", min_size=1, max_size=10),
)
def test_unrelated_labels_never_match(label: str, tail: str, head: str) -> None:
    """A label is a word: a longer word ('Målgruppe') or one that only contains it
    ('Ikke realiseret') is another label, whatever the case."""
    longer = label + tail
    if normalise_label(longer) in {normalise_label(s) for kind in KINDS.values() for c in kind.columns
                                   for s in c.labels}:
        return  # 'Mål' + 'sætning' is itself a label
    assert not label_matches(longer, [label])
    assert not label_matches(longer.upper(), [label])
    if head.strip():
        assert not label_matches(f"{head} {label}", [label])


@pytest.mark.parametrize("header", LOOKALIKES)
def test_a_header_of_lookalike_words_is_not_a_handleplan(header: list[str]) -> None:
    located = locate("Ark1", stream(book.handleplan(header=header)), KINDS.values(), max_rows=10_000)
    assert located.table is None and located.findings[0].severity == "error"


# ---- metadata labels --------------------------------------------------------------------

META_VALUES = {"unit": "Dagtilbud Vest", "year": 2015, "as_of": dt.date(2015, 11, 30), "amount_unit": "mio. kr."}


@SLOW
@given(data=st.data(), inline=st.booleans())
@example(data=None, inline=True)
def test_metadata_labels_found_whatever_the_case_space_or_colon(data: st.DataObject | None, inline: bool) -> None:
    """'Opgjort pr.:' | value, or 'Opgjort pr.: 30.11.2015' in one cell, in any case and
    spacing: the report has the unit, year, date and amount unit typed."""
    rows = book.handleplan(unit=META_VALUES["unit"])
    for row_no, key in ((2, "unit"), (3, "year"), (4, "as_of"), (5, "amount_unit")):
        if data is None:  # Alt+Enter or NBSP between the words of an inline label: once missed
            label = {"as_of": "Opgjort\npr.:", "unit": "ENHED :", "amount_unit": "Beløb\xa0i:"}.get(key, "År:")
        else:
            label = data.draw(typed_label(data.draw(st.sampled_from(META_LABELS[key]))))
        value = META_VALUES[key]
        if inline:
            shown = value.strftime("%d.%m.%Y") if key == "as_of" else str(value)
            rows[row_no] = [label.rstrip().rstrip(":").rstrip() + ": " + shown]
        else:
            rows[row_no] = [label, value]
    report, errors = report_of(rows)
    assert not errors, (rows[2:6], errors)
    assert (report.unit, report.year, report.as_of, report.amount_unit) == \
        ("Dagtilbud Vest", 2015, dt.date(2015, 11, 30), "mio. kr.")


# ---- metadata dates ---------------------------------------------------------------------

MONTHS = ["januar", "februar", "marts", "april", "maj", "juni",
          "juli", "august", "september", "oktober", "november", "december"]  # fmt: skip
# Every text form WORKBOOKS.md §1 and parse.py accept; {d}/{m} unpadded, {dd}/{mm} padded.
DATE_FORMS = [
    "{d}.{m}.{y}", "{dd}.{mm}.{y}", "{d}-{m}-{y}", "{dd}-{mm}-{y}", "{d}/{m}/{y}", "{dd}/{mm}/{y}",
    "{d}/{m} {y}", "{d}.{m} {y}", "{d}. {m}. {y}", "{d} / {m} / {y}", "{y}-{mm}-{dd}", "{y}-{m}-{d}",
    "{d}. {month} {y}", "{d} {month} {y}", "{d}.{month}.{y}", "{d}. {mon}. {y}", "{d} {mon} {y}",
    "{d}. {mon} {y}",
]  # fmt: skip
PREFIXES = ["", "pr. ", "Pr. ", "pr.", "den ", "Den "]


def date_text(day: dt.date, form: str) -> str:
    month = MONTHS[day.month - 1]
    return form.format(d=day.day, dd=f"{day.day:02}", m=day.month, mm=f"{day.month:02}", y=day.year,
                       month=month, mon=month[:3])


@FAST
@given(
    day=st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2200, 12, 31)),
    form=st.sampled_from(DATE_FORMS), prefix=st.sampled_from(PREFIXES),
    case=st.sampled_from([str, str.upper, str.title]), around=EDGE_SPACE,
)
@example(day=dt.date(2016, 2, 29), form="{d}.{m}.{y}", prefix="", case=str, around="")
@example(day=dt.date(2015, 9, 30), form="{d}. sept. {y}", prefix="", case=str, around="")
def test_every_accepted_date_form_round_trips(day: dt.date, form: str, prefix: str, case: Any, around: str) -> None:
    text = around + case(prefix + date_text(day, form)) + around
    assert parse_date(text) == day, text


@SLOW
@given(
    day=st.dates(min_value=dt.date(2015, 1, 1), max_value=dt.date(2016, 3, 31)),
    form=st.sampled_from(["cell", "datetime", *DATE_FORMS]), inline=st.booleans(),
)
def test_as_of_date_in_any_form_reaches_the_report(day: dt.date, form: str, inline: bool) -> None:
    """The as-of date as the report records it, typed in its own cell or after the label."""
    if form == "cell":
        value: Any = day
    elif form == "datetime":  # a date cell with a time of day: the day counts
        value = dt.datetime.combine(day, dt.time(17, 45))
    else:
        value = date_text(day, form)
    rows = book.handleplan(as_of=value)
    if inline and isinstance(value, str):
        rows[4] = [f"Opgjort pr.: {value}"]
    report, errors = report_of(rows)
    assert not errors, (value, errors)
    assert report.as_of == day


YEARS = st.integers(1900, 2200)
# A day past the month's end (29-31 February, 31 April...): the dates a spreadsheet
# would roll over into the next month, which the service must refuse instead.
PAST_MONTH_END = st.tuples(YEARS, st.sampled_from([2, 4, 6, 9, 11])).flatmap(
    lambda ym: st.tuples(st.integers(calendar.monthrange(*ym)[1] + 1, 31), st.just(ym[1]), st.just(ym[0])))
IMPOSSIBLE_DMY = st.one_of(
    PAST_MONTH_END,
    st.tuples(st.integers(1, 28), st.sampled_from([0, 13, 14, 20, 31, 99]), YEARS),  # no such month
    st.tuples(st.sampled_from([0, 32, 45, 99]), st.integers(1, 12), YEARS),  # no such day
)


@FAST
@given(dmy=IMPOSSIBLE_DMY, form=st.sampled_from([f for f in DATE_FORMS if "mon" not in f]))
@example(dmy=(31, 2, 2025), form="{d}.{m}.{y}")
@example(dmy=(29, 2, 2015), form="{y}-{mm}-{dd}")
@example(dmy=(31, 4, 2015), form="{d}. {month} {y}")
def test_an_impossible_date_is_refused_never_shifted(dmy: tuple[int, int, int], form: str) -> None:
    d, m, y = dmy
    text = form.format(d=d, dd=f"{d:02}", m=m, mm=f"{m:02}", y=y,
                       month=MONTHS[m - 1] if 1 <= m <= 12 else "frimaire", mon="xyz")
    assert parse_date(text) is None, text


@SLOW
@given(dmy=PAST_MONTH_END, inline=st.booleans())
def test_an_impossible_as_of_date_is_an_error_at_its_cell(dmy: tuple[int, int, int], inline: bool) -> None:
    text = "{}.{:02}.{}".format(*dmy)
    rows = book.handleplan(as_of=text)
    if inline:
        rows[4] = [f"Opgjort pr.: {text}"]
    report, errors = report_of(rows)
    assert report is None and "meta.as_of" in errors


@FAST
@given(day=st.dates(min_value=dt.date(1930, 1, 1), max_value=dt.date(2099, 12, 31)),
       sep=st.sampled_from([".", "-", "/"]))
def test_two_digit_years_are_refused(day: dt.date, sep: str) -> None:
    assert parse_date(f"{day.day}{sep}{day.month}{sep}{day.year % 100:02}") is None


# Real date cells through a saved file: what Danish Excel and LibreOffice set as formats.
DATE_FORMATS = ["dd.mm.yyyy", "d/m/yyyy", "dd-mm-yyyy", "yyyy-mm-dd", "[$-406]d. mmmm yyyy;@",
                "d. mmm. yyyy", "dd/mm/yy", "[$-F800]dddd\\,\\ mmmm\\ dd\\,\\ yyyy"]  # fmt: skip


@settings(FAST, max_examples=15)
@given(day=st.dates(min_value=dt.date(2015, 1, 1), max_value=dt.date(2016, 3, 31)),
       number_format=st.sampled_from(DATE_FORMATS))
def test_real_date_cells_in_any_date_format_round_trip_through_a_file(
    tmp_path_factory: pytest.TempPathFactory, day: dt.date, number_format: str
) -> None:
    path = book.save(tmp_path_factory.mktemp("dates") / "wb.xlsx", book.handleplan(as_of=day),
                     {"B5": number_format})
    verdict = verdict_for(path)
    assert verdict.accepted, verdict.errors
    assert verdict.reports[0].as_of == day
