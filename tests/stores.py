"""What a store holds, table by table, for comparing two stores (tests/test_rebuild.py).

Ids are left out: each row refers to the file and version it belongs to by what they are
(path, sha256, received time; report, content, time accepted; superseded_by is a version
id, and versions are numbered alike when replayed in the same order), so a store rebuilt from the
archive compares equal to the one it replaces, row for row, whatever ids it gave out.
"""

from __future__ import annotations

import io
import sqlite3
from pathlib import Path

from openpyxl import load_workbook

FILE = "f.path, f.sha256, f.received_at"
VERSION = "v.kind, v.unit, v.year, v.content_hash, v.accepted_at"
QUERIES = {
    "files": "SELECT f.path, f.file_name, f.sha256, f.size, f.mtime_ns, f.saved_at, f.received_at, f.verdict,"
             " f.archive_path, f.error_count, f.warning_count, f.sheets FROM files f"
             " WHERE f.verdict != 'unchanged' ORDER BY f.id",
    "findings": f'SELECT {FILE}, g.severity, g.rule, g.sheet, g.cells, g."column", g.value, g.message, g.params,'
                " g.numeric FROM findings g JOIN files f ON f.id = g.file_id ORDER BY f.id, g.id",
    "versions": f"SELECT {VERSION}, {FILE}, v.sheet, v.sha256, v.saved_at, v.archive_path, v.amount_unit, v.as_of,"
                " v.through, v.extra, v.superseded_by FROM versions v JOIN files f ON f.id = v.file_id ORDER BY v.id",
    "figures": f"SELECT {VERSION}, g.seq, g.line_no, g.line, g.track, g.metric, g.period, g.value, g.sheet, g.cell"
               " FROM figures g JOIN versions v ON v.id = g.version_id ORDER BY v.id, g.seq",
    "current": f"SELECT c.kind, c.unit, c.year, {VERSION} FROM current c JOIN versions v ON v.id = c.version_id"
               " ORDER BY c.kind, c.unit, c.year",
    "latest_judged": f"SELECT n.path, {FILE} FROM latest_judged n JOIN files f ON f.id = n.file_id ORDER BY n.path",
    "unit_names": "SELECT folded, unit FROM unit_names ORDER BY folded",
    "file_reports": f"SELECT r.kind, r.unit, r.year, {FILE} FROM file_reports r JOIN files f ON f.id = r.file_id"
                    " ORDER BY f.id, r.kind, r.unit, r.year",
}


def tables(db: Path) -> dict[str, list[tuple]]:
    """Every table that matters, as rows without ids ('unchanged' files left out: the
    archive has no copy of them)."""
    conn = sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True)
    try:
        return {name: conn.execute(sql).fetchall() for name, sql in QUERIES.items()}
    finally:
        conn.close()


def data_sheet(workbook: Path) -> list[tuple]:
    """The consolidated workbook's Data sheet, every row (header first) as values."""
    wb = load_workbook(io.BytesIO(workbook.read_bytes()), read_only=True)
    try:
        return [tuple(row) for row in wb["Data"].iter_rows(values_only=True)]
    finally:
        wb.close()
