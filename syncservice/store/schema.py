"""The store's schema as named migrations (sqlite-utils 4 `Migrations`), each applied once.

Applied migrations are recorded in `_sqlite_migrations`, so `sqlite-utils migrate --list`
works on the database too. Never edit a released migration: add a new one at the end.
"""

from __future__ import annotations

from sqlite_utils import Database, Migrations

migrations = Migrations("syncservice")


@migrations()
def create_tables(db: Database) -> None:
    # Every file received, whatever happened to it.
    db["files"].create(
        {"id": int, "path": str, "file_name": str, "sha256": str, "size": int, "mtime_ns": int,
         "saved_at": str, "received_at": str, "verdict": str, "archive_path": str,
         "error_count": int, "warning_count": int},
        pk="id", not_null={"path", "sha256", "verdict"},
    )
    db["files"].create_index(["path", "id"])
    # One accepted report (kind, unit, year) as one file delivered it.
    db["versions"].create(
        {"id": int, "kind": str, "unit": str, "year": int, "file_id": int, "sheet": str,
         "sha256": str, "saved_at": str, "accepted_at": str, "archive_path": str,
         "amount_unit": str, "as_of": str, "through": int, "content_hash": str},
        pk="id", foreign_keys=[("file_id", "files", "id")],
        not_null={"kind", "unit", "year", "file_id", "content_hash"},
    )
    db["versions"].create_index(["kind", "unit", "year"])
    db["versions"].create_index(["file_id"])
    # The version in force per report: the consolidated workbook reads only these,
    # so its cost never grows with history.
    db["current"].create(
        {"kind": str, "unit": str, "year": int, "version_id": int},
        pk=("kind", "unit", "year"), foreign_keys=[("version_id", "versions", "id")],
        not_null={"version_id"},
    )
    # seq: position in Report.figures, the order the kind declared (metric, then period).
    db["figures"].create(
        {"version_id": int, "seq": int, "line_no": int, "line": str, "track": str, "metric": str,
         "period": str, "value": float, "sheet": str, "cell": str},
        foreign_keys=[("version_id", "versions", "id")],
        not_null={"version_id", "seq", "line_no", "line", "metric", "value"},
    )
    # version_id first: serves lookups by version and streams a version in sheet order.
    db["figures"].create_index(["version_id", "line_no", "seq"])
    db["findings"].create(
        {"id": int, "file_id": int, "severity": str, "rule": str, "sheet": str, "cells": str,
         "column": str, "value": str, "message": str, "params": str},
        pk="id", foreign_keys=[("file_id", "files", "id")], not_null={"file_id", "severity", "rule"},
    )
    db["findings"].create_index(["file_id"])


@migrations()
def add_sheets_to_files(db: Database) -> None:
    # The report sheets a file held (sheet, kind, unit, year) as JSON, so the validation
    # log can be filtered by unit for rejected files too, which have no version.
    db["files"].add_column("sheets", str)


@migrations()
def add_extra_to_versions(db: Database) -> None:
    # What a report says beyond its figures, as JSON: effekt's traffic-light status per line.
    db["versions"].add_column("extra", str)


@migrations()
def index_what_the_summary_reads(db: Database) -> None:
    # The consolidated workbook reads history only through these, so its cost stays that of
    # the current state however many files and versions the store keeps (bench/versions.py).
    # Per path, its newest judged (accepted or rejected) file: sheet Afviste.
    db["latest_judged"].create({"path": str, "file_id": int}, pk="path",
                               foreign_keys=[("file_id", "files", "id")], not_null={"file_id"})
    db.execute("INSERT INTO latest_judged (path, file_id) SELECT path, MAX(id) FROM files"
               " WHERE verdict != 'unchanged' GROUP BY path")
    # Per report (kind, unit, year), the judged files with a sheet for it: sheet Mangler.
    db["file_reports"].create({"kind": str, "unit": str, "year": int, "file_id": int},
                              pk=("kind", "unit", "year", "file_id"), foreign_keys=[("file_id", "files", "id")])
    db.execute("INSERT OR IGNORE INTO file_reports (kind, unit, year, file_id)"
               " SELECT json_extract(s.value, '$.kind'), json_extract(s.value, '$.unit'),"
               " json_extract(s.value, '$.year'), f.id FROM files f, json_each(f.sheets) s"
               " WHERE f.verdict != 'unchanged' AND json_extract(s.value, '$.kind') != ''"
               " AND json_extract(s.value, '$.unit') != '' AND json_extract(s.value, '$.year') IS NOT NULL")


@migrations()
def add_numeric_to_findings(db: Database) -> None:
    # Whether a finding's value is a number read from a number cell, so it is shown in the
    # reader's language (1.234,5) wherever it is read back; earlier findings show as stored.
    db["findings"].add_column("numeric", int, not_null_default=0)


@migrations()
def add_feedback_due_to_files(db: Database) -> None:
    # A judged file whose report is still owed to the person: written (rejected) or taken away
    # (accepted). Set in the transaction that records the verdict, cleared once the feedback
    # folder says so; the next pass and every start settle what is still set (a feedback folder
    # that could not be written, a kill between recording and writing). Files recorded before
    # this column owe nothing.
    db["files"].add_column("feedback_due", int, not_null_default=0)
    db.execute("CREATE INDEX IF NOT EXISTS idx_files_feedback_due ON files (path) WHERE feedback_due = 1")


@migrations()
def add_unit_names_and_superseded(db: Database) -> None:
    # One spelling per unit (syncservice/units.py): the first accepted is kept, so two
    # spellings of one unit are one report. From the versions already held, oldest first.
    from syncservice.base.units import fold

    # A version accepted from a file saved before the one in force (WORKBOOKS.md §1): kept in
    # the history, never in force; this is the version that stayed in force.
    db["versions"].add_column("superseded_by", int)
    db["unit_names"].create({"folded": str, "unit": str}, pk="folded", not_null={"unit"})
    # Two spellings of one unit were two units until now (issue 13): all take the first's.
    kept: dict[str, str] = {}
    for (unit,) in db.execute("SELECT unit FROM versions GROUP BY unit ORDER BY MIN(id)").fetchall():
        first = kept.setdefault(fold(unit), unit)
        if first != unit:
            respell_unit(db, unit, first)
    db.conn.executemany("INSERT INTO unit_names (folded, unit) VALUES (?, ?)", list(kept.items()))


def respell_unit(db: Database, old: str, new: str) -> None:
    """Every version, report and file's report of unit `old` becomes one of `new` (one unit
    spelt two ways). Where both spellings had a version in force for one report, the one
    from the file saved last stays in force (WORKBOOKS.md §1), the other is superseded by it."""
    for kind, year, old_id in db.execute("SELECT kind, year, version_id FROM current WHERE unit = ?",
                                         [old]).fetchall():
        row = db.execute("SELECT version_id FROM current WHERE kind = ? AND unit = ? AND year = ?",
                         [kind, new, year]).fetchone()
        if row is None:
            db.execute("UPDATE current SET unit = ? WHERE kind = ? AND unit = ? AND year = ?", [new, kind, old, year])
            continue
        older, newer = db.execute(
            "SELECT v.id FROM versions v JOIN files f ON f.id = v.file_id WHERE v.id IN (?, ?)"
            " ORDER BY f.mtime_ns, v.id", [old_id, row[0]]).fetchall()
        db.execute("DELETE FROM current WHERE kind = ? AND unit = ? AND year = ?", [kind, old, year])
        db.execute("UPDATE current SET version_id = ? WHERE kind = ? AND unit = ? AND year = ?",
                   [newer[0], kind, new, year])
        db.execute("UPDATE versions SET superseded_by = ? WHERE id = ?", [newer[0], older[0]])
    db.execute("UPDATE versions SET unit = ? WHERE unit = ?", [new, old])
    db.execute("UPDATE OR IGNORE file_reports SET unit = ? WHERE unit = ?", [new, old])
    db.execute("DELETE FROM file_reports WHERE unit = ?", [old])
    if "number" in db["versions"].columns_dict:  # its reports' versions, one list now: numbered anew
        number_versions(db, "unit = ?", [new])


NUMBER_VERSIONS = ("UPDATE versions SET number = (SELECT COUNT(*) FROM versions n WHERE n.kind = versions.kind"
                   " AND n.unit = versions.unit AND n.year = versions.year AND n.id <= versions.id)")


def number_versions(db: Database, where: str = "1", params: list | None = None) -> None:
    """Each version's number among its report's versions, 1, 2, 3… in the order accepted."""
    db.execute(f"{NUMBER_VERSIONS} WHERE {where}", params or [])


@migrations()
def add_unreadable(db: Database) -> None:
    # Files that exist but cannot be opened or read (permissions, a share refusing them), per
    # path: since when, so the verdict file.unreadable can fall after watch.unreadable_minutes
    # across restarts and `ingest` passes. judged_at: when that verdict was recorded. A row
    # goes once the file is read, or is gone.
    db["unreadable"].create({"path": str, "first_failed": str, "last_failed": str, "attempts": int,
                             "reason": str, "judged_at": str},
                            pk="path", not_null={"first_failed", "last_failed", "attempts"})


@migrations()
def add_gone_retired_and_path_events(db: Database) -> None:
    # WORKBOOKS.md §9. gone: a path the store cites (a version in force, a rejected file) whose
    # file is no longer in the watched folder, since gone_at; the row goes when a file is read
    # there again. retired: a report taken out of what finance reads (`syncservice retire`),
    # with the version that was in force; the row goes when a new version of it is accepted.
    db["gone"].create({"path": str, "gone_at": str, "sha256": str}, pk="path", not_null={"gone_at"})
    db["retired"].create({"kind": str, "unit": str, "year": int, "version_id": int, "retired_at": str},
                         pk=("kind", "unit", "year"), not_null={"version_id", "retired_at"})
    # What happened to paths and reports besides a verdict (deleted, back, moved, fell back,
    # retired), oldest first: the log of it, and a newest id the consolidated workbook's
    # stamp includes, so a fallback or a retirement rewrites it although no file arrived.
    db["path_events"].create({"id": int, "at": str, "event": str, "path": str, "kind": str, "unit": str,
                              "year": int, "version_id": int, "detail": str},
                             pk="id", not_null={"at", "event"})
    # A version whose file was renamed or moved cites the file at its new name (file_id); the
    # file that delivered it, whose findings say what changed with it, is kept here.
    db["versions"].add_column("first_file_id", int)


@migrations()
def add_not_reports(db: Database) -> None:
    # Workbooks in the folder that are not reports (no metadata block, no kind's header on any
    # sheet; WORKBOOKS.md §1): per path, the content last noted, so each content is noted once
    # and a scan passes it by like a file already seen. Never archived, never rejected.
    db["not_reports"].create({"path": str, "sha256": str, "size": int, "mtime_ns": int, "noted_at": str},
                             pk="path", not_null={"sha256", "noted_at"})


def apply(db: Database) -> None:
    migrations.apply(db)


@migrations()
def add_outbox(db: Database) -> None:
    # Messages to people (syncservice/notify.py): one row per message and target, queued in the
    # transaction that records the verdict, sent by the sender thread (sender.py). state:
    # queued → sending (committed before Apprise is called) → sent; a row still 'sending' at
    # start was cut off by a crash and becomes 'uncertain', never sent twice. (event, target)
    # is unique, so a reminder or digest is queued once per unit and period across restarts.
    # target is the URL as config.toml writes it: a ${SECRET} is read from the environment
    # only when sending, never stored.
    db["outbox"].create(
        {"id": int, "event": str, "target": str, "path": str, "file_id": int, "subject": str, "body": str,
         "attach": str, "report": str, "state": str, "attempts": int, "queued_at": str, "next_at": str,
         "sent_at": str, "last_error": str},
        pk="id", not_null={"event", "target", "state"}, defaults={"attempts": 0, "state": "queued"},
    )
    db.execute("CREATE UNIQUE INDEX idx_outbox_event_target ON outbox (event, target)")
    db.execute("CREATE INDEX idx_outbox_queued ON outbox (next_at) WHERE state = 'queued'")
    db.execute("CREATE INDEX idx_outbox_path ON outbox (path)")
    # Per path, the errors its person was last told about (a fingerprint), so a re-save with the
    # same errors sends nothing and the accepted fix sends the all-clear; gone once it is queued.
    db["notice_state"].create({"path": str, "fingerprint": str, "units": str, "file_id": int}, pk="path",
                              not_null={"fingerprint"})


@migrations()
def add_version_numbers(db: Database) -> None:
    # What a person reads is a report's own count of versions (1, 2, 3…), not the store's id
    # across all reports, which showed a report's first version as 'version 2' (issue 20).
    db["versions"].add_column("number", int)
    number_versions(db)
