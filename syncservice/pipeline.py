"""The flow, one file at a time and one pass over the folder:

    path → stage → StagedFile → check → Verdict → archive → store → StoredVersion(s)
    … then, once per pass, the consolidated workbook from the store's current versions.

A fault in one file (disk, a half-written save, a bug) never stops the others.
"""

from __future__ import annotations

import datetime as dt
import json
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

from loguru import logger

from schemas import KINDS
from syncservice import archive, changes, durable, feedback, messages, missing, reporting
from syncservice.check import check_workbook
from syncservice.config import Config
from syncservice.errors import DiskError, StoreError
from syncservice.layout import Kind
from syncservice.models import ERROR, WARNING, Finding, StagedFile, Verdict
from syncservice.stage import (STALE_SECONDS, FileChanged, NotARegularFile, TooLarge, candidates, clear_stale, discard,
                               stage)
from syncservice.store import Store

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
        except FileChanged as exc:
            return Outcome(rel, RETRY, reason=str(exc))
        except NotARegularFile:
            return Outcome(rel, SKIPPED)
        except TooLarge as exc:
            return self._too_large(path, rel, exc.size, started)
        except DiskError as exc:
            logger.error("{}: {} (will retry)", rel, exc)
            return Outcome(rel, RETRY, reason=str(exc))
        try:
            return self._judge(staged, started, known)
        except (DiskError, StoreError) as exc:
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
            return self._log(Outcome(staged.rel, UNCHANGED, time.monotonic() - started))
        verdict = _check(staged, self.config, self.kinds)
        if verdict.accepted:
            verdict = self._with_history_warnings(verdict)
        kept = archive.archive(staged, self.config.path("archive"), verdict.accepted, now)
        try:
            result = self.store.record(staged, verdict, self._display(kept), self.message, now)
        except StoreError:
            # Nothing in the store points at this copy: take it back, or each retry of a
            # store that cannot record (a full disk) would leave one more copy in the archive.
            durable.remove_quietly(kept)
            raise
        self._feedback(staged, verdict, now)
        status = ACCEPTED if verdict.accepted else REJECTED
        return self._log(Outcome(staged.rel, status, time.monotonic() - started, tuple(result.new_versions),
                                 verdict))

    def _feedback(self, staged: StagedFile, verdict: Verdict, now: dt.datetime) -> None:
        """The person's report beside their file: written on rejection, cleared (into the
        archive) on acceptance. A report that cannot be written is logged; the verdict stands."""
        folder = self.config.path("feedback")
        try:
            if verdict.accepted:
                feedback.remove_report(staged.rel, folder, self.config.path("archive"), now)
            else:
                feedback.write_report(staged, verdict, folder, language=self.config.language, now=now,
                                      message=self.message)
        except (DiskError, OSError) as exc:
            logger.error("{}: the feedback report could not be written: {}", staged.rel, exc)

    def _with_history_warnings(self, verdict: Verdict) -> Verdict:
        """WORKBOOKS.md §5: what changed since the version each report replaces."""
        keys = [r.key for r in verdict.reports]
        current = self.store.previous_current(keys + [(k, u, y - 1) for k, u, y in keys])
        extra: list[Finding] = []
        for report in verdict.reports:
            previous = current.get(report.key)
            if previous is not None:
                old = self.store.version_figures(previous.version_id)
                extra += changes.against_previous(self.kinds[report.kind], report, previous, old)
                if verdict.file is not None and previous.path != verdict.file.rel:
                    # the newer wins; a copied template whose unit was not updated shows up here
                    unit_cell = report.extra.get("unit_cell")
                    extra.append(Finding("change.other_path", WARNING, report.sheet, (unit_cell,) if unit_cell else (),
                                         "Enhed", report.unit,
                                         {"other": previous.path, "unit": report.unit, "year": report.year}))
            last_year = current.get((report.kind, report.unit, report.year - 1))
            if last_year is not None:
                extra += changes.against_last_year(self.kinds[report.kind], report, last_year,
                                                   self.store.version_figures(last_year.version_id))
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
        return self._log(Outcome(rel, REJECTED, time.monotonic() - started, verdict=verdict))

    def _log(self, outcome: Outcome) -> Outcome:
        versions = ",".join(map(str, outcome.versions)) or "-"
        logger.info("{} | {} | {:.2f}s | version {}", outcome.rel, outcome.status, outcome.seconds, versions)
        if outcome.verdict is not None:
            logger.bind(validation=True).info(json.dumps(self._log_record(outcome), ensure_ascii=False))
        return outcome

    def _log_record(self, outcome: Outcome) -> dict:
        verdict = outcome.verdict
        assert verdict is not None

        def finding(f: Finding) -> dict:
            return {"sheet": f.sheet, "cells": list(f.cells), "column": f.column, "value": f.value,
                    "rule": f.rule, "message": self.message(f)}

        return {"time": self.clock().isoformat(timespec="seconds"), "file": outcome.rel,
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
        """Files new or changed (size or mtime) since the store last saw them."""
        seen = self.store.seen_index()
        out = []
        for path in candidates(self.watched, self.outputs):
            known = seen.get(self.rel(path))
            try:
                st = path.stat()
            except OSError:
                continue
            if known is None or (known.size, known.mtime_ns) != (st.st_size, st.st_mtime_ns):
                out.append(path)
        return out

    def ingest(self, paths: Iterable[Path] | None = None, progress: Callable[[Outcome], None] | None = None
               ) -> Tally:
        """Process every pending file, then rewrite the consolidated workbook once."""
        tally = Tally()
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
