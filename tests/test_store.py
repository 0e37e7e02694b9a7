import datetime as dt
import hashlib
import sqlite3
from pathlib import Path

import pytest

from syncservice.base.errors import StoreError
from syncservice.base.models import ERROR, WARNING, Figure, Finding, Report, SheetInfo, StagedFile, Verdict
from syncservice.store.db import Store, content_hash

NOW = dt.datetime(2016, 10, 3, 12, 0, tzinfo=dt.UTC)
KEY = ("tilgang_afgang", "Ballerup", 2016)


@pytest.fixture
def store():
    s = Store.memory()
    yield s
    s.close()


def message(finding: Finding) -> str:
    return f"{finding.rule} at {finding.location}"


def staged(rel: str = "Ballerup/Tilgang.xlsx", content: str = "v1", mtime_ns: int = 1_475_496_000_000_000_000):
    sha = hashlib.sha256(content.encode()).hexdigest()
    return StagedFile(source=Path("/watched") / rel, rel=rel, staged=Path("/staging/x") / Path(rel).name,
                      sha256=sha, size=len(content), mtime_ns=mtime_ns)


def figures(start: float = 18, end: float = 22, lines: int = 1) -> tuple[Figure, ...]:
    out = []
    for n in range(lines):
        line = f"Dagtilbud {n}" if n else "Krumtappen"
        out += [Figure(line, "Primo", "", start, f"B{7 + n}", n + 1),
                Figure(line, "Tilgang", "K1", 5, f"C{7 + n}", n + 1),
                Figure(line, "Afgang", "K1", 1, f"D{7 + n}", n + 1),
                Figure(line, "Ultimo", "", end, f"E{7 + n}", n + 1)]
    return tuple(out)


def report(key=KEY, figs=None, **kw) -> Report:
    kind, unit, year = key
    return Report(kind, unit, year, "Tilgang og afgang", figures() if figs is None else figs,
                  through=3, **kw)


def accepted(*reports: Report, warnings=()) -> Verdict:
    return Verdict(file=None, reports=reports or (report(),), warnings=tuple(warnings))


def rejected(*errors: Finding) -> Verdict:
    return Verdict(file=None, errors=errors or (Finding("number.invalid", ERROR, "Ark1", ("C7",), "Tilgang", "ca. 5"),))


def test_accepted_file_creates_a_version_that_becomes_current(store):
    result = store.record(staged(), accepted(), "archive/a.xlsx", message, NOW)
    assert result.verdict == "accepted" and len(result.new_versions) == 1
    [current] = store.current_versions()
    assert (current.kind, current.unit, current.year) == KEY
    assert current.version_id == result.new_versions[0]
    assert current.path == "Ballerup/Tilgang.xlsx" and current.file_name == "Tilgang.xlsx"
    assert current.archive_path == "archive/a.xlsx" and current.through == 3
    assert current.accepted_at == "2016-10-03T12:00:00+00:00"
    assert current.saved_at == "2016-10-03T12:00:00+00:00"  # from the file's mtime
    assert store.version_figures(current.version_id) == list(figures())


def test_same_content_resaved_is_unchanged_not_a_new_version(store):
    first = store.record(staged(content="v1"), accepted(), "a1", message, NOW)
    # Excel re-saves: different bytes, same figures
    again = store.record(staged(content="v1 re-saved"), accepted(), "a2", message, NOW)
    assert again.verdict == "accepted"
    assert again.new_versions == [] and again.unchanged_reports == [KEY] and again.replaced == []
    assert [v.version_id for v in store.current_versions()] == first.new_versions
    assert store.counts()["versions"] == 1


def test_content_hash_ignores_cells_and_figure_order_but_not_values():
    moved = tuple(Figure(f.line, f.metric, f.period, f.value, "Z99", f.line_no) for f in reversed(figures()))
    assert content_hash(report(figs=moved)) == content_hash(report())
    assert content_hash(report(figs=figures(end=23))) != content_hash(report())
    assert content_hash(report(amount_unit="1.000 kr.")) != content_hash(report())


def test_changed_figure_creates_a_new_version_and_replaces_current(store):
    first = store.record(staged(content="v1"), accepted(), "a1", message, NOW)
    second = store.record(staged(content="v2"), accepted(report(figs=figures(end=23))), "a2", message, NOW)
    assert second.replaced == [(KEY, first.new_versions[0])]
    assert [v.version_id for v in store.current_versions()] == second.new_versions
    assert [v.version_id for v in store.history()] == second.new_versions + first.new_versions
    assert second.other_paths == {}


def test_rejected_file_keeps_the_previous_version_current(store):
    first = store.record(staged(content="v1"), accepted(), "a1", message, NOW)
    result = store.record(staged(content="v2"), rejected(), "r2", message, NOW)
    assert result.verdict == "rejected" and result.new_versions == []
    assert [v.version_id for v in store.current_versions()] == first.new_versions


def test_rejected_file_is_listed_with_its_first_errors(store):
    errors = [Finding("number.invalid", ERROR, "Ark1", (f"C{n}",), "Tilgang", "?", {"n": n}) for n in range(7)]
    warning = Finding("capacity.exceeded", WARNING, "Ark1", ("F7",))
    store.record(staged(), Verdict(None, errors=tuple(errors), warnings=(warning,)), "r1", message, NOW)
    [listed] = store.rejected_files(limit_errors=5)
    assert listed.path == "Ballerup/Tilgang.xlsx" and listed.error_count == 7
    assert listed.errors == tuple(errors[:5])
    assert listed.errors[2].params == {"n": 2}
    stored = store.db.execute("SELECT severity, message FROM findings ORDER BY id").fetchall()
    assert stored[0] == ("error", "number.invalid at 'Ark1'!C0")
    assert stored[-1] == ("warning", "capacity.exceeded at 'Ark1'!F7")


def test_rejected_then_fixed_file_leaves_rejected_list(store):
    store.record(staged(content="bad"), rejected(), "r1", message, NOW)
    assert len(store.rejected_files()) == 1
    store.record(staged(content="fixed"), accepted(), "a2", message, NOW)
    assert store.rejected_files() == []


def test_unchanged_resave_of_a_rejected_file_stays_rejected(store):
    store.record(staged(content="bad"), rejected(), "r1", message, NOW)
    result = store.record_unchanged(staged(content="bad", mtime_ns=2_000_000_000_000_000_000), NOW)
    assert result.verdict == "unchanged" and result.new_versions == []
    [listed] = store.rejected_files()
    assert listed.archive_path == "r1"


def test_unchanged_resave_of_an_accepted_file_does_not_list_it(store):
    store.record(staged(content="bad"), rejected(), "r1", message, NOW)
    store.record(staged(content="good"), accepted(), "a2", message, NOW)
    store.record_unchanged(staged(content="good", mtime_ns=5), NOW)
    assert store.rejected_files() == []
    assert store.counts() == {"files": 3, "accepted": 1, "rejected": 1, "unchanged": 1, "versions": 1, "current": 1}


def test_record_unchanged_refuses_different_content(store):
    store.record(staged(content="v1"), accepted(), "a1", message, NOW)
    with pytest.raises(ValueError):
        store.record_unchanged(staged(content="v2"), NOW)
    with pytest.raises(ValueError):
        store.record_unchanged(staged(rel="never/seen.xlsx"), NOW)


def test_seen_index_holds_the_newest_row_per_path(store):
    store.record(staged(content="v1", mtime_ns=1), accepted(), "a1", message, NOW)
    store.record_unchanged(staged(content="v1", mtime_ns=2), NOW)
    store.record(staged(rel="Herning/Effekt.xlsx", content="e", mtime_ns=3), rejected(), "r", message, NOW)
    index = store.seen_index()
    assert set(index) == {"Ballerup/Tilgang.xlsx", "Herning/Effekt.xlsx"}
    assert (index["Ballerup/Tilgang.xlsx"].mtime_ns, index["Ballerup/Tilgang.xlsx"].verdict) == (2, "unchanged")
    assert index["Herning/Effekt.xlsx"].verdict == "rejected"
    assert store.last_seen("Ballerup/Tilgang.xlsx") == index["Ballerup/Tilgang.xlsx"]
    assert store.last_seen("nowhere.xlsx") is None


def test_same_report_from_another_path_names_the_other_path(store):
    first = store.record(staged(rel="Ballerup/Tilgang.xlsx"), accepted(), "a1", message, NOW)
    copy = staged(rel="Herning/Kopi af Tilgang.xlsx", content="copy")
    before = store.previous_current([KEY, ("effekt", "Herning", 2020)])
    assert list(before) == [KEY] and before[KEY].path == "Ballerup/Tilgang.xlsx"
    result = store.record(copy, accepted(report(figs=figures(end=30))), "a2", message, NOW)
    assert result.other_paths == {KEY: "Ballerup/Tilgang.xlsx"}
    assert result.replaced == [(KEY, first.new_versions[0])]
    assert store.current_versions()[0].path == "Herning/Kopi af Tilgang.xlsx"


def test_a_version_from_a_file_saved_before_the_one_in_force_is_kept_but_never_in_force(store):
    """WORKBOOKS.md §1: the file saved last is in force, whatever the order the files are read in."""
    hour = 3600 * 10**9
    newer = store.record(staged(rel="Vest/Tilgang.xlsx", mtime_ns=10 * hour), accepted(report(figs=figures(end=30))),
                         "a1", message, NOW)
    older = store.record(staged(rel="Øst/Tilgang gammel.xlsx", content="old", mtime_ns=8 * hour), accepted(),
                         "a2", message, NOW)
    (in_force,) = store.current_versions()
    assert in_force.path == "Vest/Tilgang.xlsx" and in_force.version_id == newer.new_versions[0]
    assert older.superseded == [(KEY, in_force.version_id)] and older.replaced == []
    assert [(v.path, v.superseded_by) for v in store.history()] == [
        ("Øst/Tilgang gammel.xlsx", in_force.version_id), ("Vest/Tilgang.xlsx", None)]
    assert [v.version_id for v in store.report_versions(KEY)] == [in_force.version_id]  # never in force
    assert {r.value for r in store.current_data_rows() if r.metric == "Ultimo"} == {30}


def test_a_resave_at_the_same_path_is_in_force_whatever_its_mtime(store):
    hour = 3600 * 10**9
    store.record(staged(mtime_ns=10 * hour), accepted(), "a1", message, NOW)
    again = store.record(staged(content="v2", mtime_ns=9 * hour), accepted(report(figs=figures(end=30))),
                         "a2", message, NOW)
    assert again.superseded == [] and store.current_versions()[0].version_id == again.new_versions[0]


def test_a_unit_keeps_its_first_accepted_spelling(store):
    store.record(staged(), accepted(report(("handleplan", "Handicap & Psykiatri, Ballerup", 2015))), "a1",
                 message, NOW)
    assert store.spellings(["handicap & psykiatri,ballerup", "HANDICAP  &  PSYKIATRI , BALLERUP", "Herning"]) == {
        "handicap & psykiatri,ballerup": "Handicap & Psykiatri, Ballerup",
        "HANDICAP  &  PSYKIATRI , BALLERUP": "Handicap & Psykiatri, Ballerup"}
    assert [v.unit for v in store.history(unit="handicap & psykiatri,ballerup")] == ["Handicap & Psykiatri, Ballerup"]


def test_an_existing_store_with_one_unit_spelt_two_ways_opens_with_one_unit(tmp_path):
    """Before units were folded, 'Dagtilbud Vest' and 'dagtilbud vest' were two units, each
    with a version in force for one report: finance counted it twice."""
    from sqlite_utils import Database

    from syncservice.store import schema as store_schema

    db = Database(tmp_path / "old.db")
    store_schema.migrations.apply(db, stop_before="add_unit_names_and_superseded")  # as the release before left it
    for n, (unit, year, mtime) in enumerate([("Dagtilbud Vest", 2020, 2), ("dagtilbud vest", 2020, 5),
                                              ("DAGTILBUD VEST", 2021, 1), ("Herning", 2020, 1)], start=1):
        db.execute("INSERT INTO files (id, path, sha256, verdict, mtime_ns) VALUES (?, ?, 'x', 'accepted', ?)",
                   [n, f"f{n}.xlsx", mtime])
        db.execute("INSERT INTO versions (id, kind, unit, year, file_id, content_hash) VALUES (?, 'effekt', ?, ?, ?,"
                   " 'h')", [n, unit, year, n])
        db.execute("INSERT INTO current (kind, unit, year, version_id) VALUES ('effekt', ?, ?, ?)", [unit, year, n])
    db.conn.commit()
    db.close()
    with Store.open(tmp_path / "old.db") as s:
        assert [(v.unit, v.year, v.version_id) for v in s.current_versions()] == [
            ("Dagtilbud Vest", 2020, 2), ("Dagtilbud Vest", 2021, 3), ("Herning", 2020, 4)]  # 2020: saved last
        assert {v.version_id: v.superseded_by for v in s.history()}[1] == 2
        assert s.spellings(["DAGTILBUD VEST", "herning"]) == {"DAGTILBUD VEST": "Dagtilbud Vest", "herning": "Herning"}


def test_respell_makes_the_configured_spelling_the_one_kept(store):
    store.record(staged(), accepted(report(("handleplan", "dagtilbud vest", 2015))), "a1", message, NOW)
    assert store.respell("Dagtilbud Vest") and not store.respell("Dagtilbud Vest")
    assert [v.unit for v in store.current_versions()] == ["Dagtilbud Vest"]
    assert store.spellings(["DAGTILBUD VEST"]) == {"DAGTILBUD VEST": "Dagtilbud Vest"}


def test_current_data_rows_stream_in_kind_unit_year_line_order(store):
    reports = (report(("tilgang_afgang", "Ballerup", 2016), figures(lines=2)),
               report(("handleplan", "Fredensborg", 2015),
                      (Figure("Støtte eget hjem", "Mål", "", 6e6, "B5", 1, ),
                       Figure("Støtte eget hjem", "Realiseret", "", 3.6e6, "C5", 1))))
    result = store.record(staged(), accepted(*reports), "a", message, NOW)
    rows = list(store.current_data_rows())
    assert [(r.kind, r.line, r.metric, r.period) for r in rows[:3]] == [
        ("handleplan", "Støtte eget hjem", "Mål", ""),
        ("handleplan", "Støtte eget hjem", "Realiseret", ""),
        ("tilgang_afgang", "Krumtappen", "Primo", "")]
    assert [r.line_no for r in rows[2:]] == [1, 1, 1, 1, 2, 2, 2, 2]
    assert rows[0].value == 6e6 and rows[0].source == "Tilgang.xlsx"
    assert {r.version_id for r in rows} == set(result.new_versions)


def test_history_filters_by_unit_and_kind(store):
    store.record(staged(), accepted(report(), report(("effekt", "Herning", 2020))), "a", message, NOW)
    assert [v.unit for v in store.history(unit="Herning")] == ["Herning"]
    assert [v.kind for v in store.history(kind="tilgang_afgang")] == ["tilgang_afgang"]
    assert len(store.history()) == 2


def test_transaction_rolls_back_when_a_figure_insert_fails(store):
    first = store.record(staged(content="v1"), accepted(), "a1", message, NOW)
    broken = figures() + (Figure("Krumtappen", "Pladser", "", float("nan"), "F7", 1),)  # NaN binds as NULL
    other = report(("effekt", "Herning", 2020))
    with pytest.raises(StoreError, match="could not record Ballerup/Tilgang.xlsx"):
        store.record(staged(content="v2"), accepted(other, report(figs=broken)), "a2", message, NOW)
    assert store.counts() == {"files": 1, "accepted": 1, "rejected": 0, "unchanged": 0, "versions": 1, "current": 1}
    assert [v.version_id for v in store.current_versions()] == first.new_versions
    assert store.db.execute("SELECT COUNT(*) FROM figures").fetchone()[0] == len(figures())
    assert store.integrity_ok()


def test_open_creates_the_folder_uses_wal_and_migrates_once(tmp_path):
    path = tmp_path / "state" / "syncservice.sqlite"
    with Store.open(path) as s:
        s.record(staged(), accepted(), "a", message, NOW)
        assert s.db.journal_mode == "wal"
        assert s.db.execute("PRAGMA foreign_keys").fetchone() == (1,)
    with Store.open(path) as s:
        assert s.counts()["versions"] == 1
        # each named migration recorded once, not again on the second open
        names = [r[0] for r in s.db.execute("SELECT name FROM _sqlite_migrations ORDER BY rowid").fetchall()]
        assert names == ["create_tables", "add_sheets_to_files", "add_extra_to_versions",
                         "index_what_the_summary_reads", "add_numeric_to_findings", "add_feedback_due_to_files",
                         "add_unit_names_and_superseded", "add_unreadable", "add_gone_retired_and_path_events",
                         "add_not_reports", "add_outbox", "add_version_numbers"]
        assert s.integrity_ok()


def test_a_store_from_before_owed_reports_opens_owing_none_and_then_records_what_is_owed(tmp_path):
    from sqlite_utils import Database

    from syncservice.store import schema as store_schema

    path = tmp_path / "syncservice.sqlite"
    old = Database(path)
    store_schema.migrations.apply(old, stop_before="add_feedback_due_to_files")
    file_id = old["files"].insert({"path": "Ballerup/Tilgang.xlsx", "sha256": "a" * 64, "verdict": "rejected",
                                   "received_at": "2016-10-01T12:00:00+00:00"}).last_pk
    old["latest_judged"].insert({"path": "Ballerup/Tilgang.xlsx", "file_id": file_id})
    old.close()
    with Store.open(path) as s:
        assert s.feedback_owed() == []  # what was judged before is not written again
        s.record(staged(content="v2"), rejected(), "b", message, NOW)
        (owed,) = s.feedback_owed()
        assert (owed.path, owed.verdict, owed.archive_path) == ("Ballerup/Tilgang.xlsx", "rejected", "b")
        assert [f.rule for f in owed.findings] == [f.rule for f in rejected().errors]
        s.feedback_done("Ballerup/Tilgang.xlsx")
        assert s.feedback_owed() == []


def test_a_file_that_is_not_a_database_raises_store_error(tmp_path):
    path = tmp_path / "syncservice.sqlite"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError, match="cannot open the store"):
        Store.open(path)


def test_many_figures_are_recorded_and_streamed(store):
    many = tuple(Figure(f"Linje {n}", "Effekt", str(2020 + n % 5), float(n), f"C{n}", n) for n in range(50_000))
    result = store.record(staged(), accepted(report(("effekt", "Herning", 2020), many)), "a", message, NOW)
    assert sum(1 for _ in store.current_data_rows()) == 50_000
    assert len(store.version_figures(result.new_versions[0])) == 50_000


def test_sqlite_errors_do_not_escape_as_sqlite3_errors(store):
    store.db.execute("DROP TABLE current")
    with pytest.raises(StoreError) as raised:
        store.current_versions()
    assert isinstance(raised.value.__cause__, sqlite3.Error)


def test_current_changes_are_the_change_warnings_of_each_current_versions_own_sheet(store):
    changed = Finding("change.figure", WARNING, "Tilgang og afgang", ("C7",), "Tilgang", "6",
                      {"line": "Krumtappen", "period": "K1", "old": "5", "new": "6", "version": 1})
    other_sheet = Finding("change.figure", WARNING, "Handleplan", ("C9",), "Mål", "1")
    not_a_change = Finding("tilgang.over_capacity", WARNING, "Tilgang og afgang", ("E7",), "Ultimo", "22")
    store.record(staged(content="v1"), accepted(), "a1", message, NOW)
    assert store.current_changes() == []
    second = store.record(staged(content="v2"), accepted(report(figs=figures(start=17, end=21)),
                                                         warnings=[changed, other_sheet, not_a_change]),
                          "a2", message, NOW)
    [change] = store.current_changes()
    assert (change.version_id, change.kind, change.unit, change.year, change.path) == (
        second.new_versions[0], *KEY, "Ballerup/Tilgang.xlsx")
    assert change.finding == changed and change.finding.params["old"] == "5"
    # the next version changes nothing: what changed before is no longer 'since the previous version'
    store.record(staged(content="v3"), accepted(report(figs=figures(start=16, end=20))), "a3", message, NOW)
    assert store.current_changes() == []


# --- what the consolidated workbook reads does not grow with history -------------------------

UNITS = [f"Enhed {n}" for n in range(1, 6)]


def _grow(store: Store, versions: int, start: int = 0) -> int:
    """New versions of the same five reports, round robin; one file in ten rejected."""
    n = start
    while store.counts()["versions"] < versions:
        n += 1
        key = ("tilgang_afgang", UNITS[n % 5], 2016)
        sheets = (SheetInfo("Tilgang og afgang", *key),)
        at = NOW + dt.timedelta(minutes=n)
        file = staged(f"{key[1]}/Tilgang.xlsx", content=f"v{n}", mtime_ns=int(at.timestamp() * 1e9))
        if n % 10 == 0:
            verdict = Verdict(file=None, sheets=sheets, errors=rejected().errors)
        else:
            verdict = Verdict(file=None, sheets=sheets, reports=(report(key, figures(start=n, end=n + 4)),))
        store.record(file, verdict, f"archive/{n}", message, at)
    return n


def _steps_to_read_what_the_summary_shows(store: Store) -> int:
    """SQLite VM instructions for everything write_summary and sheet Mangler read."""
    from syncservice.outputs.missing import standings

    steps = 0

    def count() -> int:
        nonlocal steps
        steps += 1
        return 0

    store.db.conn.set_progress_handler(count, 1)
    try:
        store.stamp(), store.current_versions(), list(store.current_data_rows())
        store.rejected_files(), store.current_changes()
        rows = standings(store, UNITS, {"tilgang_afgang": ["30-04", "31-07", "31-10", "31-01"]},
                         dt.date(2016, 11, 15))
    finally:
        store.db.conn.set_progress_handler(None, 0)
    assert {r.status for r in rows} == {"ok", "afvist"}
    return steps


def test_the_summary_reads_as_much_with_1000_versions_as_with_100(store):
    n = _grow(store, 100)
    at_100 = _steps_to_read_what_the_summary_shows(store)
    _grow(store, 1000, n)
    at_1000 = _steps_to_read_what_the_summary_shows(store)
    assert store.counts()["current"] == 5
    assert at_1000 <= 1.1 * at_100, (at_100, at_1000)


def test_a_store_from_before_the_summary_index_is_indexed_on_opening(tmp_path):
    path = tmp_path / "syncservice.sqlite"
    keys = [("tilgang_afgang", u, 2016) for u in UNITS]
    with Store.open(path) as s:
        _grow(s, 30)
        s.record_unchanged(staged(f"{UNITS[0]}/Tilgang.xlsx", content="v30"), NOW + dt.timedelta(hours=9))
        before = (s.rejected_files(), s.newest_files(keys))
        s.db.execute("DROP TABLE latest_judged")  # as a store written before the migration
        s.db.execute("DROP TABLE file_reports")
        s.db.execute("DELETE FROM _sqlite_migrations WHERE name = 'index_what_the_summary_reads'")
        s.db.conn.commit()
    with Store.open(path) as s:
        assert (s.rejected_files(), s.newest_files(keys)) == before
        assert [r.path for r in before[0]] == [f"{UNITS[0]}/Tilgang.xlsx"]  # its newest judged file: v30, rejected
        assert len(before[1]) == 5



def test_an_unreadable_file_keeps_its_first_failure_until_forgotten():
    store = Store.memory()
    later = NOW + dt.timedelta(minutes=3)
    first = store.note_unreadable("a.xlsx", "Permission denied", NOW)
    again = store.note_unreadable("a.xlsx", "Input/output error", later)
    assert (first.attempts, again.attempts) == (1, 2)
    assert again.first_failed == first.first_failed and again.last_failed > first.last_failed
    assert again.reason == "Input/output error" and again.judged_at is None
    store.judged_unreadable("a.xlsx", later)
    assert [u.judged_at is not None for u in store.unreadable()] == [True]
    store.forget_unreadable(["a.xlsx"])
    assert store.unreadable() == []
