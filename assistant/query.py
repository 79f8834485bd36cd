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
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterable, Sequence

from assistant.abbreviations import Abbreviations
from assistant.frame import asking_only, config, read_frame
from assistant.text import ISO_CODE, expand_query, is_english
from core.text import lexicon
from core.values import Turn

_FOLLOWUP_START = re.compile(
    r"^\s*(och|men|om|vad händer|vad gäller|gäller det|samma|då|and|what if|what about|but)\b",
    re.IGNORECASE,
)
_FOLLOWUP_END = re.compile(r"\b(då|också|istället|i stället)\s*\?*\s*$", re.IGNORECASE)
_PRONOUN = re.compile(r"\b(han|hon|hen|henne|honom|hans|hennes|den|det|dem|he|she|it|they)\b",
                      re.IGNORECASE)


# Characters a question can hold but no reader means: control codes (a NUL ends the string the
# embedding model's C code reads, so "Vem\x00 förskriver …" would be embedded as "Vem"), format
# characters (bidi overrides, zero-width and tag characters that carry invisible text), lone
# surrogates (they have no UTF-8 form: the embedding model's encoder raises on "\ud800") and
# noncharacters. Line breaks and tabs are whitespace and stay.
_UNREADABLE = frozenset({"Cc", "Cf", "Cs", "Cn"})
_WHITESPACE = frozenset("\n\r\t")
# Fullwidth ASCII ("Ｖｅｍ ｆöｒｓｋｒｉｖｅｒ") as the letters it shows; the ideographic space too.
_FULLWIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}
# A terminal escape sequence ("\x1b[31m") whole: dropping only the ESC would leave "[31m", a
# term no document names, and the question would be refused for it. HTML tags (not "<18 år": a
# tag starts with a letter) are markup, not what is asked; their words would make the retriever
# look for "src" and "href" among the corpus's link lists.
_ESCAPE_SEQUENCE = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]"  # CSI: colours, cursor moves
                              r"|\][^\x07\x1b]*(?:\x07|\x1b\\)"  # OSC: window titles, links
                              r"|[@-Z\\-_])")  # two-character escapes
_HTML_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9-]*(?:\s[^<>]*)?/?>")


def readable_question(text: str) -> str:
    r"""The question as every stage reads it: the characters above dropped, NFC (an "ö" typed
    as o + combining diaeresis, as macOS may send it, is one letter, which the Swedish word
    pattern and the corpus's words need) and fullwidth ASCII as ASCII. An ordinary question is
    returned unchanged.

    >>> readable_question("Vem\x00 fo\u0308rskriver\x1b[31m\u202e ＲＯＬＬＡＴＯＲ?")
    'Vem förskriver ROLLATOR?'
    >>> readable_question("<b>Vem</b> förskriver för barn <18 år?")
    ' Vem  förskriver för barn <18 år?'
    """
    if "<" in text:
        text = _HTML_TAG.sub(" ", text)
    if text.isprintable() and text.isascii():
        return text
    text = _ESCAPE_SEQUENCE.sub("", text)
    kept = "".join(ch for ch in text
                   if ch in _WHITESPACE or unicodedata.category(ch) not in _UNREADABLE)
    return unicodedata.normalize("NFC", kept).translate(_FULLWIDTH)


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
    expansions: str = ""  # long forms of abbreviations the question uses (the corpus's own)
    set_aside: str | None = None  # the UI's region, when the question names another one


def detect_regions(text: str) -> list[str]:
    """Regions named in the text, by region name or a place in it, in order of appearance."""
    lowered = text.lower()
    found: list[tuple[int, str]] = []
    for region, pattern in _region_patterns():
        m = pattern.search(lowered)
        if m:
            found.append((m.start(), region))
    return [r for _, r in sorted(found)]


@lru_cache(maxsize=1)
def _region_patterns() -> tuple[tuple[str, re.Pattern[str]], ...]:
    """One pattern per region: any of its names or places as whole words, also in the
    genitive ("Leksands kommun", "Luleås")."""
    out = []
    for region, names in lexicon().get("regions", {}).items():
        alternatives = "|".join(sorted((re.escape(n) for n in names), key=len, reverse=True))
        out.append((region, re.compile(rf"(?<!\w)(?:{alternatives})s?(?!\w)")))
    return tuple(out)


def asked_regions(question: str) -> list[str]:
    """The regions the question asks about: those its asking sentences name, else all it
    names. In "Vilken egenavgift har Region Uppsala för rollatorer? Jämför gärna med Dalarna."
    the second sentence says why, the first what is asked; a region named only in the case
    description ("En man i Gällivare … Vem förskriver?") is still the question's."""
    named = detect_regions(question)
    asked = detect_regions(asking_only(question))
    asked = asked if asked and len(set(asked)) < len(set(named)) else named
    # "Does Stockholm, like Kronoberg, …?", "Har Dalarna, liksom Norrbotten, …": a region named
    # as the comparison is not the one asked about.
    compared = {r for marker in config().get("compared_region", ())
                for m in re.finditer(marker, question.lower())
                for r in detect_regions(question[m.end():m.end() + 40])[:1]}
    left = [r for r in asked if r not in compared]
    return left if left else asked


def looks_like_followup(question: str, history: Sequence[Turn]) -> bool:
    """A follow-up by its form, whatever its length: it opens or ends like one ("Och …",
    "What if …", "… då?"), leans on a pronoun without naming a focus of its own, names the
    earlier focus in definite form ("rollatorn" after "en rollator"), or is a fragment with
    neither a question word nor a verb ("Inomhusrollator?"). A question with its own focus
    and none of these starts a new conversation topic."""
    if not history:
        return False
    if _FOLLOWUP_START.match(question) or _FOLLOWUP_END.search(question):
        return True
    frame = read_frame(question)
    earlier = read_frame(history[-1].question)
    if _PRONOUN.search(question) and not frame.focus_from_cue:
        return True
    if frame.focus_from_cue and earlier.focus and _refers_back(frame.focus, earlier.focus):
        return True
    return not _QUESTION_FORM.search(question)


def _refers_back(focus: tuple[str, ...], earlier: tuple[str, ...]) -> bool:
    """'rollatorn' names the earlier 'rollator' again (Swedish definite form)."""
    return any(w != e and w.startswith(e) and w[len(e):] in _DEFINITE
               for w in focus for e in earlier)


_DEFINITE = ("n", "en", "t", "et", "na", "arna", "erna", "orna", "ena")


# A question word or a verb anywhere: the words of a full question, not of a fragment.
_QUESTION_FORM = re.compile(
    r"\b(vem|vad|hur|när|var|vart|varför|vilk\w*|who|what|how|when|where|which|why|"
    r"är|har|får|kan|ska|skall|måste|bör|behöver|gäller|finns|förskriv\w*|ordinera\w*|kostar|"
    r"ansvarar|is|are|has|have|can|may|must|does|do|should|needs?)\b", re.IGNORECASE)


def understand(question: str, history: Sequence[Turn] = (), region: str | None = None,
               known_regions: Iterable[str] = (),
               abbreviations: Abbreviations | None = None) -> Query:
    """Build the retrieval query. A UI-chosen `region` scopes it, except when the question
    itself names one other region ("… i Luleå?" with Stockholm chosen): the question says what
    is asked, and `set_aside` keeps the UI's choice so the answer can say so.
    `abbreviations` (the corpus's own) add the long form of a short one the question uses."""
    known = set(known_regions)
    named = asked_regions(question)
    set_aside = None
    if region and len(set(named)) == 1 and named[0] != region:
        region, set_aside = None, region
    followup = looks_like_followup(question, history)
    context = ""
    if followup:
        previous = history[-1].question
        context = previous
        if not named:
            named = detect_regions(previous)
    chosen = region or (named[0] if len(named) == 1 else None)
    expansions = abbreviations.expand(f"{question} {context}") if abbreviations else ""
    text = expand_query(f"{question} {context} {expansions}".strip())
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
        expansions=expansions,
        set_aside=set_aside,
    )
