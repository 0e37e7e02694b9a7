"""Upgrades (issue 17): a store written by the release before a change to the store's schema
opens with this code, is migrated, and keeps every file, version, figure and finding.

tests/data/store-d0298d0.sqlite was made by commit d0298d0's code (the last before this
issue's schema changes) with tests/data/make_store.py; that file says how. Kept as a file,
so the test needs neither git nor the old checkout.
"""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest
from sqlite_utils import Database

import book
from stores import data_sheet
from syncservice import store_schema
from syncservice.config import defaults
from syncservice.pipeline import ACCEPTED, Pipeline
from syncservice.store import Store

OLD = Path(__file__).resolve().parent / "data" / "store-d0298d0.sqlite"


def raw(db: Path) -> dict[str, tuple[list[str], list[tuple]]]:
    """Every table of the store as SQLite holds it: (its columns, its rows by rowid)."""
    conn = sqlite3.connect(db)
    try:
        names = [n for (n,) in conn.execute("SELECT name FROM sqlite_schema WHERE type = 'table'"
                                            " AND name NOT LIKE 'sqlite_%' AND name != '_sqlite_migrations'")]
        out = {}
        for name in names:
            columns = [row[1] for row in conn.execute(f"PRAGMA table_info('{name}')")]
            out[name] = (columns, conn.execute(f"SELECT * FROM \"{name}\" ORDER BY rowid").fetchall())
        return out
    finally:
        conn.close()


@pytest.fixture
def old_store(tmp_path):
    """A copy of the old store, where a config over tmp_path keeps its database."""
    config = defaults(tmp_path)
    config.path("database").parent.mkdir(parents=True)
    shutil.copyfile(OLD, config.path("database"))
    return config


def test_a_store_of_the_release_before_opens_migrated_and_keeps_every_row(old_store):
    db = old_store.path("database")
    before = raw(db)
    assert {n: len(rows) for n, (_, rows) in before.items() if n in ("files", "versions", "figures", "findings")} \
        == {"files": 11, "versions": 6, "figures": 181, "findings": 5}
    conn = sqlite3.connect(db)
    try:
        pending = [m.name for m in store_schema.migrations.pending(Database(conn))]  # reads only
    finally:
        conn.close()
    assert "add_feedback_due_to_files" in pending  # what changed since d0298d0: the test upgrades
    with Store.open(db) as store:
        assert store_schema.migrations.pending(store.db) == []  # every migration of this code applied
        assert store.integrity_ok()
    after = raw(db)
    for name, (columns, rows) in before.items():
        assert name in after, f"table {name} is gone"
        new_columns = after[name][0]
        assert new_columns[: len(columns)] == columns, f"{name}: columns renamed or reordered"
        kept = [row[: len(columns)] for row in after[name][1]]
        assert kept == rows, f"{name}: rows lost or changed"


def test_the_new_code_reads_and_writes_an_upgraded_store(old_store):
    db = old_store.path("database")
    with sqlite3.connect(db) as conn:
        figures = dict(conn.execute("SELECT c.kind || '/' || c.unit || '/' || c.year, COUNT(*) FROM current c"
                                    " JOIN figures g ON g.version_id = c.version_id GROUP BY c.kind, c.unit, c.year"))
    conn.close()
    with Store.open(db) as store:
        current = store.current_versions()
        assert {f"{v.kind}/{v.unit}/{v.year}": len(store.version_figures(v.version_id)) for v in current} == figures
        assert [f.path for f in store.rejected_files()] == ["Noter.xlsx"]
        rules = {f.rule for e in store.log() for f, _ in e.findings}
        assert {"tilgang.balance", "change.figure", "change.realised_decreased", "change.other_path",
                "file.not_workbook"} <= rules
        assert len(store.history()) == 6
        pipeline = Pipeline(old_store, store)
        workbook = pipeline.write_summary()
        assert len(data_sheet(workbook)) == 1 + sum(figures.values())  # the header and every current figure
        path = book.save(old_store.path("watched") / "Herning" / "Effekt 2.xlsx", {"E": book.effekt(unit="Ny")})
        assert pipeline.process(path).status == ACCEPTED
        assert store.counts()["versions"] == 7
