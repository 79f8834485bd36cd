"""Text matching shared by the metrics: word overlap with a gold quote, verbatim-quote checks.

Example:
    >>> sorted(long_words("Vårdcentralen i första hand, ISO 120606"))
    ['120606', 'första', 'hand', 'iso', 'vårdcentralen']
    >>> round(overlap("Vårdcentralen i första hand", "vårdcentralen först hand"), 3)
    0.667
    >>> is_verbatim("för-\\n skrivning  av", normalize_quote("Om förskrivning av hjälpmedel"))
    True
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from core.text import normalize_quote

# Letters of any script (å, ä, ö, é, ü ...) and digits, so ISO codes like 120606 count as words.
WORD_RE = re.compile(r"[^\W_]+")
MIN_WORD_LEN = 3  # "words of 3+ letters": drops i, av, en, ... which would inflate overlap
HIT_SHARE = 0.6  # a text matches a gold quote when it has >= 60 % of the quote's words


def long_words(text: str) -> set[str]:
    """The distinct lowercased words of 3+ letters/digits in `text` (a set, unlike the
    assistant's `assistant.text.words`, which lists every token with a hyphenated word's parts)."""
    return {w for w in WORD_RE.findall(text.lower()) if len(w) >= MIN_WORD_LEN}


def overlap(quote: str, text: str) -> float:
    """Share of the quote's words that occur in `text` (1.0 for a quote without such words
    when it stands in `text` case-insensitively, else 0.0)."""
    gold = long_words(quote)
    if not gold:
        return 1.0 if normalize_quote(quote, fold=True) in normalize_quote(text, fold=True) else 0.0
    return len(gold & long_words(text)) / len(gold)


def matches_quote(quote: str, text: str, share: float = HIT_SHARE) -> bool:
    return overlap(quote, text) >= share


def is_verbatim(quote: str, normalized_doc: str) -> bool:
    """True when the (non-empty) quote stands in the document text, case-sensitive; the document
    comes as `core.text.normalize_quote` gives it (normalised once, quoted many times)."""
    q = normalize_quote(quote)
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
            self._cache[doc] = None if raw is None else normalize_quote(raw)
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
