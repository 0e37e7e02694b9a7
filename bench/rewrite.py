"""Benchmark: rewriting the consolidated workbook with one 50,000-line report in the store.

    .venv/bin/python bench/rewrite.py [--rows 50000] [--repeat 3]

Two stores, filled through the pipeline: `typical`, 20 handleplans of about 20 lines and
one day-service report of 40 lines (the baseline); `large`, the same plus one intake/outflow
report of `--rows` lines (550,000 figures). For each, in a fresh process per repeat:

  first    the first rewrite of a process: nothing kept, every version's rows written
  small    a new version of one small handleplan is taken, then the rewrite: the other
           versions' rows are kept from the one before (fragments.py), as in `run`
  large    a new version of the large report (4 figures corrected), then the rewrite

Reported: the median wall time, its ratio to the same step on the typical store in the
same run, and the highest peak memory of a process (RSS, imports included). Goals (issue 21):
the first rewrite with the large report ≤ 5 s; a small report's rewrite with the large one
in the store ≤ 1 s, so a unit's ordinary save is not made to wait for the large report.
"""

from __future__ import annotations

import argparse
import json
import os
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

import workbooks  # noqa: E402  (puts tests/ on the path)

import book  # noqa: E402

STEPS = ("first", "small", "large")
GOALS = {("large", "first"): 5.0, ("large", "small"): 1.0}
UNITS = [f"Bostøtte {n}" for n in range(20)]


def build(folder: Path, rows: int | None) -> Path:
    """A work folder whose store holds the typical reports (and the large one, with `rows`)."""
    from loguru import logger

    from syncservice.base.config import defaults
    from syncservice.pipeline import Pipeline
    from syncservice.store.db import Store

    logger.remove()
    folder.mkdir(parents=True)
    config = defaults(folder)
    watched = folder / "watched"
    watched.mkdir()
    store = Store.open(config.path("database"))
    pipeline = Pipeline(config, store)
    paths = [workbooks.typical(watched / f"hp{n}.xlsx", unit=unit) for n, unit in enumerate(UNITS)]
    paths.append(book.save(watched / "ta.xlsx", {"TA": book.tilgang(lines=[
        [f"Dagtilbud {i}", 10 + i, 1, 2, 3, 1, 2, 1, 12 + i] for i in range(40)])}))
    if rows:
        paths.append(workbooks.intake_outflow(watched / "stor.xlsx", rows))
    for path in paths:
        assert pipeline.process(path).status == "accepted", path
    store.close()
    return folder


def measure(folder: str, rows: int) -> dict:
    """In the child: the three steps on a copy of the store in `folder`."""
    from loguru import logger

    from syncservice.base.config import defaults
    from syncservice.pipeline import Pipeline
    from syncservice.store.db import Store

    logger.remove()
    config = defaults(Path(folder))
    store = Store.open(config.path("database"))
    pipeline = Pipeline(config, store)
    watched = Path(folder) / "watched"
    times = {}

    def timed(step: str) -> None:
        started = time.perf_counter()
        pipeline.write_summary()
        times[step] = time.perf_counter() - started

    def newer(path: Path) -> Path:
        st = path.stat()
        os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
        return path

    timed("first")
    lines = [[f"{name} 1", t + 1, r, e] for name, t, r, e in book.HANDLEPLAN_LINES]
    small = newer(book.save(watched / "hp0.xlsx", {"Handleplan": book.handleplan(unit=UNITS[0], lines=lines)}))
    assert pipeline.process(small).status == "accepted"
    timed("small")
    large = watched / ("stor.xlsx" if rows else "ta.xlsx")
    if rows:
        workbooks.intake_outflow(large, rows, changed=(0, 7, 12_345, rows - 1))
    else:
        book.save(large, {"TA": book.tilgang(lines=[[f"Dagtilbud {i}", 10 + i, 1, 2, 3, 1, 2, 1, 12 + i]
                                                     for i in range(39)])})
    assert pipeline.process(newer(large)).status == "accepted"
    timed("large")
    store.close()
    return {"times": times, "peak_mb": _peak_mb()}


def _peak_mb() -> float:
    """This process's own peak RSS (VmHWM): ru_maxrss starts from the parent's peak on Linux."""
    import resource

    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(folder: Path, rows: int) -> dict:
    work = Path(tempfile.mkdtemp(prefix="bench-rewrite-"))
    try:
        shutil.copytree(folder, work / "w")
        code = ("import json, sys; sys.path[:0] = [%r, %r]; import rewrite; "
                "print(json.dumps(rewrite.measure(%r, %d)))" % (str(ROOT), str(HERE), str(work / "w"), rows))
        out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
        return json.loads(out.strip().splitlines()[-1])
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    base = Path(tempfile.mkdtemp(prefix="bench-rewrite-stores-"))
    try:
        started = time.perf_counter()
        stores = {"typical": build(base / "typical", None), "large": build(base / "large", args.rows)}
        print(f"stores built in {time.perf_counter() - started:.0f} s; {os.cpu_count()} CPUs, "
              f"Python {sys.version.split()[0]}")
        runs: dict[str, list[dict]] = {name: [] for name in stores}
        for _ in range(args.repeat):  # taking turns, so what else the machine does weighs on both
            for name, folder in stores.items():
                runs[name].append(child(folder, args.rows if name == "large" else 0))
        print("\n| store | step | median | × typical | peak memory | goal |\n|---|---|---|---|---|---|")
        medians = {(name, step): statistics.median(r["times"][step] for r in results)
                   for name, results in runs.items() for step in STEPS}
        for name, results in runs.items():
            peak = max(r["peak_mb"] for r in results)
            for step in STEPS:
                value = medians[(name, step)]
                goal = GOALS.get((name, step))
                verdict = f"≤ {goal:g} s: {'met' if value <= goal else 'NOT met'}" if goal else ""
                print(f"| {name} | {step} | {value:.2f} s | {value / medians[('typical', step)]:.1f} | "
                      f"{peak:.0f} MB | {verdict} |")
    finally:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
