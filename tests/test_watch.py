"""The service with a real observer on a temporary folder, native and polling: the save
patterns of real programs, slow writers, bursts, and what changed while it was down."""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

import pytest

from syncservice.base.config import Config, defaults
from syncservice.base.errors import AlreadyRunning
from syncservice.pipeline import ACCEPTED, REJECTED, Pipeline
from syncservice.service.run import Service
from syncservice.store.db import Store

import book
from running import POLL, SETTLE, Running, no_threads_left_behind, wait_for  # noqa: F401 (a fixture)


@pytest.fixture(params=["native", "polling"])
def config(request, tmp_path) -> Config:
    (tmp_path / "watched").mkdir()
    return defaults(tmp_path).with_values(watch__observer=request.param, watch__poll_seconds=POLL,
                                          watch__settle_seconds=SETTLE)


def workbook(target: int, unit: str = "Handicap, Testby") -> bytes:
    """A small handleplan whose first target is `target` kr.: each content is distinct."""
    rows = book.handleplan(unit=unit, amount_unit="kr.", lines=[["Botilbud", target, 1, 1], ["Dagtilbud", 1, 1, 1]])
    with tempfile.TemporaryDirectory() as folder:
        return book.save(Path(folder) / "hp.xlsx", {"HP": rows}).read_bytes()


def current_target(config: Config, rel: str) -> list[float]:
    """The first target of each version recorded for `rel`, oldest first."""
    with Store.open(config.path("database")) as store:
        versions = sorted((v for v in store.history() if v.path == rel), key=lambda v: v.version_id)
        return [next(f.value for f in store.version_figures(v.version_id)
                     if f.line == "Botilbud" and f.metric == "Mål") for v in versions]


def seen_paths(config: Config) -> set[str]:
    with Store.open(config.path("database")) as store:
        return set(store.seen_index())


def test_excel_save_sequence_is_one_save_of_the_final_content(config):
    watched = config.path("watched")
    (watched / "hp.xlsx").write_bytes(workbook(1))
    with Running(config) as run:
        assert run.of("hp.xlsx") == [ACCEPTED]  # caught up at start
        (watched / "~$hp.xlsx").write_bytes(b"\x0bJens Hansen" + b"\0" * 150)  # Excel's owner file
        data = workbook(2)
        with open(watched / "9B3E1F20", "wb") as temp:  # Excel writes a temporary file first
            temp.write(data[:1000])
            temp.flush()
            time.sleep(0.05)
            temp.write(data[1000:])
        os.rename(watched / "hp.xlsx", watched / "~WRL0842.tmp")  # the original is renamed away
        os.rename(watched / "9B3E1F20", watched / "hp.xlsx")  # the temporary file into place
        (watched / "~WRL0842.tmp").unlink()  # and the original deleted
        wait_for(lambda: len(run.of("hp.xlsx")) == 2, what="the second save")
        (watched / "~$hp.xlsx").unlink()  # Excel closed
        run.quiet()
    assert run.of("hp.xlsx") == [ACCEPTED, ACCEPTED]
    assert {o.rel for o in run.outcomes} == {"hp.xlsx"}
    assert current_target(config, "hp.xlsx") == [1, 2]
    assert seen_paths(config) == {"hp.xlsx"}


def test_libreoffice_style_save_with_its_lock_file_is_one_save(config):
    watched = config.path("watched")
    with Running(config) as run:
        lock = watched / ".~lock.hp.xlsx#"
        lock.write_text(",Jens Hansen,PC-17,23.11.2026 10:00,file:///home/jens/.config/libreoffice/4;", "utf-8")
        (watched / "lu2871qjw.tmp").write_bytes(workbook(7))  # LibreOffice writes beside, then renames
        os.replace(watched / "lu2871qjw.tmp", watched / "hp.xlsx")
        wait_for(lambda: run.of("hp.xlsx"), what="the save")
        lock.unlink()
        run.quiet()
    assert run.of("hp.xlsx") == [ACCEPTED]
    assert {o.rel for o in run.outcomes} == {"hp.xlsx"}
    assert current_target(config, "hp.xlsx") == [7]
    assert seen_paths(config) == {"hp.xlsx"}


def test_slow_writer_taking_two_seconds_is_processed_once_complete_never_rejected(config):
    watched = config.path("watched")
    data = workbook(3)
    chunks = [data[i:i + len(data) // 10 + 1] for i in range(0, len(data), len(data) // 10 + 1)]
    with Running(config) as run:
        with open(watched / "langsom.xlsx", "wb") as f:  # a copy over a slow network
            for chunk in chunks:
                f.write(chunk)
                f.flush()
                time.sleep(2.0 / len(chunks))  # pauses as long as the settle window
        wait_for(lambda: ACCEPTED in run.of("langsom.xlsx"), what="the slow file")
        run.quiet()
    assert REJECTED not in run.of("langsom.xlsx")
    assert run.of("langsom.xlsx").count(ACCEPTED) == 1
    assert current_target(config, "langsom.xlsx") == [3]


def test_twenty_saves_in_two_seconds_make_exactly_one_version_with_the_final_content(config):
    config = config.with_values(watch__settle_seconds=0.5)  # > the gap between saves, with room to spare
    watched = config.path("watched")
    contents = [workbook(n) for n in range(1, 21)]
    with Running(config) as run:
        for data in contents:
            with open(watched / "hp.xlsx", "wb") as f:  # saved in place, as some programs do
                f.write(data)
            time.sleep(0.1)
        wait_for(lambda: run.of("hp.xlsx"), what="the save")
        run.quiet(hold=1.0)
    assert run.of("hp.xlsx") == [ACCEPTED]
    assert current_target(config, "hp.xlsx") == [20]


@pytest.fixture(scope="module")
def two_hundred(tmp_path_factory) -> list[tuple[str, bytes]]:
    return [(f"Enhed {i:03}.xlsx", workbook(i, unit=f"Enhed {i:03}")) for i in range(200)]


def test_two_hundred_workbooks_at_once_are_all_recorded_and_summarised_once(config, two_hundred, tmp_path):
    drop = tmp_path / "drop"  # beside the watched folder, on the same file system
    drop.mkdir()
    for name, data in two_hundred:
        (drop / name).write_bytes(data)
    with Running(config) as run:
        before = run.service.summary_writes
        for name, _ in two_hundred:
            os.rename(drop / name, config.path("watched") / name)
        wait_for(lambda: len(run.outcomes) >= 200, timeout=60, what="200 outcomes")
        run.quiet()
        writes = run.service.summary_writes - before
    assert sorted(o.rel for o in run.outcomes) == sorted(name for name, _ in two_hundred)
    assert {o.status for o in run.outcomes} == {ACCEPTED}
    assert writes == 1
    with Store.open(config.path("database")) as store:
        assert store.counts()["current"] == 200
        assert not Pipeline(config, store).summary_stale()  # the one rewrite came after the last file
    assert config.path("consolidated").stat().st_mtime >= max(
        (config.path("watched") / name).stat().st_mtime for name, _ in two_hundred)


def test_a_file_changed_while_the_service_was_stopped_is_caught_at_start(config):
    watched = config.path("watched")
    (watched / "hp.xlsx").write_bytes(workbook(1))
    with Running(config) as run:
        assert run.of("hp.xlsx") == [ACCEPTED]
    (watched / "hp.xlsx").write_bytes(workbook(2))
    (watched / "Ny").mkdir()
    (watched / "Ny" / "ny.xlsx").write_bytes(workbook(5, unit="Ny enhed"))
    with Running(config) as run:
        assert run.of("hp.xlsx") == [ACCEPTED]
        assert run.of("Ny/ny.xlsx") == [ACCEPTED]
    assert current_target(config, "hp.xlsx") == [1, 2]


def test_own_outputs_inside_the_watched_folder_never_trigger_processing(config):
    watched = config.path("watched")
    config = config.with_values(paths__consolidated=str(watched / "Økonomi" / "Samlet oversigt.xlsx"),
                                paths__feedback=str(watched / "Tilbagemeldinger"))
    bad = [list(r) for r in book.HANDLEPLAN_LINES]
    bad[1][2] = "ca. 5"
    with Running(config) as run:
        book.save(watched / "hp.xlsx", {"HP": book.handleplan()})
        book.save(watched / "fejl.xlsx", {"HP": book.handleplan(lines=bad, total=False)})
        wait_for(lambda: len(run.outcomes) == 2, what="both files")
        run.quiet(hold=5 * SETTLE + 3 * POLL)
        writes = run.service.summary_writes
    assert sorted((o.rel, o.status) for o in run.outcomes) == [("fejl.xlsx", REJECTED), ("hp.xlsx", ACCEPTED)]
    assert (watched / "Økonomi" / "Samlet oversigt.xlsx").exists()
    assert list((watched / "Tilbagemeldinger").iterdir())  # the report was written, and ignored
    assert writes <= 2  # the start, then one burst; never a loop of rewrites


def test_a_second_instance_on_the_same_store_is_refused(config):
    with Running(config) as run:
        with pytest.raises(AlreadyRunning, match=rf"pid {os.getpid()} "):
            Service(config).run()
        assert run.service.idle()


@pytest.mark.skipif(not book.SOFFICE, reason="LibreOffice (soffice) is not installed")
def test_libreoffice_headless_writing_into_the_watched_folder(tmp_path):
    (tmp_path / "watched").mkdir()
    config = defaults(tmp_path).with_values(watch__settle_seconds=SETTLE)
    source = tmp_path / "kilde" / "Handleplan Fredensborg.xlsx"
    book.save(source, {"Handleplan": book.handleplan()})
    with Running(config) as run:
        # soffice --convert-to xlsx --outdir watched/: a real spreadsheet program saving there
        book.resave_with_libreoffice(source, config.path("watched"))
        wait_for(lambda: run.of("Handleplan Fredensborg.xlsx"), timeout=60, what="LibreOffice's file")
        run.quiet()
    assert run.of("Handleplan Fredensborg.xlsx") == [ACCEPTED]
    assert seen_paths(config) == {"Handleplan Fredensborg.xlsx"}
    assert config.path("consolidated").exists()


def test_the_observer_is_restarted_when_the_watched_folder_comes_back(config, monkeypatch):
    import shutil

    from syncservice.service import run as service

    monkeypatch.setattr(service, "HEALTH_SECONDS", 0.2)
    watched = config.path("watched")
    with Running(config) as run:
        shutil.rmtree(watched)  # the share went away …
        wait_for(lambda: not run.service.watching(), timeout=10, what="the observer to notice")
        watched.mkdir()  # … and came back
        (watched / "hp.xlsx").write_bytes(workbook(4))
        wait_for(lambda: run.of("hp.xlsx"), timeout=15, what="the file saved after the share came back")
        (watched / "hp2.xlsx").write_bytes(workbook(5, unit="Anden enhed"))  # seen by the new observer
        wait_for(lambda: run.of("hp2.xlsx"), timeout=15, what="a file saved later")
    assert run.of("hp.xlsx") == [ACCEPTED] and run.of("hp2.xlsx") == [ACCEPTED]


def test_a_report_owed_from_before_is_written_when_the_service_starts(tmp_path):
    """Recorded as rejected while the feedback folder could not be made (a file in its place),
    then the folder is fine again: starting `run` writes the report, with no save needed."""
    (tmp_path / "watched").mkdir()
    config = defaults(tmp_path).with_values(watch__poll_seconds=POLL, watch__settle_seconds=SETTLE)
    rows = book.handleplan()
    book.cell(rows, "B9", 99)  # the total no longer adds up
    book.save(config.path("watched") / "hp.xlsx", {"HP": rows})
    folder = config.path("feedback")
    folder.parent.mkdir(parents=True, exist_ok=True)
    folder.write_text("not a folder")
    with Store.open(config.path("database")) as store:
        assert [o.status for o in Pipeline(config, store).ingest().outcomes] == [REJECTED]
    folder.unlink()
    with Running(config) as run:
        wait_for(lambda: (folder / "hp - FEJL.txt").is_file(), what="the owed report")
        run.quiet()
    assert run.outcomes == []  # the workbook itself was not read again


def test_a_save_keeping_size_and_mtime_is_caught_by_the_next_rescan(config):
    """No observer sees it (a polling one compares size and mtime); the rescan compares content."""
    from test_share import same_size_pair

    first, second = same_size_pair()
    path = config.path("watched") / "hp.xlsx"
    path.write_bytes(first)
    old = path.stat().st_mtime_ns
    config = config.with_values(watch__rescan_minutes=0.5 / 60)  # a rescan every half second
    with Running(config) as run:
        assert run.of("hp.xlsx") == [ACCEPTED]
        path.write_bytes(second)
        os.utime(path, ns=(old, old))
        wait_for(lambda: len(run.of("hp.xlsx")) == 2, what="the rescan to read it again")
        run.quiet()
    assert run.of("hp.xlsx") == [ACCEPTED, ACCEPTED]
    assert len(set(current_target(config, "hp.xlsx"))) == 2


def test_deleting_the_copy_in_force_falls_back_and_a_rename_is_followed_while_running(config):
    """WORKBOOKS.md §9 with a real observer: the copy in force deleted → the original again;
    the original renamed → the version in force cites its new name; a deleted rejected file
    leaves the rejected ones. Waits for what the store says, not for a time."""
    watched = config.path("watched")
    original = watched / "Handleplan.xlsx"
    original.write_bytes(workbook(1))
    kopi = watched / "Handleplan - Kopi.xlsx"
    kopi.write_bytes(workbook(2))
    later = original.stat().st_mtime_ns + 10**9
    os.utime(kopi, ns=(later, later))
    (watched / "andet.xlsx").write_bytes(workbook(3, unit="Anden enhed"))
    bad = book.handleplan(unit="Tredje enhed")
    book.cell(bad, "B9", 99)
    book.save(watched / "fejl.xlsx", {"HP": bad})

    def cited() -> str:
        with Store.open(config.path("database")) as store:
            return next(v.path for v in store.current_versions() if v.unit == "Handicap, Testby")

    def rejected() -> list[str]:
        with Store.open(config.path("database")) as store:
            return [r.path for r in store.rejected_files()]

    with Running(config) as run:
        assert cited() == "Handleplan - Kopi.xlsx" and rejected() == ["fejl.xlsx"]
        kopi.unlink()
        wait_for(lambda: cited() == "Handleplan.xlsx", what="the fallback to the original")
        os.rename(original, watched / "Handleplan 2015.xlsx")
        wait_for(lambda: cited() == "Handleplan 2015.xlsx", what="the new name")
        (watched / "fejl.xlsx").unlink()
        wait_for(lambda: rejected() == [], what="the rejected file to leave the list")
        run.quiet()
    assert current_target(config, "Handleplan 2015.xlsx") == [1]
    assert not (config.path("feedback") / "fejl - FEJL.txt").exists()


def status_of(config: Config):
    from syncservice.service import status as status_mod
    from syncservice.service.run import status_path

    return status_mod.read(status_path(config))


def test_a_folder_renamed_away_and_made_anew_is_watched_again_logged_and_shown(config, monkeypatch):
    """inotify follows the folder it was put on: renamed away, it keeps watching the old one and
    hears nothing of the new. Its identity changed: the observer is put on the new one."""
    from syncservice.service import run as service

    monkeypatch.setattr(service, "HEALTH_SECONDS", 0.2)
    monkeypatch.setattr(service, "STATUS_SECONDS", 0.1)
    watched = config.path("watched")
    with Running(config) as run:
        os.rename(watched, watched.with_name("watched.old"))
        watched.mkdir()
        wait_for(lambda: run.service.observer_restarts == 1, timeout=15, what="the observer to be put on the new folder")
        (watched / "hp.xlsx").write_bytes(workbook(4))
        wait_for(lambda: run.of("hp.xlsx"), timeout=15, what="the file saved in the new folder")
        wait_for(lambda: (status_of(config) or None) and status_of(config).observer_restarts == 1,
                 what="status.json to show the restart")
        shown = status_of(config)
        assert shown.observer_down == "" and shown.observer_restarted and "another one" in shown.observer_why
    assert run.of("hp.xlsx") == [ACCEPTED]


@pytest.fixture
def mounted(tmp_path):
    """The watched folder as a tmpfs mount the test can unmount and mount again."""
    import subprocess

    watched = tmp_path / "watched"
    watched.mkdir(exist_ok=True)

    def mount() -> None:
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(watched)],
                              capture_output=True, text=True)
        if done.returncode:
            pytest.skip(f"environment: cannot mount a tmpfs here ({done.stderr.strip() or done.returncode})")

    def umount() -> None:
        subprocess.run(["umount", str(watched)], check=True)

    mount()
    try:
        yield mount, umount
    finally:
        while os.path.ismount(watched):
            subprocess.run(["umount", "-l", str(watched)], check=False)


def test_a_share_unmounted_and_mounted_again_is_watched_again_and_caught_up(config, mounted, monkeypatch):
    from syncservice.service import run as service

    mount, umount = mounted
    monkeypatch.setattr(service, "HEALTH_SECONDS", 0.2)
    watched = config.path("watched")
    (watched / "hp.xlsx").write_bytes(workbook(1))
    with Running(config) as run:
        assert run.of("hp.xlsx") == [ACCEPTED]
        umount()  # the share is away: the folder under it is another (empty) one
        wait_for(lambda: run.service.observer_restarts >= 1, timeout=15, what="the unmount to be noticed")
        seen = run.service.observer_restarts
        mount()  # back, empty at first, then a file is copied onto it before the next look, and one later
        (watched / "hp.xlsx").write_bytes(workbook(2))
        wait_for(lambda: run.service.observer_restarts > seen, timeout=15, what="the remount to be noticed")
        wait_for(lambda: len(run.of("hp.xlsx")) == 2, timeout=15, what="the catch-up")
        (watched / "ny.xlsx").write_bytes(workbook(3, unit="Ny enhed"))
        wait_for(lambda: run.of("ny.xlsx"), timeout=15, what="a save on the remounted share")
        run.quiet()
    assert run.of("hp.xlsx") == [ACCEPTED, ACCEPTED] and run.of("ny.xlsx") == [ACCEPTED]
    assert current_target(config, "hp.xlsx") == [1, 2]


def test_a_folder_of_reports_moved_out_of_the_share_is_seen_gone_at_once(config):
    """A folder deleted or moved away is one event for the folder, none per file: it still counts."""
    watched = config.path("watched")
    (watched / "Vest").mkdir()
    (watched / "Vest" / "hp.xlsx").write_bytes(workbook(1))
    (watched / "andet.xlsx").write_bytes(workbook(2, unit="Anden enhed"))
    config = config.with_values(watch__rescan_minutes=0)  # no rescan: the events alone must do it

    def deleted() -> str:
        with Store.open(config.path("database")) as store:
            return next(v.deleted_at for v in store.current_versions() if v.unit == "Handicap, Testby")

    with Running(config):
        os.rename(watched / "Vest", config.path("watched").parent / "Vest")
        wait_for(lambda: deleted() != "", what="the moved folder's report to be marked deleted")


def test_a_save_keeping_size_and_mtime_while_stopped_is_caught_at_the_next_start(config):
    from test_share import same_size_pair

    first, second = same_size_pair()
    path = config.path("watched") / "hp.xlsx"
    path.write_bytes(first)
    old = path.stat().st_mtime_ns
    with Running(config) as run:
        assert run.of("hp.xlsx") == [ACCEPTED]
    path.write_bytes(second)
    os.utime(path, ns=(old, old))
    with Running(config) as run:
        assert run.of("hp.xlsx") == [ACCEPTED]  # the catch-up hashed it
    assert len(set(current_target(config, "hp.xlsx"))) == 2
