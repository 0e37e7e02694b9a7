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
def add_unreadable(db: Database) -> None:
    # Files that exist but cannot be opened or read (permissions, a share refusing them), per
    # path: since when, so the verdict file.unreadable can fall after watch.unreadable_minutes
    # across restarts and `ingest` passes. judged_at: when that verdict was recorded. A row
    # goes once the file is read, or is gone.
    db["unreadable"].create({"path": str, "first_failed": str, "last_failed": str, "attempts": int,
                             "reason": str, "judged_at": str},
                            pk="path", not_null={"first_failed", "last_failed", "attempts"})


def apply(db: Database) -> None:
    migrations.apply(db)
