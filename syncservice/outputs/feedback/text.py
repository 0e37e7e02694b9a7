"""The words of the rejection report, and its plain-text twin (used by feedback.py and
feedback_sheet.py): Verdict → ordered findings, a heading, and the .txt body.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable

from syncservice.base import localtime
from syncservice.base.models import ERROR, WARNING, Finding, Verdict
from syncservice.rules.messages import shown_value

TEXT = {
    "da": {
        "title_rejected": "Projektmappen er afvist",
        "title_warnings": "Projektmappen er godkendt med advarsler",
        "file": "Fil", "checked": "Kontrolleret",
        "rejected": "Intet fra filen er brugt; den seneste godkendte version gælder stadig.",
        "errors": "FEJL", "warnings": "ADVARSLER", "error": "Fejl", "warning": "Advarsel",
        "whole_file": "(hele filen)", "column": "kolonne", "found": "fundet",
        "copy": "Den markerede kopi af projektmappen ligger ved siden af denne fil: «{name}».",
        "no_copy": "Projektmappen kunne ikke åbnes, så der er ingen markeret kopi; kun denne tekst.",
        "fix": "Ret i din egen fil og gem den igen det samme sted; så kontrolleres den igen.",
    },
    "en": {
        "title_rejected": "The workbook was rejected",
        "title_warnings": "The workbook was accepted with warnings",
        "file": "File", "checked": "Checked",
        "rejected": "Nothing from the file was used; the last accepted version still applies.",
        "errors": "ERRORS", "warnings": "WARNINGS", "error": "Error", "warning": "Warning",
        "whole_file": "(the whole file)", "column": "column", "found": "found",
        "copy": "The marked-up copy of the workbook is beside this file: «{name}».",
        "no_copy": "The workbook could not be opened, so there is no marked-up copy; only this text.",
        "fix": "Correct your own file and save it again in the same place; it is then checked again.",
    },
}

_CELL = re.compile(r"^\$?([A-Z]{1,3})\$?([0-9]{1,7})$")


def ordered(verdict: Verdict, sheets: list[str]) -> list[Finding]:
    """Errors, then warnings; within each, file-level first, then by sheet (in `sheets`'
    order, else first mention), then by the first cell's row and column."""
    findings = [*verdict.errors, *verdict.warnings]
    order = {name: i for i, name in enumerate(dict.fromkeys([*sheets, *(f.sheet for f in findings if f.sheet)]))}

    def key(f: Finding) -> tuple[bool, int, int, int]:
        row, col = position(f.cells[0]) if f.cells else (0, 0)
        return f.severity != ERROR, order.get(f.sheet, -1), row, col

    return sorted(findings, key=key)


def position(ref: str) -> tuple[int, int]:
    """'C7' → (7, 3); (0, 0) for anything that is not one cell."""
    m = _CELL.match(ref.upper())
    if not m:
        return 0, 0
    col = 0
    for ch in m.group(1):
        col = col * 26 + ord(ch) - 64
    return int(m.group(2)), col


def local_time(now: dt.datetime, language: str) -> str:
    """The time as the person's clock shows it: '03.10.2016 kl. 16.05' / '2016-10-03 16:05'."""
    local = localtime.local(now)  # output.timezone
    return f"{local:%d.%m.%Y} kl. {local:%H.%M}" if language == "da" else f"{local:%Y-%m-%d %H:%M}"


def counts(verdict: Verdict, language: str) -> str:
    """'2 fejl og 1 advarsel', '1 fejl' / '2 errors and 1 warning'; a zero count is left out."""
    e, w = len(verdict.errors), len(verdict.warnings)
    if language == "da":
        words = [f"{e} fejl"] * bool(e) + [f"{w} advarsel" if w == 1 else f"{w} advarsler"] * bool(w)
    else:
        words = [f"{e} error" + "s" * (e != 1)] * bool(e) + [f"{w} warning" + "s" * (w != 1)] * bool(w)
    return f" {'og' if language == 'da' else 'and'} ".join(words) or ("0 fejl" if language == "da" else "0 errors")


def heading(verdict: Verdict, language: str) -> tuple[str, str]:
    """(title, the count line) shared by both reports."""
    t = TEXT[language]
    if verdict.errors:
        return t["title_rejected"], f"{counts(verdict, language)}. {t['rejected']}"
    return t["title_warnings"], f"{counts(verdict, language)}."


def plain(value: object) -> str:
    """Staff text on one line: control characters (line breaks, tabs, NUL) become spaces."""
    return "".join(" " if unicodedata.category(c) == "Cc" else c for c in str(value)).strip()


def text_report(rel: str, verdict: Verdict, *, language: str, now: dt.datetime,
                message: Callable[[Finding], str], copy: str | None, sheets: list[str] | None = None) -> str:
    """The plain-text twin, CRLF line endings (Notepad); the caller adds the UTF-8 BOM.

    `copy` names the marked-up workbook beside it, or None when there is none."""
    t = TEXT[language]
    title, count_line = heading(verdict, language)
    lines = [title, "=" * len(title), "", f"{t['file']}: {plain(rel)}",
             f"{t['checked']}: {local_time(now, language)}", "", count_line,
             t["copy"].format(name=copy) if copy else t["no_copy"], t["fix"]]
    findings = ordered(verdict, sheets or [])
    for severity, label in ((ERROR, t["errors"]), (WARNING, t["warnings"])):
        group = [f for f in findings if f.severity == severity]
        if not group:
            continue
        lines += ["", f"{label} ({len(group)})"]
        for n, f in enumerate(group, start=1):
            details = [f"{t['column']}: {plain(f.column)}"] if f.column else []
            found = shown_value(f, language)
            details += [f"{t['found']}: «{plain(found)}»"] if found else []
            where = plain(f.location) or t["whole_file"]
            lines += ["", f"{n}. {where}" + (f"  ({'; '.join(details)})" if details else ""),
                      f"   {plain(message(f))}"]
    return "\r\n".join(lines) + "\r\n"
