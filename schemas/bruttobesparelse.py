"""Kind `bruttobesparelse`: the estimated gross saving, as revised at each budget follow-up
(WORKBOOKS.md §7, seed 003). A line is the estimate made at one follow-up, a column a year.

The lines are revisions of one estimate, so they never add up: no total row.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pandera.pandas as pa
from pandera.typing import Series

from schemas import _checks
from syncservice.layout import Column, Frame, Kind, OverviewSheet, Through, YearColumns
from syncservice.models import WARNING, Figures, Finding

# '3. opfølgning 2015', '1. budgetopfølgning 2016', 'BO 2 2016'
FOLLOW_UP = re.compile(r"^(?:(?P<n>[1-9])\s*\.?\s*(?:budget)?opfølgning|bo\s*(?P<bo>[1-9]))\s+(?P<year>\d{4})\*?$",
                       re.IGNORECASE)

COLUMNS = (
    # the top-left header cell names the lines: blank, the amount unit ('i 1.000 kr.'), or a label
    Column("follow_up", "Opfølgning", ("Opfølgning", "Budgetopfølgning"), "text", blank_first=True),
)


class Model(pa.DataFrameModel):
    follow_up: Series[str] = pa.Field(nullable=False)
    year: Series[float] = pa.Field(alias=r"^y\d{4}", regex=True, nullable=True)  # empty: no estimate
    line_key: Series[str] = pa.Field(unique=True)

    class Config:
        strict = False


SCHEMA = Model.to_schema()


def follow_up(name: str) -> tuple[int, int] | None:
    """'3. opfølgning 2016' → (2016, 3): when it was made, in time order; None if no follow-up."""
    found = FOLLOW_UP.match(" ".join(name.split()))
    if found is None:
        return None
    return int(found["year"]), int(found["n"] or found["bo"])


def follow_ups_in_order(frame: Frame) -> Iterator[Finding]:
    """Each line names a follow-up, and they come in time order top to bottom: an error at
    the first line that does not name one, or that comes before the line above it."""
    previous: tuple[int, int] | None = None
    for i, name in enumerate(frame.lines["follow_up"].tolist()):
        if not isinstance(name, str) or not name:
            continue  # no name at all: the engine's row.name_missing says so
        when = follow_up(name)
        if when is None:
            yield frame.finding("bruttobesparelse.follow_up", ["follow_up"], i, value=name)
            return
        if previous is not None and when < previous:
            yield frame.finding("bruttobesparelse.follow_up_order", ["follow_up"], i, value=name,
                                previous=frame.lines.at[i - 1, "follow_up"])
            return
        previous = when


def past_year_changed(frame: Frame) -> Iterator[Finding]:
    """An estimate for a year that had ended before the follow-up was made differs from
    the previous follow-up's: worth a look, as that year's saving was known by then."""
    names, keys = frame.lines["follow_up"].tolist(), _checks.year_keys(frame)
    for i in range(1, len(names)):
        when = follow_up(names[i]) if isinstance(names[i], str) else None
        if when is None:
            continue
        for key in keys:
            year = int(frame.names[key])
            now, before = frame.lines.at[i, key], frame.lines.at[i - 1, key]
            if year < when[0] and now == now and before == before and abs(now - before) > 1e-9:
                yield frame.finding("bruttobesparelse.past_year_changed", [key], i, severity=WARNING, value=now,
                                    before=before, year=year, previous=names[i - 1], line=names[i])


def figures(frame: Frame) -> Figures:
    # line by line: a follow-up's estimate for each year; an empty cell is no estimate (no figure)
    return frame.figures("follow_up", [(key, "Bruttobesparelse", frame.names[key]) for key in _checks.year_keys(frame)],
                         kroner=True, by_line=True)


def report_year(names: list[str]) -> int | None:
    """Without År: the year of the last follow-up (WORKBOOKS.md §7)."""
    made = [when for name in names if (when := follow_up(name)) is not None]
    return max(made)[0] if made else None


MESSAGES = {
    "bruttobesparelse.follow_up": {
        "da": ("«{value}» er ikke en budgetopfølgning.",
               "Skriv opfølgningen som «3. opfølgning 2016», «1. budgetopfølgning 2016» eller «BO 1 2016»."),
        "en": ("«{value}» is not a budget follow-up.",
               "Write the follow-up as «3. opfølgning 2016», «1. budgetopfølgning 2016» or «BO 1 2016»."),
    },
    "bruttobesparelse.follow_up_order": {
        "da": ("Opfølgningen «{value}» står under «{previous}», men er lavet før den.",
               "Sæt opfølgningerne i tidsrækkefølge med den ældste øverst og den nyeste nederst."),
        "en": ("The follow-up «{value}» stands below «{previous}» but was made before it.",
               "Put the follow-ups in time order, the oldest at the top and the newest at the bottom."),
    },
    "bruttobesparelse.past_year_changed": {
        "da": ("Ved {line} er besparelsen for {year} ændret fra {before} til {value}, selv om {year} var slut.",
               "Kontrollér tallet; et afsluttet års besparelse ændrer sig sjældent fra den ene opfølgning til den "
               "næste."),
        "en": ("At {line} the saving for {year} changed from {before} to {value}, although {year} had ended.",
               "Check the figure; a past year's saving rarely changes from one follow-up to the next."),
    },
    "bruttobesparelse.years_too_few": {
        "da": ("Tabellen har {count} årskolonne(r); der skal være mindst to.",
               "Skriv årene som overskrifter i hver sin kolonne, fx 2014 | 2015 | 2016 | 2017."),
        "en": ("The table has {count} year column(s); at least two are needed.",
               "Write the years as headers, one per column, e.g. 2014 | 2015 | 2016 | 2017."),
    },
    "bruttobesparelse.years_sequence": {
        "da": ("Årskolonnerne skal komme i rækkefølge uden huller; her står {value}, men der skulle stå {expected}.",
               "Ret overskriften, eller indsæt det manglende år."),
        "en": ("The year columns must follow each other without gaps; here is {value} where {expected} belongs.",
               "Correct the header, or insert the missing year."),
    },
}

HELP = {
    "follow_up": {
        "da": ("Opfølgning", "Budgetopfølgningen, fx 3. opfølgning 2016. Én række pr. opfølgning, den ældste "
                             "øverst. Rækkerne lægges ikke sammen."),
        "en": ("Follow-up", "The budget follow-up, e.g. 3. opfølgning 2016. One row per follow-up, the oldest "
                            "at the top. The rows are not added up."),
    },
    "year": {
        "da": ("Bruttobesparelse {column}", "Den forventede bruttobesparelse i {column} ved denne opfølgning, i "
                                            "{amount_unit}. Tomt: intet skøn for året."),
        "en": ("Gross saving {column}", "The gross saving expected in {column} at this follow-up, in "
                                        "{amount_unit}. Empty: no estimate for the year."),
    },
}

OVERVIEW = OverviewSheet(
    sheet_title="Bruttobesparelse",
    title="Bruttobesparelse: seneste skøn pr. år",
    explanation=("Seneste opfølgnings skøn pr. år, og ændringen fra opfølgningen før. Opfølgningerne er nye skøn "
                 "over det samme, så de lægges ikke sammen."),
    empty="Ingen opgørelser af bruttobesparelse er modtaget endnu.",
    line_label="Opfølgning",
    shape="revisions",
)

KIND = Kind(
    name="bruttobesparelse",
    title="Bruttobesparelse",
    columns=COLUMNS,
    line_columns=("follow_up",),
    schema=lambda frame: SCHEMA,
    figures=figures,
    rules=(past_year_changed,),
    header_rules=(_checks.years_in_sequence("bruttobesparelse.years_too_few", "bruttobesparelse.years_sequence"),
                  follow_ups_in_order),
    required_meta=frozenset({"unit", "amount_unit"}),
    years=YearColumns(metric="Bruttobesparelse"),
    year_from_lines=report_year,
    messages=MESSAGES,
    figure_params={"bruttobesparelse.past_year_changed": frozenset({"before"})},
    help=HELP,
    overview=OVERVIEW,
    position=40,
    adds_up=False,  # each line revises the one above
    # a follow-up's estimate changed in a later version of the report (a new follow-up is a new line)
    compared=frozenset({"Bruttobesparelse"}),
    # reported through its follow-ups: fewer is going back (WORKBOOKS.md §5)
    through=Through(of=lambda frame: len(frame.lines) or None,
                    text=lambda n, language: f"til og med {n}. opfølgning" if language == "da" else f"through follow-up {n}"),
)
