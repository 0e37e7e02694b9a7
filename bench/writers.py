"""Benchmark: the consolidated workbook written by today's writer and by XlsxWriter (issue 21).

    .venv/bin/python -m pip install -e '.[bench]'   # xlsxwriter, for this script only
    .venv/bin/python bench/writers.py [--repeat 3] [--rows 50000]  # about 15 minutes, most of it the large store

Two stores, each filled through the real pipeline (Pipeline.process, file by file):

  typical  21 current reports: 20 handleplans of 20 lines (bench/workbooks.py typical(),
           each its own unit) and one tilgang_afgang sheet of 40 day services
  large    the same and one tilgang_afgang report of 50,000 day services (550,000 figures,
           so as many rows on the Data sheet and 50,000 lines on its overview sheet)

For each store, each in fresh processes:

  ours             Pipeline.write_summary(): today's writer (openpyxl write-only, the rows of
                   the overview and Data sheets as sheet XML), reading the store as it goes;
                   the baseline (x ours = 1.00)
  xlsxwriter       the same workbook content written with XlsxWriter's public API
                   (bench/writers_xlsxwriter.py), default mode: every cell held until close()
  constant_memory  the same in XlsxWriter's constant_memory mode (a row written out as the
                   next begins), where add_table is refused: the Data sheet's table range gets
                   an autofilter instead, and the run says so

and, as context for reading the three, two parts of them on their own:

  (store read)     the store's figures read twice, as write_summary reads them (the columns'
                   layout, then the rows): what a writer fed from the store reads in any case
  (dump read)      the dumped cells read back, nothing written: the part of the XlsxWriter
                   times that stands for reading the store

What XlsxWriter writes is what ours wrote, taken apart outside anything timed
(bench/writers_dump.py): ours writes the workbook once; openpyxl reads it back (read-only:
each cell's value, number format, font, fill, alignment and borders; the widths, panes,
table, conditional formats, charts and page setup from a copy without its rows); the cells
go to a file in chunks of rows, which the XlsxWriter runs stream while writing, so no run
holds the whole workbook before it starts (and constant_memory's peak is its own). Each
look is one XlsxWriter Format, made once and reused; the file is replaced as ours is
(syncservice.base.durable.atomic_write: temp file, fsync, rename). The XlsxWriter file of the typical
store is checked cell by cell against ours (value, number format, bold, italic, fill);
of the large store, by the number of cells written.

Every process first imports what the service has loaded anyway (syncservice.pipeline,
so pandas, pandera and openpyxl) and xlsxwriter, so the peaks compare; the import
baseline is printed apart. Typical: --repeat processes per writer, each writing once to
warm up and then 5 times, timed; large: --repeat processes per writer, each writing once.
The writers take turns (rotating order), so what else the machine does weighs on each
alike. Reported: the median wall time, its ratio to ours in the same run, the ratio of
median CPU times, the highest peak RSS of a process and the file size.

Last, the rejection report (syncservice/outputs/feedback): a typical rejected handleplan
(20 lines, a text in a figure and a wrong total) through Pipeline.process once, then
write_report() timed on its own, with its parts (openpyxl loading and marking the
person's workbook, saving it, the text twin, replacing both files durably) and the
check of the same file for scale.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

from pipeline import machine  # noqa: E402  (bench/pipeline.py: the same machine line)

HANDLEPLANS = 20
SMALL_FLOW, LARGE_FLOW = 40, 50_000  # day services: the typical store's sheet, the large one's
TYPICAL_PER_PROCESS = 5  # typical: timed writes per process, after one to warm up
FEEDBACK_RUNS = 20
WRITERS = ("ours", "xlsxwriter", "constant_memory")
CONTEXT = ("store read", "dump read")
LABELS = {"ours": "ours (openpyxl + XML rows)", "xlsxwriter": "xlsxwriter", "constant_memory":
          "xlsxwriter constant_memory", "store read": "(store read alone)", "dump read": "(dump read alone)"}


# --- in the child process ---------------------------------------------------------------------

def peak_mb() -> float:
    """This process's peak RSS so far (VmHWM). Not getrusage's ru_maxrss, which on Linux starts
    from the parent's peak (execve keeps the old memory's high-water mark: fs/exec.c,
    setmax_mm_hiwater_rss), and this parent holds a store and a workbook read back."""
    with open("/proc/self/status", encoding="ascii") as status:
        line = next(line for line in status if line.startswith("VmHWM:"))
    return int(line.split()[1]) / 1024


def measure(mode: str, work: Path, runs: int, warm: int) -> dict:
    """Runs in a fresh process: `warm` untimed and `runs` timed rounds of `mode` on the store in `work`."""
    import xlsxwriter  # noqa: F401 - every process holds the same modules, so peaks compare
    from loguru import logger

    from syncservice.base.config import defaults
    from syncservice.base.durable import atomic_write
    from syncservice.outputs.consolidated import workbook  # noqa: F401 - write_summary imports it late
    from syncservice.pipeline import Pipeline
    from syncservice.store.db import Store

    import writers_dump
    import writers_xlsxwriter

    logger.remove()  # no log lines: they would only time the terminal
    imports_mb = peak_mb()
    config = defaults(work)
    store = Store.open(config.path("database")) if mode in ("ours", "store read") else None
    pipeline = Pipeline(config, store) if mode == "ours" and store is not None else None
    target = work / f"{mode}.xlsx"
    refused: list[str] = []
    cells = 0

    def once() -> tuple[float, float]:
        nonlocal refused, cells
        started, cpu = time.perf_counter(), time.process_time()
        if pipeline is not None:
            pipeline.write_summary()
        elif mode == "store read":
            assert store is not None
            for _ in range(2):  # write_consolidated reads them twice: layout, then rows
                for _row in store.current_data_rows():
                    pass
        elif mode == "dump read":
            frame = writers_dump.load_frame(work / "dump")
            with open(work / "dump" / "cells.pickle", "rb") as src:
                for _sheet in frame["sheets"]:
                    for _chunk in writers_dump.sheet_chunks(src):
                        pass
        else:  # replaced as ours is (durable.atomic_write: a temp file, fsync, rename), so both pay for it
            done: dict = {}
            atomic_write(target, lambda tmp: done.update(
                writers_xlsxwriter.write(work / "dump", tmp, constant_memory=mode == "constant_memory")))
            refused, cells = done["refused"], done["cells"]
        return time.perf_counter() - started, time.process_time() - cpu

    try:
        for _ in range(warm):
            once()
        timed = [once() for _ in range(runs)]
    finally:
        if store is not None:
            store.close()
    written = config.path("consolidated") if mode == "ours" else target
    return {"wall": [w for w, _ in timed], "cpu": [c for _, c in timed], "imports_mb": imports_mb,
            "peak_mb": peak_mb(), "size": written.stat().st_size if mode in WRITERS else None, "refused": refused, "cells": cells}


def measure_feedback(work: Path, runs: int) -> dict:
    """Runs in a fresh process: one rejected handleplan through the pipeline, then its report timed."""
    import xlsxwriter  # noqa: F401
    from loguru import logger

    import workbooks  # noqa: F401, I001 - puts tests/ on the path for book, so before it
    import book
    from syncservice.base.config import defaults
    from syncservice.base.durable import atomic_write
    from syncservice.base.models import StagedFile
    from syncservice.outputs.feedback.report import report_paths, write_report
    from syncservice.outputs.feedback.sheet import annotate
    from syncservice.outputs.feedback.text import text_report
    from syncservice.pipeline import Pipeline, check_path
    from syncservice.store.db import Store

    logger.remove()
    config = defaults(work)
    rel = "Fredensborg/Handleplan 2015.xlsx"
    source = work / "watched" / rel
    source.parent.mkdir(parents=True)
    lines = [[f"{name} {n}", t, r, e] for n in (1, 2) for name, t, r, e in book.HANDLEPLAN_LINES]
    rows = book.handleplan(lines=lines)
    rows[8][1] += 7  # the total's Mål no longer the sum of the lines
    rows[12][2] = "ca. 3"  # a text where Realiseret should be a number
    book.save(source, {"Handleplan": rows})

    store = Store.open(config.path("database"))
    try:
        pipeline = Pipeline(config, store)
        outcome = pipeline.process(source)  # also warms every module up
        assert outcome.status == "rejected" and outcome.verdict is not None, outcome
        xlsx, _txt = report_paths(rel, config.path("feedback"))
        assert xlsx.exists(), xlsx
        errors = sorted(f.rule for f in outcome.verdict.errors)
        warnings = sorted(f.rule for f in outcome.verdict.warnings)
        message = pipeline.message
    finally:
        store.close()
    staged = work / "staged.xlsx"
    shutil.copyfile(source, staged)
    data = staged.read_bytes()
    staged_file = StagedFile(source, rel, staged, hashlib.sha256(data).hexdigest(), len(data), 0)
    verdict = check_path(source, config, rel=rel)
    now = dt.datetime.now(dt.UTC)
    out = work / "out"
    out.mkdir()

    def timed(step) -> float:  # type: ignore[no-untyped-def]
        times = []
        for _ in range(runs):
            started = time.perf_counter()
            step()
            times.append(time.perf_counter() - started)
        return statistics.median(times)

    marked = annotate(staged, verdict, language="da", now=now, rel=rel, message=message)
    assert marked is not None
    marked.save(out / "marked.xlsx")
    copy, twin = (out / "marked.xlsx").read_bytes(), xlsx.with_suffix(".txt").read_bytes()

    def replace_both() -> None:  # as write_report replaces each: temp file, fsync, rename, fsync the folder
        atomic_write(out / "copy.xlsx", lambda tmp: tmp.write_bytes(copy))
        atomic_write(out / "copy.txt", lambda tmp: tmp.write_bytes(twin))

    result = {
        "report": timed(lambda: write_report(staged_file, verdict, out, language="da", now=now, message=message)),
        "annotate": timed(lambda: annotate(staged, verdict, language="da", now=now, rel=rel, message=message)),
        "save": timed(lambda: marked.save(out / "marked.xlsx")),
        "text": timed(lambda: text_report(rel, verdict, language="da", now=now, message=message,
                                          copy=xlsx.name, sheets=marked.sheetnames)),
        "replace": timed(replace_both),
        "check": timed(lambda: check_path(source, config, rel=rel)),
        "errors": errors, "warnings": warnings, "size": xlsx.stat().st_size,
        "peak_mb": peak_mb(),
    }
    return result


# --- in the parent ----------------------------------------------------------------------------

def build(work: Path, large_rows: int) -> dict[str, int]:
    """A store in `work` filled through the pipeline, ours' workbook of it (work/reference.xlsx)
    and its dump (work/dump); returns the cells per sheet."""
    from loguru import logger

    import workbooks
    import writers_dump
    from syncservice.base.config import defaults
    from syncservice.pipeline import Pipeline
    from syncservice.store.db import Store

    logger.remove()
    config = defaults(work)
    source, watched = work / "source", work / "watched"
    source.mkdir(parents=True)
    watched.mkdir()
    files = [workbooks.typical(source / f"Handleplan {n:02}.xlsx", unit=f"Handicap og Socialpsykiatri {n:02}")
             for n in range(HANDLEPLANS)]
    files.append(workbooks.intake_outflow(source / "Tilgang lille.xlsx", SMALL_FLOW, unit="Lille enhed"))
    if large_rows:
        files.append(workbooks.intake_outflow(source / "Tilgang stor.xlsx", large_rows, unit="Stor enhed"))
    store = Store.open(config.path("database"))
    try:
        pipeline = Pipeline(config, store)
        for path in files:
            target = watched / path.name
            shutil.copy(path, target)
            outcome = pipeline.process(target)
            assert outcome.status == "accepted", outcome
        reference = work / "reference.xlsx"
        shutil.copy(pipeline.write_summary(), reference)
    finally:
        store.close()
    shutil.rmtree(source)
    (work / "dump").mkdir()
    return writers_dump.dump(reference, work / "dump")


def child(args: list[str]) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", *args], capture_output=True, text=True)
    if out.returncode:
        sys.exit(f"{args[0]} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def run(work: Path, large: bool, repeat: int) -> dict[str, dict]:
    """Each mode in `repeat` fresh processes, the modes taking turns in a rotating order."""
    modes = [*WRITERS, *CONTEXT]
    runs, warm = (1, 0) if large else (TYPICAL_PER_PROCESS, 1)
    results: dict[str, list[dict]] = {mode: [] for mode in modes}
    for turn in range(repeat):
        for mode in modes[turn % len(modes):] + modes[:turn % len(modes)]:
            results[mode].append(child([mode, str(work), str(runs), str(warm)]))
    return {mode: {"wall": statistics.median(w for r in rs for w in r["wall"]),
                   "cpu": statistics.median(c for r in rs for c in r["cpu"]),
                   "peak_mb": max(r["peak_mb"] for r in rs), "imports_mb": max(r["imports_mb"] for r in rs),
                   "size": rs[-1]["size"], "refused": rs[-1]["refused"], "cells": rs[-1]["cells"]}
            for mode, rs in results.items()}


def same_cells(reference: Path, written: Path) -> list[str]:
    """Where `written` differs from `reference`: sheets, values, number formats, bold, italic, fill;
    charts, conditional formats and frozen panes per sheet."""
    import openpyxl

    def look(cell):  # type: ignore[no-untyped-def]
        fill = cell.fill.fgColor.rgb[-6:] if cell.fill.fill_type == "solid" else None
        return cell.number_format, bool(cell.font.b), bool(cell.font.i), fill

    ours, theirs = openpyxl.load_workbook(reference), openpyxl.load_workbook(written)
    if ours.sheetnames != theirs.sheetnames:
        return [f"sheets {ours.sheetnames} / {theirs.sheetnames}"]
    differ = []
    for a, b in zip(ours.worksheets, theirs.worksheets):
        for what, x, y in (("charts", len(a._charts), len(b._charts)), ("freeze", a.freeze_panes, b.freeze_panes),
                           ("conditional", sum(len(cf.rules) for cf in a.conditional_formatting),
                            sum(len(cf.rules) for cf in b.conditional_formatting))):
            if x != y:
                differ.append(f"{a.title} {what}: {x} / {y}")
        for row in a.iter_rows(min_row=1, max_row=max(a.max_row, b.max_row), max_col=max(a.max_column, b.max_column)):
            for cell in row:
                other = b[cell.coordinate]
                x, y = cell.value, other.value
                if isinstance(x, dt.datetime) and isinstance(y, dt.datetime):
                    equal = abs((x - y).total_seconds()) < 0.001  # an Excel serial number's precision
                else:
                    equal = x == y and type(x) is type(y)
                if not equal or (x is not None and look(cell) != look(other)):
                    differ.append(f"{a.title}!{cell.coordinate}: {x!r} {look(cell)} / {y!r} {look(other)}")
    return differ


def mb(size: int | None) -> str:
    return "" if size is None else f"{size / 1e6:.2f} MB" if size >= 1e6 else f"{size / 1e3:.0f} KB"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3, help="processes per writer and store")
    parser.add_argument("--rows", type=int, default=LARGE_FLOW, help="day services in the large store's big report")
    args = parser.parse_args()
    import openpyxl
    import xlsxwriter

    import writers_dump

    print(machine())
    print(f"openpyxl {openpyxl.__version__}, XlsxWriter {xlsxwriter.__version__}")
    with tempfile.TemporaryDirectory(prefix="bench-writers-") as tmp:
        folder = Path(tmp)
        feedback = child(["feedback", str(folder / "feedback"), str(FEEDBACK_RUNS), "0"])
        table, notes, imports = [], [], []
        for name, large in (("typical", False), ("large", True)):
            work = folder / name
            started = time.perf_counter()
            counts = build(work, args.rows if large else 0)
            print(f"{name}: store filled, ours' workbook dumped ({sum(counts.values()):,} cells) "
                  f"in {time.perf_counter() - started:.0f} s", flush=True)
            if repaired := writers_dump.load_frame(work / "dump")["repaired"]:
                notes.append(f"{name}, ours: {len(repaired)} sheets start <sheetData> with openpyxl's own empty "
                             f"row(s) for the row heights ({repaired[0]}), then rows 1... with the same rows again "
                             "(xml_rows.splice): out of order and twice; openpyxl's read-only reader drops the "
                             "rows above such a row, so the dump reads a copy without them")
            results = run(work, large, args.repeat)
            ours = results["ours"]
            for mode, result in results.items():
                imports.append(result["imports_mb"])
                table.append((name, LABELS[mode], result["wall"], result["wall"] / ours["wall"],
                              result["cpu"] / ours["cpu"], result["peak_mb"],
                              result["peak_mb"] - result["imports_mb"], mb(result["size"])))
                if mode in ("xlsxwriter", "constant_memory"):
                    assert result["cells"] == sum(counts.values()), (mode, result["cells"], sum(counts.values()))
                    notes += [f"{name}, {LABELS[mode]}: {r}" for r in result["refused"]]
            if not large:
                for mode in ("xlsxwriter", "constant_memory"):
                    differ = same_cells(work / "reference.xlsx", work / f"{mode}.xlsx")
                    notes.append(f"typical, {LABELS[mode]}: "
                                 + (f"{len(differ)} differences from ours, e.g. {differ[:3]}" if differ else
                                    f"the same {sum(counts.values()):,} cells as ours (values, number formats, "
                                    "bold, italic, fill), charts, conditional formats and panes"))
            shutil.rmtree(work)
        print(f"\n{'store':<8} {'writer':<27} {'median s':>9} {'x ours':>7} {'cpu x':>6} {'peak MB':>8} "
              f"{'+MB':>5}  file size")
        for name, label, wall, ratio, cpu, peak, extra, size in table:
            print(f"{name:<8} {label:<27} {wall:>9.3f} {ratio:>7.2f} {cpu:>6.2f} {peak:>8.0f} {extra:>5.0f}  {size}")
        print(f"peak MB includes the imports, {min(imports):.0f}-{max(imports):.0f} MB before any work "
              f"(+MB: above them); runs per writer: typical {args.repeat} x {TYPICAL_PER_PROCESS}, large {args.repeat}")
        for note in notes:
            print(f"- {note}")
        f = feedback
        print(f"\nrejection report (a handleplan of 20 lines; errors {', '.join(f['errors'])}; "
              f"warnings {', '.join(f['warnings']) or 'none'}), median of {FEEDBACK_RUNS}:")
        print(f"  write_report (marked copy + text twin) {f['report'] * 1e3:6.1f} ms   ({mb(f['size'])} workbook)")
        print(f"    openpyxl: load + mark + Fejl sheet {f['annotate'] * 1e3:6.1f} ms")
        print(f"    openpyxl: save the marked copy     {f['save'] * 1e3:6.1f} ms")
        print(f"    text twin                          {f['text'] * 1e3:6.1f} ms")
        print(f"    both files replaced durably        {f['replace'] * 1e3:6.1f} ms   (atomic_write: fsync, rename)")
        print(f"  for scale, check of the same file    {f['check'] * 1e3:6.1f} ms   (peak {f['peak_mb']:.0f} MB)")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        mode, work, runs, warm = sys.argv[2], Path(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
        if mode == "feedback":
            print(json.dumps(measure_feedback(work, runs)))
        else:
            print(json.dumps(measure(mode, work, runs, warm)))
    else:
        main()
