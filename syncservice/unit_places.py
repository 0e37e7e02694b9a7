"""Where the amount unit may stand besides the metadata (WORKBOOKS.md §1 "Where the amount
unit may stand"): the table's top-left header cell ('i 1.000 kr.', 'Besparelser i 1.000 kr.')
or the end of a title line above the table ('… (1000 kr.)', '… i mio. kr.:').

    header rows + the header's position → {'corner' | 'title': the cell naming a unit}

validate.py compares them with the metadata's `Beløb i`: two places naming different units
is an error naming both cells.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from syncservice.models import Cell
from syncservice.parse import parse_amount_unit

# the unit as the end of a text: '… i mio. kr.:', '… (1000 kr.)', 'i 1.000 kr.'
_AT_END = re.compile(r"(?:(?:^|\s)i\s+|\()(?P<unit>[^()]{1,20}?)\)?\s*:?\s*$", re.IGNORECASE)


def unit_in_text(text: str, *, whole: bool = True) -> tuple[str, int] | None:
    """The (unit, factor) a text ends with, or is (when `whole`); else None."""
    text = " ".join(text.split())
    if whole and (unit := parse_amount_unit(text)) is not None:
        return unit
    found = _AT_END.search(text)
    return parse_amount_unit(found["unit"]) if found else None


def unit_places(rows: Iterable[tuple[int, dict[int, Cell]]], header_row: int, first_col: int,
                taken: Iterable[Cell] = ()) -> dict[str, Cell]:
    """The top-left header cell (row `header_row`, column `first_col`) where it names a unit,
    and the last title line above the header ending with one. `taken`: the metadata's cells,
    never a title."""
    skip = {(c.row, c.col) for c in taken}
    out: dict[str, Cell] = {}
    for row_no, cells in rows:
        if row_no > header_row:
            break
        for col, cell in sorted(cells.items()):
            if not isinstance(cell.value, str) or (row_no, col) in skip:
                continue
            if row_no == header_row:
                if col == first_col and unit_in_text(cell.value) is not None:
                    out["corner"] = cell
                continue
            # a title: words, then the unit ('mio. kr.' alone is a metadata value, not a title)
            if parse_amount_unit(cell.value) is None and unit_in_text(cell.value, whole=False) is not None:
                out["title"] = cell
    return out
