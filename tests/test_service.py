"""`syncservice run` as a process: one instance per store, clean stops on SIGTERM and
Ctrl-C, and `syncservice status`; plus the instance lock on its own."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

import book
from running import Running, no_threads_left_behind, wait_for  # noqa: F401 (a fixture)
from syncservice.cli import main
from syncservice.config import defaults
from syncservice.errors import AlreadyRunning, ConfigError
from syncservice.lock import Held, InstanceLock, is_held
from syncservice.pipeline import Pipeline
from syncservice.service import Service
from syncservice.store import Store

SYNCSERVICE = [sys.executable, "-m", "syncservice"]
RUN_CHILD = Path(__file__).resolve().parent / "run_child.py"  # `run` with a fault struck inside it
pytestmark = pytest.mark.skipif(os.name == "nt", reason="POSIX signals")


@pytest.fixture
def site(tmp_path):
    (tmp_path / "watched").mkdir()
    (tmp_path / "config.toml").write_text(
        '[watch]\nsettle_seconds = 0.2\n\n[output]\nlanguage = "da"\n', encoding="utf-8")
    return tmp_path


class Proc:
    """`syncservice run --config site/config.toml` as a child process."""

    def __init__(self, site: Path, fault: str | None = None) -> None:
        self.site = site
        self.err = open(site / "run.err", "w+b")  # a file, not a pipe: a pipe could fill and block it
        command = SYNCSERVICE if fault is None else [sys.executable, str(RUN_CHILD), fault]
        self.p = subprocess.Popen([*command, "run", "--config", str(site / "config.toml")],
                                  stdout=subprocess.DEVNULL, stderr=self.err)
        wait_for(lambda: (self.status().get("state"), self.status().get("pid")) == ("running", self.p.pid)
                 or self.p.poll() is not None, timeout=30, what="the service to start")
        assert self.p.poll() is None, self.stderr()

    def status(self) -> dict:
        try:
            return json.loads((self.site / "state" / "status.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}

    def stderr(self) -> str:
        self.err.flush()
        return (self.site / "run.err").read_text(encoding="utf-8", errors="replace")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 10) -> tuple[int, float]:
        started = time.monotonic()
        self.p.send_signal(sig)
        code = self.p.wait(timeout)
        return code, time.monotonic() - started

    def close(self) -> None:
        if self.p.poll() is None:
            self.p.kill()
            self.p.wait()
        self.err.close()


@pytest.fixture
def proc(site):
    running = Proc(site)
    yield running
    running.close()


def status(site: Path, *extra: str):
    return CliRunner().invoke(main, ["status", "--config", str(site / "config.toml"), *extra])


def test_sigterm_stops_a_running_service_cleanly_within_seconds(site, proc):
    book.save(site / "watched" / "hp.xlsx", {"HP": book.handleplan()})
    # the catch-up pass may already take it, so one rewrite can cover both start and file
    wait_for(lambda: proc.status().get("processed", 0) >= 1 and proc.status().get("summary_writes", 0) >= 1,
             what="the workbook processed")
    code, seconds = proc.stop(signal.SIGTERM)
    assert code == 0, proc.stderr()
    assert seconds < 5
    log = (site / "logs" / "syncservice.log").read_text(encoding="utf-8")
    assert "syncservice started: pid" in log
    assert re.search(r"syncservice stopped: 1 file processed, consolidated workbook rewritten (1 time|2 times)\n", log)
    assert "hp.xlsx | accepted | " in log and "| version 1" in log  # one line per workbook
    assert proc.status()["state"] == "stopped"
    assert not is_held(site / "state" / "syncservice.lock")


def test_ctrl_c_stops_it_too(proc):
    code, seconds = proc.stop(signal.SIGINT)
    assert code == 0, proc.stderr()
    assert seconds < 5


def test_a_second_run_on_the_same_store_is_refused_at_once_naming_the_first(site, proc):
    started = time.monotonic()
    second = subprocess.run([*SYNCSERVICE, "run", "--config", str(site / "config.toml")],
                            capture_output=True, text=True, timeout=30)
    assert second.returncode == AlreadyRunning.exit_code
    assert f"kører allerede for dette lager (pid {proc.p.pid} på " in second.stderr
    assert "syncservice.lock" in second.stderr
    assert time.monotonic() - started < 10  # the time to import and read the config, no waiting
    assert proc.p.poll() is None  # the first one carries on


def test_ingest_beside_a_running_service_is_refused_and_records_nothing(site, proc):
    """Two processes recording one folder could record the same file twice."""
    book.save(site / "watched" / "hp.xlsx", {"HP": book.handleplan()})
    result = subprocess.run([*SYNCSERVICE, "ingest", "--config", str(site / "config.toml")],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == AlreadyRunning.exit_code
    assert f"kører allerede for dette lager (pid {proc.p.pid} på " in result.stderr
    assert "godkendt" not in result.stdout
    wait_for(lambda: proc.status().get("processed", 0) >= 1, what="the service to take the workbook")
    with Store.open(site / "state" / "syncservice.sqlite") as store:
        assert len(store.history()) == 1


def test_status_of_a_running_service(site, proc):
    book.save(site / "watched" / "hp.xlsx", {"HP": book.handleplan()})
    lines = [list(r) for r in book.HANDLEPLAN_LINES]
    lines[1][2] = "ca. 5"
    book.save(site / "watched" / "fejl.xlsx", {"HP": book.handleplan(unit="Anden enhed", lines=lines, total=False)})
    wait_for(lambda: proc.status().get("processed", 0) >= 2, what="both workbooks processed")
    result = status(site)
    assert result.exit_code == 0, result.output
    assert f"syncservice kører (pid {proc.p.pid} på " in result.output
    assert "native observation af" in result.output
    assert "Filer i kø: 0" in result.output
    assert "Gældende rapporter: 1 · Godkendte filer: 1 · Afviste filer: 1 (heraf afvist nu: 1)" in result.output
    assert "Seneste fejl: ingen" in result.output
    as_json = json.loads(status(site, "--json").output)
    assert as_json["running"] is True and as_json["pid"] == proc.p.pid
    assert as_json["status"]["last_pass"] and as_json["accepted"] == 1 and as_json["rejected"] == 1


def test_status_after_a_clean_stop_and_after_a_kill(site, proc):
    assert proc.stop()[0] == 0
    stopped = status(site)
    assert stopped.exit_code == 3
    assert "syncservice kører ikke (stoppet " in stopped.output

    again = Proc(site)  # the lock was released: a new run starts
    try:
        again.p.kill()  # as a power cut or kill -9 would: no chance to clean up
        again.p.wait()
        book.save(site / "watched" / "ny.xlsx", {"HP": book.handleplan()})
        killed = status(site)
        assert killed.exit_code == 3
        assert "den blev ikke stoppet pænt" in killed.output
        assert "Filer nye eller ændrede siden sidste kørsel: 1" in killed.output
        Proc(site).close()  # the OS dropped the dead one's lock: starting again works
    finally:
        again.close()


def test_status_before_the_first_run(site):
    result = status(site)
    assert result.exit_code == 3
    assert "syncservice kører ikke (har ikke kørt med denne konfiguration)" in result.output


def test_the_workbook_in_hand_is_finished_and_summarised_when_stopping(tmp_path, monkeypatch):
    (tmp_path / "watched").mkdir()
    config = defaults(tmp_path).with_values(watch__settle_seconds=0.1)
    in_hand = __import__("threading").Event()
    slow = Pipeline.process

    def process(self, path, **kw):
        in_hand.set()
        time.sleep(1.0)  # a large workbook
        return slow(self, path, **kw)

    monkeypatch.setattr(Pipeline, "process", process)
    with Running(config) as run:
        book.save(config.path("watched") / "hp.xlsx", {"HP": book.handleplan()})
        assert in_hand.wait(10)
        run.service.stop()
        wait_for(lambda: bool(run.outcomes), what="the workbook in hand")
    assert [o.status for o in run.outcomes] == ["accepted"]
    with Store.open(config.path("database")) as store:
        assert not Pipeline(config, store).summary_stale()  # the consolidated workbook shows it


def verdicts(site: Path, rel: str) -> list[str]:
    """The store's verdicts for `rel`, oldest first, read beside the running service."""
    db = site / "state" / "syncservice.sqlite"
    if not db.exists():
        return []
    conn = sqlite3.connect(db, timeout=5)
    try:
        return [v for (v,) in conn.execute("SELECT verdict FROM files WHERE path = ? ORDER BY id", (rel,))]
    except sqlite3.OperationalError:  # not created yet
        return []
    finally:
        conn.close()


def fifo(path: Path) -> None:
    os.mkfifo(path)


def unix_socket(path: Path) -> socket.socket:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.bind(str(path))
    return sock


def folder(path: Path) -> None:
    path.mkdir()


@pytest.mark.parametrize("make", [fifo, unix_socket, folder], ids=["fifo", "socket", "folder"])
def test_a_fifo_named_like_a_workbook_does_not_hang_run(site, make):
    """Issue 13: a FIFO named x.xlsx was opened (blocking) by the settle check, under the job
    lock: nothing was processed after it, and SIGTERM did nothing. Whatever is not a regular
    file is ignored without being opened; the next workbook is processed; SIGTERM still stops."""
    proc = Proc(site)
    held = None
    try:
        held = make(site / "watched" / "x.xlsx")
        book.save(site / "watched" / "ok.xlsx", {"HP": book.handleplan()})
        wait_for(lambda: verdicts(site, "ok.xlsx") == ["accepted"], timeout=30,
                 what="the workbook saved after it processed")
        code, seconds = proc.stop(signal.SIGTERM)
        assert code == 0, proc.stderr()
        assert seconds < 5
    finally:
        proc.close()
        if held is not None:
            held.close()
    assert verdicts(site, "x.xlsx") == []
    log = (site / "logs" / "syncservice.log").read_text(encoding="utf-8")
    assert "x.xlsx" not in log  # not retried, not skipped after a read: never taken up at all


@pytest.mark.parametrize("fault, after", [
    ("deleted mid-read", []),
    ("replaced mid-read", ["accepted"]),  # the new content, read again once it settled
    ("fifo before open", []),
])
def test_a_file_deleted_or_replaced_mid_read_does_not_hang_run(site, fault, after):
    proc = Proc(site, fault)
    try:
        book.save(site / "watched" / "x.xlsx", {"HP": book.handleplan(unit="Enhed X")})
        wait_for(lambda: f"fault struck: {fault}" in proc.stderr(), timeout=30, what="the fault struck")
        book.save(site / "watched" / "ok.xlsx", {"HP": book.handleplan()})
        wait_for(lambda: verdicts(site, "ok.xlsx") == ["accepted"], timeout=30,
                 what="the workbook saved after it processed")
        wait_for(lambda: verdicts(site, "x.xlsx") == after and proc.status().get("pending") == 0, timeout=30,
                 what="x.xlsx settled")
        code, seconds = proc.stop(signal.SIGTERM)
        assert code == 0, proc.stderr()
        assert seconds < 5
    finally:
        proc.close()
    assert verdicts(site, "x.xlsx") == after


def test_run_rejects_a_file_that_stays_unreadable_after_unreadable_minutes(tmp_path, monkeypatch):
    """Issue 13: retried for ever, nobody told. Now retried with backoff, then after
    watch.unreadable_minutes (10; the pipeline's clock is moved, nobody waits) rejected as
    file.unreadable: on sheet Afviste, with a report beside the file; the service carries on."""
    import datetime as dt

    import faults
    import openpyxl

    (tmp_path / "watched").mkdir()
    config = defaults(tmp_path).with_values(watch__settle_seconds=0.1)
    skew = [dt.timedelta(0)]
    # the share refuses to read it (EIO): it opens, so it settles as any workbook, but no copy can be
    # taken. (A file that cannot even be opened waits in the settle step first, as one locked by Excel.)
    faults.read_fails(monkeypatch, "låst.xlsx")
    with Running(config, wall_clock=lambda: dt.datetime.now(dt.UTC) + skew[0]) as run:
        book.save(config.path("watched") / "låst.xlsx", {"HP": book.handleplan()})
        wait_for(lambda: run.of("låst.xlsx").count("retry") >= 2, what="two retries")
        assert "rejected" not in run.of("låst.xlsx")
        skew[0] = dt.timedelta(minutes=10)
        wait_for(lambda: "rejected" in run.of("låst.xlsx"), what="the verdict file.unreadable")
        book.save(config.path("watched") / "ok.xlsx", {"HP": book.handleplan(unit="Anden enhed")})
        wait_for(lambda: run.of("ok.xlsx") == ["accepted"], what="the next workbook")
        run.quiet()
        assert run.of("låst.xlsx")[-1] == "rejected"  # no more retries once judged
    with Store.open(config.path("database")) as store:
        (rejected,) = store.rejected_files()
    assert rejected.path == "låst.xlsx" and [f.rule for f in rejected.errors] == ["file.unreadable"]
    afviste = openpyxl.load_workbook(config.path("consolidated"), read_only=True)["Afviste"]
    assert "låst.xlsx" in {c for row in afviste.iter_rows(values_only=True) for c in row}
    assert (config.path("feedback") / "låst - FEJL.txt").exists()


def test_lock_is_exclusive_names_its_holder_and_is_released():
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "state" / "syncservice.lock"
        first = InstanceLock(path)
        first.acquire()
        assert is_held(path)
        with pytest.raises(Held) as held:
            InstanceLock(path).acquire()
        assert held.value.holder is not None and held.value.holder.pid == os.getpid()
        first.release()
        assert not is_held(path)
        with InstanceLock(path):
            assert is_held(path)


def test_already_running_message_in_english(tmp_path):
    (tmp_path / "watched").mkdir()
    config = defaults(tmp_path).with_values(output__language="en", watch__settle_seconds=0.1)
    with Running(config):
        with pytest.raises(AlreadyRunning, match=r"another syncservice is already running for this store \(pid \d+ on"):
            Service(config).run()


@pytest.mark.parametrize("key, value", [("watch__poll_seconds", 0), ("watch__settle_seconds", -1)])
def test_nonsense_timings_are_a_config_error(tmp_path, key, value):
    with pytest.raises(ConfigError, match="watch."):
        Service(defaults(tmp_path).with_values(**{key: value}))
