"""Bar charts for the overview sheets, pointing at cells the sheet already holds.

Write-only worksheets take charts like normal ones (WriteOnlyWorksheet.add_chart is
Worksheet.add_chart; the drawing is written with the sheet's tail when it is saved), but
nothing can be read back while writing: every reference is built from row and column
numbers the overview kept as it wrote. Each series is one contiguous range, which Excel,
LibreOffice and Power BI all read; a series over scattered cells would not be.
"""

from __future__ import annotations

from openpyxl.chart import BarChart, Reference, Series
from openpyxl.chart.data_source import AxDataSource, StrRef
from openpyxl.chart.series import SeriesLabel
from openpyxl.chart.text import RichText, Text
from openpyxl.chart.title import Title
from openpyxl.drawing.text import CharacterProperties, Paragraph, ParagraphProperties, RegularTextRun

from syncservice.base.openpyxl_private import WriteOnlyWorksheet

HEIGHT_CM = 9.0
CM_PER_WIDTH = 0.19  # one unit of column width (a digit of the default font, plus padding) in cm


def bar_chart(title: str, number_format: str, *, table_width: float, stacked: bool = False,
              from_zero: bool = False) -> BarChart:
    """An empty column chart as wide as the table above it (`table_width`, in column-width
    units), with a modest title, whole numbers on the value axis and the legend below."""
    chart = BarChart()
    chart.type = "col"
    chart.title = _title(title)
    chart.width = max(16.0, min(32.0, table_width * CM_PER_WIDTH))
    chart.height = HEIGHT_CM
    chart.legend.position = "b"
    chart.y_axis.number_format = number_format
    chart.x_axis.tickLblPos = "low"  # below the plot even when the bars go down (savings are negative)
    if from_zero:
        chart.y_axis.scaling.min = 0  # counts: an axis from 86 to 98 would make 90 → 97 look tenfold
    # openpyxl 3.1 leaves `delete` unset, and Excel then hides both axes.
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    if stacked:
        chart.grouping = "stacked"
        chart.overlap = 100
    return chart


def add_series(chart: BarChart, ws: WriteOnlyWorksheet, *, title: str | tuple[int, int],
               rows: tuple[int, int], cols: tuple[int, int]) -> None:
    """One series over rows × cols (one of them a single row or column). `title` is a text or
    the (row, column) of the cell holding it, so staff's names are never copied into the chart."""
    values = Reference(ws, min_col=cols[0], max_col=cols[1], min_row=rows[0], max_row=rows[1])
    series = Series(values, title=title if isinstance(title, str) else None)
    if not isinstance(title, str):
        row, col = title
        series.tx = SeriesLabel(strRef=StrRef(str(Reference(ws, min_col=col, min_row=row))))
    chart.series.append(series)


def set_categories(chart: BarChart, ws: WriteOnlyWorksheet, *, rows: tuple[int, int], cols: tuple[int, int]) -> None:
    """The category labels of every series: text cells (unit names, year headers)."""
    labels = str(Reference(ws, min_col=cols[0], max_col=cols[1], min_row=rows[0], max_row=rows[1]))
    for series in chart.series:
        series.cat = AxDataSource(strRef=StrRef(labels))


def _title(text: str) -> Title:
    """A 12 pt bold title: the default (18 pt in LibreOffice) wraps a Danish title in two lines."""
    font = CharacterProperties(sz=1200, b=True)
    paragraph = Paragraph(pPr=ParagraphProperties(defRPr=font), r=[RegularTextRun(rPr=font, t=text)])
    return Title(tx=Text(rich=RichText(p=[paragraph])), overlay=False)
