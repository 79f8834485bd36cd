"""Table labels and the document's own sentences that say what they mean.

A table row often ends in a label shared by many rows ("… Hembesök krävs", "… Vårdcentral i
första hand"); the row alone does not say who is responsible. The same document usually
defines each label in its text ("De produktområden som … är markerade med hembesök krävs
ansvarar kommunerna för."). Both are found from the corpus's structure: the labels are the
endings that many rows of a document share, a definition is the shortest sentence of that
document that names the label and a party. An answer that quotes the row quotes the
definition with it.

Example:
    >>> rows = [f"12{i:04d} Produkt {i} Hembesök krävs" for i in range(6)]
    >>> text = "\\n".join(rows) + "\\nProdukter markerade med hembesök krävs ansvarar kommunen för."
    >>> labels = TableLabels.from_chunks([Chunk(id="a", doc="d.txt", text=text)])
    >>> labels.label_of("d.txt", rows[0])
    'hembesök krävs'
    >>> labels.definition("d.txt", "hembesök krävs").unit.text
    'Produkter markerade med hembesök krävs ansvarar kommunen för.'
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from assistant.frame import answer_pattern
from assistant.units import Unit, UnitKind, units_of
from core.values import Chunk

MIN_ROWS = 5  # an ending shared by fewer rows is a product name, not a label
MAX_LABEL_WORDS = 4


@dataclass(frozen=True)
class Definition:
    chunk: Chunk
    unit: Unit


class TableLabels:
    """Row labels per document and the sentence that defines each."""

    def __init__(self, labels: dict[str, list[str]], definitions: dict[tuple[str, str],
                                                                      Definition]) -> None:
        self.labels = labels  # doc → labels, longest first
        self.definitions = definitions

    @classmethod
    def from_chunks(cls, chunks: Sequence[Chunk]) -> TableLabels:
        endings: dict[str, Counter[str]] = {}
        sentences: dict[str, list[tuple[Chunk, Unit]]] = {}
        for chunk in chunks:
            for unit in units_of(chunk.text, chunk.section):
                if unit.kind is UnitKind.ROW:
                    words = unit.lead.lower().rstrip(" .").split()
                    counts = endings.setdefault(chunk.doc, Counter())
                    for n in range(2, MAX_LABEL_WORDS + 1):
                        if len(words) > n + 1:
                            counts[" ".join(words[-n:])] += 1
                elif unit.kind is UnitKind.SENTENCE:
                    sentences.setdefault(chunk.doc, []).append((chunk, unit))
        labels: dict[str, list[str]] = {}
        for doc, counts in endings.items():
            frequent = [e for e, n in counts.items()
                        if n >= MIN_ROWS and not any(ch.isdigit() for ch in e)]
            # Keep the longest ending of a family ("i första hand" is part of "vårdcentral …").
            kept = [e for e in frequent if not any(o != e and o.endswith(" " + e)
                                                   and counts[o] >= 0.8 * counts[e]
                                                   for o in frequent)]
            labels[doc] = sorted(kept, key=len, reverse=True)
        party = answer_pattern("party")
        definitions: dict[tuple[str, str], Definition] = {}
        for doc, doc_labels in labels.items():
            for label in doc_labels:
                found = [(len(u.lead), c, u) for c, u in sentences.get(doc, [])
                         if label in u.lead.lower() and "ansvar" in u.lead.lower()
                         and party.search(u.lead.lower())]
                if found:
                    _, chunk, unit = min(found, key=lambda f: f[0])
                    definitions[(doc, label)] = Definition(chunk, unit)
        return cls(labels, definitions)

    def label_of(self, doc: str, row: str) -> str | None:
        text = row.lower().rstrip(" .")
        return next((label for label in self.labels.get(doc, ()) if text.endswith(label)), None)

    def definition(self, doc: str, label: str) -> Definition | None:
        return self.definitions.get((doc, label))
