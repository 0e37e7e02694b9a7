"""The store's health and its copies (issue 17): `syncservice backup` copies it consistently
while the service writes, and a damaged store (bytes overwritten in a page) is refused at
start and by `status`, in Danish, naming `syncservice rebuild`, with exit code 7 and
without a byte of it written; one found damaged while the service runs stops it."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

import book
from running import no_threads_left_behind  # noqa: F401 (a fixture: the service's threads are gone)
from syncservice import store_backup
from syncservice.cli import main
from syncservice.config import defaults
from syncservice.errors import StoreDamaged, StoreError
from syncservice.pipeline import ACCEPTED, Pipeline
from syncservice.store import Store

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def site(tmp_path):
    """A config file over a store holding three accepted workbooks; returns the config file."""
    (tmp_path / "config.toml").write_text("", encoding="utf-8")
    config = defaults(tmp_path)
    for i, rows in enumerate([book.handleplan(), book.effekt(), book.tilgang()]):
        book.save(config.path("watched") / f"rapport {i}.xlsx", {"Ark1": rows})
    with Store.open(config.path("database")) as store:
        assert Pipeline(config, store).ingest().count(ACCEPTED) == 3
    return tmp_path / "config.toml"


def counts(path: Path) -> tuple[int, int, int]:
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        return tuple(conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]  # type: ignore[return-value]
                     for t in ("files", "versions", "figures"))
    finally:
        conn.close()


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --- backup ---------------------------------------------------------------------------------------

def test_a_backup_is_the_store_as_it_began_while_the_service_writes_on_unhindered(site, tmp_path):
    config = defaults(tmp_path)
    db = config.path("database")
    before = counts(db)
    writer = Store.open(db)
    writer.db.execute("PRAGMA busy_timeout=0")  # held up even for a moment, its write fails at once
    pipeline = Pipeline(config, writer)
    new = book.save(config.path("watched") / "ny.xlsx", {"Ark1": book.handleplan(unit="Ny enhed")})
    written = []

    def mid_backup(remaining: int, total: int) -> None:
        if not written:  # between the first and the second step: the copy is under way
            assert remaining > 0
            written.append(pipeline.process(new).status)

    try:
        copy = store_backup.backup(db, tmp_path / "backup.sqlite", pages=1, progress=mid_backup)
    finally:
        writer.close()
    assert written == [ACCEPTED]  # recorded during the backup, not after it
    assert counts(copy) == before  # consistent: the snapshot of the backup's start, whole
    assert counts(db)[0] == before[0] + 1
    conn = sqlite3.connect(copy)
    try:
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("delete",)  # one self-contained file
    finally:
        conn.close()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".backup.sqlite")]  # no temporary left


def test_backup_into_a_folder_names_the_copy_by_its_time_and_the_cli_says_where(site, tmp_path):
    (tmp_path / "nightly").mkdir()
    result = CliRunner().invoke(main, ["backup", str(tmp_path / "nightly"), "--config", str(site)])
    assert result.exit_code == 0, result.output
    (copy,) = (tmp_path / "nightly").iterdir()
    assert copy.name.startswith("syncservice-") and copy.suffix == ".sqlite"
    assert str(copy) in result.output
    assert counts(copy) == counts(tmp_path / "state" / "syncservice.sqlite")


def test_a_destination_without_an_extension_is_a_folder_made_for_the_copies(site, tmp_path):
    first = store_backup.backup(tmp_path / "state" / "syncservice.sqlite", tmp_path / "backups")
    assert first.parent == tmp_path / "backups" and first.name.startswith("syncservice-")


def test_a_backup_never_overwrites_the_store_itself(site, tmp_path):
    db = tmp_path / "state" / "syncservice.sqlite"
    result = CliRunner().invoke(main, ["backup", str(db), "--config", str(site)])
    assert result.exit_code == StoreError.exit_code and "elsewhere" in result.output


# --- a damaged store --------------------------------------------------------------------------------

def damage(db: Path) -> None:
    """Overwrite the b-tree header of the figures table's root page with garbage, as a bad
    sector or a stray write would."""
    conn = sqlite3.connect(db)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        page_size = conn.execute("PRAGMA page_size").fetchone()[0]
        (root,) = conn.execute("SELECT rootpage FROM sqlite_schema WHERE name = 'figures'").fetchone()
    finally:
        conn.close()
    with open(db, "r+b") as f:
        f.seek((root - 1) * page_size)
        f.write(b"\xff" * 64)


def test_start_refuses_a_damaged_store_in_danish_naming_rebuild_and_writes_nothing_to_it(site, tmp_path):
    db = tmp_path / "state" / "syncservice.sqlite"
    damage(db)
    before = sha256(db)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run([sys.executable, "-m", "syncservice", "run", "--config", str(site)], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120, env=env)
    assert done.returncode == StoreDamaged.exit_code == 7, done.stderr
    assert "er beskadiget" in done.stderr and "syncservice rebuild" in done.stderr
    assert str(db) in done.stderr
    assert sha256(db) == before  # not a byte written: no migration, no journal mode, no WAL
    # what the message says to do works: the damaged store moved aside, a sound one in its place
    rebuilt = CliRunner().invoke(main, ["rebuild", "--force", "--config", str(site)])
    assert rebuilt.exit_code == 0, rebuilt.output
    assert store_backup.problem(db) is None
    (aside,) = db.parent.glob("syncservice.sqlite.replaced-*Z")  # (and its -wal, -shm)
    assert sha256(aside) == before


def test_status_and_ingest_say_the_store_is_damaged_with_exit_7_in_english_too(site, tmp_path):
    db = tmp_path / "state" / "syncservice.sqlite"
    damage(db)
    before = sha256(db)
    runner = CliRunner()
    status = runner.invoke(main, ["status", "--config", str(site)])
    assert status.exit_code == 7 and "er beskadiget" in status.output and "syncservice rebuild" in status.output
    ingest = runner.invoke(main, ["ingest", "--config", str(site)])
    assert ingest.exit_code == 7 and "syncservice rebuild" in ingest.output
    site.write_text('[output]\nlanguage = "en"\n', encoding="utf-8")
    status = runner.invoke(main, ["status", "--config", str(site)])
    assert status.exit_code == 7 and "is damaged" in status.output and "syncservice rebuild" in status.output
    assert sha256(db) == before


def test_a_file_that_is_no_database_is_damaged_too_and_a_sound_store_passes(site, tmp_path):
    db = tmp_path / "state" / "syncservice.sqlite"
    assert store_backup.problem(db) is None
    assert store_backup.problem(tmp_path / "absent.sqlite") is None  # a new store is made there
    with open(db, "r+b") as f:
        f.write(b"\x00" * 100)  # the header: "file is not a database"
    assert "not a database" in store_backup.problem(db)
    with pytest.raises(StoreDamaged, match="syncservice rebuild"):
        store_backup.backup(db, tmp_path / "backup.sqlite", "en")
    assert not (tmp_path / "backup.sqlite").exists()


def test_a_store_found_damaged_while_running_stops_the_service_and_is_written_no_more(tmp_path, monkeypatch):
    from running import SETTLE, Running, wait_for

    config = defaults(tmp_path).with_values(watch__settle_seconds=SETTLE)
    config.path("watched").mkdir()
    tries = []

    def malformed(self, staged, *args, **kwargs):  # what SQLite says of a page damaged since the start
        tries.append(staged.rel)
        cause = sqlite3.DatabaseError("database disk image is malformed")
        cause.sqlite_errorcode = sqlite3.SQLITE_CORRUPT
        raise StoreError(f"the store could not record {staged.rel}: {cause}") from cause

    monkeypatch.setattr(Store, "record", malformed)
    running = Running(config)
    with pytest.raises(StoreDamaged, match="syncservice rebuild"):
        with running:
            book.save(config.path("watched") / "hp.xlsx", {"HP": book.handleplan()})
            wait_for(lambda: not running._thread.is_alive(), what="the service to stop by itself")
    assert tries == ["hp.xlsx"]  # tried once, never retried
    assert [p for p in config.path("archive").rglob("*") if p.is_file()] == []  # its copy taken back
