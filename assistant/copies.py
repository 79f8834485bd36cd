"""Copies: the same passage in several documents, counted once.

Regions restate national rules word for word and copy each other's guidance, so a large
library holds many copies of one passage. Left alone they fill the top k with one text and,
in the candidate lists, push out the passages that would answer the question (the ×100
benchmark: a Norrbotten question's own passage lost to 99 copies of a Kronoberg paragraph).
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

from assistant.values import Chunk

_DATE = re.compile(r"^\d{4}(?:-\d{2}(?:-\d{2})?)?")
_YEAR = re.compile(r"\b(?:19|20)\d\d\b")


def text_key(text: str) -> str:
    """The text with case and runs of white space folded and years masked: equal keys are
    copies."""
    return _YEAR.sub("#", " ".join(text.split()).casefold())


def date_key(date: str | None) -> str:
    """A sortable date: "2025-11-18" and "2024 (approx)" → their leading digits; none → ""."""
    match = _DATE.match(date or "")
    return match.group(0) if match else ""


class Copies:
    """Groups the chunks of a library by text; one job: tell copies apart and pick one."""

    def __init__(self, chunks: Iterable[Chunk]) -> None:
        self._members: dict[str, list[Chunk]] = {}
        self._keys: dict[str, str] = {}  # chunk id → key, so that a query computes none
        for chunk in chunks:
            key = self._keys[chunk.id] = text_key(chunk.text)
            self._members.setdefault(key, []).append(chunk)

    def key(self, chunk: Chunk) -> str:
        key = self._keys.get(chunk.id)
        return key if key is not None else text_key(chunk.text)

    def members(self, key: str) -> list[Chunk]:
        return self._members.get(key, [])

    def choose(self, key: str, regions: Sequence[str]) -> Chunk:
        """The copy to cite: in an asked region's document, else the newest, else the first
        by document and line."""
        wanted = set(regions)
        return min(self._members[key], key=lambda c: (
            not wanted & set(c.regions), _newest_first(date_key(c.date)), c.doc,
            c.line_start or 0, c.id))

    def documents(self, key: str) -> int:
        """How many documents hold the text."""
        return len({c.doc for c in self.members(key)})

    def in_regions(self, key: str, regions: Sequence[str]) -> bool:
        """Whether any copy is in a document of one of `regions`."""
        wanted = set(regions)
        return any(wanted & set(c.regions) for c in self.members(key))

    def unique(self, results: list[tuple[Chunk, float]]) -> list[tuple[str, float]]:
        """A ranked (chunk, score) list with each text once, at its best score, as
        (copy key, score)."""
        seen: set[str] = set()
        out = []
        for chunk, score in results:
            key = self.key(chunk)
            if key not in seen:
                seen.add(key)
                out.append((key, score))
        return out


def _newest_first(date: str) -> tuple[int, ...]:
    # Negated digits sort a later date first; no date sorts last.
    if not date:
        return (1,)
    parts = [int(part) for part in date.split("-")]
    return (0, *(-part for part in parts + [0] * (3 - len(parts))))
