"""Rows of a write-only sheet written as sheet XML directly, spliced into the saved package.

openpyxl spends about 100 µs on each cell it writes (an XML element built and serialised
through et_xmlfile); a sheet with a row per figure or per line of a 50,000-line report
took a minute. openpyxl still writes everything around the rows (widths, frozen pane,
filter, conditional formats, page setup, breaks, charts, tables) and registers each
cell's style; only the <row> elements are written here, into a temporary file, and put
in place of the sheet's empty <sheetData> when the package is saved.

Every text is an inline string (t="inlineStr"), as openpyxl writes it: never a formula.
"""

from __future__ import annotations

import math
import re
import shutil
import tempfile
import zipfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import IO, Any
from xml.sax.saxutils import escape

from openpyxl.cell import WriteOnlyCell
from openpyxl.compat.strings import safe_string
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

SHEET_DATA_END = b"</sheetData>"
_EMPTY_SHEET_DATA = re.compile(rb"<sheetData\s*/>")
_LETTERS = [get_column_letter(i) for i in range(1, 257)]  # wider than any sheet written here


class SheetRows:
    """The rows of one write-only sheet, buffered as XML as they are written. Nothing may
    be appended to the sheet through openpyxl once rows are written here."""

    def __init__(self, ws: WriteOnlyWorksheet) -> None:
        self.ws = ws
        self.buffer: IO[str] = tempfile.TemporaryFile("w+", encoding="utf-8", prefix="syncservice-rows-")

    def append(self, row: int, cells: Sequence[WriteOnlyCell | None]) -> None:
        """Row `row` (1-based) holding `cells` from column A; None is an empty cell. Its height
        is the one set in ws.row_dimensions, as openpyxl would write it."""
        attrs = "".join(f' {k}="{v}"' for k, v in self.ws.row_dimensions.get(row, {}))
        body = "".join(cell_xml(f"{_LETTERS[i]}{row}", c) for i, c in enumerate(cells) if c is not None)
        if body or attrs:
            self.buffer.write(f'<row r="{row}"{attrs}>{body}</row>')

    def close(self) -> None:
        self.buffer.close()


def cell_xml(ref: str, cell: WriteOnlyCell) -> str:
    """One cell as openpyxl's etree_write_cell writes it, for the types our sheets hold."""
    style = f' s="{cell.style_id}"' if cell.has_style else ""
    value: Any = cell._value
    if value is None or value == "":
        return f'<c r="{ref}"{style}/>' if style else ""
    kind = cell.data_type
    if kind == "s":
        text = escape(value)
        space = ' xml:space="preserve"' if text != text.strip() else ""
        return f'<c r="{ref}"{style} t="inlineStr"><is><t{space}>{text}</t></is></c>'
    if kind == "n" and not isinstance(value, bool):
        if isinstance(value, float) and not math.isfinite(value):
            return f'<c r="{ref}"{style}/>'
        return f'<c r="{ref}"{style} t="n"><v>{safe_string(value)}</v></c>'
    # dates, booleans and formulas are never written through here: say so rather than guess
    raise TypeError(f"cell {ref}: type {kind!r} is not written as raw XML")


def splice(package: Path, parts: Iterable[SheetRows]) -> None:
    """Put each part's rows into its sheet of the saved package `package`, in one pass."""
    by_member = {p.ws.path.lstrip("/"): p for p in parts}
    spliced = package.with_name(package.name + ".rows")
    try:
        with zipfile.ZipFile(package) as src, zipfile.ZipFile(spliced, "w", zipfile.ZIP_DEFLATED,
                                                               allowZip64=True) as dst:
            for info in src.infolist():
                part = by_member.get(info.filename)
                if part is None:
                    dst.writestr(info, src.read(info.filename))
                    continue
                sheet = _EMPTY_SHEET_DATA.sub(b"<sheetData></sheetData>", src.read(info.filename))
                head, tail = sheet.split(SHEET_DATA_END, 1)
                target = zipfile.ZipInfo(info.filename, info.date_time)
                target.compress_type = zipfile.ZIP_DEFLATED
                part.buffer.flush()
                part.buffer.seek(0)
                with dst.open(target, "w", force_zip64=True) as out:
                    out.write(head)
                    while chunk := part.buffer.read(1 << 20):
                        out.write(chunk.encode("utf-8"))
                    out.write(SHEET_DATA_END + tail)
        shutil.move(spliced, package)
    finally:
        spliced.unlink(missing_ok=True)
        for part in by_member.values():
            part.close()
