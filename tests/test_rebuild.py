"""The store rebuilt from the archive alone (issue 17): after a load of saves through `run`,
the store deleted and `syncservice rebuild` holds what a backup taken before held, table
by table, and writes the same consolidated workbook; the archive is only read."""

from __future__ import annotations

import datetime as dt
import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

import book
import load
from running import SETTLE, Running, no_threads_left_behind, wait_for  # noqa: F401 (a fixture)
from stores import data_sheet, tables
from syncservice import archive, archive_index
from syncservice import config as config_mod
from syncservice.cli import main
from syncservice.pipeline import ACCEPTED, REJECTED, Pipeline
from syncservice.store import Store


@pytest.fixture
def site(tmp_path):
    """A config file (the defaults, a short settle window) and its Config."""
    (tmp_path / "watched").mkdir()
    path = tmp_path / "config.toml"
    path.write_text(f"[watch]\nsettle_seconds = {SETTLE}\n", encoding="utf-8")
    return path, config_mod.load(path, required=True)


def snapshot(folder: Path) -> dict[str, tuple]:
    """Every file under `folder` with its size, modification time, mode and bytes."""
    return {p.relative_to(folder).as_posix(): (p.stat().st_size, p.stat().st_mtime_ns, p.stat().st_mode,
                                               p.read_bytes()) for p in sorted(folder.rglob("*")) if p.is_file()}


def delete_store(config: config_mod.Config) -> None:
    db = config.path("database")
    for suffix in ("", "-wal", "-shm"):
        db.with_name(db.name + suffix).unlink(missing_ok=True)


def invoke(*args: str) -> str:
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_a_store_lost_after_a_load_of_saves_is_rebuilt_from_the_archive_as_its_backup_was(site, tmp_path):
    config_path, config = site
    saves = load.plan(seed=17, saves=300, units=12, seconds=15.0, settle=SETTLE)
    contents = load.Contents(tmp_path / "making")
    (tmp_path / "making").mkdir()
    for save in saves:
        contents.of(save)
    with Running(config) as running:
        load.drive(saves, config.path("watched"), contents)
        running.quiet()
        # and what the load does not do: a quarter changed, and a copy of a report at another path
        watched, ta = config.path("watched"), "Ballerup/Tilgang.xlsx"
        book.save(watched / ta, {"TA": book.tilgang()})
        wait_for(lambda: running.of(ta) == [ACCEPTED], what=ta)
        lines = [list(r) for r in book.TILGANG_LINES]
        lines[0][2] += 1  # the first quarter's intake, and so the end count
        lines[0][8] += 1
        book.save(watched / ta, {"TA": book.tilgang(lines=lines)})
        wait_for(lambda: running.of(ta) == [ACCEPTED, ACCEPTED], what=f"{ta} again")
        book.save(watched / "Kopi.xlsx", {"TA": book.tilgang(lines=lines)})
        wait_for(lambda: running.of("Kopi.xlsx") == [ACCEPTED], what="the copy")
        running.quiet()
        # the nightly job, while the service runs
        said = invoke("backup", str(tmp_path / "backup.sqlite"), "--config", str(config_path))
        assert "backup.sqlite" in said
    backup = tables(tmp_path / "backup.sqlite")
    shutil.copy(config.path("consolidated"), tmp_path / "before.xlsx")
    # the load took every path: rejections (reports cleared into the archive later), change warnings, re-saves
    verdicts = [row[7] for row in backup["files"]]
    assert verdicts.count(REJECTED) > 0 and verdicts.count(ACCEPTED) > 12
    assert all(backup.values())  # every table compared has rows
    rules = {row[4] for row in backup["findings"]}
    assert {"change.figure", "change.other_path"} <= rules, rules
    assert list((config.path("archive") / "feedback").rglob("* - FEJL.txt"))
    with Store.open(tmp_path / "backup.sqlite") as store:
        assert store.counts()["unchanged"] > 0  # what the archive has no copy of, and a rebuild cannot bring back

    archived = snapshot(config.path("archive"))
    delete_store(config)
    out = invoke("rebuild", "--config", str(config_path))

    assert f"{len(backup['files'])} filer genbehandlet" in out
    assert snapshot(config.path("archive")) == archived  # never touched
    rebuilt = tables(config.path("database"))
    for name in backup:
        assert rebuilt[name] == backup[name], name
    assert data_sheet(config.path("consolidated")) == data_sheet(tmp_path / "before.xlsx")
    with Store.open(config.path("database")) as store:
        assert store.integrity_ok()
        assert not Pipeline(config, store).summary_stale()  # the service starts without rewriting it
        assert store.feedback_owed() == []  # the reports were settled when the files came


def test_rebuild_refuses_an_existing_store_and_with_force_moves_it_aside(site, tmp_path):
    config_path, config = site
    book.save(config.path("watched") / "hp.xlsx", {"HP": book.handleplan()})
    invoke("ingest", "--config", str(config_path))
    db = config.path("database")
    kept = db.read_bytes()

    refused = CliRunner().invoke(main, ["rebuild", "--config", str(config_path)])
    assert refused.exit_code == 2 and "--force" in refused.output
    assert db.read_bytes() == kept

    out = invoke("rebuild", "--force", "--config", str(config_path))
    (aside,) = db.parent.glob("syncservice.sqlite.replaced-*Z")
    assert str(aside) in out
    assert tables(aside) == tables(db)


def test_rebuild_waits_for_no_one_but_refuses_while_run_writes_the_store(site):
    config_path, config = site
    with Running(config):
        result = CliRunner().invoke(main, ["rebuild", "--force", "--config", str(config_path)])
    assert result.exit_code == 6


@pytest.fixture
def pipe(site):
    _, config = site
    store = Store.open(config.path("database"))
    yield Pipeline(config, store)
    store.close()


def saved_later(path: Path, seconds: int) -> Path:
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + seconds * 10**9))
    return path


def test_copies_archived_before_sidecars_are_rebuilt_by_their_name_and_the_output_says_so(site, pipe):
    config_path, config = site
    pipe.process(book.save(pipe.watched / "Ballerup" / "Tilgang.xlsx", {"TA": book.tilgang()}))
    pipe.process(book.save(pipe.watched / "Herning" / "Effekt.xlsx", {"E": book.effekt()}))
    before = {(v.kind, v.unit, v.year, v.sha256) for v in pipe.store.current_versions()}
    pipe.store.close()
    for copy in config.path("archive").rglob("*.json"):
        copy.unlink()  # as an archive written before this release
    delete_store(config)

    out = invoke("rebuild", "--config", str(config_path))
    assert "2 filer var arkiveret uden sidefil" in out
    with Store.open(config.path("database")) as store:
        current = store.current_versions()
    assert {(v.kind, v.unit, v.year, v.sha256) for v in current} == before
    assert sorted(v.path for v in current) == ["Effekt.xlsx", "Tilgang.xlsx"]  # the folder is not in the name


def test_a_copy_a_killed_run_archived_but_never_recorded_is_passed_over(site, pipe):
    config_path, config = site
    path = book.save(pipe.watched / "hp.xlsx", {"HP": book.handleplan()})
    first = pipe.process(path)
    lines = [list(r) for r in book.HANDLEPLAN_LINES]
    lines[0][1] += 1
    second = saved_later(book.save(path, {"HP": book.handleplan(lines=lines)}), 5)
    # killed between archiving and recording: a copy the store never heard of ...
    from syncservice.stage import discard, stage

    staged = stage(second, "hp.xlsx", config.path("state") / "staging", 1 << 20)
    archive.archive(staged, config.path("archive"), True, dt.datetime.now(dt.UTC))
    discard(staged)
    # ... and the next pass judged the file again
    assert first.status == pipe.process(second).status == ACCEPTED
    pipe.store.close()
    backup = tables(config.path("database"))
    assert len(archive_index.received(config.path("archive"))[0]) == 3
    delete_store(config)

    out = invoke("rebuild", "--config", str(config_path))
    assert "1 kopier sprunget over" in out
    assert tables(config.path("database")) == backup


def test_rebuild_from_another_archive_reads_it_where_it_is(site, pipe):
    config_path, config = site
    pipe.process(book.save(pipe.watched / "hp.xlsx", {"HP": book.handleplan()}))
    pipe.store.close()
    restored = config.base / "restored archive"
    shutil.copytree(config.path("archive"), restored)  # say, back from tape onto another disk
    shutil.rmtree(config.path("archive"))
    delete_store(config)

    out = invoke("rebuild", "--from", str(restored), "--config", str(config_path))
    assert "1 filer genbehandlet (1 godkendt, 0 afvist)" in out
    with Store.open(config.path("database")) as store:
        (version,) = store.current_versions()
    assert version.archive_path.startswith("restored archive/accepted/")
    assert (config.base / version.archive_path).is_file()
