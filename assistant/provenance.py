"""Provenance: which indexed documents an editor has not reviewed, and marking their citations.

Bundled documents and uploads an editor marked reviewed are trusted; any other upload is
"ogranskat" (`Chunk.reviewed`, set at ingest from the upload's sidecar). An answer may still
quote one, but its citation says so, and the rule checker never verifies on it
(assistant.rules.check).

Example:
    >>> from core.values import Citation
    >>> chunks = [Chunk(id="a", doc="policy.txt", text="…"),
    ...           Chunk(id="b", doc="upload.pdf", text="…", reviewed=False)]
    >>> unreviewed_docs(chunks)
    frozenset({'upload.pdf'})
    >>> cited = [Citation(n, doc, "", "", "", "q", "q") for n, doc in ((1, "policy.txt"),
    ...                                                                (2, "upload.pdf"))]
    >>> answer = mark_citations(Answer("Vem?", "Svar [1] [2].", cited), unreviewed_docs(chunks))
    >>> [c.reviewed for c in answer.citations]
    [True, False]
"""

from __future__ import annotations

from dataclasses import replace
from typing import Iterable

from core.values import Answer, Chunk

UNREVIEWED_LABEL = "ogranskat dokument"
UNREVIEWED_NOTE = ("Ogranskat dokument: uppladdat i appen och ännu inte granskat av en "
                   "redaktör. Kontrollera uppgiften mot en granskad källa.")


def unreviewed_docs(chunks: Iterable[Chunk]) -> frozenset[str]:
    """The documents (file names) whose chunks carry no editor's review."""
    return frozenset(c.doc for c in chunks if not c.reviewed)


def mark_citations(answer: Answer, unreviewed: frozenset[str]) -> Answer:
    """Set `reviewed=False` on every citation of an unreviewed document."""
    if unreviewed:
        answer.citations = [replace(c, reviewed=False) if c.doc in unreviewed else c
                            for c in answer.citations]
    return answer


def unreviewed_warning(answer: Answer) -> str | None:
    """A warning when the answer cites unreviewed documents (stronger when only them)."""
    shown = [c for c in answer.citations if not c.reviewed]
    if not shown or answer.refused:
        return None
    if len(shown) == len(answer.citations):
        return ("Svaret bygger bara på ogranskade dokument (uppladdade och inte granskade av "
                "en redaktör); kontrollera uppgiften mot regionens granskade riktlinjer innan "
                "du använder den.")
    return ("Svaret citerar ett ogranskat dokument (uppladdat och inte granskat av en "
            "redaktör); det är märkt så under källorna.")
