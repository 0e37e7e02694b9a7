"""Kind `tilgang_afgang`: quarterly intake and outflow per day service (WORKBOOKS.md §4, seed 003)."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import pandera.pandas as pa
from pandera.typing import Series

from schemas._checks import WHOLE, whole_number
from syncservice.changes import kroner_value, starts_and_ends
from syncservice.layout import Column, Frame, Kind, OverviewSheet, QuarterColumns, Through
from syncservice.models import ERROR, WARNING, Figure, Figures, Finding, Report, StoredVersion
from syncservice.parse import normalise_label
from syncservice.reporting import quarter_end

# 'Antal borgere 1/1 2016' is the start count; any other date is the end count.
_DATED = r"antal( borgere)?( pr\.?)? {day}[./-]{month}\.?([ ./-]*\d{{4}})?"
START_DATED = _DATED.format(day="0?1", month="0?1")
END_DATED = _DATED.format(day=r"\d{1,2}", month=r"\d{1,2}")
DATE_IN_LABEL = re.compile(r"(\d{1,2})[./-](\d{1,2})\.?(?:[ ./-]*(\d{4}))?")
QUARTER_END = {1: "31/3", 2: "30/6", 3: "30/9", 4: "31/12"}

COLUMNS = (
    Column("name", "Tilbud", ("Tilbud", "Dagtilbud", "Navn"), "text", blank_first=True),
    Column("start", "Primo", ("Primo", "Antal primo"), "count", patterns=(START_DATED,), metric="Primo"),
    Column("end", "Ultimo", ("Ultimo", "Antal ultimo"), "count", patterns=(END_DATED,), metric="Ultimo"),
    Column("capacity", "Pladser", ("Pladser", "Kapacitet"), "count", required=False),
)


class Model(pa.DataFrameModel):
    name: Series[str] = pa.Field(nullable=False)
    start: Series[float] = pa.Field(nullable=False, ge=0)
    end: Series[float] = pa.Field(nullable=False, ge=0)
    flow: Series[float] = pa.Field(alias=r"^(in|out)_\d$", regex=True, nullable=False, ge=0)
    line_key: Series[str] = pa.Field(unique=True)

    # names are matched exactly: the third is the flow field's alias itself (with regex=True it
    # was taken as a pattern over the aliases, matched none, and left intake and outflow unchecked)
    @pa.check("start", "end", r"^(in|out)_\d$", name="value.not_whole")
    def whole(cls, series):  # counts of people are whole numbers
        return whole_number(series)

    class Config:
        strict = False


SCHEMA = Model.to_schema()
SCHEMA_WITH_CAPACITY = SCHEMA.add_columns({"capacity": pa.Column(float, [pa.Check.ge(0), WHOLE], nullable=True)})


def quarters_in_sequence(frame: Frame) -> Iterator[Finding]:
    """Quarters present are 1..n (n ≤ 4), in column order, each with Tilgang and Afgang;
    reported at the first quarter header cell that breaks it. The order is the one the
    person wrote (K1 | K3 | K2 is broken at K3, a second K2 at the repeat), each flow on its
    own, so a one-row header may put all intake columns before all outflow columns."""
    flows = frame.quarter_flows or tuple((flow, q, frame.quarter_cells[q]) for q in sorted(frame.quarter_cells)
                                         for flow in ("in", "out") if f"{flow}_{q}" in frame.letters)
    breaks = []  # (column of the header cell, quarter, expected, cell, missing, twice, label found)
    for flow in ("in", "out"):
        seen: set[tuple[int, str]] = set()
        before: str | None = None  # the quarter label cell of the flow's previous column
        for expected, (quarter, cell) in enumerate(((q, c) for f, q, c in flows if f == flow), start=1):
            if (quarter, cell) in seen:  # 'Tilgang §103' | 'Tilgang §104' under one quarter's label
                breaks.append((_column(cell), quarter, quarter, cell, [], [_FLOW_NAMES[flow]], ""))
                break
            seen.add((quarter, cell))
            if quarter != expected or quarter > 4:
                # a label before it that could not be read ('2. kvx 2016') is where it breaks
                stray = frame.unclaimed_between(before, cell) if quarter > expected else None
                if stray is not None:
                    breaks.append((stray.columns[0], expected, expected, stray.ref, [], [], stray.label))
                else:
                    breaks.append((_column(cell), quarter, expected, cell, [], [], ""))
                break
            before = cell
    for quarter, cell in frame.quarter_cells.items():
        missing = [flow for flow in ("in", "out") if f"{flow}_{quarter}" not in frame.letters]
        # a word under (or beside) the quarter's label that is not Tilgang or Afgang ('Afgnag')
        # is the cell to fix, rather than the quarter's label
        stray = frame.unclaimed_between(cell, _next_label(frame, cell), from_after=True) if missing else None
        if stray is not None:
            breaks.append((stray.columns[0], quarter, quarter, stray.ref, missing, [], stray.label))
        elif missing:
            breaks.append((_column(cell), quarter, quarter, cell, missing, [], ""))
    if breaks:  # the leftmost; of two at one cell, the one that says what is missing
        _, quarter, expected, cell, missing, twice, found = min(breaks, key=lambda b: (b[0], not b[4]))
        yield Finding("tilgang.quarters", ERROR, frame.sheet, (cell,), f"K{quarter}",
                      found or frame.names.get(f"in_{quarter}", f"K{quarter}"),
                      {"quarter": quarter, "expected": expected,
                       "missing": [_FLOW_NAMES[m] for m in missing], **({"twice": twice} if twice else {}),
                       **({"found": found} if found else {})})


_FLOW_NAMES = {"in": "Tilgang", "out": "Afgang"}


def _next_label(frame: Frame, cell: str) -> str | None:
    """The next quarter label (or the end count's) right of the header cell `cell`: where
    the quarter's columns end."""
    right = [c for c in [*frame.quarter_cells.values(), frame.header_cells.get("end", "")]
             if c and _column(c) > _column(cell)]
    return min(right, key=_column, default=None)


def _column(ref: str) -> int:
    from openpyxl.utils.cell import column_index_from_string, coordinate_from_string

    return column_index_from_string(coordinate_from_string(ref)[0])


def end_label_agrees(frame: Frame) -> Iterator[Finding]:
    """A dated end-count label ('Antal borgere 30/9 2016') must be the quarter reported
    through, in the report's year. Not judged while the quarters themselves are broken:
    'through K5' is no quarter to hold a date to."""
    label = normalise_label(frame.header_labels.get("end", ""))
    m = DATE_IN_LABEL.search(label)
    if not m or not frame.quarters or next(quarters_in_sequence(frame), None) is not None:
        return
    month, year = int(m.group(2)), m.group(3)
    through = max(frame.quarters)
    if not 1 <= month <= 12:
        return
    dated = (month - 1) // 3 + 1
    if dated != through or (year and frame.meta.get("year") and int(year) != frame.meta["year"]):
        expected = QUARTER_END[through] + (f" {frame.meta['year']}" if frame.meta.get("year") else "")
        # a year's template filled in through the date's quarter: the later quarters' columns are
        # there but empty (0 on every line), so the person is told they may delete them
        lines = frame.lines
        empty = [q for q in frame.quarters if q > dated
                 and not (lines[f"in_{q}"].fillna(0).any() or lines[f"out_{q}"].fillna(0).any())]
        yield Finding("tilgang.end_label", ERROR, frame.sheet, (frame.header_cells["end"],), "Ultimo",
                      frame.header_labels["end"],
                      {"through": through, "year": frame.meta.get("year", ""), "expected": expected,
                       **({"empty": empty} if empty and empty[-1] == through and len(empty) == through - dated
                          else {})})


def balance(frame: Frame) -> Iterator[Finding]:
    """start + Σ intake − Σ outflow = end, per row, citing every cell involved."""
    lines, qs = frame.lines, frame.quarters
    flows = [f"{f}_{q}" for q in qs for f in ("in", "out")]
    values = {key: lines[key].to_numpy() for key in ("start", "end", *flows)}  # numpy: a fifth of pandas' time
    computed = values["start"] + sum(values[f"in_{q}"] for q in qs) - sum(values[f"out_{q}"] for q in qs)
    for at in np.flatnonzero(np.abs(computed - values["end"]) > 1e-9):  # NaN (reported already) is never off
        i = lines.index[at]
        yield frame.finding("tilgang.balance", ["start", *flows, "end"], i, column="Ultimo",
                            value=lines.at[i, "end"], computed=int(computed[at]), line=lines.at[i, "name"])


def running_count(frame: Frame) -> Iterator[Finding]:
    """The count after each quarter is never negative; reported at that quarter's Afgang."""
    lines = frame.lines
    running = lines["start"].to_numpy(copy=True)
    flagged = np.zeros(len(lines), dtype=bool)
    for q in frame.quarters:
        running = running + lines[f"in_{q}"].to_numpy() - lines[f"out_{q}"].to_numpy()
        for i in np.flatnonzero((running < 0) & ~flagged):
            yield frame.finding("tilgang.running_negative", [f"out_{q}"], lines.index[i], value=lines.iat[i, lines.columns.get_loc(f"out_{q}")],
                                count=int(running[i]), quarter=q, line=lines.iat[i, lines.columns.get_loc("name")])
        flagged |= running < 0


def capacity(frame: Frame) -> Iterator[Finding]:
    """Above capacity is a warning, at the first count (start or after a quarter) above it."""
    lines = frame.lines
    if "capacity" not in lines:
        return
    cap = lines["capacity"].to_numpy()
    count = lines["start"].to_numpy(copy=True)
    over = count > cap
    where = np.where(over, "start", "")
    seen = np.where(over, count, 0)
    for q in frame.quarters:
        count = count + lines[f"in_{q}"].to_numpy() - lines[f"out_{q}"].to_numpy()
        first = (where == "") & (count > cap)
        where = np.where(first, f"out_{q}", where)
        seen = np.where(first, count, seen)
    names = lines["name"].tolist()
    for i in np.flatnonzero(where != ""):
        yield frame.finding("tilgang.over_capacity", ["capacity", str(where[i])], int(i), severity=WARNING,
                            column="Pladser", value=cap[i], count=int(seen[i]), line=names[i])


def figures(frame: Frame) -> Figures:
    columns = [("start", "Primo", "")]
    for q in frame.quarters:
        columns += [(f"in_{q}", "Tilgang", f"K{q}"), (f"out_{q}", "Afgang", f"K{q}")]
    columns.append(("end", "Ultimo", ""))
    # line by line, in the order a person reads the row
    return frame.figures("name", columns, by_line=True)


def start_vs_last_end(report: Report, last_year: StoredVersion, old: Sequence[Figure]) -> list[Finding]:
    """Against last year: this year's Primo differs from last year's Ultimo, where last year
    was reported through Q4."""
    if last_year.through != 4:
        return []
    pairs = starts_and_ends(report.figures, old, "Primo", "Ultimo")
    if pairs is None:
        ends = {f.line.casefold(): f for f in old if f.metric == "Ultimo"}
        found = ((start, ends.get(start.line.casefold())) for start in report.figures if start.metric == "Primo")
        pairs = [(start, end.value) for start, end in found if end is not None and abs(end.value - start.value) > 0.005]
    return [Finding("change.start_vs_last_end", WARNING, report.sheet, (start.cell,), "Primo",
                    kroner_value(start.value), {"line": start.line, "end": round(float(end), 2),
                                                "year": report.year - 1},
                    numeric=True)
            for start, end in pairs]


def message_fields(finding: Finding, language: str, fields: dict[str, Any]) -> None:
    """The placeholders its messages derive from a finding's params: {problem}, {period},
    {empty_text}."""
    if finding.rule == "tilgang.quarters":
        missing = fields.get("missing", "")
        if isinstance(missing, list):
            missing = (" og " if language == "da" else " and ").join(missing)
        quarter, expected = fields.get("quarter", "?"), fields.get("expected", "?")
        twice = fields.get("twice") or []
        found = fields.get("found")
        if found and missing:  # a word where Tilgang or Afgang belongs ('Afgnag')
            fields["problem"] = (f"kvartal {quarter} mangler {missing}, og «{found}» kan ikke læses som det"
                                 if language == "da" else
                                 f"quarter {quarter} lacks {missing}, and «{found}» cannot be read as such")
        elif found:  # a label where the quarter belongs that cannot be read as one
            fields["problem"] = (f"«{found}» kan ikke læses, og her skulle kvartal {expected} stå"
                                 if language == "da" else
                                 f"«{found}» cannot be read, and quarter {expected} belongs here")
        elif isinstance(twice, list) and twice:  # two Tilgang columns under one quarter's label
            fields["problem"] = (f"kvartal {quarter} har to kolonner med {twice[0]}" if language == "da"
                                 else f"quarter {quarter} has two {twice[0]} columns")
        elif missing and quarter == expected:  # the quarter is where it belongs, half of it is not
            fields["problem"] = (f"kvartal {quarter} mangler {missing}" if language == "da"
                                 else f"quarter {quarter} lacks {missing}")
        else:
            fields["problem"] = ((f"her står kvartal {quarter}, hvor kvartal {expected} skulle stå" if language == "da"
                                  else f"here is quarter {quarter} where quarter {expected} belongs")
                                 + ((f" (mangler {missing})" if language == "da" else f" (missing {missing})")
                                    if missing else ""))
    if finding.rule == "tilgang.end_label":  # '3. kvartal 2016', or '3. kvartal' where År is not known
        through, year = fields.get("through", "?"), fields.get("year") or ""
        fields["period"] = (f"{through}. kvartal {year}" if language == "da"
                            else f"quarter {through}" + (f" of {year}" if year else "")).strip()
        empty = fields.get("empty") or []
        if isinstance(empty, list) and empty:  # the later quarters' columns are there, but empty
            quarters = (" og " if language == "da" else " and ").join(
                f"{q}. kvartal" if language == "da" else f"quarter {q}" for q in empty)
            fields["empty_text"] = (f", eller slet de tomme kolonner for {quarters}, hvis det ikke er indberettet endnu"
                                    if language == "da" else
                                    f", or delete the empty columns of {quarters} if it is not reported yet")
        else:
            fields["empty_text"] = ""


MESSAGES = {
    "tilgang.quarters": {
        "da": ("Kvartalerne skal være 1. til 4. i rækkefølge, hver med Tilgang og Afgang; {problem}.",
               "Ret kvartalsoverskrifterne, så de følger skabelonen."),
        "en": ("Quarters must run 1 to 4 in order, each with Tilgang and Afgang; {problem}.",
               "Correct the quarter headers so they follow the template."),
    },
    "tilgang.end_label": {
        "da": ("Overskriften «{value}» passer ikke med, at der er indberettet til og med {period}.",
               "Ret datoen i overskriften til kvartalets sidste dag, {expected}{empty_text}."),
        "en": ("The header «{value}» does not match reporting through {period}.",
               "Correct the date in the header to the quarter's last day, {expected}{empty_text}."),
    },
    "tilgang.balance": {
        "da": ("For {line} giver primo + tilgang − afgang {computed}, men ultimo er {value}.",
               "Ret tallene, så primo + tilgang − afgang = ultimo."),
        "en": ("For {line}, start + intake − outflow gives {computed}, but the end count is {value}.",
               "Correct the figures so that start + intake − outflow = end."),
    },
    "tilgang.running_negative": {
        "da": ("For {line} bliver antallet negativt ({count}) efter {quarter}. kvartal.",
               "Kontrollér afgangen i kvartalet; der kan ikke gå flere fra, end der er."),
        "en": ("For {line} the count becomes negative ({count}) after quarter {quarter}.",
               "Check the outflow in that quarter; more cannot leave than there are."),
    },
    "tilgang.over_capacity": {
        "da": ("{line} har {count} borgere, flere end de {value} pladser.", "Kontrollér tallene og pladserne."),
        "en": ("{line} has {count} citizens, more than its {value} places.", "Check the figures and the places."),
    },
    "change.start_vs_last_end": {
        "da": ("Primo for {line} er {value}, men ultimo {year} var {end}.",
               "Kontrollér primo, så det passer med sidste års ultimo."),
        "en": ("The start count for {line} is {value}, but the end count for {year} was {end}.",
               "Check the start count so it matches last year's end count."),
    },
}

HELP = {
    "name": {
        "da": ("Tilbud", "Dagtilbuddets navn. Hvert tilbud én gang."),
        "en": ("Day service", "The day service's name. Each one once."),
    },
    "start": {
        "da": ("Primo", "Antal borgere 1/1 {year}, det samme som ultimo sidste år. Et helt tal, 0 eller "
                        "derover."),
        "en": ("Start count", "Citizens on 1/1 {year}, the same as last year's end count. A whole number, "
                              "0 or more."),
    },
    "quarter": {
        "da": ("{quarter}. kvartal {year}", "Tilgang og afgang i kvartalet: borgere, der er begyndt og stoppet. "
                                            "Hele tal, 0 eller derover; tomt tæller som 0."),
        "en": ("Quarter {quarter} {year}", "Intake and outflow in the quarter: citizens who started and who "
                                           "left. Whole numbers, 0 or more; empty counts as 0."),
    },
    "in": {
        "da": ("{quarter}. kvartal: Tilgang", "Borgere, der er begyndt i {quarter}. kvartal. Et helt tal, "
                                              "0 eller derover; tomt tæller som 0."),
        "en": ("Quarter {quarter}: intake", "Citizens who started in quarter {quarter}. A whole number, "
                                            "0 or more; empty counts as 0."),
    },
    "out": {
        "da": ("{quarter}. kvartal: Afgang", "Borgere, der er stoppet i {quarter}. kvartal. Et helt tal, "
                                             "0 eller derover; tomt tæller som 0."),
        "en": ("Quarter {quarter}: outflow", "Citizens who left in quarter {quarter}. A whole number, "
                                             "0 or more; empty counts as 0."),
    },
    "end": {
        "da": ("Ultimo", "Antal borgere {end}: primo + tilgang − afgang. Et helt tal, 0 eller derover."),
        "en": ("End count", "Citizens on {end}: start + intake − outflow. A whole number, 0 or more."),
    },
    "capacity": {
        "da": ("Pladser", "Tilbuddets antal pladser; må stå tomt. Flere borgere end pladser giver en "
                          "advarsel."),
        "en": ("Places", "The day service's number of places; may be left empty. More citizens than places "
                         "gives a warning."),
    },
}

OVERVIEW = OverviewSheet(
    sheet_title="Tilgang og afgang",
    title="Tilgang og afgang på dagtilbud",
    explanation="Nettoændring = Ultimo − Primo. Kvartaler uden tal i en opgørelse er tomme.",
    empty="Ingen opgørelser af tilgang og afgang er modtaget endnu.",
    line_label="Dagtilbud",
    shape="flow",
    subtitle="Antal borgere",
)


# reported through the last quarter in it (WORKBOOKS.md §4)
THROUGH = Through(of=lambda frame: max(frame.quarters) if frame.quarters else None,
                  text=lambda quarter, language: (f"til og med {quarter}. kvartal" if language == "da"
                                                else f"through quarter {quarter}"),
                  last_day=quarter_end)

KIND = Kind(
    name="tilgang_afgang",
    title="Tilgang og afgang",
    columns=COLUMNS,
    line_columns=("name",),
    schema=lambda frame: SCHEMA_WITH_CAPACITY if "capacity" in frame.lines else SCHEMA,
    figures=figures,
    rules=(balance, running_count, capacity),
    header_rules=(quarters_in_sequence, end_label_agrees),
    required_meta=frozenset({"unit", "year"}),
    quarters=QuarterColumns(intake=("Tilgang",), outflow=("Afgang",), intake_metric="Tilgang", outflow_metric="Afgang"),
    messages=MESSAGES,
    figure_params={"tilgang.balance": frozenset({"computed"}), "tilgang.running_negative": frozenset({"count"}),
                   "tilgang.over_capacity": frozenset({"count"}), "change.start_vs_last_end": frozenset({"end"})},
    message_fields=message_fields,
    help=HELP,
    overview=OVERVIEW,
    position=30,
    # Ultimo moves with every quarter, so it is not compared
    compared=frozenset({"Primo", "Tilgang", "Afgang"}),
    last_year_rules=(start_vs_last_end,),
    through=THROUGH,
)
