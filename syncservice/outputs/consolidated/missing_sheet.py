"""Sheet 'Mangler' of the consolidated workbook: who has not reported, is rejected or behind.

    [Standing] (missing.standings, every status but 'ok') → one row each, by deadline

Laid out as the other list sheets: title, what it lists and as of when, the header in row 4
(Enhed | Skema | År | Periode | Frist | Status | Seneste fil), frozen, with a filter; the
status in the overview sheets' traffic-light colours.
"""

from __future__ import annotations

import datetime as dt

from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.workbook import Workbook

from syncservice.outputs.consolidated.blocks import landscape, width
from syncservice.outputs.consolidated.cells import (
    GREEN,
    HEADER,
    RED,
    SUBTITLE,
    TITLE,
    WRAP,
    YEAR_FORMAT,
    YELLOW,
    Look,
    centred,
    number,
    text,
)
from syncservice.outputs.missing import AFVIST, FOR_SENT, FORAELDET, MANGLER, OK, Standing

SHEET = "Mangler"
COLUMNS = ("Enhed", "Skema", "År", "Periode", "Frist", "Status", "Seneste fil")
HEADER_ROW = 4
DATE_FORMAT = "dd.mm.yyyy"  # the dots are literal: the same in every locale


def _light(colours: tuple[str, str]) -> Look:
    fill, font = colours
    return Look(font=Font(color=font), fill=PatternFill("solid", fgColor=fill),
                alignment=Alignment(horizontal="center", vertical="top"))


# red: nothing usable has arrived; yellow: something has, but not in time or not far enough
LIGHTS = {MANGLER: _light(RED), AFVIST: _light(RED), FORAELDET: _light(YELLOW), FOR_SENT: _light(YELLOW),
          OK: _light(GREEN)}
_NONE = {"da": "Alle enheder har indberettet til tiden.", "en": "Every unit has reported on time."}
_EXPLAIN = {
    "da": "mangler: intet godkendt · afvist: den nyeste fil blev afvist · forældet: godkendt, men kun til og med "
          "en tidligere periode · for sent: godkendt efter fristen.",
    "en": "mangler: nothing accepted · afvist: the newest file was rejected · forældet: accepted, but only "
          "through an earlier period · for sent: accepted after the deadline.",
}


def missing_sheet(wb: Workbook, rows: list[Standing], *, on: dt.date, language: str = "da") -> None:
    """Sheet 'Mangler': `rows` (already without 'ok', sorted by deadline) as of the day `on`."""
    widths = (width(max((len(r.unit) for r in rows), default=0), 14, 40), 15, 7, 9, 11, 10,
              width(max((len(r.latest_file or "") for r in rows), default=0), 20, 50))
    ws = wb.create_sheet(SHEET)
    for letter, w in zip("ABCDEFG", widths):
        ws.column_dimensions[letter].width = w
    ws.freeze_panes = f"A{HEADER_ROW + 1}"
    ws.row_dimensions[HEADER_ROW].height = 20
    landscape(ws, title_rows=f"{HEADER_ROW}:{HEADER_ROW}")
    ws.append([text(ws, "Manglende indberetninger", TITLE)])
    ws.append([text(ws, f"Pr. {on.strftime('%d.%m.%Y')}: de enheder og skemaer, hvis indberetning for den "
                        "seneste frist ikke er i orden." if language == "da" else
                    f"As of {on.strftime('%d.%m.%Y')}: the units and kinds whose report for the latest "
                    "deadline is not in order.", SUBTITLE)])
    ws.append([text(ws, _EXPLAIN.get(language, _EXPLAIN["da"]), SUBTITLE)])
    ws.append([text(ws, name, centred(HEADER) if name in ("År", "Frist", "Status") else HEADER)
               for name in COLUMNS])
    if not rows:
        ws.append([text(ws, _NONE.get(language, _NONE["da"]))])
        return
    for r in rows:
        ws.append([text(ws, r.unit, WRAP), text(ws, r.kind, WRAP), number(ws, r.year, YEAR_FORMAT, centred(WRAP)),
                   text(ws, r.period, WRAP) if r.period else None, number(ws, r.due, DATE_FORMAT, centred(WRAP)),  # type: ignore[arg-type]
                   text(ws, r.status, LIGHTS[r.status]),
                   text(ws, r.latest_file, WRAP) if r.latest_file else None])
    ws.auto_filter.ref = f"A{HEADER_ROW}:G{HEADER_ROW + len(rows)}"
