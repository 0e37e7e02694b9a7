"""The words of the messages to people (notify.py queues them): (subject, body), in Danish or English.

    rejected(rel, verdict, report, …)  → the first errors (cell, what is wrong, what to do) and the report's path
    all_clear(rel, …)                  → the fix is accepted
    reminder(standing, days, …)        → a unit has not reported a period due soon
    digest(kind, due, rows, …)         → finance, the day after a deadline: who is behind
    test(…)                            → `syncservice notify test`

Plain text: e-mail shows it as written, Teams and the rest as one text block. Text from a
workbook (a value, a sheet name) is put on one line (feedback_text.plain).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from pathlib import Path

from syncservice.base.models import ERROR, Verdict
from syncservice.outputs.feedback.text import local_time, ordered, plain
from syncservice.outputs.missing import AFVIST, FOR_SENT, FORAELDET, MANGLER, Standing
from syncservice.rules import messages

FIRST_ERRORS = 5  # shown in the message; the report has every one

WORDS = {
    "da": {
        "rejected_subject": "Afvist: {name} ({count} fejl)",
        "rejected_intro": "Projektmappen «{rel}» er afvist ved kontrollen {when}: den har {count} fejl. Intet "
                          "fra filen er brugt; den seneste godkendte version gælder stadig.",
        "first": "De første fejl:" , "all": "Fejlene:",
        "more": "… og {n} fejl mere: se rapporten.",
        "whole_file": "Filen", "fix_label": "Sådan retter du",
        "report": "Rapporten, med hver fejl markeret i en kopi af projektmappen:",
        "attached": "(Rapporten er vedhæftet, hvor beskeden kan bære filer, som e-mail.)",
        "not_yet": "(Rapporten er ikke skrevet endnu, fordi mappen ikke kunne skrives i; den kommer der.)",
        "fix": "Ret i din egen fil og gem den igen det samme sted; så kontrolleres den igen med det samme.",
        "bye": "Venlig hilsen\nsyncservice",
        "clear_subject": "Godkendt: {name}",
        "clear_body": "Den rettede projektmappe «{rel}» er godkendt {when}. Fejlrapporten er taget væk, og "
                      "tallene er nu med i den samlede oversigt.",
        "remind_subject": "Påmindelse: {title}{period} {year} skal indberettes senest {due}",
        "remind_body": "Til {unit}\n\nFristen for {title}{period} {year} er {due}, om {days}. {why}",
        "why_" + MANGLER: "Der er endnu ikke modtaget nogen godkendt indberetning for perioden.",
        "why_" + AFVIST: "Den seneste fil, «{file}», blev afvist; se rapporten i mappen med tilbagemeldinger "
                         "og gem en rettet fil.",
        "why_" + FORAELDET: "Den godkendte indberetning, «{file}», dækker kun en tidligere periode.",
        "days_0": "i dag", "days_1": "i morgen", "days_n": "{n} dage",
        "digest_subject": "Status efter fristen {due}: {title}{period} {year} ({behind} af {total} mangler)",
        "digest_body": "Fristen for {title}{period} {year} var {due}. Status {today}:",
        "digest_none": "Alle {total} enheder har indberettet til tiden.",
        "digest_ok": "{n} af {total} enheder har indberettet til tiden.",
        "latest": "seneste fil",
        "test_subject": "Test fra syncservice",
        "test_body": "Dette er en test fra syncservice ({who}). Når den frem, kan tjenestens beskeder nå "
                     "denne modtager.",
        "finance": "økonomi",
    },
    "en": {
        "rejected_subject": "Rejected: {name} ({count} errors)",
        "rejected_intro": "The workbook «{rel}» was rejected when checked {when}: it has {count} errors. "
                          "Nothing from it is used; the last accepted version stays in force.",
        "first": "The first errors:", "all": "The errors:",
        "more": "… and {n} more errors: see the report.",
        "whole_file": "The file", "fix_label": "To fix it",
        "report": "The report, with each error marked in a copy of the workbook:",
        "attached": "(The report is attached where the message can carry files, as e-mail does.)",
        "not_yet": "(The report is not written yet: its folder could not be written to; it will be there.)",
        "fix": "Fix your own file and save it again in the same place; it is checked again at once.",
        "bye": "Regards,\nsyncservice",
        "clear_subject": "Accepted: {name}",
        "clear_body": "The corrected workbook «{rel}» was accepted {when}. The error report is taken away, "
                      "and its figures are now in the consolidated workbook.",
        "remind_subject": "Reminder: {title}{period} {year} is due by {due}",
        "remind_body": "To {unit}\n\nThe deadline for {title}{period} {year} is {due}, {days}. {why}",
        "why_" + MANGLER: "No accepted report for the period has arrived yet.",
        "why_" + AFVIST: "The latest file, «{file}», was rejected; see its report in the feedback folder and "
                         "save a corrected file.",
        "why_" + FORAELDET: "The accepted report, «{file}», covers only an earlier period.",
        "days_0": "today", "days_1": "tomorrow", "days_n": "in {n} days",
        "digest_subject": "After the deadline {due}: {title}{period} {year} ({behind} of {total} behind)",
        "digest_body": "The deadline for {title}{period} {year} was {due}. As of {today}:",
        "digest_none": "All {total} units reported in time.",
        "digest_ok": "{n} of {total} units reported in time.",
        "latest": "latest file",
        "test_subject": "Test from syncservice",
        "test_body": "This is a test from syncservice ({who}). If it arrives, messages reach this target.",
        "finance": "finance",
    },
}


def _w(language: str) -> dict[str, str]:
    return WORDS.get(language, WORDS["da"])


def _date(day: dt.date, language: str) -> str:
    return day.strftime("%d.%m.%Y") if language == "da" else day.isoformat()


def _kind_title(kind: str) -> str:
    from schemas import KINDS  # here: the kinds load only when a message is written

    return KINDS[kind].title if kind in KINDS else kind


def rejected(rel: str, verdict: Verdict, report: Path, *, when: dt.datetime, language: str = "da"
             ) -> tuple[str, str]:
    """The rejection message: subject naming the file and the count of errors; the first errors,
    each with its cell, what is wrong and what to do; the report's path."""
    w = _w(language)
    errors = [f for f in ordered(verdict, [s.sheet for s in verdict.sheets]) if f.severity == ERROR]
    name = plain(Path(rel).name)
    subject = w["rejected_subject"].format(name=name, count=len(errors))
    lines = [w["rejected_intro"].format(rel=plain(rel), when=local_time(when, language), count=len(errors)), "",
             w["first"] if len(errors) > FIRST_ERRORS else w["all"], ""]
    for i, finding in enumerate(errors[:FIRST_ERRORS], start=1):
        what, fix = messages.parts(finding, language)
        lines.append(f"{i}. {plain(finding.location) or w['whole_file']}: {plain(what)}")
        if fix:
            lines.append(f"   {w['fix_label']}: {plain(fix)}")
    if len(errors) > FIRST_ERRORS:
        lines.append(w["more"].format(n=len(errors) - FIRST_ERRORS))
    lines += ["", w["report"], str(report), "", w["fix"], "", w["bye"]]
    return subject, "\n".join(lines)


def report_note(attached: bool, language: str = "da") -> str:
    """Added when sending: whether the report went with the message, or is not written yet."""
    w = _w(language)
    return w["attached"] if attached else w["not_yet"]


def all_clear(rel: str, *, when: dt.datetime, language: str = "da") -> tuple[str, str]:
    w = _w(language)
    return (w["clear_subject"].format(name=plain(Path(rel).name)),
            w["clear_body"].format(rel=plain(rel), when=local_time(when, language)) + "\n\n" + w["bye"])


def _period(standing_period: str) -> str:
    return f" {standing_period}" if standing_period else ""


def reminder(standing: Standing, today: dt.date, language: str = "da") -> tuple[str, str]:
    """To a unit that has not reported the period due on standing.due (mangler, afvist, forældet)."""
    w = _w(language)
    days = (standing.due - today).days
    in_days = w["days_0"] if days == 0 else w["days_1"] if days == 1 else w["days_n"].format(n=days)
    fields = {"title": _kind_title(standing.kind), "period": _period(standing.period), "year": standing.year,
              "due": _date(standing.due, language), "unit": plain(standing.unit), "days": in_days}
    why = w["why_" + standing.status].format(file=plain(standing.latest_file or ""))
    return (w["remind_subject"].format(**fields),
            w["remind_body"].format(**fields, why=why) + "\n\n" + w["bye"])


def digest(rows: Iterable[Standing], today: dt.date, language: str = "da") -> tuple[str, str]:
    """To finance, after the deadline of one kind's period: every unit not ok, by status."""
    rows = list(rows)
    w = _w(language)
    first = rows[0]
    behind = [r for r in rows if r.status in (MANGLER, AFVIST, FORAELDET, FOR_SENT)]
    fields = {"title": _kind_title(first.kind), "period": _period(first.period), "year": first.year,
              "due": _date(first.due, language), "today": _date(today, language), "behind": len(behind),
              "total": len(rows)}
    lines = [w["digest_body"].format(**fields), ""]
    order = (MANGLER, AFVIST, FORAELDET, FOR_SENT)
    for row in sorted(behind, key=lambda r: (order.index(r.status), r.unit)):
        latest = f" ({w['latest']}: {plain(row.latest_file)})" if row.latest_file else ""
        lines.append(f"{row.status:<9} {plain(row.unit)}{latest}")
    ok = len(rows) - len(behind)
    summary = w["digest_ok"].format(n=ok, total=len(rows)) if behind else w["digest_none"].format(total=len(rows))
    lines += ["", summary]
    return w["digest_subject"].format(**fields), "\n".join(lines) + "\n\n" + w["bye"]


def test(who: str | None, language: str = "da") -> tuple[str, str]:
    w = _w(language)
    return w["test_subject"], w["test_body"].format(who=plain(who) if who else w["finance"]) + "\n\n" + w["bye"]
