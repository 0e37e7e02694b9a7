"""The flow, one file at a time and one pass over the folder:

    path → stage → StagedFile → check → Verdict → archive → store → StoredVersion(s)
    … then, once per pass, the consolidated workbook from the store's current versions.

A fault in one file (disk, a half-written save, a bug) never stops the others.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

from loguru import logger

from schemas import KINDS
from syncservice import archive, changes, durable, feedback, messages, missing, reporting, store_backup, units
from syncservice.check import check_workbook
from syncservice.config import Config
from syncservice.errors import DiskError, StoreError
from syncservice.layout import Kind
from syncservice.logs import json_text
from syncservice.models import ERROR, WARNING, Finding, SheetInfo, StagedFile, Verdict
from syncservice.stage import (STALE_SECONDS, FileChanged, NotARegularFile, TooLarge, Unreadable, candidates,
                               clear_stale, discard, stage)
from syncservice.store import Store, saved_before
from syncservice.notify import Notices

ACCEPTED, REJECTED, UNCHANGED, RETRY, SKIPPED = "accepted", "rejected", "unchanged", "retry", "skipped"


@dataclass(frozen=True)
class Outcome:
    """What became of one file."""

    rel: str
    status: str  # accepted, rejected, unchanged, retry (try again later), skipped
    seconds: float = 0.0
    versions: tuple[int, ...] = ()
    verdict: Verdict | None = None
    reason: str = ""  # for retry: why


@dataclass
class Tally:
    outcomes: list[Outcome] = field(default_factory=list)
    summary_written: bool = False
    summary_error: str = ""  # why the consolidated workbook could not be rewritten; the next pass tries again

    def count(self, status: str) -> int:
        return sum(1 for o in self.outcomes if o.status == status)

    def line(self, language: str = "da") -> str:
        parts = [(ACCEPTED, "godkendt", "accepted"), (REJECTED, "afvist", "rejected"),
                 (UNCHANGED, "uændret", "unchanged"), (RETRY, "prøves igen", "to retry")]
        words = [f"{self.count(s)} {da if language == 'da' else en}" for s, da, en in parts]
        return ", ".join(words)


def own_outputs(config: Config) -> list[Path]:
    """Everything the service writes itself: never taken for a staff workbook."""
    db = config.path("database")
    return [config.path("consolidated"), config.path("feedback"), config.path("archive"),
            config.path("logs"), config.path("state"), db, db.with_name(db.name + "-wal"),
            db.with_name(db.name + "-shm")]


def check_path(path: Path, config: Config, kinds: dict[str, Kind] = KINDS, rel: str | None = None) -> Verdict:
    """Validate one file as `check` does: on a private copy, recording nothing (and
    leaving nothing behind: the copy lives in a temporary folder)."""
    with tempfile.TemporaryDirectory(prefix="syncservice-check-") as staging:
        return _check_copy(path, config, kinds, rel, Path(staging))


def _check_copy(path: Path, config: Config, kinds: dict[str, Kind], rel: str | None, staging: Path) -> Verdict:
    try:
        staged = stage(path, rel or str(path), staging, config.get("limits", "max_file_mb") << 20)
    except TooLarge as exc:
        return _file_verdict(path, rel, "file.too_big", size_mb=exc.size >> 20,
                             limit_mb=config.get("limits", "max_file_mb"))
    except (FileChanged, NotARegularFile, DiskError) as exc:
        logger.debug("{}: {}", path, exc)  # the person gets the catalogue's words, not the exception's
        return _file_verdict(path, rel, "file.unreadable")
    try:
        return _check(staged, config, kinds, with_figures=False)
    finally:
        discard(staged)


def _file_verdict(path: Path, rel: str | None, rule: str, **params: object) -> Verdict:
    staged = StagedFile(path, rel or str(path), path, "", 0, 0)
    return Verdict(staged, errors=(Finding(rule, ERROR, params=dict(params)),))


def _check(staged: StagedFile, config: Config, kinds: dict[str, Kind], *, with_figures: bool = True) -> Verdict:
    try:
        verdict = check_workbook(staged, kinds, max_unpacked=config.get("limits", "max_unpacked_mb") << 20,
                                 max_rows=config.get("limits", "max_rows"),
                                 max_seconds=config.get("limits", "max_seconds"), with_figures=with_figures)
    except Exception:  # a bug of ours must not take the service down; the log has the traceback
        logger.exception("internal error while checking {}", staged.rel)
        return Verdict(staged, errors=(Finding("file.internal", ERROR),))
    # a unit not among those that must report is likely misspelt: warn, naming the closest
    return reporting.unit_warnings(verdict, config.get("reporting", "units"))


class Pipeline:
    """Ingestion with one store; used by `ingest` (one pass) and `run` (a worker)."""

    def __init__(self, config: Config, store: Store, kinds: dict[str, Kind] = KINDS,
                 clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC)) -> None:
        self.config = config
        self.store = store
        self.kinds = kinds
        self.clock = clock
        self.watched = config.path("watched")
        self.outputs = own_outputs(config)
        # Copies a killed run left behind (never one a running process still reads).
        if cleared := clear_stale(config.path("state") / "staging",
                                  max(STALE_SECONDS, 2.0 * config.get("limits", "max_seconds"))):
            logger.info("removed {} staging copies left by an interrupted run", cleared)
        # and a half-written consolidated workbook's temp file, though no rewrite is due now
        durable.clear_stale_temps(config.path("consolidated"))
        self._unreadable = {u.path for u in store.unreadable()}  # tried again each pass until read
        self._respell_listed_units()
        self.notices = Notices(config, store)  # what a verdict tells people ([notify]), queued with it

    def _respell_listed_units(self) -> None:
        """reporting.units' spelling is the one stored and shown (WORKBOOKS.md §1), also for
        reports accepted before the list named the unit so: those take it now."""
        try:
            for unit in self.config.get("reporting", "units"):
                if self.store.respell(unit):
                    logger.info("unit {!r}: its reports are now stored under this spelling", unit)
        except StoreError as exc:  # the next start tries again; reading files need not wait for it
            logger.error("{}", exc)

    def message(self, finding: Finding) -> str:
        return messages.render(finding, self.config.language)

    # --- one file ---------------------------------------------------------------------------

    def process(self, path: Path, *, known: dict | None = None) -> Outcome:
        """One file, start to end. Never raises for the file's sake; a retry outcome says why."""
        started = time.monotonic()
        rel = self.rel(path)
        try:
            staged = stage(path, rel, self.config.path("state") / "staging",
                           self.config.get("limits", "max_file_mb") << 20)
        except Unreadable as exc:
            return self._unreadable_file(path, rel, str(exc), started)
        except FileChanged as exc:
            if not os.path.lexists(path):
                self._readable(rel)  # gone: nothing left to retry
            return Outcome(rel, RETRY, reason=str(exc))
        except NotARegularFile:
            self._readable(rel)
            return Outcome(rel, SKIPPED)
        except TooLarge as exc:
            self._readable(rel)
            return self._too_large(path, rel, exc.size, started)
        except DiskError as exc:
            logger.error("{}: {} (will retry)", rel, exc)
            return Outcome(rel, RETRY, reason=str(exc))
        try:
            self._readable(rel)  # judged as any file is from here
            return self._judge(staged, started, known)
        except (DiskError, StoreError) as exc:
            if damage := store_backup.as_damage(exc, self.config.path("database"), self.config.language):
                raise damage from exc  # never retried: nothing more is written to a damaged store
            # Nothing half-recorded: the store's transaction rolled back; the next pass retries.
            logger.error("{}: {} (will retry)", rel, exc)
            return Outcome(rel, RETRY, time.monotonic() - started, reason=str(exc))
        finally:
            discard(staged)

    def _judge(self, staged: StagedFile, started: float, known: dict | None) -> Outcome:
        seen = (known or {}).get(staged.rel) or self.store.last_seen(staged.rel)
        now = self.clock()
        if seen is not None and seen.sha256 == staged.sha256:
            self.store.record_unchanged(staged, now)
            return self._log(Outcome(staged.rel, UNCHANGED, time.monotonic() - started), now)
        verdict = self._verdict(staged)
        kept = archive.archive(staged, self.config.path("archive"), verdict.accepted, now)
        try:
            with self.notices.recording():  # the verdict and the messages it owes people: both, or neither
                result = self.store.record(staged, verdict, self._display(kept), self.message, now)
                self.notices.on_verdict(staged.rel, verdict, result.file_id, now)
        except StoreError:
            # Nothing in the store points at this copy: take it back, or each retry of a
            # store that cannot record (a full disk) would leave one more copy in the archive.
            archive.discard(kept)  # and its sidecar
            raise
        self._feedback(staged, verdict, now)
        status = ACCEPTED if verdict.accepted else REJECTED
        return self._log(Outcome(staged.rel, status, time.monotonic() - started, tuple(result.new_versions),
                                 verdict), now)

    def _feedback(self, staged: StagedFile, verdict: Verdict, now: dt.datetime, *,
                  accepted: bool | None = None) -> bool:
        """The person's report beside their file: written on rejection, cleared (into the
        archive) on acceptance; True when done. A report that cannot be written is logged and
        stays owed in the store (recorded with the verdict), so write_owed_reports() writes it
        on the next pass; the verdict stands."""
        folder = self.config.path("feedback")
        try:
            if verdict.accepted if accepted is None else accepted:
                feedback.remove_report(staged.rel, folder, self.config.path("archive"), now)
            else:
                feedback.write_report(staged, verdict, folder, language=self.config.language, now=now,
                                      message=self.message)
        except (DiskError, OSError) as exc:
            logger.error("{}: the feedback report could not be written: {} (the next pass tries again)",
                         staged.rel, exc)
            return False
        try:
            self.store.feedback_done(staged.rel)
        except StoreError as exc:  # still owed: the next pass writes the same report again
            logger.error("{}: {}", staged.rel, exc)
            return False
        return True

    def write_owed_reports(self) -> int:
        """Write (or remove) every report the store says is still owed: the feedback folder was
        not writable, or the process was killed between recording a verdict and its report.
        Each from the verdict as recorded (its findings, its time) and the archived copy; run
        at the start of every pass. Returns how many were settled."""
        try:
            owed = self.store.feedback_owed()
        except StoreError as exc:
            logger.error("{} (the next pass tries again)", exc)
            return 0
        done = 0
        for item in owed:
            archived = Path(item.archive_path) if item.archive_path else self.watched / item.path
            staged = StagedFile(self.watched / item.path, item.path,
                                archived if archived.is_absolute() else self.config.base / archived,
                                item.sha256, item.size, item.mtime_ns)
            verdict = Verdict(staged, tuple(SheetInfo(s["sheet"], s["kind"], s["unit"], s["year"]) for s in item.sheets),
                              errors=tuple(f for f in item.findings if f.severity == ERROR),
                              warnings=tuple(f for f in item.findings if f.severity == WARNING))
            done += self._feedback(staged, verdict, dt.datetime.fromisoformat(item.received_at),
                                   accepted=item.verdict == ACCEPTED)
        if done:
            logger.info("{} owed feedback report(s) settled", done)
        return done

    def _spelt_as_stored(self, verdict: Verdict) -> Verdict:
        """Each unit spelt as the store first accepted it (units.fold), else as this workbook
        first spells it, with a warning naming both spellings: one unit is one report however
        it is typed. A spelling from reporting.units (already applied by _check) is kept."""
        listed = self.config.get("reporting", "units")
        read = [s.unit for s in verdict.sheets if s.unit and not (listed and units.configured(s.unit, listed))]
        stored = self.store.spellings(read)
        first: dict[str, str] = {}  # fold → the spelling kept
        spelling = {unit: kept for unit in read
                    if (kept := first.setdefault(units.fold(unit), stored.get(unit, unit))) != unit}
        if not spelling:
            return verdict
        cells = {r.sheet: r.extra.get("unit_cell", "") for r in verdict.reports}
        extra = tuple(Finding("report.unit_spelling", WARNING, s.sheet, (cells[s.sheet],) if cells.get(s.sheet) else (),
                              "Enhed", s.unit, {"kept": spelling[s.unit]})
                      for s in verdict.sheets if s.unit in spelling)
        verdict = units.respelt(verdict, spelling)
        return replace(verdict, warnings=verdict.warnings + extra)

    def _with_history_warnings(self, verdict: Verdict) -> Verdict:
        """WORKBOOKS.md §5: what changed since the version each report replaces; a report going
        back in time is an error (change.period_back), which rejects the workbook."""
        keys = [r.key for r in verdict.reports]
        current = self.store.previous_current(keys + [(k, u, y - 1) for k, u, y in keys])
        errors: list[Finding] = []
        extra: list[Finding] = []
        staged = verdict.file
        for report in verdict.reports:
            previous = current.get(report.key)
            if previous is not None and staged is not None and saved_before(
                    staged.mtime_ns, staged.rel, previous.saved_ns, previous.path):
                # The store keeps the newer file's version in force: compared with nothing, named.
                extra.append(changes.saved_before_current(report, previous))
                continue
            kind = self.kinds[report.kind]
            if previous is not None:
                errors += changes.period_back(kind, report, previous)
                old = self.store.version_figures(previous.version_id)
                extra += changes.against_previous(kind, report, previous, old)
                if staged is not None and previous.path != staged.rel:
                    # the one saved last wins; a copied template whose unit was not updated shows up here
                    unit_cell = report.extra.get("unit_cell")
                    extra.append(Finding("change.other_path", WARNING, report.sheet, (unit_cell,) if unit_cell else (),
                                         "Enhed", report.unit,
                                         {"other": previous.path, "unit": report.unit, "year": report.year}))
            last_year = current.get((report.kind, report.unit, report.year - 1))
            if last_year is not None:
                extra += changes.against_last_year(kind, report, last_year,
                                                   self.store.version_figures(last_year.version_id))
        if errors:  # rejected: nothing from it is in force, so what changed is beside the point
            return replace(verdict, errors=verdict.errors + tuple(errors))
        return replace(verdict, warnings=verdict.warnings + tuple(extra)) if extra else verdict

    def _too_large(self, path: Path, rel: str, size: int, started: float) -> Outcome:
        verdict = Verdict(None, errors=(Finding("file.too_big", ERROR, params={
            "size_mb": size >> 20, "limit_mb": self.config.get("limits", "max_file_mb")}),))
        try:
            st = path.stat()
        except OSError as exc:
            return Outcome(rel, RETRY, reason=str(exc))
        known = self.store.last_seen(rel)
        if known is not None and known.size == st.st_size and known.mtime_ns == st.st_mtime_ns:
            return Outcome(rel, UNCHANGED)
        placeholder = StagedFile(path, rel, path, "", st.st_size, st.st_mtime_ns)
        # Too large to copy: recorded as rejected; the person's file stays where it is.
        now = self.clock()
        self.store.record(placeholder, verdict, "", self.message, now)
        self._feedback(placeholder, verdict, now)  # text only: a file.* error never opens the file
        return self._log(Outcome(rel, REJECTED, time.monotonic() - started, verdict=verdict), now)

    def _unreadable_file(self, path: Path, rel: str, reason: str, started: float) -> Outcome:
        """WORKBOOKS.md §1: a file that cannot be opened or read is retried (RETRY) until
        watch.unreadable_minutes have passed since its first failure, then rejected once as
        file.unreadable; later attempts that still fail change nothing (UNCHANGED)."""
        now = self.clock()
        try:
            row = self.store.note_unreadable(rel, reason, now)
        except StoreError as exc:
            logger.error("{}: {} (will retry)", rel, exc)
            return Outcome(rel, RETRY, reason=reason)
        self._unreadable.add(rel)
        minutes = self.config.get("watch", "unreadable_minutes")
        if row.judged_at is not None:
            return Outcome(rel, UNCHANGED, time.monotonic() - started, reason=reason)
        if now - dt.datetime.fromisoformat(row.first_failed) < dt.timedelta(minutes=minutes):
            return Outcome(rel, RETRY, reason=reason)
        logger.warning("{} | could not be read for {} min ({}): rejected as unreadable", rel, minutes, reason)
        verdict = Verdict(None, errors=(Finding("file.unreadable", ERROR, params={"minutes": minutes}),))
        try:
            st = os.lstat(path)
            size, mtime_ns = st.st_size, st.st_mtime_ns
        except OSError:
            size = mtime_ns = 0
        placeholder = StagedFile(path, rel, path, "", size, mtime_ns)  # nothing could be copied
        try:
            known = self.store.last_seen(rel)
            if not (known and known.sha256 == "" and (known.size, known.mtime_ns) == (size, mtime_ns)
                    and known.verdict == "rejected"):  # else recorded already, by a run killed right after
                self.store.record(placeholder, verdict, "", self.message, now)
            self.store.judged_unreadable(rel, now)
        except StoreError as exc:
            logger.error("{}: {} (will retry)", rel, exc)
            return Outcome(rel, RETRY, reason=reason)
        self._feedback(placeholder, verdict, now)  # text only: a file.* error never opens the file
        return self._log(Outcome(rel, REJECTED, time.monotonic() - started, verdict=verdict, reason=reason), now)

    def _readable(self, rel: str) -> None:
        """`rel` was read after all (or is gone, or is not a file): no longer one to retry."""
        if rel in self._unreadable:
            try:
                self.store.forget_unreadable([rel])
            except StoreError as exc:  # the row stays: the next attempt forgets it
                logger.error("{}: {}", rel, exc)
                return
            self._unreadable.discard(rel)

    def _log(self, outcome: Outcome, now: dt.datetime) -> Outcome:
        """The outcome in the human log and, with its verdict, in the JSON log, timed `now`: the
        time the verdict was recorded with, so the JSON log, the store and the report agree."""
        versions = ",".join(map(str, outcome.versions)) or "-"
        logger.info("{} | {} | {:.2f}s | version {}", outcome.rel, outcome.status, outcome.seconds, versions)
        if outcome.verdict is not None:
            logger.bind(validation=True).info(json_text(self._log_record(outcome, now)))
        return outcome

    def _log_record(self, outcome: Outcome, now: dt.datetime) -> dict:
        verdict = outcome.verdict
        assert verdict is not None

        def finding(f: Finding) -> dict:
            return {"sheet": f.sheet, "cells": list(f.cells), "column": f.column, "value": f.value,
                    "rule": f.rule, "message": self.message(f)}

        utc = now.replace(tzinfo=dt.UTC) if now.tzinfo is None else now.astimezone(dt.UTC)  # as the store writes it
        return {"time": utc.isoformat(timespec="seconds"), "file": outcome.rel,
                "sha256": verdict.file.sha256 if verdict.file else "", "verdict": outcome.status,
                "versions": list(outcome.versions),
                "sheets": [{"sheet": s.sheet, "kind": s.kind, "unit": s.unit, "year": s.year} for s in verdict.sheets],
                "errors": [finding(f) for f in verdict.errors], "warnings": [finding(f) for f in verdict.warnings]}

    def rel(self, path: Path) -> str:
        try:
            return path.resolve().relative_to(self.watched.resolve()).as_posix()
        except ValueError:
            return path.as_posix()

    def _display(self, path: Path) -> str:
        try:
            return path.relative_to(self.config.base).as_posix()
        except ValueError:
            return str(path)

    # --- one pass ---------------------------------------------------------------------------

    def pending(self) -> list[Path]:
        """Files new or changed (size or mtime) since the store last saw them, and those that
        could not be read when last tried (a permission put right changes neither), oldest save first."""
        seen = self.store.seen_index()
        out = []
        found = set()
        for path in candidates(self.watched, self.outputs):
            rel = self.rel(path)
            found.add(rel)
            known = seen.get(rel)
            try:
                st = path.stat()
            except OSError:
                continue
            if known is None or (known.size, known.mtime_ns) != (st.st_size, st.st_mtime_ns) or rel in self._unreadable:
                out.append((st.st_mtime_ns, path))
        if gone := self._unreadable - found:  # deleted or moved away: nothing left to retry
            self.store.forget_unreadable(gone)
            self._unreadable -= gone
        # Oldest save first, so of two files holding one report the one saved last is read last
        # and stays in force (WORKBOOKS.md §1); the store holds to that in any order too.
        return [path for _, path in sorted(out)]

    def ingest(self, paths: Iterable[Path] | None = None, progress: Callable[[Outcome], None] | None = None
               ) -> Tally:
        """Process every pending file, then rewrite the consolidated workbook once."""
        tally = Tally()
        self.write_owed_reports()  # what an earlier pass could not write, or a kill cut short
        known = self.store.seen_index()
        for path in (self.pending() if paths is None else paths):
            outcome = self.process(path, known=known)
            tally.outcomes.append(outcome)
            if progress:
                progress(outcome)
        if self.summary_stale():
            try:
                self.write_summary()
                tally.summary_written = True
            except (DiskError, StoreError) as exc:
                # The previous workbook stays as it was; the store is ahead of it, so the next
                # pass sees it stale and writes it again.
                logger.error("{} (the next pass tries again)", exc)
                tally.summary_error = str(exc)
        return tally

    # --- the consolidated workbook ----------------------------------------------------------

    def _stamp(self) -> Path:
        return self.config.path("state") / "summary.json"

    def summary_stale(self) -> bool:
        """True when the store holds something the consolidated workbook does not show yet
        (also after a crash between recording and rewriting)."""
        if not self.config.path("consolidated").exists():
            return True
        try:
            built = json.loads(self._stamp().read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return True
        return built != self._store_stamp()

    def _store_stamp(self) -> dict:
        stamp: dict = self.store.stamp()  # newest ids: as cheap with 10,000 versions as with 10
        if due := missing.due_stamp(self.config, self.clock()):  # a deadline passing changes sheet Mangler
            stamp["due"] = due
        return stamp

    def write_summary(self) -> Path:
        from syncservice.summary import write_consolidated

        target = self.config.path("consolidated")
        stamp = self._store_stamp()
        now = self.clock()
        try:
            write_consolidated(target, self.store.current_versions(), self.store.current_data_rows,
                               self.store.rejected_files(), changes=self.store.current_changes(),
                               amount_unit=self.config.get("output", "amount_unit"),
                               language=self.config.language, message=self.message, now=now,
                               missing=missing.for_summary(self.config, self.store, now))
            durable.atomic_write(self._stamp(), lambda tmp: tmp.write_text(json.dumps(stamp), encoding="utf-8"))
        except OSError as exc:  # a full disk, or (Windows) the workbook open in Excel
            raise DiskError(f"cannot write the consolidated workbook {target}: {exc.strerror or exc}") from exc
        logger.info("consolidated workbook rewritten: {}", target)
        return target

    # --- the store rebuilt from the archive (syncservice/rebuild.py) ----------------------------

    def replay(self, staged: StagedFile, archive_path: Path, received: dt.datetime) -> Outcome:
        """An archived file judged again as _judge judged it when it came: the same validation
        and change warnings against the versions then in force, recorded as received at
        `received`. `staged.staged` is the archived copy, read only: nothing is staged,
        archived, reported or logged again, and no report is owed: the feedback folder shows
        what became of each when it came."""
        started = time.monotonic()
        verdict = self._verdict(staged)
        result = self.store.record(staged, verdict, self._display(archive_path), self.message, received)
        self.store.feedback_done(staged.rel)
        return Outcome(staged.rel, ACCEPTED if verdict.accepted else REJECTED, time.monotonic() - started,
                       tuple(result.new_versions), verdict)

    def _verdict(self, staged: StagedFile) -> Verdict:
        """A staged file's verdict as the store will record it: checked, units spelt as stored,
        and if accepted what changed since the versions in force. One place for _judge and
        replay, so a rebuild judges exactly as the file was judged when it came."""
        verdict = self._spelt_as_stored(_check(staged, self.config, self.kinds))
        if verdict.accepted:
            verdict = self._with_history_warnings(verdict)
        return verdict
