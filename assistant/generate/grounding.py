"""Verify a model's claims against the passages it was shown; keep only what the text supports.

A claim survives when
- its quote stands verbatim (whitespace- and case-tolerant) in one of the passages it cites (a
  quote found in another shown passage is re-attributed to that passage: the citation must point
  where the words stand);
- the quote is long enough to be evidence (not a stray word);
- every number in the claim's text (amounts, dates, ages, ISO codes, years) occurs in a cited
  passage; and
- most of the claim's content words occur in its cited passages (the claim says what they say);
- the claim is a statement (at least MIN_CLAIM_WORDS words; when the model wrote only a label
  such as "Gåstativ Hembesök" over a verified quote, the quote itself becomes the claim) and,
  when `topic` terms are given, shares a word stem with them (it speaks to the question).
Everything else is dropped with a reason.

Example:
    >>> from core.values import Chunk
    >>> text = "Rollatorer för utomhusbruk förskrivs av vårdcentralen i första hand."
    >>> passages = [Passage(Chunk(id="a", doc="x.txt", text=text), rank=1)]
    >>> v = verify({"claims": [
    ...     {"passages": [1], "quote": text,
    ...      "text": "Vårdcentralen förskriver rollatorer för utomhusbruk i första hand."},
    ...     {"passages": [1], "quote": "Rollatorer kostar 200 kr hos vårdcentralen.",
    ...      "text": "En rollator kostar 200 kr."}]}, passages)
    >>> [c.text for c in v.claims]
    ['Vårdcentralen förskriver rollatorer för utomhusbruk i första hand.']
    >>> v.dropped
    [('En rollator kostar 200 kr.', 'citatet står inte i något utdrag')]
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, Sequence

from assistant.text import STOPWORDS, words
from core.text import find_quote
from core.values import Passage

MIN_QUOTE_CHARS = 12
MIN_QUOTE_WORDS = 3
MIN_WORD_SUPPORT = 0.6
MIN_CLAIM_WORDS = 4  # "Gåstativ Hembesök." is a table cell, not a statement


@dataclass(frozen=True)
class Claim:
    """One verified statement: the model's text, the exact source span and its passage."""

    text: str
    quote: str  # verbatim from passage.chunk.text (original spelling and spacing)
    passage: Passage


@dataclass
class Verification:
    claims: list[Claim] = field(default_factory=list)
    proposed: int = 0  # claims the model made
    dropped: list[tuple[str, str]] = field(default_factory=list)  # (claim text, reason)


# One complete claim object (claims hold no nested objects), for output cut off mid-way.
_CLAIM_OBJECT = re.compile(r'\{[^{}]*"text"\s*:\s*"(?:[^"\\]|\\.)*"[^{}]*\}')


def parse_output(raw: str) -> dict[str, Any]:
    """The model's JSON object; output cut off mid-way keeps its complete claims; anything
    else unparsable counts as no claims."""
    raw = raw.strip()
    if raw.startswith("```"):  # some models fence JSON even when asked not to
        raw = raw.strip("`").removeprefix("json").strip()
    try:
        data = json.loads(raw)
    except json.JSONDecodeError:
        start, end = raw.find("{"), raw.rfind("}")
        try:
            data = json.loads(raw[start:end + 1]) if 0 <= start < end else {}
        except json.JSONDecodeError:
            data = {"claims": _complete_claims(raw)}
    return data if isinstance(data, dict) else {}


def _complete_claims(raw: str) -> list[dict[str, Any]]:
    claims = []
    for m in _CLAIM_OBJECT.finditer(raw):
        try:
            claims.append(json.loads(m.group(0)))
        except json.JSONDecodeError:
            continue
    return claims


def find_span(text: str, quote: str) -> str | None:
    """The span of `text` that `quote` matches (whitespace/case tolerant), as written in `text`."""
    # A model quotes the passage as it was shown, line breaks included, so line-end hyphens
    # are not re-joined here: the quote is matched against the text the model saw.
    span = find_quote(text, quote.strip().strip('"”“').strip(), fold=True, join_breaks=False)
    return text[span[0]:span[1]] if span else None


_NUMBER = re.compile(r"\d+(?:[ \u00a0.,:-]\d+)*")


def numbers_in(text: str) -> set[str]:
    """Numbers as digit strings: '15 000 kr' → '15000', '2025-11-01' → '20251101'."""
    return {re.sub(r"\D", "", m.group(0)) for m in _NUMBER.finditer(text)}


def whole_sentences(text: str) -> str:
    """Text cut off mid-sentence (a length cap) loses its unfinished last sentence."""
    if not text or text.endswith((".", "!", "?", ":", '"', "”", ")")):
        return text
    end = max(text.rfind(". "), text.rfind("! "), text.rfind("? "))
    return text[: end + 1] if end > 0 else text


def _number_supported(number: str, sources: str) -> bool:
    digits = re.sub(r"\D", "", sources)
    pieces = numbers_in(sources)
    # Whole numbers must match a whole number in the source (so '8' is not found in '80').
    return number in pieces or (len(number) >= 4 and number in digits)


def _stem(word: str) -> str:
    return word[:5]


def word_support(text: str, sources: str) -> float:
    """Share of the claim's content words whose stem occurs in the sources."""
    content = [w for w in words(text) if w not in STOPWORDS and len(w) >= 3 and not w.isdigit()]
    if not content:
        return 1.0
    have = {_stem(w) for w in words(sources)}
    return sum(_stem(w) in have for w in content) / len(content)


def _as_numbers(value: Any) -> list[int]:
    items = value if isinstance(value, list) else [value]
    out = []
    for item in items:
        try:
            out.append(int(item))
        except (TypeError, ValueError):
            continue
    return out


def verify(output: dict[str, Any], passages: Sequence[Passage],
           topic: Sequence[str] = ()) -> Verification:
    """Check each proposed claim against `passages` (numbered 1..len as in the prompt).

    `topic`: the question's key words; a claim sharing no stem with them is off the question.
    """
    topic_stems = {_stem(w) for w in topic}
    result = Verification()
    claims = output.get("claims") if isinstance(output.get("claims"), list) else []
    for raw in claims:
        if not isinstance(raw, dict):
            continue
        result.proposed += 1
        text = whole_sentences(" ".join(str(raw.get("text") or "").split()))
        quote = " ".join(str(raw.get("quote") or "").split())
        if len(quote) < MIN_QUOTE_CHARS or len(quote.split()) < MIN_QUOTE_WORDS:
            result.dropped.append((text, "citatet saknas eller är för kort"))
            continue
        cited = [n for n in _as_numbers(raw.get("passages")) if 1 <= n <= len(passages)]
        others = [n for n in range(1, len(passages) + 1) if n not in cited]
        where = [(n, s) for n in cited + others
                 if (s := find_span(passages[n - 1].chunk.text, quote)) is not None]
        if not where:
            result.dropped.append((text, "citatet står inte i något utdrag"))
            continue
        n, span = where[0]
        passage = passages[n - 1]
        if len(text.split()) < MIN_CLAIM_WORDS:
            if len(span.split()) < MIN_CLAIM_WORDS:
                result.dropped.append((text, "inget fullständigt påstående"))
                continue
            text = " ".join(span.split())  # the verified words say it better than a label
        cited_chunks = [passages[m - 1].chunk for m in dict.fromkeys([n, *cited])]
        sources = "\n".join(c.text for c in cited_chunks)
        # A number may also come from the cited source's title, heading or date (shown with it).
        labels = " ".join(f"{c.title} {c.section} {c.date or ''} {' '.join(c.regions)}"
                          for c in cited_chunks)
        missing = [x for x in numbers_in(text)
                   if not _number_supported(x, f"{sources}\n{labels}")]
        if missing:
            result.dropped.append((text, f"talet {missing[0]} står inte i källan"))
            continue
        if word_support(text, f"{sources}\n{labels}") < MIN_WORD_SUPPORT:
            result.dropped.append((text, "påståendet säger inte vad källan säger"))
            continue
        if topic_stems and not topic_stems & {_stem(w) for w in words(f"{text} {quote}")}:
            result.dropped.append((text, "svarar inte på frågan"))
            continue
        if any(c.text == text for c in result.claims):
            continue
        result.claims.append(Claim(text=text, quote=span, passage=passage))
    return result
