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
from syncservice.archive import copies as archive
from syncservice.base import durable, localtime, reporting, units
from syncservice.base.config import Config, check_places
from syncservice.base.errors import DiskError, StoreError
from syncservice.base.layout import Kind
from syncservice.base.logs import json_text
from syncservice.base.models import ERROR, WARNING, Finding, SheetInfo, StagedFile, StoredVersion, Verdict
from syncservice.intake.stage import (
    STALE_SECONDS,
    FileChanged,
    NotARegularFile,
    TooLarge,
    Unreadable,
    candidates,
    clear_stale,
    content_sha256,
    discard,
    is_regular,
    stage,
)
from syncservice.outputs import missing
from syncservice.outputs.feedback import report as feedback
from syncservice.outputs.notify.notices import Notices
from syncservice.rules import changes, messages
from syncservice.rules.check import check_workbook
from syncservice.store import backup as store_backup
from syncservice.store.db import Store, saved_before

ACCEPTED, REJECTED, UNCHANGED, RETRY, SKIPPED = "accepted", "rejected", "unchanged", "retry", "skipped"
# WORKBOOKS.md §9: when at least this many of the files the store cites vanish at once, and
# no more files are left in the folder than vanished, it is taken for a share unmounted or
# emptied (it looks empty), not for deletions: nothing falls back.
VANISH_MIN = 3


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
        if others := sum(1 for o in self.outcomes if o.reason == "not a report"):
            words.append(f"{others} {'ikke en indberetning' if language == 'da' else 'not a report'}")
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


def not_a_report(verdict: Verdict) -> bool:
    """No metadata block and no kind's header on any sheet: the only error is that there is no
    report sheet (a sheet with a metadata block but no header is an error of its own)."""
    return [f.rule for f in verdict.errors] == ["file.no_report_sheet"]


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
        check_places(config)  # an output folder that holds the watched folder: nothing would work
        localtime.use(config.get("output", "timezone"))
        self.watched = config.path("watched")
        self.outputs = own_outputs(config)
        # Copies a killed run left behind (never one a running process still reads).
        if cleared := clear_stale(config.path("state") / "staging",
                                  max(STALE_SECONDS, 2.0 * config.get("limits", "max_seconds"))):
            logger.info("removed {} staging copies left by an interrupted run", cleared)
        # and a half-written consolidated workbook's temp file, though no rewrite is due now
        durable.clear_stale_temps(config.path("consolidated"))
        self._unreadable = {u.path for u in store.unreadable()}  # tried again each pass until read
        self._held_back: set[str] | None = None  # the paths a mass vanishing last held back (logged once)
        self.gone_due = False  # a file may have gone: reconcile() at the end of the pass
        self._respell_listed_units()
        self.notices = Notices(config, store)  # what a verdict tells people ([notify]), queued with it
        self._fragments = None  # each version's rows in the consolidated workbook, kept between rewrites

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
        if seen is not None and seen.sha256 == staged.sha256 and seen.verdict == "not_report":
            return Outcome(staged.rel, SKIPPED, time.monotonic() - started, reason="not a report")  # noted already
        if seen is not None and seen.sha256 == staged.sha256:
            self.store.record_unchanged(staged, now)
            return self._log(Outcome(staged.rel, UNCHANGED, time.monotonic() - started), now)
        verdict, moved = self._verdict(staged)
        if not_a_report(verdict):
            return self._not_a_report(staged, started, now)
        kept = archive.archive(staged, self.config.path("archive"), verdict.accepted, now)
        try:
            with self.notices.recording():  # the verdict and the messages it owes people: both, or neither
                result = self.store.record(staged, verdict, self._display(kept), self.message, now, moved_from=moved)
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

    def _not_a_report(self, staged: StagedFile, started: float, now: dt.datetime) -> Outcome:
        """WORKBOOKS.md §1: a workbook that is not a report (notes, a price list) is left alone:
        noted in the log once per content and counted by `status`; no archive copy, no report,
        not among the rejected."""
        if self.store.note_not_report(staged, now):
            logger.info("{} | not a report (no metadata block and no kind's header on any sheet): left alone",
                        staged.rel)
            # rejected before (by an older version of the service, or a report overwritten by notes):
            # no longer among the rejected, so its report goes to the archive
            feedback.remove_report(staged.rel, self.config.path("feedback"), self.config.path("archive"), now)
        return Outcome(staged.rel, SKIPPED, time.monotonic() - started, reason="not a report")

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

    def _moved_from(self, verdict: Verdict) -> set[str]:
        """The paths of versions in force that held these very bytes and are no longer in the
        folder: this file is that one renamed or moved (WORKBOOKS.md §9), a case-only rename too."""
        staged = verdict.file
        if staged is None:
            return set()
        current = self.store.previous_current([r.key for r in verdict.reports])
        return {v.path for v in current.values()
                if v.path != staged.rel and v.sha256 == staged.sha256 and not self._present(v.path)}

    def _present(self, rel: str) -> bool:
        """A regular file is at `rel` under exactly that name (a case-insensitive share answers
        a stat for 'hp.xlsx' with 'HP.xlsx'; its folder's listing does not)."""
        path = self.watched / rel
        try:
            return path.name in os.listdir(path.parent) and is_regular(path)
        except OSError:
            return False

    def _with_history_warnings(self, verdict: Verdict, moved: set[str] = frozenset()) -> Verdict:
        """WORKBOOKS.md §5: what changed since the version each report replaces; a report going
        back in time is an error (change.period_back), which rejects the workbook. A version
        from a path in `moved` is this file under its old name: no other file to warn about."""
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
                if staged is not None and previous.path != staged.rel and previous.path not in moved:
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
        versions = self._versions_text(outcome.versions)
        logger.info("{} | {} | {:.2f}s | version {}", outcome.rel, outcome.status, outcome.seconds, versions)
        if outcome.verdict is not None:
            logger.bind(validation=True).info(json_text(self._log_record(outcome, now)))
        return outcome

    def _versions_text(self, ids: tuple[int, ...]) -> str:
        """'2 (id 7)': each new version as a person counts it among its report's versions, with
        the store's id (Data's Version column, the JSON log) beside it; '-' for none."""
        if not ids:
            return "-"
        try:
            numbers = self.store.version_numbers(ids)
        except StoreError:  # the log line still says which ids were recorded
            numbers = {}
        return ", ".join(f"{numbers[i]} (id {i})" if i in numbers else f"id {i}" for i in ids)

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

    def _rel_found(self, path: Path) -> str:
        """rel() of a path candidates() found: below the watched folder through no symlink, so
        the same without resolving it (a share of 5,000 files is walked at every pass with a move)."""
        try:
            return path.relative_to(self.watched).as_posix()
        except ValueError:
            return self.rel(path)

    def _display(self, path: Path) -> str:
        try:
            return path.relative_to(self.config.base).as_posix()
        except ValueError:
            return str(path)

    # --- one pass ---------------------------------------------------------------------------

    def pending(self) -> list[Path]:
        """Files new or changed since the store last saw them, and those that could not be read
        when last tried (a permission put right changes neither), oldest save first. A file
        whose size and mtime are as recorded is hashed: a save on a share with 2-second
        timestamps can keep both and still change the content (WORKBOOKS.md §9)."""
        seen = self.store.seen_index()
        seen.update(self.store.not_reports())  # noted as not a report since it was last recorded, if ever
        gone = self.store.gone()  # back in the folder (a file restored): read again, it was found gone
        limit = self.config.get("limits", "max_file_mb") << 20
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
            if (known is None or (known.size, known.mtime_ns) != (st.st_size, st.st_mtime_ns)
                    or rel in self._unreadable or rel in gone
                    or (known.sha256 and content_sha256(path, limit) not in (known.sha256, None))):
                out.append((st.st_mtime_ns, path))
        if vanished := self._unreadable - found:  # deleted or moved away: nothing left to retry
            self.store.forget_unreadable(vanished)
            self._unreadable -= vanished
        self.gone_due = True  # a full scan: what the store cites and the folder lacks is gone
        # Oldest save first, so of two files holding one report the one saved last is read last
        # and stays in force (WORKBOOKS.md §1); the store holds to that in any order too.
        return [path for _, path in sorted(out)]

    def ingest(self, paths: Iterable[Path] | None = None, progress: Callable[[Outcome], None] | None = None
               ) -> Tally:
        """Process every pending file, then rewrite the consolidated workbook once."""
        tally = Tally()
        self.write_owed_reports()  # what an earlier pass could not write, or a kill cut short
        known = self.store.seen_index()
        known.update(self.store.not_reports())
        for path in (self.pending() if paths is None else paths):
            outcome = self.process(path, known=known)
            tally.outcomes.append(outcome)
            if progress:
                progress(outcome)
        try:
            self.reconcile()
        except (DiskError, StoreError) as exc:
            logger.error("{} (the next pass tries again)", exc)
        self.write_owed_reports()  # owed during this pass (a rejected file put back): not a pass later
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

    # --- files gone (WORKBOOKS.md §9) ---------------------------------------------------------

    def reconcile(self) -> None:
        """After a pass: each path the store cites (a version in force, a rejected file) that is
        no longer in the folder is recorded gone. A version in force whose file went gives way
        to the newest accepted version of its report whose file is still there with its content
        (none: it stays, and Kilder says its file was deleted); a rejected file leaves the list
        of rejected workbooks and its report goes to the archive. When much of the folder
        vanished at once (VANISH_MIN), nothing is recorded and the log says why, once."""
        self.gone_due = False
        tracked = self.store.tracked_paths()
        if not tracked:
            return
        found = ({self._rel_found(p) for p in candidates(self.watched, self.outputs)} if self.watched.is_dir()
                 else set())
        missing = {path: sha for path, sha in tracked.items() if path not in found}
        if not missing:
            self._held_back = None
            return
        if not found or (len(missing) >= VANISH_MIN and len(missing) >= len(found)):
            if set(missing) != self._held_back:
                self._held_back = set(missing)
                logger.warning("{} files in use are gone from {} at once, {} files are left there: taken for a "
                               "share unmounted or emptied, so no report falls back and no rejected file is "
                               "cleared; they are looked for again on every scan", len(missing), self.watched,
                               len(found))
            return
        self._held_back = None
        now = self.clock()
        rejected = {r.path for r in self.store.rejected_files(limit_errors=0)}
        self.store.mark_gone(missing, now)
        for version in self.store.current_versions():
            if version.path in missing:
                self._fall_back(version, now)
        for path in sorted(missing.keys() & rejected):
            logger.info("{} | deleted: no longer among the rejected workbooks", path)
            try:
                feedback.remove_report(path, self.config.path("feedback"), self.config.path("archive"), now)
            except DiskError as exc:
                logger.error("{}: its report could not be archived: {}", path, exc)

    def _fall_back(self, version: StoredVersion, now: dt.datetime) -> None:
        key = (version.kind, version.unit, version.year)
        limit = self.config.get("limits", "max_file_mb") << 20
        earlier = sorted((v for v in self.store.report_versions(key)
                          if v.version_id != version.version_id and not v.deleted_at),
                         key=lambda v: (v.saved_ns, v.version_id), reverse=True)
        for v in earlier:
            if self._present(v.path) and content_sha256(self.watched / v.path, limit) == v.sha256:
                self.store.fall_back(key, v.version_id, now)
                logger.info("{} | deleted: {} · {} · {} falls back to version {} from {}", version.path, *key,
                            v.version_id, v.path)
                return
        logger.info("{} | deleted: version {} of {} · {} · {} stays in force, no other file holds a version of it",
                    version.path, version.version_id, *key)

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
        from syncservice.outputs.consolidated import overflow
        from syncservice.outputs.consolidated.fragments import Fragments
        from syncservice.outputs.consolidated.workbook import write_consolidated

        target = self.config.path("consolidated")
        stamp = self._store_stamp()
        now = self.clock()
        started = time.monotonic()
        try:
            if self._fragments is None:
                self._fragments = Fragments(self.config.path("state"))
            figures = write_consolidated(
                target, self.store.current_versions(), self.store.current_data_rows, self.store.rejected_files(),
                changes=self.store.current_changes(), amount_unit=self.config.get("output", "amount_unit"),
                language=self.config.language, message=self.message, now=now,
                missing=missing.for_summary(self.config, self.store, now), fragments=self._fragments,
                rows_of=lambda ids: self.store.current_data_rows(only=ids), shapes_of=self.store.figure_shapes)
            durable.atomic_write(self._stamp(), lambda tmp: tmp.write_text(json.dumps(stamp), encoding="utf-8"))
        except OSError as exc:  # a full disk, or (Windows) the workbook open in Excel
            raise DiskError(f"cannot write the consolidated workbook {target}: {exc.strerror or exc}") from exc
        if figures > overflow.SHEET_ROWS:
            logger.warning("the consolidated workbook holds {} figures, more than one Excel sheet's {} rows: sheet "
                           "Data goes on on {} sheets, and every figure is in {} beside it", figures,
                           overflow.EXCEL_ROWS, overflow.sheets_for(figures), overflow.csv_path(target).name)
        logger.info("consolidated workbook rewritten in {:.2f} s: {} ({} figures)", time.monotonic() - started,
                    target, figures)
        return target

    # --- the store rebuilt from the archive (syncservice/rebuild.py) ----------------------------

    def replay(self, staged: StagedFile, archive_path: Path, received: dt.datetime) -> Outcome:
        """An archived file judged again as _judge judged it when it came: the same validation
        and change warnings against the versions then in force, recorded as received at
        `received`. `staged.staged` is the archived copy, read only: nothing is staged,
        archived, reported or logged again, and no report is owed: the feedback folder shows
        what became of each when it came."""
        started = time.monotonic()
        verdict, moved = self._verdict(staged, follow_moves=False)
        result = self.store.record(staged, verdict, self._display(archive_path), self.message, received,
                                   moved_from=moved)
        self.store.feedback_done(staged.rel)
        return Outcome(staged.rel, ACCEPTED if verdict.accepted else REJECTED, time.monotonic() - started,
                       tuple(result.new_versions), verdict)

    def _verdict(self, staged: StagedFile, *, follow_moves: bool = True) -> tuple[Verdict, set[str]]:
        """A staged file's verdict as the store will record it: checked, units spelt as stored,
        and if accepted what changed since the versions in force; with the paths it was moved
        from (WORKBOOKS.md §9), which only the folder as it is now can tell, so a replay from
        the archive does not follow moves. One place for _judge and replay, so a rebuild judges
        as the file was judged when it came."""
        verdict = self._spelt_as_stored(_check(staged, self.config, self.kinds))
        moved: set[str] = set()
        if verdict.accepted:
            moved = self._moved_from(verdict) if follow_moves else set()
            verdict = self._with_history_warnings(verdict, moved)
        return verdict, moved
