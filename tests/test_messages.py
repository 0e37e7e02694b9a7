"""Every rule the service can report, the engine's and every kind's, has Danish and English
text a caseworker can act on: the engine's catalogue and each kind's own messages."""

from __future__ import annotations

import ast
import re
import sys
import string
from pathlib import Path

import pytest

from schemas import KINDS
from syncservice.messages import CATALOGUE, HELP, all_texts, parts, render
from syncservice.models import ERROR, Finding

RULES = all_texts()  # the engine's catalogue, then each kind's own messages

ROOT = Path(__file__).resolve().parent.parent
ENGINE_FIELDS = {"value", "column", "cells", "sheet"}
# The params each rule's finding carries, as the code that raises it supplies them (typical values).
TYPICAL: dict[str, dict[str, object]] = {
    "file.empty": {}, "file.encrypted": {}, "file.xls": {}, "file.xlsb": {}, "file.ods": {}, "file.csv": {},
    "file.template": {}, "file.not_workbook": {}, "file.no_report_sheet": {}, "file.internal": {},
    "file.strict": {},
    "file.extension": {"extension": ".numbers"},
    "file.corrupt": {"reason": "BadZipFile"},
    "file.too_large": {"unpacked_mb": 512, "limit_mb": 300},
    "file.too_big": {"size_mb": 80, "limit_mb": 50},
    "file.too_slow": {"seconds": 60},
    "file.unreadable": {"reason": "filen er låst"},
    "sheet.skipped": {}, "sheet.no_header": {}, "table.empty": {},
    "sheet.header_incomplete": {"row": 8, "kind": "Handleplan", "missing": "«Område»",
                                "labels": "Område / Tiltag / Indsats"},
    "sheet.too_many_rows": {"limit": 200_000},
    "sheet.unknown_column": {"first": "H9", "columns": ["Spor", "Tiltag", "Status"], "low": 2000, "high": 2100}, "table.rows_after_blank": {"blank_row": 13, "row": 14},
    "report.duplicate_sheet": {"unit": "Handicap & Psykiatri, Ballerup", "year": 2016, "kind": "tilgang_afgang",
                               "other_sheet": "Ark2"},
    "report.unknown_unit": {"closest": "Dagtilbud Vest"},
    "meta.missing": {"field": "Enhed"}, "meta.empty": {"field": "Opgjort pr."},
    "meta.unit": {"formula": False}, "meta.year": {"formula": False}, "meta.as_of": {"formula": False},
    "meta.amount_unit": {"formula": False},
    "meta.amount_unit_conflict": {"first": "1.000 kr.", "other": "mio. kr."},
    "value.not_number": {}, "value.decimal_point": {}, "value.date": {}, "value.formula_no_cache": {"count": 11},
    "value.percent": {"type": "amount"}, "value.hidden_format": {"count": 3},
    "sheet.hidden": {}, "table.hidden_rows": {"rows": "12, 13"}, "table.hidden_columns": {"columns": "C"},
    "value.formula_error": {}, "value.missing": {}, "value.negative": {}, "value.not_whole": {},
    "value.too_large": {},
    "row.name_missing": {},
    "row.duplicate": {"first_row": 9, "first_cell": "A9"},
    "row.looks_like_total": {},
    "total.mismatch": {"expected": "16,7", "difference": "0,3"},
    "total.not_allowed": {"kind": "Bruttobesparelse"},
    "handleplan.negative": {},
    "handleplan.realised_exceeds_expected": {"expected": 3.4},
    "handleplan.as_of_outside_year": {"year": 2015},
    "effekt.status": {},
    "effekt.years_too_few": {"count": 1},
    "effekt.years_sequence": {"expected": 2022},
    "tilgang.quarters": {"quarter": 3, "expected": 2, "missing": "Afgang"},
    "tilgang.end_label": {"through": 3, "year": 2016, "expected": "30/9 2016", "empty": [3]},
    "tilgang.balance": {"computed": 22, "line": "Krumtappen"},
    "tilgang.running_negative": {"count": -1, "quarter": 2, "line": "Krumtappen"},
    "tilgang.over_capacity": {"count": 22, "line": "Krumtappen"},
    "change.other_path": {"other": "Ballerup/Kopi af skabelon.xlsx", "unit": "Ballerup", "year": 2016},
    "change.older_save": {"other": "Ballerup/Tilgang.xlsx", "unit": "Ballerup", "year": 2016, "version": 4},
    "change.period_back": {"new": 2, "old": 3, "other": "Ballerup/Tilgang.xlsx", "version": 4},
    "report.unit_spelling": {"kept": "Handicap & Psykiatri, Ballerup"},
    "change.figure": {"line": "Krumtappen", "period": "K2", "old": "1", "new": "2", "version": 4},
    "change.realised_decreased": {"line": "BPA", "old": "200.000", "new": "150.000"},
    "change.start_vs_last_end": {"line": "Krumtappen", "end": "22", "year": 2015},
}
# filled in by render() from the params (the engine's, or the kind's message_fields)
DERIVED = {"sheet.unknown_column": {"known"}, "tilgang.quarters": {"problem"},
           "tilgang.end_label": {"period", "empty_text"}, "change.period_back": {"new_period", "old_period"}}


def params_of(rule: str) -> dict[str, object]:
    """The typical params above, or, for a rule of a kind this file does not know, a
    plausible value for each placeholder its texts use: a new kind's messages are checked
    with no change here."""
    if rule in TYPICAL:
        return dict(TYPICAL[rule])
    names = {name for language in RULES[rule].values() for template in language for name in fields(template)}
    return {name: 2016 for name in sorted(names - ENGINE_FIELDS)}
PYTHONISH = re.compile(r"Traceback|Error:|Exception|KeyError|ValueError|\bNone\b|\bnan\b|\bself\b|__|\{|\}")


def typical(rule: str) -> Finding:
    return Finding(rule, ERROR, "Tilgang og afgang", ("H7",), "Ultimo", "23", params_of(rule))


def fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}


def test_every_rule_of_the_engine_and_the_three_first_kinds_has_typical_params_here():
    assert set(TYPICAL) <= set(RULES)
    assert set(CATALOGUE) <= set(TYPICAL)


def test_the_engine_catalogue_names_no_kind():
    """What a kind emits is in its own module; the engine's catalogue is about every workbook."""
    for rule in CATALOGUE:
        assert rule.split(".")[0] not in {name.split("_")[0] for name in KINDS}, rule
    for kind in KINDS.values():
        assert not set(kind.messages) & set(CATALOGUE), kind.name


@pytest.mark.parametrize("rule", sorted(RULES))
def test_every_rule_has_danish_and_english_what_and_fix(rule):
    assert set(RULES[rule]) == {"da", "en"}
    for language in ("da", "en"):
        what, fix = RULES[rule][language]
        assert what.strip() and fix.strip(), (rule, language)
        assert what.rstrip().endswith((".", ")")) and fix.rstrip().endswith((".", ")")), (rule, language)


@pytest.mark.parametrize("rule", sorted(RULES))
def test_placeholders_are_ones_the_engine_supplies(rule):
    allowed = ENGINE_FIELDS | set(params_of(rule)) | DERIVED.get(rule, set())
    for language in ("da", "en"):
        for template in RULES[rule][language]:
            assert fields(template) <= allowed, (rule, language, fields(template) - allowed)


@pytest.mark.parametrize("language", ["da", "en"])
@pytest.mark.parametrize("rule", sorted(RULES))
def test_render_fills_every_placeholder_and_reads_like_a_person_wrote_it(rule, language):
    finding = typical(rule)
    message = render(finding, language)
    what, fix = parts(finding, language)
    assert message == f"{what} {fix}"
    assert "?" not in message  # the stand-in for a missing placeholder
    assert not PYTHONISH.search(message), message
    assert rule not in message


@pytest.mark.parametrize("rule", sorted(RULES))
def test_danish_and_english_differ(rule):
    assert render(typical(rule), "da") != render(typical(rule), "en")


def test_render_survives_a_finding_without_params():
    for rule in RULES:
        for language in ("da", "en"):
            message = render(Finding(rule, ERROR), language)
            assert message and "{" not in message and "None" not in message


def test_an_unknown_language_falls_back_to_danish():
    assert render(typical("value.not_number"), "de") == render(typical("value.not_number"), "da")


def test_staff_text_with_braces_is_not_taken_for_a_placeholder():
    finding = Finding("value.not_number", ERROR, "Ark1", ("C9",), "Mål", "{value} {0} {__class__}")
    assert "«{value} {0} {__class__}»" in render(finding)


def test_every_rule_id_in_the_code_has_a_message():
    """Each dotted string in the engine whose prefix is a rule family must have a message."""
    families = {rule.split(".")[0] for rule in RULES}
    pattern = re.compile(rf"^(?:{'|'.join(sorted(families))})\.[a-z_]+$")
    found: set[str] = set()
    for folder in ("syncservice", "schemas"):
        for path in (ROOT / folder).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Constant) and isinstance(node.value, str) and pattern.match(node.value):
                    found.add(node.value)
    assert found, "the scan found no rule ids at all"
    assert found - set(RULES) - set(HELP) == set()  # HELP: a template's column help, keyed alike


@pytest.mark.parametrize("name", sorted(KINDS))
def test_every_rule_a_kind_can_emit_has_its_message_in_the_kind_or_the_engine(name):
    """Walks the kind's own module: every rule id it writes (a dotted id of a family the
    service knows, or of its own name) is declared in its messages or is the engine's."""
    kind = KINDS[name]
    module = sys.modules[_module_of(kind)]
    own = {rule.split(".")[0] for rule in kind.messages} | {name, *CATALOGUE_FAMILIES}
    pattern = re.compile(rf"^(?:{'|'.join(sorted(own))})\.[a-z_]+$")
    ids = {node.value for node in ast.walk(ast.parse(Path(module.__file__).read_text(encoding="utf-8")))
           if isinstance(node, ast.Constant) and isinstance(node.value, str) and pattern.match(node.value)}
    assert ids - set(kind.messages) - set(CATALOGUE) == set(), name


CATALOGUE_FAMILIES = {rule.split(".")[0] for rule in CATALOGUE}


def _module_of(kind) -> str:
    """The schemas module that declares `kind` (its KIND)."""
    return next(m for m, mod in sys.modules.items()
                if m.startswith("schemas.") and getattr(mod, "KIND", None) is kind)
