"""Benchmark: every page of the reviewers' web view on a store with 10,000 versions and 100,000 findings.

    .venv/bin/python bench/web.py [--versions 10000] [--findings 100000] [--repeat 30]

Builds a store in the service's own schema (Store.open runs the migrations) and fills it
with bulk SQL: 50 units × 3 kinds × 4 years = 600 reports, the versions spread over them
(each from an accepted file, with a figure change recorded as a change.* warning as the
pipeline records one), one file in five rejected with eight errors each (and a quarter of the reports
ending in a file rejected now), and warnings on the accepted ones up to the number of findings; the bookkeeping tables (current,
latest_judged, file_reports) as Store.record keeps them. Then `syncservice serve` runs on
it (as a reviewer would start it, 50 units chased for every kind) and each page is fetched
over HTTP --repeat times, the pages taking turns, after one warm-up round. Shown: median
and p95 in ms, and the median as a multiple of the baseline measured in the same run,
Datasette's plain table page of one small table (_sqlite_migrations, five rows).
Goal (issue 18): every page within 200 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

import httpx

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from syncservice.store.db import Store  # noqa: E402

GOAL_MS = 200
UNITS = [f"Dagtilbud {n:02d}" for n in range(1, 51)]
KINDS = ("handleplan", "effekt", "tilgang_afgang")
YEARS = (2021, 2022, 2023, 2024)
RULES = ("value.not_number", "table.total_mismatch", "value.negative", "tilgang_afgang.running_count",
         "handleplan.missing_target", "value.too_large", "header.missing_column", "metadata.missing_year")
DB = "indberetninger"


def build(path: Path, n_versions: int, n_findings: int) -> dict[str, int]:
    """The store at `path`, filled; returns the row counts."""
    rng = random.Random(18)
    with Store.open(path):
        pass  # the schema, as the service makes it
    import sqlite3

    conn = sqlite3.connect(path)
    reports = [(k, u, y) for u in UNITS for k in KINDS for y in YEARS]
    files, versions, findings, figures, judged, file_reports = [], [], [], [], {}, []
    current: dict[tuple, int] = {}
    when = 1_700_000_000
    file_id = version_id = 0
    rejected_share = 5  # one file in five
    errors_each = 8

    def rejected(file_id: int, path_rel: str, kind: str, when: int, stamp: str, sheets: str) -> None:
        """A rejected file's row and its errors."""
        files.append((file_id, path_rel, path_rel.split("/")[1], f"{file_id:064x}", 10_000, when * 10**9, stamp,
                      stamp, "rejected", f"archive/rejected/{file_id}.xlsx", errors_each, 0, sheets))
        for e in range(errors_each):
            rule = RULES[rng.randrange(len(RULES))]
            findings.append((file_id, "error", rule, kind, json.dumps([f"C{8 + e}"]), "Realiseret", "ca. 5",
                             f"«ca. 5» i kolonnen Realiseret er ikke et tal ({rule}).", "{}", 0))

    while version_id < n_versions:
        report = reports[version_id % len(reports)]
        kind, unit, year = report
        path_rel = f"{unit}/{kind} {year}.xlsx"
        sheets = json.dumps([{"sheet": kind, "kind": kind, "unit": unit, "year": year}], ensure_ascii=False)
        file_id += 1
        when += 60
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(when))
        if file_id % rejected_share == 0:
            rejected(file_id, path_rel, kind, when, stamp, sheets)
        else:
            version_id += 1
            files.append((file_id, path_rel, path_rel.split("/")[1], f"{file_id:064x}", 10_000, when * 10**9, stamp,
                          stamp, "accepted", f"archive/accepted/{file_id}.xlsx", 0, 1, sheets))
            versions.append((version_id, kind, unit, year, file_id, kind, f"{file_id:064x}", stamp, stamp,
                             f"archive/accepted/{file_id}.xlsx", "kr.", "", 4, f"{version_id:064x}", "{}"))
            if report in current:
                findings.append((file_id, "warning", "change.figure", kind, json.dumps(["C9"]), "Realiseret",
                                 "1600", "Tallet er ændret fra 1.500 til 1.600.",
                                 json.dumps({"line": "Linje 1", "old": 1500.0, "new": 1600.0}), 1))
            current[report] = version_id
            figures.extend((version_id, seq, seq, f"Linje {seq}", "", "Realiseret", "", 1000.0 + seq, kind,
                            f"C{8 + seq}") for seq in range(10))
        judged[path_rel] = file_id
        file_reports.append((kind, unit, year, file_id))
    for report in reports[::4]:  # a quarter of the reports end in a file rejected now: Afviste lige nu
        kind, unit, year = report
        path_rel = f"{unit}/{kind} {year}.xlsx"
        file_id += 1
        when += 60
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(when))
        sheets = json.dumps([{"sheet": kind, "kind": kind, "unit": unit, "year": year}], ensure_ascii=False)
        rejected(file_id, path_rel, kind, when, stamp, sheets)
        judged[path_rel] = file_id
        file_reports.append((kind, unit, year, file_id))
    accepted_ids = [f[0] for f in files if f[8] == "accepted"]
    while len(findings) < n_findings:  # warnings on accepted files, as a validator gives them
        fid = accepted_ids[rng.randrange(len(accepted_ids))]
        findings.append((fid, "warning", "handleplan.realised_exceeds_expected", "handleplan",
                         json.dumps(["C10", "D10"]), "Realiseret", "3,6", "Realiseret er større end forventet.",
                         "{}", 0))
    with conn:
        conn.executemany("INSERT INTO files (id, path, file_name, sha256, size, mtime_ns, saved_at, received_at,"
                         " verdict, archive_path, error_count, warning_count, sheets)"
                         " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", files)
        conn.executemany("INSERT INTO versions (id, kind, unit, year, file_id, sheet, sha256, saved_at, accepted_at,"
                         " archive_path, amount_unit, as_of, through, content_hash, extra)"
                         " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", versions)
        conn.executemany('INSERT INTO findings (file_id, severity, rule, sheet, cells, "column", value, message,'
                         " params, numeric) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", findings)
        conn.executemany("INSERT INTO figures (version_id, seq, line_no, line, track, metric, period, value, sheet,"
                         " cell) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", figures)
        conn.executemany("INSERT INTO current (kind, unit, year, version_id) VALUES (?, ?, ?, ?)",
                         [(*k, v) for k, v in current.items()])
        conn.executemany("INSERT INTO latest_judged (path, file_id) VALUES (?, ?)", judged.items())
        conn.executemany("INSERT OR IGNORE INTO file_reports (kind, unit, year, file_id) VALUES (?, ?, ?, ?)",
                         file_reports)
    counts = {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
              for t in ("files", "versions", "findings", "figures", "current")}
    conn.close()
    with Store.open(path):
        pass  # migrations added since run on a filled store too, as on a real one (indexes)
    return counts


def pages() -> list[tuple[str, str]]:
    unit = urlencode({"enhed": UNITS[3]})
    one = urlencode({"skema": "handleplan", "enhed": UNITS[7], "aar": "2023"})
    return [
        ("baseline: table _sqlite_migrations", f"/{DB}/_sqlite_migrations"),
        ("Afviste lige nu", f"/{DB}/afviste-lige-nu"),
        ("Afviste lige nu, one unit", f"/{DB}/afviste-lige-nu?{unit}"),
        ("Alle afgørelser", f"/{DB}/alle-afgoerelser"),
        ("Alle afgørelser, unit + afvist", f"/{DB}/alle-afgoerelser?{unit}&afgoerelse=afvist"),
        ("Alle afgørelser, one rule", f"/{DB}/alle-afgoerelser?regel=value.negative"),
        ("Versioner af en rapport, all", f"/{DB}/versioner-af-en-rapport"),
        ("Versioner af en rapport, one", f"/{DB}/versioner-af-en-rapport?{one}"),
        ("Mangler (150 unit × kind)", f"/{DB}/mangler"),
        ("Hyppigste fejl", f"/{DB}/hyppigste-fejl"),
        ("Hyppigste fejl, one unit", f"/{DB}/hyppigste-fejl?{unit}"),
        ("Afviste lige nu .csv", f"/{DB}/afviste-lige-nu.csv"),
        ("Alle afgørelser .json", f"/{DB}/alle-afgoerelser.json?_shape=array"),
        ("table files", f"/{DB}/files"),
        ("table findings", f"/{DB}/findings"),
    ]


def serve(folder: Path) -> tuple[subprocess.Popen, str]:
    config = folder / "config.toml"
    config.write_text("[reporting]\nunits = " + json.dumps(UNITS, ensure_ascii=False) + "\n[reporting.deadlines]\n"
                      'handleplan = ["31-01"]\neffekt = ["31-01"]\ntilgang_afgang = ["30-04", "31-07", "31-10", "31-01"]\n',
                      encoding="utf-8")
    process = subprocess.Popen([sys.executable, "-m", "syncservice", "serve", "--port", "0", "--config", str(config)],
                               cwd=folder, stderr=subprocess.PIPE, text=True,
                               env={**os.environ, "PYTHONUNBUFFERED": "1"})
    line = process.stderr.readline()
    found = re.search(r"(http://\S+)", line)
    if not found:
        process.kill()
        raise SystemExit(f"serve did not start: {line}{process.stderr.read()}")
    return process, found.group(1).rstrip("/")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--versions", type=int, default=10_000)
    parser.add_argument("--findings", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        started = time.perf_counter()
        counts = build(folder / "state" / "syncservice.sqlite", args.versions, args.findings)
        print(f"store: {', '.join(f'{n:,} {t}' for t, n in counts.items())} "
              f"(built in {time.perf_counter() - started:.1f} s)")
        process, url = serve(folder)
        try:
            times: dict[str, list[float]] = {name: [] for name, _ in pages()}
            with httpx.Client(base_url=url, timeout=60) as client:
                for round_ in range(args.repeat + 1):
                    for name, path in pages():
                        t0 = time.perf_counter()
                        response = client.get(path)
                        elapsed = time.perf_counter() - t0
                        if response.status_code != 200:
                            raise SystemExit(f"{name}: HTTP {response.status_code}: {response.text[:500]}")
                        if round_:  # the first round warms up
                            times[name].append(elapsed * 1000)
        finally:
            process.send_signal(signal.SIGINT)
            process.wait(15)
    base = statistics.median(times[pages()[0][0]])
    print(f"\n{'page':<38} {'median':>9} {'p95':>9} {'× baseline':>11}  goal ≤ {GOAL_MS} ms")
    worst = 0.0
    for name, values in times.items():
        values.sort()
        median, p95 = statistics.median(values), values[min(len(values) - 1, round(0.95 * (len(values) - 1)))]
        worst = max(worst, p95)
        print(f"{name:<38} {median:7.1f} ms {p95:6.1f} ms {median / base:10.1f}×  "
              f"{'met' if p95 <= GOAL_MS else 'NOT met'}")
    print(f"\nslowest p95: {worst:.1f} ms ({'every page within' if worst <= GOAL_MS else 'over'} {GOAL_MS} ms)")


if __name__ == "__main__":
    main()
