"""Feedback: the report a person finds when their workbook is rejected.

Verdict → feedback/<the watched folders>/<stem> - FEJL.xlsx (an annotated copy of their own
workbook, made by feedback_sheet.py) and <stem> - FEJL.txt (the same findings as plain text,
for anyone without Excel). In English (`language = "en"`) the names end in ' - ERRORS'.

Each source path gets its own report, under a name stable for that path and readable by
its person: 'Tilgang 2016.xlsx' → 'Tilgang 2016 - FEJL.xlsx', 'Makro.xlsm' → 'Makro.xlsm
- FEJL.xlsx'. Where that name would not say the path faithfully (another Unicode form,
characters a share refuses, '..' or a backslash), a short hash of the exact path is added,
'Tilgang 2016 #1a2b3c4d - FEJL.xlsx', so two paths never share a report and accepting one
never removes the other's. The person's own file is never opened; only the staged copy is.
"""

from __future__ import annotations

import datetime as dt
import errno
import hashlib
import os
import re
import shutil
from collections.abc import Callable
from pathlib import Path

from loguru import logger

from syncservice.archive.copies import _create_unique, safe_name
from syncservice.base.durable import atomic_write, ensure_dir, fsync_dir, remove_quietly
from syncservice.base.errors import DiskError
from syncservice.base.models import Finding, StagedFile, Verdict
from syncservice.outputs.feedback.sheet import annotate
from syncservice.outputs.feedback.text import TEXT, text_report

SUFFIX = {"da": " - FEJL", "en": " - ERRORS"}

_SEPARATORS = re.compile(r"[\\/]+")
# Kept whole in the report's name, so 'Budget.xls' and 'Budget.xlsx' get two reports; an
# '.xlsx' (what the template is) shows as its stem.
_SHOWN_WHOLE = (".xlsm", ".xls", ".ods", ".csv")
_TAG = re.compile(r" #[0-9a-f]{8}$")


def report_paths(rel: str, feedback_dir: Path, language: str = "da") -> tuple[Path, Path]:
    """'Ballerup/Tilgang 2016.xlsx' → (feedback/Ballerup/Tilgang 2016 - FEJL.xlsx, … .txt).

    Every part of `rel` is a name from staff, so each is made safe (archive.safe_name);
    '..', '.' and empty parts are dropped, so the result is always inside feedback_dir.
    One name per rel: a name that is not the rel's own (safe_name changed a part, or a
    part was dropped) carries ' #' and 8 hex digits of the rel's SHA-256, and a name that
    is the rel's own never ends that way.
    """
    parts = [p for p in _SEPARATORS.split(rel) if p.strip(". ")]
    folders = [safe_name(p) for p in parts[:-1]]
    name = safe_name(parts[-1]) if parts else "file"
    shown = name[:-5] if name.casefold().endswith(".xlsx") and len(name) > 5 else name
    if not _plain(rel, shown):
        shown += " #" + hashlib.sha256(rel.encode("utf-8", "surrogatepass")).hexdigest()[:8]
    base = shown + SUFFIX.get(language, SUFFIX["da"])
    folder = feedback_dir.joinpath(*folders)
    return folder / f"{base}.xlsx", folder / f"{base}.txt"


def _plain(rel: str, shown: str) -> bool:
    """The readable name says `rel` exactly, and no other rel's plain name is the same."""
    parts = rel.split("/")
    if not all(p not in ("", ".", "..") and p == safe_name(p) for p in parts) or _TAG.search(shown):
        return False
    name = parts[-1]
    if name.endswith(".xlsx"):  # shown as its stem: that stem must not read as another kind of file
        return len(name) > 5 and not shown.casefold().endswith(_SHOWN_WHOLE)
    return name.endswith(_SHOWN_WHOLE)  # shown whole (exactly this spelling of the extension)


def write_report(staged: StagedFile, verdict: Verdict, feedback_dir: Path, *, language: str, now: dt.datetime,
                 message: Callable[[Finding], str]) -> list[Path]:
    """Write the annotated copy and its text twin, each atomically; returns the paths written.

    Only the text is written when the workbook cannot be opened (a file.* error, or openpyxl
    refuses it). Older reports for the same file that this one supersedes (the other
    language, or a marked copy when only text could be made now) are deleted.
    Raises DiskError when a report cannot be written.
    """
    language = language if language in TEXT else "da"
    xlsx, txt = report_paths(staged.rel, feedback_dir, language)
    written: list[Path] = []
    sheets: list[str] = []
    try:
        if not any(f.rule.startswith("file.") for f in verdict.errors):  # nothing openpyxl should open
            workbook = annotate(staged.staged, verdict, language=language, now=now, rel=staged.rel,
                                message=message)
            if workbook is not None and _saved(xlsx, workbook.save, staged.rel):
                sheets = workbook.sheetnames
                written.append(xlsx)
        body = text_report(staged.rel, verdict, language=language, now=now, message=message,
                           copy=xlsx.name if written else None, sheets=sheets)
        atomic_write(txt, lambda tmp: tmp.write_bytes(body.encode("utf-8-sig")))  # BOM: Notepad shows æøå
        written.append(txt)
    except OSError as exc:
        raise DiskError(f"cannot write the report for {staged.rel} in {txt.parent}: {exc.strerror or exc}") from exc
    for other in SUFFIX:
        for stale in report_paths(staged.rel, feedback_dir, other):
            if stale not in written:
                remove_quietly(stale)
    logger.info("report for {} written: {}", staged.rel, ", ".join(p.name for p in written))
    return written


def remove_report(rel: str, feedback_dir: Path, archive_dir: Path, now: dt.datetime) -> list[Path]:
    """Move the reports for `rel` (any language) to archive/feedback/YYYY/MM/, under names never
    reused ('YYYYMMDDTHHMMSSZ_<name>', then '-2' …); returns where they went. Empty folders
    left behind in feedback_dir are removed. Raises DiskError when a move fails."""
    utc = now.replace(tzinfo=dt.UTC) if now.tzinfo is None else now.astimezone(dt.UTC)
    folder = archive_dir / "feedback" / f"{utc:%Y}" / f"{utc:%m}"
    moved = []
    for language in SUFFIX:
        for path in report_paths(rel, feedback_dir, language):
            if path.is_file() and not path.is_symlink():
                target = _move(path, folder, f"{utc:%Y%m%dT%H%M%SZ}_{path.name}")
                if target is not None:
                    moved.append(target)
    _prune(report_paths(rel, feedback_dir)[0].parent, feedback_dir)
    return moved


def _saved(path: Path, save: Callable[[Path], None], rel: str) -> bool:
    """atomic_write(path, save); False when openpyxl cannot write what it loaded (the text report
    still goes out). OSError (disk full, no access) is raised: that is ours to retry."""
    try:
        atomic_write(path, save)
    except OSError:
        raise
    except Exception as exc:
        logger.warning("report for {}: no marked-up copy, openpyxl cannot save it ({})", rel, type(exc).__name__)
        return False
    return True


def _move(path: Path, folder: Path, name: str) -> Path | None:
    """path → folder/name (or name-2 …), never over an existing file; read-only afterwards."""
    try:
        ensure_dir(folder)
        target, fd = _create_unique(folder, name)  # reserves the name (O_EXCL)
        os.close(fd)
    except OSError as exc:
        raise DiskError(f"cannot archive the report {path.name} in {folder}: {exc.strerror or exc}") from exc
    try:
        try:
            os.replace(path, target)
        except OSError as exc:
            if exc.errno != errno.EXDEV:
                raise
            shutil.copyfile(path, target)  # the archive is on another drive: copy, then delete
            with open(target, "rb") as f:
                os.fsync(f.fileno())
            path.unlink()
        fsync_dir(folder)
        fsync_dir(path.parent)
        os.chmod(target, 0o444)
    except FileNotFoundError:  # gone meanwhile: nothing to keep
        remove_quietly(target)
        return None
    except OSError as exc:
        if path.exists():
            remove_quietly(target)
        raise DiskError(f"cannot archive the report {path.name} to {target}: {exc.strerror or exc}") from exc
    return target


def _prune(folder: Path, root: Path) -> None:
    """Remove empty folders from `folder` up to (not including) `root`."""
    try:
        folder.resolve().relative_to(root.resolve())
    except (OSError, ValueError):
        return
    while folder != root and folder.is_dir():
        try:
            folder.rmdir()
        except OSError:  # not empty (another file's report), or not ours to remove
            return
        folder = folder.parent

