"""Kind `effekt_realiseret`: expected against realised effect per budget year (WORKBOOKS.md §8,
seed 004). One line per budget year; any figure may be empty, or marked not computed yet.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pandera.pandas as pa
from pandera.typing import Series

from syncservice.layout import Column, Frame, Kind, OverviewSheet
from syncservice.models import Figure, Finding

EXPECTED, ADJUSTED = "Forventet, oprindelig", "Forventet, justeret"
ORIGINAL, NEW, TOTAL = "Realiseret, oprindelige borgere", "Realiseret, nye borgere", "Realiseret i alt"

COLUMNS = (
    Column("budget_year", "Budgetår", ("Budgetår", "År"), "text"),
    Column("expected", "Oprindelige forventninger", ("Oprindelige forventninger",), metric=EXPECTED),
    Column("adjusted", "Justerede forventninger", ("Justerede forventninger",), metric=ADJUSTED),
    Column("original", "Realiseret, oprindelige",
           ("Realiseret effekt – oprindelige borgere", "Realiseret effekt - oprindelige borgere",
            "Realiseret, oprindelige"), metric=ORIGINAL),
    Column("new", "Realiseret, nye",
           ("Realiseret effekt – nye borgere", "Realiseret effekt - nye borgere", "Realiseret, nye"), metric=NEW),
    Column("total", "Samlet effekt", ("Samlet effekt", "Realiseret i alt"), metric=TOTAL),
)
FIGURES = COLUMNS[1:]
REALISED = ("original", "new", "total")

# '3,8 pr 3. kvartal 2016', '5,2 pr. 30.09.2016': the number, and the period it was computed for
NUMBER_FOR_A_PERIOD = re.compile(r"^(?P<number>[-−]?\s*[\d.]*\d(?:,\d+)?)\s+pr\.?\s*\S.*$", re.IGNORECASE)
YEAR = re.compile(r"^\d{4}$")


class Model(pa.DataFrameModel):
    budget_year: Series[str] = pa.Field(nullable=False)
    expected: Series[float] = pa.Field(nullable=True)
    adjusted: Series[float] = pa.Field(nullable=True)
    original: Series[float] = pa.Field(nullable=True)
    new: Series[float] = pa.Field(nullable=True)
    total: Series[float] = pa.Field(nullable=True)
    line_key: Series[str] = pa.Field(unique=True)

    class Config:
        strict = False


SCHEMA = Model.to_schema()


def number_for_a_period(text: str) -> tuple[str, str] | None:
    """'3,8 pr 3. kvartal 2016' → ('3,8', its warning): read as the number (WORKBOOKS.md §8)."""
    found = NUMBER_FOR_A_PERIOD.match(text)
    return (found["number"], "effekt_realiseret.period_in_cell") if found else None


def years_in_sequence(frame: Frame) -> Iterator[Finding]:
    """Each line a budget year, once, consecutive and increasing: an error at the first that
    is not a year or breaks the sequence."""
    before: int | None = None
    for i, name in enumerate(frame.lines["budget_year"].tolist()):
        if not isinstance(name, str) or not name:
            continue  # no name at all: the engine's row.name_missing says so
        if not YEAR.match(name):
            yield frame.finding("effekt_realiseret.year", ["budget_year"], i, value=name)
            return
        if before is not None and int(name) != before + 1:
            yield frame.finding("effekt_realiseret.years_sequence", ["budget_year"], i, value=name,
                                expected=before + 1)
            return
        before = int(name)


def total_is_the_sum(frame: Frame) -> Iterator[Finding]:
    """Where all three are figures, realised total = original + new citizens, within half a
    unit of the last decimal shown: an error at the total, citing both."""
    lines = frame.lines
    for i in lines.index:
        original, new, total = (lines.at[i, k] for k in REALISED)
        if original != original or new != new or total != total:
            continue
        if abs(original + new - total) > 0.5 * 10 ** -max(_decimals(v) for v in (original, new, total)) + 1e-9:
            yield frame.finding("effekt_realiseret.total", ["total", "original", "new"], i, value=total,
                                computed=round(original + new, 6), year=lines.at[i, "budget_year"])


def nothing_realised_in_advance(frame: Frame) -> Iterator[Finding]:
    """A realised figure for a year after the as-of year (else the report's year) is an error."""
    as_of = frame.meta.get("as_of")
    through = as_of.year if as_of is not None else frame.meta.get("year")
    if through is None:
        return
    lines = frame.lines
    for i, name in enumerate(lines["budget_year"].tolist()):
        if not (isinstance(name, str) and YEAR.match(name) and int(name) > through):
            continue
        for key in REALISED:
            if lines.at[i, key] == lines.at[i, key]:
                yield frame.finding("effekt_realiseret.in_advance", [key], i, value=lines.at[i, key],
                                    year=int(name), through=through)


def figures(frame: Frame) -> tuple[Figure, ...]:
    """Per budget year, each figure that is there: Linje empty, Periode the year (WORKBOOKS.md §6)."""
    lines = frame.lines
    out = []
    for i, year in enumerate(lines["budget_year"].tolist()):
        for spec in FIGURES:
            value = lines.at[i, spec.key]
            if value == value:  # empty or not computed: no figure
                out.append(Figure("", spec.metric, year, frame.kroner(value), frame.ref(spec.key, i), i))
    return tuple(out)


def not_computed(frame: Frame) -> dict[str, Any]:
    """The cells marked not computed, as [line, metric, period, the words]: the overview shows the words."""
    metrics = {spec.key: spec.metric for spec in FIGURES}
    years = frame.lines["budget_year"].tolist()
    marked = [["", metrics[key], years[i], words] for key, i, words in frame.not_computed if key in metrics]
    return {"not_computed": marked} if marked else {}


def _decimals(value: float) -> int:
    text = f"{value:.6f}".rstrip("0")
    return len(text.split(".")[1]) if "." in text else 0


MESSAGES = {
    "effekt_realiseret.period_in_cell": {
        "da": ("«{value}» er læst som {number}; perioden, tallet er opgjort for, hører ikke til i cellen.",
               "Skriv kun tallet i cellen, og datoen i «Opgjort pr.» over tabellen."),
        "en": ("«{value}» is read as {number}; the period it was computed for does not belong in the cell.",
               "Write only the number in the cell, and the date in «Opgjort pr.» above the table."),
    },
    "effekt_realiseret.year": {
        "da": ("«{value}» er ikke et budgetår.", "Skriv budgetåret med fire cifre, fx 2016."),
        "en": ("«{value}» is not a budget year.", "Write the budget year in four digits, e.g. 2016."),
    },
    "effekt_realiseret.years_sequence": {
        "da": ("Budgetårene skal komme i rækkefølge uden huller; her står {value}, men der skulle stå {expected}.",
               "Ret året, eller indsæt rækken for det manglende år."),
        "en": ("The budget years must follow each other without gaps; here is {value} where {expected} belongs.",
               "Correct the year, or insert the row of the missing year."),
    },
    "effekt_realiseret.total": {
        "da": ("Samlet effekt for {year} er {value}, men oprindelige og nye borgere giver tilsammen {computed}.",
               "Ret samlet effekt eller de to tal, så samlet effekt = oprindelige + nye borgere."),
        "en": ("The total effect for {year} is {value}, but original and new citizens add up to {computed}.",
               "Correct the total or the two figures so that total = original + new citizens."),
    },
    "effekt_realiseret.in_advance": {
        "da": ("Der står en realiseret effekt for {year}, men tallene er opgjort til og med {through}.",
               "Slet tallet; en effekt kan først realiseres, når året er begyndt. Ret ellers «Opgjort pr.»."),
        "en": ("There is a realised effect for {year}, but the figures are computed through {through}.",
               "Delete the figure; an effect is only realised once the year has begun. Otherwise correct "
               "«Opgjort pr.»."),
    },
}

HELP = {
    "budget_year": {
        "da": ("Budgetår", "Budgetåret med fire cifre. Én række pr. år, i rækkefølge."),
        "en": ("Budget year", "The budget year in four digits. One row per year, in order."),
    },
    "expected": {
        "da": ("Oprindelige forventninger", "Den oprindeligt forventede effekt for året, i {amount_unit}. "
                                            "Må stå tomt."),
        "en": ("Original expectations", "The effect originally expected for the year, in {amount_unit}. "
                                        "May be left empty."),
    },
    "adjusted": {
        "da": ("Justerede forventninger", "Den forventede effekt efter seneste justering, i {amount_unit}. "
                                          "Må stå tomt."),
        "en": ("Adjusted expectations", "The effect expected after the latest adjustment, in {amount_unit}. "
                                        "May be left empty."),
    },
    "original": {
        "da": ("Realiseret, oprindelige", "Effekt realiseret for de oprindelige borgere, i {amount_unit}. "
                                          "Skriv Ej opgjort, hvis den ikke er opgjort endnu."),
        "en": ("Realised, original", "Effect realised for the original citizens, in {amount_unit}. Write "
                                     "Ej opgjort if it is not computed yet."),
    },
    "new": {
        "da": ("Realiseret, nye", "Effekt realiseret for nye borgere, i {amount_unit}. Skriv Ej opgjort, "
                                  "hvis den ikke er opgjort endnu."),
        "en": ("Realised, new", "Effect realised for new citizens, in {amount_unit}. Write Ej opgjort if it "
                                "is not computed yet."),
    },
    "total": {
        "da": ("Samlet effekt", "Oprindelige + nye borgere, i {amount_unit}. Skriv Ej opgjort, hvis den ikke "
                                "er opgjort endnu."),
        "en": ("Total effect", "Original + new citizens, in {amount_unit}. Write Ej opgjort if it is not "
                               "computed yet."),
    },
}

OVERVIEW = OverviewSheet(
    sheet_title="Effekt realiseret",
    title="Forventet og realiseret effekt pr. budgetår",
    explanation=("En række pr. budgetår. Realiseret i alt = oprindelige + nye borgere. "
                 "«Ej opgjort»: enheden har ikke opgjort tallet endnu."),
    empty="Ingen opgørelser af realiseret effekt er modtaget endnu.",
    line_label="Budgetår",
)

KIND = Kind(
    name="effekt_realiseret",
    title="Effekt realiseret",
    columns=COLUMNS,
    line_columns=("budget_year",),
    schema=lambda frame: SCHEMA,
    figures=figures,
    rules=(total_is_the_sum, nothing_realised_in_advance),
    header_rules=(years_in_sequence,),
    required_meta=frozenset({"unit", "amount_unit"}),
    year_from_as_of=True,  # År, else the as-of date's year
    annotations=not_computed,
    messages=MESSAGES,
    figure_params={"effekt_realiseret.total": frozenset({"computed"})},
    help=HELP,
    overview=OVERVIEW,
    position=50,
    adds_up=False,  # one line per budget year: a sum over the years is no figure of the seed's
    compared=frozenset({ORIGINAL, NEW, TOTAL}),  # a realised effect already reported, now different
    not_computed=("Ej opgjort", "Ikke opgjort"),
    text_figure=number_for_a_period,
)
