"""Qualifiers: the words that tell one kind of a thing from another of the same name.

A question about a *fixed* ramp names the thing the documents list as *portable* ramps; the row
speaks of ramps but not of this one. The dimensions and their sides are data
(`assistant/data/qualifiers.yaml`): fixed or free-standing, stationary or mobile, manual or
powered, indoor or outdoor.

Usage:

    >>> asked = asked_qualifiers("Rampen ska skruvas fast vid trappan", ("rampen",))
    >>> asked
    {'mounting': 'fixed'}
    >>> stance(asked, "183015 Portabla ramper Hembesök rekommenderas")
    <Stance.CONTRADICTS: 'contradicts'>
    >>> stance(asked, "091218 Toalettstolsförhöjningar, fasta tills.. Hembesök rekommenderas")
    <Stance.AGREES: 'agrees'>
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from enum import Enum
from functools import lru_cache
from pathlib import Path

import yaml

QUALIFIERS_PATH = Path(__file__).parent / "data" / "qualifiers.yaml"
# Words either side of the thing's name that may qualify it ("rampen ska skruvas fast"):
# farther off, a word describes something else in the case.
WINDOW = 4
# Characters: a longer text (a paragraph, a table of rows) speaks of several things, and its
# kind words may be another thing's.
LONGEST = 200
_WORD = re.compile(r"[\wåäöéü-]+")


class Stance(Enum):
    AGREES = "agrees"  # the text names only the asked kind
    CONTRADICTS = "contradicts"  # it names only another kind of the same dimension
    NEUTRAL = "neutral"  # says nothing of the asked dimensions


@lru_cache(maxsize=1)
def _sides() -> dict[str, dict[str, re.Pattern[str]]]:
    with QUALIFIERS_PATH.open(encoding="utf-8") as fh:
        data = yaml.safe_load(fh)
    return {dim: {side: re.compile("|".join(rf"(?:{p})" for p in patterns))
                  for side, patterns in sides.items()}
            for dim, sides in data["dimensions"].items()}


def _sides_of(words: Iterable[str]) -> dict[str, set[str]]:
    """Each dimension's sides that the words name."""
    found: dict[str, set[str]] = {}
    for word in words:
        for dim, sides in _sides().items():
            for side, pattern in sides.items():
                if pattern.fullmatch(word):
                    found.setdefault(dim, set()).add(side)
    return found


def is_qualifier(word: str) -> bool:
    """Whether the word (or stem) only tells a kind of a thing ("fasta", "monter")."""
    return bool(_sides_of([word.lower()]))


def asked_qualifiers(question: str, names: Iterable[str]) -> dict[str, str]:
    """The kind the question asks for in each dimension, read from the words near where it
    names the thing (`names`: the focus's words; a name is found as the start of a word, so
    "ramp" finds "ramper"). A dimension whose both sides stand near the thing is left out."""
    tokens = [m.group(0) for m in _WORD.finditer(question.lower())]
    heads = [n.lower() for n in names if len(n) >= 3]
    near: set[int] = set()
    for i, token in enumerate(tokens):
        if any(token.startswith(h) or (len(token) >= 4 and h.startswith(token)) for h in heads):
            near.update(range(max(0, i - WINDOW), min(len(tokens), i + WINDOW + 1)))
    found = _sides_of(tokens[i] for i in sorted(near))
    return {dim: next(iter(sides)) for dim, sides in found.items() if len(sides) == 1}


def stance(asked: dict[str, str], text: str) -> Stance:
    """Whether the text names only the asked kind, only another kind, or neither. A text
    naming both kinds of a dimension ("för rollator för inomhusanv. … för
    utomhusanvändning", "Eldrivna rullstolar med manuell st..") is neutral, and so is one
    longer than LONGEST."""
    if not asked or len(text) > LONGEST:
        return Stance.NEUTRAL
    found = _sides_of(m.group(0) for m in _WORD.finditer(text.lower()))
    said = {dim: found[dim] for dim in asked if found.get(dim)}
    if any(sides == {asked[dim]} for dim, sides in said.items()):
        return Stance.AGREES
    if any(asked[dim] not in sides for dim, sides in said.items()):
        return Stance.CONTRADICTS
    return Stance.NEUTRAL
