"""The consolidated workbook as ours wrote it → a compact dump another writer can write again
(bench/writers.py; nothing here is timed).

    frame.pickle  the looks (one dict of XlsxWriter format properties each) and, per sheet,
                  everything around the cells: column widths, row heights, frozen pane,
                  autofilter, the Excel table, conditional formats, charts, page setup
    cells.pickle  per sheet, chunks of rows (0-based row, ((0-based column, value, look), ...)),
                  then None; read a chunk at a time, so a writer streams them at constant memory

The cells come from openpyxl's read-only mode (values, number formats, font, fill,
alignment and borders of each cell), which reads a 550,000-row sheet without holding it;
everything around them from an ordinary openpyxl load of a copy whose sheets have had
their rows taken out (a full load of the large workbook would hold millions of cells), the
row heights from the rows' XML on the way.
"""

from __future__ import annotations

import pickle
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any
from zipfile import ZIP_DEFLATED, ZipFile

import openpyxl
from openpyxl.cell.read_only import EmptyCell
from openpyxl.chart import BarChart
from openpyxl.utils.cell import coordinate_to_tuple, range_boundaries

CHUNK_ROWS = 2_000
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
BORDERS = {"thin": 1, "medium": 2, "dashed": 3, "dotted": 4, "thick": 5, "double": 6, "hair": 7}
ALIGN = {"left": "left", "center": "center", "right": "right"}
VALIGN = {"top": "top", "center": "vcenter", "bottom": "bottom"}
OPERATORS = {"equal": "==", "notEqual": "!=", "greaterThan": ">", "lessThan": "<",
             "greaterThanOrEqual": ">=", "lessThanOrEqual": "<="}
EMU_PER_PIXEL = 9525  # at 96 dpi: XlsxWriter sizes charts in pixels, the drawing in EMU


def dump(workbook: Path, folder: Path) -> dict[str, int]:
    """`workbook` → folder/frame.pickle and folder/cells.pickle; returns the cells per sheet."""
    stripped, in_order = folder / "without-rows.xlsx", folder / "in-order.xlsx"
    heights, repaired = _copies(workbook, stripped, in_order)
    frame: dict[str, Any] = {"sheets": [], "looks": [], "repaired": repaired}
    for ws in openpyxl.load_workbook(stripped).worksheets:
        frame["sheets"].append({"name": ws.title, "heights": heights.get(ws.title, {}), **_around(ws)})
    stripped.unlink()
    looks: dict[tuple, int] = {}
    by_style: dict[int, int] = {}  # openpyxl's style index → our look: each look worked out once
    counts: dict[str, int] = {}
    wb = openpyxl.load_workbook(in_order, read_only=True)  # its reader skips a row above the one before
    with open(folder / "cells.pickle", "wb") as out:
        for ws, sheet in zip(wb.worksheets, frame["sheets"]):
            ws.reset_dimensions()  # ours' sheets carry no <dimension>: read every row there is
            chunk, count = [], 0
            for r, row in enumerate(ws.iter_rows()):  # gaps come as empty rows, so r is the row
                cells = []
                for cell in row:
                    if isinstance(cell, EmptyCell):
                        continue
                    look = by_style.get(cell._style_id)
                    if look is None:
                        look = by_style[cell._style_id] = looks.setdefault(_look(cell), len(looks))
                    cells.append((cell.column - 1, cell.value, look))
                if cells or r in sheet["heights"]:
                    chunk.append((r, tuple(cells)))
                    count += len(cells)
                if len(chunk) >= CHUNK_ROWS:
                    pickle.dump(chunk, out, pickle.HIGHEST_PROTOCOL)
                    chunk = []
            if chunk:
                pickle.dump(chunk, out, pickle.HIGHEST_PROTOCOL)
            pickle.dump(None, out)
            counts[ws.title] = count
    wb.close()
    in_order.unlink()
    frame["looks"] = [dict(key) for key in sorted(looks, key=looks.__getitem__)]
    with open(folder / "frame.pickle", "wb") as out:
        pickle.dump(frame, out, pickle.HIGHEST_PROTOCOL)
    return counts


def load_frame(folder: Path) -> dict[str, Any]:
    with open(folder / "frame.pickle", "rb") as src:
        return pickle.load(src)


def sheet_chunks(src: IO[bytes]) -> Iterator[list[tuple[int, tuple]]]:
    """The next sheet's rows from an open cells.pickle, a chunk at a time."""
    while (chunk := pickle.load(src)) is not None:
        yield chunk


# --- the cells' looks --------------------------------------------------------------------------

def _look(cell: Any) -> tuple:
    """A read-only cell's number format, font, fill, alignment and borders as XlsxWriter
    format properties (only what differs from the default look), sorted, so it can be a key."""
    props: dict[str, Any] = {}
    if cell.number_format != "General":
        props["num_format"] = cell.number_format
    font, fill, alignment, border = cell.font, cell.fill, cell.alignment, cell.border
    if font.b:
        props["bold"] = True
    if font.i:
        props["italic"] = True
    if font.u:
        props["underline"] = 1
    if font.sz and float(font.sz) != 11:
        props["font_size"] = float(font.sz)
    if colour := _rgb(font.color):
        props["font_color"] = colour
    if fill.fill_type == "solid" and (colour := _rgb(fill.fgColor)):
        props["bg_color"] = colour  # XlsxWriter's bg_color is a solid fill's colour
    if alignment.horizontal:
        props["align"] = ALIGN[alignment.horizontal]
    if alignment.vertical:
        props["valign"] = VALIGN[alignment.vertical]
    if alignment.wrap_text:
        props["text_wrap"] = True
    if alignment.indent:
        props["indent"] = int(alignment.indent)
    for side in ("left", "right", "top", "bottom"):
        edge = getattr(border, side)
        if edge is not None and edge.style:
            props[side] = BORDERS[edge.style]
            if colour := _rgb(edge.color):
                props[f"{side}_color"] = colour
    return tuple(sorted(props.items()))


def _rgb(colour: Any) -> str | None:
    if colour is None or colour.type != "rgb" or not isinstance(colour.rgb, str):
        return None
    return "#" + colour.rgb[-6:]


# --- around the cells -----------------------------------------------------------------------------

def _around(ws: Any) -> dict[str, Any]:
    """Everything but the cells of a sheet loaded (without its rows) by openpyxl."""
    freeze = None
    if ws.freeze_panes:
        row, col = coordinate_to_tuple(ws.freeze_panes)
        freeze = (row - 1, col - 1)
    titles = re.findall(r"\d+", ws.print_title_rows or "")
    return {
        "widths": [(dim.min - 1, dim.max - 1, dim.width) for dim in ws.column_dimensions.values() if dim.width],
        "freeze": freeze,
        "autofilter": _bounds(ws.auto_filter.ref) if ws.auto_filter.ref else None,
        "tables": [{"name": t.name, "range": _bounds(t.ref), "headers": [c.name for c in t.tableColumns],
                    "style": re.sub(r"TableStyle(Light|Medium|Dark)(\d+)", r"Table Style \1 \2",
                                    t.tableStyleInfo.name)}
                   for t in ws.tables.values()],
        "conditional": [_rule(str(cf.sqref), rule) for cf in ws.conditional_formatting for rule in cf.rules],
        "charts": [_chart(chart) for chart in ws._charts],  # openpyxl reads charts back, but has no public getter
        "page": {"landscape": ws.page_setup.orientation == "landscape",
                 "paper": int(ws.page_setup.paperSize or 0),
                 "fit": (int(ws.page_setup.fitToWidth or 0), int(ws.page_setup.fitToHeight or 0))
                 if ws.sheet_properties.pageSetUpPr and ws.sheet_properties.pageSetUpPr.fitToPage else None,
                 "title_rows": (int(titles[0]) - 1, int(titles[-1]) - 1) if titles else None,
                 "breaks": [brk.id for brk in ws.row_breaks.brk]},
    }


def _bounds(ref: str) -> tuple[int, int, int, int]:
    """'A4:I463' → (3, 0, 462, 8): first row, first column, last row, last column, 0-based."""
    min_col, min_row, max_col, max_row = range_boundaries(ref)
    return min_row - 1, min_col - 1, max_row - 1, max_col - 1


def _rule(cells: str, rule: Any) -> tuple[str, dict[str, Any]]:
    """(cells, XlsxWriter conditional_format options, the format as properties under 'format')."""
    style: dict[str, Any] = {}
    if rule.dxf is not None:
        if rule.dxf.fill is not None and (colour := _rgb(rule.dxf.fill.bgColor) or _rgb(rule.dxf.fill.fgColor)):
            style["bg_color"] = colour
        if rule.dxf.font is not None and (colour := _rgb(rule.dxf.font.color)):
            style["font_color"] = colour
    if rule.type == "expression":
        options = {"type": "formula", "criteria": "=" + rule.formula[0]}
    elif rule.type == "cellIs":
        options = {"type": "cell", "criteria": OPERATORS[rule.operator], "value": rule.formula[0]}
    else:  # not one ours writes: fail rather than bench a workbook with less in it
        raise ValueError(f"conditional format {rule.type!r} on {cells} is not copied")
    return cells, {**options, "format": style}


def _chart(chart: Any) -> dict[str, Any]:
    """An openpyxl bar chart as read back → what XlsxWriter's add_chart and its methods take."""
    if not isinstance(chart, BarChart):
        raise ValueError(f"chart {type(chart).__name__} is not copied")
    run = chart.title.tx.rich.p[0].r[0] if chart.title and chart.title.tx and chart.title.tx.rich else None
    anchor = chart.anchor
    series = []
    for s in chart.series:
        name = ("=" + s.tx.strRef.f) if s.tx is not None and s.tx.strRef is not None else (s.tx.v if s.tx else None)
        categories = s.cat.strRef.f if s.cat.strRef is not None else s.cat.numRef.f
        series.append({"name": name, "values": "=" + s.val.numRef.f, "categories": "=" + categories})
    return {
        "type": "column" if chart.type == "col" else "bar",
        "stacked": chart.grouping == "stacked",
        "overlap": chart.overlap,
        "title": run.t if run else "",
        "title_font": {"size": (run.rPr.sz or 1400) / 100, "bold": bool(run.rPr.b)} if run and run.rPr else {},
        "at": (anchor._from.row, anchor._from.col),
        "size": (round(anchor.ext.width / EMU_PER_PIXEL), round(anchor.ext.height / EMU_PER_PIXEL)),
        "legend": {"b": "bottom", "t": "top", "r": "right", "l": "left"}.get(chart.legend.position, "right")
        if chart.legend else None,
        "y_format": chart.y_axis.numFmt.formatCode if chart.y_axis.numFmt else None,
        "y_min": chart.y_axis.scaling.min,
        "x_labels": chart.x_axis.tickLblPos,
        "series": series,
    }


# --- the copies read -------------------------------------------------------------------------

_ROW = re.compile(rb"<row\b([^>]*)>")
_R = re.compile(rb'\br="(\d+)"')
_HT = re.compile(rb'\bht="([^"]+)"')
# Rows without cells at the start of <sheetData>: openpyxl's own, for the heights in
# ws.row_dimensions, where xml_rows.splice then puts the same rows again, in place.
_LEADING_EMPTY = re.compile(rb"\A(?:<row\b[^>]*?(?:/>|></row>))+")


def _copies(source: Path, without_rows: Path, in_order: Path) -> tuple[dict[str, dict[int, float]], list[str]]:
    """Two copies of `source`: one whose sheets have no rows, one whose rows are each once and
    in order; returns each sheet's row heights (0-based row) and the sheets that needed it."""
    heights: dict[str, dict[int, float]] = {}
    repaired: list[str] = []
    with (ZipFile(source) as src, ZipFile(without_rows, "w", ZIP_DEFLATED) as bare,
          ZipFile(in_order, "w", ZIP_DEFLATED) as whole):
        titles = _sheet_titles(src)
        for info in src.infolist():
            if info.filename not in titles:
                body = src.read(info.filename)
                bare.writestr(info.filename, body)  # by name: a ZipInfo written is changed, so not shared
                whole.writestr(info.filename, body)
                continue
            title = titles[info.filename]
            with src.open(info) as sheet, whole.open(info.filename, "w", force_zip64=True) as out:
                body, heights[title], dropped = _split_rows(sheet, out)
            bare.writestr(info.filename, body)
            if dropped:
                repaired.append(f"{title}: {dropped.decode()}")
    return heights, repaired


def _sheet_titles(archive: ZipFile) -> dict[str, str]:
    """Package member of each worksheet → its title (workbook.xml and its relationships)."""
    targets = {rel.get("Id"): rel.get("Target", "")
               for rel in ET.fromstring(archive.read("xl/_rels/workbook.xml.rels"))}
    titles = {}
    for sheet in ET.fromstring(archive.read("xl/workbook.xml")).iter(f"{{{MAIN}}}sheet"):
        target = targets[sheet.get(f"{{{REL}}}id")]
        titles[target.lstrip("/") if target.startswith("/") else "xl/" + target] = sheet.get("name")
    return titles


def _split_rows(src: IO[bytes], out: IO[bytes]) -> tuple[bytes, dict[int, float], bytes]:
    """A sheet's XML read a MB at a time → (the sheet with <sheetData/> for its rows, the rows'
    heights, the leading empty rows dropped); `out` gets the sheet with its rows in order: where
    empty rows at the start are followed by a row above the last of them, they are dropped."""
    head, tail, heights = bytearray(), bytearray(), {}
    buffer, state, dropped = b"", "head", b""
    counter = 0  # the number of the last row seen
    while True:
        chunk = src.read(1 << 20)
        buffer += chunk
        if state == "head":
            start = buffer.find(b"<sheetData")
            close = buffer.find(b">", start) if start >= 0 else -1
            if close < 0 or (len(buffer) - close < 1 << 20 and chunk):
                if not chunk:
                    raise ValueError("a sheet without <sheetData>")
                continue  # the part before the rows is small; the first MB of rows is looked at whole
            head += buffer[:start]
            out.write(buffer[:close + 1])
            state = "tail" if buffer[close - 1:close] == b"/" else "rows"
            buffer = buffer[close + 1:]
            if state == "rows" and (empty := _LEADING_EMPTY.match(buffer)):
                rows = [int(r) for r in _R.findall(empty.group())]
                following = _R.search(buffer, empty.end())
                if rows and following and int(following.group(1)) < rows[-1]:
                    dropped = empty.group()
                    buffer = buffer[empty.end():]
        if state == "rows":
            end = buffer.find(b"</sheetData>")
            upto = end if end >= 0 else max(buffer.rfind(b"<"), 0)  # a tag cut by the chunk waits for the next
            for row in _ROW.finditer(buffer, 0, upto):
                number = _R.search(row.group(1))  # rows may carry no r="…": then each is the next
                counter = int(number.group(1)) if number else counter + 1
                if height := _HT.search(row.group(1)):
                    heights[counter - 1] = float(height.group(1))
            out.write(buffer[:upto])
            if end >= 0:
                state, buffer = "tail", buffer[end:]
            else:
                buffer = buffer[upto:]
        if state == "tail":
            tail += buffer
            out.write(buffer)
            buffer = b""
        if not chunk:
            if state != "tail":
                raise ValueError("a sheet whose rows never end")
            return bytes(head) + b"<sheetData/>" + bytes(tail).removeprefix(b"</sheetData>"), heights, dropped
