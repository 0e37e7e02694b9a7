"""A sheet's XML, parsed safely and fast: the rows of a worksheet and the shared strings.

openpyxl's streaming parser reads them through defusedxml, whose parser is ElementTree's
pure-Python one; here the C parser reads every part that cannot hold a DOCTYPE (and so
no entity: every XML attack needs one), defusedxml the rest, and every cell is read as
openpyxl's parser reads it, the common ones (numbers, shared strings) by a shorter path.
Only openpyxl's public API is used here (its converters and namespace); read.py opens
the workbook and the sheet's part, and turns the rows into Cells.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from typing import Any
from xml.etree.ElementTree import XMLPullParser  # the C parser: defusedxml's is pure Python

from openpyxl.cell.text import Text
from openpyxl.styles.numbers import is_date_format, is_timedelta_format
from openpyxl.utils.cell import column_index_from_string, coordinate_to_tuple
from openpyxl.utils.datetime import WINDOWS_EPOCH, from_excel, from_ISO8601
from openpyxl.xml.constants import SHEET_MAIN_NS
from openpyxl.xml.functions import iterparse  # defusedxml's, as openpyxl uses it

SHEET_DATA_TAG = f"{{{SHEET_MAIN_NS}}}sheetData"
COL_TAG = f"{{{SHEET_MAIN_NS}}}col"
ROW_TAG = f"{{{SHEET_MAIN_NS}}}row"
VALUE_TAG = f"{{{SHEET_MAIN_NS}}}v"
FORMULA_TAG = f"{{{SHEET_MAIN_NS}}}f"
INLINE_STRING_TAG = f"{{{SHEET_MAIN_NS}}}is"
TRUE = ("1", "true")  # an xsd:boolean
STRING_ITEM_TAG = f"{{{SHEET_MAIN_NS}}}si"
PLAIN_TEXT_TAG = f"{{{SHEET_MAIN_NS}}}t"
DIGITS = "0123456789"
NOT_A_DATE, DATE, DURATION = 0, 1, 2  # what a style's number format makes of a number


class SheetParser:
    """A worksheet's XML stream → its rows, telling which cells hold formulas.

    Reads as openpyxl's read-only WorkSheetParser does with data_only (a formula's cached
    value), but keeps that a cell holds a formula: openpyxl forgets it, and a formula never
    calculated then looks like an empty cell, which the contract says is an error of its
    own. `number_format` gives a style id's number format, which says whether a number is
    a date (or a duration), as openpyxl's stylesheet does.
    """

    def __init__(self, source: Any, shared_strings: Sequence[str], *, number_format: Callable[[int], str],
                 epoch: Any = WINDOWS_EPOCH) -> None:
        self.source = source
        self.shared_strings = shared_strings
        self.number_format = number_format
        self.epoch = epoch
        self.row_counter = self.col_counter = 0  # for a row or a cell that does not say where it is
        self.hidden_rows: list[int] = []
        self.hidden_columns: list[tuple[int, int]] = []  # (first, last): one <col min max> may span 16,384
        self._dates: dict[int, int] = {}  # style id → NOT_A_DATE, DATE or DURATION

    def parse(self):  # type: ignore[no-untyped-def]
        """(row number, [(row, column, value, formula, style_id) per cell]) per row,
        each dropped from the tree once read; the hidden rows and columns noted on the
        way (`hidden_rows`, `hidden_columns`).

        openpyxl's own loop clears a row but leaves the empty element attached to
        <sheetData>, so its memory grows with the sheet (about 50 MB for 50,000 rows);
        we need neither the rest of the sheet's XML nor the rows already read.
        """
        sheet_data = None
        before_rows = True  # <cols> precedes <sheetData>: looked for only until the first row
        for event, element in safe_iterparse(self.source):
            if event == "start":
                if element.tag == SHEET_DATA_TAG:
                    sheet_data = element
                continue
            if before_rows and element.tag == COL_TAG:
                self._column_range(element)
                continue
            if element.tag == ROW_TAG:
                before_rows = False
                row = self.parse_row(element)
                element.clear()
                if sheet_data is not None:
                    sheet_data.remove(element)  # the first child: cheap
                yield row
            elif element.tag == SHEET_DATA_TAG:
                return  # nothing after the rows is needed

    def parse_row(self, row):  # type: ignore[no-untyped-def]
        """(row number, [(row, column, value, formula, style_id) per cell])."""
        number = row.get("r")
        if number is None:
            self.row_counter += 1
        else:
            try:
                self.row_counter = int(number)
            except ValueError:  # as openpyxl: '3.0' is row 3, '3.5' is an error
                if not float(number).is_integer():
                    raise ValueError(f"{number} is not a valid row number") from None
                self.row_counter = int(float(number))
        self.col_counter = 0
        if row.get("hidden") in TRUE:
            self.hidden_rows.append(self.row_counter)
        return self.row_counter, [self._cell(c) for c in row]

    def _column_range(self, col):  # type: ignore[no-untyped-def]
        if col.get("hidden") in TRUE:
            try:
                first, last = int(col.get("min")), int(col.get("max") or col.get("min"))
            except (TypeError, ValueError):  # a broken <col> hides nothing we can name
                return
            self.hidden_columns.append((first, last))

    def _cell(self, element):  # type: ignore[no-untyped-def]
        """One <c>: the common cells (a number not formatted as a date, a shared string)
        read here, everything else by _other_cell, with the same result; a large sheet is
        almost all common cells, and this takes half the time."""
        coordinate = element.get("r")
        kind = element.get("t", "n")
        style = element.get("s")
        style_id = int(style) if style else 0
        formula = element.find(FORMULA_TAG) is not None
        date = self._dates.get(style_id)
        if date is None:
            date = self._date_kind(style_id)
        if coordinate is None or (kind != "n" and kind != "s") or date:
            row, column, value = self._other_cell(element, coordinate, kind, date)
            return row, column, value, formula, style_id
        letters = coordinate.rstrip(DIGITS)  # 'AB12' → 'AB', row 12 (as openpyxl's coordinate_to_tuple)
        column = _COLUMNS.get(letters) or _column(letters)
        row = int(coordinate[len(letters):])
        self.col_counter = column
        value = element.findtext(VALUE_TAG) or None
        if value is not None:
            value = _number(value) if kind == "n" else self.shared_strings[int(value)]
        return row, column, value, formula, style_id

    def _other_cell(self, element, coordinate, kind, date):  # type: ignore[no-untyped-def]
        """(row, column, value) of any <c>, by the rules of openpyxl 3.1's
        WorkSheetParser.parse_cell with data_only, through the public converters it uses."""
        if coordinate:
            row, column = coordinate_to_tuple(coordinate)
            self.col_counter = column
        else:  # no r: the next column of the row
            self.col_counter += 1
            row, column = self.row_counter, self.col_counter
        if kind == "inlineStr":
            text = element.find(INLINE_STRING_TAG)
            return row, column, (Text.from_tree(text).content if text is not None else None)
        value = element.findtext(VALUE_TAG) or None
        if value is None:
            return row, column, None
        if kind == "n":
            value = _number(value)
            if date:
                try:
                    value = from_excel(value, self.epoch, timedelta=date == DURATION)
                except (OverflowError, ValueError):  # a serial beyond the calendar: openpyxl's error value
                    value = "#VALUE!"
        elif kind == "s":
            value = self.shared_strings[int(value)]
        elif kind == "b":
            value = bool(int(value))
        elif kind == "d":
            value = from_ISO8601(value)
        return row, column, value  # 'str' (a formula's text), 'e' (an error) and the rest: the text as it stands

    def _date_kind(self, style_id: int) -> int:
        fmt = self.number_format(style_id)
        date = NOT_A_DATE
        if is_date_format(fmt):
            date = DURATION if is_timedelta_format(fmt) else DATE
        self._dates[style_id] = date
        return date


def _number(text: str) -> int | float:
    """A number cell's text → int, or float where it has a point or an exponent (as openpyxl reads it)."""
    if "." in text or "E" in text or "e" in text:
        return float(text)
    return int(text)


_COLUMNS: dict[str, int] = {}


def _column(letters: str) -> int:
    _COLUMNS[letters] = column_index_from_string(letters)  # ValueError for anything but A..XFD
    return _COLUMNS[letters]


def read_string_table(source: Any) -> list[str]:
    """openpyxl's read_string_table (the shared strings, as plain text), through safe_iterparse,
    and a plain string (<si><t>text</t></si>, nearly all of them) taken as it stands rather
    than through openpyxl's Text object: a third of opening a workbook of 50,000 names."""
    strings = []
    for event, node in safe_iterparse(source):
        if event == "end" and node.tag == STRING_ITEM_TAG:
            if len(node) == 1 and node[0].tag == PLAIN_TEXT_TAG and not len(node[0]):
                text = node[0].text or ""
            else:  # rich text runs, phonetic guides
                text = Text.from_tree(node).content
            strings.append(text.replace("x005F_", ""))  # as openpyxl does
            node.clear()
    return strings


PROLOG_BYTES = 1 << 16  # where the root element of a sheet's XML must start for the fast parser
XML_CHUNK = 1 << 16
XML_ENCODING = re.compile(rb"""encoding\s*=\s*["']([^"']*)""")


def safe_iterparse(source: Any) -> Iterator[tuple[str, Any]]:
    """(event, element) pairs of a sheet's XML, safely, at the speed of the C parser.

    defusedxml refuses a DOCTYPE (and with it entity expansion and external entities),
    but only through the pure-Python ElementTree parser (a fifth more time to read the
    rows of a 50,000-row sheet). Every one of those attacks needs a DOCTYPE, and XML allows one only in
    the prolog, before the root element. So where the first bytes show, in UTF-8, the
    root element starting with no DOCTYPE before it, nothing in the document can declare
    an entity, and the C parser reads it (expat rejects any entity but the five built-in
    ones and character references as undefined). Anything else (a DOCTYPE, another
    encoding, a prolog longer than PROLOG_BYTES) goes through defusedxml as before.
    The fast path yields only "end" events: its cleared row elements are too small to
    matter, where the slow path's are dropped from <sheetData> on its "start" event.
    """
    head = source.read(PROLOG_BYTES)
    if not root_without_doctype(head):
        yield from iterparse(_Replay(head, source), events=("start", "end"))
        return
    parser = XMLPullParser(events=("end",))
    data = head
    while data:
        parser.feed(data)
        yield from parser.read_events()
        data = source.read(XML_CHUNK)
    parser.close()
    yield from parser.read_events()


def root_without_doctype(head: bytes) -> bool:
    """Whether `head`, UTF-8, reaches its root element's start tag with no DOCTYPE before it."""
    at = 3 if head.startswith(b"\xef\xbb\xbf") else 0
    if head.startswith(b"<?xml", at):
        end = head.find(b"?>", at)
        declared = XML_ENCODING.search(head, at, max(end, at))
        if end < 0 or (declared and declared.group(1).lower() not in (b"utf-8", b"utf8")):
            return False
        at = end + 2
    while True:  # whitespace, comments and processing instructions may precede the root
        while head[at:at + 1] in (b" ", b"\t", b"\r", b"\n"):
            at += 1
        if head.startswith(b"<!--", at):
            end, step = head.find(b"-->", at + 4), 3
        elif head.startswith(b"<?", at):
            end, step = head.find(b"?>", at + 2), 2
        else:  # '<!DOCTYPE', '<!...', text or the end of head: not the root; let defusedxml judge
            return head[at:at + 1] == b"<" and head[at + 1:at + 2] not in (b"!", b"?", b"/", b"")
        if end < 0:
            return False
        at = end + step


class _Replay:
    """A stream that gives `head` again, then the rest of `source`."""

    def __init__(self, head: bytes, source: Any) -> None:
        self._head, self._source = head, source

    def read(self, size: int = -1) -> bytes:
        if not self._head:
            return self._source.read(size)
        if size is None or size < 0:
            out, self._head = self._head + self._source.read(), b""
        else:
            out, self._head = self._head[:size], self._head[size:]
        return out
