"""Query understanding: which region a question is about, and what a follow-up carries over.

Example:
    >>> q = understand("Vem förskriver en rollator i Luleå?", known_regions={"Norrbotten"})
    >>> q.region, q.region_has_documents
    ('Norrbotten', True)
    >>> f = understand("Och om hon behöver en för inomhusbruk?", history=[Turn(q.question)],
    ...                known_regions={"Norrbotten"})
    >>> f.region, f.is_followup
    ('Norrbotten', True)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable, Sequence

from assistant.text import ISO_CODE, expand_query, find_phrase, is_english, lexicon, stem
from assistant.text import words as words_of
from assistant.values import Turn

_FOLLOWUP_START = re.compile(
    r"^\s*(och|men|om|vad händer|vad gäller|gäller det|samma|då|and|what if|what about|but)\b",
    re.IGNORECASE,
)
_FOLLOWUP_END = re.compile(r"\b(då|också|istället|i stället)\s*\?*\s*$", re.IGNORECASE)
_PRONOUN = re.compile(r"\b(han|hon|hen|henne|honom|hans|hennes|den|det|dem|he|she|it|they)\b",
                      re.IGNORECASE)


@dataclass(frozen=True)
class Query:
    question: str
    text: str  # what retrieval searches for: the question, carried context and synonyms
    region: str | None  # the one region the question is scoped to, if any
    regions: tuple[str, ...]  # every region named (comparisons name several)
    region_has_documents: bool
    english: bool
    iso_codes: tuple[str, ...]
    is_followup: bool
    context: str = ""  # the earlier question a follow-up builds on


def detect_regions(text: str) -> list[str]:
    """Regions named in the text, by region name or a place in it, in order of appearance."""
    lowered = text.lower()
    found: list[tuple[int, str]] = []
    for region, names in lexicon().get("regions", {}).items():
        for name in names:
            m = find_phrase(lowered, name)
            if m:
                found.append((m.start(), region))
                break
    return [r for _, r in sorted(found)]


def looks_like_followup(question: str, history: Sequence[Turn]) -> bool:
    if not history:
        return False
    words = question.split()
    pronoun = bool(_PRONOUN.search(question))
    # A short question is a follow-up only when it leans on the earlier one: a pronoun, too few
    # words to stand alone, or the same subject ("förskrivaren" after "förskrivare"). "Får jag
    # ordinera HPV-vaccin till en 20-åring?" after a Norrbotten rollator question shares nothing
    # with it and must not inherit Norrbotten.
    return bool(_FOLLOWUP_START.match(question) or _FOLLOWUP_END.search(question)) or (
        len(words) <= 3) or (
        len(words) <= 8 and (pronoun or _shares_subject(question, history[-1].question))) or (
        pronoun and not detect_regions(question) and len(words) <= 14)


def _shares_subject(question: str, previous: str) -> bool:
    def subjects(text: str) -> set[str]:
        return {stem(w) for w in words_of(text) if len(w) >= 5 and not w.isdigit()}

    return bool(subjects(question) & subjects(previous))


def understand(question: str, history: Sequence[Turn] = (), region: str | None = None,
               known_regions: Iterable[str] = ()) -> Query:
    """Build the retrieval query; a UI-chosen `region` wins over one named in the text."""
    known = set(known_regions)
    named = detect_regions(question)
    followup = looks_like_followup(question, history)
    context = ""
    if followup:
        previous = history[-1].question
        context = previous
        if not named:
            named = detect_regions(previous)
    chosen = region or (named[0] if len(named) == 1 else None)
    text = expand_query(f"{question} {context}".strip())
    return Query(
        question=question,
        text=text,
        region=chosen,
        regions=tuple(named) if not region else (region,),
        region_has_documents=chosen is None or chosen in known,
        english=is_english(question),
        iso_codes=tuple(dict.fromkeys(ISO_CODE.findall(f"{question} {context}"))),
        is_followup=followup,
        context=context,
    )
