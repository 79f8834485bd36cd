"""Text primitives that ingest and the assistant share: sentences, ISO codes, amounts, quotes.

Ingest chunks with them and the assistant reads chunks with them, so both must see the same
sentence ends, the same table rows and the same quote in a passage.

Example:
    >>> split_sentences("Se t.ex. Bilaga 2. Den gäller.")
    ['Se t.ex. Bilaga 2.', 'Den gäller.']
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import yaml

# The lexicon is the assistant's data file (its editors keep it there); core only reads it, so
# that ingest can name a document's regions without importing the assistant.
LEXICON_PATH = Path(__file__).resolve().parent.parent / "assistant" / "data" / "lexicon.yaml"

# ISO 9999 codes: class (04 … 30), subclass and optionally division, then the product name.
ISO_CODE_PATTERN = r"(?:04|05|06|09|12|15|18|22|24|27|28|30)\d{2}(?:\d{2})?"
ISO_ROW = re.compile(rf"^{ISO_CODE_PATTERN}\s+[^\W\d]")
AMOUNT_ROW = re.compile(r"\d[\d ]*\s?(?:kr|kronor|%)(?!\w)", re.IGNORECASE)
# A list item: a bullet, a dash, "1." or "a)" at the start of a line.
LIST_ITEM = re.compile(r"^\s*(?:[•\-–*]\s+|\d{1,2}[.)]\s+|[a-h][.)]\s+)")
_ABBREVIATION = re.compile(
    r"(?:\b(?:t\.ex|bl\.a|d\.v\.s|s\.k|m\.m|t\.o\.m|fr\.o\.m|o\.s\.v|p\.g\.a|ca|jfr|enl|resp|kap|nr"
    r"|st|kl|dvs|inkl|exkl|ang|avs|anv|tel|f\.d|dåv)\.$)", re.IGNORECASE
)
# A sentence also ends at a footnote number glued to its full stop ("… sits.57 Därutöver").
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-ZÅÄÖ•\d\"”(])|\s+(?=• )"
                           r"|(?<=[a-zåäö][.!?]\d)\s+(?=[A-ZÅÄÖ])|(?<=[a-zåäö][.!?]\d\d)\s+(?=[A-ZÅÄÖ])")


def split_sentences(text: str) -> list[str]:
    """Swedish-aware sentence split that keeps abbreviations like 't.ex.' and 'bl.a.' whole."""
    parts = _SENTENCE_END.split(text)
    out: list[str] = []
    for part in parts:
        if out and _ABBREVIATION.search(out[-1]):
            out[-1] = f"{out[-1]} {part}"
        else:
            out.append(part)
    return [p.strip() for p in out if p.strip()]


@lru_cache(maxsize=1)
def lexicon() -> dict:
    with LEXICON_PATH.open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)


# A word split over a line break ("för-\nskrivning"): the document's extraction splits it, a
# quote writes it whole. Spaces or blank lines may stand around the break.
_HYPHEN_BREAK = re.compile(r"(\w)-\s*\n\s*(\w)")
_SOFT_HYPHEN = "\u00ad"
# Typographic quotes and dashes count as their plain forms when case is folded too.
_PLAIN = {"’": "'", "‘": "'", "”": '"', "“": '"', "–": "-", "—": "-"}


def _quote_form(text: str, fold: bool, join_breaks: bool) -> tuple[str, list[int]]:
    """`text` as quotes are compared, and for each of its characters the index in `text`."""
    dropped: set[int] = set()
    if join_breaks:
        for m in _HYPHEN_BREAK.finditer(text):
            dropped.update(range(m.end(1), m.start(2)))
    out: list[str] = []
    index: list[int] = []
    space = False
    for i, ch in enumerate(text):
        if i in dropped or ch == _SOFT_HYPHEN:
            continue
        if ch.isspace():
            space = bool(out)
            continue
        if space:
            out.append(" ")
            index.append(i)
            space = False
        if fold:
            ch = _PLAIN.get(ch, ch).casefold()
        for c in ch:
            out.append(c)
            index.append(i)
    return "".join(out), index


def normalize_quote(text: str, *, fold: bool = False, join_breaks: bool = True) -> str:
    """The one form in which a quote and the text it comes from are compared: line-end hyphens
    re-joined, soft hyphens dropped, every whitespace run one space, ends stripped; with `fold`
    also case-folded, with plain quotes and dashes.

    >>> normalize_quote("för-\\n skrivning  av\\n Hjälpmedel")
    'förskrivning av Hjälpmedel'
    >>> normalize_quote("”Hjälpmedel” – 200 kr", fold=True)
    '"hjälpmedel" - 200 kr'
    """
    return _quote_form(text, fold, join_breaks)[0]


def find_quote(text: str, quote: str, *, fold: bool = False,
               join_breaks: bool = True) -> tuple[int, int] | None:
    """Where `quote` stands in `text` (start, end in `text`), compared as `normalize_quote`
    does; None for an empty quote or one that is not there.

    >>> text = "Rollatorn är\\nför-\\nskrivningsbar."
    >>> start, end = find_quote(text, "är förskrivningsbar")
    >>> text[start:end]
    'är\\nför-\\nskrivningsbar'
    """
    needle = normalize_quote(quote, fold=fold, join_breaks=join_breaks)
    if not needle:
        return None
    hay, index = _quote_form(text, fold, join_breaks)
    at = hay.find(needle)
    if at < 0:
        return None
    return index[at], index[at + len(needle) - 1] + 1


def has_quote(text: str, quote: str) -> bool:
    """Whether `quote` stands verbatim (case-sensitive, as `normalize_quote` compares) in `text`."""
    return find_quote(text, quote) is not None
