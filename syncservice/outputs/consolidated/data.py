"""The Data sheet's rows, written as sheet XML directly (xml_rows.py).

One row per figure (550,000 for a 50,000-line intake/outflow report): openpyxl still
writes the header row and the sheet around the rows (widths, frozen pane, table part);
the rows below the header are written here, 30 times faster than through openpyxl,
each report's rows a part of its own, kept for the next rewrite (fragments.py).
"""

from __future__ import annotations

from syncservice.base.models import DataRow
from syncservice.outputs.consolidated.cells import COUNT_FORMAT, DECIMAL_FORMAT, PLAIN, RawCells, text_xml
from syncservice.outputs.consolidated.xml_rows import SheetRows

DATA_COLUMNS = ("Enhed", "År", "Skema", "Linje", "Nøgletal", "Periode", "Værdi", "Kilde", "Version")


class DataRows:
    """Rows 2… of a Data sheet, one a line, into `rows` as they stream past."""

    def __init__(self, rows: SheetRows) -> None:
        self.rows = rows
        self._texts: dict[str, str] = {}
        # Style ids for the value column, registered in the workbook's stylesheet by openpyxl.
        cells = RawCells(rows.ws)
        self._whole = cells.style(PLAIN, COUNT_FORMAT)
        self._decimal = cells.style(PLAIN, DECIMAL_FORMAT)

    def add(self, r: DataRow) -> None:
        value = float(r.value)
        whole = value.is_integer()
        number = str(int(value)) if whole else repr(value)
        period = f'<c t="inlineStr"><is>{self._t(r.period)}</is></c>' if r.period else "<c/>"
        self.rows.write(
            f'<row><c t="inlineStr"><is>{self._t(r.unit)}</is></c>'
            f"<c><v>{int(r.year)}</v></c>"
            f'<c t="inlineStr"><is>{self._t(r.kind)}</is></c>'
            f'<c t="inlineStr"><is>{self._t(r.line)}</is></c>'
            f'<c t="inlineStr"><is>{self._t(r.metric)}</is></c>'
            f"{period}"
            f'<c s="{self._whole if whole else self._decimal}"><v>{number}</v></c>'
            f'<c t="inlineStr"><is>{self._t(r.source)}</is></c>'
            f"<c><v>{int(r.version_id)}</v></c></row>\n")
        self.rows.counted(1)

    def _t(self, value: str) -> str:
        text = self._texts.get(value)
        if text is None:
            text = text_xml(value)
            if len(self._texts) < 100_000:  # units, kinds, metrics and file names repeat
                self._texts[value] = text
        return text
