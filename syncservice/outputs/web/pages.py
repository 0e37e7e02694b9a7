"""The reviewers' pages, in Danish: Datasette metadata (titles, descriptions, canned queries).

    config → metadata(config) → the dict Datasette takes as metadata=

Each page is a canned query named for what a reviewer asks; Datasette gives each one a
form for its parameters (blank: all) and its CSV and JSON exports. The SQL reads the
store's tables as store_schema.py declares them, and only reads: the web view opens the
store read-only (web.py). `mangler_paa()` is the SQL function web_plugin.py registers.
"""

from __future__ import annotations

from typing import Any

from schemas import KINDS
from syncservice.base.config import Config

DATABASE = "indberetninger"  # the store's name in the web view's addresses: /indberetninger/…

# The verdicts as the reviewers read them; the store keeps the English words.
_VERDICT = ("CASE f.verdict WHEN 'accepted' THEN 'godkendt' WHEN 'rejected' THEN 'afvist'"
            " WHEN 'unchanged' THEN 'uændret' ELSE f.verdict END")
_CELLS = "(SELECT group_concat(c.value, ', ') FROM json_each(g.cells) c)"

AFVISTE = f"""
SELECT f.path AS "Fil", f.received_at AS "Modtaget", g.sheet AS "Ark", {_CELLS} AS "Celle",
       g."column" AS "Kolonne", g.value AS "Værdi", g.rule AS "Regel", g.message AS "Besked",
       f.id AS "Fejlrapport"
FROM latest_judged n
JOIN files f ON f.id = n.file_id
JOIN findings g ON g.file_id = f.id AND g.severity = 'error'
WHERE f.verdict = 'rejected' AND n.path NOT IN (SELECT path FROM gone)  -- deleted: no longer rejected now (WORKBOOKS.md §9)
  AND (:enhed = '' OR EXISTS (SELECT 1 FROM json_each(f.sheets) s WHERE json_extract(s.value, '$.unit') = :enhed))
ORDER BY f.path, g.id
"""

AFGOERELSER = f"""
SELECT f.id AS "Nr.", f.received_at AS "Modtaget", f.path AS "Fil", {_VERDICT} AS "Afgørelse",
       (SELECT group_concat(DISTINCT json_extract(s.value, '$.unit')) FROM json_each(f.sheets) s) AS "Enhed",
       (SELECT group_concat(DISTINCT json_extract(s.value, '$.kind')) FROM json_each(f.sheets) s) AS "Skema",
       f.error_count AS "Fejl", f.warning_count AS "Advarsler",
       (SELECT group_concat(DISTINCT g.rule) FROM findings g WHERE g.file_id = f.id) AS "Regler"
FROM files f
WHERE (:enhed = '' OR EXISTS (SELECT 1 FROM json_each(f.sheets) s WHERE json_extract(s.value, '$.unit') = :enhed))
  AND (:skema = '' OR EXISTS (SELECT 1 FROM json_each(f.sheets) s WHERE json_extract(s.value, '$.kind') = :skema))
  AND (:fra = '' OR f.received_at >= :fra)
  AND (:til = '' OR f.received_at < date(:til, '+1 day'))
  AND (:afgoerelse = '' OR :afgoerelse IN (f.verdict, {_VERDICT}))
  AND (:regel = '' OR EXISTS (SELECT 1 FROM findings g WHERE g.file_id = f.id AND g.rule = :regel))
ORDER BY f.id DESC
"""

# One row per change of each version (a version without changes: one row); the figure
# before and after as sheet Ændringer shows them (summary_lists._before_after). The first
# 300 versions (a page's most rows) are picked first; the one each replaced, and the one
# that replaced it, are then two lookups in the index on (kind, unit, year) each.
VERSIONER = """
WITH shown AS (
  SELECT v.id, v.kind, v.unit, v.year, v.file_id, v.first_file_id, v.sheet, v.accepted_at FROM versions v
  WHERE (:skema = '' OR v.kind = :skema) AND (:enhed = '' OR v.unit = :enhed)
    AND (:aar = '' OR v.year = CAST(:aar AS INTEGER))
  ORDER BY v.kind, v.unit, v.year, v.id DESC
  LIMIT 300
)
SELECT v.kind AS "Skema", v.unit AS "Enhed", v.year AS "År", v.id AS "Version", v.accepted_at AS "Godkendt",
       f.path AS "Fil",
       (SELECT max(p.id) FROM versions p WHERE p.kind = v.kind AND p.unit = v.unit AND p.year = v.year
                                           AND p.id < v.id) AS "Erstattede",
       (SELECT min(p.id) FROM versions p WHERE p.kind = v.kind AND p.unit = v.unit AND p.year = v.year
                                           AND p.id > v.id) AS "Erstattet af",
       CASE WHEN c.version_id IS NULL THEN '' ELSE 'ja' END AS "Gældende",
       g.sheet || '!' || (SELECT group_concat(x.value, ', ') FROM json_each(g.cells) x) AS "Ark!Celle",
       json_extract(g.params, '$.line') AS "Linje",
       CASE g.rule WHEN 'change.start_vs_last_end' THEN json_extract(g.params, '$.end')
                   WHEN 'change.other_path' THEN json_extract(g.params, '$.other')
                   ELSE json_extract(g.params, '$.old') END AS "Før",
       CASE g.rule WHEN 'change.other_path' THEN f.path
                   ELSE coalesce(json_extract(g.params, '$.new'), g.value) END AS "Nu",
       g.message AS "Ændring"
FROM shown v
JOIN files f ON f.id = v.file_id
LEFT JOIN current c ON c.version_id = v.id
LEFT JOIN findings g ON g.file_id = COALESCE(v.first_file_id, v.file_id) AND g.sheet = v.sheet AND g.rule LIKE 'change.%'
ORDER BY v.kind, v.unit, v.year, v.id DESC, g.id
"""

MANGLER = """
SELECT json_extract(m.value, '$.unit') AS "Enhed", json_extract(m.value, '$.kind') AS "Skema",
       json_extract(m.value, '$.year') AS "År", json_extract(m.value, '$.period') AS "Periode",
       json_extract(m.value, '$.due') AS "Frist", json_extract(m.value, '$.status') AS "Status",
       json_extract(m.value, '$.latest_file') AS "Seneste fil"
FROM json_each(mangler_paa(:dato)) m
"""

# A finding's unit: that of the file's one report sheet, as most files have, else that of
# the sheet it is on; a finding on the file itself (a .xls, a broken zip) has none.
# MATERIALIZED: the unit is worked out once per error, not once per use.
HYPPIGSTE = """
WITH e AS MATERIALIZED (
  SELECT f.id AS file_id, f.received_at, g.rule, g.message,
         CASE WHEN json_array_length(f.sheets) = 1 THEN json_extract(f.sheets, '$[0].unit')
              ELSE coalesce((SELECT json_extract(s.value, '$.unit') FROM json_each(f.sheets) s
                             WHERE json_extract(s.value, '$.sheet') = g.sheet), '') END AS unit
  FROM findings g JOIN files f ON f.id = g.file_id
  WHERE g.severity = 'error' AND f.verdict = 'rejected' AND (:fra = '' OR f.received_at >= :fra)
)
SELECT unit AS "Enhed", rule AS "Regel", count(DISTINCT file_id) AS "Afviste filer", count(*) AS "Fejl",
       max(received_at) AS "Senest", min(message) AS "Eksempel"
FROM e
WHERE :enhed = '' OR unit = :enhed
GROUP BY unit, rule
ORDER BY unit, "Afviste filer" DESC, "Fejl" DESC, rule
"""

QUERIES: dict[str, dict[str, Any]] = {
    "afviste-lige-nu": {
        "title": "Afviste lige nu",
        "description": "Hver fil, hvis nyeste udgave blev afvist, med dens fejl: arket, cellen, hvad der stod "
                       "der, og beskeden personen fik. Fejlrapporten er den rapport, personen fik i mappen "
                       "med tilbagemeldinger. Filtrér på enhed, eller lad feltet stå tomt for alle.",
        "sql": AFVISTE,
    },
    "alle-afgoerelser": {
        "title": "Alle afgørelser",
        "description": "Hver fil modtaget, nyeste først (højst 300), med afgørelsen og reglerne bag dens fejl "
                       f"og advarsler. Filtrér på enhed, skema ({', '.join(KINDS)}), dato "
                       "(fra og til, ÅÅÅÅ-MM-DD), afgørelse (godkendt, afvist, uændret) og regel; tomme felter "
                       "filtrerer ikke.",
        "sql": AFGOERELSER,
    },
    "versioner-af-en-rapport": {
        "title": "Versioner af en rapport",
        "description": "Hver godkendt version af en indberetning (skema, enhed, år), nyeste først: hvilken "
                       "version den erstattede, og hvilken der erstattede den, om den gælder nu, og hvad der "
                       "ændrede sig i forhold til den forrige (som arket Ændringer i den samlede oversigt). "
                       "Højst 300 rækker: vælg skema, enhed og år for én indberetning.",
        "sql": VERSIONER,
    },
    "mangler": {
        "title": "Mangler",
        "description": "Hvem der ikke har indberettet: for hver enhed og hvert skema med frister i config.toml "
                       "den periode, der er forfalden på dagen (tom: i dag), og dens status, som "
                       "kommandoen syncservice missing viser den: mangler, afvist, forældet, for sent eller ok.",
        "sql": MANGLER,
    },
    "hyppigste-fejl": {
        "title": "Hyppigste fejl",
        "description": "De regler, der afviser flest filer, for hver enhed: hvor mange afviste filer og fejl, "
                       "hvornår senest, og et eksempel på beskeden. Filtrér på enhed og på dato (fra, ÅÅÅÅ-MM-DD).",
        "sql": HYPPIGSTE,
    },
}

TABLES: dict[str, dict[str, Any]] = {
    "files": {
        "title": "Filer modtaget",
        "description": "Hver fil, tjenesten har modtaget, med afgørelsen: godkendt (accepted), afvist "
                       "(rejected) eller uændret (unchanged: de samme bytes gemt igen).",
        "columns": {"path": "Filen i den overvågede mappe", "file_name": "Filnavnet",
                    "sha256": "Filens fingeraftryk (SHA-256)", "size": "Størrelse i bytes",
                    "saved_at": "Hvornår filen blev gemt (UTC)", "received_at": "Hvornår tjenesten modtog den (UTC)",
                    "verdict": "Afgørelsen", "archive_path": "Kopien i arkivet",
                    "error_count": "Antal fejl", "warning_count": "Antal advarsler",
                    "sheets": "Indberetningsarkene i filen (ark, skema, enhed, år)"},
    },
    "versions": {
        "title": "Versioner",
        "description": "Hver godkendt version af en indberetning (skema, enhed, år).",
        "columns": {"kind": "Skemaet", "unit": "Enheden", "year": "Året", "file_id": "Filen, den kom fra",
                    "sheet": "Arket", "accepted_at": "Hvornår den blev godkendt (UTC)",
                    "amount_unit": "Beløbsenhed i filen", "as_of": "Opgjort pr.",
                    "through": "Sidste kvartal, den dækker", "content_hash": "Fingeraftryk af indholdet"},
    },
    "findings": {
        "title": "Fejl og advarsler",
        "description": "Hver fejl og advarsel, en fil fik, med reglen og beskeden, som personen fik den.",
        "columns": {"file_id": "Filen", "severity": "error (fejl) eller warning (advarsel)", "rule": "Reglen",
                    "sheet": "Arket", "cells": "Cellerne", "column": "Kolonnen", "value": "Hvad der stod",
                    "message": "Beskeden"},
    },
    "figures": {
        "title": "Tal",
        "description": "Hvert tal i hver godkendt version.",
        "columns": {"version_id": "Versionen", "line": "Linjen", "metric": "Størrelsen", "period": "Perioden",
                    "value": "Tallet (kr. eller antal)", "cell": "Cellen"},
    },
    "current": {
        "title": "Gældende versioner",
        "description": "Den version, der gælder nu, for hver indberetning: den, den samlede oversigt viser.",
    },
    "outbox": {  # syncservice/notify.py, sender.py
        "title": "Beskeder",
        "description": "Hver besked til en person (afvisning, godkendt igen, påmindelse, status til økonomi), "
                       "én række pr. modtager, og om den er sendt: queued (i kø), sending, sent, uncertain "
                       "(afbrudt under afsendelse; sendes ikke igen) eller cancelled.",
        "columns": {"event": "Hvad beskeden handler om", "target": "Modtageren, som config.toml skriver den",
                    "path": "Filen", "subject": "Emnet", "body": "Teksten", "state": "Tilstanden",
                    "attempts": "Forsøg", "queued_at": "Lagt i kø (UTC)", "next_at": "Næste forsøg (UTC)",
                    "sent_at": "Sendt (UTC)", "last_error": "Seneste fejl ved afsendelse"},
    },
    # the store's own bookkeeping, not for reading
    "notice_state": {"hidden": True},
    "latest_judged": {"hidden": True},
    "file_reports": {"hidden": True},
    "_sqlite_migrations": {"hidden": True},
}


def metadata(config: Config) -> dict[str, Any]:
    """The web view's metadata: Danish titles and descriptions, the pages, who may see them."""
    meta: dict[str, Any] = {
        "title": "Indberetninger",
        "description": "Afgørelser, versioner og hvem der mangler, som syncservice har gemt dem. Kun til "
                       "læsning: siderne ændrer intet.",
        "databases": {DATABASE: {
            "title": "Indberetninger",
            "description": "Vælg en side under Queries; hver side kan hentes som CSV og JSON. En side viser højst "
                           "300 rækker (filtrér for at se færre); tabellerne bladrer videre og kan hentes hele som CSV.",
            "queries": {name: {**page, "hide_sql": True} for name, page in QUERIES.items()},
            "tables": TABLES,
        }},
        # Own SQL on the pages: only when web.allow_sql is set, and then still read-only.
        "allow_sql": True if config.get("web", "allow_sql") else False,
    }
    if config.get("web", "password_hash"):
        user = config.get("web", "username")
        meta["allow"] = {"id": user}  # every page, for the one logged-in user only
        meta["plugins"] = {"datasette-auth-passwords": {
            # resolved by Datasette from the environment (web.py sets it), so /-/metadata never shows it
            f"{user}_password_hash": {"$env": PASSWORD_ENV}}}
    return meta


PASSWORD_ENV = "SYNCSERVICE_WEB_PASSWORD_HASH"
