"""A located table → a typed frame → every problem found, lazily, each at its cells.

Cell text becomes numbers here (the Danish way, parse.py), the kind's pandera schema
checks types, ranges and uniqueness, and the rules that span rows or columns (totals,
plus the kind's own) run beside it. Nothing stops at the first problem.
"""

from __future__ import annotations

import copy
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd
import pandera.pandas as pa

from syncservice.layout import META_NAMES, Frame, Kind
from syncservice.locate import Table
from syncservice.models import ERROR, WARNING, Cell, Figure, Figures, Finding, Report
from syncservice.number_format import shown
from syncservice.parse import (
    NotANumber,
    decimals_shown,
    name_key,
    normalise_label,
    parse_amount_unit,
    parse_date,
    parse_number,
    parse_year,
    strip_footnote_marker,
)
from syncservice.unit_places import unit_in_text

EXCEL_ERROR = re.compile(r"^#(NULL!|DIV/0!|VALUE!|REF!|NAME\?|NUM!|N/A|GETTING_DATA|SPILL!|CALC!)")
LINE_KEY = "line_key"
NUMERIC = ("amount", "count")
# Excel keeps 15 significant digits, so past 10^15 a number cannot even hold whole kroner:
# no figure of a report is that large. Bounding figures here keeps every later sum and
# conversion finite (x 1.000.000 for mio. kr., totals over 200,000 lines, the balance of
# a day service, the consolidation across units), where 1e307 in mio. kr. became inf in
# the store and the consolidated workbook, or crashed a rule converting inf to int.
MAX_FIGURE = 1e15
LAYOUT_RULES = ("sheet.", "table.")
_ROW_OF = re.compile(r"(\d+)$")
_SPACES = re.compile("[ \xa0\u202f\u2009]{2,}|[\xa0\u202f\u2009]")  # NBSP, narrow and thin space, or a run


@dataclass(frozen=True)
class Checked:
    report: Report | None
    findings: tuple[Finding, ...]


def check_table(table: Table, *, with_figures: bool = True) -> Checked:
    """Validate one located table; a Report only when it has no errors (its figures
    only when asked: `check` records nothing, so it skips building them)."""
    kind = table.header.kind
    findings: list[Finding] = []
    meta, meta_cells = _metadata(table, findings)
    frame, totals, total_rows, decimals = _frame(table, meta, meta_cells, findings)
    findings.extend(_too_large(frame))
    layout = [f for rule in kind.header_rules for f in rule(frame)]
    layout += _unread_columns(table, layout)  # a lost column leaves the row rules half the figures
    findings.extend(layout)
    findings.extend(_schema_findings(frame, kind, findings))
    findings.extend(_total_findings(frame, totals, total_rows, decimals, findings) if kind.adds_up
                    else _totals_not_allowed(frame, kind, totals, total_rows))
    # Row rules run beside value errors: an unreadable cell is NaN, which no comparison
    # flags, so every other row's problems come in the same report. Only a broken layout
    # (header out of order, no table) makes them meaningless.
    if not any(f.severity == ERROR and (f in layout or f.rule.startswith(LAYOUT_RULES)) for f in findings):
        checked = _without_bad_values(frame, findings)
        for rule in kind.rules:
            findings.extend(rule(checked))
    findings = _one_per_cause(findings)
    report = None
    if not any(f.severity == ERROR for f in findings):
        report = Report(
            kind=kind.name, unit=meta["unit"], year=meta["year"], sheet=table.sheet,
            figures=_figures(kind, frame) if with_figures else (), amount_unit=meta.get("amount_unit", ""),
            as_of=meta.get("as_of"), through=kind.through.of(frame) if kind.through else None,
            extra={"unit_cell": meta_cells.get("unit", ""), **_period_cells(kind, frame),
                   **(kind.annotations(frame) if kind.annotations else {})},
        )
    return Checked(report, tuple(findings))


def _period_cells(kind: Kind, frame: Frame) -> dict[str, str]:
    """Where the period a report goes through is written, for change.period_back: the last
    quarter's label, or the last line of a kind that counts its lines (follow-ups), and the
    as-of date (each '*_cell', which the store keeps out of the content)."""
    cells = {}
    if frame.quarters and max(frame.quarters) in frame.quarter_cells:
        cells["through_cell"] = frame.quarter_cells[max(frame.quarters)]
    elif kind.through is not None and frame.rows and kind.line_columns[-1] in frame.letters:
        cells["through_cell"] = frame.ref(kind.line_columns[-1], len(frame.rows) - 1)
    if "as_of" in frame.meta_cells:
        cells["as_of_cell"] = frame.meta_cells["as_of"]
    return cells


# Rules met by every cell a single cause touches: one finding lists them all, where the
# person fixes the cause once (every total formula of a file never opened in Excel).
ONE_CAUSE_RULES = ("value.formula_no_cache",)


def _one_per_cause(findings: list[Finding]) -> list[Finding]:
    """The findings of each ONE_CAUSE_RULES rule folded into one, at the first one's place,
    listing all their cells; counted until then one per cell, so the rules over columns
    (totals) still see each column that holds one."""
    grouped: dict[str, list[Finding]] = {}
    for f in findings:
        if f.rule in ONE_CAUSE_RULES:
            grouped.setdefault(f.rule, []).append(f)
    if not grouped:
        return findings
    out = []
    for f in findings:
        same = grouped.get(f.rule)
        if same is None:
            out.append(f)
        elif same[0] is f:
            columns = list(dict.fromkeys(g.column for g in same))
            out.append(replace(f, cells=tuple(c for g in same for c in g.cells),
                               column=columns[0] if len(columns) == 1 else "",
                               params={**f.params, "count": len(same), "columns": columns}))
    return out


def _figures(kind: Kind, frame: Frame) -> Sequence[Figure]:
    """The kind's figures as it gives them: Figures stay columns (never half a million objects).
    An empty optional figure (NaN) is no figure: it would fail the store's NOT NULL, and a
    file that can never be stored is retried for ever."""
    figures = kind.figures(frame)
    if isinstance(figures, Figures):
        if not any(np.isnan(np.asarray(c.values, dtype=float)).any() for c in figures.columns):
            return figures
        figures = iter(figures)
    return tuple(f for f in figures if not math.isnan(f.value))


def identity(table: Table) -> tuple[str, int | None]:
    """(unit, year) as far as the metadata gives them, for the sheet list of `check`."""
    meta, _ = _metadata(table, [])
    return meta.get("unit", ""), meta.get("year")


def _without_bad_values(frame: Frame, findings: list[Finding]) -> Frame:
    """The frame with the figures of every line holding a value error blanked (NaN), so
    the row rules say nothing about that line: '18.5 people' is reported once, as not
    whole, not again as a balance that cannot add up."""
    rows = {int(m.group(1)) for f in findings if f.severity == ERROR and f.rule.startswith("value.")
            for ref in f.cells if (m := _ROW_OF.search(ref))}
    bad = [i for i, row in enumerate(frame.rows) if row in rows]
    if not bad:
        return frame
    lines = frame.lines.copy()
    numeric = [k for k in lines.columns if lines[k].dtype.kind in "fi"]
    lines[numeric] = lines[numeric].astype(float)
    lines.loc[lines.index[bad], numeric] = np.nan
    return replace(frame, lines=lines)


def _unread_columns(table: Table, named: list[Finding]) -> list[Finding]:
    """A header cell that is none of the kind's columns, with numbers under it, is an error
    at that cell: its figures would be lost (WORKBOOKS.md §1 "No column is silently
    ignored"). Said once per cell: a header rule that named it ('2O22' breaking the years)
    says more."""
    kind = table.header.kind
    said = {ref for f in named for ref in f.cells}
    known: dict[str, Any] = {"columns": [c.name for c in kind.columns]}
    if kind.years is not None:
        known |= {"low": kind.years.low, "high": kind.years.high}
    if kind.quarters is not None:
        known["quarters"] = True
    return [Finding("sheet.unknown_column", ERROR, table.sheet, (column.ref,), column.label, column.label,
                    {"first": first, **known})
            for column, first in table.unread if column.ref not in said]


# --- metadata ---------------------------------------------------------------------------

def _metadata(table: Table, findings: list[Finding]) -> tuple[dict[str, Any], dict[str, str]]:
    kind = table.header.kind
    meta: dict[str, Any] = {"factor": 1}
    cells = {k: c.ref for k, c in table.meta.items()}
    for key, cell in table.meta.items():
        value = _meta_value(key, cell)
        if value is None:
            findings.append(Finding(f"meta.{key}", ERROR, table.sheet, (cell.ref,), META_NAMES[key],
                                    _display(cell.value), {"formula": cell.formula}))
        elif key == "amount_unit":
            meta["amount_unit"], meta["factor"] = value
        else:
            meta[key] = value
    if kind.year_from_header and "year" not in meta and table.header.years:
        meta["year"] = table.header.years[0]
    if kind.year_from_lines is not None and "year" not in meta:
        _year_from_lines(table, meta)
    if kind.year_from_as_of and "year" not in meta and "as_of" in meta:
        meta["year"] = meta["as_of"].year
    unit_from = _amount_unit_places(table, meta, cells, findings)
    if "year" not in meta and "year" not in kind.required_meta and "year" not in table.meta:
        # a kind that finds its year elsewhere found none: the report has no identity without it
        first = table.header.cells[min(table.header.columns, key=table.header.columns.get)]
        findings.append(Finding("meta.missing", ERROR, table.sheet, (first,), META_NAMES["year"], "",
                                {"field": META_NAMES["year"]}))
    for key in sorted(kind.required_meta):
        if key == "amount_unit" and unit_from:
            continue  # given in the corner or a title line instead
        if key not in table.meta and not (key == "year" and "year" in meta):
            if key in table.meta_empty:  # the label is there, its value is not
                findings.append(Finding("meta.empty", ERROR, table.sheet, (table.meta_empty[key],), META_NAMES[key],
                                        "", {"field": META_NAMES[key]}))
                continue
            first = table.header.cells[min(table.header.columns, key=table.header.columns.get)]
            findings.append(Finding("meta.missing", ERROR, table.sheet, (first,), META_NAMES[key], "",
                                    {"field": META_NAMES[key]}))
    return meta, cells


def _year_from_lines(table: Table, meta: dict[str, Any]) -> None:
    """The report's year from its lines' names, as the kind reads them (the last follow-up's)."""
    kind = table.header.kind
    at = table.keys.index(kind.line_columns[0]) if kind.line_columns[0] in table.keys else None
    if at is None:
        return
    names = [_display(v.value if isinstance(v, Cell) else v).strip() for v in (line[at] for line in table.lines)]
    year = kind.year_from_lines([n for n in names if n]) if kind.year_from_lines else None
    if year is not None:
        meta["year"] = year


def _amount_unit_places(table: Table, meta: dict[str, Any], cells: dict[str, str], findings: list[Finding]) -> str:
    """WORKBOOKS.md §1: the amount unit may stand in the metadata, the table's top-left cell
    or a title line. Where none is in the metadata, the first other place gives it; two
    places naming different units are an error naming both cells. → where it came from,
    '' when from the metadata or nowhere."""
    places = [("amount_unit", table.meta["amount_unit"])] if "amount_unit" in table.meta else []
    places += [(where, table.unit_cells[where]) for where in ("corner", "title") if where in table.unit_cells]
    read = [(where, cell, unit_in_text(str(cell.value)) if where != "amount_unit" else parse_amount_unit(cell.value))
            for where, cell in places]
    read = [(where, cell, unit) for where, cell, unit in read if unit is not None]
    if not read:
        return ""
    for (_, first, unit), (_, other, other_unit) in zip(read, read[1:]):
        if other_unit[1] != unit[1]:
            findings.append(Finding("meta.amount_unit_conflict", ERROR, table.sheet, (first.ref, other.ref),
                                    META_NAMES["amount_unit"], _display(other.value),
                                    {"first": unit[0], "other": other_unit[0]}))
            break
    where, cell, unit = read[0]
    if where == "amount_unit":
        return ""
    meta["amount_unit"], meta["factor"] = unit
    cells["amount_unit"] = cell.ref
    return where


def _meta_value(key: str, cell: Cell) -> Any:
    value = cell.value
    if key == "unit":
        text = " ".join(str(value).split()) if value is not None else ""
        return text or None
    if key == "year":
        return parse_year(value)
    if key == "as_of":
        return parse_date(value)
    return parse_amount_unit(value)


# --- the typed frame --------------------------------------------------------------------

def _frame(table: Table, meta: dict[str, Any], meta_cells: dict[str, str], findings: list[Finding]
           ) -> tuple[Frame, dict[str, list[Any]], list[int], dict[str, int]]:
    header = table.header
    kind = header.kind
    types = {spec.key: spec.type for spec in kind.columns}
    letters = {key: _letter(col) for key, col in header.columns.items()}
    total_labels = {normalise_label(t) for t in kind.total_labels}
    line_cols = [k for k in kind.line_columns if k in header.columns]
    quarter_keys = {k for k in header.columns if re.fullmatch(r"(in|out)_\d+", k)}

    data: dict[str, list[Any]] = {key: [] for key in table.keys}
    decimals: dict[str, int] = dict(table.decimals)  # of the plain numbers; text numbers add theirs
    rows: list[int] = []
    totals: dict[str, list[Any]] = {key: [] for key in table.keys}
    total_rows: list[int] = []
    # effekt's year columns (y2020…) are amounts; tilgang_afgang's quarter columns counts
    ctypes = {key: types.get(key) or ("amount" if key.startswith("y") else "count") for key in table.keys}
    columns = [(i, key, ctypes[key], key in line_cols, key in quarter_keys) for i, key in enumerate(table.keys)]
    line_positions = [table.keys.index(k) for k in line_cols]
    named_totals: list[tuple[int, Cell, str]] = []  # (line, cell, column) named like a total and more: 'I alt Ballerup'
    marked: list[tuple[str, int, str]] = []  # (column, line, words) of cells the kind reads as not computed
    initials = {t[:1] for t in total_labels}
    for values, row_no in zip(table.lines, table.line_rows):
        looks = [(_total_label(values[i], total_labels, initials), n) for n, i in enumerate(line_positions)]
        is_total = any(kind == TOTAL for kind, _ in looks)
        target, target_rows = (totals, total_rows) if is_total else (data, rows)
        if not is_total:
            named = [n for kind, n in looks if kind == TOTAL_AND_MORE]
            if named:
                named_totals.append((len(rows), values[line_positions[named[0]]], header.names[line_cols[named[0]]]))
        target_rows.append(row_no)
        for i, key, ctype, is_line, is_quarter in columns:
            value = values[i]
            if type(value) is float:  # a plain number, already read (the common case, kept cheap)
                target[key].append(value if ctype in NUMERIC else _display(value))
                continue
            if kind.not_computed or kind.text_figure:
                read = _kind_text(kind, table.sheet, header.names[key], value, ctype, findings)
                if read is None and value is not None and not is_total:
                    marked.append((key, len(rows) - 1, " ".join(str(value.value).split())))
                value = read
            value = _coerce(table.sheet, header.names[key], value, ctype, decimals, key, findings, line=is_line)
            if value is None and is_quarter:
                value = 0.0  # WORKBOOKS.md §4: blank quarter cells count as 0
            target[key].append(value)

    numeric = [k for k in data if ctypes[k] in NUMERIC]
    findings.extend(_move_named_totals(named_totals, data, rows, totals, total_rows, numeric, decimals, table.sheet))

    frame_data = {}
    for key, values in data.items():
        ctype = ctypes[key]
        # arrays, not Series: the frame is built in a quarter of the time (a sheet of twenty lines)
        if ctype in ("text", "status"):
            frame_data[key] = pd.array(values, dtype="str")
        else:
            frame_data[key] = np.array(values, "float64")
            if ctype == "count":
                frame_data[key] = _snap_whole(frame_data[key])
    # one key per line for uniqueness: names compared as a person would (case, spaces, '*')
    keys = zip(*(data[k] for k in line_cols)) if line_cols else iter(())
    frame_data[LINE_KEY] = pd.array(
        ["\x1f".join(name_key(v) if isinstance(v, str) else "" for v in names)
         if any(isinstance(v, str) and v for v in names) else f"\x00{i}"  # no name: not a repeat
         for i, names in enumerate(keys)], dtype="str")
    lines = pd.DataFrame(frame_data, index=pd.RangeIndex(len(rows)))
    frame = Frame(
        kind=kind.name, sheet=table.sheet, lines=lines, rows=tuple(rows),
        letters=letters, names=header.names, header_cells=header.cells, meta=meta, meta_cells=meta_cells,
        years=header.years, quarters=header.quarters, header_labels=header.labels,
        quarter_cells=header.quarter_cells, quarter_flows=header.quarter_flows, unclaimed=header.unclaimed,
        not_computed=tuple(marked),
    )
    return frame, totals, total_rows, decimals


def _kind_text(kind: Kind, sheet: str, name: str, cell: Any, ctype: str, findings: list[Finding]) -> Any:
    """A figure cell as the kind reads its words: 'Ej opgjort' (Kind.not_computed) is no
    figure, and no finding; text the kind's text_figure reads ('3,8 pr 3. kvartal 2016')
    is the number it gives, with the kind's warning. Anything else is left to _coerce."""
    if ctype not in NUMERIC or not isinstance(cell, Cell) or not isinstance(cell.value, str):
        return cell
    text = " ".join(cell.value.split())
    if normalise_label(text) in {normalise_label(w) for w in kind.not_computed}:
        return None
    read = kind.text_figure(text) if kind.text_figure else None
    if read is None:
        return cell
    number, rule = read
    findings.append(Finding(rule, WARNING, sheet, (cell.ref,), name, text, {"number": number}))
    return cell._replace(value=number)


def _snap_whole(counts: np.ndarray) -> np.ndarray:
    """A count a formula left a hair off whole (=A8*3/3 giving 18.000000000000004) is that
    whole number: the cell shows 18, and the person cannot see, let alone fix, the rest."""
    whole = np.rint(counts)
    with np.errstate(invalid="ignore"):  # NaN (empty or unreadable) stays NaN
        near = np.abs(counts - whole) <= 1e-9 * np.maximum(1.0, np.abs(whole))
    return np.where(near, whole, counts)


NOT_TOTAL, TOTAL, TOTAL_AND_MORE = 0, 1, 2


def _total_label(cell: Any, labels: set[str], initials: set[str]) -> int:
    """TOTAL for 'Total', 'I alt', 'Alle', 'Sum' in a line column (any case, footnote marker
    or not); TOTAL_AND_MORE for such a word with more after it ('I alt Ballerup', 'Total 2016')."""
    if not isinstance(cell, Cell) or not isinstance(cell.value, str) or len(cell.value) > 40:
        return NOT_TOTAL  # names are longer
    if cell.value.lstrip()[:1].casefold() not in initials:  # most names: one look at the first letter
        return NOT_TOTAL
    label = normalise_label(strip_footnote_marker(cell.value))
    if label in labels:
        return TOTAL if len(cell.value) <= 20 else NOT_TOTAL
    more = any(label.startswith(t) and len(label) > len(t) and not label[len(t)].isalpha() for t in labels)
    return TOTAL_AND_MORE if more else NOT_TOTAL


def _move_named_totals(candidates: list[tuple[int, Cell, str]], data: dict[str, list[Any]], rows: list[int],
                       totals: dict[str, list[Any]], total_rows: list[int], numeric: list[str],
                       decimals: dict[str, int], sheet: str) -> list[Finding]:
    """A line named like a total with more after it ('I alt Ballerup') is the total row it
    looks like when every figure is the sum of the other lines: counted once, not twice.
    Otherwise it stays a line (an initiative may be called 'Alle borgere …'), with a warning:
    a total counted as a line doubles every sum finance reads."""
    if not candidates or not numeric:
        return []
    skip = {c for c, _, _ in candidates}
    others = [i for i in range(len(rows)) if i not in skip]
    sums = {k: math.fsum(v for i in others if isinstance(v := data[k][i], float) and v == v) for k in numeric}

    def is_sum(c: int, key: str) -> bool:
        value = 0.0 if data[key][c] is None else data[key][c]
        return isinstance(value, float) and abs(value - sums[key]) <= _total_tolerance(decimals.get(key, 0), sums[key])

    moved, warnings = [], []
    for c, cell, column in candidates:
        if any(sums.values()) and all(is_sum(c, k) for k in numeric):
            moved.append(c)
        else:
            warnings.append(Finding("row.looks_like_total", WARNING, sheet, (cell.ref,), column,
                                    _display(cell.value).strip()))
    for c in sorted(moved, reverse=True):
        total_rows.append(rows.pop(c))
        for key in data:
            totals[key].append(data[key].pop(c))
    return warnings


def _letter(col: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(col)


def _coerce(sheet: str, name: str, cell: Cell | None, ctype: str, decimals: dict[str, int], key: str,
            findings: list[Finding], *, line: bool = False) -> Any:
    """One cell → its typed value (None when empty or unreadable, with a finding for the latter)."""
    if cell is None:
        return None
    value = cell.value
    if cell.formula and value is None:
        findings.append(Finding("value.formula_no_cache", ERROR, sheet, (cell.ref,), name, ""))
        return None
    if isinstance(value, str) and EXCEL_ERROR.match(value.strip()):
        findings.append(Finding("value.formula_error", ERROR, sheet, (cell.ref,), name, value.strip()))
        return None
    if ctype in ("text", "status"):
        text = _display(value).strip()
        # a line's name as a person reads it: 'Det\xa0Nye  Sted' is Det Nye Sted, in the Data sheet
        # and against the previous version (spaces only: other characters are kept as written)
        return _SPACES.sub(" ", strip_footnote_marker(text)) if line else text
    if type(value) is int or type(value) is float:  # the common case, kept cheap (50,000-row sheets)
        if shown(cell.number_format).is_percent(value):  # '360%' typed into a cell Excel then formats as percent
            as_shown = _display(round(value * 100, 10)).replace(".", ",")  # 3.6 → '360%', 0.125 → '12,5%'
            findings.append(_percent(sheet, name, cell, ctype, f"{as_shown}%"))
            return math.nan
        shown_decimals = decimals_shown(value, cell.number_format)
        if shown_decimals > decimals.get(key, -1):
            decimals[key] = shown_decimals
        return float(value) if math.isfinite(value) else math.nan
    try:
        number = parse_number(value, cell.number_format)
    except NotANumber as exc:
        rule = {"decimal_point": "value.decimal_point", "date": "value.date"}.get(exc.reason, "value.not_number")
        findings.append(Finding(rule, ERROR, sheet, (cell.ref,), name, _display(value)))
        return math.nan
    if number is None:
        return None
    if number.percent:
        findings.append(_percent(sheet, name, cell, ctype, _display(value).strip()))
        return math.nan
    decimals[key] = max(decimals.get(key, 0), number.decimals)
    return number.value


def _percent(sheet: str, name: str, cell: Cell, ctype: str, shown_value: str) -> Finding:
    """A percentage where an amount or a count belongs: as a figure it would be read a hundredth of itself."""
    return Finding("value.percent", ERROR, sheet, (cell.ref,), name, shown_value, {"type": ctype})


def _display(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if hasattr(value, "strftime"):
        return value.strftime("%d.%m.%Y")
    return str(value)


# --- pandera ----------------------------------------------------------------------------

_BUILTIN_RULES = {"not_nullable": "value.missing", "field_uniqueness": "row.duplicate",
                  "multiple_fields_uniqueness": "row.duplicate"}


def _schema_findings(frame: Frame, kind: Kind, earlier: list[Finding]) -> list[Finding]:
    """Run the kind's pandera schema lazily; map every failure back to its cell."""
    if frame.lines.empty:
        return [Finding("table.empty", ERROR, frame.sheet, tuple(frame.header_cells.values())[:1])]
    schema = _spelt_out(kind.schema(frame), tuple(frame.lines.columns))
    try:
        schema.validate(frame.lines, lazy=True, inplace=True)  # no coercion: inplace only skips copies
        return []
    except pa.errors.SchemaErrors as exc:
        cases = exc.failure_cases
    seen = {(f.sheet, c) for f in earlier for c in f.cells}  # one finding per cell: the first cause
    out: list[Finding] = []
    line_cols = [k for k in kind.line_columns if k in frame.letters]
    for case in cases.itertuples(index=False):
        check = str(case.check)
        index = case.index
        if index is None or (isinstance(index, float) and math.isnan(index)):
            continue
        index = int(index)
        rule = _BUILTIN_RULES.get(check) or ("value.negative" if check.startswith("greater_than_or_equal_to")
                                              else check)
        column = case.column if isinstance(case.column, str) and case.column in frame.letters else None
        if rule == "row.duplicate":
            out.extend(_duplicate(frame, index, line_cols))
            continue
        if column is None:
            continue
        if rule == "value.missing" and column in line_cols:
            if frame.lines.loc[index].drop(labels=[LINE_KEY, *line_cols]).isna().all():
                continue
            rule = "row.name_missing"
        ref = frame.ref(column, index)
        if (frame.sheet, ref) in seen:
            continue
        seen.add((frame.sheet, ref))
        out.append(frame.finding(rule, [column], index, value=case.failure_case))
    return _dedupe(out)


_SPELT_OUT: dict[tuple[int, tuple[str, ...]], tuple[Any, Any]] = {}


def _spelt_out(schema: Any, columns: tuple[str, ...]) -> Any:
    """The schema with each regex column (tilgang_afgang's quarters, ``^(in|out)_\\d$``)
    written out as the columns it matches in this frame: the same checks on the same
    columns, but pandera no longer matches and copies it on every validation, an eighth
    of validating a small sheet. Kept per schema and set of columns."""
    key = (id(schema), columns)
    kept = _SPELT_OUT.get(key)
    if kept is not None and kept[0] is schema:
        return kept[1]
    patterns = [name for name, column in schema.columns.items() if column.regex]
    if not patterns:
        return schema
    spelt = {}
    for name in patterns:
        for match in (c for c in columns if re.match(name, c)):  # as pandera matches (str.match)
            column = copy.deepcopy(schema.columns[name])  # set_name changes the column itself
            column.regex = False
            spelt[match] = column.set_name(match)
    result = schema.remove_columns(patterns).add_columns(spelt)
    if len(_SPELT_OUT) >= 64:  # kinds whose schema depends on the frame: bounded
        _SPELT_OUT.clear()
    _SPELT_OUT[key] = (schema, result)
    return result


def _duplicate(frame: Frame, index: int, line_cols: list[str]) -> list[Finding]:
    """A repeated name is reported at each repeat, naming the row it repeats."""
    keys = frame.lines[LINE_KEY]
    first = int(keys[keys == keys[index]].index[0])
    if first == index:
        return []
    col = line_cols[-1]
    value = " / ".join(str(frame.lines.at[index, c]) for c in line_cols if isinstance(frame.lines.at[index, c], str))
    return [frame.finding("row.duplicate", [col], index, value=value, first_row=int(frame.rows[first]),
                          first_cell=frame.ref(col, first))]


def _dedupe(findings: Iterable[Finding]) -> list[Finding]:
    seen: set[tuple[str, tuple[str, ...]]] = set()
    out = []
    for f in findings:
        if (f.rule, f.cells) not in seen:
            seen.add((f.rule, f.cells))
            out.append(f)
    return out


def _too_large(frame: Frame) -> list[Finding]:
    """Numbers past MAX_FIGURE, in the sheet's unit or in kroner, each at its cell."""
    limit = MAX_FIGURE / max(1.0, float(frame.meta.get("factor", 1) or 1))
    out: list[Finding] = []
    numeric = frame.lines.select_dtypes("float64")
    with np.errstate(invalid="ignore"):  # NaN (unreadable, reported already) compares False
        if not (np.abs(numeric.to_numpy()) >= limit).any():  # one pass over all columns: the common case
            return out
    for key in numeric.columns:
        column = frame.lines[key]
        for i in column.index[column.abs() >= limit]:  # NaN (unreadable, reported already) compares False
            out.append(Finding("value.too_large", ERROR, frame.sheet, (frame.ref(key, i),), frame.names[key],
                               f"{column.at[i]:.15g}"))  # 1e+307, not its 308 digits
    return out


# --- totals -----------------------------------------------------------------------------

def _total_findings(frame: Frame, totals: dict[str, list[Any]], total_rows: list[int], decimals: dict[str, int],
                    earlier: list[Finding]) -> list[Finding]:
    """Each figure of a total row equals the sum of the other lines, within half a unit of
    the last decimal shown in that column (WORKBOOKS.md §1 "Total rows")."""
    out: list[Finding] = []
    bad_columns = {f.column for f in earlier if f.sheet == frame.sheet}
    if not total_rows:
        return out
    numeric = [k for k, dtype in frame.lines.dtypes.items() if dtype == np.float64]
    sums = {k: float(np.nansum(frame.lines[k].to_numpy())) for k in numeric}  # NaN (empty) counts as 0
    for i, row_no in enumerate(total_rows):
        for key in numeric:
            value = totals[key][i]
            if value is None or frame.names.get(key) in bad_columns:
                continue
            if isinstance(value, float) and math.isnan(value):
                continue
            expected = float(sums[key])
            if abs(float(value) - expected) > _total_tolerance(decimals.get(key, 0), expected):
                ref = f"{frame.letters[key]}{row_no}"
                # figures as numbers, written in the reader's language with the column's decimals
                out.append(Finding("total.mismatch", ERROR, frame.sheet, (ref,), frame.names[key],
                                   _display(value), {"expected": expected, "difference": float(value) - expected,
                                                     "decimals": decimals.get(key, 0)}, numeric=True))
    return out


def _totals_not_allowed(frame: Frame, kind: Kind, totals: dict[str, list[Any]], total_rows: list[int]
                        ) -> list[Finding]:
    """Lines that revise one estimate never add up: a row labelled as a total is an error
    at its label (WORKBOOKS.md §7), where it would otherwise pass for a sum."""
    line = next((k for k in kind.line_columns if k in frame.letters), None)
    if line is None:
        return []
    return [Finding("total.not_allowed", ERROR, frame.sheet, (f"{frame.letters[line]}{row}",), frame.names[line],
                    _display(label.value if isinstance(label, Cell) else label), {"kind": kind.title})
            for row, label in zip(total_rows, totals[line])]


def _total_tolerance(decimals: int, expected: float) -> float:
    """Half a unit of the last decimal shown in the column, and float noise on large sums."""
    return 0.5 * 10 ** -decimals + 1e-9 * max(1.0, abs(expected))


def warning(frame: Frame, rule: str, columns: list[str], index: Any, **kw: Any) -> Finding:
    return frame.finding(rule, columns, index, severity=WARNING, **kw)
