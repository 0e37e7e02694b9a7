"""Crash safety (issue 6): `syncservice ingest` over 200 workbooks killed with SIGKILL at seeded
random moments and restarted until a pass completes. A moment is where the pass is, never a
guessed time (issue 13: a busy machine made kills by the clock miss): once the store holds a
seeded random number of files, just after a commit, mid-file, or between a workbook's archive
copy and its commit; a full disk or an unwritable archive
mid-run gives a logged error and a retry, never a lost or half-recorded workbook.

After every kill, and at the end:
- the store passes SQLite's integrity check and holds each workbook at most once (exactly
  once at the end): one files row, one version, no report twice;
- every recorded file's archive copy exists and hashes to what the store says;
- the consolidated workbook is a complete workbook openpyxl opens (a reader never meets
  half a file), and at the end equals one rebuilt from the store by `syncservice summary`;
- at the end, what the killed passes left (staging copies, temp files) is cleared.

The faults are struck in-process, after the first workbook of a pass: the files hit are
retried, named in the log with the cause, absent from the store and the archive, and
recorded exactly once by the next pass.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import random
import re
import select
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from loguru import logger

import book
from syncservice import stage
from syncservice.cli import main
from syncservice.config import defaults
from syncservice.pipeline import ACCEPTED, RETRY, Pipeline
from syncservice.store import Store

CHILD = Path(__file__).resolve().parent / "crash_child.py"
SEED = 6
FILES = 200
KILLS = 12  # at seeded random points of the pass (plan()); and one aimed at the consolidated workbook's rewrite
CONSOLIDATED = "output/Samlet oversigt.xlsx"
STAMP = re.compile(r"\d\d\.\d\d\.\d{4} kl\. \d\d:\d\d")  # 'Opdateret 23.11.2026 kl. 12:05.'

pytestmark = pytest.mark.skipif(os.name == "nt", reason="SIGKILL")


# --- the workbooks and the folders ------------------------------------------------------------

def workbooks(watched: Path) -> dict[str, str]:
    """FILES small valid workbooks, each its own report (kind, unit, year); rel → sha256."""
    out = {}
    for i in range(FILES):
        unit = f"Enhed {i:03d}"
        rows = [book.handleplan(unit=unit), book.effekt(unit=unit), book.tilgang(unit=unit)][i % 3]
        path = book.save(watched / f"afdeling {i // 20:02d}" / f"rapport {i:03d}.xlsx", {"Ark1": rows})
        out[path.relative_to(watched).as_posix()] = sha256(path)
    return out


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def site(base: Path, watched: Path) -> Path:
    """A config at base/ over a copy of `watched`; returns the config file."""
    shutil.copytree(watched, base / "watched")  # copy2: the same mtimes
    (base / "config.toml").write_text("", encoding="utf-8")  # the defaults, relative to base/
    (base / "rebuilt.toml").write_text('[paths]\nconsolidated = "rebuilt/Samlet oversigt.xlsx"\n', encoding="utf-8")
    return base / "config.toml"


# --- a warm syncservice: one process with the imports done forks each command (crash_child.py) ------

class Server:
    def __init__(self, cwd: Path) -> None:
        self.cwd = cwd
        self.runs = 0
        self.out = cwd / "run-0.out"  # the running command's stdout and stderr
        self._buf = b""
        self.proc = subprocess.Popen([sys.executable, str(CHILD)], cwd=cwd, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, bufsize=0)
        assert self._line(timeout=120) == {"ready": True}

    def _line(self, timeout: float | None) -> dict | None:
        """The server's next message, or None if none came within `timeout` seconds."""
        assert self.proc.stdout is not None
        deadline = None if timeout is None else time.monotonic() + timeout
        while b"\n" not in self._buf:
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            if not select.select([self.proc.stdout], [], [], left)[0]:
                return None
            chunk = os.read(self.proc.stdout.fileno(), 4096)
            assert chunk, "the crash test's server died"
            self._buf += chunk
        line, _, self._buf = self._buf.partition(b"\n")
        return json.loads(line)

    def start(self, *args: str) -> int:
        """Start `syncservice ARGS` in a forked child; its pid."""
        assert self.proc.stdin is not None
        self.runs += 1
        self.out = self.cwd / f"run-{self.runs}.out"
        self.proc.stdin.write((json.dumps({"args": list(args), "out": str(self.out)}) + "\n").encode())
        return self._line(timeout=30)["pid"]  # type: ignore[index]

    def wait(self, pid: int, timeout: float | None = None, kill: bool = False) -> int | None:
        """The exit code of the running command; after `timeout` s it is SIGKILLed when `kill`, else None."""
        done = self._line(timeout)
        if done is None and kill:
            os.kill(pid, signal.SIGKILL)  # still running: the server has not reaped it, so the pid is its
            done = self._line(timeout=30)
        return None if done is None else done["exit"]

    def run(self, *args: str) -> str:
        code = self.wait(self.start(*args), timeout=120)
        out = self.out.read_text(encoding="utf-8")
        assert code == 0, f"syncservice {' '.join(args)} exited {code}: {out}"
        return out

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait(timeout=30)
        self.proc.stdout.close()  # type: ignore[union-attr]


# --- what must hold -----------------------------------------------------------------------------

def check_store(base: Path, expected: dict[str, str], *, complete: bool) -> int:
    """Integrity, each workbook at most (or exactly) once, archive copies intact; returns the count recorded."""
    conn = sqlite3.connect(base / "state" / "syncservice.sqlite")
    try:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        files = conn.execute("SELECT id, path, sha256, verdict, archive_path FROM files").fetchall()
        versions = conn.execute("SELECT file_id, kind, unit, year, sha256, archive_path FROM versions").fetchall()
        current = conn.execute("SELECT COUNT(*) FROM current").fetchone()[0]
    finally:
        conn.close()
    paths = [path for _, path, *_ in files]
    assert len(paths) == len(set(paths)), f"a workbook recorded twice: {sorted(p for p in paths if paths.count(p) > 1)}"
    assert set(paths) <= set(expected)
    for _, path, digest, verdict, archived in files:
        assert (verdict, digest) == ("accepted", expected[path]), path
        assert sha256(base / archived) == digest, f"{path}: archive copy {archived} differs"
    by_file = {file_id: path for file_id, path, *_ in files}
    assert sorted(by_file[v[0]] for v in versions) == sorted(paths), "not exactly one version per workbook"
    assert len({v[1:4] for v in versions}) == len(versions) == current, "a report version twice"
    for file_id, *_, digest, archived in versions:
        assert sha256(base / archived) == digest == expected[by_file[file_id]]
    if complete:
        assert sorted(paths) == sorted(expected), f"missing: {sorted(set(expected) - set(paths))[:5]}"
    return len(paths)


def sheets(path: Path) -> dict[str, list[tuple]]:
    """Every sheet's cell values, the 'Opdateret <when>' time masked. Raises on a broken file."""
    wb = openpyxl.load_workbook(path, read_only=True)
    try:
        return {ws.title: [tuple(STAMP.sub("<tid>", v) if isinstance(v, str) else v for v in row)
                           for row in ws.iter_rows(values_only=True)] for ws in wb.worksheets}
    finally:
        wb.close()


def check_consolidated(base: Path) -> None:
    """A complete workbook: every part of the zip intact, and openpyxl opens it."""
    path = base / CONSOLIDATED
    with zipfile.ZipFile(path) as z:
        assert z.testzip() is None
    wb = openpyxl.load_workbook(path, read_only=True)
    try:
        assert {"Handleplan", "Effekt", "Tilgang og afgang", "Kilder", "Data"} <= set(wb.sheetnames)
    finally:
        wb.close()


def temps(base: Path) -> set[Path]:
    """Temp files beside the consolidated workbook: a new one is being written (or was, when killed)."""
    output = base / CONSOLIDATED
    return set(output.parent.glob(f".{output.name}.*.tmp"))


def leftovers(base: Path) -> list[Path]:
    """Staging copies and temp files of unfinished writes."""
    return [*(base / "state" / "staging").glob("stage-*"), *temps(base)]


# --- where a pass is: what it has done so far, read beside it --------------------------------------

def recorded(base: Path) -> int | None:
    """Files the store holds now (None when it cannot be read this instant). Read-only: the
    test's connection never checkpoints or changes what a killed pass left for the next."""
    try:
        conn = sqlite3.connect(f"file:{base / 'state' / 'syncservice.sqlite'}?mode=ro", uri=True, timeout=0.05)
        try:
            return conn.execute("SELECT COUNT(*) FROM files").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.Error:
        return None


def archived_count(base: Path) -> int:
    """Archived copies: not their sidecars ('<copy>.json') nor a sidecar's hidden temporary file."""
    return sum(1 for _, _, files in os.walk(base / "archive" / "accepted") for name in files
               if not name.endswith(".json") and not name.startswith("."))


def staging_now(base: Path) -> bool:
    """A staging copy exists: a workbook is between its copy and the end of its recording."""
    try:
        return any(name.startswith("stage-") for name in os.listdir(base / "state" / "staging"))
    except OSError:
        return False


# Each kill lands by what the pass has done, never by a guessed time: once the store holds
# `target` files, at the first moment its phase is seen.
PHASES = {
    "recorded": "just after a commit: the store reached its target",
    "mid-file": "a workbook staged, being checked, archived or recorded",
    "archived": "a workbook archived and not yet recorded (the archive ran ahead of the store)",
}
MISSED_AFTER = 3  # a phase not seen within this many more files: killed then ("missed"), still a kill


def plan(rng: random.Random) -> list[tuple[int, str]]:
    """KILLS (target, phase), one target in each slice of the files, phases drawn at random."""
    span = FILES - MISSED_AFTER - 1  # every kill falls before the last file, so no pass can finish first
    return [(int(span * (i + rng.random()) / KILLS), rng.choice(sorted(PHASES))) for i in range(KILLS)]


def due(phase: str, target: int, now: int, staged: bool, ahead: int) -> str | None:
    """The phase landed (or 'missed'), or None to keep watching."""
    if now < target:
        return None
    if phase == "recorded" or (phase == "mid-file" and staged) or (phase == "archived" and ahead > 0):
        return phase
    return "missed" if now >= target + MISSED_AFTER else None


# --- the test -------------------------------------------------------------------------------------

def test_ingest_killed_at_random_moments_records_every_workbook_exactly_once(tmp_path):
    made = tmp_path / "made"
    expected = workbooks(made)
    server = Server(tmp_path)
    try:
        crashed = tmp_path / "crashed"
        config = str(site(crashed, made))
        server.run("summary", "--config", config)  # an (empty) consolidated workbook for the passes to replace
        kills = plan(random.Random(SEED))
        # Each pass is killed when it reaches its target and phase; then passes aimed at the
        # rewrite: the first that starts writing a new consolidated workbook is killed right then
        # (a reader must still find the old one whole).
        landed: list[tuple] = []
        rewrite_killed = False
        for kill in [*kills, None, None, None]:  # None: passes aimed at the rewrite alone
            if kill is None and rewrite_killed:
                break
            writing = temps(crashed)
            before = recorded(crashed) or 0
            ahead0 = archived_count(crashed) - before  # copies orphaned by earlier kills
            pid = server.start("ingest", "--config", config)
            deadline = time.monotonic() + 120  # a pass that long is hung: a failure of the service
            code, at = None, "timeout"
            while code is None and time.monotonic() < deadline:
                if not rewrite_killed and temps(crashed) - writing:
                    rewrite_killed, at = True, "rewrite"
                    break
                if kill is not None:
                    copies = archived_count(crashed)  # before the store: a copy recorded in between is not "ahead"
                    now = recorded(crashed)
                    if now is not None:
                        ahead = copies - now - ahead0
                        if hit := due(kill[1], kill[0], now, staging_now(crashed), ahead):
                            at = f"{hit} at {kill[0]}"
                            break
                code = server.wait(pid, timeout=0.002)
            if code is None:
                code = server.wait(pid, timeout=0, kill=True)
            elif kill is None:
                at = "-"  # a pass aimed at the rewrite that found nothing to rewrite
            landed.append((at, code, check_store(crashed, expected, complete=False)))
            check_consolidated(crashed)

        # What the killed passes left behind, aged past the hour after which it is surely not in use.
        left = leftovers(crashed)
        for path in left:
            os.utime(path, (time.time() - 7200, time.time() - 7200))
        tally = server.run("ingest", "--config", config)  # restarted until a pass completes
        server.run("summary", "--config", str(crashed / "rebuilt.toml"))
    finally:
        server.close()
    print(f"\nkills (where, exit code, workbooks recorded): {landed}; left behind: {len(left)}")
    assert leftovers(crashed) == []  # staging copies and half-written temp files cleared by the next pass
    aimed = landed[:KILLS]
    assert all(code == -signal.SIGKILL and not at.startswith(("timeout", "rewrite")) for at, code, _ in aimed), aimed
    assert [n for *_, n in aimed] == sorted(n for *_, n in aimed)  # each pass recorded more, none lost
    assert ("rewrite", -signal.SIGKILL) in [(at, code) for at, code, _ in landed], landed
    assert ", 0 prøves igen" in tally, tally  # nothing left to retry
    assert check_store(crashed, expected, complete=True) == FILES
    check_consolidated(crashed)
    assert sheets(crashed / CONSOLIDATED) == sheets(crashed / "rebuilt" / "Samlet oversigt.xlsx")
    archived = {sha256(p) for p in (crashed / "archive" / "accepted").rglob("*.xlsx")}
    assert set(expected.values()) <= archived  # every accepted version (and by path in check_store)


# --- a full disk or an unwritable archive mid-run ---------------------------------------------------

@pytest.fixture
def pipe(tmp_path):
    config = defaults(tmp_path)
    lines = [[f"Område {n}", 1.5, 0.5, 1.25] for n in range(100)]  # enough figures to need new pages in the store
    for i in range(3):
        rows = book.handleplan(unit=f"Enhed {i}", lines=lines)
        book.save(config.path("watched") / f"rapport {i}.xlsx", {"Ark1": rows})
    store = Store.open(config.path("database"))
    yield Pipeline(config, store)
    store.close()


@pytest.fixture
def errors():
    """What the log says at ERROR level, as a person reads it."""
    lines: list[str] = []
    sink = logger.add(lines.append, level="ERROR", format="{message}")
    yield lines
    logger.remove(sink)


def _under(path: str | int, folder: Path) -> bool:
    return isinstance(path, (str, os.PathLike)) and folder.resolve() in Path(os.path.abspath(path)).parents


def chmod_binds(folder: Path) -> bool:
    """False where a read-only folder can still be written (root with CAP_DAC_OVERRIDE)."""
    folder.mkdir()
    folder.chmod(0o555)
    try:
        (folder / "x").touch()
    except PermissionError:
        return True
    finally:
        folder.chmod(0o755)
        shutil.rmtree(folder)
    return False


def archive_read_only(monkeypatch, pipe: Pipeline):
    """The archive folder becomes read-only: chmod where that binds, else the OS's answer faked."""
    archive = pipe.config.path("archive")
    if chmod_binds(pipe.config.base / "probe"):
        folders = [archive, *(p for p in archive.rglob("*") if p.is_dir())]
        for folder in folders:
            folder.chmod(0o555)
        return lambda: [folder.chmod(0o755) for folder in folders]
    real_open, real_mkdir = os.open, os.mkdir

    def refuse(path, *args, **kwargs):
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(path))

    monkeypatch.setattr(os, "open", lambda path, flags, *a, **k: refuse(path) if _under(path, archive)
                        and flags & os.O_CREAT else real_open(path, flags, *a, **k))
    monkeypatch.setattr(os, "mkdir", lambda path, *a, **k: refuse(path) if _under(path, archive)
                        else real_mkdir(path, *a, **k))
    return monkeypatch.undo


def disk_full_on_fsync(monkeypatch, pipe: Pipeline):
    """No space left: what the kernel reports when the written blocks are flushed (durable writes fsync)."""
    def full(fd):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", full)
    return monkeypatch.undo


def disk_full_while_staging(monkeypatch, pipe: Pipeline):
    def full(src, target, limit):
        target.write_bytes(b"PK\x03\x04 half a copy")
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(stage, "_copy", full)
    return monkeypatch.undo


def store_full(monkeypatch, pipe: Pipeline):
    """The store's disk is full: SQLite cannot grow the database (a real SQLITE_FULL, nothing faked)."""
    db = pipe.store.db
    pages = db.execute("PRAGMA page_count").fetchone()[0]
    db.execute(f"PRAGMA max_page_count = {pages}")
    return lambda: db.execute("PRAGMA max_page_count = 1073741823")


@pytest.mark.parametrize(("fault", "words"), [
    (archive_read_only, "Permission denied"),
    (disk_full_on_fsync, "No space left on device"),
    (disk_full_while_staging, "No space left on device"),
    (store_full, "database or disk is full"),
], ids=["archive read-only", "disk full in a durable write", "disk full while staging", "store full"])
def test_disk_fault_mid_run_is_logged_and_retried_never_half_recorded(pipe, errors, monkeypatch, fault, words):
    mend = []

    def after_each(outcome):  # the fault strikes after the first workbook of the pass
        if not mend:
            mend.append(fault(monkeypatch, pipe))

    tally = pipe.ingest(progress=after_each)
    mend[0]()
    assert [o.status for o in tally.outcomes] == [ACCEPTED, RETRY, RETRY]
    assert tally.line() == "1 godkendt, 0 afvist, 0 uændret, 2 prøves igen"
    for rel in ("rapport 1.xlsx", "rapport 2.xlsx"):
        (said,) = [line for line in errors if line.startswith(rel)]
        assert words in said and "retry" in said, said
        assert pipe.store.last_seen(rel) is None  # nothing recorded for it
    assert pipe.store.counts()["files"] == pipe.store.counts()["versions"] == 1
    assert len(archived(pipe)) == 1  # no half or orphaned copy in the archive
    assert not list((pipe.config.path("state") / "staging").glob("stage-*"))

    # The disk is fine again: the next pass records each retried workbook exactly once.
    assert [o.status for o in pipe.ingest().outcomes] == [ACCEPTED, ACCEPTED]
    assert pipe.ingest().outcomes == []
    assert pipe.store.counts()["files"] == pipe.store.counts()["versions"] == 3
    watched = {sha256(p) for p in pipe.watched.glob("*.xlsx")}
    assert {v.sha256 for v in pipe.store.current_versions()} == watched == set(archived(pipe).values())
    assert all(sha256(pipe.config.base / v.archive_path) == v.sha256 for v in pipe.store.current_versions())


def archived(pipe: Pipeline) -> dict[Path, str]:
    """The archived copies (their sidecars, '<copy>.json', left out)."""
    return {p: sha256(p) for p in pipe.config.path("archive").rglob("*")
            if p.is_file() and not (p.suffix == ".json" and p.with_suffix("").is_file())}


def test_disk_full_while_rewriting_the_consolidated_workbook_keeps_the_old_one_and_retries(pipe, errors, monkeypatch):
    assert pipe.ingest().summary_written
    output = pipe.config.path("consolidated")
    before = output.read_bytes()
    book.save(pipe.watched / "rapport 3.xlsx", {"Ark1": book.handleplan(unit="Enhed 3")})

    tally = pipe.ingest(progress=lambda outcome: disk_full_on_fsync(monkeypatch, pipe))
    monkeypatch.undo()
    assert [o.status for o in tally.outcomes] == [ACCEPTED] and not tally.summary_written
    (said,) = errors
    assert "consolidated workbook" in said and "No space left on device" in said, said
    assert output.read_bytes() == before  # finance still reads the previous, complete workbook
    assert [p.name for p in output.parent.iterdir()] == [output.name]  # no half-written file beside it
    assert pipe.summary_stale()

    assert pipe.ingest().summary_written  # the next pass, nothing new to read, writes it
    units = {row[0] for row in openpyxl.load_workbook(output, read_only=True)["Kilder"].iter_rows(
        min_row=5, values_only=True)}
    assert "Enhed 3" in units


def test_ingest_exits_5_when_the_consolidated_workbook_cannot_be_written_and_the_next_pass_writes_it(tmp_path):
    (tmp_path / "config.toml").write_text('[paths]\nconsolidated = "output/Samlet oversigt.xlsx"\n', encoding="utf-8")
    book.save(tmp_path / "watched" / "rapport.xlsx", {"Ark1": book.handleplan()})
    (tmp_path / "output").write_text("a file where the output folder should be")
    config = str(tmp_path / "config.toml")

    first = CliRunner().invoke(main, ["ingest", "--config", config], catch_exceptions=False)
    assert first.exit_code == 5
    assert "1 godkendt" in first.stdout  # the workbook is recorded all the same
    assert "cannot write the consolidated workbook" in first.stderr and "next pass" in first.stderr

    (tmp_path / "output").unlink()
    second = CliRunner().invoke(main, ["ingest", "--config", config], catch_exceptions=False)
    assert second.exit_code == 0 and "0 godkendt" in second.stdout
    assert "Handleplan" in openpyxl.load_workbook(tmp_path / "output" / "Samlet oversigt.xlsx").sheetnames


def test_what_a_killed_run_left_behind_is_cleared_but_not_what_a_running_one_holds(pipe):
    staging = pipe.config.path("state") / "staging"
    output = pipe.config.path("consolidated")
    old = [staging / "stage-killed1", output.parent / f".{output.name}.0badf00d.tmp"]
    new = [staging / "stage-running", output.parent / f".{output.name}.c0ffee00.tmp"]
    for path in old + new:
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.name.startswith("stage-"):
            path.mkdir()
            (path / "rapport.xlsx").write_bytes(b"a staff workbook")
        else:
            path.write_bytes(b"PK half a workbook")
    for path in old:
        os.utime(path, (time.time() - 7200, time.time() - 7200))

    Pipeline(pipe.config, pipe.store).write_summary()  # a restart, then a rewrite
    assert [p.exists() for p in old + new] == [False, False, True, True]
