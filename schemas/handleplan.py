"""Kind `handleplan`: savings target, realised and expected per area (WORKBOOKS.md §2, seed 000)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pandera.pandas as pa
from pandera.typing import Series

from syncservice.layout import Column, Frame, Kind, by_as_of
from syncservice.models import WARNING, Figures, Finding

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


KIND = Kind(
    name="handleplan",
    title="Handleplan",
    columns=COLUMNS,
    line_columns=("area",),
    schema=lambda frame: SCHEMA,
    figures=figures,
    rules=(negative, realised_exceeds_expected, as_of_in_year),
    required_meta=frozenset({"unit", "year", "as_of", "amount_unit"}),
    reports_through=by_as_of,
)
