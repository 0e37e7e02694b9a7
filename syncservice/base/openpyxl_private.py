"""The pieces of openpyxl's private API the service relies on; the only module that touches them (issue 21).

openpyxl is pinned `<3.2` (pyproject.toml) because of what is listed here: a name
starting with `_`, or an internal of `load_workbook`, is no promise of openpyxl's and may
change in any release. Other modules use openpyxl's public API and take these pieces from
here; tests/test_openpyxl_private.py fails, naming the piece, on the day one changes, and
checks that no other module imports an openpyxl module whose name starts with `_`. After an
upgrade: that test first, then the entry below for what to do.

Reading (intake/read.py, intake/sheet_xml.py)
---------------------------------------------
- `openpyxl.worksheet._read_only.ReadOnlyWorksheet._get_size`, replaced by a no-op
  while a workbook loads (`no_dimension_scan`). Used for: openpyxl's read-only load
  looks for each sheet's <dimension>, and where a sheet has none (many generators
  write none) parses the whole sheet just to learn its size, doubling the cost of
  reading it; we stream the rows and never use the size a sheet claims (which may lie:
  'A1:XFD1048576'). No public API: load_workbook has no option to skip it. If it
  changes: find where ReadOnlyWorksheet (or what replaces it) reads the dimension on
  load and patch that; if the scan is gone, drop `no_dimension_scan`.
- `openpyxl.reader.excel.read_string_table`, the module global `ExcelReader.read_strings`
  calls, replaced while a workbook loads (`shared_strings_read_by`). Not private by its
  name, but an internal of load_workbook all the same. Used for: sheet_xml's
  read_string_table reads the shared strings through the C parser and takes a plain
  string as it stands: a third of opening a workbook of 50,000 names. No public API:
  load_workbook takes no string reader. If it changes: find what ExcelReader.read_strings
  calls now and patch that; if nothing can be patched, drop the hook (the strings are the
  same, only slower to read).
- `ReadOnlyWorksheet._get_source()`, a read-only sheet's XML as a binary stream
  (`sheet_xml`). Used for: sheet_xml.SheetParser reads the rows itself, safely through
  the C parser, noting which cells hold a formula (with data_only openpyxl forgets it)
  and which rows and columns are hidden, and dropping each row once read (openpyxl's
  loop keeps them: about 50 MB for 50,000 rows). No public API: the public way to the
  rows, `iter_rows`, goes through openpyxl's own parser, which does none of that. If it
  changes: the stream is `wb._archive.open(ws._worksheet_path)` in 3.1; open the sheet's
  part from the package however openpyxl now keeps it.
- `ReadOnlyWorksheet._shared_strings`, the workbook's shared strings as openpyxl read
  them (`shared_strings`). Used for: the value of a cell of type 's' is its index into
  them. No public API: `Workbook.shared_strings` stays empty in a read-only load. (Not
  kept from what our reader above returns: were that hook to stop being called, the
  strings would go missing instead of only being slower to read.) If it changes: take
  them from where ExcelReader keeps them (`ExcelReader.shared_strings` in 3.1), or read
  xl/sharedStrings.xml with sheet_xml.read_string_table.

Not private, but kept in step: sheet_xml.SheetParser reads a cell's value by the rules of
openpyxl 3.1's WorkSheetParser.parse_cell, with the public converters it uses; where a new
openpyxl reads a cell otherwise, tests/test_read.py's
test_every_kind_of_cell_in_the_xml_reads_as_openpyxl_reads_it says so.

Writing (outputs/)
------------------
- `openpyxl.worksheet._write_only.WriteOnlyWorksheet`, the class of a sheet of
  `Workbook(write_only=True)`. Used for: type hints of the functions that write the
  consolidated workbook's sheets. No public name: openpyxl exports only `Workbook`. If it
  changes: name the class `Workbook(write_only=True).create_sheet()` returns.
- `cell._style`, a cell's resolved style (a StyleArray of font, fill, border, alignment
  and number format ids), read and given (`style_array`, `give_style`). Used for:
  outputs/consolidated/cells.py resolves each look once per workbook and gives the array
  to every cell of that look; setting font, fill, border and alignment on each cell costs
  more than writing it. openpyxl's own docs copy styles this way; there is no public
  setter. If it changes: set the look's font, fill, border, alignment and number format
  on each cell (slower, the same file).
- `ws._writer` and `ws._rows` of a write-only sheet not yet saved (`discard_unsaved`).
  Used for: a rewrite that fails removes the temporary files openpyxl writes each sheet's
  rows to; openpyxl itself removes them only at exit, so a service failing at every
  rewrite would fill its temp folder. No public API: a write-only workbook has no close.
  If it changes: find where a write-only sheet keeps its temporary file now; meanwhile
  nothing worse than files left in the temp folder until the process ends.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator, Sequence
from copy import copy
from typing import IO, Any

import openpyxl.reader.excel
from openpyxl.workbook import Workbook
from openpyxl.worksheet._read_only import ReadOnlyWorksheet
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

__all__ = ["ReadOnlyWorksheet", "WriteOnlyWorksheet", "discard_unsaved", "give_style", "no_dimension_scan",
           "shared_strings", "shared_strings_read_by", "sheet_xml", "style_array"]


@contextlib.contextmanager
def no_dimension_scan() -> Iterator[None]:
    """While open, a read-only load does not parse a sheet to learn its size."""
    original = ReadOnlyWorksheet._get_size
    ReadOnlyWorksheet._get_size = lambda self: None  # type: ignore[method-assign]
    try:
        yield
    finally:
        ReadOnlyWorksheet._get_size = original  # type: ignore[method-assign]


@contextlib.contextmanager
def shared_strings_read_by(reader: Callable[[IO[bytes]], list[str]]) -> Iterator[None]:
    """While open, load_workbook reads the shared strings part with `reader` (stream → strings)."""
    original = openpyxl.reader.excel.read_string_table
    openpyxl.reader.excel.read_string_table = reader
    try:
        yield
    finally:
        openpyxl.reader.excel.read_string_table = original


def sheet_xml(ws: Any) -> IO[bytes]:
    """A read-only worksheet → its XML part, opened as a binary stream; the caller closes it."""
    return ws._get_source()


def shared_strings(ws: Any) -> Sequence[str]:
    """A read-only worksheet → its workbook's shared strings, in order."""
    return ws._shared_strings


def style_array(cell: Any) -> Any:
    """A cell → a copy of its resolved style, to give to other cells of the same look."""
    return copy(cell._style)


def give_style(cell: Any, array: Any) -> None:
    """Give `cell` a style array from style_array (a copy: cells never share one)."""
    cell._style = copy(array)


def discard_unsaved(wb: Workbook) -> None:
    """Remove the temp files of a write-only workbook's sheets not yet saved."""
    for ws in wb.worksheets:
        writer = getattr(ws, "_writer", None)
        if writer is None:
            continue
        for stream in (getattr(ws, "_rows", None), writer.xf):  # close the file before removing it (Windows)
            try:
                if stream is not None:
                    stream.close()
            except Exception:  # a half-written sheet may complain while closing; it is discarded anyway
                pass
        try:
            if os.path.exists(writer.out):
                writer.cleanup()
        except (OSError, ValueError):
            pass
