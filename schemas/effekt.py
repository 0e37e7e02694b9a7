"""Kind `effekt`: expected economic effect per initiative per year (WORKBOOKS.md §3, seed 002).

Negative figures are savings, as in the seed. The header gives the years.
"""

from __future__ import annotations

from collections.abc import Iterator

import pandera.pandas as pa
from pandera.typing import Series

from syncservice.layout import Column, Frame, Kind, YearColumns, by_as_of
from syncservice.models import ERROR, Figures, Finding

STATUS = {"grøn": "Grøn", "gul": "Gul", "rød": "Rød", "green": "Grøn", "yellow": "Gul", "red": "Rød"}

COLUMNS = (
    Column("track", "Spor", ("Spor",), "text", required=False),
    Column("initiative", "Tiltag", ("Tiltag", "Initiativ", "Indsats"), "text"),
    Column("status", "Status", ("Status",), "status", required=False),
)


class Model(pa.DataFrameModel):
    initiative: Series[str] = pa.Field(nullable=False)
    year: Series[float] = pa.Field(alias=r"^y\d{4}", regex=True, nullable=False)
    line_key: Series[str] = pa.Field(unique=True)

    class Config:
        strict = False


STATUS_CHECK = pa.Check(lambda s: s.isna() | s.str.casefold().isin(list(STATUS)), name="effekt.status",
                        error="effekt.status")
SCHEMA = Model.to_schema()
SCHEMA_WITH_STATUS = SCHEMA.add_columns({"status": pa.Column(str, STATUS_CHECK, nullable=True)})


def years_in_sequence(frame: Frame) -> Iterator[Finding]:
    """At least two year columns, consecutive and increasing; reported at the first
    header cell that breaks the sequence."""
    keys = [k for k in frame.letters if k.startswith("y")]
    if len(keys) < 2:
        yield Finding("effekt.years_too_few", ERROR, frame.sheet, tuple(frame.header_cells[k] for k in keys),
                      "År", ", ".join(frame.names[k] for k in keys), {"count": len(keys)})
        return
    keys.sort(key=lambda k: frame.letters[k].rjust(3))
    for before, key in zip(keys, keys[1:]):
        if int(frame.names[key]) != int(frame.names[before]) + 1:
            # where a label between them could not be read as a year ('2O22'), it is that cell
            # which breaks the sequence, not the year after it
            cell, value = frame.header_cells[key], frame.names[key]
            stray = frame.unclaimed_between(frame.header_cells[before], cell)
            if stray is not None:
                cell, value = stray.ref, stray.label
            yield Finding("effekt.years_sequence", ERROR, frame.sheet, (cell,), "År", value,
                          {"expected": int(frame.names[before]) + 1})
            return


def figures(frame: Frame) -> Figures:
    keys = sorted((k for k in frame.letters if k.startswith("y")), key=lambda k: frame.letters[k].rjust(3))
    return frame.figures("initiative", [(key, "Effekt", frame.names[key]) for key in keys], kroner=True,
                         track="track")


def status(frame: Frame) -> dict[str, list[list[str]]]:
    """Each line's traffic light (Grøn, Gul, Rød) where the sheet has a Status column."""
    if "status" not in frame.lines:
        return {}
    tracks = frame.lines["track"].tolist() if "track" in frame.lines else [None] * len(frame.lines)
    out = []
    for track, name, value in zip(tracks, frame.lines["initiative"].tolist(), frame.lines["status"].tolist()):
        if isinstance(value, str) and value.strip():
            out.append([track if isinstance(track, str) else "", name, STATUS[value.strip().casefold()]])
    return {"status": out}


KIND = Kind(
    name="effekt",
    title="Effekt",
    columns=COLUMNS,
    line_columns=("track", "initiative"),
    schema=lambda frame: SCHEMA_WITH_STATUS if "status" in frame.lines else SCHEMA,
    figures=figures,
    header_rules=(years_in_sequence,),
    required_meta=frozenset({"unit", "amount_unit"}),
    years=YearColumns(metric="Effekt"),
    year_from_header=True,
    annotations=status,
    reports_through=by_as_of,
)
