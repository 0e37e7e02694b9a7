"""One file and one pass through stage → check → archive → store, as a user sees the result."""

from __future__ import annotations

import datetime as dt
import os
import stat

import openpyxl
import pytest

from syncservice.base.config import defaults
from syncservice.pipeline import Pipeline
from syncservice.rules.messages import render
from syncservice.store.db import Store

import book


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

    from syncservice.base.config import defaults
    from syncservice.pipeline import Pipeline
    from syncservice.store.db import Store

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


def test_a_rows_file_left_by_a_kill_during_the_rewrite_is_cleared_at_start(tmp_path):
    """SIGKILL while summary_xml splices the rows leaves '.<name>.<hex>.tmp.rows' beside the
    workbook (summary_xml.splice); the next start clears it with the temp file it belongs to."""
    import os
    import time

    from syncservice.base.config import defaults

    config = defaults(tmp_path)
    target = config.path("consolidated")
    target.parent.mkdir(parents=True)
    tmp, rows = target.parent / f".{target.name}.0123abcd.tmp", target.parent / f".{target.name}.0123abcd.tmp.rows"
    fresh = target.parent / f".{target.name}.4567cdef.tmp.rows"
    for path in (tmp, rows, fresh):
        path.write_bytes(b"PK half")
    for path in (tmp, rows):
        os.utime(path, (time.time() - 7200, time.time() - 7200))
    with Store.open(config.path("database")) as store:
        Pipeline(config, store)
    assert not tmp.exists() and not rows.exists()
    assert fresh.exists()  # may be a rewrite in progress in another process


def test_json_log_time_is_the_verdicts_time_as_in_the_store_and_the_report(tmp_path):
    """A clock that moves on between calls: the JSON log, the store and the report all say
    the time the verdict was recorded, not a later reading of the clock."""
    import datetime as dt
    import json

    from loguru import logger

    from syncservice.base.config import defaults
    from syncservice.outputs.feedback.text import local_time

    ticks = iter(dt.datetime(2016, 10, 3, 14, 5, tzinfo=dt.UTC) + dt.timedelta(minutes=n) for n in range(1000))
    config = defaults(tmp_path)
    (tmp_path / "watched").mkdir()
    lines: list[str] = []
    sink = logger.add(lines.append, format="{message}", filter=lambda r: "validation" in r["extra"])
    try:
        with Store.open(config.path("database")) as store:
            pipeline = Pipeline(config, store, clock=lambda: next(ticks))
            rows = [list(r) for r in book.TILGANG_LINES]
            rows[0][8] = 99
            book.save(pipeline.watched / "ta.xlsx", {"TA": book.tilgang(lines=rows)})
            pipeline.ingest()
            (entry,) = store.log()
    finally:
        logger.remove(sink)
    (record,) = [json.loads(line) for line in lines]
    assert record["time"] == entry.received_at
    received = dt.datetime.fromisoformat(entry.received_at)
    text = (config.path("feedback") / "ta - FEJL.txt").read_text(encoding="utf-8-sig")
    assert f"Kontrolleret: {local_time(received, 'da')}" in text


def _rejected_tilgang(service, name="ta.xlsx"):
    lines = [list(r) for r in book.TILGANG_LINES]
    lines[0][8] = 99
    return save(service, name, {"TA": book.tilgang(lines=lines)})


def test_a_report_the_feedback_folder_refused_is_written_on_the_next_pass(service):
    """A regular file where the feedback folder should be: no report can be made, as root too.
    Once the folder can be made again, the next pass writes the report the verdict owes,
    though the workbook itself is unchanged, with the verdict's findings."""
    folder = service.config.path("feedback")
    folder.parent.mkdir(parents=True, exist_ok=True)
    folder.write_text("not a folder")
    _rejected_tilgang(service)
    (outcome,) = service.ingest().outcomes
    assert outcome.status == "rejected" and folder.is_file()
    folder.unlink()
    tally = service.ingest()
    assert [o.status for o in tally.outcomes] == []  # the workbook is unchanged: nothing to read again
    text = (folder / "ta - FEJL.txt").read_text(encoding="utf-8-sig")
    for error in outcome.verdict.errors:
        assert render(error) in text
    assert (folder / "ta - FEJL.xlsx").is_file()  # marked up from the archived copy
    assert service.store.feedback_owed() == []


class Killed(BaseException):
    """What SIGKILL does to the process, as far as the store can tell."""


def test_a_kill_between_recording_the_verdict_and_its_report_is_made_good_at_start(service, monkeypatch):
    import datetime as dt

    from syncservice.outputs.feedback import report as feedback
    from syncservice.outputs.feedback.text import local_time

    _rejected_tilgang(service)

    def killed(*args, **kwargs):
        raise Killed

    with monkeypatch.context() as m:
        m.setattr(feedback, "write_report", killed)
        with pytest.raises(Killed):
            service.ingest()
    folder = service.config.path("feedback")
    assert not (folder / "ta - FEJL.txt").exists()
    (rejected,) = service.store.rejected_files()
    restarted = Pipeline(service.config, service.store)
    restarted.ingest()
    text = (folder / "ta - FEJL.txt").read_text(encoding="utf-8-sig")
    assert "TA!B8" in text or "'TA'!B8" in text
    assert f"Kontrolleret: {local_time(dt.datetime.fromisoformat(rejected.received_at), 'da')}" in text
    assert service.store.feedback_owed() == []


def test_an_owed_report_is_not_written_over_a_newer_verdict(service):
    """Owed for an older rejection, then the file is fixed and accepted: no stale report appears."""
    folder = service.config.path("feedback")
    folder.parent.mkdir(parents=True, exist_ok=True)
    folder.write_text("not a folder")
    _rejected_tilgang(service)
    service.ingest()
    folder.unlink()
    save(service, "ta.xlsx", {"TA": book.tilgang()}, mtime_bump=10**9)
    (outcome,) = service.ingest().outcomes
    assert outcome.status == "accepted"
    assert not folder.exists() or not list(folder.rglob("*FEJL*"))
    assert service.store.feedback_owed() == []


def test_nfc_and_nfd_forms_of_one_name_keep_their_own_reports(service):
    """Two files whose names differ only in Unicode form (a Mac saves NFD): each its own report,
    and accepting the one leaves the other's beside it."""
    nfc, nfd = "Tilgang \u00c5r.xlsx", "Tilgang A\u030ar.xlsx"
    for name in (nfc, nfd):
        _rejected_tilgang(service, name)
    assert [o.status for o in service.ingest().outcomes] == ["rejected", "rejected"]
    folder = service.config.path("feedback")
    assert len(list(folder.glob("*FEJL.txt"))) == 2
    save(service, nfc, {"TA": book.tilgang()}, mtime_bump=10**9)
    assert [o.status for o in service.ingest().outcomes] == ["accepted"]
    (left,) = folder.glob("*FEJL.txt")
    assert "#" in left.name and nfd in left.read_text(encoding="utf-8-sig")


# --- which version is in force (WORKBOOKS.md §1 "Identity", §5) ------------------------------------

HOUR = 3600 * 10**9


def saved_at(path, mtime_ns):
    os.utime(path, ns=(mtime_ns, mtime_ns))
    return path


def data_rows(service):
    wb = openpyxl.load_workbook(service.write_summary())
    rows = list(wb["Data"].iter_rows(min_row=2, values_only=True))
    return [dict(zip(("Enhed", "År", "Skema", "Linje", "Nøgletal", "Periode", "Værdi", "Kilde", "Version"), r))
            for r in rows]


def newer_lines():
    lines = [list(r) for r in book.TILGANG_LINES]
    lines[0][6] += 1  # Krumtappen: one more intake in K3, end count 22 → 23
    lines[0][8] += 1
    return lines


def test_of_two_files_holding_one_report_a_pass_keeps_the_one_saved_last(service):
    """A catch-up pass reads files in name order today: 'a' (saved last) then 'b' (two hours
    earlier), and the older 'b' took over, its warning calling it the newer."""
    base = service.watched.stat().st_mtime_ns
    saved_at(save(service, "a - rettet.xlsx", {"TA": book.tilgang(lines=newer_lines())}), base + 2 * HOUR)
    saved_at(save(service, "b - gammel kopi.xlsx", {"TA": book.tilgang()}), base)
    tally = service.ingest()
    (version,) = service.store.current_versions()
    assert version.path == "a - rettet.xlsx"
    assert [(o.rel, o.status) for o in tally.outcomes] == [  # read oldest save first
        ("b - gammel kopi.xlsx", "accepted"), ("a - rettet.xlsx", "accepted")]
    krumtappen = {r["Nøgletal"]: r["Værdi"] for r in data_rows(service)
                  if r["Linje"] == "Krumtappen" and not r["Periode"]}
    assert krumtappen == {"Primo": 18, "Ultimo": 23}
    (warning,) = [w for w in tally.outcomes[1].verdict.warnings if w.rule == "change.other_path"]
    assert render(warning).startswith("Indberetningen for Handicap & Psykiatri, Ballerup 2016 kom før fra en anden "
                                      "fil: «b - gammel kopi.xlsx». Denne fil er gemt senere, så den gælder nu.")


def test_an_older_save_read_after_the_newer_one_stays_out_of_force_and_names_the_newer(service):
    """`run` may read the files in any order: the store itself keeps the one saved last."""
    base = service.watched.stat().st_mtime_ns
    newer = saved_at(save(service, "Vest/ta.xlsx", {"TA": book.tilgang(lines=newer_lines())}), base + 2 * HOUR)
    older = saved_at(save(service, "Øst/kopi af ta.xlsx", {"TA": book.tilgang()}), base)
    service.process(newer)
    outcome = service.process(older)
    assert outcome.status == "accepted"
    (version,) = service.store.current_versions()
    assert version.path == "Vest/ta.xlsx"
    assert {r["Kilde"] for r in data_rows(service)} == {"ta.xlsx"}
    assert [r["Værdi"] for r in data_rows(service)
            if r["Linje"] == "Krumtappen" and r["Nøgletal"] == "Ultimo"] == [23]
    assert [w.rule for w in outcome.verdict.warnings] == ["change.older_save"]  # not "this newer file now applies"
    (warning,) = outcome.verdict.warnings
    assert (warning.sheet, warning.cells) == ("TA", ("B3",))
    assert render(warning).startswith("Indberetningen for Handicap & Psykiatri, Ballerup 2016 findes også i "
                                      "«Vest/ta.xlsx», som er gemt senere end denne fil. "
                                      "Tallene fra «Vest/ta.xlsx» gælder fortsat")
    # the history keeps both, the older one marked as never in force
    assert [(v.path, v.superseded_by) for v in service.store.history()] == [
        ("Øst/kopi af ta.xlsx", version.version_id), ("Vest/ta.xlsx", None)]
    # once opened and saved again (now the newest), it is the version in force
    outcome = service.process(saved_at(save(service, "Øst/kopi af ta.xlsx", {"TA": book.tilgang(), "N": [["igen"]]}),
                                       base + 3 * HOUR))
    assert service.store.current_versions()[0].path == "Øst/kopi af ta.xlsx"
    assert [w.rule for w in outcome.verdict.warnings if w.rule.startswith("change.")] == [
        "change.figure", "change.other_path"]


def two_quarters():
    """Seed 003 as it stood after K2: K3 columns gone, end counts through K2."""
    return [[name, start, i1, o1, i2, o2, start + i1 + i2 - o1 - o2]
            for name, start, i1, o1, i2, o2, _i3, _o3, _end in book.TILGANG_LINES]


def test_a_bruttobesparelse_with_fewer_follow_ups_than_the_version_in_force_is_rejected(service):
    service.process(save(service, "bb.xlsx", {"BB": book.bruttobesparelse()}))
    three = [list(r) for r in book.BRUTTO_LINES[:3]]  # the copy saved before 3. opfølgning 2016
    outcome = service.process(save(service, "bb.xlsx", {"BB": book.bruttobesparelse(lines=three)}, mtime_bump=HOUR))
    assert outcome.status == "rejected"
    (error,) = outcome.verdict.errors
    assert (error.rule, error.sheet, error.cells) == ("change.period_back", "BB", ("A7",))
    assert render(error).startswith("Rapporten går kun til og med 3. opfølgning, men den gældende version "
                                    "(«bb.xlsx») går til og med 4. opfølgning.")
    assert "through follow-up 4" in render(error, "en")
    version, held = figures(service, "bruttobesparelse")
    assert held[("3. opfølgning 2016", "Bruttobesparelse", "2017")] == 16_000_000


def test_an_old_copy_through_an_earlier_quarter_is_rejected_and_the_later_version_stays(service):
    service.process(save(service, "ta.xlsx", {"TA": book.tilgang()}))
    outcome = service.process(save(service, "ta.xlsx", {"TA": book.tilgang(quarters=2, lines=two_quarters())},
                                   mtime_bump=HOUR))
    assert outcome.status == "rejected"
    (error,) = outcome.verdict.errors
    assert (error.rule, error.severity, error.sheet, error.cells) == ("change.period_back", "error", "TA", ("E6",))
    assert render(error) == (
        "Rapporten går kun til og med 2. kvartal, men den gældende version («ta.xlsx») går til og med 3. kvartal. "
        "Den er derfor ikke godkendt, og den gældende version gælder fortsat. Det ligner en ældre kopi: gem den "
        "nyeste udgave af rapporten (til og med 3. kvartal eller senere).")
    (version,) = service.store.current_versions()
    assert version.through == 3
    assert {r["Periode"] for r in data_rows(service) if r["Nøgletal"] == "Tilgang"} == {"K1", "K2", "K3"}
    (rejected,) = service.store.rejected_files()
    assert rejected.path == "ta.xlsx" and rejected.errors[0].rule == "change.period_back"


def test_a_handleplan_with_an_earlier_as_of_date_is_rejected_naming_both_dates(service):
    service.process(save(service, "hp.xlsx", {"HP": book.handleplan()}))
    lines = [list(r) for r in book.HANDLEPLAN_LINES]
    lines[0][2] = 2.0  # Støtte eget hjem realised 3,6 → 2,0 as it stood in September
    outcome = service.process(save(service, "hp kopi.xlsx", {"HP": book.handleplan(as_of=dt.date(2015, 9, 30),
                                                                                    lines=lines)}, mtime_bump=HOUR))
    assert outcome.status == "rejected"
    (error,) = outcome.verdict.errors
    assert (error.rule, error.cells, error.value) == ("change.period_back", ("B5",), "30.09.2015")
    assert render(error).startswith("Rapporten går kun til og med 30.09.2015, men den gældende version "
                                    "(«hp.xlsx») går til og med 30.11.2015.")
    assert render(error, "en").startswith("The report only goes through 30.09.2015, but the version in force")
    (version,) = service.store.current_versions()
    assert (version.path, version.as_of) == ("hp.xlsx", "2015-11-30")
    assert [r["Værdi"] for r in data_rows(service)
            if r["Linje"] == "Støtte eget hjem" and r["Nøgletal"] == "Realiseret"] == [3_600_000]
    # the same date, or a later one, is accepted as always
    later = service.process(save(service, "hp kopi.xlsx", {"HP": book.handleplan(as_of=dt.date(2015, 12, 31))},
                                 mtime_bump=2 * HOUR))
    assert later.status == "accepted"


def test_one_unit_written_two_ways_is_one_unit_under_its_first_spelling_with_a_warning(service):
    service.process(save(service, "hp.xlsx", {"HP": book.handleplan(unit="Handicap & Psykiatri, Ballerup")}))
    # next year's report, the unit typed otherwise
    outcome = service.process(save(service, "hp kopi.xlsx", {"HP": book.handleplan(
        unit="handicap & psykiatri,ballerup", year=2016, as_of=dt.date(2016, 11, 30))}, mtime_bump=HOUR))
    assert outcome.status == "accepted"
    (warning,) = [w for w in outcome.verdict.warnings if w.rule == "report.unit_spelling"]
    assert (warning.sheet, warning.cells, warning.value) == ("HP", ("B3",), "handicap & psykiatri,ballerup")
    assert render(warning).startswith("Enheden er skrevet «handicap & psykiatri,ballerup», men kendes allerede som "
                                      "«Handicap & Psykiatri, Ballerup».")
    assert {r["Enhed"] for r in data_rows(service)} == {"Handicap & Psykiatri, Ballerup"}
    assert {(v.unit, v.year) for v in service.store.current_versions()} == {
        ("Handicap & Psykiatri, Ballerup", 2015), ("Handicap & Psykiatri, Ballerup", 2016)}


def test_the_same_report_under_another_spelling_replaces_it_rather_than_counting_twice(service):
    service.process(save(service, "ta.xlsx", {"TA": book.tilgang(unit="Handicap & Psykiatri, Ballerup")}))
    service.process(save(service, "ta kopi.xlsx", {"TA": book.tilgang(
        unit="HANDICAP &  PSYKIATRI , BALLERUP", lines=newer_lines())}, mtime_bump=HOUR))
    (version,) = service.store.current_versions()
    assert (version.unit, version.path) == ("Handicap & Psykiatri, Ballerup", "ta kopi.xlsx")
    assert sum(r["Værdi"] for r in data_rows(service) if r["Nøgletal"] == "Ultimo") == 22 + 13 + 8 + 54 + 1


def test_a_configured_unit_is_stored_and_shown_as_configured_whatever_the_spelling(service):
    nfd = "Handicap & Psykiatri, Ba\u0308llerup"  # 'ä' typed as 'a' + combining diaeresis (NFD, as a Mac may save)
    config = service.config.with_values(reporting__units=("Handicap & Psykiatri, Bällerup",))
    listed = Pipeline(config, service.store, clock=service.clock)
    outcome = listed.process(save(service, "ta.xlsx", {"TA": book.tilgang(unit="handicap & psykiatri,"
                                                                               + nfd.split(",")[1].lower())}))
    assert outcome.status == "accepted" and outcome.verdict.warnings == ()
    (version,) = service.store.current_versions()
    assert version.unit == "Handicap & Psykiatri, Bällerup"


def test_two_sheets_of_one_workbook_spelling_one_unit_two_ways_are_one_unit(service):
    outcome = service.process(save(service, "begge.xlsx", {
        "HP": book.handleplan(unit="Handicap & Psykiatri, Ballerup"),
        "TA": book.tilgang(unit="handicap & psykiatri ,ballerup")}))
    assert outcome.status == "accepted"
    (warning,) = [w for w in outcome.verdict.warnings if w.rule == "report.unit_spelling"]
    assert (warning.sheet, warning.params["kept"]) == ("TA", "Handicap & Psykiatri, Ballerup")
    assert {v.unit for v in service.store.current_versions()} == {"Handicap & Psykiatri, Ballerup"}


def test_reports_accepted_before_the_unit_was_listed_take_the_listed_spelling(service):
    service.process(save(service, "ta.xlsx", {"TA": book.tilgang(unit="handicap & psykiatri,ballerup")}))
    config = service.config.with_values(reporting__units=("Handicap & Psykiatri, Ballerup",))
    listed = Pipeline(config, service.store, clock=service.clock)
    listed.process(save(service, "hp.xlsx", {"HP": book.handleplan(unit="Handicap & Psykiatri, Ballerup")}))
    assert {r["Enhed"] for r in data_rows(listed)} == {"Handicap & Psykiatri, Ballerup"}
    assert {v.unit for v in service.store.current_versions()} == {"Handicap & Psykiatri, Ballerup"}


# --- a file that stays unreadable (WORKBOOKS.md §1) ---------------------------------------------

def test_a_file_that_stays_unreadable_is_rejected_after_unreadable_minutes(tmp_path, monkeypatch):
    from datetime import UTC, datetime, timedelta

    from syncservice.pipeline import ACCEPTED, REJECTED, RETRY, UNCHANGED

    import faults

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
    from syncservice.pipeline import RETRY

    import faults

    path = save(service, "Låst.xlsx", {"HP": book.handleplan()})
    faults.unreadable(monkeypatch, path)
    assert service.process(path).status == RETRY
    assert [u.path for u in service.store.unreadable()] == ["Låst.xlsx"]
    path.unlink()
    assert service.process(path).status == RETRY  # the worker's retry finds it gone
    assert service.store.unreadable() == []
    assert service.ingest().outcomes == [] and service.store.unreadable() == []


def test_the_human_log_counts_versions_per_report_with_the_store_id_beside(service):
    from loguru import logger

    lines: list[str] = []
    sink = logger.add(lines.append, format="{message}", level="INFO")
    try:
        service.process(save(service, "hp.xlsx", {"HP": book.handleplan()}))  # id 1
        service.process(save(service, "ta.xlsx", {"TA": book.tilgang()}))  # tilgang_afgang's first: id 2
    finally:
        logger.remove(sink)
    (line,) = [li for li in lines if li.startswith("ta.xlsx | accepted")]
    assert line.rstrip().endswith("| version 1 (id 2)"), line


def test_the_reports_taken_are_shown_before_a_large_file_holds_the_worker(service, monkeypatch):
    """A unit's ordinary report saved with a large one is in the consolidated workbook before
    the large one is read (which takes seconds at 50,000 lines)."""
    import syncservice.service.jobs as jobs_mod
    from syncservice.service.run import Service

    small = save(service, "Fredensborg/Handleplan.xlsx", {"HP": book.handleplan()})
    large = save(service, "Ballerup/Tilgang.xlsx", {"TA": book.tilgang()})
    monkeypatch.setattr(jobs_mod, "LARGE_BYTES", large.stat().st_size)
    shown: list[set[str]] = []

    def seen(outcome):
        target = service.config.path("consolidated")
        units = set()
        if target.exists():
            data = openpyxl.load_workbook(target)["Data"]
            units = {row[0] for row in data.iter_rows(min_row=2, values_only=True)}
        shown.append(units)

    worker = Service(service.config, on_outcome=seen)
    worker._do(service, small)
    worker._do(service, large)
    assert shown == [set(), {"Handicap og Socialpsykiatri, Fredensborg"}]
