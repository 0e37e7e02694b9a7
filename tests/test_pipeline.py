"""One file and one pass through stage → check → archive → store, as a user sees the result."""

from __future__ import annotations

import os
import stat

import openpyxl
import pytest

import book
from syncservice.config import defaults
from syncservice.messages import render
from syncservice.pipeline import Pipeline
from syncservice.store import Store


@pytest.fixture
def service(tmp_path):
    config = defaults(tmp_path)
    (tmp_path / "watched").mkdir()
    store = Store.open(config.path("database"))
    yield Pipeline(config, store)
    store.close()


def save(service, name, sheets, mtime_bump=0):
    path = book.save(service.watched / name, sheets)
    if mtime_bump:
        st = path.stat()
        os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + mtime_bump))
    return path


def figures(service, kind="tilgang_afgang"):
    (version,) = [v for v in service.store.current_versions() if v.kind == kind]
    return version, {(f.line, f.metric, f.period): f.value for f in service.store.version_figures(version.version_id)}


def test_accepted_workbook_is_recorded_archived_read_only_and_current(service):
    path = save(service, "Ballerup/Tilgang.xlsx", {"TA": book.tilgang()})
    outcome = service.process(path)
    assert outcome.status == "accepted" and len(outcome.versions) == 1
    version, figs = figures(service)
    assert (version.unit, version.year, version.path, version.through) == (
        "Handicap & Psykiatri, Ballerup", 2016, "Ballerup/Tilgang.xlsx", 3)
    assert figs[("Det Nye Sted", "Ultimo", "")] == 54
    archived = service.config.base / version.archive_path
    assert archived.read_bytes() == path.read_bytes()
    assert "accepted" in archived.parts
    assert not archived.stat().st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)


def test_same_bytes_again_is_unchanged_not_a_new_version(service):
    path = save(service, "hp.xlsx", {"HP": book.handleplan()})
    service.process(path)
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 10**9))
    assert service.process(path).status == "unchanged"
    assert service.store.counts()["versions"] == 1


def test_same_figures_resaved_with_other_bytes_makes_no_new_version(service):
    service.process(save(service, "hp.xlsx", {"HP": book.handleplan()}))
    second = service.process(save(service, "hp.xlsx", {"HP": book.handleplan(), "Noter": [["ny note"]]}))
    assert second.status == "accepted" and second.versions == ()
    assert service.store.counts()["versions"] == 1


def test_rejected_workbook_leaves_the_accepted_version_in_force_and_is_kept(service):
    service.process(save(service, "ta.xlsx", {"TA": book.tilgang()}))
    lines = [list(r) for r in book.TILGANG_LINES]
    lines[0][8] = 99
    bad = save(service, "ta.xlsx", {"TA": book.tilgang(lines=lines)}, mtime_bump=10**9)
    outcome = service.process(bad)
    assert outcome.status == "rejected"
    version, figs = figures(service)
    assert figs[("Krumtappen", "Ultimo", "")] == 22
    (rejected,) = service.store.rejected_files()
    assert rejected.path == "ta.xlsx" and rejected.errors[0].rule == "tilgang.balance"
    assert (service.config.base / rejected.archive_path).read_bytes() == bad.read_bytes()
    fixed = save(service, "ta.xlsx", {"TA": book.tilgang(), "Noter": [["rettet"]]}, mtime_bump=2 * 10**9)
    assert service.process(fixed).status == "accepted"
    assert service.store.rejected_files() == []


def test_pending_skips_files_whose_size_and_mtime_are_unchanged_and_ignores_lock_files(service):
    path = save(service, "hp.xlsx", {"HP": book.handleplan()})
    (service.watched / "~$hp.xlsx").write_bytes(b"owner")
    (service.watched / ".~lock.hp.xlsx#").write_text("lock")
    assert service.pending() == [path]
    service.process(path)
    assert service.pending() == []


def test_disk_error_while_archiving_is_retried_and_records_nothing(service):
    service.config.path("archive").write_text("not a folder")  # the archive cannot be created
    outcome = service.process(save(service, "hp.xlsx", {"HP": book.handleplan()}))
    assert outcome.status == "retry" and "archive" in outcome.reason
    assert service.store.counts()["files"] == 0
    service.config.path("archive").unlink()
    assert [service.process(p).status for p in service.pending()] == ["accepted"]


def test_changed_quarter_figure_is_a_warning_with_old_and_new(service):
    service.process(save(service, "ta.xlsx", {"TA": book.tilgang()}))
    lines = [list(r) for r in book.TILGANG_LINES]
    lines[0][4], lines[0][8] = 2, 23  # K2 Tilgang 1 → 2, end count follows
    outcome = service.process(save(service, "ta.xlsx", {"TA": book.tilgang(lines=lines)}, mtime_bump=10**9))
    assert outcome.status == "accepted"
    (f,) = [w for w in outcome.verdict.warnings if w.rule == "change.figure"]
    assert (f.cells, f.params["old"], f.params["new"], f.params["period"]) == (("E8",), 1, 2, "K2")


def test_a_line_named_with_a_non_breaking_or_double_space_is_the_same_line(service):
    """'Det\xa0Nye  Sted' (pasted from Word) is Det Nye Sted: the change is found against the
    previous version, and the Data sheet has one line, not two that a pivot table splits."""
    service.process(save(service, "ta.xlsx", {"TA": book.tilgang()}))
    lines = [list(r) for r in book.TILGANG_LINES]
    lines[3][0] = "Det\xa0Nye  Sted"
    lines[3][6], lines[3][8] = 4, 55  # K3 Tilgang 3 → 4, end count follows
    outcome = service.process(save(service, "ta.xlsx", {"TA": book.tilgang(lines=lines)}, mtime_bump=10**9))
    (f,) = [w for w in outcome.verdict.warnings if w.rule == "change.figure"]
    assert f.cells == ("G11",) and "for Det Nye Sted var 3" in render(f)
    _, figs = figures(service)
    assert figs[("Det Nye Sted", "Tilgang", "K3")] == 4
    wb = openpyxl.load_workbook(service.write_summary())
    assert {r[3] for r in wb["Data"].iter_rows(min_row=2, values_only=True)} == {
        "Krumtappen", "Bibliotekscaféen", "Larsbjerggård", "Det Nye Sted"}


def test_consolidated_workbook_lists_what_changed_since_the_previous_version(service):
    service.process(save(service, "ta.xlsx", {"TA": book.tilgang()}))
    lines = [list(r) for r in book.TILGANG_LINES]
    lines[0][4], lines[0][8] = 2, 23  # K2 Tilgang 1 → 2, end count follows
    service.process(save(service, "ta.xlsx", {"TA": book.tilgang(lines=lines)}, mtime_bump=10**9))
    wb = openpyxl.load_workbook(service.write_summary())
    (row,) = [list(r) for r in wb["Ændringer"].iter_rows(min_row=5, values_only=True)]
    # before and after as numbers, so finance can sort and subtract them
    assert row[:7] == ["Handicap & Psykiatri, Ballerup", "tilgang_afgang", 2016, "TA!E8", "Krumtappen, Tilgang K2",
                       1, 2]
    assert [c.number_format for c in next(wb["Ændringer"].iter_rows(min_row=5, min_col=6, max_col=7))] == [
        "#,##0", "#,##0"]
    assert row[7].startswith("Tilgang K2 for Krumtappen var 1 i den forrige godkendte version og er nu 2.")
    (version,) = service.store.current_versions()
    assert [r[6] for r in wb["Kilder"].iter_rows(min_row=5, values_only=True)] == [version.version_id]

    lines[1][6], lines[1][8] = 1, 14  # the next version changes K3 for Bibliotekscaféen only
    service.process(save(service, "ta.xlsx", {"TA": book.tilgang(lines=lines)}, mtime_bump=2 * 10**9))
    wb = openpyxl.load_workbook(service.write_summary())
    assert [r[3:7] for r in wb["Ændringer"].iter_rows(min_row=5, values_only=True)] == [
        ("TA!G9", "Bibliotekscaféen, Tilgang K3", 0, 1)]


def test_same_report_from_another_path_wins_and_names_the_other_file(service):
    service.process(save(service, "Vest/hp.xlsx", {"HP": book.handleplan()}))
    outcome = service.process(save(service, "Øst/kopi af hp.xlsx", {"HP": book.handleplan(), "N": [["x"]]}))
    (f,) = [w for w in outcome.verdict.warnings if w.rule == "change.other_path"]
    assert f.params["other"] == "Vest/hp.xlsx" and f.cells == ("B3",)


def test_realised_going_down_is_a_warning(service):
    service.process(save(service, "hp.xlsx", {"HP": book.handleplan()}))
    lines = [list(r) for r in book.HANDLEPLAN_LINES]
    lines[3][2] = 4.0  # Botilbud realised 4,5 → 4,0
    outcome = service.process(save(service, "hp.xlsx", {"HP": book.handleplan(lines=lines)}, mtime_bump=10**9))
    (f,) = [w for w in outcome.verdict.warnings if w.rule == "change.realised_decreased"]
    assert f.cells == ("C13",) and f.params["line"] == "Botilbud"


def test_start_count_differs_from_last_years_end_count(service):
    last = book.tilgang(year=2015, quarters=4, lines=[["Krumtappen", 10, 1, 0, 0, 0, 0, 0, 0, 1, 10]])
    service.process(save(service, "ta2015.xlsx", {"TA": last}))
    outcome = service.process(save(service, "ta2016.xlsx", {"TA": book.tilgang()}))
    (f,) = [w for w in outcome.verdict.warnings if w.rule == "change.start_vs_last_end"]
    assert f.cells == ("B8",) and f.params["end"] == 10
    assert render(f).startswith("Primo for Krumtappen er 18, men ultimo 2015 var 10.")


def test_rejection_report_appears_beside_and_goes_to_the_archive_once_fixed(service):
    lines = [list(r) for r in book.TILGANG_LINES]
    lines[0][8] = 99
    service.process(save(service, "Ballerup/ta.xlsx", {"TA": book.tilgang(lines=lines)}))
    feedback = service.config.path("feedback") / "Ballerup"
    assert sorted(p.name for p in feedback.iterdir()) == ["ta - FEJL.txt", "ta - FEJL.xlsx"]
    assert "TA!B8" in (feedback / "ta - FEJL.txt").read_text(encoding="utf-8-sig")
    service.process(save(service, "Ballerup/ta.xlsx", {"TA": book.tilgang()}, mtime_bump=10**9))
    assert not feedback.exists() or list(feedback.iterdir()) == []
    kept = list((service.config.path("archive") / "feedback").rglob("*ta - FEJL*"))
    assert len(kept) == 2


def test_too_large_file_is_rejected_unread_with_a_text_report(service):
    config = service.config.with_values(limits__max_file_mb=0)
    small = Pipeline(config, service.store)
    outcome = small.process(save(service, "stor.xlsx", {"HP": book.handleplan()}))
    assert outcome.status == "rejected" and outcome.verdict.errors[0].rule == "file.too_big"
    text = (config.path("feedback") / "stor - FEJL.txt").read_text(encoding="utf-8-sig")
    assert "grænsen er 0 MB" in text


def test_effekt_status_is_kept_with_the_version_and_a_new_status_is_a_new_version(service):
    first = service.process(save(service, "e.xlsx", {"E": book.effekt(status=["Grøn", "gul", "Rød", None, "Gul"])}))
    (version,) = service.store.current_versions()
    assert version.extra["status"][:2] == [["1", book.EFFEKT_LINES[0][1], "Grøn"], ["2", book.EFFEKT_LINES[1][1], "Gul"]]
    second = service.process(save(service, "e.xlsx", {"E": book.effekt(status=["Grøn", "Grøn", "Rød", None, "Gul"])},
                                  mtime_bump=10**9))
    assert first.versions and second.versions and second.versions != first.versions


def test_a_stale_temp_file_of_a_killed_rewrite_is_cleared_even_when_no_rewrite_is_due(tmp_path):
    """A kill mid-rewrite leaves '.Samlet oversigt.xlsx.<hex>.tmp' where people on the share
    see it; a later run clears it once it is surely not in use, rewrite due or not."""
    import os
    import time

    from syncservice.config import defaults
    from syncservice.pipeline import Pipeline
    from syncservice.store import Store

    config = defaults(tmp_path)
    target = config.path("consolidated")
    target.parent.mkdir(parents=True)
    old, fresh = target.parent / f".{target.name}.0123abcd.tmp", target.parent / f".{target.name}.4567cdef.tmp"
    for path in (old, fresh):
        path.write_bytes(b"PK half")
    os.utime(old, (time.time() - 7200, time.time() - 7200))
    with Store.open(config.path("database")) as store:
        Pipeline(config, store)
    assert not old.exists() and fresh.exists()  # a fresh one may be another process's write in progress


# --- a file that stays unreadable (WORKBOOKS.md §1) ---------------------------------------------

def test_a_file_that_stays_unreadable_is_rejected_after_unreadable_minutes(tmp_path, monkeypatch):
    from datetime import UTC, datetime, timedelta

    import faults
    from syncservice.pipeline import ACCEPTED, REJECTED, RETRY, UNCHANGED

    config = defaults(tmp_path)
    now = [datetime(2026, 12, 3, 9, 0, tzinfo=UTC)]
    store = Store.open(config.path("database"))
    try:
        pipe = Pipeline(config, store, clock=lambda: now[0])
        path = book.save(config.path("watched") / "Låst.xlsx", {"HP": book.handleplan()})
        readable = faults.unreadable(monkeypatch, path)

        def attempt(after_minutes: float) -> str:
            now[0] = datetime(2026, 12, 3, 9, 0, tzinfo=UTC) + timedelta(minutes=after_minutes)
            (outcome,) = Pipeline(config, store, clock=lambda: now[0]).ingest().outcomes  # a pass, as ingest
            return outcome.status

        assert pipe.process(path).status == RETRY
        assert attempt(5) == RETRY and attempt(9.9) == RETRY  # retried, nothing recorded yet
        assert store.counts()["files"] == 0 and store.rejected_files() == []
        assert [u.path for u in store.unreadable()] == ["Låst.xlsx"]

        assert attempt(10) == REJECTED
        (rejected,) = store.rejected_files()
        assert rejected.path == "Låst.xlsx" and [f.rule for f in rejected.errors] == ["file.unreadable"]
        assert "ikke adgang" in render(rejected.errors[0])
        report = config.path("feedback") / "Låst - FEJL.txt"
        assert render(rejected.errors[0]) in report.read_text(encoding="utf-8-sig")  # the person is told
        pipe.write_summary()
        afviste = openpyxl.load_workbook(config.path("consolidated"), read_only=True)["Afviste"]
        assert "Låst.xlsx" in {c for row in afviste.iter_rows(values_only=True) for c in row}

        assert attempt(30) == UNCHANGED  # tried again each pass, rejected once
        assert store.counts()["rejected"] == 1

        readable()  # the permission put right: same size, same mtime, read on the next pass
        assert attempt(31) == ACCEPTED
        assert store.rejected_files() == [] and store.unreadable() == []
    finally:
        store.close()


def test_an_unreadable_file_that_is_deleted_is_no_longer_one_to_retry(service, monkeypatch):
    import faults
    from syncservice.pipeline import RETRY

    path = save(service, "Låst.xlsx", {"HP": book.handleplan()})
    faults.unreadable(monkeypatch, path)
    assert service.process(path).status == RETRY
    assert [u.path for u in service.store.unreadable()] == ["Låst.xlsx"]
    path.unlink()
    assert service.process(path).status == RETRY  # the worker's retry finds it gone
    assert service.store.unreadable() == []
    assert service.ingest().outcomes == [] and service.store.unreadable() == []
