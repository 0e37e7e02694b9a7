"""What staff type into cells → plain values: Danish numbers, dates, labels, units, quarters.

Pure and stdlib only, so each rule of WORKBOOKS.md §1 and §4 can be tested on its own.
Every function takes a raw cell value (str, int, float, date, None).
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

_SPACE = re.compile(r"\s+")  # str patterns: \s covers NBSP (\xa0), \u202f, tabs, line breaks
_TRAILING_PUNCT = ":.,;* "


@dataclass(frozen=True, slots=True)
class Number:
    """A figure: its value (percent already divided by 100) and the decimals shown."""

    value: float
    decimals: int  # the total tolerance is half a unit of the last decimal shown (§1)
    percent: bool = False  # written with '%': never an amount or a count (§1)


class NotANumber(ValueError):
    """A value in a number column that is not a number; `.reason` is
    'not_number', 'decimal_point' (16.7 typed for 16,7) or 'date'."""

    def __init__(self, reason: str, value: object = None) -> None:
        super().__init__(f"{reason}: {value!r}")
        self.reason = reason
        self.value = value


def is_blank(value: object) -> bool:
    """None or whitespace-only text → True."""
    return value is None or (isinstance(value, str) and not value.strip())


# ---- labels ----------------------------------------------------------------------------


def normalise_label(text: object) -> str:
    """'Realiseret\\n30.11 2015' → 'realiseret 30.11 2015'; 'Mål:' → 'mål'; None → ''."""
    if text is None:
        return ""
    return _SPACE.sub(" ", str(text).casefold()).strip().rstrip(_TRAILING_PUNCT)


def _label_matches_one(label: str, synonym: str) -> bool:
    # A suffix must start with a non-letter so 'Målgruppe' is not 'Mål'.
    # Note 'Status pr.' also matches the shorter synonym 'Status' (prefix + space):
    # callers that hold both use matched_synonym, which prefers the longest.
    if not synonym or not label.startswith(synonym):
        return False
    return len(label) == len(synonym) or not label[len(synonym)].isalpha()


def matched_synonym(text: object, synonyms: Iterable[str]) -> str | None:
    """Cell text, synonyms → the longest synonym it matches (exactly or + a suffix), else None."""
    label = normalise_label(text)
    hits = [s for s in synonyms if _label_matches_one(label, normalise_label(s))]
    return max(hits, key=lambda s: len(normalise_label(s)), default=None)


def label_matches(text: object, synonyms: Iterable[str]) -> bool:
    """'Realiseret 30.11 2015', ['Realiseret'] → True; 'Målgruppe', ['Mål'] → False."""
    return matched_synonym(text, synonyms) is not None


# ---- numbers ---------------------------------------------------------------------------

# Thousands may be grouped with NBSP or a narrow NBSP (Excel's and Word's own output).
_TO_SPACE = str.maketrans({"\xa0": " ", "\u202f": " ", "\u2009": " "})
# U+2212, en and em dash, hyphen (last, so it is literal in a [...] class);
# autocorrect in Word and Outlook turns a typed '-' into a dash before it is pasted.
_MINUS = "\u2212\u2013\u2014-"
_CUR = r"(?:kr\.?|dkk)"
_WRAP = rf"""
    (?:{_CUR}\s*)?                          # 'kr. 1.600'
    (?P<sign>[+{_MINUS}])?\s*                # '- 500.000', '−250', '+5'
    (?:{_CUR}\s*)?                          # '- kr. 500'
    {{body}}
    (?P<trail>(?<=\d)[{_MINUS}])?            # '1.600,00-': SAP and other ledgers put the minus last
    \s*(?:(?P<pct>%)|{_CUR}|kroner)?        # '51%', '1.600 kr.'
"""
_DANISH = re.compile(_WRAP.format(body=r"""
    (?P<int>[1-9]\d{0,2}(?P<sep>[.\ ])\d{3}(?:(?P=sep)\d{3})*|\d+)  # groups of 3, one separator; never 0.500
    (?:,(?P<frac>\d+|-))?                                      # decimal comma; ',-' is whole kroner
"""), re.VERBOSE | re.IGNORECASE)
# English or point-decimal text ('16.7', '1.60', '1,600.50'): refused with its own reason,
# so the message can say "write 16,7" instead of "not a number".
_POINT = re.compile(_WRAP.format(body=r"(?:\d{1,3}(?:,\d{3})+|\d+)\.\d+"), re.VERBOSE | re.IGNORECASE)
_DASH = re.compile(rf"(?:{_CUR}\s*)?[{_MINUS}]\s*(?:{_CUR})?", re.IGNORECASE)  # accounting zero

# Number formats: literal text, escapes, [Red]/[$-406] sections, _x padding and *x fill.
_FORMAT_NOISE = re.compile(r'"[^"]*"|\\.|\[[^\]]*\]|[_*].')
_FORMAT_DECIMALS = re.compile(r"\.([0#?]+)")


def decimals_shown(value: float | int, number_format: str) -> int:
    """Cell value, number format → decimals a spreadsheet shows ('0.0%' → 3, General 16.7 → 1)."""
    fixed = format_decimals(number_format or "")
    if fixed is not None:
        return fixed
    if not math.isfinite(value) or float(value).is_integer():  # the common case, kept cheap
        return 0
    # round first so float noise (0.1 + 0.2) does not count as decimals
    exponent = Decimal(repr(round(value, 10))).normalize().as_tuple().exponent
    return min(max(0, -int(exponent)), 10)


@functools.lru_cache(maxsize=512)
def format_decimals(number_format: str) -> int | None:
    """Decimals a number format fixes, or None for General (the value decides)."""
    # OOXML always stores '.' as the decimal point, whatever the locale.
    section = _FORMAT_NOISE.sub("", number_format).split(";")[0].strip()
    if section.casefold() in {"", "general", "@"}:
        return None
    found = _FORMAT_DECIMALS.search(section)
    return (len(found.group(1)) if found else 0) + (2 if "%" in section else 0)


def parse_number(value: object, number_format: str = "General") -> Number | None:
    """Cell value → Number, None for an empty cell; NotANumber for anything else.

    '16,7' → 16.7/1, '1.600' → 1600/0, '- 500.000 kr.' → -500000, '1.600,00-' → -1600/2,
    '51%' → 0.51/2, '-' → 0.
    """
    if is_blank(value):
        return None
    if isinstance(value, bool):
        raise NotANumber("not_number", value)
    if isinstance(value, (int, float)):
        if not math.isfinite(value):
            raise NotANumber("not_number", value)
        return Number(float(value), decimals_shown(value, number_format))
    if isinstance(value, (dt.date, dt.time, dt.timedelta)):  # datetime is a date
        raise NotANumber("date", value)
    if not isinstance(value, str):
        raise NotANumber("not_number", value)

    text = value.translate(_TO_SPACE).strip()
    parenthesised = text.startswith("(") and text.endswith(")")
    if parenthesised:  # accounting formats show negatives as (500)
        text = text[1:-1].strip()
    if _DASH.fullmatch(text):
        return Number(0.0, 0)
    found = _DANISH.fullmatch(text)
    if found is None or parenthesised + bool(found["trail"]) + bool(found["sign"]) > 1:  # '(-500)', '-500-'
        raise NotANumber("decimal_point" if _POINT.fullmatch(text) else "not_number", value)

    frac = "" if found["frac"] in (None, "-") else found["frac"]
    digits = found["int"].replace(".", "").replace(" ", "")
    percent = found["pct"] is not None
    # 'e-2' lets float() divide by 100 exactly rounded: '16,7%' → 0.167, not 0.16699999…
    number = float(f"{digits}.{frac}e-2" if percent else f"{digits}.{frac}")
    if not math.isfinite(number):  # 400 digits typed as text: float() gives inf, as a cell never could
        raise NotANumber("not_number", value)
    negative = parenthesised or bool(found["trail"]) or (found["sign"] or "+") in _MINUS
    # + 0.0 turns '-0' into 0.0, never a negative zero in outputs
    return Number((-number if negative else number) + 0.0, len(frac) + (2 if percent else 0), percent)


# ---- years and dates -------------------------------------------------------------------

_YEAR = re.compile(r"\d{4}")


def parse_year(value: object) -> int | None:
    """2015, 2015.0, ' 2015 ' → 2015; anything else (incl. years outside 1900..2200) → None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, str) and _YEAR.fullmatch(value.strip()):
        value = int(value.strip())
    return value if isinstance(value, int) and 1900 <= value <= 2200 else None


# Danish month names and their 3-letter abbreviations: 'marts' → 'mar', 'oktober' → 'okt'.
_MONTH_NAMES = "januar februar marts april maj juni juli august september oktober november december"
# English ones too: an English Excel shows a date cell as '30-Nov-2015' and it gets pasted as text.
_ENGLISH_MONTHS = "january february march april may june july august september october november december"
_MONTHS = ({n: i for names in (_MONTH_NAMES, _ENGLISH_MONTHS) for i, full in enumerate(names.split(), 1)
            for n in (full, full[:3])} | {"sept": 9})
_WEEKDAYS = r"(?:man|tirs|ons|tors|fre|lør|søn)dag"
# 'pr. 30.11.2015', 'den 30. november 2015', 'd. 30.11.2015', 'mandag den 30. november 2015'
_DATE_PREFIX = re.compile(rf"^(?:(?:pr\.?|den|d\.|{_WEEKDAYS},?)\s*)+")
_DMY = re.compile(r"(\d{1,2})\s*[./-]\s*(\d{1,2})(?:\s*[./-]\s*|\s+)(\d{4})")  # '30/11 2015'
_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_DAY_MONTH_NAME = re.compile(r"(\d{1,2})\.?[\s/-]*([a-zæøå]+)\.?[\s/-]*(\d{4})")  # '30. nov. 2015', '30-Nov-2015'


def parse_date(value: object) -> dt.date | None:
    """Excel date or Danish date text ('30.11.2015', '30/11 2015', '30. nov. 2015') → date, else None.

    Two-digit years are refused: '30.11.15' could be read several ways; so are years outside
    1900..2200, as parse_year refuses them.
    """
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if not isinstance(value, str):
        return None
    text = _DATE_PREFIX.sub("", _SPACE.sub(" ", value).strip().casefold(), count=1)
    if m := _DMY.fullmatch(text):
        day, month, year = int(m[1]), int(m[2]), int(m[3])
    elif m := _ISO.fullmatch(text):
        year, month, day = int(m[1]), int(m[2]), int(m[3])
    elif (m := _DAY_MONTH_NAME.fullmatch(text)) and m[2] in _MONTHS:
        day, month, year = int(m[1]), _MONTHS[m[2]], int(m[3])
    else:
        return None
    if not 1900 <= year <= 2200:  # '30.11.0201' is a slip of the keys, not the year 201
        return None
    try:
        return dt.date(year, month, day)
    except ValueError:  # 31.02.2015
        return None


# ---- amount unit -----------------------------------------------------------------------

# Matched after dropping case, spaces, dots and brackets: 'i 1.000 kr.' → 'i1000kr'.
# The scale alone is accepted too: a Danish Excel turns '1.000' typed in a cell into 1000.
_AMOUNT_UNIT = re.compile(r"""
    i?                                                      # 'i 1.000 kr.'
    (?: (?:(?P<thousand>1000|t|tusinde?)|(?P<million>mio|mill|millioner|million))
        (?:kr|kroner|dkk)?
      | (?:kr|kroner|dkk) )
""", re.VERBOSE)
_UNITS = {1: ("kr.", 1), 1000: ("1.000 kr.", 1000), 1_000_000: ("mio. kr.", 1_000_000)}


def parse_amount_unit(value: object) -> tuple[str, int] | None:
    """'t.kr.' → ('1.000 kr.', 1000); 'mio. kr.' → ('mio. kr.', 1000000); 'DKK' → ('kr.', 1)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return _UNITS.get(int(value)) if value in _UNITS else None
    if not isinstance(value, str):
        return None
    found = _AMOUNT_UNIT.fullmatch(re.sub(r"[\s.()]", "", value.casefold()))
    if found is None:
        return None
    return _UNITS[1000 if found["thousand"] else 1_000_000 if found["million"] else 1]


# ---- quarters (§4) ---------------------------------------------------------------------

_QUARTER = r"""
    (?: [kq]\s?(?P<a>\d)\b                                  # 'K1', 'Q3'
      | (?P<b>\d)\.?\s*kv(?:artal|t)?\b\.?                  # '1. kv.', '2. kvartal', '3. kvt.'
      | kv(?:artal|t)?\b\.?\s*(?P<c>\d)\b )                 # 'kvartal 4'
    (?:[\s/-]*(?P<year>\d{4})\b)?                           # '1. kv. 2016', 'K2 2017'
"""
_QUARTER_ONLY = re.compile(_QUARTER, re.VERBOSE)
_QUARTER_PREFIX = re.compile(_QUARTER + r"(?:\s*[:–-]\s*|\s+)(?P<rest>[^\W\d_].*)", re.VERBOSE)
# the word first, the quarter as its suffix ('Tilgang K1', 'Afgang 2. kvt. 2016'): §1 lets a label carry one
_QUARTER_SUFFIX = re.compile(r"(?P<rest>[^\W\d_]+)(?:\s*[:–-]\s*|\s+)" + _QUARTER, re.VERBOSE)


def parse_quarter(text: object) -> tuple[int, int | None] | None:
    """'1. kv. 2016' → (1, 2016); 'K1' → (1, None); 'K5' → (5, None), for the caller to refuse."""
    found = _QUARTER_ONLY.fullmatch(normalise_label(text))
    return _quarter_of(found) if found else None


def split_quarter_prefix(text: object) -> tuple[int, str] | None:
    """One-row header 'K1 Tilgang' / '1. kv. 2016 Afgang', or the word first ('Tilgang K1',
    'Afgang 1. kvt.') → (1, 'tilgang'); else None."""
    label = normalise_label(text)
    found = _QUARTER_PREFIX.fullmatch(label) or _QUARTER_SUFFIX.fullmatch(label)
    return (_quarter_of(found)[0], found["rest"]) if found else None


def _quarter_of(found: re.Match[str]) -> tuple[int, int | None]:
    quarter = found["a"] or found["b"] or found["c"]
    return int(quarter), int(found["year"]) if found["year"] else None


# ---- row names -------------------------------------------------------------------------

_FOOTNOTE_MARKER = re.compile(r"(?:\s*\*)+$")


def strip_footnote_marker(text: str) -> str:
    """'Institutioner *' → 'Institutioner'; 'Dagtilbud **' → 'Dagtilbud'; inner '*' kept."""
    return _FOOTNOTE_MARKER.sub("", str(text or "").strip()).strip()


def name_key(text: str) -> str:
    """Row name → key for uniqueness checks: 'Dagtilbud *' and ' dagtilbud' collide."""
    return _SPACE.sub(" ", strip_footnote_marker(text)).casefold()
