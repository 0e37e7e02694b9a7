"""Find a sheet's report: its metadata block, its header (one or two rows) and its
lines up to the table's end. WORKBOOKS.md §1 "Metadata block", "Header row", "Table end".

Reads only as far as the table goes: a stream of rows in, a `Table` (or why not) out.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any

from syncservice.layout import META_LABELS, Column, Kind, Unclaimed, names_a_share
from syncservice.models import ERROR, WARNING, Cell, Finding, cell_ref
from syncservice.number_format import PLAIN, Shown, shown
from syncservice.parse import (
    NotANumber,
    decimals_shown,
    format_decimals,
    is_blank,
    label_matches,
    matched_synonym,
    normalise_label,
    parse_amount_unit,
    parse_date,
    parse_number,
    parse_quarter,
    parse_year,
    split_quarter_prefix,
)
from syncservice.read import Row
from syncservice.unit_places import unit_in_text, unit_places

HEADER_SCAN_ROWS = 30
FOOTNOTE = re.compile(r"^\s*(\*|note\b|noter\b|kilde\b|kilder\b|bemærkning)", re.IGNORECASE)
YEAR_LABEL = re.compile(r"^(\d{4})$")
# A label is a few words. Text longer than this is a note or pasted data, and the header
# and metadata search look only at its start: every label test normalises the text, for
# each synonym of each kind, and a cell of 32,767 characters (or the 1 MB shared string of
# poi/poc-shared-strings.xlsx, 40 s before) must not cost that many times over. Labels
# match by prefix (a suffix may follow), so a cut label still matches as the whole did.
MAX_LABEL_CHARS = 255
_META_NORMS = {key: frozenset(normalise_label(label) for label in labels) for key, labels in META_LABELS.items()}


@dataclass(frozen=True)
class Header:
    """Where each frame column is: its sheet column, label and header cell."""

    kind: Kind
    row: int  # first header row
    depth: int  # 1 or 2 header rows
    columns: dict[str, int]  # frame column → sheet column
    labels: dict[str, str]  # frame column → label as written
    cells: dict[str, str]  # frame column → header cell ref
    names: dict[str, str]  # frame column → name for messages
    years: tuple[int, ...] = ()
    quarters: tuple[int, ...] = ()
    quarter_cells: dict[int, str] = field(default_factory=dict)  # quarter → its label's cell
    # (flow, quarter, its label's cell) of every Tilgang/Afgang column in column order, a
    # repeated quarter kept: the order the person wrote them, for the sequence rule
    quarter_flows: tuple[tuple[str, int, str], ...] = ()
    # labelled header cells that are none of the kind's columns ('2025 (ny)', 'Bemærkning')
    unclaimed: tuple[Unclaimed, ...] = ()


@dataclass(frozen=True)
class Table:
    """The lines of a table, compact: a 50,000-row sheet must fit in little memory.

    Each line is a tuple aligned with `keys`: a plain number as a float, anything else
    (text, dates, formulas, errors) as its Cell, an empty cell as None. The decimals
    shown by the plain numbers' formats are kept per column in `decimals`.
    """

    sheet: str
    header: Header
    meta: dict[str, Cell]  # field → the value cell
    keys: tuple[str, ...]  # frame columns, in the order of each line's values
    lines: tuple[tuple[Any, ...], ...]
    line_rows: tuple[int, ...]
    decimals: dict[str, int] = field(default_factory=dict)
    truncated: bool = False
    # field → the empty cell right of its label ('År' written, the year forgotten): where
    # a person must look, rather than at the header as for a label not written at all
    meta_empty: dict[str, str] = field(default_factory=dict)
    hidden_format: tuple[str, ...] = ()  # cells whose number format shows nothing (';;;'), row by row
    # unclaimed header columns with a number under them in the table's rows: (column, first
    # such cell). Their figures would be lost (WORKBOOKS.md §1 "No column is silently ignored")
    unread: tuple[tuple[Unclaimed, str], ...] = ()
    # 'corner' / 'title' → the cell naming the amount unit there (unit_places.py)
    unit_cells: dict[str, Cell] = field(default_factory=dict)


@dataclass(frozen=True)
class Located:
    """What locate found on one sheet: a table, or findings saying why not."""

    table: Table | None
    findings: tuple[Finding, ...] = field(default_factory=tuple)


def locate(sheet: str, rows: Iterator[Row], kinds: Iterable[Kind], max_rows: int) -> Located:
    """Rows of one sheet → its table, or the reason it is skipped or broken."""
    head: list[Row] = []
    for row in rows:
        head.append(row)
        if row[0] > HEADER_SCAN_ROWS + 1:  # one extra row: a two-row header may start at row 30
            break
    header = _find_header(head, list(kinds))
    meta, meta_empty = _metadata(head, header.row if header else HEADER_SCAN_ROWS + 1,
                                 header.kind.required_meta if header else frozenset())
    if header is not None and not meta and _years_alone(header):
        # years under a blank corner, with no metadata above: any pivot table by year looks so
        # (a corpus file's 'Row Labels | 2005 | 2006'); not a kind's header until a label says so
        header = None
    if header is None:
        if meta:
            near = _near_miss(sheet, head, list(kinds), max(c.row for c in meta.values()))
            if near is not None:
                return Located(None, (near,))
            cell = next(iter(meta.values()))
            return Located(None, (Finding("sheet.no_header", ERROR, sheet, (cell.ref,)),))
        return Located(None, (Finding("sheet.skipped", WARNING, sheet),))
    if "year" in meta and header.depth == 1:
        header = _of_the_year(header, dict(head).get(header.row, {}), parse_year(meta["year"].value))
    keys = tuple(header.columns)
    hidden: list[str] = []
    unread: dict[int, str] = {}
    lines, line_rows, decimals, truncated, stray = _lines(head, rows, header, keys, max_rows, hidden, unread)
    problems: tuple[Finding, ...] = ()
    if truncated:
        problems = (Finding("sheet.too_many_rows", ERROR, sheet, (cell_ref(line_rows[-1], 1),),
                            params={"limit": max_rows}),)
    if stray is not None:
        blank_row, lead = stray
        column = next((header.names[k] for k in header.kind.line_columns if header.columns.get(k) == lead.col), "")
        problems += (Finding("table.rows_after_blank", WARNING, sheet,
                             (cell_ref(blank_row, min(header.columns.values())), lead.ref), column, _text(lead),
                             {"blank_row": blank_row, "row": lead.row}),)
    return Located(Table(sheet, header, meta, keys, tuple(lines), tuple(line_rows), decimals, truncated,
                         {k: ref for k, ref in meta_empty.items() if k not in meta}, tuple(hidden),
                         tuple((header.unclaimed[i], ref) for i, ref in sorted(unread.items())),
                         unit_places(head, header.row, min(header.columns.values()), _meta_cells(head, meta))),
                   problems)


def _meta_cells(head: list[Row], meta: dict[str, Cell]) -> list[Cell]:
    """The metadata's value cells and the label cell left of each: never a title line."""
    by_no = dict(head)
    return [*meta.values(), *(c for v in meta.values() if (c := by_no.get(v.row, {}).get(v.col - 1)) is not None)]


# --- metadata ---------------------------------------------------------------------------

def _metadata(head: list[Row], header_row: int, required: frozenset[str] = frozenset()
              ) -> tuple[dict[str, Cell], dict[str, str]]:
    """Label/value pairs above the table: the label in one cell, the value to its right,
    or 'Label: value' in one cell. The first of a field wins. Also, per field whose label
    stands with nothing to its right, the cell where its value belongs.

    A required field found nowhere else is taken from 'Status pr. 30.11' (label, no colon,
    figures that do not read as its value), so the person hears that 30.11 is no date,
    at that cell, rather than that «Opgjort pr.» is missing."""
    found: dict[str, Cell] = {}
    empty: dict[str, str] = {}
    unread: dict[str, Cell] = {}
    for row_no, cells in head:
        if row_no >= header_row:
            break
        cols = sorted(cells)
        for i, col in enumerate(cols):
            cell = cells[col]
            if not isinstance(cell.value, str):
                continue
            norm = normalise_label(cell.value[:MAX_LABEL_CHARS])  # once per cell (see MAX_LABEL_CHARS)
            for key, labels in META_LABELS.items():
                if key in found:
                    continue
                if norm in _META_NORMS[key]:
                    # the value is the next filled cell to the right (staff leave a gap sometimes)
                    right = [cells[c] for c in cols[i + 1:i + 4] if c <= col + 3]
                    if right:
                        found[key] = right[0]
                    else:
                        empty.setdefault(key, cell_ref(cell.row, cell.col + 1))
                    break
                inline = _inline_value(cell, labels, _INLINE_PARSERS.get(key))
                if inline is not None:
                    found[key] = inline
                    break
                if key in required and key in _INLINE_PARSERS:
                    inline = _inline_value(cell, labels, lambda rest: rest[:1].isdigit() or None)
                    if inline is not None:
                        unread.setdefault(key, inline)
                        break
    for key, cell in unread.items():
        if key not in found and key not in empty:
            found[key] = cell
    return found, empty


# Without a colon, 'Status pr. 30.11.2015' is label and value only where the rest reads as
# the field's value: 'Organisation og ledelse' over a table is a title, not a unit
_INLINE_PARSERS: dict[str, Callable[[str], Any]] = {"year": parse_year, "as_of": parse_date,
                                                     "amount_unit": parse_amount_unit}


def _inline_value(cell: Cell, labels: tuple[str, ...], parse: Callable[[str], Any] | None = None) -> Cell | None:
    """'Enhed: Dagtilbud Vest' → a Cell holding 'Dagtilbud Vest' at the same position;
    'Status pr. 30.11.2015' too, where `parse` reads what follows the label."""
    text = str(cell.value).strip()
    for label in labels:
        # any whitespace between the label's words, as normalise_label allows: 'Opgjort\npr.:'
        bare = r"\s+".join(map(re.escape, label.rstrip(".:").split()))
        m = re.match(rf"^\s*{bare}\.?\s*(:)?\s*(\S.*)$", text, re.IGNORECASE)
        if m and (m.group(1) or (parse is not None and text[m.start(2) - 1].isspace()
                                 and parse(m.group(2).strip()) is not None)):
            return Cell(cell.row, cell.col, m.group(2).strip(), cell.formula, cell.number_format)
    return None


# --- header -----------------------------------------------------------------------------

@dataclass(frozen=True)
class _Needles:
    """A kind's header labels as normalised text, for two cheap tests: that a row cannot
    be its header (a required label is found in none of its cells), and that a cell
    cannot be one of its column labels. Both only ever say no where _match would too;
    they keep a row of 16,384 filled cells (poi/53105.xlsx, 5 s before) from going
    through every synonym test of every kind, cell by cell.

    A row is tested as one string, its cells' normalised texts one per line (normalising
    turns line breaks into spaces), with one regex search per required column: a label
    starts a line, a pattern fills one."""

    required: tuple[re.Pattern[str], ...]  # per required column
    label: re.Pattern[str] | None  # any column label, at the start of a cell's text
    years: bool
    flows: tuple[str, ...]  # Tilgang/Afgang: a quarter's column holds one of them somewhere

    @classmethod
    def of(cls, kind: Kind) -> "_Needles":
        def regex(specs: Iterable[Column]) -> re.Pattern[str] | None:
            starts = [re.escape(n) for spec in specs for n in map(normalise_label, spec.labels) if n]
            fills = [f"(?:{p})$" for spec in specs for p in spec.patterns]
            return re.compile("^(?:" + "|".join(starts + fills) + ")", re.MULTILINE) if starts or fills else None

        required = tuple(regex([spec]) for spec in kind.columns if spec.required and not spec.blank_first)
        flows = tuple(n for n in map(normalise_label, kind.quarters.intake + kind.quarters.outflow) if n) \
            if kind.quarters else ()
        return cls(tuple(r if r is not None else re.compile("(?!)") for r in required), regex(kind.columns),
                   kind.years is not None, flows)

    def could_label(self, norm: str) -> bool:
        return self.label is not None and self.label.match(norm) is not None

    def row_may_hold(self, text: str) -> bool:
        """`text`: the normalised texts of a row's cells (both header rows), one per line."""
        if not all(rx.search(text) for rx in self.required):
            return False
        if self.years and not _YEAR_LINE.search(text):
            return False
        return not self.flows or any(f in text for f in self.flows)


_YEAR_LINE = re.compile(r"^\d{4}$", re.MULTILINE)


def _find_header(head: list[Row], kinds: list[Kind]) -> Header | None:
    """The first row (of the first 30) holding all of some kind's required labels."""
    by_no = dict(head)
    needles = [_Needles.of(kind) for kind in kinds]
    texts: dict[int, str] = {}  # row → its cells' normalised texts, one per line, made once

    def texts_of(row_no: int) -> str:
        if row_no not in texts:
            texts[row_no] = "\n".join(normalise_label(_text(c)) for c in by_no.get(row_no, {}).values())
        return texts[row_no]

    for row_no, cells in head:
        if row_no > HEADER_SCAN_ROWS:
            return None
        below = by_no.get(row_no + 1, {})
        both = texts_of(row_no) + "\n" + texts_of(row_no + 1)  # a two-row header's labels are in either
        best: Header | None = None
        for kind, need in zip(kinds, needles):
            if not need.row_may_hold(both):
                continue
            found = _match(kind, row_no, cells, below, need)
            if found is not None and (best is None or len(found.columns) > len(best.columns)):
                best = found
        if best is not None:
            return best
    return None


def _near_miss(sheet: str, head: list[Row], kinds: list[Kind], below: int) -> Finding | None:
    """The row under the metadata that holds most of a kind's column labels but not all:
    'row 8 looks like the header, but Område is missing', at that row's first cell, so a
    person typing 'Områder' learns which label to fix, not only that none was found."""
    best: tuple[int, int, Kind, list[Column], Cell] | None = None
    for row_no, cells in head:
        if row_no <= below or row_no > HEADER_SCAN_ROWS or not cells:
            continue
        labels = [normalise_label(_text(c)) for c in cells.values()]
        for kind in kinds:
            wanted = [c for c in kind.columns if c.required and not c.blank_first and c.labels]
            found: list[Any] = []
            for label in labels:  # each label claims one column: 'Antal borgere 1/1' is start or end
                spec = next((c for c in wanted if c not in found and label and c.matches(label)), None)
                if spec is not None:
                    found.append(spec)
            if kind.years is not None:  # the years count as one label
                found += [c for c in cells.values() if YEAR_LABEL.match(_text(c))][:1]
            flows_missing = False
            if kind.quarters is not None:  # and Tilgang/Afgang, in this row or the one below, as one
                below_cells = dict(head).get(row_no + 1, {})
                flows = [c for c in [*cells.values(), *below_cells.values()] if _is_flow(kind, _text(c))][:1]
                found += flows
                # quarter labels over no Tilgang/Afgang that can be read ('Tilg.', 'K1 Tilg.'): say so
                flows_missing = not flows and any(parse_quarter(_text(c)) or split_quarter_prefix(_text(c))
                                                  for c in cells.values())
            missing = [c for c in wanted if c not in found] + ([_flows_column(kind)] if flows_missing else [])
            slots = len(wanted) + (kind.years is not None) + (kind.quarters is not None)
            if missing and found and 2 * len(found) >= slots and (best is None or len(found) > best[0]):
                best = (len(found), row_no, kind, missing, cells[min(cells)])
    if best is None:
        return None
    _, row_no, kind, missing, first = best
    cells = dict(head)[row_no]
    # the labels no column claims are where the person must look (the 'Områder')
    strays = [c for c in cells.values() if _text(c) and not _known_label(kind, _text(c))]
    if any(c.key == "flows" for c in missing):  # and the 'Tilg.' under a quarter, or 'K1 Tilg.'
        two_rows = any(parse_quarter(_text(c)) for c in cells.values())  # else the row below is data
        strays += [c for c in [*cells.values(), *(dict(head).get(row_no + 1, {}).values() if two_rows else ())]
                   if c not in strays and _text(c) and not _is_flow(kind, _text(c))
                   and (not _known_label(kind, _text(c)) or split_quarter_prefix(_text(c)))]
    shown = " | ".join(_text(c) for c in cells.values())
    return Finding("sheet.header_incomplete", ERROR, sheet, tuple(c.ref for c in strays[:3]) or (first.ref,), "",
                   shown[:200],
                   {"row": row_no, "kind": kind.title, "missing": ", ".join(f"«{c.name}»" for c in missing),
                    "labels": "; ".join(" / ".join(c.labels) for c in missing)})


def _is_flow(kind: Kind, label: str) -> bool:
    """'Tilgang', 'Afgang', or one of them after a quarter ('K1 Tilgang')."""
    assert kind.quarters is not None
    flows = kind.quarters.intake + kind.quarters.outflow
    split = split_quarter_prefix(label)
    return label_matches(label, flows) or (split is not None and label_matches(split[1], flows))


def _flows_column(kind: Kind) -> Column:
    """Tilgang and Afgang as one column, for the near miss to name."""
    assert kind.quarters is not None
    labels = kind.quarters.intake + kind.quarters.outflow
    return Column("flows", " og ".join(labels), labels, "count")


def _known_label(kind: Kind, label: str) -> bool:
    """Whether a header label means something to the kind: a column, a year, a quarter."""
    if any(spec.matches(label) for spec in kind.columns):
        return True
    if kind.years is not None and YEAR_LABEL.match(normalise_label(label)):
        return True
    return kind.quarters is not None and (parse_quarter(label) is not None or bool(split_quarter_prefix(label)))


def _text(cell: Cell | None) -> str:
    if cell is None or is_blank(cell.value):
        return ""
    value = cell.value
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value)[:MAX_LABEL_CHARS]


def _match(kind: Kind, row_no: int, upper: dict[int, Cell], lower: dict[int, Cell],
           need: _Needles | None = None) -> Header | None:
    two_rows = kind.quarters is not None and any(
        label_matches(_text(c), kind.quarters.intake + kind.quarters.outflow) for c in lower.values()
    ) and not any((split := split_quarter_prefix(_text(c))) and _flow(kind, split[1])
                  for c in upper.values())  # 'K1 Tilgang' (or 'Tilgang K1') above: one row
    columns: dict[str, int] = {}
    labels: dict[str, str] = {}
    cells: dict[str, str] = {}
    names: dict[str, str] = {}
    years: list[tuple[int, int]] = []
    quarter_cols: dict[str, int] = {}
    quarter_cells: dict[int, str] = {}
    quarter_flows: list[tuple[str, int, str]] = []
    unclaimed: list[tuple[str, str, list[int]]] = []  # (header cell, label, the columns it heads)
    span: list[int] | None = None  # the columns under an unclaimed label of a two-row header

    def unclaim(col: int, label: str, row: int) -> list[int]:
        unclaimed.append((cell_ref(row, col), label, [col]))
        return unclaimed[-1][2]

    def take(key: str, col: int, label: str, row: int, name: str) -> None:
        columns[key], labels[key], cells[key], names[key] = col, label, cell_ref(row, col), name

    current_quarter: tuple[int, int] | None = None  # (quarter, column of its label)
    for col in sorted(set(upper) | (set(lower) if two_rows else set())):
        top = _text(upper.get(col))
        bottom = _text(lower.get(col)) if two_rows else ""
        if top:
            span = None  # a label in the upper row ends the span of an unclaimed one before it
        if kind.quarters is not None:
            q = parse_quarter(top) if top else None
            if two_rows and q is not None:
                current_quarter = (q[0], col)
                quarter_cells.setdefault(q[0], cell_ref(row_no, col))
            elif two_rows and top:
                current_quarter = None  # another label ends the quarter's span
            flow = _flow(kind, bottom) if two_rows else None
            if two_rows and flow and current_quarter:
                key = f"{flow}_{current_quarter[0]}"
                quarter_flows.append((flow, current_quarter[0], cell_ref(row_no, current_quarter[1])))
                if key not in columns:
                    take(key, col, f"{top or ''} {bottom}".strip(), row_no + 1,
                         f"K{current_quarter[0]} {bottom}")
                    quarter_cols[key] = col
                continue
            split = split_quarter_prefix(top) if not two_rows else None
            if split and _flow(kind, split[1]):
                key = f"{_flow(kind, split[1])}_{split[0]}"
                quarter_flows.append((_flow(kind, split[1]), split[0], cell_ref(row_no, col)))
                if key not in columns:
                    take(key, col, top, row_no, top)
                    quarter_cells.setdefault(split[0], cell_ref(row_no, col))
                    quarter_cols[key] = col
                continue
            if two_rows and q is not None:  # the quarter's label is the kind's; a word under it may not be
                if bottom:
                    unclaim(col, bottom, row_no + 1)
                continue
        if span is not None and bottom:  # under an unclaimed label merged over two columns
            span.append(col)
            continue
        label = top or bottom
        if not label:
            continue
        label_row = row_no if top else row_no + 1
        if kind.years is not None:
            m = YEAR_LABEL.match(normalise_label(label))
            if m and kind.years.low <= int(m.group(1)) <= kind.years.high:
                years.append((int(m.group(1)), col))
                take(f"y{m.group(1)}" if f"y{m.group(1)}" not in columns else f"y{m.group(1)}_{col}",
                     col, label, label_row, m.group(1))
                continue
        # no column's label starts so: spare _claim its synonym-by-synonym tests
        could = need is None or need.could_label(normalise_label(label))
        spec = _claim(kind.columns, columns, label) if could else None
        if spec is not None:
            take(spec.key, col, label, label_row, spec.name)
        elif not (could and any(c.matches(label) for c in kind.columns)):
            # none of the kind's columns ('Forventet 2014' beside 'Forventet 2015' is one, twice)
            cols = unclaim(col, label, label_row)
            span = cols if two_rows and top else None

    # a blank header in the table's first column names the lines (seed 003), or one naming
    # the amount unit ('i 1.000 kr.', WORKBOOKS.md §1); the table's first: nothing left of it
    for spec in kind.columns:
        if spec.key not in columns and spec.blank_first and columns:
            first = min(columns.values()) - 1
            if first >= 1 and _blank_or_unit(_text(upper.get(first))) and not (two_rows and _text(lower.get(first))) \
                    and not any(_text(c) for col, c in upper.items() if col < first):
                take(spec.key, first, _text(upper.get(first)), row_no, spec.name)
    if any(spec.required and spec.key not in columns for spec in kind.columns):
        return None
    if kind.years is not None and not years:
        return None
    if kind.quarters is not None and not quarter_cols:
        return None
    return Header(kind, row_no, 2 if two_rows else 1, columns, labels, cells, names,
                  years=tuple(y for y, _ in years),
                  quarters=tuple(sorted({int(k.split("_")[1]) for k in quarter_cols})),
                  quarter_cells=quarter_cells, quarter_flows=tuple(quarter_flows),
                  unclaimed=tuple(Unclaimed(ref, label, tuple(cols)) for ref, label, cols in unclaimed))


def _years_alone(header: Header) -> bool:
    """Whether the header's only labels are years: every other column it found is a blank
    first column (no corner text, no label of the kind's)."""
    return bool(header.years) and all(key.startswith("y") or not header.labels.get(key) for key in header.columns)


def _blank_or_unit(text: str) -> bool:
    return not text or unit_in_text(text) is not None


_YEAR_IN_LABEL = re.compile(r"(?<!\d)(\d{4})(?!\d)")


def _of_the_year(header: Header, cells: dict[int, Cell], year: int | None) -> Header:
    """Where the header holds a column twice, one per year ('Forventet 2014 | Forventet
    2015', last year's perhaps hidden), the one whose label names the report's year (År)
    rather than the first: a 2015 report's figures are those of 2015."""
    if year is None:
        return header
    columns, labels, cells_of = dict(header.columns), dict(header.labels), dict(header.cells)
    for spec in header.kind.columns:
        key = spec.key
        if key not in columns or not spec.labels or _label_year(spec, labels[key]) in (None, year):
            continue
        used = set(columns.values())
        for col in sorted(cells):
            text = _text(cells[col])
            if col not in used and spec.matches(text) and _label_year(spec, text) == year:
                columns[key], labels[key], cells_of[key] = col, text, cell_ref(header.row, col)
                break
    if columns == header.columns:
        return header
    return replace(header, columns=columns, labels=labels, cells=cells_of)


def _label_year(spec: Column, label: str) -> int | None:
    """The year in the suffix after a column's word ('Forventet 2015' → 2015), if any."""
    synonym = matched_synonym(label, spec.labels)
    if synonym is None:
        return None
    found = _YEAR_IN_LABEL.findall(normalise_label(label)[len(normalise_label(synonym)):])
    return int(found[-1]) if found else None


def _flow(kind: Kind, text: str) -> str | None:
    assert kind.quarters is not None
    if label_matches(text, kind.quarters.intake):
        return "in"
    if label_matches(text, kind.quarters.outflow):
        return "out"
    return None


def _claim(specs: tuple[Column, ...], taken: dict[str, Any], label: str) -> Column | None:
    """The first unclaimed column whose labels match; the longest synonym wins a tie
    ('Antal primo' over 'Primo')."""
    best: tuple[int, Column] | None = None
    for spec in specs:
        if spec.key in taken or not spec.matches(label):
            continue
        size = len(matched_synonym(label, spec.labels) or "") if spec.labels else 99
        if best is None or size > best[0]:
            best = (size, spec)
    return best[1] if best else None


# --- lines ------------------------------------------------------------------------------

def _lines(head: list[Row], rest: Iterator[Row], header: Header, keys: tuple[str, ...], max_rows: int,
           hidden: list[str], unread: dict[int, str]
           ) -> tuple[list[tuple[Any, ...]], list[int], dict[str, int], bool, tuple[int, Cell] | None]:
    """Table rows below the header, up to the first blank row or a footnote row; and,
    where the table ends at a blank row with what looks like more lines right under it,
    (that blank row, the first cell of the line under it). The cells whose number format
    shows nothing (';;;') are added to `hidden`. Fills `unread`: per unclaimed header
    column (its index in header.unclaimed) with a number in the table's rows, the first
    such cell."""
    first = header.row + header.depth
    columns = [header.columns[k] for k in keys]
    wanted = set(columns)
    # per column, the most decimals its plain numbers show: a format fixes them, General's
    # own digits decide for the rest; the precision a total is held to
    decimals: dict[str, int] = {}
    looks: dict[str, tuple[int | None, Shown]] = {}  # number format → (decimals it fixes, what it shows)
    lines: list[tuple[Any, ...]] = []
    line_rows: list[int] = []
    expected = first
    # sheet column → its unclaimed header, until a number is found under it; a share ('Opnået
    # i %') is no figure of its own, so it is never asked
    pending = {col: i for i, u in enumerate(header.unclaimed) if not names_a_share(u.label) for col in u.columns}

    def done() -> tuple[list[tuple[Any, ...]], list[int], dict[str, int], bool]:
        return lines, line_rows, decimals, False

    def rows() -> Iterator[Row]:
        yield from (r for r in head if r[0] >= first)
        yield from rest

    stream = rows()
    for row_no, cells in stream:
        if row_no != expected:  # a missing row in the file is a blank row
            return (*done(), _stray_line(header, keys, expected, itertools.chain([(row_no, cells)], stream)))
        present = [c for c in cells if c in wanted]
        if not present:
            return (*done(), _stray_line(header, keys, expected, stream))
        lead = cells[min(present)]
        if isinstance(lead.value, str) and FOOTNOTE.match(lead.value):
            break
        if len(lines) >= max_rows:
            return lines, line_rows, decimals, True, None
        if pending:
            for col in sorted(pending.keys() & cells.keys()):
                if col in pending and _shows_a_number(cells[col]):
                    found = pending[col]
                    unread[found] = cells[col].ref
                    pending = {c: i for c, i in pending.items() if i != found}
        line = []
        for key, col in zip(keys, columns):
            cell = cells.get(col)
            if cell is None:
                line.append(None)
                continue
            look = looks.get(cell.number_format)
            if look is None:
                look = looks[cell.number_format] = (format_decimals(cell.number_format), shown(cell.number_format))
            fixed, how = look
            number = type(cell.value) is float or type(cell.value) is int
            if how is not PLAIN:  # the rare format that hides, scales or shows percent: looked at closer
                if how.hidden if number else how.hidden_text:
                    hidden.append(cell.ref)
                if number and how.is_percent(cell.value):
                    number = False  # validate reads it: a percentage where a figure may not be one
            if cell.formula or not number:
                line.append(cell)  # text, a formula: validate reads it
                continue
            value = float(cell.value)
            shown_here = fixed if fixed is not None else 0 if value.is_integer() else decimals_shown(value, "General")
            if shown_here > decimals.get(key, -1):
                decimals[key] = shown_here
            line.append(value)
        lines.append(tuple(line))
        line_rows.append(row_no)
        expected += 1
    return (*done(), None)


# A blank row or two between lines is what people leave; a table further down is set off by more,
# or by a title or header row of its own
STRAY_LOOKAHEAD = 2


def _stray_line(header: Header, keys: tuple[str, ...], blank_row: int, after: Iterator[Row]
                ) -> tuple[int, Cell] | None:
    """(the blank row, the first cell of the row under it) when the first filled row within
    STRAY_LOOKAHEAD rows under the blank row that ended the table looks like one of its
    lines: a name in a line column and a number in a figure column ('Botilbud | 5 | 4,5',
    or the 'I alt' row). The table still ends at the blank row (WORKBOOKS.md §1); this only
    says what it left out."""
    columns = {header.columns[k]: k for k in keys}
    types = {spec.key: spec.type for spec in header.kind.columns}
    for row_no, cells in after:
        if row_no > blank_row + STRAY_LOOKAHEAD:
            return None
        present = sorted(c for c in cells if c in columns)
        if not present:
            continue
        lead = cells[present[0]]
        if isinstance(lead.value, str) and FOOTNOTE.match(lead.value):
            return None
        named = [cells[c] for c in present if columns[c] in header.kind.line_columns and _text(cells[c]).strip()]
        figures = [cells[c] for c in present if types.get(columns[c]) not in ("text", "status")]
        if named and any(_is_figure(c) for c in figures):
            return blank_row, named[-1]  # the initiative rather than its track
        return None
    return None


def _is_figure(cell: Cell) -> bool:
    if cell.formula or (type(cell.value) in (int, float)):
        return True
    try:
        return parse_number(cell.value) is not None
    except NotANumber:
        return False


def _shows_a_number(cell: Cell) -> bool:
    """Whether a person sees a figure in the cell: a number, a formula (its cached value a
    number, or not calculated yet) or Danish number text. A date, a dash or a share ('51%',
    a percent format) is none: a notes column may hold them without a figure being lost."""
    value = cell.value
    if "%" in (cell.number_format or "") or isinstance(value, bool):
        return False
    if cell.formula and value is None:
        return True
    if isinstance(value, (int, float)):
        return True
    if not isinstance(value, str) or "%" in value or not any(ch.isdigit() for ch in value):
        return False
    try:
        return parse_number(value) is not None
    except NotANumber:
        return False

# --- which kinds could read the same sheet (schemas.discover refuses them) -----------------

def sample_header(kind: Kind) -> dict[int, Cell]:
    """The smallest header row `kind` accepts: one label of each required column, two years
    of its range, a quarter's intake and outflow; a blank first cell where its line column
    may be unlabelled. What a sheet meant for `kind` holds at least."""
    labels: list[str] = []
    blank = any(spec.blank_first for spec in kind.columns if spec.required)
    labels += [spec.labels[0] for spec in kind.columns if spec.required and not spec.blank_first and spec.labels]
    if kind.years is not None:
        labels += [str(kind.years.low + 20), str(kind.years.low + 21)]
    if kind.quarters is not None:
        labels += [f"K1 {kind.quarters.intake[0]}", f"K1 {kind.quarters.outflow[0]}"]
    start = 2 if blank else 1
    return {col: Cell(1, col, label) for col, label in enumerate(labels, start=start)}


def claims(kind: Kind, other: Kind) -> bool:
    """Whether `kind` would read a sheet holding only `other`'s required header labels."""
    return _match(kind, 1, sample_header(other), {}) is not None
