"""Abbreviations the documents define themselves ("Medicinskt Ansvarig Sjuksköterska, MAS").

A question that uses the short form ("vad ska en MAS säkerställa?") is about passages that may
only use the long one ("En medicinskt ansvarig sjuksköterska ska …"): the long form is added
to what retrieval and answer selection look for. Only definitions found in the corpus count:
a long form whose words' initials spell the abbreviation, right before it.

Example:
    >>> abbr = Abbreviations.from_texts(["I kommunen finns en Medicinskt Ansvarig "
    ...                                  "Sjuksköterska, MAS."])
    >>> abbr.expand("Vad ska en MAS säkerställa?")
    'Medicinskt Ansvarig Sjuksköterska'
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_DEFINED = re.compile(r"((?:[\wåäöÅÄÖ-]+\s+){1,5}?[\wåäöÅÄÖ-]+)\s*[,(]\s*([A-ZÅÄÖ]{2,6})\b\)?")


class Abbreviations:
    """Short form → long form, as the corpus defines them."""

    def __init__(self, forms: dict[str, str]) -> None:
        self.forms = forms

    @classmethod
    def from_texts(cls, texts: Iterable[str]) -> Abbreviations:
        forms: dict[str, str] = {}
        for text in texts:
            for m in _DEFINED.finditer(" ".join(text.split())):
                words, short = m.group(1).split(), m.group(2)
                for k in range(len(short), 1, -1):  # the last k words spell it
                    tail = words[-k:]
                    if len(tail) == k and "".join(w[0] for w in tail).upper() == short:
                        forms.setdefault(short, " ".join(tail))
                        break
        return cls(forms)

    def expand(self, question: str) -> str:
        """The long forms of the abbreviations the question uses, space-separated."""
        return " ".join(long for short, long in self.forms.items()
                        if re.search(rf"(?<!\w){short}(?!\w)", question))
