"""Benchmark: syncservice `check` against pandas + pandera and frictionless, on the same files.

    .venv/bin/python -m pip install -e '.[bench]'     # frictionless, for this script only
    .venv/bin/python bench/compare.py [--sizes 20,1000,10000,50000] [--repeat 3]

For each size, one tilgang_afgang workbook (bench/workbooks.py: day services over four
quarters, balanced, an 'I alt' total row; saved by LibreOffice when it is installed, as
a person's spreadsheet program would) is validated in this one process by:

  bare          openpyxl.load_workbook(read_only=True) and every row's values: the baseline
  syncservice   syncservice.pipeline.check_path, what `syncservice check FILE` runs: a
                private copy, read, find metadata and header, validate, every rule of the kind
  pandas        pandas.read_excel, then the pandera schema below (lazy: every failure)
  frictionless  frictionless's validate with the Table Schema, row constraint and check below

The other two are given the table's position (data from row 8, columns in a fixed order);
syncservice finds the metadata block and the two-row header itself. All three check the
same rules: counts are whole numbers >= 0, day services named and unique, the total row
equals the sum of the others, start + intake - outflow = end on every row. syncservice
checks more besides (metadata, quarter sequence, running count, capacity warnings).
Before timing, each validator must accept the clean 20-row file and find every planted
problem in a broken copy (a text in a count, a negative count, a repeated name, a row
out of balance, a wrong total), so none is timed doing less than the others.

Each size runs every validator --repeat times (ten times as often up to 1,000 rows,
where a run takes milliseconds), in rotating order; the table shows the best time (noise
from other processes only ever adds), its ratio to the bare read, and microseconds per
table row; the last lines say how each one's cost grows with rows.
Goal (issue 6): syncservice faster than both pandas + pandera and frictionless at every size.
"""

from __future__ import annotations

import argparse
import gc
import math
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

import openpyxl  # noqa: E402
import pandas as pd  # noqa: E402
import pandera  # noqa: E402
import pandera.pandas as pa  # noqa: E402

from syncservice.base.config import defaults  # noqa: E402
from syncservice.pipeline import check_path  # noqa: E402

import workbooks  # noqa: E402  (puts tests/ on the path for book)
import book  # noqa: E402

try:
    import frictionless
    from frictionless import Check, Checklist, Dialect, Resource, Schema, checks, errors, fields
    from frictionless.formats import ExcelControl
except ImportError:  # pragma: no cover - the message says what to do
    sys.exit("frictionless is missing: .venv/bin/python -m pip install -e '.[bench]'")

SHEET = "Tilgang og afgang"
FIRST_DATA_ROW = 8  # title, blank, Enhed, År, blank, two header rows
QUARTERS = (1, 2, 3, 4)
INTAKE = [f"in_{q}" for q in QUARTERS]
OUTFLOW = [f"out_{q}" for q in QUARTERS]
FIGURES = ["start", *[f for q in QUARTERS for f in (f"in_{q}", f"out_{q}")], "end", "capacity"]
COLUMNS = ["name", *FIGURES]
TOTAL_LABELS = {"total", "i alt", "alle", "sum"}  # WORKBOOKS.md §1, any case
HALF_UNIT = 0.5  # counts are shown without decimals

# --- pandas + pandera ------------------------------------------------------------------------


def _is_total(names: pd.Series) -> pd.Series:
    return names.astype(str).str.strip().str.lower().isin(TOTAL_LABELS)


def _balanced(df: pd.DataFrame) -> pd.Series:
    return df["start"] + df[INTAKE].sum(axis=1) - df[OUTFLOW].sum(axis=1) == df["end"]


def _total_is_sum(df: pd.DataFrame) -> pd.DataFrame:
    """True everywhere but in the total row's cells that differ from the others' sum."""
    total = _is_total(df["name"])
    ok = pd.DataFrame(True, index=df.index, columns=df.columns)  # pandera wants the frame's shape
    ok.loc[total, FIGURES] = (df.loc[total, FIGURES] - df.loc[~total, FIGURES].sum()).abs() <= HALF_UNIT
    return ok


COUNT = [pa.Check.ge(0)]
PANDERA = pa.DataFrameSchema(
    {"name": pa.Column(str, nullable=False, unique=True),
     **{f: pa.Column(int, COUNT, nullable=False) for f in FIGURES if f != "capacity"},
     "capacity": pa.Column(int, COUNT, nullable=True, required=False)},
    checks=[pa.Check(_balanced, name="balance"),
            pa.Check(_total_is_sum, name="total")],
    strict=True,
)


def pandas_pandera(path: Path) -> set[str]:
    df = pd.read_excel(path, sheet_name=SHEET, header=None, skiprows=FIRST_DATA_ROW - 1, names=COLUMNS)
    try:
        PANDERA.validate(df, lazy=True)
    except pa.errors.SchemaErrors as exc:
        return {_pandera_kind(str(check)) for check in exc.failure_cases["check"]}
    return set()


def _pandera_kind(check: str) -> str:
    if check.startswith("dtype"):
        return "type"
    if check.startswith("greater_than"):
        return "range"
    return {"field_uniqueness": "unique", "balance": "balance", "total": "total"}.get(check, check)


# --- frictionless ----------------------------------------------------------------------------


class TotalError(errors.RowError):
    type = "total-mismatch"
    title = "Total"
    description = "A total row's figure differs from the sum of the other rows."
    template = "The total row at position {rowNumber} does not add up: {note}"


class total_is_sum(Check):  # noqa: N801 - frictionless names checks in lower case
    """The total row equals the sum of the other rows (compared once all rows are read)."""

    type = "total-is-sum"
    Errors = [TotalError]

    def validate_start(self):  # type: ignore[no-untyped-def]
        self._sums = dict.fromkeys(FIGURES, 0)
        self._totals = []
        yield from []

    def validate_row(self, row):  # type: ignore[no-untyped-def]
        if str(row["name"]).strip().lower() in TOTAL_LABELS:
            self._totals.append(row)
        else:
            for f in FIGURES:
                if isinstance(row[f], int):
                    self._sums[f] += row[f]
        yield from []

    def validate_end(self):  # type: ignore[no-untyped-def]
        for row in self._totals:
            wrong = [f for f in FIGURES if isinstance(row[f], int) and abs(row[f] - self._sums[f]) > HALF_UNIT]
            if wrong:
                yield TotalError.from_row(row, note=", ".join(wrong))


def _frictionless_schema() -> Schema:
    count = {"minimum": 0}
    return Schema(fields=[
        fields.StringField(name="name", constraints={"required": True, "unique": True}),
        *[fields.IntegerField(name=f, constraints={**count, "required": f != "capacity"}) for f in FIGURES],
    ])


BALANCE = "start + " + " + ".join(INTAKE) + " - " + " - ".join(OUTFLOW) + " == end"


def frictionless_validate(path: Path) -> set[str]:
    resource = Resource(path.name, basepath=str(path.parent), format="xlsx", schema=_frictionless_schema(),
                        dialect=Dialect(header=False, comment_rows=list(range(1, FIRST_DATA_ROW)),
                                        controls=[ExcelControl(sheet=SHEET)]))
    report = frictionless.validate(resource, checks=[checks.row_constraint(formula=BALANCE), total_is_sum()],
                                   limit_errors=10_000)
    kinds = {"type-error": "type", "constraint-error": "range", "unique-error": "unique",
             "row-constraint": "balance", "total-mismatch": "total"}
    found = {kinds.get(e.type, e.type) for task in report.tasks for e in task.errors}
    return found | {e.type for e in report.errors}


# --- syncservice and the bare read -----------------------------------------------------------------


def syncservice_check(path: Path, config) -> set[str]:  # type: ignore[no-untyped-def]
    verdict = check_path(path, config)
    kinds = {"value.not_number": "type", "value.negative": "range", "row.duplicate": "unique",
             "tilgang.balance": "balance", "total.mismatch": "total"}
    return {kinds.get(f.rule, f.rule) for f in verdict.errors}


def bare(path: Path) -> set[str]:
    wb = openpyxl.load_workbook(path, read_only=True)
    for ws in wb.worksheets:
        for _row in ws.iter_rows(values_only=True):
            pass
    wb.close()
    return set()


# --- files --------------------------------------------------------------------------------------

PLANTED = {"type", "range", "unique", "balance", "total"}


def build(folder: Path, rows: int) -> Path:
    path = workbooks.intake_outflow(folder / f"Tilgang {rows}.xlsx", rows, total=True)
    if book.SOFFICE:  # saved by a real spreadsheet program, as staff's files are
        path = book.resave_with_libreoffice(path, folder / "lo")
    return path


def broken(folder: Path) -> Path:
    """The 20-row file with one of each planted problem; the total row still adds up
    except where a total is planted wrong, so each problem shows once."""
    path = workbooks.intake_outflow(folder / "Tilgang brudt.xlsx", 20, total=True)
    wb = openpyxl.load_workbook(path)
    ws = wb[SHEET]
    first, total = FIRST_DATA_ROW, FIRST_DATA_ROW + 20
    col = {name: i + 1 for i, name in enumerate(COLUMNS)}
    ws.cell(first + 1, 1).value = ws.cell(first, 1).value                       # a repeated name
    ws.cell(first + 2, col["end"]).value += 1                                    # out of balance
    ws.cell(first + 3, col["in_2"]).value = "ca. 5"                               # text in a count
    ws.cell(first + 4, col["capacity"]).value = -1                               # a negative count
    for f in FIGURES:  # totals of what is now there, then one of them wrong
        ws.cell(total, col[f]).value = sum(v for r in range(first, total)
                                           if isinstance(v := ws.cell(r, col[f]).value, int))
    ws.cell(total, col["start"]).value += 7                                      # a wrong total
    wb.save(path)
    return book.resave_with_libreoffice(path, folder / "lo") if book.SOFFICE else path


# --- running --------------------------------------------------------------------------------------

def validators(config) -> dict[str, Callable[[Path], set[str]]]:  # type: ignore[no-untyped-def]
    return {"bare": bare, "syncservice": lambda p: syncservice_check(p, config),
            "pandas": pandas_pandera, "frictionless": frictionless_validate}


LABELS = {"bare": "bare openpyxl read", "syncservice": "syncservice check",
          "pandas": "pandas + pandera", "frictionless": "frictionless validate"}


def sanity(folder: Path, tools: dict[str, Callable[[Path], set[str]]]) -> None:
    """Each validator accepts the clean file and finds every planted problem."""
    clean, bad = build(folder, 20), broken(folder)
    print("planted problems found (type, range, unique, balance, total):")
    for name, tool in tools.items():
        if name == "bare":
            continue
        ok, found = tool(clean), tool(bad)
        print(f"  {LABELS[name]:<22} clean file: {sorted(ok) or 'accepted'}; broken file: {sorted(found & PLANTED)}")
        assert not ok, f"{name} rejects the clean file: {ok}"
        assert PLANTED <= found, f"{name} misses {PLANTED - found}"


def timed(tool: Callable[[Path], set[str]], path: Path) -> float:
    gc.collect()
    started = time.perf_counter()
    problems = tool(path)
    seconds = time.perf_counter() - started
    assert not problems, problems
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="20,1000,10000,50000", help="table rows, comma-separated")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each validator per size")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    warnings.simplefilter("ignore")  # openpyxl and frictionless chatter; nothing timed depends on it
    with tempfile.TemporaryDirectory(prefix="bench-compare-") as tmp:
        folder = Path(tmp)
        tools = validators(defaults(folder))
        print(f"frictionless {frictionless.__version__}, pandas {pd.__version__}, pandera {pandera.__version__}, "
              f"openpyxl {openpyxl.__version__}; files saved by {'LibreOffice' if book.SOFFICE else 'openpyxl'}")
        sanity(folder, tools)
        best: dict[int, dict[str, float]] = {}
        for rows in sizes:
            path = build(folder, rows)
            runs: dict[str, list[float]] = {name: [] for name in tools}
            repeat = args.repeat * (10 if rows <= 1_000 else 1)  # small files: milliseconds, noise weighs more
            for r in range(repeat):
                order = list(tools)[r % len(tools):] + list(tools)[:r % len(tools)]
                for name in order:
                    runs[name].append(timed(tools[name], path))
            best[rows] = {name: min(times) for name, times in runs.items()}
            path.unlink()
        report(best, args.repeat)


def report(best: dict[int, dict[str, float]], repeat: int) -> None:
    print(f"\n{'rows':>7}  {'validator':<22} {'best s':>8} {'x bare':>7} {'us/row':>8}")
    met = True
    for rows, times in best.items():
        for name, seconds in times.items():
            print(f"{rows:>7,}  {LABELS[name]:<22} {seconds:>8.3f} {seconds / times['bare']:>7.2f} "
                  f"{seconds / rows * 1e6:>8.0f}")
        faster = times["syncservice"] < min(times["pandas"], times["frictionless"])
        met &= faster
        print(f"{'':>7}  time / syncservice's: pandas + pandera {times['pandas'] / times['syncservice']:.2f}, "
              f"frictionless {times['frictionless'] / times['syncservice']:.2f}"
              f"{'' if faster else '  (syncservice not the fastest)'}\n")
    sizes = list(best)
    if len(sizes) > 1:
        lo, hi = sizes[0], sizes[-1]
        print(f"growth from {lo:,} to {hi:,} rows ({hi / lo:,.0f}x the rows); exponent k in time ~ rows^k "
              f"between the two largest sizes:")
        a, b = sizes[-2], sizes[-1]
        for name in best[lo]:
            k = math.log(best[b][name] / best[a][name]) / math.log(b / a)
            print(f"  {LABELS[name]:<22} {best[hi][name] / best[lo][name]:>8.0f}x the time, k = {k:.2f}")
    print(f"\nbest of {repeat} (x10 up to 1,000 rows); goal, syncservice faster than both at every size: "
          f"{'met' if met else 'NOT met'}")


if __name__ == "__main__":
    main()
