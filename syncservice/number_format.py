"""What a cell's number format does to the number a person sees: the section in force,
the thousands it divides by, whether it shows a percentage, whether it shows nothing.

Excel's rules (ECMA-376 Part 1 §18.8.30-31, Excel's "Review guidelines for customizing a
number format"): up to four sections `positive;negative;zero;text`; with one numeric
section it serves every number, with two the first serves positives and zero. A comma
after the last digit placeholder of a section divides the number shown by 1000, each
one (`#,##0,` thousands, `0.0,,` millions); a comma between digit placeholders
(`#,##0`) only groups thousands. Quoted text, `\\x` escapes, `[Red]`/`[$-406]` brackets
and `_x` padding / `*x` fill are literal, never digits or commas. Conditional sections
(`[>=100]`) are taken in their positions, as the common formats use none.

Everything here is worked out once per format string (cached), never per cell.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

DIGIT_PLACEHOLDERS = "0#?"


@dataclass(frozen=True, slots=True)
class Shown:
    """Per numeric section (positive, negative, zero): the divisor and whether it shows
    percent; whether every section shows nothing to a number (`;;`), and to text too (`;;;`)."""

    divisors: tuple[int, int, int] = (1, 1, 1)
    percent: tuple[bool, bool, bool] = (False, False, False)
    hidden: bool = False
    hidden_text: bool = False

    @property
    def scales(self) -> bool:
        return self.divisors != (1, 1, 1)

    def section(self, value: float) -> int:
        """0, 1 or 2: the section in force for `value` (see the module docstring)."""
        return 0 if value > 0 else 1 if value < 0 else 2

    def value(self, value: float) -> float:
        """The stored number → the number shown (its sign kept: a negative section shows
        the absolute value, with whatever sign or brackets the format writes)."""
        divisor = self.divisors[self.section(value)]
        return value / divisor if divisor != 1 else value

    def is_percent(self, value: float) -> bool:
        return self.percent[self.section(value)]


PLAIN = Shown()  # what nearly every cell's format does: nothing to the number


@functools.lru_cache(maxsize=1024)
def shown(number_format: str) -> Shown:
    """A number format → what it does to a number: '#,##0,' → divisors (1000, 1000, 1000)."""
    sections = [_literal_free(s) for s in _sections(number_format or "General")]
    numeric = sections[:3]
    hidden = all(not s.strip() for s in numeric) and len(sections) > 1
    hidden_text = hidden and len(sections) > 3 and not sections[3].strip()  # text shows without a 4th section
    divisors = [_divisor(s) for s in numeric]
    percent = ["%" in s for s in numeric]
    # one section serves all numbers; with two, the first serves zero as well
    by_sign = [0, 0, 0] if len(numeric) == 1 else [0, 1, 0] if len(numeric) == 2 else [0, 1, 2]
    out = Shown((divisors[by_sign[0]], divisors[by_sign[1]], divisors[by_sign[2]]),
                (percent[by_sign[0]], percent[by_sign[1]], percent[by_sign[2]]), hidden, hidden_text)
    return PLAIN if out == PLAIN else out


def _sections(number_format: str) -> list[str]:
    """'0;-0;"nul"' → ['0', '-0', '"nul"']: split at each ';' outside quotes and escapes."""
    out, start, i, quoted = [], 0, 0, False
    while i < len(number_format):
        ch = number_format[i]
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch == "\\":
            i += 1
        elif not quoted and ch == ";":
            out.append(number_format[start:i])
            start = i + 1
        i += 1
    out.append(number_format[start:])
    return out


def _literal_free(section: str) -> str:
    """A section with its literals replaced by a space: quoted text, escapes, brackets, _x, *x."""
    out, i = [], 0
    while i < len(section):
        ch = section[i]
        if ch == '"':
            end = section.find('"', i + 1)
            i = len(section) if end < 0 else end + 1
            out.append(" ")
            continue
        if ch == "[":
            end = section.find("]", i + 1)
            i = len(section) if end < 0 else end + 1
            continue  # a colour or locale: shows nothing, so neither text nor a break
        if ch in "\\_*":
            i += 2
            out.append(" " if ch == "\\" else "")  # padding and fill show no character of their own
            continue
        out.append(ch)
        i += 1
    return "".join(out)


def _divisor(section: str) -> int:
    """1000 per comma right after the section's last digit placeholder ('#,##0,,' → 10**6)."""
    if section.strip().casefold() == "general":
        return 1
    last = max(section.rfind(d) for d in DIGIT_PLACEHOLDERS)
    if last < 0:
        return 1
    commas = 0
    for ch in section[last + 1:]:
        if ch != ",":
            break
        commas += 1
    return 1000 ** commas
