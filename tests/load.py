"""Load on the running service: many saves across many units, then what the store, the
archive and the consolidated workbook show. Used by tests/test_load.py and bench/load.py.

    plan(seed, saves, units, seconds, settle) → [Save]   who saves what, when, and how
    Contents(folder).of(save) → bytes                    the workbook of each save, fast
    run(config, saves, contents)                         the saves through a running service, while
      drive(saves, watched) → [Saved]                      the saves happen on the clock and
      Rewrites(consolidated)                               each rewrite of the consolidated workbook is kept
    judge(saved, config, rewrites) → Result              every check, the counts and the latencies

Each new save has figures of its own (the first target is the save's number), so each
content can be traced from the folder to the store to the consolidated workbook. A few
saves write the previous bytes again, and a few are rejected (a wrong total), but never
a file's last save.
"""

from __future__ import annotations

import hashlib
import io
import os
import random
import statistics
import threading
import time
import zipfile
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from openpyxl import load_workbook

from syncservice.base.config import Config
from syncservice.store.db import Store

import book

KIND, YEAR = "handleplan", 2015
_MARK, _TOTAL = b"<v>700001</v>", b"<v>700002</v>"  # the first target and its total in the template
STYLES = ("excel", "replace", "inplace")  # rename dance, one atomic rename, written over in place


@dataclass(frozen=True)
class Save:
    at: float  # seconds after the start
    rel: str  # path in the watched folder
    unit: int
    number: int  # the first target: the content's identity; equal to the previous save's when `same`
    valid: bool
    style: str


@dataclass(frozen=True)
class Saved:
    save: Save
    sha256: str
    started: float  # perf_counter
    ended: float  # the content is complete at its name


def unit_name(unit: int) -> str:
    return f"Enhed {unit:02}, Lasthøj"


def rel_of(unit: int) -> str:
    return f"Enhed {unit:02}/Handleplan {unit:02}.xlsx"


def plan(seed: int = 6, saves: int = 1000, units: int = 50, seconds: float = 55.0,
         settle: float = 1.0) -> list[Save]:
    """`saves` saves over `seconds`, spread over `units` files (one per unit): sessions of one
    save, or of 2–8 rapid re-saves closer together than the settle window; ~5% repeat the
    previous bytes, ~5% are rejected; each file's last save is valid and new."""
    rng = random.Random(seed)
    per_file = [saves // units + (1 if u < saves % units else 0) for u in range(units)]
    out: list[Save] = []
    number = 0
    for unit, count in enumerate(per_file):
        sizes = []
        while sum(sizes) < count:
            sizes.append(min(count - sum(sizes), 1 if rng.random() < 0.5 else rng.randint(2, 8)))
        starts = sorted(rng.uniform(0, seconds - 1.0) for _ in sizes)
        events: list[float] = []
        for start, size in zip(starts, sizes):
            at = max(start, events[-1] + 0.01 if events else 0.0)
            for _ in range(size):
                events.append(at)
                at += rng.uniform(0.02, settle * 0.4)  # well inside the window: these merge
        previous: Save | None = None
        for i, at in enumerate(events):
            last = i == len(events) - 1
            if previous is not None and not last and rng.random() < 0.05:
                save = Save(at, rel_of(unit), unit, previous.number, previous.valid, rng.choice(STYLES))
            else:
                number += 1
                save = Save(at, rel_of(unit), unit, number, last or rng.random() >= 0.05, rng.choice(STYLES))
            out.append(save)
            previous = save
    return sorted(out, key=lambda s: (s.at, s.unit))


class Contents:
    """The bytes of each save: one openpyxl workbook per unit, its first target (and total)
    patched in the sheet XML, so a thousand distinct workbooks cost a few seconds, not a minute."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._templates: dict[int, bytes] = {}
        self._made: dict[tuple[int, int, bool], bytes] = {}

    def template(self, unit: int) -> bytes:
        if unit not in self._templates:
            rows = book.handleplan(unit=unit_name(unit), year=YEAR, amount_unit="kr.",
                                   lines=[["Botilbud", 700001, 1, 1], ["Dagtilbud", 1, 1, 1]])
            self._templates[unit] = book.save(self.folder / f"template {unit:02}.xlsx", {"Handleplan": rows}).read_bytes()
        return self._templates[unit]

    def of(self, save: Save) -> bytes:
        key = (save.unit, save.number, save.valid)
        if key not in self._made:
            total = save.number + 1 if save.valid else save.number + 7  # a wrong total: rejected
            out = io.BytesIO()
            with zipfile.ZipFile(io.BytesIO(self.template(save.unit))) as src, \
                    zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
                for info in src.infolist():
                    data = src.read(info)
                    if info.filename == "xl/worksheets/sheet1.xml":
                        assert data.count(_MARK) == 1 and data.count(_TOTAL) == 1
                        data = data.replace(_MARK, b"<v>%d</v>" % save.number).replace(_TOTAL, b"<v>%d</v>" % total)
                    dst.writestr(info, data)
            self._made[key] = out.getvalue()
        return self._made[key]


def write(path: Path, data: bytes, style: str, n: int) -> None:
    """Save `data` at `path` the way a program would."""
    if style == "inplace":  # truncated and written in pieces, as a copy over the network does
        with open(path, "wb") as f:
            for i in range(0, len(data), len(data) // 4 + 1):
                f.write(data[i:i + len(data) // 4 + 1])
                f.flush()
                time.sleep(0.005)
        return
    temp = path.with_name(f"{n:08X}")  # Excel's and LibreOffice's temporary names have no extension
    temp.write_bytes(data)
    if style == "excel" and path.exists():
        backup = path.with_name(f"~WRL{n % 10000:04}.tmp")
        os.rename(path, backup)  # the original renamed away
        os.rename(temp, path)  # the new file into place
        backup.unlink()  # and the original deleted
    else:
        os.replace(temp, path)


def drive(saves: list[Save], watched: Path, contents: Contents) -> list[Saved]:
    """Perform the saves on the clock (late ones at once); returns when they are all done."""
    for save in saves:
        (watched / save.rel).parent.mkdir(parents=True, exist_ok=True)
    done = []
    start = time.perf_counter()
    for n, save in enumerate(saves):
        data = contents.of(save)
        delay = start + save.at - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        began = time.perf_counter()
        write(watched / save.rel, data, save.style, n)
        done.append(Saved(save, hashlib.sha256(data).hexdigest(), began, time.perf_counter()))
    return done


class Rewrites:
    """Every version of the consolidated workbook as it appears: (perf_counter seen, bytes).

    Polls its name every few milliseconds on a thread of its own; it is replaced atomically,
    so whatever is opened is complete. Keeps the bytes and reads them later, so the reading
    costs the service nothing while it is under load."""

    def __init__(self, path: Path, every: float = 0.003) -> None:
        self.path = path
        self.every = every
        self.seen: list[tuple[float, bytes]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="load-consolidated-watcher")

    def __enter__(self) -> Rewrites:
        self._last = self._identity()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _identity(self) -> tuple[int, int] | None:
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            return None
        return st.st_ino, st.st_mtime_ns

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            if self._identity() == self._last:
                continue
            seen = time.perf_counter()
            try:
                with open(self.path, "rb") as f:
                    st = os.fstat(f.fileno())
                    data = f.read()
            except FileNotFoundError:
                continue
            self._last = st.st_ino, st.st_mtime_ns
            self.seen.append((seen, data))


def shown_versions(data: bytes) -> set[int]:
    """The version ids in the consolidated workbook's Data sheet."""
    wb = load_workbook(io.BytesIO(data), read_only=True)
    try:
        rows = wb["Data"].iter_rows(values_only=True)
        header = next(rows)
        col = header.index("Version")
        return {int(row[col]) for row in rows if row[col] is not None}
    finally:
        wb.close()


def quantile(values: list[float], q: float) -> float:
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[round(q * 100) - 1]


@dataclass
class Result:
    problems: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    latencies: list[float] = field(default_factory=list)  # save → consolidated workbook showing it
    longest_missed: float = 0.0  # the longest a content stayed at its name yet was never received

    def latency(self) -> str:
        if not self.latencies:
            return "none measured"
        return f"median {statistics.median(self.latencies):.2f} s, p95 {quantile(self.latencies, 0.95):.2f} s"


def judge(saved: list[Saved], config: Config, snapshots: list[tuple[float, bytes]], long_enough: float) -> Result:
    """Every check of the load test, on what the store, the archive and the consolidated
    workbook hold once the service is idle. `long_enough`: a content that stayed this long
    at its name before the next save must have been received."""
    watched, settle = config.path("watched"), config.get("watch", "settle_seconds")
    result = Result()
    problems = result.problems
    by_rel: dict[str, list[Saved]] = defaultdict(list)
    for s in saved:
        by_rel[s.save.rel].append(s)
    with Store.open(config.path("database")) as store:
        files = store.db.execute("SELECT path, sha256, verdict, archive_path FROM files ORDER BY id").fetchall()
        versions = store.db.execute(
            "SELECT v.id, v.unit, v.sha256, f.path FROM versions v JOIN files f ON f.id = v.file_id"
            " WHERE v.kind = ? ORDER BY v.id", [KIND]).fetchall()
        current = {v.unit: v for v in store.current_versions() if v.kind == KIND}
    received: dict[str, set[str]] = defaultdict(set)
    for path, sha, verdict, archived in files:
        received[path].add(sha)
        ours = {s.sha256: s.save.valid for s in by_rel.get(path, [])}
        if sha not in ours:
            problems.append(f"{path}: recorded content {sha[:12]} ({verdict}) was never saved: a torn read")
        elif verdict == "rejected" and ours[sha]:
            problems.append(f"{path}: a valid content {sha[:12]} was rejected")
        elif verdict == "accepted" and not ours[sha]:
            problems.append(f"{path}: an invalid content {sha[:12]} was accepted")
        copy = _archived(archived, config.base)
        if copy is None or hashlib.sha256(copy.read_bytes()).hexdigest() != sha:
            problems.append(f"{path}: {verdict} content {sha[:12]} is not in the archive ({archived})")

    # every final content recorded, and the one in force
    for rel, history in by_rel.items():
        final = history[-1]
        on_disk = hashlib.sha256((watched / rel).read_bytes()).hexdigest()
        if on_disk != final.sha256:
            problems.append(f"{rel}: the file on disk is not its last save (the test's own fault)")
        version = current.get(unit_name(final.save.unit))
        if version is None or version.sha256 != on_disk or version.path != rel:
            problems.append(f"{rel}: the current version is {version and version.sha256[:12]},"
                            f" not the final content {on_disk[:12]}")
    # nothing lost: every content that stayed long enough at its name was received
    settled, longest_missed = 0, 0.0
    for rel, history in by_rel.items():
        for s, after in zip(history, history[1:] + [None]):
            stayed = (after.started if after else float("inf")) - s.ended
            if after is not None and after.sha256 == s.sha256:
                continue  # the same bytes again: the later save stands for both
            if s.sha256 not in received[rel]:
                longest_missed = max(longest_missed, stayed)
            if stayed >= long_enough:
                settled += 1
                if s.sha256 not in received[rel]:
                    problems.append(f"{rel}: save {s.save.number} stayed {stayed:.1f}s but was never received")
    # no duplicate versions: never the same content twice in a row for one report
    per_unit: dict[str, list[tuple[int, str, str]]] = defaultdict(list)
    for vid, unit, sha, path in versions:
        per_unit[unit].append((vid, sha, path))
    number_of = {(s.save.rel, s.sha256): s.save.number for s in saved}
    for unit, history in per_unit.items():
        for (_, a, _), (vid, b, _) in zip(history, history[1:]):
            if a == b:
                problems.append(f"{unit}: version {vid} repeats the content of the version before it")
        numbers = [number_of.get((path, sha), -1) for _, sha, path in history]
        if numbers != sorted(numbers):
            problems.append(f"{unit}: versions out of save order: {numbers}")

    # latency: a version's content saved (its first save) → the first rewrite showing it
    shown_at: dict[int, float] = {}
    last_shown: set[int] = set()
    for seen, data in snapshots:
        last_shown = shown_versions(data)
        for vid in last_shown:
            shown_at.setdefault(vid, seen)
    first_save = {}
    for s in saved:
        first_save.setdefault((s.save.rel, s.sha256), s)
    never_shown = 0
    for vid, _, sha, path in versions:
        s = first_save.get((path, sha))
        if s is None:
            continue
        if vid in shown_at:
            result.latencies.append(shown_at[vid] - s.ended)
        else:
            never_shown += 1  # replaced by a newer version before any rewrite: fine
    want = {v.version_id for v in current.values()}
    if snapshots and last_shown != want:
        problems.append(f"the last consolidated workbook shows versions {sorted(last_shown - want)[:5]} not in "
                        f"force and misses {sorted(want - last_shown)[:5]}")
    if not snapshots:
        problems.append("the consolidated workbook was never rewritten")

    verdicts = [v for _, _, v, _ in files]
    contents = {(s.save.rel, s.sha256) for s in saved}
    result.counts = {
        "saves": len(saved), "units": len(by_rel), "distinct contents": len(contents),
        "seconds of saving": round(saved[-1].ended - saved[0].started) if saved else 0,
        "re-saves within the settle window": sum(1 for history in by_rel.values() for a, b in zip(history, history[1:])
                                                 if b.started - a.ended < settle),
        "files received": len(files), "accepted": verdicts.count("accepted"),
        "rejected": verdicts.count("rejected"), "unchanged": verdicts.count("unchanged"),
        "versions": len(versions), "settled contents checked": settled,
        "rewrites seen": len(snapshots), "versions never shown (replaced first)": never_shown,
        "rewrites while saving": sum(1 for seen, _ in snapshots if saved and seen < saved[-1].ended),
    }
    result.longest_missed = longest_missed
    return result


def _archived(archive_path: str, base: Path) -> Path | None:
    if not archive_path:
        return None
    path = Path(archive_path)
    return path if path.is_absolute() else base / path


def run(config: Config, saves: list[Save], contents: Contents, *, drain: float = 120.0
        ) -> tuple[list[Saved], list[tuple[float, bytes]], int]:
    """The saves through a running service (tests/running.py); returns them, the
    consolidated workbook as seen after each rewrite, and the service's rewrite count."""
    from running import Running

    for save in saves:  # made before the clock starts: the load is the saving, not the making
        contents.of(save)
    poll = config.get("watch", "poll_seconds") if config.get("watch", "observer") == "polling" else 0.0
    with Running(config) as running, Rewrites(config.path("consolidated")) as rewrites:
        saved = drive(saves, config.path("watched"), contents)
        running.quiet(hold=config.get("watch", "settle_seconds") + 2 * poll + 0.5, timeout=drain)
        time.sleep(0.05)  # its last look
    return saved, rewrites.seen, running.service.summary_writes
