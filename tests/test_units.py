"""One unit, however its name is typed (syncservice/units.py, WORKBOOKS.md §1 "Identity")."""

from __future__ import annotations

import unicodedata

import pytest

from syncservice.base.units import configured, fold, same


@pytest.mark.parametrize("typed", [
    "handicap & psykiatri,ballerup",
    "Handicap & Psykiatri, Ballerup",
    "HANDICAP &PSYKIATRI ,  BALLERUP",
    " Handicap\u00a0&\tPsykiatri,Ballerup ",
])
def test_case_and_spaces_around_punctuation_do_not_make_another_unit(typed):
    assert fold(typed) == fold("Handicap & Psykiatri, Ballerup")


def test_a_name_saved_decomposed_is_the_same_unit():
    composed = "Handicap og Socialpsykiatri, Høje-Taastrup Ærø"
    assert same(unicodedata.normalize("NFD", composed), composed)


def test_words_and_letters_still_tell_units_apart():
    assert not same("Dagtilbud Vest", "Dagtilbud Øst")
    assert not same("Dagtilbud Vest", "DagtilbudVest")  # a space between words is not punctuation
    assert not same("Handicap & Psykiatri, Ballerup", "Handicap og Psykiatri, Ballerup")


def test_configured_gives_the_listed_spelling_or_none():
    units = ("Dagtilbud Vest", "Handicap & Psykiatri, Ballerup")
    assert configured("handicap & psykiatri,ballerup", units) == "Handicap & Psykiatri, Ballerup"
    assert configured("Dagtilbud Nord", units) is None
