"""Kind `effekt`: expected economic effect per initiative per year (WORKBOOKS.md §3, seed 002).

Negative figures are savings, as in the seed. The header gives the years.
"""

from __future__ import annotations

import pandera.pandas as pa
from pandera.typing import Series

from schemas import _checks
from syncservice.layout import Column, Frame, Kind, OverviewSheet, YearColumns
from syncservice.models import Figures

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


years_in_sequence = _checks.years_in_sequence("effekt.years_too_few", "effekt.years_sequence")


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


MESSAGES = {
    "effekt.status": {
        "da": ("Status «{value}» kendes ikke.", "Skriv Grøn, Gul eller Rød."),
        "en": ("Status «{value}» is unknown.", "Write Grøn, Gul or Rød (green, yellow, red)."),
    },
    "effekt.years_too_few": {
        "da": ("Tabellen har {count} årskolonne(r); der skal være mindst to.",
               "Skriv årene som overskrifter i hver sin kolonne, fx 2025 | 2026 | 2027."),
        "en": ("The table has {count} year column(s); at least two are needed.",
               "Write the years as headers, one per column, e.g. 2025 | 2026 | 2027."),
    },
    "effekt.years_sequence": {
        "da": ("Årskolonnerne skal komme i rækkefølge uden huller; her står {value}, men der skulle stå {expected}.",
               "Ret overskriften, eller indsæt det manglende år."),
        "en": ("The year columns must follow each other without gaps; here is {value} where {expected} belongs.",
               "Correct the header, or insert the missing year."),
    },
}

HELP = {
    "track": {
        "da": ("Spor", "Sporets nummer, fx 1 eller 4 a. Må stå tomt."),
        "en": ("Track", "The track's number, e.g. 1 or 4 a. May be left empty."),
    },
    "initiative": {
        "da": ("Tiltag", "Tiltagets navn. Samme spor og tiltag må kun stå én gang."),
        "en": ("Initiative", "The initiative's name. The same track and initiative only once."),
    },
    "status": {
        "da": ("Status", "Grøn: effekten er opnået. Gul: forventes opnået i år. Rød: forventes ikke "
                         "opnået i år."),
        "en": ("Status", "Grøn (green): the effect is achieved. Gul (yellow): expected this year. "
                         "Rød (red): not expected this year."),
    },
    "year": {
        "da": ("Effekt {column}", "Tiltagets forventede økonomiske effekt i {column}, i {amount_unit}. "
                                  "Besparelser skrives negative; skriv 0 for ingen effekt."),
        "en": ("Effect {column}", "The initiative's expected economic effect in {column}, in {amount_unit}. "
                                  "Savings are negative; write 0 for no effect."),
    },
}

OVERVIEW = OverviewSheet(
    sheet_title="Effekt",
    title="Forventet økonomisk effekt pr. tiltag",
    explanation="Negative beløb er besparelser. År er indberetningens år; kolonnerne er de år, effekten gælder.",
    empty="Ingen opgørelser af økonomisk effekt er modtaget endnu.",
    line_label="Tiltag",
    shape="years",
)

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
    messages=MESSAGES,
    help=HELP,
    overview=OVERVIEW,
    position=20,
    compared=frozenset({"Effekt"}),  # a year's effect already reported, now different
)
