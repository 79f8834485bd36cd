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
