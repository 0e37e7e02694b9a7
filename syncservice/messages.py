"""Every message a person reads about their workbook, keyed by rule id, in Danish and English.

This catalogue holds what concerns every workbook (files, sheets, metadata, numbers,
totals, changes across versions); each kind's module in schemas/ holds the text of the
rules it emits and of its template help (Kind.messages, Kind.help). `texts(rule)` finds either.

Each entry is (what is wrong, what to do). Placeholders: {value}, {column}, {cells},
{sheet} and the finding's params. Written for a caseworker, not a programmer.
"""

from __future__ import annotations

import datetime as dt
import string
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from syncservice.models import Finding

if TYPE_CHECKING:
    from syncservice.layout import Kind

SAVE_AS = "Åbn filen i Excel og gem den som Excel-projektmappe (.xlsx)."
SAVE_AS_EN = "Open the file in Excel and save it as an Excel Workbook (.xlsx)."

CATALOGUE: dict[str, dict[str, tuple[str, str]]] = {
    # --- the file itself -------------------------------------------------------------
    "file.empty": {
        "da": ("Filen er tom (0 byte).", "Gem projektmappen igen fra Excel."),
        "en": ("The file is empty (0 bytes).", "Save the workbook again from Excel."),
    },
    "file.encrypted": {
        "da": ("Projektmappen er beskyttet med adgangskode, så den kan ikke læses.",
               "Fjern adgangskoden (Filer > Info > Beskyt projektmappe) og gem igen."),
        "en": ("The workbook is password-protected and cannot be read.",
               "Remove the password (File > Info > Protect Workbook) and save again."),
    },
    "file.xls": {
        "da": ("Filen er i det gamle Excel-format (.xls).", SAVE_AS),
        "en": ("The file is in the old Excel format (.xls).", SAVE_AS_EN),
    },
    "file.xlsb": {
        "da": ("Filen er en binær Excel-projektmappe (.xlsb).", SAVE_AS),
        "en": ("The file is an Excel binary workbook (.xlsb).", SAVE_AS_EN),
    },
    "file.ods": {
        "da": ("Filen er et OpenDocument-regneark (.ods).",
               "Gem filen som Excel-projektmappe (.xlsx) (i LibreOffice: Filer > Gem som > Excel 2007-365)."),
        "en": ("The file is an OpenDocument spreadsheet (.ods).",
               "Save it as an Excel Workbook (.xlsx) (in LibreOffice: File > Save As > Excel 2007-365)."),
    },
    "file.csv": {
        "da": ("Filen er en CSV-tekstfil, ikke en projektmappe.", SAVE_AS),
        "en": ("The file is a CSV text file, not a workbook.", SAVE_AS_EN),
    },
    "file.template": {
        "da": ("Filen er en Excel-skabelon, ikke en projektmappe.", SAVE_AS),
        "en": ("The file is an Excel template, not a workbook.", SAVE_AS_EN),
    },
    "file.extension": {
        "da": ("Filtypen {extension} kan ikke læses.", SAVE_AS),
        "en": ("Files of type {extension} cannot be read.", SAVE_AS_EN),
    },
    "file.strict": {
        "da": ("Filen er gemt som «Strict Open XML-regneark», som tjenesten ikke kan læse.",
               "Åbn filen i Excel og gem den som «Excel-projektmappe (.xlsx)» (ikke «Strict Open XML-regneark»)."),
        "en": ("The file is saved as a «Strict Open XML Spreadsheet», which the service cannot read.",
               "Open the file in Excel and save it as «Excel Workbook (.xlsx)» (not «Strict Open XML Spreadsheet»)."),
    },
    "file.not_workbook": {
        "da": ("Filen er ikke en gyldig Excel-projektmappe (den er beskadiget eller af en anden type).",
               "Gem filen som Excel-projektmappe (.xlsx)."),
        "en": ("The file is not a valid Excel workbook (it is damaged or of another type).",
               "Save the file as an Excel Workbook (.xlsx)."),
    },
    "file.corrupt": {
        "da": ("Projektmappen er beskadiget og kan ikke læses.",
               "Åbn den i Excel; hvis Excel tilbyder at reparere den, så gør det, og gem igen som .xlsx."),
        "en": ("The workbook is damaged and cannot be read.",
               "Open it in Excel; if Excel offers to repair it, do so, and save again as .xlsx."),
    },
    "file.too_large": {
        "da": ("Projektmappen fylder {unpacked_mb} MB udpakket; grænsen er {limit_mb} MB.",
               "Fjern billeder og ark, der ikke hører til indberetningen, og gem igen."),
        "en": ("The workbook unpacks to {unpacked_mb} MB; the limit is {limit_mb} MB.",
               "Remove pictures and sheets that are not part of the report and save again."),
    },
    "file.too_big": {
        "da": ("Filen fylder {size_mb} MB; grænsen er {limit_mb} MB.",
               "Fjern billeder og ark, der ikke hører til indberetningen, og gem igen."),
        "en": ("The file is {size_mb} MB; the limit is {limit_mb} MB.",
               "Remove pictures and sheets that are not part of the report and save again."),
    },
    "file.too_slow": {
        "da": ("Projektmappen kunne ikke læses inden for {seconds} sekunder.",
               "Fjern ark med store datamængder, der ikke hører til indberetningen, og gem igen."),
        "en": ("The workbook could not be read within {seconds} seconds.",
               "Remove large sheets that are not part of the report and save again."),
    },
    "file.no_report_sheet": {
        "da": ("Projektmappen indeholder intet ark med en indberetning.",
               "Brug en skabelon: et ark skal have Enhed og År over tabellen og en overskriftsrække "
               "som i skabelonen (fx Område | Mål | Realiseret | Forventet)."),
        "en": ("The workbook has no sheet holding a report.",
               "Use a template: a sheet needs Enhed and År above its table and a header row as in the "
               "template (e.g. Område | Mål | Realiseret | Forventet)."),
    },
    "file.unreadable": {
        "da": ("Filen kunne ikke læses; den blev ændret eller flyttet, er ikke en almindelig fil, eller "
               "tjenesten har ikke adgang til den.",
               "Kontrollér, at filen findes, ikke er ved at blive gemt, og at tjenesten må læse den "
               "(filens rettigheder), og gem den igen."),
        "en": ("The file could not be read; it changed or moved, is not a regular file, or the service "
               "has no access to it.",
               "Check the file exists, is not being saved, and that the service may read it (the file's "
               "permissions), and save it again."),
    },
    "file.internal": {
        "da": ("Tjenesten kunne ikke behandle projektmappen på grund af en fejl i tjenesten selv.",
               "Kontakt den, der driver syncservice; din fil er gemt i arkivet og går ikke tabt."),
        "en": ("The service could not process the workbook because of a fault in the service itself.",
               "Contact whoever runs syncservice; your file is kept in the archive and is not lost."),
    },
    # --- sheets ----------------------------------------------------------------------
    "sheet.skipped": {
        "da": ("Arket «{sheet}» er ikke en indberetning og er sprunget over.",
               "Intet at gøre, hvis arket er noter eller en vejledning."),
        "en": ("Sheet «{sheet}» is not a report and was skipped.",
               "Nothing to do if the sheet holds notes or instructions."),
    },
    "sheet.hidden": {
        "da": ("Arket «{sheet}» er skjult, men indeholder en indberetning; dens tal er læst med som alle andre.",
               "Er det meningen, er der intet at gøre. Ellers vis arket (højreklik på en arkfane > Vis), "
               "og ret eller slet det."),
        "en": ("Sheet «{sheet}» is hidden but holds a report; its figures are read like any other.",
               "If that is intended, there is nothing to do. Otherwise unhide the sheet (right-click a sheet "
               "tab > Unhide), and correct or delete it."),
    },
    "table.hidden_rows": {
        "da": ("Række {rows} i tabellen er skjult; tallene i dem er læst med som alle andre.",
               "Vis rækkerne (markér rækkerne omkring dem, højreklik > Vis), og kontrollér tallene; slet de "
               "rækker, der ikke hører til."),
        "en": ("Row {rows} of the table is hidden; their figures are read like any other.",
               "Unhide the rows (select the rows around them, right-click > Unhide), and check the figures; "
               "delete the rows that do not belong."),
    },
    "table.hidden_columns": {
        "da": ("Kolonne {columns} i tabellen er skjult; tallene i dem er læst med som alle andre.",
               "Vis kolonnerne (markér kolonnerne omkring dem, højreklik > Vis), og kontrollér tallene."),
        "en": ("Column {columns} of the table is hidden; their figures are read like any other.",
               "Unhide the columns (select the columns around them, right-click > Unhide), and check the "
               "figures."),
    },
    "sheet.no_header": {
        "da": ("Arket har Enhed/År over tabellen, men ingen overskriftsrække, der kan genkendes, "
               "i de første 30 rækker.",
               "Skriv kolonneoverskrifterne som i skabelonen (fx Område | Mål | Realiseret | Forventet)."),
        "en": ("The sheet has Enhed/År above its table but no recognisable header row in its first 30 rows.",
               "Write the column headers as in the template (e.g. Område | Mål | Realiseret | Forventet)."),
    },
    "sheet.header_incomplete": {
        "da": ("Række {row} ligner overskriften til {kind}, men kolonnen {missing} kan ikke genkendes.",
               "Skriv overskriften, som skabelonen gør ({labels}); en tilføjelse som et år eller en dato "
               "efter ordet er i orden."),
        "en": ("Row {row} looks like the header of {kind}, but the column {missing} cannot be recognised.",
               "Write the header as the template does ({labels}); a year or a date after the word is fine."),
    },
    "sheet.unknown_column": {
        "da": ("Kolonnen «{value}» er ikke en af skemaets kolonner, men der står tal under den (fx i {first}); "
               "de tal bliver ikke læst og ville gå tabt.",
               "Giv kolonnen en overskrift, skemaet kender ({known}), eller flyt kolonnen ud af tabellen "
               "eller slet den."),
        "en": ("The column «{value}» is none of the form's columns, but there are figures under it (e.g. in "
               "{first}); they are not read and would be lost.",
               "Give the column a header the form knows ({known}), or move the column out of the table "
               "or delete it."),
    },
    "sheet.too_many_rows": {
        "da": ("Tabellen har flere end {limit} rækker.", "Del indberetningen op i flere ark eller filer."),
        "en": ("The table has more than {limit} rows.", "Split the report over several sheets or files."),
    },
    "table.empty": {
        "da": ("Tabellen har ingen rækker under overskriften.", "Udfyld tabellen under overskriftsrækken."),
        "en": ("The table has no rows under its header.", "Fill in the table below the header row."),
    },
    "table.rows_after_blank": {
        "da": ("Tabellen slutter ved den tomme række {blank_row}, så række {row} («{value}») og rækkerne under "
               "den er ikke læst med.",
               "Slet den tomme række, hvis rækkerne under den hører til tabellen."),
        "en": ("The table ends at the empty row {blank_row}, so row {row} («{value}») and the rows below it "
               "were not read.",
               "Delete the empty row if the rows below it belong to the table."),
    },
    "report.duplicate_sheet": {
        "da": ("Indberetningen for {unit} {year} ({kind}) findes også på arket «{other_sheet}».",
               "Slet det ene ark, eller ret Enhed/År, så hvert ark er sin egen indberetning."),
        "en": ("The report for {unit} {year} ({kind}) is also on sheet «{other_sheet}».",
               "Delete one of the sheets, or correct Enhed/År so each sheet is its own report."),
    },
    "report.unknown_unit": {  # syncservice/reporting.py: Enhed is not in reporting.units
        "da": ("Enheden «{value}» er ikke på listen over enheder, der skal indberette; nærmest er «{closest}».",
               "Mente du «{closest}», så ret Enhed til præcis det navn; ellers skal enheden føjes til "
               "listen (reporting.units i config.toml), så indberetningen bliver ventet."),
        "en": ("The unit «{value}» is not on the list of units that must report; the closest is «{closest}».",
               "If you meant «{closest}», correct Enhed to exactly that name; otherwise the unit must be added "
               "to the list (reporting.units in config.toml) so its report is expected."),
    },
    "report.unit_spelling": {  # syncservice/units.py: one unit, however it is written
        "da": ("Enheden er skrevet «{value}», men kendes allerede som «{kept}». Tallene regnes til «{kept}» "
               "og vises under det navn.",
               "Skriv Enhed præcis som «{kept}», så navnet er det samme i alle filer."),
        "en": ("The unit is written «{value}», but is already known as «{kept}». The figures count for «{kept}» "
               "and are shown under that name.",
               "Write Enhed exactly as «{kept}», so the name is the same in every file."),
    },
    # --- metadata --------------------------------------------------------------------
    "meta.missing": {
        "da": ("Feltet «{field}» mangler over tabellen.",
               "Skriv «{field}» i en celle over tabellen og værdien i cellen til højre."),
        "en": ("The field «{field}» is missing above the table.",
               "Write «{field}» in a cell above the table and its value in the cell to its right."),
    },
    "meta.empty": {
        "da": ("«{field}» står over tabellen, men cellen til højre for den er tom.",
               "Skriv værdien i {cells}, lige til højre for «{field}»."),
        "en": ("«{field}» stands above the table, but the cell to its right is empty.",
               "Write the value in {cells}, just right of «{field}»."),
    },
    "meta.unit": {
        "da": ("Enheden er tom.", "Skriv enhedens navn, fx «Handicap & Psykiatri, Ballerup»."),
        "en": ("The unit is empty.", "Write the unit's name, e.g. «Handicap & Psykiatri, Ballerup»."),
    },
    "meta.year": {
        "da": ("«{value}» er ikke et årstal.", "Skriv året med fire cifre, fx 2025."),
        "en": ("«{value}» is not a year.", "Write the year with four digits, e.g. 2025."),
    },
    "meta.as_of": {
        "da": ("«{value}» er ikke en dato.", "Skriv datoen som 30.11.2025, eller som en Excel-dato."),
        "en": ("«{value}» is not a date.", "Write the date as 30.11.2025, or as an Excel date."),
    },
    "meta.amount_unit": {
        "da": ("Beløbsenheden «{value}» kendes ikke.", "Skriv «kr.», «1.000 kr.» eller «mio. kr.»."),
        "en": ("The amount unit «{value}» is unknown.", "Write «kr.», «1.000 kr.» or «mio. kr.»."),
    },
    "meta.amount_unit_conflict": {
        "da": ("Beløbsenheden står to steder med forskellig enhed: {first} og {other} (cellerne {cells}).",
               "Ret den ene, så begge steder nævner den samme enhed, eller slet den ene."),
        "en": ("The amount unit stands in two places with different units: {first} and {other} (cells {cells}).",
               "Correct one so both name the same unit, or delete one."),
    },
    # --- values ----------------------------------------------------------------------
    "value.not_number": {
        "da": ("«{value}» i kolonnen {column} er ikke et tal.",
               "Skriv kun tallet, fx 16,7 eller 1.600 (en streg «-» betyder 0)."),
        "en": ("«{value}» in column {column} is not a number.",
               "Write only the number, e.g. 16,7 or 1.600 (a dash «-» means 0)."),
    },
    "value.decimal_point": {
        "da": ("«{value}» i kolonnen {column} bruger punktum som decimaltegn.",
               "Skriv decimaler med komma, fx 16,7; punktum bruges kun til tusinder (1.600)."),
        "en": ("«{value}» in column {column} uses a point as decimal sign.",
               "Write decimals with a comma, e.g. 16,7; a point only groups thousands (1.600)."),
    },
    "value.date": {
        "da": ("Cellen i kolonnen {column} indeholder en dato ({value}), ikke et tal.",
               "Skriv tallet, og sæt cellens format til Tal (Hjem > Talformat)."),
        "en": ("The cell in column {column} holds a date ({value}), not a number.",
               "Write the number and set the cell's format to Number (Home > Number Format)."),
    },
    "value.formula_no_cache": {
        "da": ("Formlerne i {count} celle(r) er aldrig blevet beregnet, så de har ingen værdi at læse "
               "(filen er ikke åbnet og gemt i et regneark).",
               "Åbn projektmappen i Excel, så formlerne beregnes, og gem den igen."),
        "en": ("The formulas in {count} cell(s) were never calculated, so they have no value to read "
               "(the file was never opened and saved in a spreadsheet program).",
               "Open the workbook in Excel so the formulas are calculated, and save it again."),
    },
    "value.percent": {
        "da": ("«{value}» i kolonnen {column} er en procentsats, men kolonnen indeholder beløb eller antal, "
               "ikke procenter.",
               "Skriv beløbet eller antallet uden %, og sæt cellens format til Tal (Hjem > Talformat); hører "
               "procenten til et andet tal, så skriv den i en kolonne for sig."),
        "en": ("«{value}» in column {column} is a percentage, but the column holds amounts or counts, "
               "not percentages.",
               "Write the amount or the count without %, and set the cell's format to Number (Home > Number "
               "Format); if the percentage belongs to another figure, write it in a column of its own."),
    },
    "value.hidden_format": {
        "da": ("{count} celle(r) i tabellen har et talformat, der skjuler værdien (fx ;;;), så den ikke ses; "
               "værdierne er læst med som alle andre.",
               "Sæt cellernes format til Tal eller Standard (Hjem > Talformat), og kontrollér tallene."),
        "en": ("{count} cell(s) in the table have a number format that hides the value (e.g. ;;;), so it "
               "cannot be seen; the values are read like any other.",
               "Set the cells' format to Number or General (Home > Number Format), and check the figures."),
    },
    "value.formula_error": {
        "da": ("Formlen i kolonnen {column} giver fejlen {value}.",
               "Ret formlen, så den giver et tal, eller skriv tallet direkte."),
        "en": ("The formula in column {column} gives the error {value}.",
               "Correct the formula so it gives a number, or type the number."),
    },
    "value.missing": {
        "da": ("Cellen i kolonnen {column} er tom.", "Skriv tallet; skriv 0 eller «-», hvis det er nul."),
        "en": ("The cell in column {column} is empty.", "Write the number; write 0 or «-» if it is zero."),
    },
    "value.negative": {
        "da": ("{column} er negativ ({value}); den skal være 0 eller derover.", "Ret tallet."),
        "en": ("{column} is negative ({value}); it must be 0 or more.", "Correct the number."),
    },
    "value.too_large": {
        "da": ("«{value}» i kolonnen {column} er alt for stort til at være et tal i en indberetning.",
               "Ret tallet; kontrollér beløbsenheden (kr., 1.000 kr. eller mio. kr.)."),
        "en": ("«{value}» in column {column} is far too large to be a figure of a report.",
               "Correct the number; check the amount unit (kr., 1.000 kr. or mio. kr.)."),
    },
    "value.not_whole": {
        "da": ("{column} skal være et helt antal personer, men er {value}.", "Skriv et helt tal."),
        "en": ("{column} must be a whole number of people, but is {value}.", "Write a whole number."),
    },
    # --- rows and totals ---------------------------------------------------------------
    "row.name_missing": {
        "da": ("Rækken har tal, men intet navn i kolonnen {column}.",
               "Skriv navnet, eller slet rækken, hvis den ikke hører til."),
        "en": ("The row has figures but no name in column {column}.",
               "Write the name, or delete the row if it does not belong."),
    },
    "row.looks_like_total": {
        "da": ("Rækken «{value}» ligner en totalrække, men dens tal er ikke summen af de andre rækker, "
               "så den er talt med som en almindelig række.",
               "Er det en total, så skriv blot «I alt» i cellen og ret tallene. Er det en almindelig række, "
               "er der intet at gøre."),
        "en": ("The row «{value}» looks like a total row, but its figures are not the sum of the other rows, "
               "so it is counted as an ordinary row.",
               "If it is a total, write just «I alt» in the cell and correct the figures. If it is an ordinary "
               "row, there is nothing to do."),
    },
    "row.duplicate": {
        "da": ("«{value}» står to gange; første gang i række {first_row} ({first_cell}).",
               "Slå de to rækker sammen, eller giv dem forskellige navne."),
        "en": ("«{value}» appears twice; first in row {first_row} ({first_cell}).",
               "Merge the two rows, or give them different names."),
    },
    "total.mismatch": {
        "da": ("Totalen i kolonnen {column} er {value}, men rækkerne giver {expected} "
               "(forskel {difference}).",
               "Ret totalen eller de tal, der er forkerte."),
        "en": ("The total in column {column} is {value}, but the rows add up to {expected} "
               "(difference {difference}).",
               "Correct the total or the figures that are wrong."),
    },
    "total.not_allowed": {
        "da": ("Rækken «{value}» er en totalrække, men linjerne i {kind} lægges ikke sammen: hver linje er en ny "
               "opgørelse af det samme.",
               "Slet totalrækken."),
        "en": ("The row «{value}» is a total row, but the lines of {kind} do not add up: each line is a new estimate "
               "of the same thing.",
               "Delete the total row."),
    },
    # --- across versions (WORKBOOKS.md §5) ---------------------------------------------
    "change.other_path": {
        "da": ("Indberetningen for {unit} {year} kom før fra en anden fil: «{other}». Denne fil er gemt senere, "
               "så den gælder nu.",
               "Hvis filen er en kopi af en skabelon, så ret Enhed, så den passer til din enhed."),
        "en": ("The report for {unit} {year} came from another file before: «{other}». This file was saved later, "
               "so it now applies.",
               "If this file is a copy of a template, correct Enhed to your own unit."),
    },
    "change.older_save": {  # syncservice/store.py saved_before: the file saved last is in force
        "da": ("Indberetningen for {unit} {year} findes også i «{other}», som er gemt senere end denne fil. "
               "Tallene fra «{other}» gælder fortsat; denne fil er kun gemt i historikken.",
               "Er det denne fil, der har de rigtige tal, så åbn den og gem den igen; ellers kan den slettes. "
               "Er den en kopi af en skabelon, så ret Enhed, så den passer til din enhed."),
        "en": ("The report for {unit} {year} is also in «{other}», which was saved later than this file. "
               "The figures from «{other}» still apply; this file is only kept in the history.",
               "If this file holds the right figures, open it and save it again; otherwise it can be deleted. "
               "If it is a copy of a template, correct Enhed to your own unit."),
    },
    "change.period_back": {  # WORKBOOKS.md §5: a version never goes back in time
        "da": ("Rapporten går kun {new_period}, men den gældende version («{other}») går {old_period}. "
               "Den er derfor ikke godkendt, og den gældende version gælder fortsat.",
               "Det ligner en ældre kopi: gem den nyeste udgave af rapporten ({old_period} eller senere)."),
        "en": ("The report only goes {new_period}, but the version in force («{other}») goes {old_period}. "
               "It is therefore not accepted, and the version in force still applies.",
               "This looks like an older copy: save the newest copy of the report ({old_period} or later)."),
    },
    "change.figure": {
        "da": ("{column} {period} for {line} var {old} i den forrige godkendte version og er nu {new}.",
               "Intet at gøre, hvis rettelsen er tilsigtet; ellers ret tallet."),
        "en": ("{column} {period} for {line} was {old} in the previous accepted version and is now {new}.",
               "Nothing to do if the correction is intended; otherwise correct the figure."),
    },
}


# Per rule, the params that are figures (amounts, counts): written in the reader's language.
# Other numbers (a year, a row, a version, a quarter) are written as they are: 2015, not 2.015.
FIGURE_PARAMS: dict[str, frozenset[str]] = {
    "total.mismatch": frozenset({"expected", "difference"}),
    "change.figure": frozenset({"old", "new"}),
}


def texts(rule: str) -> Mapping[str, tuple[str, str]] | None:
    """A rule's {language: (what, fix)}: the engine's own, else the kind's that emits it."""
    entry = CATALOGUE.get(rule)
    if entry is not None:
        return entry
    kind = _kind_of(rule)
    return kind.messages[rule] if kind is not None else None


def all_texts() -> dict[str, Mapping[str, tuple[str, str]]]:
    """Every rule the service can report, with its texts: the engine's, then each kind's in
    discovery order (docs/workbooks.md's rules table, tests/test_messages.py)."""
    out: dict[str, Mapping[str, tuple[str, str]]] = dict(CATALOGUE)
    for kind in _kinds().values():
        out.update(kind.messages)
    return out


def _kinds() -> Mapping[str, Kind]:
    from schemas import KINDS  # here, not at import: the kinds' modules import the engine

    return KINDS


def _kind_of(rule: str) -> Kind | None:
    """The kind whose module declares `rule`'s text, if any."""
    return next((k for k in _kinds().values() if rule in k.messages), None)


def number_text(value: float, language: str = "da", decimals: int | None = None) -> str:
    """1234.5 → '1.234,5' in Danish, '1,234.5' in English: as Excel shows a number in a
    sheet with thousands separators. `decimals` fixed, or as many as it has (at most 6)."""
    text = f"{value:,.{decimals}f}" if decimals is not None else f"{value:,.6f}".rstrip("0").rstrip(".")
    if text.lstrip("-").strip("0,.") == "":  # -0,00 is 0,00
        text = text.lstrip("-")
    if language == "da":
        text = text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")
    return text


def shown_value(finding: Finding, language: str = "da") -> str:
    """The value found as the reader should see it: a number cell's number in their
    language, anything typed exactly as typed."""
    if finding.numeric and finding.value:
        try:
            return number_text(float(finding.value), language)
        except ValueError:
            pass
    return finding.value


def figure_params(finding: Finding, language: str = "da") -> dict[str, Any]:
    """The finding's params, its figures written in `language` (a store from before they
    were kept as numbers holds them as text already: left as they are)."""
    kind = _kind_of(finding.rule)
    figures = FIGURE_PARAMS.get(finding.rule) or (kind.figure_params.get(finding.rule) if kind else None) or frozenset()
    decimals = finding.params.get("decimals")
    return {k: number_text(v, language, decimals)
            if k in figures and isinstance(v, (int, float)) and not isinstance(v, bool) else v
            for k, v in finding.params.items()}


def render(finding: Finding, language: str = "da") -> str:
    """The full message: what is wrong, then what to do."""
    if texts(finding.rule) is None:  # a rule without text is a bug of ours; still say something useful
        return f"{finding.rule}: {finding.value}"
    what, fix = parts(finding, language)
    return f"{what} {fix}"


def parts(finding: Finding, language: str = "da") -> tuple[str, str]:
    """(what is wrong, what to do), filled in; the two halves render() joins.

    An unknown rule gives (rule: value, '') rather than failing: a gap in the catalogue
    must not cost the person their report (tests/test_messages.py keeps it from happening).
    """
    entry = texts(finding.rule)
    if entry is None:
        return f"{finding.rule}: {finding.value}", ""
    what, fix = entry.get(language) or entry["da"]
    fields: dict[str, Any] = {"value": shown_value(finding, language), "column": finding.column,
                              "sheet": finding.sheet, "cells": ", ".join(finding.cells),
                              **figure_params(finding, language)}
    if finding.rule == "change.period_back":  # a count the kind names, or an as-of date
        for key in ("new", "old"):
            fields[f"{key}_period"] = _period_text(fields.get(key), fields.get("kind"), language)
    if finding.rule == "sheet.unknown_column":
        fields["known"] = _known_columns(fields, language)
    kind = _kind_of(finding.rule)
    if kind is not None and kind.message_fields is not None:  # placeholders a kind derives from its params
        kind.message_fields(finding, language, fields)
    return _fill(what, fields), _fill(fix, fields)


def _period_text(period: Any, kind: Any, language: str) -> str:
    """What a report goes through, as a person reads it: its kind's count in the kind's words
    (3 → 'til og med K3'), or an as-of date ('2016-09-30' → 'til og med 30.09.2016')."""
    if isinstance(period, int) and not isinstance(period, bool):
        through = getattr(_kinds().get(kind), "through", None) if isinstance(kind, str) else None
        if through is not None:
            return through.text(period, language)
        return f"til og med {period}" if language == "da" else f"through {period}"
    if isinstance(period, str) and period:
        try:
            period = dt.date.fromisoformat(period).strftime("%d.%m.%Y")
        except ValueError:
            pass
        return f"til og med {period}" if language == "da" else f"through {period}"
    return "?"


def _known_columns(fields: dict[str, Any], language: str) -> str:
    """'Spor, Tiltag, Status eller et årstal fra 2000 til 2100': the headers a kind knows."""
    names = [str(n) for n in fields.get("columns") or []]
    if fields.get("low") and fields.get("high"):
        names.append(f"et årstal fra {fields['low']} til {fields['high']}" if language == "da"
                     else f"a year from {fields['low']} to {fields['high']}")
    if fields.get("quarters"):
        names.append("Tilgang og Afgang under et kvartal som 1. kv." if language == "da"
                     else "Tilgang and Afgang under a quarter such as K1")
    if len(names) < 2:
        return "".join(names)
    return ", ".join(names[:-1]) + (" eller " if language == "da" else " or ") + names[-1]


class _Blank(dict):
    def __missing__(self, key: str) -> str:
        return "?"


def _fill(template: str, fields: dict[str, Any]) -> str:
    return string.Formatter().vformat(template, (), _Blank(fields))


# --- what belongs where: the help a template shows (syncservice/template.py) ------------------
# The input message on a header or metadata cell, and the alert when a typed value breaks
# the cell's data validation; in the words of the rules above. A kind's own help (Kind.help,
# keyed by column key, 'year', 'quarter', 'in', 'out') comes first; else these, by what every
# kind shares ('total', 'meta.*'), by the type of a column ('type.*'), and
# 'error.*' for the alerts. Each (title, text): Excel allows 32 characters in a title and
# 255 in a text (225 in an alert); tests/test_template.py keeps them within.
HELP: dict[str, dict[str, tuple[str, str]]] = {
    "meta.unit": {
        "da": ("Enhed", "Enhedens navn, præcis som på listen over enheder, der skal indberette."),
        "en": ("Unit", "The unit's name, exactly as on the list of units that must report."),
    },
    "meta.year": {
        "da": ("År", "Året, indberetningen gælder, med fire cifre."),
        "en": ("Year", "The year the report is for, in four digits."),
    },
    "meta.as_of": {
        "da": ("Opgjort pr.", "Datoen, tallene er opgjort pr., fx 30.11.{year}. Den skal ligge i {year} "
                              "eller i første kvartal af året efter."),
        "en": ("As of", "The date the figures are as of, e.g. 30.11.{year}. It must fall in {year} or in the "
                        "first quarter of the next year."),
    },
    "meta.amount_unit": {
        "da": ("Beløb i", "Enheden for alle beløb i tabellen: kr., 1.000 kr. eller mio. kr."),
        "en": ("Amounts in", "The unit of every amount in the table: kr., 1.000 kr. or mio. kr."),
    },
    "total": {
        "da": ("I alt", "Regnes af sig selv: summen af rækkerne nedenunder. Skriv ikke i rækken, og lad "
                        "ingen tomme rækker stå mellem linjerne."),
        "en": ("Total", "Calculated for you: the sum of the rows below. Do not type in this row, and leave no "
                        "empty rows between the lines."),
    },
    # a kind without its own entries above still gets help by the type of its columns
    "type.text": {"da": ("{column}", "Linjens navn. Hver linje én gang."),
                  "en": ("{column}", "The line's name. Each line once.")},
    "type.amount": {"da": ("{column}", "Et beløb i {amount_unit}."), "en": ("{column}", "An amount in {amount_unit}.")},
    "type.count": {"da": ("{column}", "Et helt antal, 0 eller derover."),
                   "en": ("{column}", "A whole number, 0 or more.")},
    "type.status": {"da": ("{column}", "Vælg Grøn, Gul eller Rød."), "en": ("{column}", "Choose Grøn, Gul or Rød.")},
    # the alerts when a typed value breaks a cell's data validation
    "error.count": {"da": ("Et helt tal", "Skriv et helt tal, 0 eller derover."),
                    "en": ("A whole number", "Write a whole number, 0 or more.")},
    "error.amount": {"da": ("Et tal", "Skriv kun tallet, fx 16,7 eller 1600, uden tekst og enhed."),
                     "en": ("A number", "Write only the number, e.g. 16.7 or 1600, without text or unit.")},
    "error.amount_min0": {"da": ("Et tal, 0 eller derover", "Skriv kun tallet, 0 eller derover, fx 16,7."),
                          "en": ("A number, 0 or more", "Write only the number, 0 or more, e.g. 16.7.")},
    "error.status": {"da": ("Grøn, Gul eller Rød", "Vælg Grøn, Gul eller Rød på listen."),
                     "en": ("Grøn, Gul or Rød", "Choose Grøn, Gul or Rød from the list.")},
    "error.duplicate": {"da": ("Står allerede der", "Navnet står allerede i tabellen. Slå rækkerne sammen, "
                                                    "eller giv dem forskellige navne."),
                        "en": ("Already there", "The name is already in the table. Merge the rows, or give "
                                                "them different names.")},
    "error.year": {"da": ("Et årstal", "Skriv året med fire cifre, fx 2026."),
                   "en": ("A year", "Write the year in four digits, e.g. 2026.")},
    "error.date": {"da": ("Dato uden for året", "Datoen ligger uden for {year} og første kvartal af året "
                                                "efter. Er det den rigtige dato?"),
                   "en": ("Date outside the year", "The date is outside {year} and the first quarter of the "
                                                   "next year. Is it the right date?")},
    "error.amount_unit": {"da": ("Beløbsenhed", "Vælg kr., 1.000 kr. eller mio. kr. på listen."),
                          "en": ("Amount unit", "Choose kr., 1.000 kr. or mio. kr. from the list.")},
}


def help_text(key: str, language: str = "da", kind: Kind | None = None, **fields: Any) -> tuple[str, str]:
    """(title, text) of `kind`'s own help for `key`, else HELP[key], filled in; an unknown
    language falls back to Danish."""
    entry = kind.help[key] if kind is not None and key in kind.help else HELP[key]
    title, text = entry.get(language) or entry["da"]
    return _fill(title, fields), _fill(text, fields)
