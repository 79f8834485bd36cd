"""Evidence units: the smallest pieces of a chunk that say something on their own.

A unit is what an answer quotes and what answerability tests: a sentence; a sentence that
introduces a list ("… är:") together with the items that follow it, in order; or a table row
with the header it sits under. Quoting the lead of a list without its items, or a row without
its header, gives a text that cites the right passage but does not say the answer.

Example:
    >>> text = "Ordningen är:\\n1. Livsuppehållande insatser.\\n2. Dagliga aktiviteter.\\nSlut här."
    >>> [u.kind.value for u in units_of(text, section="Prioritering")]
    ['list', 'sentence']
    >>> units_of(text, section="Prioritering")[0].items
    ('1. Livsuppehållande insatser.', '2. Dagliga aktiviteter.')
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from enum import Enum

from core.text import AMOUNT_ROW, ISO_ROW, LIST_ITEM, split_sentences

MAX_LIST_ITEMS = 12


class UnitKind(Enum):
    SENTENCE = "sentence"
    LIST = "list"  # an introducing sentence and its items
    ROW = "row"  # a table row (ISO-coded product row or a priced line)


@dataclass(frozen=True)
class Unit:
    """One quotable piece of a chunk. `text` stands in the chunk (white space aside)."""

    kind: UnitKind
    lead: str  # the sentence itself, a list's introduction, or the row
    items: tuple[str, ...] = ()  # a list's items, in document order
    heading: str = ""  # a row's table header (the nearest non-row line above it)
    position: int = 0  # order within the chunk
    span: str = ""  # a list as it stands in the chunk, from its lead to its last item

    @property
    def text(self) -> str:
        return self.span or " ".join((self.lead, *self.items))

    @property
    def with_heading(self) -> str:
        """The text as a reader needs it: a row says what it says under its header."""
        if self.kind is UnitKind.ROW and self.heading and self.heading.lower() not in \
                self.lead.lower():
            return f"{self.heading}: {self.lead}"
        return self.text


def is_row(text: str) -> bool:
    """A table row: ISO-coded product row or a short line with an amount."""
    return bool(ISO_ROW.match(text) or (AMOUNT_ROW.search(text) and len(text) < 200))


def is_list_item(text: str) -> bool:
    return bool(LIST_ITEM.match(text))


def _runs_on(item: str) -> bool:
    text = item.rstrip()
    return text.endswith((",", ";")) or bool(re.search(r"\b(samt|och|eller)$", text))


def introduces_list(sentence: str) -> bool:
    return sentence.rstrip().endswith(":")


def units_of(text: str, section: str = "") -> list[Unit]:
    """The units of a chunk's text, in document order."""
    heading = section.split(" > ")[-1].strip()
    pieces: list[tuple[str, bool]] = []  # (text, is a table row)
    for block in text.split("\n"):
        block = block.strip()
        if not block:
            continue
        if is_row(block):
            pieces.append((block, True))
        elif is_list_item(block):
            # An item is one piece however many sentences it has ("1. Hjälpmedel …", "• A. B.");
            # only a bullet inside the line starts the next one.
            pieces.extend((item, False) for item in re.split(r"\s+(?=• )", block) if item)
        else:
            pieces.extend((s, False) for s in split_sentences(block))
    units: list[Unit] = []
    i = 0
    while i < len(pieces):
        piece, row = pieces[i]
        if row:
            units.append(Unit(UnitKind.ROW, piece, heading=heading, position=len(units)))
            i += 1
            continue
        nxt = pieces[i + 1][0] if i + 1 < len(pieces) else ""
        open_lead = not piece.rstrip().endswith((".", "!", "?", ":", ")")) and is_list_item(nxt)
        if introduces_list(piece) or open_lead:
            items: list[str] = []
            j = i + 1
            while j < len(pieces) and len(items) < MAX_LIST_ITEMS and is_list_item(pieces[j][0]):
                items.append(pieces[j][0])
                j += 1
                # A lead without a colon ("Av dokumentationen ska framgå") runs as one sentence
                # through its items ("…, …, samt …"); the item that ends it ends the list.
                if open_lead and not _runs_on(items[-1]):
                    break
            if items:
                units.append(Unit(UnitKind.LIST, piece, tuple(items), position=len(units),
                                  span=_span(text, piece, items[-1])))
                i = j
                continue
        # A non-row line is what the rows after it are listed under.
        if not is_list_item(piece):
            heading = piece if len(piece) < 120 else heading
        units.append(Unit(UnitKind.SENTENCE, piece, position=len(units)))
        i += 1
    return units



def _span(text: str, first: str, last: str) -> str:
    """The chunk's own text from `first` to the end of `last` (line breaks as they stand)."""
    start = text.find(first)
    end = text.find(last, start + len(first)) if start >= 0 else -1
    return text[start:end + len(last)] if end >= 0 else ""


_URL = re.compile(r"(https?://|www\.)\S+")


def is_fragment(sentence: str) -> bool:
    """Headings, links, stray table cells and lists of footnotes read as answers but say
    nothing on their own."""
    sentence = _URL.sub("", sentence).strip()
    has_verb_length = len(sentence) >= 45 or re.search(r"\d", sentence)
    return not has_verb_length or sentence.count(" ") < 4 or is_reference_list(sentence)


# A footnote number before the title it refers to ("55 Rutiner för …").
_NOTE = re.compile(r"(?<![\w.,:/–-])(\d{1,3}) (?=[A-ZÅÄÖ])")


def is_reference_list(text: str) -> bool:
    """Footnotes run together ("55 Rutiner för … 2002-04-25 56 Fritidshjälpmedel - 1177 57 …"):
    two or more numbers in a row, each one more than the last, before capitalised titles."""
    numbers = [int(m.group(1)) for m in _NOTE.finditer(text)]
    steps = [b - a for a, b in itertools.pairwise(numbers)]
    if any(x == y == 1 for x, y in itertools.pairwise(steps)):
        return True
    # Two notes are a list only when the text opens with the first.
    return steps == [1] and text[:4].strip().isdigit()
