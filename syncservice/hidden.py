"""A located table's hidden content → warnings that name it (WORKBOOKS.md §1 "Hidden
content counts, and is said").

Hidden figures are read like any other, so finance's numbers hold what nobody looking
at the sheet can see: a hidden sheet, hidden rows or columns of the table, cells whose
number format shows nothing. Each kind of hiding is one warning per sheet, listing its
rows, columns or cells; hidden rows and columns outside the table concern no figure and
are not mentioned.
"""

from __future__ import annotations

from collections.abc import Iterable

from openpyxl.utils import get_column_letter

from syncservice.locate import Table
from syncservice.models import WARNING, Finding, cell_ref
from syncservice.read import Hidden


def hidden_findings(table: Table, hidden: Hidden, *, sheet_hidden: bool) -> list[Finding]:
    """The table of one sheet and what its reader found hidden → one warning per kind of hiding."""
    out = []
    if sheet_hidden:
        out.append(Finding("sheet.hidden", WARNING, table.sheet))
    header = table.header
    first_column = min(header.columns.values())
    line_rows = set(table.line_rows)
    rows = sorted({r for r in hidden.rows if r in line_rows})
    if rows:
        out.append(Finding("table.hidden_rows", WARNING, table.sheet, tuple(cell_ref(r, first_column) for r in rows),
                           params={"rows": runs(rows)}))
    columns = sorted((col, key) for key, col in header.columns.items()
                     if any(first <= col <= last for first, last in hidden.columns))
    if columns:
        out.append(Finding("table.hidden_columns", WARNING, table.sheet,
                           tuple(header.cells[key] for _, key in columns),
                           params={"columns": ", ".join(get_column_letter(col) for col, _ in columns)}))
    if table.hidden_format:
        out.append(Finding("value.hidden_format", WARNING, table.sheet, table.hidden_format,
                           params={"count": len(table.hidden_format)}))
    return out


def runs(numbers: Iterable[int]) -> str:
    """[12, 13, 14, 20] → '12-14, 20': the rows as a person reads them in Excel's margin."""
    out: list[list[int]] = []
    for n in numbers:
        if out and n == out[-1][-1] + 1:
            out[-1].append(n)
        else:
            out.append([n])
    return ", ".join(str(r[0]) if len(r) == 1 else f"{r[0]}-{r[-1]}" for r in out)
