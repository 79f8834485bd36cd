"""Qualifiers (assistant/data/qualifiers.yaml): a question asking for one kind of a thing is
not answered by the row for another kind of the same name. Own wordings."""

from __future__ import annotations

import pytest

from assistant.qualifiers import Stance, asked_qualifiers, is_qualifier, stance

FIXED_ROW = "091218 Toalettstolsförhöjningar, fasta tills.. Hembesök rekommenderas"
LOOSE_ROW = "091212 Toalettstolsförhöjningar, fristående Hembesök rekommenderas"


@pytest.mark.parametrize(("question", "names", "asked"), [
    ("Hon ska ha en toalettförhöjning som skruvas fast i stolen.", ["toalettförhöjning"],
     {"mounting": "fixed"}),
    ("Does a portable ramp for the porch count as the region's task?", ["ramp"],
     {"mounting": "loose", "placement": "mobile"}),
    ("Han kör en elrullstol utomhus.", ["elrullstol"],
     {"drive": "powered", "use": "outdoor"}),
])
def test_the_kind_is_read_near_the_things_name(question, names, asked):
    assert asked_qualifiers(question, names) == asked


def test_a_kind_word_far_from_the_thing_describes_something_else():
    question = ("Han bor i ett hus med fast telefon och en trappa vid entrén som han har svårt "
                "att ta sig uppför med sin gamla rollator.")
    assert asked_qualifiers(question, ["rollator"]) == {}


@pytest.mark.parametrize(("asked", "text", "expected"), [
    ({"mounting": "fixed"}, FIXED_ROW, Stance.AGREES),
    ({"mounting": "fixed"}, LOOSE_ROW, Stance.CONTRADICTS),
    ({"mounting": "loose"}, "183015 Portabla ramper Hembesök rekommenderas", Stance.AGREES),
    # A row naming both kinds speaks for both.
    ({"use": "outdoor"}, "120606 Rollator Hembesök rekommenderas för rollator för inomhusanv. "
                         "Vårdcentralen i första hand för rollator för utomhusanvändning.",
     Stance.NEUTRAL),
    ({"drive": "manual"}, "122303 Eldrivna rullstolar med manuell st.. Hembesök krävs",
     Stance.NEUTRAL),
    ({"mounting": "fixed"}, "181806 Stödhandtag Hembesök krävs", Stance.NEUTRAL),
    ({}, LOOSE_ROW, Stance.NEUTRAL),
])
def test_a_text_agrees_contradicts_or_says_nothing_of_the_kind(asked, text, expected):
    assert stance(asked, text) is expected


def test_a_long_text_speaks_of_several_things_and_decides_no_kind():
    paragraph = ("Portabla ramper, mobila lyftar och flyttbara toalettstolar tas upp i "
                 "översikten tillsammans med många andra produktområden. ") * 3
    assert stance({"mounting": "fixed"}, paragraph) is Stance.NEUTRAL


def test_kind_words_are_told_from_names_of_things():
    assert is_qualifier("fasta") and is_qualifier("monter") and is_qualifier("portabla")
    assert not is_qualifier("ramp") and not is_qualifier("toalettförhöjning")
