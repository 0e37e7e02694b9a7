"""Store: every file received, every accepted report version, the version in force.

Verdict → record() → one transaction over files, findings, versions, figures, current
→ RecordResult. SQL lives only here (and the schema in store_schema.py).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import sqlite3
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import chain, repeat
from json.encoder import encode_basestring
from operator import add
from pathlib import Path

from sqlite_utils import Database

from syncservice.base.errors import StoreError
from syncservice.base.models import (
    DataRow,
    Figure,
    FigureColumn,
    FigureShape,
    Figures,
    Finding,
    RejectedFile,
    Report,
    Severity,
    StagedFile,
    StoredVersion,
    Verdict,
    VersionChange,
)
from syncservice.base.units import fold
from syncservice.store import schema as store_schema

Key = tuple[str, str, int]  # (kind, unit, year)
ACCEPTED, REJECTED, UNCHANGED = "accepted", "rejected", "unchanged"


@dataclass(frozen=True)
class Seen:
    """What the store last saw at a path: enough to skip a file whose size and mtime are unchanged."""

    sha256: str
    size: int
    mtime_ns: int
    verdict: str  # of the newest row: accepted, rejected or unchanged
    file_id: int


@dataclass(frozen=True)
class RecordResult:
    file_id: int
    verdict: str  # accepted, rejected or unchanged
    new_versions: list[int] = field(default_factory=list)
    unchanged_reports: list[Key] = field(default_factory=list)  # same content as the current version
    replaced: list[tuple[Key, int]] = field(default_factory=list)  # (key, the version no longer current)
    other_paths: dict[Key, str] = field(default_factory=dict)  # key was current from another file's path
    # (key, the version that stays in force): recorded from a file saved before that version's file
    superseded: list[tuple[Key, int]] = field(default_factory=list)


@dataclass(frozen=True)
class Unreadable:
    """A file that exists but could not be read, since `first_failed` (ISO, UTC)."""

    path: str
    first_failed: str
    last_failed: str
    attempts: int
    reason: str
    judged_at: str | None  # when it got the verdict file.unreadable; None while it is retried


@dataclass(frozen=True)
class LogEntry:
    """One verdict in the validation log."""

    file_id: int
    received_at: str
    path: str
    verdict: str
    error_count: int
    warning_count: int
    sheets: list[dict]
    findings: tuple[tuple[Finding, str], ...]  # (finding, its message as recorded)


@dataclass(frozen=True)
class OwedReport:
    """A verdict whose report (rejected) or report's removal (accepted) is still owed."""

    file_id: int
    path: str
    verdict: str  # accepted or rejected
    received_at: str  # ISO, UTC: the verdict's time
    sha256: str
    size: int
    mtime_ns: int
    archive_path: str  # as recorded; '' when the file was never copied (too large)
    sheets: list[dict]
    findings: tuple[Finding, ...]  # errors and warnings, in recorded order


def content_hash(report: Report) -> str:
    """Hash of what a report says, not of the file: the same figures re-saved by Excel hash the same.

    Figures are sorted, so moved columns or cells with the same figures are not a new version.
    What is hashed is the JSON text of [head, sorted rows], written out in pieces.
    """
    head = [report.kind, report.unit, report.year, report.amount_unit,
            report.as_of.isoformat() if report.as_of else None, report.through, _extra(report)]
    digest = hashlib.sha256(f"[{_json(head)}, [".encode())
    separator = ""
    for text in _sorted_rows_json(report.figures):
        digest.update((separator + text).encode())
        separator = ", "
    digest.update(b"]]")
    return digest.hexdigest()


def _sorted_rows_json(figures: Sequence[Figure]) -> Iterator[str]:
    """The figures as sorted rows [line_no, line, track, metric, period, value], as JSON text
    in pieces to be joined by ', ': exactly json.dumps(rows)[1:-1], so hashes stay as recorded.

    Rows sort line by line, and within a line by (metric, period): from many Figures whose
    columns differ in (metric, period), the text is written in that order straight from the
    columns, without sorting half a million tuples. Anything else is sorted as it is.
    """
    if isinstance(figures, Figures) and len(figures) >= 1000:  # below, sorting them is as quick
        keys = {(c.metric, c.period) for c in figures.columns}
        if (len(keys) == len(figures.columns) and {*map(type, figures.lines), *map(type, figures.tracks)} == {str}
                and all(all(map(math.isfinite, c.values)) for c in figures.columns)):
            yield from _columns_json(figures)
            return
    # + 0.0 turns -0.0 into 0.0: the same figure
    rows = sorted((f.line_no, f.line, f.track, f.metric, f.period, float(f.value) + 0.0) for f in figures)
    if rows:
        yield _json(rows)[1:-1]


def _columns_json(figures: Figures, chunk: int = 4096) -> Iterator[str]:
    columns = sorted(figures.columns, key=lambda c: (c.metric, c.period))
    middles = [f"{_json(c.metric)}, {_json(c.period)}, " for c in columns]
    names = list(map(encode_basestring, figures.lines))  # what json.dumps(ensure_ascii=False) writes
    tracks = {track: encode_basestring(track) for track in set(figures.tracks)}
    for start in range(0, len(figures.lines), chunk):
        stop = start + chunk
        heads = [f"[{n}, {name}, {tracks[track]}, "
                 for n, name, track in zip(range(start, stop), names[start:stop], figures.tracks[start:stop])]
        pieces = []
        for column, middle in zip(columns, middles):
            values = [v + 0.0 for v in column.values[start:stop]]  # -0.0 is 0.0: the same figure
            shown = {v: repr(v) for v in set(values)}  # counts repeat: each written once (json writes repr)
            pieces.append(map(add, map(add, heads, repeat(middle)), map(shown.__getitem__, values)))
        yield "], ".join(chain.from_iterable(zip(*pieces))) + "]"


def _json(value: object) -> str:
    return json.dumps(value, ensure_ascii=False)


def _extra(report: Report) -> dict:
    """What a report says beyond its figures (effekt's status per line); where its cells were
    ('unit_cell', 'through_cell', …) is not content."""
    return {k: v for k, v in report.extra.items() if not k.endswith("_cell")}


def saved_before(mtime_ns: int, path: str, other_ns: int, other_path: str) -> bool:
    """Of two files holding one report, the one saved last is in force whatever the order they
    are read in (WORKBOOKS.md §1): True when the file at `path` was saved before the other one.
    A save at the same path is the person's newest word whatever its mtime (a period going
    back is caught by change.period_back); at the same instant the one read last wins."""
    return path != other_path and mtime_ns < other_ns


def _sheets_json(verdict: Verdict) -> str:
    return json.dumps([{"sheet": s.sheet, "kind": s.kind, "unit": s.unit, "year": s.year} for s in verdict.sheets],
                      ensure_ascii=False)


def _iso(when: dt.datetime) -> str:
    utc = when.replace(tzinfo=dt.UTC) if when.tzinfo is None else when.astimezone(dt.UTC)
    return utc.isoformat(timespec="seconds")


def _iso_ns(mtime_ns: int) -> str:
    return _iso(dt.datetime.fromtimestamp(mtime_ns / 1e9, dt.UTC))


_VERSION_SELECT = """
SELECT v.id, v.kind, v.unit, v.year, v.file_id, f.path, f.file_name, v.sheet, v.sha256, v.saved_at,
       v.accepted_at, v.archive_path, v.amount_unit, v.as_of, v.through, v.extra, f.mtime_ns, v.superseded_by,
       gone_.gone_at, v.number
FROM versions v JOIN files f ON f.id = v.file_id LEFT JOIN gone gone_ ON gone_.path = f.path
"""
_FINDING_COLUMNS = 'file_id, severity, rule, sheet, cells, "column", value, message, params, numeric'
_FIGURE_INSERT = ("INSERT INTO figures (version_id, seq, line_no, line, track, metric, period, value, sheet, cell)"
                  " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")


def _figure_rows(version_id: int, report: Report) -> Iterable[tuple]:
    """The figures table's rows of one version (as _FIGURE_INSERT takes them), streamed.

    From Figures, line by line (the index's order, so each insert lands at its end) and
    built by zip from the columns, never as one Python object per figure.
    """
    figures, sheet = report.figures, report.sheet
    if not isinstance(figures, Figures):
        return ((version_id, seq, f.line_no, f.line, f.track, f.metric, f.period, f.value, sheet, f.cell)
                for seq, f in enumerate(figures))
    lines, width = len(figures.lines), len(figures.columns)
    rows = [str(r) for r in figures.rows]
    columns = []
    for i, c in enumerate(figures.columns):
        seqs = range(i, lines * width, width) if figures.by_line else range(i * lines, (i + 1) * lines)
        columns.append(zip(repeat(version_id), seqs, range(lines), figures.lines, figures.tracks, repeat(c.metric),
                           repeat(c.period), c.values, repeat(sheet), map(c.letter.__add__, rows)))
    return chain.from_iterable(zip(*columns))

def _as_columns(rows: Iterable[tuple]) -> Figures | None:
    """Rows (line, metric, period, value, cell, line_no, track) in line order → Figures, when
    the lines are numbered 0, 1, … and each has the first line's columns (metric, period and
    sheet column), in its order, all in the line's own sheet row; else None."""
    lines: list[str] = []
    tracks: list[str] = []
    sheet_rows: list[str] = []
    columns: list[tuple[str, str, str]] = []
    values: list[list[float]] = []
    at = 0  # the next column of the current line
    for line, metric, period, value, cell, line_no, track in rows:
        letter = (cell or "").rstrip("0123456789")
        row = cell[len(letter):] if cell else ""
        if not letter or not row or row[0] == "0":
            return None
        if line_no == len(lines):  # a line's first figure
            if lines and at != len(columns):
                return None
            lines.append(line)
            tracks.append(track or "")
            sheet_rows.append(row)
            at = 0
        elif line_no != len(lines) - 1 or line != lines[-1] or (track or "") != tracks[-1] or row != sheet_rows[-1]:
            return None
        key = (metric, period or "", letter)
        if len(lines) == 1:
            columns.append(key)
            values.append([])
        elif at == len(columns) or columns[at] != key:
            return None
        values[at].append(value)
        at += 1
    if not lines or at != len(columns):
        return None
    return Figures(lines, map(int, sheet_rows), [FigureColumn(*key, tuple(v)) for key, v in zip(columns, values)],
                   tracks=tracks, by_line=True)

def _version(row: tuple) -> StoredVersion:
    *head, amount_unit, as_of, through, extra, saved_ns, superseded_by, deleted_at, number = row
    return StoredVersion(*head, amount_unit=amount_unit or "", as_of=as_of or "", through=through,
                         extra=json.loads(extra or "{}"), saved_ns=saved_ns or 0, superseded_by=superseded_by,
                         deleted_at=deleted_at or "", number=number or 0)


def _finding(rule: str, severity: Severity, sheet: str | None, cells: str | None, column: str | None,
             value: str | None, params: str | None, numeric: int | None) -> Finding:
    """A findings row (rule, severity, sheet, cells, column, value, params, numeric) → Finding."""
    return Finding(rule, severity, sheet or "", tuple(json.loads(cells or "[]")), column or "", value or "",
                   json.loads(params or "{}"), bool(numeric))


_UNREADABLE_SELECT = "SELECT path, first_failed, last_failed, attempts, reason, judged_at FROM unreadable"


class Store:
    """The SQLite store. Use from one thread at a time (the pipeline's worker)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    @classmethod
    def open(cls, path: Path) -> Store:
        """Open or create the database at `path` (local disk only), migrated to the current schema."""
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            # check_same_thread=False: opened by the main thread, used by the worker, closed on exit.
            conn = sqlite3.connect(str(path), timeout=30, check_same_thread=False)
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(f"cannot open the store {path}: {exc}") from exc
        try:
            db = Database(conn, execute_plugins=False)
            db.enable_wal()
            # WAL + synchronous=NORMAL: a commit survives a crash of the process (it is in the
            # WAL before commit returns); a power cut may lose the last commits but never corrupts
            # the database. A lost commit is harmless: the file is simply processed again on the
            # next scan, and the archive keeps every copy. FULL would fsync on every commit.
            db.execute("PRAGMA synchronous=NORMAL")
            # 8 MiB page cache (default 2 MiB). Figures go in in the index's order, so a larger
            # cache records 500,000 of them no faster (measured up to 64 MiB), only holding
            # up to 40 MB more for as long as the store is open.
            db.execute("PRAGMA cache_size=-8192")
            return cls._ready(db)
        except sqlite3.Error as exc:
            conn.close()
            raise StoreError(f"cannot open the store {path}: {exc}") from exc

    @classmethod
    def memory(cls) -> Store:
        """A fresh in-memory store (tests)."""
        return cls._ready(Database(memory=True, execute_plugins=False))

    @classmethod
    def _ready(cls, db: Database) -> Store:
        db.execute("PRAGMA foreign_keys=ON")
        store_schema.apply(db)
        return cls(db)

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _guard(self, what: str) -> Iterator[None]:
        """sqlite3 errors become one readable StoreError (the transaction is already rolled back)."""
        try:
            yield
        except sqlite3.Error as exc:
            raise StoreError(f"the store could not {what}: {exc}") from exc

    # -- what was seen ---------------------------------------------------------------------

    def last_seen(self, path: str) -> Seen | None:
        with self._guard("read the files table"):
            row = self.db.execute(
                "SELECT sha256, size, mtime_ns, verdict, id FROM files WHERE path = ? ORDER BY id DESC LIMIT 1",
                [path]).fetchone()
        return Seen(*row) if row else None

    def seen_index(self) -> dict[str, Seen]:
        """path → Seen of its newest row, for every path ever received (one query)."""
        with self._guard("read the files table"):
            rows = self.db.execute(
                "SELECT f.path, f.sha256, f.size, f.mtime_ns, f.verdict, f.id FROM files f"
                " JOIN (SELECT MAX(id) AS id FROM files GROUP BY path) n ON n.id = f.id").fetchall()
        return {path: Seen(*rest) for path, *rest in rows}

    # -- workbooks that are not reports (WORKBOOKS.md §1) ----------------------------------------

    def note_not_report(self, staged: StagedFile, now: dt.datetime) -> bool:
        """The workbook at staged.rel is not a report; True when this content is new there (log it)."""
        with self._guard(f"note {staged.rel} as not a report"), self.db.atomic():
            row = self.db.execute("SELECT sha256 FROM not_reports WHERE path = ?", [staged.rel]).fetchone()
            self.db.execute("INSERT OR REPLACE INTO not_reports (path, sha256, size, mtime_ns, noted_at)"
                            " VALUES (?, ?, ?, ?, ?)", [staged.rel, staged.sha256, staged.size, staged.mtime_ns,
                                                        _iso(now) if row is None or row[0] != staged.sha256
                                                        else self._noted_at(staged.rel)])
            new = row is None or row[0] != staged.sha256
            if new:  # the consolidated workbook's stamp moves: a path rejected before leaves Afviste
                self._event(_iso(now), "not_report", staged.rel)
        return new

    def _noted_at(self, path: str) -> str:
        return self.db.execute("SELECT noted_at FROM not_reports WHERE path = ?", [path]).fetchone()[0]

    def not_reports(self) -> dict[str, Seen]:
        """path → what was last noted there, for every workbook noted as not a report."""
        with self._guard("read the workbooks that are not reports"):
            rows = self.db.execute("SELECT path, sha256, size, mtime_ns FROM not_reports").fetchall()
        return {path: Seen(sha, size, mtime_ns, "not_report", 0) for path, sha, size, mtime_ns in rows}

    # -- files that cannot be read -------------------------------------------------------------

    def note_unreadable(self, path: str, reason: str, now: dt.datetime) -> Unreadable:
        """One more failed attempt to read `path`; returns its row (first_failed kept from the first)."""
        when = _iso(now)
        with self._guard(f"note {path} as unreadable"), self.db.atomic():
            self.db.execute(
                "INSERT INTO unreadable (path, first_failed, last_failed, attempts, reason) VALUES (?, ?, ?, 1, ?)"
                " ON CONFLICT (path) DO UPDATE SET last_failed = excluded.last_failed,"
                " attempts = attempts + 1, reason = excluded.reason", [path, when, when, reason])
            row = self.db.execute(_UNREADABLE_SELECT + " WHERE path = ?", [path]).fetchone()
        return Unreadable(*row)

    def judged_unreadable(self, path: str, now: dt.datetime) -> None:
        with self._guard(f"note {path} as judged unreadable"), self.db.atomic():
            self.db.execute("UPDATE unreadable SET judged_at = ? WHERE path = ?", [_iso(now), path])

    def forget_unreadable(self, paths: Iterable[str]) -> None:
        """`paths` were read after all, or are gone."""
        with self._guard("forget unreadable files"), self.db.atomic():
            self.db.conn.executemany("DELETE FROM unreadable WHERE path = ?", [(p,) for p in paths])

    def unreadable(self) -> list[Unreadable]:
        """Every file that could not be read when last tried, by path."""
        with self._guard("read the unreadable files"):
            rows = self.db.execute(_UNREADABLE_SELECT + " ORDER BY path").fetchall()
        return [Unreadable(*row) for row in rows]

    # -- recording ---------------------------------------------------------------------------

    def record(self, staged: StagedFile, verdict: Verdict, archive_path: str | Path,
               messages: Callable[[Finding], str], now: dt.datetime, moved_from: Iterable[str] = ()) -> RecordResult:
        """Record a judged file in ONE transaction: its row, its findings, and if accepted its reports.

        A report whose content_hash equals the current version's creates no version. `moved_from`:
        paths no longer in the folder that held these very bytes (the file was renamed or moved,
        WORKBOOKS.md §9): a version in force from one of them now cites this file.
        """
        moved = set(moved_from)
        accepted = verdict.accepted
        archive_path = str(archive_path)
        findings = [(f, messages(f)) for f in (*verdict.errors, *verdict.warnings)]
        result = RecordResult(0, ACCEPTED if accepted else REJECTED)
        with self._guard(f"record {staged.rel}"), self.db.atomic():
            file_id = self._insert_file(staged, result.verdict, archive_path, _iso(now),
                                        len(verdict.errors), len(verdict.warnings), _sheets_json(verdict))
            self._back(staged.rel, _iso(now))
            self.db.execute("DELETE FROM not_reports WHERE path = ?", [staged.rel])  # a report (or a try at one) now
            self._index_judged(staged.rel, file_id, verdict)
            self.db.conn.executemany(
                f"INSERT INTO findings ({_FINDING_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(file_id, f.severity, f.rule, f.sheet, json.dumps(list(f.cells)), f.column, f.value, text,
                  json.dumps(f.params, ensure_ascii=False, default=str), int(f.numeric)) for f, text in findings])
            if accepted:
                for report in verdict.reports:
                    self._record_report(file_id, staged, archive_path, report, _iso(now), result, moved)
        return RecordResult(file_id, result.verdict, result.new_versions, result.unchanged_reports,
                            result.replaced, result.other_paths, result.superseded)

    def record_unchanged(self, staged: StagedFile, now: dt.datetime) -> RecordResult:
        """Record that the file at staged.rel was saved again with the same bytes (same sha256).

        Nothing is validated or archived again: the row points at the earlier archive copy and
        carries its counts. Raises ValueError if the newest row for the path has another sha256.
        """
        with self._guard(f"record {staged.rel}"), self.db.atomic():
            prev = self.db.execute(
                "SELECT sha256, archive_path, error_count, warning_count, sheets FROM files"
                " WHERE path = ? ORDER BY id DESC LIMIT 1", [staged.rel]).fetchone()
            if prev is None or prev[0] != staged.sha256:
                raise ValueError(f"{staged.rel}: not unchanged (no earlier file with sha256 {staged.sha256[:12]})")
            file_id = self._insert_file(staged, UNCHANGED, prev[1], _iso(now), prev[2], prev[3], prev[4])
            if self._back(staged.rel, _iso(now)):
                self._restore(staged, _iso(now))
                # a rejected file restored: rejected again, so its report (archived when it went) is owed again
                self.db.execute("UPDATE files SET feedback_due = 1 WHERE verdict = 'rejected'"
                                " AND id = (SELECT file_id FROM latest_judged WHERE path = ?)", [staged.rel])
        return RecordResult(file_id, UNCHANGED)

    def _back(self, path: str, now: str) -> bool:
        """A file is read at `path` again: no longer gone. True when it was."""
        if self.db.execute("DELETE FROM gone WHERE path = ?", [path]).rowcount:
            self._event(now, "back", path)
            return True
        return False

    def _restore(self, staged: StagedFile, now: str) -> None:
        """The bytes a deleted file held are back at its path: each of its versions that was saved
        after the one in force now (it lost force when the file went) is in force again."""
        rows = self.db.execute(
            "SELECT v.id, v.kind, v.unit, v.year, f.mtime_ns FROM versions v JOIN files f ON f.id = v.file_id"
            " WHERE f.path = ? AND v.sha256 = ? AND v.superseded_by IS NULL ORDER BY v.id", [staged.rel, staged.sha256]
        ).fetchall()
        for version_id, *key, mtime_ns in rows:
            current = self.db.execute(
                "SELECT c.version_id, f.mtime_ns FROM current c JOIN versions v ON v.id = c.version_id"
                " JOIN files f ON f.id = v.file_id WHERE c.kind = ? AND c.unit = ? AND c.year = ?", key).fetchone()
            if current is None or current[0] == version_id or (current[1] or 0) >= (mtime_ns or 0):
                continue
            if self.db.execute("SELECT 1 FROM retired WHERE kind = ? AND unit = ? AND year = ?", key).fetchone():
                continue
            self.db.execute("UPDATE current SET version_id = ? WHERE kind = ? AND unit = ? AND year = ?",
                            [version_id, *key])
            self._event(now, "restored", staged.rel, key, version_id, {"was": current[0]})

    def _event(self, now: str, event: str, path: str | None = None, key: Key | None = None,
               version_id: int | None = None, detail: dict | None = None) -> None:
        kind, unit, year = key or (None, None, None)
        self.db.execute("INSERT INTO path_events (at, event, path, kind, unit, year, version_id, detail)"
                        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                        [now, event, path, kind, unit, year, version_id,
                         json.dumps(detail, ensure_ascii=False) if detail else None])

    def _index_judged(self, path: str, file_id: int, verdict: Verdict) -> None:
        """Keep latest_judged and file_reports (store_schema.py) as history grows."""
        self.db.execute("INSERT INTO latest_judged (path, file_id) VALUES (?, ?)"
                        " ON CONFLICT (path) DO UPDATE SET file_id = excluded.file_id", [path, file_id])
        self.db.conn.executemany(
            "INSERT OR IGNORE INTO file_reports (kind, unit, year, file_id) VALUES (?, ?, ?, ?)",
            [(s.kind, s.unit, s.year, file_id) for s in verdict.sheets if s.kind and s.unit and s.year is not None])

    def _insert_file(self, staged: StagedFile, verdict: str, archive_path: str, now: str,
                     errors: int, warnings: int, sheets: str | None = None) -> int:
        # a judged file owes its person the report (or its removal) until feedback_done()
        return self.db.execute(
            "INSERT INTO files (path, file_name, sha256, size, mtime_ns, saved_at, received_at, verdict,"
            " archive_path, error_count, warning_count, sheets, feedback_due)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [staged.rel, staged.name, staged.sha256, staged.size, staged.mtime_ns, _iso_ns(staged.mtime_ns),
             now, verdict, archive_path, errors, warnings, sheets or "[]", int(verdict != UNCHANGED)]).lastrowid

    def _record_report(self, file_id: int, staged: StagedFile, archive_path: str, report: Report,
                       now: str, result: RecordResult, moved: set[str] = frozenset()) -> None:
        key = report.key
        digest = content_hash(report)
        current = self.db.execute(
            "SELECT c.version_id, v.content_hash, f.path, f.mtime_ns FROM current c"
            " JOIN versions v ON v.id = c.version_id JOIN files f ON f.id = v.file_id"
            " WHERE c.kind = ? AND c.unit = ? AND c.year = ?", key).fetchone()
        if current and current[2] in moved and current[1] == digest:
            # renamed or moved with its content: the version in force cites the name that exists
            self.db.execute("UPDATE versions SET first_file_id = COALESCE(first_file_id, file_id), file_id = ?"
                            " WHERE id = ?", [file_id, current[0]])
            self._event(now, "moved", staged.rel, key, current[0], {"from": current[2]})
            result.unchanged_reports.append(key)
            return
        if current and current[2] != staged.rel:
            result.other_paths[key] = current[2]
        if current and current[1] == digest:
            result.unchanged_reports.append(key)
            return
        # Kept in the history whatever its age, but an older save never takes over (§1 "Identity").
        older = current is not None and saved_before(staged.mtime_ns, staged.rel, current[3] or 0, current[2])
        version_id = self.db.execute(
            "INSERT INTO versions (kind, unit, year, file_id, sheet, sha256, saved_at, accepted_at, archive_path,"
            " amount_unit, as_of, through, content_hash, extra, superseded_by, number)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,"
            " (SELECT COUNT(*) + 1 FROM versions WHERE kind = ? AND unit = ? AND year = ?))",
            [*key, file_id, report.sheet, staged.sha256, _iso_ns(staged.mtime_ns), now, archive_path,
             report.amount_unit, report.as_of.isoformat() if report.as_of else "", report.through,
             digest, json.dumps(_extra(report), ensure_ascii=False), current[0] if older else None,
             *key]).lastrowid
        self.db.conn.executemany(_FIGURE_INSERT, _figure_rows(version_id, report))
        self.db.execute("INSERT OR IGNORE INTO unit_names (folded, unit) VALUES (?, ?)",
                        [fold(report.unit), report.unit])
        result.new_versions.append(version_id)
        if older:
            result.superseded.append((key, current[0]))
            return
        self.db.execute(
            "INSERT INTO current (kind, unit, year, version_id) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (kind, unit, year) DO UPDATE SET version_id = excluded.version_id",
            [*key, version_id])
        self.db.execute("DELETE FROM retired WHERE kind = ? AND unit = ? AND year = ?", key)  # reported again
        if current:
            result.replaced.append((key, current[0]))

    # -- files deleted, renamed or moved; reports retired (WORKBOOKS.md §9) ---------------------

    def tracked_paths(self) -> dict[str, str]:
        """path → sha256 of every path the store cites and has not found gone: the file of a
        version in force, and a file rejected now (one query each)."""
        with self._guard("read the paths in use"):
            rows = self.db.execute(
                "SELECT f.path, f.sha256 FROM current c JOIN versions v ON v.id = c.version_id"
                " JOIN files f ON f.id = v.file_id WHERE f.path NOT IN (SELECT path FROM gone)"
                " UNION SELECT f.path, f.sha256 FROM latest_judged n JOIN files f ON f.id = n.file_id"
                " WHERE f.verdict = 'rejected' AND n.path NOT IN (SELECT path FROM gone)").fetchall()
        return dict(rows)

    def mark_gone(self, paths: dict[str, str], now: dt.datetime) -> None:
        """`paths` (path → the sha256 last read there) are no longer in the watched folder."""
        when = _iso(now)
        with self._guard("record the files gone"), self.db.atomic():
            for path, sha256 in paths.items():
                self.db.execute("INSERT OR IGNORE INTO gone (path, gone_at, sha256) VALUES (?, ?, ?)",
                                [path, when, sha256])
                self._event(when, "deleted", path)

    def gone(self) -> dict[str, str]:
        """path → when it was found gone, for every path gone and not read again since."""
        with self._guard("read the files gone"):
            return dict(self.db.execute("SELECT path, gone_at FROM gone").fetchall())

    def fall_back(self, key: Key, version_id: int, now: dt.datetime) -> None:
        """The file of `key`'s version in force is gone: `version_id`, an earlier version whose
        file is still there with its content, is in force instead (WORKBOOKS.md §9)."""
        with self._guard(f"fall back to version {version_id}"), self.db.atomic():
            was = self.db.execute("SELECT version_id FROM current WHERE kind = ? AND unit = ? AND year = ?",
                                  key).fetchone()
            self.db.execute("UPDATE current SET version_id = ? WHERE kind = ? AND unit = ? AND year = ?",
                            [version_id, *key])
            self._event(_iso(now), "fell_back", None, key, version_id, {"was": was[0] if was else None})

    def retire(self, key: Key, now: dt.datetime) -> StoredVersion | None:
        """Take report `key` out of what finance reads; its history stays. Returns the version
        that was in force, or None when none was (retired already, or never accepted)."""
        with self._guard(f"retire {key}"), self.db.atomic():
            row = self.db.execute(_VERSION_SELECT + " JOIN current c ON c.version_id = v.id"
                                  " WHERE c.kind = ? AND c.unit = ? AND c.year = ?", key).fetchone()
            if row is None:
                return None
            version = _version(row)
            self.db.execute("DELETE FROM current WHERE kind = ? AND unit = ? AND year = ?", key)
            self.db.execute("INSERT OR REPLACE INTO retired (kind, unit, year, version_id, retired_at)"
                            " VALUES (?, ?, ?, ?, ?)", [*key, version.version_id, _iso(now)])
            self._event(_iso(now), "retired", version.path, key, version.version_id)
        return version

    def retired(self) -> dict[Key, tuple[int, str]]:
        """(kind, unit, year) → (the version in force when it was retired, when) for each report retired."""
        with self._guard("read the reports retired"):
            rows = self.db.execute("SELECT kind, unit, year, version_id, retired_at FROM retired").fetchall()
        return {(k, u, y): (v, at) for k, u, y, v, at in rows}

    # -- the reports owed to staff (pipeline._feedback) ---------------------------------------

    def feedback_done(self, path: str) -> None:
        """The report for `path`'s newest verdict is written (or removed): nothing is owed there."""
        with self._guard(f"record the report for {path}"), self.db.atomic():
            self.db.execute("UPDATE files SET feedback_due = 0 WHERE path = ? AND feedback_due = 1", [path])

    def feedback_owed(self) -> list[OwedReport]:
        """Per path that is owed its report, its newest judged verdict with every finding, oldest
        verdict first. Cheap when nothing is owed (a partial index holds only what is)."""
        with self._guard("read the reports owed"):
            rows = self.db.execute(
                "SELECT f.id, f.path, f.verdict, f.received_at, f.sha256, f.size, f.mtime_ns, f.archive_path, f.sheets"
                " FROM (SELECT DISTINCT path FROM files WHERE feedback_due = 1) d"
                " JOIN latest_judged n ON n.path = d.path JOIN files f ON f.id = n.file_id"
                " WHERE NOT (f.verdict = 'rejected' AND d.path IN (SELECT path FROM gone))"  # a deleted one's report went
                " ORDER BY f.id").fetchall()
            out = []
            for file_id, *head, sheets in rows:
                found = self.db.execute(
                    'SELECT rule, severity, sheet, cells, "column", value, params, numeric FROM findings'
                    " WHERE file_id = ? ORDER BY id", [file_id]).fetchall()
                out.append(OwedReport(file_id, *head, json.loads(sheets or "[]"),
                                      tuple(_finding(*row) for row in found)))
        return out

    def respell(self, spelling: str) -> bool:
        """Make `spelling` the one kept for its unit (reporting.units names it so), in every
        version and report held under another spelling. False when there was nothing to do."""
        with self._guard(f"respell the unit {spelling}"), self.db.atomic():
            row = self.db.execute("SELECT unit FROM unit_names WHERE folded = ?", [fold(spelling)]).fetchone()
            if row is None or row[0] == spelling:
                return False
            store_schema.respell_unit(self.db, row[0], spelling)
            self.db.execute("UPDATE unit_names SET unit = ? WHERE folded = ?", [spelling, fold(spelling)])
        return True

    def spellings(self, units: Iterable[str]) -> dict[str, str]:
        """unit as read → the spelling the store keeps for it (the first accepted), for each of
        `units` that names a unit already accepted under any spelling (units.fold)."""
        found = {}
        with self._guard("read the unit names"):
            for unit in dict.fromkeys(units):
                row = self.db.execute("SELECT unit FROM unit_names WHERE folded = ?", [fold(unit)]).fetchone()
                if row:
                    found[unit] = row[0]
        return found

    def units(self) -> list[str]:
        """Every unit the store holds a version for, as it keeps it spelt."""
        with self._guard("read the unit names"):
            return [r[0] for r in self.db.execute("SELECT unit FROM unit_names ORDER BY unit").fetchall()]

    # -- reading -----------------------------------------------------------------------------

    def previous_current(self, keys: Iterable[Key]) -> dict[Key, StoredVersion]:
        """The version now in force for each key that has one (ask before record() to warn about it)."""
        found = {}
        with self._guard("read the current versions"):
            for key in dict.fromkeys(keys):
                row = self.db.execute(
                    _VERSION_SELECT + " JOIN current c ON c.version_id = v.id"
                    " WHERE c.kind = ? AND c.unit = ? AND c.year = ?", key).fetchone()
                if row:
                    found[key] = _version(row)
        return found

    def current_versions(self) -> list[StoredVersion]:
        with self._guard("read the current versions"):
            rows = self.db.execute(_VERSION_SELECT + " JOIN current c ON c.version_id = v.id"
                                   " ORDER BY c.kind, c.unit, c.year").fetchall()
        return [_version(r) for r in rows]

    def current_data_rows(self, only: Collection[int] | None = None) -> Iterator[DataRow]:
        """Every figure of every current version (of those with ids `only`), streamed, in kind,
        unit, year, line, figure order."""
        where, params = ("", []) if only is None else (" WHERE c.version_id IN (SELECT value FROM json_each(?))",
                                                        [json.dumps(sorted(only))])
        sql = ("SELECT c.unit, c.year, c.kind, g.line, g.metric, g.period, g.value, f.file_name, g.version_id,"
               " g.line_no, g.track FROM current c JOIN versions v ON v.id = c.version_id"
               " JOIN files f ON f.id = v.file_id JOIN figures g ON g.version_id = c.version_id"
               f"{where} ORDER BY c.kind, c.unit, c.year, g.line_no, g.seq")
        with self._guard("read the current figures"):
            for row in self.db.conn.execute(sql, params):
                yield DataRow(*row[:3], row[3], row[4], row[5] or "", row[6], row[7], row[8], row[9], row[10] or "")

    def figure_shapes(self, ids: Collection[int]) -> dict[int, FigureShape]:
        """version id → what its figures need of the consolidated workbook's columns, counted
        by SQLite (a 50,000-line version is not half a million rows read)."""
        each = "version_id IN (SELECT value FROM json_each(?))"
        params = [json.dumps(sorted(ids))]
        with self._guard("read the shape of the figures"):
            totals = self.db.conn.execute(
                "SELECT version_id, COUNT(*), MAX(LENGTH(line)), MAX(line <> ''), MAX(COALESCE(track, '') <> '')"
                f" FROM figures WHERE {each} GROUP BY version_id", params).fetchall()
            pairs: dict[int, list[tuple[str, str]]] = {}
            for version_id, metric, period in self.db.conn.execute(
                    "SELECT version_id, metric, COALESCE(period, '') FROM figures"
                    f" WHERE {each} GROUP BY version_id, metric, COALESCE(period, '')"
                    " ORDER BY version_id, MIN(line_no * 100000000 + seq)", params):  # first come, as they stream
                pairs.setdefault(version_id, []).append((metric, period))
        return {v: FigureShape(n, longest or 0, bool(named), bool(tracks), tuple(pairs.get(v, ())))
                for v, n, longest, named, tracks in totals}

    def current_changes(self) -> list[VersionChange]:
        """What changed since the previous version, for every current version: the 'change.*'
        warnings recorded with its file for its sheet, in kind, unit, year, then recorded order."""
        sql = ('SELECT v.id, v.kind, v.unit, v.year, f.path, g.rule, g.severity, g.sheet, g.cells, g."column",'
               " g.value, g.params, g.numeric FROM current c JOIN versions v ON v.id = c.version_id"
               " JOIN files f ON f.id = v.file_id JOIN findings g"
               " ON g.file_id = COALESCE(v.first_file_id, v.file_id) AND g.sheet = v.sheet"  # as it was delivered
               " WHERE g.rule LIKE 'change.%' ORDER BY c.kind, c.unit, c.year, g.id")
        with self._guard("read the changes of the current versions"):
            rows = self.db.execute(sql).fetchall()
        return [VersionChange(*row[:5], _finding(*row[5:])) for row in rows]

    def version_numbers(self, ids: Iterable[int]) -> dict[int, int]:
        """version id → its number among its report's versions (1, 2, 3…)."""
        ids = list(ids)
        with self._guard("read version numbers"):
            rows = self.db.execute(f"SELECT id, number FROM versions WHERE id IN ({','.join('?' * len(ids))})",
                                   ids).fetchall()
        return {i: n for i, n in rows if n}

    def version_figures(self, version_id: int) -> Sequence[Figure]:
        """A version's figures, line by line: as Figures (columns) where they form a table, as
        a sheet's do, so a 50,000-line version is not half a million objects; else a list."""
        sql = ("SELECT line, metric, period, value, cell, line_no, track FROM figures"
               " WHERE version_id = ? ORDER BY line_no, seq")
        with self._guard("read figures"):
            columns = _as_columns(self.db.conn.execute(sql, [version_id]))
            if columns is not None:
                return columns
            rows = self.db.execute(sql, [version_id]).fetchall()
        return [Figure(line, metric, period or "", value, cell or "", line_no, track or "")
                for line, metric, period, value, cell, line_no, track in rows]

    def rejected_files(self, limit_errors: int = 5) -> list[RejectedFile]:
        """Paths whose newest judged content was rejected, with their first errors.

        'unchanged' rows repeat the judgement of the content they repeat, so they neither list
        nor clear a path; a later accepted file at the same path clears it.
        """
        with self._guard("read rejected files"):
            rows = self.db.execute(
                "SELECT f.id, f.path, f.file_name, f.received_at, f.sha256, f.archive_path, f.error_count"
                " FROM latest_judged n JOIN files f ON f.id = n.file_id WHERE f.verdict = ?"
                " AND n.path NOT IN (SELECT path FROM gone)"
                " AND n.path NOT IN (SELECT path FROM not_reports)"  # its newest content is no report at all
                " ORDER BY f.path",
                [REJECTED]).fetchall()
            return [RejectedFile(*row, errors=self._errors(row[0], limit_errors)) for row in rows]

    def _errors(self, file_id: int, limit: int) -> tuple[Finding, ...]:
        rows = self.db.execute(
            'SELECT rule, severity, sheet, cells, "column", value, params, numeric FROM findings'
            " WHERE file_id = ? AND severity = 'error' ORDER BY id LIMIT ?", [file_id, limit]).fetchall()
        return tuple(_finding(*row) for row in rows)

    def history(self, unit: str | None = None, kind: str | None = None) -> list[StoredVersion]:
        """Every version, per report (kind, unit, year), newest first; `unit` in any spelling of it."""
        if unit is not None:
            unit = self.spellings([unit]).get(unit, unit)
        with self._guard("read the history"):
            rows = self.db.execute(
                _VERSION_SELECT + " WHERE (:unit IS NULL OR v.unit = :unit) AND (:kind IS NULL OR v.kind = :kind)"
                " ORDER BY v.kind, v.unit, v.year, v.id DESC", {"unit": unit, "kind": kind}).fetchall()
        return [_version(r) for r in rows]

    def log(self, *, rejected: bool = False, unit: str | None = None, since: str | None = None,
            limit: int = 500) -> list[LogEntry]:
        """Verdicts newest first, with their findings: the validation log as the store keeps it.

        `unit` matches a unit any report sheet of the file named; `since` is an ISO date.
        """
        if unit is not None:
            unit = self.spellings([unit]).get(unit, unit)
        sql = ("SELECT f.id, f.received_at, f.path, f.verdict, f.error_count, f.warning_count, f.sheets"
               " FROM files f WHERE (:rejected = 0 OR f.verdict = 'rejected')"
               " AND (:since IS NULL OR f.received_at >= :since)"
               " AND (:unit IS NULL OR EXISTS (SELECT 1 FROM json_each(f.sheets) s"
               "      WHERE json_extract(s.value, '$.unit') = :unit))"
               " ORDER BY f.id DESC LIMIT :limit")
        with self._guard("read the validation log"):
            rows = self.db.execute(sql, {"rejected": int(rejected), "unit": unit, "since": since,
                                         "limit": limit}).fetchall()
            out = []
            for file_id, received, path, verdict, errors, warnings, sheets in rows:
                found = self.db.execute(
                    'SELECT rule, severity, sheet, cells, "column", value, params, numeric, message FROM findings'
                    " WHERE file_id = ? ORDER BY severity = 'warning', id", [file_id]).fetchall()
                out.append(LogEntry(file_id, received, path, verdict, errors, warnings, json.loads(sheets or "[]"),
                                    tuple((_finding(*row[:-1]), row[-1] or "") for row in found)))
        return out

    def counts(self) -> dict[str, int]:
        with self._guard("count"):
            files, accepted, rejected, unchanged = self.db.execute(
                "SELECT COUNT(*), COALESCE(SUM(verdict = 'accepted'), 0), COALESCE(SUM(verdict = 'rejected'), 0),"
                " COALESCE(SUM(verdict = 'unchanged'), 0) FROM files").fetchone()
            versions = self.db.execute("SELECT COUNT(*) FROM versions").fetchone()[0]
            current = self.db.execute("SELECT COUNT(*) FROM current").fetchone()[0]
        return {"files": files, "accepted": accepted, "rejected": rejected, "unchanged": unchanged,
                "versions": versions, "current": current}

    def integrity_ok(self) -> bool:
        with self._guard("check its integrity"):
            return self.db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]

    # -- who has reported (syncservice/missing.py) ---------------------------------------------

    def newest_files(self, keys: Iterable[Key], until: str | None = None) -> dict[Key, tuple[str, str]]:
        """(kind, unit, year) → (path, verdict) of the newest judged file with a sheet for that
        report, accepted or rejected, received before `until` (ISO, UTC) when given; for each
        of `keys` that has one. Read per report from file_reports, newest first: the cost is
        that of the reports asked for, not of every file ever received.
        """
        sql = ("SELECT f.path, f.verdict FROM file_reports r JOIN files f ON f.id = r.file_id"
               " WHERE r.kind = ? AND r.unit = ? AND r.year = ? AND (? IS NULL OR f.received_at < ?)"
               # a rejected file since deleted no longer speaks for its report (WORKBOOKS.md §9)
               " AND NOT (f.verdict = 'rejected' AND f.path IN (SELECT path FROM gone))"
               " ORDER BY r.file_id DESC LIMIT 1")
        found = {}
        with self._guard("read the files received per report"):
            for key in dict.fromkeys(keys):
                row = self.db.execute(sql, [*key, until, until]).fetchone()
                if row:
                    found[key] = (row[0], row[1])
        return found

    def report_versions(self, key: Key, until: str | None = None, *, newest_first: bool = True
                        ) -> Iterator[StoredVersion]:
        """The versions of one report accepted before `until` (ISO, UTC) when given, streamed
        newest first (or oldest first): a caller that needs only the first few reads only those.
        A version from a file saved before the one in force was never in force: not among them."""
        sql = (_VERSION_SELECT + " WHERE v.kind = ? AND v.unit = ? AND v.year = ? AND v.superseded_by IS NULL"
               " AND (? IS NULL OR v.accepted_at < ?) ORDER BY v.id " + ("DESC" if newest_first else "ASC"))
        with self._guard("read the versions of a report"):
            for row in self.db.conn.execute(sql, [*key, until, until]):
                yield _version(row)

    def stamp(self) -> dict[str, int]:
        """The newest file and version ids: they change whenever anything is recorded, and
        unlike counts() cost the same however large the store."""
        with self._guard("read the newest ids"):
            files = self.db.execute("SELECT MAX(id) FROM files").fetchone()[0] or 0
            versions = self.db.execute("SELECT MAX(id) FROM versions").fetchone()[0] or 0
            events = self.db.execute("SELECT MAX(id) FROM path_events").fetchone()[0] or 0
        return {"files": files, "versions": versions, "events": events}
