"""Benchmark: from a workbook landing in the watched folder to the consolidated workbook
being rewritten, with the service running (in this process, on its own threads).

    .venv/bin/python bench/watch_latency.py [--saves 100] [--observer native|polling]
                                            [--settle 1.0] [--poll 5.0] [--background 20]

Each save renames a finished workbook onto the same name in the watched folder (as Excel
does) with new figures, then waits until the consolidated workbook's mtime changes, then a
random pause (up to one poll interval, so saves do not fall in step with the polling)
before the next save. `--background` other reports are in the store first, so the rewrite is of
a realistic consolidated workbook, not an empty one. Reports the median and p95 of:

  total     landing → consolidated workbook rewritten
  waiting   landing → processing starts: observer latency + settle window + queue
  process   stage, validate, archive, record (the pipeline's own seconds)
  summary   processing done → rewritten: end-of-burst check + writing the workbook

and the settle window's share of the median total.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20, method="inclusive")[-1] if len(values) > 1 else values[0]


def workbook(folder: Path, name: str, target: int, unit: str) -> Path:
    import book

    rows = book.handleplan(unit=unit, amount_unit="kr.",
                           lines=[["Botilbud", target, 1, 1], ["Dagtilbud", 1, 1, 1], ["BPA", 2, 1, 1]])
    return book.save(folder / name, {"Handleplan": rows})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--saves", type=int, default=100)
    parser.add_argument("--observer", choices=("native", "polling"), default="native")
    parser.add_argument("--settle", type=float, default=None, help="watch.settle_seconds (default: the config's)")
    parser.add_argument("--poll", type=float, default=None, help="watch.poll_seconds (default: the config's)")
    parser.add_argument("--background", type=int, default=20, help="other reports in the store first")
    args = parser.parse_args()

    from loguru import logger

    from syncservice.base.config import defaults
    from syncservice.service.run import Service

    logger.remove()  # the service's log lines would only time the terminal
    work = Path(tempfile.mkdtemp(prefix="bench-watch-"))
    try:
        watched, source = work / "watched", work / "source"
        watched.mkdir()
        source.mkdir()
        config = defaults(work).with_values(watch__observer=args.observer)
        if args.settle is not None:
            config = config.with_values(watch__settle_seconds=args.settle)
        if args.poll is not None:
            config = config.with_values(watch__poll_seconds=args.poll)
        for i in range(args.background):
            workbook(watched, f"Enhed {i:02}.xlsx", 100 + i, f"Baggrund {i:02}")
        saves = [workbook(source, f"{n:03}.xlsx", n, "Handicap, Benchby") for n in range(1, args.saves + 1)]

        done: list[tuple[float, float]] = []  # (time processing finished, its seconds)
        service = Service(config, on_outcome=lambda o: done.append((time.perf_counter(), o.seconds)))
        started = threading.Event()
        runner = threading.Thread(target=service.run, kwargs={"started": started.set})
        runner.start()
        started.wait(30)
        consolidated = config.path("consolidated")

        def wait_idle() -> None:
            deadline = time.monotonic() + 120
            while not (service.idle() and consolidated.exists()) and time.monotonic() < deadline:
                time.sleep(0.01)

        wait_idle()  # the catch-up pass over the background reports
        pause = random.Random(1).uniform
        gap = config.get("watch", "poll_seconds") if args.observer == "polling" else 0.5
        totals, waits, processes, summaries = [], [], [], []
        target = watched / "Handleplan Benchby.xlsx"
        for i, path in enumerate(saves):
            time.sleep(pause(0, gap))
            before = consolidated.stat().st_mtime_ns
            n_done = len(done)
            staged = source / f"~{i}"  # copied beside first, so the save itself is one rename
            shutil.copy(path, staged)
            landed = time.perf_counter()
            os.replace(staged, target)
            deadline = landed + 60
            while consolidated.stat().st_mtime_ns == before and time.perf_counter() < deadline:
                time.sleep(0.002)
            rewritten = time.perf_counter()
            wait_idle()
            if rewritten >= deadline:
                print(f"save {i}: the consolidated workbook was not rewritten within 60 s, skipped", file=sys.stderr)
                continue
            if len(done) != n_done + 1:
                print(f"save {i}: {len(done) - n_done} outcomes, skipped", file=sys.stderr)
                continue
            finished, seconds = done[n_done]
            totals.append(rewritten - landed)
            processes.append(seconds)
            waits.append(finished - seconds - landed)
            summaries.append(rewritten - finished)
        service.stop()
        runner.join()
    finally:
        shutil.rmtree(work, ignore_errors=True)

    settle = config.get("watch", "settle_seconds")
    mode = f"{args.observer} observer" + (f" (poll {config.get('watch', 'poll_seconds'):g} s)"
                                          if args.observer == "polling" else "")
    print(f"watch latency: {len(totals)} saves, {mode}, settle window {settle:g} s, "
          f"{args.background} other reports in the store")
    print(f"{'':10}{'median':>9}{'p95':>9}")
    for name, values in (("total", totals), ("waiting", waits), ("process", processes), ("summary", summaries)):
        print(f"{name:10}{statistics.median(values):8.3f}s{p95(values):8.3f}s")
    print(f"settle window: {settle:g} s = {settle / statistics.median(totals):.0%} of the median total")


if __name__ == "__main__":
    main()
