"""Benchmark: the consolidated workbook as history grows, from 10 to 10,000 stored versions.

    .venv/bin/python bench/versions.py [--counts 10,100,1000,10000] [--repeat 9]

A store keeps receiving new versions of the same ten reports (handleplan for four units,
effekt for three, tilgang_afgang for three), as staff correct and save the same files all
year: the stored versions grow to each count while the current versions stay ten. One
file in ten received is rejected, as happens. For each count a store is built, and
Pipeline.write_summary() (what `ingest`, `run` and `summary` call) rebuilds the
consolidated workbook from it, the stores taking turns --repeat times so a busy moment
of the machine falls on all alike; the best wall-clock and CPU time is shown, for the
default config and for one with [reporting] units and deadlines (which adds sheet
Mangler, built from who reported what). The goal is judged on CPU time: the wall clock
adds the fsyncs of the atomic replace, which other processes' disk writes make vary.

The first ten versions go through Pipeline.process (real files: staged, checked, archived,
recorded). The rest are recorded with Store.record, one transaction each as the pipeline
does, from the same checked reports with one figure changed each time (a person
correcting a number), so every one is a new version in the files, versions, figures and
findings tables. Goal (issue 6): at 10,000 stored versions within 1.2x the time at 100.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import hashlib
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from loguru import logger  # noqa: E402

from schemas import KINDS  # noqa: E402
from syncservice.base.config import defaults  # noqa: E402
from syncservice.base.models import ERROR, Finding, StagedFile, Verdict  # noqa: E402
from syncservice.pipeline import Pipeline  # noqa: E402
from syncservice.rules.check import check_workbook  # noqa: E402
from syncservice.store.db import Store  # noqa: E402

import workbooks  # noqa: E402,F401  (puts tests/ on the path for book)
import book  # noqa: E402

GOAL = 1.2
START = dt.datetime(2026, 1, 5, 8, 0, tzinfo=dt.UTC)
REPORTING = {"reporting__units": [f"Enhed {n}" for n in range(1, 5)],
             "reporting__deadlines": {"handleplan": ["31-01"], "effekt": ["31-01"],
                                      "tilgang_afgang": ["30-04", "31-07", "31-10", "31-01"]}}


def reports(watched: Path) -> list[Path]:
    """Ten workbooks, one report each, as staff keep them in the watched folder."""
    files = []
    for n in range(1, 5):
        files.append(book.save(watched / f"Handleplan {n}.xlsx", {"Handleplan": book.handleplan(unit=f"Enhed {n}")}))
    for n in range(1, 4):
        files.append(book.save(watched / f"Effekt {n}.xlsx", {"Effekt": book.effekt(unit=f"Enhed {n}")}))
        files.append(book.save(watched / f"Tilgang {n}.xlsx",
                               {"Tilgang og afgang": book.tilgang(unit=f"Enhed {n}")}))
    return files


class History:
    """A store that grows by versions of the same reports."""

    def __init__(self, folder: Path, config_values: dict) -> None:
        self.config = defaults(folder).with_values(**config_values)
        self.config.path("watched").mkdir(parents=True, exist_ok=True)
        self.store = Store.open(self.config.path("database"))
        self.received = 0
        self.clock = START
        self.pipeline = Pipeline(self.config, self.store, clock=lambda: self.clock)
        self.checked: list[Verdict] = []
        for path in reports(self.config.path("watched")):
            self._tick()
            outcome = self.pipeline.process(path)
            assert outcome.status == "accepted", outcome
            self.checked.append(self._verdict(path))

    def _verdict(self, path: Path) -> Verdict:
        """The file's verdict with its figures, as the pipeline recorded it."""
        staged = StagedFile(path, path.name, path, hashlib.sha256(path.read_bytes()).hexdigest(),
                            path.stat().st_size, path.stat().st_mtime_ns)
        return check_workbook(staged, KINDS, max_unpacked=300 << 20, max_rows=200_000, max_seconds=120)

    def _tick(self) -> None:
        self.received += 1
        self.clock = START + dt.timedelta(minutes=7 * self.received)

    def versions(self) -> int:
        return self.store.counts()["versions"]

    def grow_to(self, versions: int) -> None:
        """Record new versions of the same reports, round robin, until `versions` are stored."""
        n = self.versions()
        while n < versions:
            self._tick()
            base = self.checked[self.received % len(self.checked)]
            staged = dataclasses.replace(base.file, sha256=hashlib.sha256(b"%d" % self.received).hexdigest(),
                                         mtime_ns=int(self.clock.timestamp() * 1e9))
            if self.received % 10 == 0:  # one in ten is rejected: a figure typed as text
                finding = Finding("value.not_number", ERROR, base.reports[0].sheet, ("C9",), "Mål", "ca. 5")
                verdict = Verdict(staged, base.sheets, errors=(finding,))
            else:
                verdict = dataclasses.replace(base, file=staged, reports=tuple(_corrected(r, self.received)
                                                                                for r in base.reports))
            self.store.record(staged, verdict, f"archive/{self.received}/{staged.name}",
                              self.pipeline.message, self.clock)
            n += 0 if self.received % 10 == 0 else len(verdict.reports)

    def summary_seconds(self) -> tuple[float, float]:
        """Wall-clock and CPU seconds of one rewrite (the wall clock includes the fsyncs of
        the atomic replace, which other processes' disk writes slow down)."""
        started, started_cpu = time.perf_counter(), time.process_time()
        self.pipeline.write_summary()
        return time.perf_counter() - started, time.process_time() - started_cpu


def _corrected(report, received: int):  # type: ignore[no-untyped-def]
    """The report with one figure changed: a new version with the same lines."""
    figures = list(report.figures)
    i = received % len(figures)
    figures[i] = dataclasses.replace(figures[i], value=figures[i].value + received % 97 + 1)
    return dataclasses.replace(report, figures=tuple(figures))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--counts", default="10,100,1000,10000", help="stored versions, comma-separated, rising")
    parser.add_argument("--repeat", type=int, default=9, help="summary rewrites timed per count")
    args = parser.parse_args()
    counts = [int(c) for c in args.counts.split(",")]
    logger.remove()  # the pipeline logs every file and rewrite; only the table matters here
    configs = {"default config": {}, "with [reporting]": REPORTING}
    results: dict[str, dict[int, tuple[float, float]]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-versions-") as tmp:
        stores: dict[tuple[str, int], History] = {}
        for label, values in configs.items():
            for count in counts:
                started = time.perf_counter()
                history = stores[label, count] = History(Path(tmp) / f"{len(stores)}", values)
                history.grow_to(count)
                got = history.store.counts()
                print(f"{label}: {got['versions']:>6,} versions, {got['files']:>6,} files, {got['current']} current "
                      f"(built in {time.perf_counter() - started:.1f} s)", flush=True)
        # round robin over the stores, so a busy moment of the machine falls on all of them alike
        runs: dict[tuple[str, int], list[tuple[float, float]]] = {key: [] for key in stores}
        for _ in range(args.repeat):
            for key, history in stores.items():
                runs[key].append(history.summary_seconds())
        for (label, count), times in runs.items():
            results.setdefault(label, {})[count] = (min(t[0] for t in times), min(t[1] for t in times))
        for history in stores.values():
            history.store.close()
    print(f"\n{'':>15}  " + "  ".join(f"{label:^29}" for label in configs))
    print(f"{'stored versions':>15}  " + "  ".join(f"{'wall s':>9} {'CPU s':>9} {'CPU x':>9}" for _ in configs))
    for count in counts:
        cells = [f"{results[label][count][0]:>9.3f} {results[label][count][1]:>9.3f} "
                 f"{results[label][count][1] / results[label][counts[0]][1]:>9.2f}" for label in configs]
        print(f"{count:>15,}  " + "  ".join(cells))
    print(f"\nbest of {args.repeat} Pipeline.write_summary() per count; CPU x is the ratio to the first count")
    if 100 in counts and 10_000 in counts:
        for label in configs:
            wall, cpu = (results[label][10_000][i] / results[label][100][i] for i in (0, 1))
            print(f"{label}: 10,000 / 100 versions = {cpu:.2f}x CPU ({wall:.2f}x wall); goal <= {GOAL}x: "
                  f"{'met' if cpu <= GOAL else 'NOT met'}")


if __name__ == "__main__":
    main()
