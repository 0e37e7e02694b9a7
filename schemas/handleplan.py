"""Kind `handleplan`: savings target, realised and expected per area (WORKBOOKS.md §2, seed 000)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence

import pandera.pandas as pa
from pandera.typing import Series

from syncservice.changes import by_key, compared, kroner_value
from syncservice.layout import Column, Frame, Kind, OverviewSheet
from syncservice.models import WARNING, Figure, Figures, Finding, Report, StoredVersion

COLUMNS = (
    Column("area", "Område", ("Område", "Tiltag", "Indsats"), "text"),
    Column("target", "Mål", ("Mål", "Målsætning"), metric="Mål"),
    Column("realised", "Realiseret", ("Realiseret", "Opnået"), metric="Realiseret"),
    Column("expected", "Forventet", ("Forventet", "Prognose", "Skøn"), metric="Forventet"),
)


class Model(pa.DataFrameModel):
    area: Series[str] = pa.Field(nullable=False)
    target: Series[float] = pa.Field(nullable=False, ge=0)
    realised: Series[float] = pa.Field(nullable=False)
    expected: Series[float] = pa.Field(nullable=False)
    line_key: Series[str] = pa.Field(unique=True)

    class Config:
        strict = False


SCHEMA = Model.to_schema()


def negative(frame: Frame) -> Iterator[Finding]:
    """Realised or expected below zero is allowed, but worth a second look."""
    for key in ("realised", "expected"):
        for i in frame.lines.index[frame.lines[key] < 0]:
            yield frame.finding("handleplan.negative", [key], i, severity=WARNING, value=frame.lines.at[i, key])


def realised_exceeds_expected(frame: Frame) -> Iterator[Finding]:
    lines = frame.lines
    for i in lines.index[lines["realised"] > lines["expected"] + 1e-9]:
        yield frame.finding("handleplan.realised_exceeds_expected", ["realised", "expected"], i,
                            severity=WARNING, value=lines.at[i, "realised"], expected=lines.at[i, "expected"])


def as_of_in_year(frame: Frame) -> Iterator[Finding]:
    """The as-of date falls in the year or in the first quarter of the next."""
    as_of, year = frame.meta.get("as_of"), frame.meta.get("year")
    if as_of is None or year is None:
        return
    if not dt.date(year, 1, 1) <= as_of <= dt.date(year + 1, 3, 31):
        yield Finding("handleplan.as_of_outside_year", WARNING, frame.sheet, (frame.meta_cells["as_of"],),
                      "Opgjort pr.", as_of.strftime("%d.%m.%Y"), {"year": year})


def figures(frame: Frame) -> Figures:
    return frame.figures("area", [(spec.key, spec.metric, "") for spec in COLUMNS[1:]], kroner=True)


def realised_decreased(report: Report, previous: StoredVersion, old: Sequence[Figure]) -> list[Finding]:
    """Across versions: realised savings went down since the previous accepted version."""
    pairs = compared(report.figures, old, {"Realiseret"}, lambda new, was: new < was - 0.005)
    if pairs is None:
        before = by_key(f for f in old if f.metric == "Realiseret")
        found = ((new, before.get(key)) for key, new in by_key(f for f in report.figures
                                                               if f.metric == "Realiseret").items())
        pairs = [(new, was.value) for new, was in found if was is not None and new.value < was.value - 0.005]
    return [Finding("change.realised_decreased", WARNING, report.sheet, (new.cell,), "Realiseret",
                    kroner_value(new.value), {"line": new.line, "old": round(float(was), 2), "new": round(new.value, 2)},
                    numeric=True)
            for new, was in pairs]


MESSAGES = {
    "handleplan.negative": {
        "da": ("{column} er negativ ({value}).", "Kontrollér tallet; en negativ besparelse er en merudgift."),
        "en": ("{column} is negative ({value}).", "Check the figure; a negative saving is an extra cost."),
    },
    "handleplan.realised_exceeds_expected": {
        "da": ("Realiseret ({value}) overstiger forventet for året ({expected}).",
               "Realiseret overstiger forventet – opdater Forventet."),
        "en": ("Realised ({value}) exceeds expected for the year ({expected}).",
               "Realised exceeds expected – update Forventet."),
    },
    "handleplan.as_of_outside_year": {
        "da": ("Opgørelsesdatoen {value} ligger uden for {year} og første kvartal af året efter.",
               "Kontrollér «Opgjort pr.» og «År»."),
        "en": ("The as-of date {value} is outside {year} and the first quarter of the next year.",
               "Check «Opgjort pr.» and «År»."),
    },
    "change.realised_decreased": {
        "da": ("Realiseret for {line} er faldet fra {old} til {new} siden den forrige godkendte version.",
               "Kontrollér tallet; realiserede besparelser falder sjældent."),
        "en": ("Realised for {line} went down from {old} to {new} since the previous accepted version.",
               "Check the figure; realised savings rarely go down."),
    },
}

HELP = {
    "area": {
        "da": ("Område", "Indsatsområdets navn, fx Støtte eget hjem. Hvert område én gang."),
        "en": ("Area", "The area's name, e.g. Støtte eget hjem. Each area once."),
    },
    "target": {
        "da": ("Mål", "Årets besparelsesmål for området i {amount_unit}; 0 eller derover."),
        "en": ("Target", "The year's savings target for the area in {amount_unit}; 0 or more."),
    },
    "realised": {
        "da": ("Realiseret", "Besparelsen opnået til og med datoen i Opgjort pr., i {amount_unit}. "
                             "Et negativt tal (en merudgift) giver en advarsel."),
        "en": ("Realised", "The saving achieved up to the date in Opgjort pr., in {amount_unit}. "
                           "A negative figure (an extra cost) gives a warning."),
    },
    "expected": {
        "da": ("Forventet", "Den forventede besparelse for hele {year} i {amount_unit}. Er Realiseret "
                            "større, får du en advarsel: opdater Forventet."),
        "en": ("Expected", "The saving expected for all of {year} in {amount_unit}. If Realiseret is "
                           "larger you get a warning: update Forventet."),
    },
}

OVERVIEW = OverviewSheet(
    sheet_title="Handleplan",
    title="Handleplan: mål, realiseret og forventet besparelse",
    explanation=("Afvigelse til mål = Mål − Forventet. Opnået % = Forventet / Mål. "
                 "Status: Grøn ved mindst 100 %, Gul ved mindst 75 %, ellers Rød."),
    empty="Ingen handleplaner er modtaget endnu.",
    line_label="Område",
    shape="target",
)

KIND = Kind(
    name="handleplan",
    title="Handleplan",
    columns=COLUMNS,
    line_columns=("area",),
    schema=lambda frame: SCHEMA,
    figures=figures,
    rules=(negative, realised_exceeds_expected, as_of_in_year),
    required_meta=frozenset({"unit", "year", "as_of", "amount_unit"}),
    messages=MESSAGES,
    figure_params={"handleplan.realised_exceeds_expected": frozenset({"expected"}),
                   "change.realised_decreased": frozenset({"old", "new"})},
    help=HELP,
    overview=OVERVIEW,
    position=10,
    # its figures are updated through the year, so changes to them are not compared;
    # realised going down is its own rule
    version_rules=(realised_decreased,),
)
