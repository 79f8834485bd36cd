"""Coverage: which decisive sentences of the corpus a rule quotes, and why the others are not rules.

A sentence is *decisive* when it uses normative wording (ska, får, ansvarar, förskriver, krävs,
gäller, omfattas, an amount in kronor …; the words are in `catalogue/coverage.yaml`). It is
*covered* when a rule's quote and the sentence contain one another, *explained* when an entry
of `coverage.yaml` names its document (and, narrower, its section or its words) with a reason,
and *open* otherwise.

The corpus's own report is `measure(rulebase, corpus_sentences(corpus_dir))`
(`python -m assistant rules coverage`).

Example:
    >>> rb = RuleBase.load()
    >>> source = rb.get("norrbotten.boundary.iso.181210").source
    >>> report = measure(rb, [Sentence(source.doc, source.section, source.quote),
    ...                       Sentence("x.txt", "", "Kommunen ansvarar för hembesök."),
    ...                       Sentence("x.txt", "", "Vädret är fint.")])  # not decisive
    >>> [(item.status.value, item.rules) for item in report.items]
    [('rule', ('norrbotten.boundary.iso.181210',)), ('open', ())]
    >>> report.share  # covered or explained, of all decisive sentences
    0.5
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable, Sequence

import yaml

from assistant.rules.catalogue import CATALOGUE_DIR
from assistant.rules.engine import RuleBase
from core.text import normalize_quote

COVERAGE_PATH = CATALOGUE_DIR / "coverage.yaml"


class Coverage(StrEnum):
    RULE = "rule"
    EXPLAINED = "explained"
    OPEN = "open"


@dataclass(frozen=True)
class Sentence:
    doc: str
    section: str  # heading path, " > "-joined
    text: str


@dataclass(frozen=True)
class CoveredSentence:
    sentence: Sentence
    status: Coverage
    rules: tuple[str, ...] = ()
    reason: str = ""


@dataclass(frozen=True)
class CoverageReport:
    items: tuple[CoveredSentence, ...]

    def count(self, status: Coverage) -> int:
        return sum(item.status is status for item in self.items)

    @property
    def share(self) -> float:
        """Covered or explained, of all decisive sentences (1.0 when there are none)."""
        if not self.items:
            return 1.0
        return 1 - self.count(Coverage.OPEN) / len(self.items)

    def to_json(self) -> dict[str, Any]:
        per_doc: dict[str, dict[str, int]] = {}
        for item in self.items:
            row = per_doc.setdefault(item.sentence.doc, {s.value: 0 for s in Coverage})
            row[item.status.value] += 1
        return {"decisive": len(self.items), "rule": self.count(Coverage.RULE),
                "explained": self.count(Coverage.EXPLAINED), "open": self.count(Coverage.OPEN),
                "share": round(self.share, 3), "per_doc": per_doc,
                "open_sentences": [{"doc": i.sentence.doc, "section": i.sentence.section,
                                    "text": i.sentence.text}
                                   for i in self.items if i.status is Coverage.OPEN]}


@lru_cache(maxsize=1)
def _config() -> dict[str, Any]:
    with COVERAGE_PATH.open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def _normal(text: str) -> str:
    # The quote comparison of the rest of the project, case-folded; a sentence's end stop aside.
    return normalize_quote(text, fold=True).strip(" .")


def is_decisive(text: str) -> bool:
    """Normative wording in a sentence long enough to state a rule."""
    config = _config()
    if len(text) < config["min_chars"]:
        return False
    return bool(re.search(config["normative"], text.lower()))


def corpus_sentences(corpus: Path) -> list[Sentence]:
    """The corpus's sentences with their section, as ingest chunks them."""
    from core.settings import Settings
    from core.text import split_sentences
    from ingest.load import read_manifest
    from ingest.pipeline import chunk_document, corpus_files, resolve_meta

    settings = Settings()
    manifest = read_manifest(corpus)
    out: list[Sentence] = []
    for path in corpus_files(corpus):
        for chunk in chunk_document(path, resolve_meta(path, manifest), settings):
            out.extend(Sentence(path.name, chunk.section, text)
                       for text in split_sentences(chunk.text))
    return out


def measure(rulebase: RuleBase, sentences: Iterable[Sentence],
            explanations: Sequence[dict[str, str]] | None = None) -> CoverageReport:
    """Every decisive sentence, with the rules that quote it or the reason it is no rule."""
    quotes: dict[str, list[tuple[str, str]]] = {}
    for rule in rulebase.rules:
        for quote in (rule.source.quote, *rule.source.also):
            quotes.setdefault(rule.source.doc, []).append((_normal(quote), rule.id))
    entries = list(explanations if explanations is not None else _config()["explained"])
    items: list[CoveredSentence] = []
    seen: set[tuple[str, str]] = set()
    for sentence in sentences:
        text = _normal(sentence.text)
        if not is_decisive(sentence.text) or (sentence.doc, text) in seen:
            continue
        seen.add((sentence.doc, text))
        rules = tuple(rid for quote, rid in quotes.get(sentence.doc, ())
                      if quote and (quote in text or text in quote))
        if rules:
            items.append(CoveredSentence(sentence, Coverage.RULE, rules))
            continue
        entry = next((e for e in entries if _explains(e, sentence, text)), None)
        if entry is not None:
            items.append(CoveredSentence(sentence, Coverage.EXPLAINED, reason=entry["reason"]))
        else:
            items.append(CoveredSentence(sentence, Coverage.OPEN))
    return CoverageReport(tuple(items))


def _explains(entry: dict[str, str], sentence: Sentence, text: str) -> bool:
    if entry.get("doc") and entry["doc"] != sentence.doc:
        return False
    if "section" in entry:
        parts = [p.strip().lower() for p in sentence.section.split(" > ")]
        if entry["section"].lower() not in parts:
            return False
    if "contains" in entry and _normal(entry["contains"]) not in text:
        return False
    # An entry with neither section nor words explains its whole document.
    return True
