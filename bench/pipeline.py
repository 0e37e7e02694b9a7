"""Benchmark: `check` and `ingest` per workbook against a bare openpyxl read of the same file.

    .venv/bin/python bench/pipeline.py [--rows 50000] [--repeat 5]

For a typical workbook (a handleplan of 20 lines) and a large intake/outflow sheet
(50,000 day services over four quarters, saved by LibreOffice when it is installed, as
a person's spreadsheet program would), each measurement runs in a fresh process and
reports the median time and that process's peak memory (RSS, imports included):

  bare     openpyxl.load_workbook(read_only=True) and every row's values: the baseline
  check    syncservice check (stage, read, locate, validate; records nothing)
  ingest   one file through stage, check, archive and the store (one transaction)
  +summary the same, then the consolidated workbook rewritten from the store

Ratios are to the bare read measured in the same run. Goals (issue 3): typical workbook
end to end within 3x the bare read; the 50,000-row sheet within 1.5x and under 200 MB.
"""

from __future__ import annotations

import argparse
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

GOALS = {"typical": 3.0, "large": 1.5}


def measure(mode: str, path: str, repeat: int) -> dict:
    """Runs in the child process: time `mode` on `path` `repeat` times."""
    import resource

    import openpyxl

    from syncservice.config import defaults
    from syncservice.pipeline import Pipeline, check_path
    from syncservice.store import Store

    source = Path(path)
    times = []
    for _ in range(repeat):
        work = Path(tempfile.mkdtemp(prefix="bench-"))
        config = defaults(work)
        (work / "watched").mkdir()
        target = work / "watched" / source.name
        shutil.copy(source, target)
        store = Store.open(config.path("database")) if mode in ("ingest", "summary") else None
        started = time.perf_counter()
        if mode == "bare":
            wb = openpyxl.load_workbook(target, read_only=True)
            for ws in wb.worksheets:
                for _row in ws.iter_rows(values_only=True):
                    pass
            wb.close()
        elif mode == "check":
            verdict = check_path(target, config)
            assert verdict.accepted, verdict.errors[:3]
        else:
            pipeline = Pipeline(config, store)
            outcome = pipeline.process(target)
            assert outcome.status == "accepted", outcome
            if mode == "summary":
                pipeline.write_summary()
        times.append(time.perf_counter() - started)
        if store is not None:
            store.close()
        shutil.rmtree(work, ignore_errors=True)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"median": statistics.median(times), "peak_mb": peak_mb}


def child(mode: str, path: Path, repeat: int) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", mode, str(path), str(repeat)],
                         check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def build(folder: Path, rows: int) -> dict[str, Path]:
    import workbooks  # puts tests/ on the path for book

    import book

    typical = workbooks.typical(folder / "Handleplan typisk.xlsx")
    large = workbooks.intake_outflow(folder / "Tilgang stor.xlsx", rows)
    if book.SOFFICE:  # saved by a real spreadsheet program, as staff's files are
        large = book.resave_with_libreoffice(large, folder / "lo")
        typical = book.resave_with_libreoffice(typical, folder / "lo")
    return {"typical": typical, "large": large}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=5, help="runs per measurement (large: at most 2)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-files-") as tmp:
        files = build(Path(tmp), args.rows)
        print(f"{'workbook':<10} {'step':<9} {'median s':>9} {'x bare':>7} {'peak MB':>8}  goal")
        for name, path in files.items():
            repeat = args.repeat if name == "typical" else min(args.repeat, 2)
            bare = child("bare", path, repeat)
            for mode in ("bare", "check", "ingest", "summary"):
                result = bare if mode == "bare" else child(mode, path, repeat)
                ratio = result["median"] / bare["median"]
                goal = ""
                if mode in ("check", "ingest"):
                    goal = f"<= {GOALS[name]}x: {'met' if ratio <= GOALS[name] else 'NOT met'}"
                    if name == "large":
                        goal += f"; < 200 MB: {'met' if result['peak_mb'] < 200 else 'NOT met'}"
                label = "+summary" if mode == "summary" else mode
                print(f"{name:<10} {label:<9} {result['median']:>9.3f} {ratio:>7.2f} {result['peak_mb']:>8.0f}  {goal}")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        print(json.dumps(measure(sys.argv[2], sys.argv[3], int(sys.argv[4]))))
    else:
        main()
