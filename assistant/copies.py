"""Copies: the same passage in several documents, counted once.

Regions restate national rules word for word and copy each other's guidance, so a large
library holds many copies of one passage. Left alone they fill the top k with one text and,
in the candidate lists, push out the passages that would answer the question (in the scale
benchmark a Norrbotten question's own passage lost to the copies of a Kronoberg paragraph).
Retrieval therefore ranks each text once and cites one copy: the one in a document of the
region asked about, else the one in the newest document (the current version of the text),
else the first by document name and line, so the choice never depends on index order.

Copies are texts equal after folding case and white space and masking years: an edition of a
document differs from the last in its years ("Egenavgifter 2025", "HSLF-FS 2021:52"), and
the newest is the one to cite. Passages that differ in any other word (a region's name, a
fee) stay apart, since that word may be the answer.

Example:
    >>> a = Chunk(id="1", doc="a.txt", text="Vaccin ordineras av sjuksköterska.", date="2019")
    >>> b = Chunk(id="2", doc="b.txt", text="Vaccin  ordineras av sjuksköterska.", date="2025")
    >>> copies = Copies([a, b])
    >>> copies.key(a) == copies.key(b), copies.choose(copies.key(a), ()).doc
    (True, 'b.txt')
"""

from __future__ import annotations

import re
from typing import Iterable, Sequence

from core.values import Chunk

_DATE = re.compile(r"^\d{4}(?:-\d{2}(?:-\d{2})?)?")
_YEAR = re.compile(r"\b(?:19|20)\d\d\b")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")
Key = int  # a text's copy key: the hash of text_key(text)
# Two passages are near-copies when this share of the shorter one's sentences is in both.
NEAR_COPY = 0.5


def text_key(text: str) -> str:
    """The text with case and runs of white space folded and years masked: equal keys are
    copies."""
    return _YEAR.sub("#", " ".join(text.split()).casefold())


def sentence_keys(text: str) -> frozenset[str]:
    """The text's sentences (and lines) of three words or more, as copy keys."""
    return frozenset(text_key(part) for part in _SENTENCE_END.split(text)
                     if len(part.split()) >= 3)


def date_key(date: str | None) -> str:
    """A sortable date: "2025-11-18" and "2024 (approx)" → their leading digits; none → ""."""
    match = _DATE.match(date or "")
    return match.group(0) if match else ""


class Copies:
    """Groups the chunks of a library by text; one job: tell copies apart and pick one."""

    def __init__(self, chunks: Iterable[Chunk]) -> None:
        # Keys are hashes of the folded texts: the texts themselves would double the memory
        # that a large library's chunks take.
        self._members: dict[Key, list[Chunk]] = {}
        self._keys: dict[str, Key] = {}  # chunk id → key, so that a query computes none
        self._sentences: dict[Key, frozenset[int]] = {}
        self._with_sentence: dict[int, list[Key]] = {}  # sentence → text keys
        for chunk in chunks:
            key = self._keys[chunk.id] = hash(text_key(chunk.text))
            if key not in self._members:
                self._members[key] = []
                self._sentences[key] = frozenset(hash(s) for s in sentence_keys(chunk.text))
                for sentence in self._sentences[key]:
                    self._with_sentence.setdefault(sentence, []).append(key)
            self._members[key].append(chunk)

    def key(self, chunk: Chunk) -> Key:
        key = self._keys.get(chunk.id)
        return key if key is not None else hash(text_key(chunk.text))

    def members(self, key: Key) -> list[Chunk]:
        return self._members.get(key, [])

    def choose(self, key: Key, regions: Sequence[str]) -> Chunk:
        """The copy to cite: in an asked region's document, else the newest, else the first
        by document and line."""
        return min(self._members[key], key=lambda c: citing_order(c, regions))

    def near(self, a: Key, b: Key) -> bool:
        """Whether the texts of keys `a` and `b` are near-copies in other documents: the same
        passage cut at other places or with a sentence added (at least NEAR_COPY of the
        shorter one's sentences in both). Neighbouring chunks of one document share the
        sentences of their overlap, which does not make them copies."""
        sa, sb = self._sentences.get(a, frozenset()), self._sentences.get(b, frozenset())
        if not sa or not sb or len(sa & sb) < NEAR_COPY * min(len(sa), len(sb)):
            return False
        return not {c.doc for c in self.members(a)} & {c.doc for c in self.members(b)}

    def near_copies(self, key: Key) -> set[Key]:
        """The keys of every near-copy of `key`'s text in the library."""
        shared = {other for sentence in self._sentences.get(key, ())
                  for other in self._with_sentence.get(sentence, ()) if other != key}
        return {other for other in shared if self.near(key, other)}

    def holds(self, a: Key, b: Key) -> bool:
        """Whether text `a` holds every sentence of text `b` (it can stand in for it)."""
        return self._sentences.get(b, frozenset()) <= self._sentences.get(a, frozenset())

    def docs(self, key: Key) -> list[str]:
        """The documents holding the text."""
        return sorted({c.doc for c in self.members(key)})

    def in_regions(self, key: Key, regions: Sequence[str]) -> bool:
        """Whether any copy is in a document of one of `regions`."""
        wanted = set(regions)
        return any(wanted & set(c.regions) for c in self.members(key))

    def unique(self, results: list[tuple[Chunk, float]]) -> list[tuple[Key, float]]:
        """A ranked (chunk, score) list with each text once, at its best score, as
        (copy key, score)."""
        seen: set[Key] = set()
        out = []
        for chunk, score in results:
            key = self.key(chunk)
            if key not in seen:
                seen.add(key)
                out.append((key, score))
        return out


def preference(chunk: Chunk, regions: Sequence[str]) -> tuple[bool, tuple[int, ...]]:
    """Sorts the copy to cite first: one in an asked region's document, then the newest."""
    return not set(regions) & set(chunk.regions), _newest_first(date_key(chunk.date))


def citing_order(chunk: Chunk, regions: Sequence[str]) -> tuple:
    """`preference`, then document and line: a total order, so the choice never depends on
    the order in which the copies were indexed or hashed."""
    return (*preference(chunk, regions), chunk.doc, chunk.line_start or 0, chunk.id)


def _newest_first(date: str) -> tuple[int, ...]:
    # Negated digits sort a later date first; no date sorts last.
    if not date:
        return (1,)
    parts = [int(part) for part in date.split("-")]
    return (0, *(-part for part in parts + [0] * (3 - len(parts))))
