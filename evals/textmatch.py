"""Text matching shared by the metrics: word overlap with a gold quote, verbatim-quote checks.

Example:
    >>> sorted(words("Vårdcentralen i första hand, ISO 120606"))
    ['120606', 'första', 'hand', 'iso', 'vårdcentralen']
    >>> round(overlap("Vårdcentralen i första hand", "vårdcentralen först hand"), 3)
    0.667
    >>> normalize_document("för-\\n skrivning  av\\n hjälpmedel")
    'förskrivning av hjälpmedel'
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

# Letters of any script (å, ä, ö, é, ü ...) and digits, so ISO codes like 120606 count as words.
WORD_RE = re.compile(r"[^\W_]+")
MIN_WORD_LEN = 3  # "words of 3+ letters": drops i, av, en, ... which would inflate overlap
HIT_SHARE = 0.6  # a text matches a gold quote when it has >= 60 % of the quote's words

_HYPHEN_BREAK = re.compile(r"(\w)-\s*\n\s*(\w)")
_WHITESPACE = re.compile(r"\s+")


def words(text: str) -> set[str]:
    """The distinct lowercased words of 3+ letters/digits in `text`."""
    return {w for w in WORD_RE.findall(text.lower()) if len(w) >= MIN_WORD_LEN}


def overlap(quote: str, text: str) -> float:
    """Share of the quote's words that occur in `text` (1.0 for a quote without such words
    when it stands in `text` case-insensitively, else 0.0)."""
    gold = words(quote)
    if not gold:
        return 1.0 if collapse(quote).lower() in collapse(text).lower() else 0.0
    return len(gold & words(text)) / len(gold)


def matches_quote(quote: str, text: str, share: float = HIT_SHARE) -> bool:
    return overlap(quote, text) >= share


def collapse(text: str) -> str:
    """Collapse every whitespace run to one space and strip the ends."""
    return _WHITESPACE.sub(" ", text).strip()


def normalize_document(raw: str) -> str:
    """Raw document text as a verbatim quote is compared against.

    Words hyphenated across a line break are joined first (extraction splits them, a quoting
    model writes them whole), then whitespace is collapsed.
    """
    return collapse(_HYPHEN_BREAK.sub(r"\1\2", raw))


def is_verbatim(quote: str, normalized_doc: str) -> bool:
    """True when the (non-empty) quote stands in the normalised document text, case-sensitive."""
    q = normalize_document(quote)
    return bool(q) and q in normalized_doc


class CorpusTexts:
    """Normalised text of corpus documents by file name, read lazily and cached.

    Text files are read directly; PDFs go through the project's ingest loader when it is
    importable. A document that cannot be read gives None (the caller decides what that means).
    """

    def __init__(self, corpus_dir: Path | str,
                 reader: Callable[[Path], str | None] | None = None) -> None:
        self.corpus_dir = Path(corpus_dir)
        self._reader = reader or _read_document
        self._cache: dict[str, str | None] = {}

    def __call__(self, doc: str) -> str | None:
        if doc not in self._cache:
            # Only the file name: a citation must not be able to point outside the corpus.
            path = self.corpus_dir / Path(doc).name
            raw = self._reader(path) if path.is_file() else None
            self._cache[doc] = None if raw is None else normalize_document(raw)
        return self._cache[doc]

    def exists(self, doc: str) -> bool:
        """The cited file is in the corpus (even if its text could not be read)."""
        return (self.corpus_dir / Path(doc).name).is_file()


def _read_document(path: Path) -> str | None:
    if path.suffix.lower() in {".txt", ".md"}:
        try:
            return path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError):
            return None
    try:
        from ingest.load import DocMeta, load_document
    except ImportError:
        return None
    try:
        loaded = load_document(path, DocMeta())
    except Exception:  # noqa: BLE001 - any unreadable document is simply "not verifiable"
        return None
    return "\n".join(page.text for page in loaded.pages)
