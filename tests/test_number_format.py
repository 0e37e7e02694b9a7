"""What a number format does to the number shown: sections, scaling commas, percent, hiding."""

from __future__ import annotations

import pytest

from syncservice.number_format import shown


@pytest.mark.parametrize(("fmt", "value", "seen"), [
    ("#,##0,", -250_000, -250),  # a trailing comma: thousands
    ("#,##0.0,,", 3_600_000, 3.6),  # two: millions
    ('#,##0.0,," mio."', 3_600_000, 3.6),  # before quoted text it still scales
    ("#,##0,_);(#,##0,)", -1_500, -1.5),  # padding after the comma, a bracketed negative section
    ("[Red]#,##0,", 2_000, 2),
    ("#,##0", 1_600, 1_600),  # between digit placeholders: only thousands separators
    ("#,##0\\,", 1_600, 1_600),  # an escaped comma is a literal
    ('0","', 5, 5),  # a quoted one too
    ("0;-0,", 9, 9),  # the positive section does not scale …
    ("0;-0,", -9_000, -9),  # … the negative one does
    ("0,;-0", 0, 0),  # zero is shown by the first section where there are two
    ("General", 1234.5, 1234.5),
])
def test_scaling_commas_divide_as_excel_shows(fmt, value, seen):
    assert shown(fmt).value(value) == seen


@pytest.mark.parametrize(("fmt", "percent"), [("0%", True), ("0.0%;-0.0%", True), ('0" %-point"', False),
                                              ("#,##0", False), ("0;-0%", False)])
def test_percent_is_the_section_in_force(fmt, percent):
    assert shown(fmt).is_percent(5) is percent


@pytest.mark.parametrize(("fmt", "numbers", "text"), [(";;;", True, True), (";;", True, False),
                                                      ("[Red];;", True, False), ("0;;", False, False),
                                                      ("General", False, False)])
def test_a_format_with_every_section_empty_hides_the_value(fmt, numbers, text):
    assert (shown(fmt).hidden, shown(fmt).hidden_text) == (numbers, text)
