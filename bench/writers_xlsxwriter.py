"""A dump of the consolidated workbook (bench/writers_dump.py) written again with XlsxWriter's
public API: what bench/writers.py times against today's writer.

Same sheets in the same order, the same values in the same cells, each cell's number
format, font, fill, alignment and borders (one Format per look, made once and reused),
the column widths, row heights, frozen panes, autofilters, conditional formats, page
setup, print titles, page breaks, the bar charts of the overview sheets (the same
series, title, size and place) and the Excel table 'Data' over the Data sheet.

In constant_memory mode XlsxWriter refuses add_table (worksheet.add_table returns -3 and
warns "add_table() isn't supported in 'constant_memory' mode"): the table's range then
gets an autofilter instead, and the finding is returned, so the run says so.
"""

from __future__ import annotations

import datetime as dt
import warnings
from pathlib import Path
from typing import Any

import xlsxwriter

from writers_dump import load_frame, sheet_chunks

# Staff's text stays text: no '=…' as a formula, no '12' as a number, no 'http…' as a link.
OPTIONS = {"strings_to_formulas": False, "strings_to_numbers": False, "strings_to_urls": False}


def write(dump: Path, target: Path, *, constant_memory: bool) -> dict[str, Any]:
    """Write the dumped workbook at `target`; returns the cells written and what was refused."""
    frame = load_frame(dump)
    wb = xlsxwriter.Workbook(str(target), {**OPTIONS, "constant_memory": constant_memory})
    looks = [wb.add_format(props) if props else None for props in frame["looks"]]
    refused: list[str] = []
    cells = 0
    with open(dump / "cells.pickle", "rb") as src:
        for sheet in frame["sheets"]:
            ws = wb.add_worksheet(sheet["name"])
            _layout(ws, sheet)
            for table in sheet["tables"]:  # first: add_table writes its header cells, ours then overwrite them
                refused += _table(ws, table, constant_memory)
            cells += _cells(ws, sheet_chunks(src), sheet["heights"], looks)
            if sheet["autofilter"]:
                ws.autofilter(*sheet["autofilter"])
            _conditional(wb, ws, sheet["conditional"])
            for chart in sheet["charts"]:
                _chart(wb, ws, chart)
    wb.close()
    return {"cells": cells, "refused": refused}


def _cells(ws: Any, chunks: Any, heights: dict[int, float], looks: list[Any]) -> int:
    """Every row in order (constant_memory writes a row out when the next one begins)."""
    string, number, blank, moment, set_row = (ws.write_string, ws.write_number, ws.write_blank,
                                              ws.write_datetime, ws.set_row)
    count = 0
    for chunk in chunks:
        for r, row in chunk:
            height = heights.get(r)
            if height is not None:
                set_row(r, height)
            for c, value, look in row:
                kind = type(value)
                if kind is str:
                    string(r, c, value, looks[look])
                elif kind is int or kind is float:
                    number(r, c, value, looks[look])
                elif value is None:
                    blank(r, c, None, looks[look])
                elif kind is dt.datetime:
                    moment(r, c, value, looks[look])
                else:
                    raise TypeError(f"cell ({r}, {c}): {kind.__name__} is not copied")
            count += len(row)
    return count


def _layout(ws: Any, sheet: dict[str, Any]) -> None:
    for first, last, width in sheet["widths"]:
        ws.set_column(first, last, width)
    if sheet["freeze"]:
        ws.freeze_panes(*sheet["freeze"])
    page = sheet["page"]
    if page["landscape"]:
        ws.set_landscape()
    if page["paper"]:
        ws.set_paper(page["paper"])
    if page["fit"]:
        ws.fit_to_pages(*page["fit"])
    if page["title_rows"]:
        ws.repeat_rows(*page["title_rows"])
    if page["breaks"]:
        ws.set_h_pagebreaks(page["breaks"])


def _table(ws: Any, table: dict[str, Any], constant_memory: bool) -> list[str]:
    """The Excel table; in constant_memory mode, where XlsxWriter refuses it, an autofilter."""
    first_row, first_col, last_row, last_col = table["range"]
    options = {"name": table["name"], "style": table["style"],
               "columns": [{"header": name} for name in table["headers"]]}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        code = ws.add_table(first_row, first_col, last_row, last_col, options)
    if code is None or code == 0:
        return []
    if not constant_memory:
        raise RuntimeError(f"add_table({table['name']!r}) returned {code}: {[str(w.message) for w in caught]}")
    ws.autofilter(first_row, first_col, last_row, last_col)
    said = "; ".join(str(w.message) for w in caught)
    return [f"add_table({table['name']!r}) returned {code} ({said}): an autofilter over its range instead"]


def _conditional(wb: Any, ws: Any, rules: list[tuple[str, dict[str, Any]]]) -> None:
    made: dict[tuple, Any] = {}  # one dxf format per colour pair
    for cells, options in rules:
        key = tuple(sorted(options["format"].items()))
        if key not in made:
            made[key] = wb.add_format(options["format"])
        first, *more = cells.split()
        extra = {"multi_range": cells} if more else {}
        ws.conditional_format(first, {**options, "format": made[key], **extra})


def _chart(wb: Any, ws: Any, spec: dict[str, Any]) -> None:
    chart = wb.add_chart({"type": spec["type"], **({"subtype": "stacked"} if spec["stacked"] else {})})
    for series in spec["series"]:
        chart.add_series({**series, **({"overlap": spec["overlap"]} if spec["overlap"] else {})})
    chart.set_title({"name": spec["title"], "name_font": spec["title_font"], "overlay": False})
    chart.set_legend({"position": spec["legend"]} if spec["legend"] else {"none": True})
    y: dict[str, Any] = {}
    if spec["y_format"]:
        y["num_format"] = spec["y_format"]
    if spec["y_min"] is not None:
        y["min"] = spec["y_min"]
    chart.set_y_axis(y)
    if spec["x_labels"]:
        chart.set_x_axis({"label_position": spec["x_labels"]})
    chart.set_size({"width": spec["size"][0], "height": spec["size"][1]})
    ws.insert_chart(*spec["at"], chart)
