"""Benchmark: `check` and `ingest` per workbook against a bare openpyxl read of the same file.

    .venv/bin/python bench/pipeline.py [--rows 50000] [--repeat 3]

For a typical workbook (a handleplan of 20 lines) and a large intake/outflow sheet
(50,000 day services over four quarters, no warnings), all saved by LibreOffice when it
is installed, as a person's spreadsheet program would, it times:

  bare     openpyxl.load_workbook(read_only=True) and every row's values: the baseline
  check    `syncservice check`: stage, read, locate, validate; records nothing
  ingest   one file as `syncservice ingest` takes it (Pipeline.process): stage, check,
           compare with the store, archive, record in the store (one transaction),
           feedback and log; not the consolidated workbook, which a pass rewrites once
  replace  large sheet: ingest of a new version of it (4 figures changed) while the first
           is in the store, so compared with it figure by figure (WORKBOOKS.md section 5)
  +summary the same as ingest, then the consolidated workbook rewritten from the store
           (not a goal: a pass rewrites it once, however many files it took)

Each measurement runs in fresh processes, each first warmed on a small workbook of the same
kind in the same folder and store (so one-time costs, such as pandera building a schema or
the archive creating this month's folder, are not counted, as in a pass over many files).
Typical: `repeat` processes per step, each taking 5 workbooks that differ only in their
unit, one after the other, as a pass over a folder would. Large: `repeat` processes per
step, each taking the large sheet once. The steps take turns, so that what else the
machine is doing weighs on each alike. Reported: the median wall time, the ratio of the
median CPU time as well, and the highest peak memory of a process (RSS, imports included;
the import baseline is printed apart). Ratios are to the bare read of the same files in
the same run. Goals (issue 3): typical workbook within 3x the bare read; the 50,000-row
sheet within 1.5x and under 200 MB peak.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
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
PEAK_GOAL_MB = {"large": 200}
MODES = ("bare", "check", "ingest", "replace", "summary")
CHANGED = (0, 7, 12_345, 49_999)  # lines whose figure the new version of the large sheet corrects
TYPICAL_PER_PROCESS = 5  # typical workbooks timed one after the other in each process


def measure(mode: str, paths: list[str]) -> dict:
    """Runs in the child process: `mode` on each of `paths` in one folder and store; the
    first only warms up (replace: the first two), the others are timed."""
    import resource

    import openpyxl
    from loguru import logger

    from syncservice.base.config import defaults
    from syncservice.pipeline import Pipeline, check_path
    from syncservice.store.db import Store

    logger.remove()  # as `ingest` piped: no progress or log lines
    imports_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    work = Path(tempfile.mkdtemp(prefix="bench-"))
    config = defaults(work)
    (work / "watched").mkdir()
    store = Store.open(config.path("database")) if mode in ("ingest", "replace", "summary") else None
    pipeline = Pipeline(config, store) if store is not None else None

    def once(source: Path) -> tuple[float, float]:
        target = work / "watched" / source.name
        shutil.copy(source, target)
        started, cpu = time.perf_counter(), time.process_time()
        if mode == "bare":
            wb = openpyxl.load_workbook(target, read_only=True)
            for ws in wb.worksheets:
                for _row in ws.iter_rows(values_only=True):
                    pass
            wb.close()
        elif mode == "check":
            verdict = check_path(target, config)
            assert verdict.accepted and not verdict.warnings, (verdict.errors + verdict.warnings)[:3]
        else:
            assert pipeline is not None
            outcome = pipeline.process(target)
            assert outcome.status == "accepted" and outcome.versions, outcome
            assert outcome.verdict is not None
            changes = [f for f in outcome.verdict.warnings if f.rule == "change.figure"]
            assert bool(changes) == (mode == "replace" and source.parent.name == "v2"), changes[:3]
            if mode == "summary":
                pipeline.write_summary()
        return time.perf_counter() - started, time.process_time() - cpu

    try:
        warm = 2 if mode == "replace" else 1
        for path in paths[:warm]:
            once(Path(path))
        runs = [once(Path(path)) for path in paths[warm:]]
    finally:
        if store is not None:
            store.close()
        shutil.rmtree(work, ignore_errors=True)
    return {"wall": [w for w, _ in runs], "cpu": [c for _, c in runs], "imports_mb": imports_mb,
            "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def child(mode: str, paths: list[Path]) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", mode, *map(str, paths)],
                         capture_output=True, text=True)
    if out.returncode:
        sys.exit(f"{mode} on {[p.name for p in paths]} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def run(processes: dict[str, list[list[Path]]]) -> dict[str, dict]:
    """Each mode in one fresh process per list of paths, the modes taking turns, so that
    what else the machine is doing weighs on each alike."""
    results: dict[str, list[dict]] = {mode: [] for mode in processes}
    for turn in range(max(map(len, processes.values()))):
        for mode, paths in processes.items():
            if turn < len(paths):
                results[mode].append(child(mode, paths[turn]))
    return {mode: {"wall": statistics.median(w for r in rs for w in r["wall"]),
                   "cpu": statistics.median(c for r in rs for c in r["cpu"]),
                   "peak_mb": max(r["peak_mb"] for r in rs), "imports_mb": max(r["imports_mb"] for r in rs)}
            for mode, rs in results.items()}


def build(folder: Path, rows: int, repeat: int) -> dict[str, dict[str, list[list[Path]]]]:
    """workbook → step → the paths each of its processes takes (the first warms up)."""
    import book
    import workbooks  # puts tests/ on the path for book

    typical = [workbooks.typical(folder / f"Handleplan {n}.xlsx", unit=f"Handicap og Socialpsykiatri {n}")
               for n in range(TYPICAL_PER_PROCESS + 1)]
    small = workbooks.intake_outflow(folder / "Tilgang lille.xlsx", 20, unit="Lille enhed")
    large = workbooks.intake_outflow(folder / "Tilgang stor.xlsx", rows)
    (folder / "v2").mkdir()
    newer = workbooks.intake_outflow(folder / "v2" / "Tilgang stor.xlsx", rows, changed=CHANGED)
    if book.SOFFICE:  # saved by a real spreadsheet program, as staff's files are
        typical = [book.resave_with_libreoffice(p, folder / "lo") for p in typical]
        small, large = (book.resave_with_libreoffice(p, folder / "lo") for p in (small, large))
        newer = book.resave_with_libreoffice(newer, folder / "lo" / "v2")
    steps = [m for m in MODES if m != "replace"]
    return {"typical": {mode: [typical] * repeat for mode in steps},
            "large": {mode: [[small, large, newer] if mode == "replace" else [small, large]] * repeat
                      for mode in MODES}}


def machine() -> str:
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return (f"{platform.python_implementation()} {platform.python_version()}, {platform.machine()}, "
            f"{os.cpu_count()} CPUs, load average {load} at start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=3,
                        help="processes per step and workbook (typical: 5 runs each; large: one)")
    args = parser.parse_args()
    print(machine())
    with tempfile.TemporaryDirectory(prefix="bench-files-") as tmp:
        files = build(Path(tmp), args.rows, args.repeat)
        print(f"{'workbook':<10} {'step':<9} {'median s':>9} {'x bare':>7} {'cpu x':>6} {'peak MB':>8}  goal")
        imports = []
        for name, processes in files.items():
            results = run(processes)
            bare = results["bare"]
            for mode, result in results.items():
                ratio, cpu_ratio = result["wall"] / bare["wall"], result["cpu"] / bare["cpu"]
                imports.append(result["imports_mb"])
                goal = ""
                if mode in ("check", "ingest", "replace"):
                    goal = f"<= {GOALS[name]}x: {'met' if ratio <= GOALS[name] else 'NOT met'}"
                    if name in PEAK_GOAL_MB:
                        limit = PEAK_GOAL_MB[name]
                        goal += f"; < {limit} MB: {'met' if result['peak_mb'] < limit else 'NOT met'}"
                label = "+summary" if mode == "summary" else mode
                print(f"{name:<10} {label:<9} {result['wall']:>9.3f} {ratio:>7.2f} {cpu_ratio:>6.2f} "
                      f"{result['peak_mb']:>8.0f}  {goal}", flush=True)
        print(f"every peak includes the imports: {min(imports):.0f}-{max(imports):.0f} MB before any work")

if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        print(json.dumps(measure(sys.argv[2], sys.argv[3:])))
    else:
        main()
