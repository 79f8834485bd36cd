"""Pure metric functions over gold items and outputs (definitions: evals/README.md).

Per-item functions return None when a metric does not apply to the item (e.g. citation hit on
an unanswerable question), so that aggregates average only over the items that count.

Example:
    >>> from evals.gold import GoldItem
    >>> from evals.outputs import ItemOutput
    >>> item = GoldItem(id="a", question="?", type="fees", answerable=True,
    ...                 must_include=(("200 kr", "200 kronor"),))
    >>> answer_correct(item, ItemOutput(id="a", answer="Avgiften är 200 kr [1]."))
    True
    >>> percentile([10, 20, 30, 40], 50)
    25.0
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from evals.gold import GoldItem
from evals.outputs import ItemOutput, OutCitation, Retrieved
from evals.textmatch import is_verbatim, matches_quote

RULE_DECIDED = frozenset({"verified", "conflict", "corrected"})
MARKER_RE = re.compile(r"\[\d+(?:\s*[,–-]\s*\d+)*\]")


# --- answer correctness -------------------------------------------------------------------

@dataclass(frozen=True)
class Correctness:
    """Whether an answer is correct, and why not (for the list of misses)."""

    correct: bool
    missing: tuple[tuple[str, ...], ...] = ()  # must_include groups with no alternative present
    forbidden: tuple[str, ...] = ()  # must_not_include strings present
    refusal: str | None = None  # "refused" (answerable) / "not refused" (unanswerable) / error

    def reason(self) -> str:
        parts = []
        if self.refusal:
            parts.append(self.refusal)
        if self.missing:
            parts.append("missing " + ", ".join("[" + " | ".join(g) + "]" for g in self.missing))
        if self.forbidden:
            parts.append("contains forbidden " + ", ".join(repr(s) for s in self.forbidden))
        return ", ".join(parts)


def check_answer(item: GoldItem, out: ItemOutput) -> Correctness:
    """Answerable: not refused, one alternative of every must_include group, no must_not_include.
    Unanswerable: refused, and no must_not_include. Matching is substring on lowercased text."""
    text = out.answer.lower()
    forbidden = tuple(s for s in item.must_not_include if s.lower() in text)
    if out.error is not None:
        return Correctness(False, item.must_include, forbidden, f"error: {out.error}")
    if not item.answerable:
        refusal = None if out.refused else "did not refuse an unanswerable question"
        return Correctness(out.refused and not forbidden, (), forbidden, refusal)
    missing = tuple(g for g in item.must_include if not any(alt.lower() in text for alt in g))
    refusal = "refused an answerable question" if out.refused else None
    return Correctness(not out.refused and not missing and not forbidden, missing, forbidden,
                       refusal)


def answer_correct(item: GoldItem, out: ItemOutput) -> bool:
    return check_answer(item, out).correct


# --- citations ---------------------------------------------------------------------------

def _same_doc(a: str, b: str) -> bool:
    # Compare file names only: a citation may carry a path where the gold has the bare name.
    return a.replace("\\", "/").rsplit("/", 1)[-1] == b.replace("\\", "/").rsplit("/", 1)[-1]


def citation_hits_source(citation: OutCitation, doc: str, quote: str) -> bool:
    """The citation names the gold file and its quote or its chunk text has >= 60 % of the
    gold quote's words."""
    return _same_doc(citation.doc, doc) and (
        matches_quote(quote, citation.quote) or matches_quote(quote, citation.text))


def sources_hit(item: GoldItem, citations: Iterable[OutCitation]) -> tuple[bool, ...]:
    """Per gold source: is it hit by some citation?"""
    cits = list(citations)
    return tuple(any(citation_hits_source(c, s.doc, s.quote) for c in cits)
                 for s in item.sources)


def citation_hit(item: GoldItem, out: ItemOutput) -> bool | None:
    """At least one gold source hit; None for unanswerable items and items without sources."""
    if not item.answerable or not item.sources:
        return None
    return any(sources_hit(item, out.citations))


def source_recall(item: GoldItem, out: ItemOutput) -> float | None:
    """Share of the item's gold sources hit; None where citation hit does not apply."""
    if not item.answerable or not item.sources:
        return None
    hits = sources_hit(item, out.citations)
    return sum(hits) / len(hits)


# --- refusals ----------------------------------------------------------------------------

@dataclass(frozen=True)
class RefusalStats:
    """Refusal as a classifier whose positive class is 'unanswerable'."""

    n: int
    true_refusals: int  # unanswerable and refused
    false_refusals: int  # answerable but refused
    missed_refusals: int  # unanswerable but answered
    n_answerable: int
    n_unanswerable: int

    @property
    def accuracy(self) -> float | None:
        return _ratio(self.n - self.false_refusals - self.missed_refusals, self.n)

    @property
    def precision(self) -> float | None:
        return _ratio(self.true_refusals, self.true_refusals + self.false_refusals)

    @property
    def recall(self) -> float | None:
        return _ratio(self.true_refusals, self.n_unanswerable)

    @property
    def false_refusal_rate(self) -> float | None:
        return _ratio(self.false_refusals, self.n_answerable)


def refusal_stats(pairs: Iterable[tuple[bool, bool]]) -> RefusalStats:
    """From (answerable, refused) pairs; an item is right when refused == (not answerable)."""
    n = tp = fp = fn = n_ans = 0
    for answerable, refused in pairs:
        n += 1
        n_ans += answerable
        tp += (not answerable) and refused
        fp += answerable and refused
        fn += (not answerable) and not refused
    return RefusalStats(n=n, true_refusals=tp, false_refusals=fp, missed_refusals=fn,
                        n_answerable=n_ans, n_unanswerable=n - n_ans)


# --- rules -------------------------------------------------------------------------------

def rule_agrees(item: GoldItem, out: ItemOutput) -> bool | None:
    """For items with a gold rule: status decided (verified/conflict/corrected) and the gold
    verdict (lowercased, "35 %" read as "35%") contained in the checker's verdict. None for
    items without a rule."""
    if item.rule is None:
        return None
    if out.rule_status not in RULE_DECIDED or not out.rule_verdict:
        return False
    return _verdict_text(item.rule.verdict) in _verdict_text(out.rule_verdict)


def _verdict_text(text: str) -> str:
    """Lower case, with the space before a percent sign dropped: "35 %" and "35%" are one
    verdict however the writer sets it."""
    return re.sub(r"\s+%", "%", text.lower())


# --- citation precision --------------------------------------------------------------------

@dataclass(frozen=True)
class QuotePrecision:
    n_citations: int
    n_verbatim: int
    n_unverifiable: int  # cited document exists but its text could not be read (e.g. a PDF)

    @property
    def precision(self) -> float | None:
        return _ratio(self.n_verbatim, self.n_citations - self.n_unverifiable)


def verbatim_flags(citations: Iterable[OutCitation], doc_text: Callable[[str], str | None],
                   known_doc: Callable[[str], bool] | None = None) -> list[bool | None]:
    """Per citation: does its quote stand verbatim in the cited document?

    `doc_text` returns the normalised document text (textmatch.CorpusTexts) or None. None per
    citation means unverifiable: `known_doc` says the file exists but could not be read. A
    citation of a file that does not exist is not verbatim (False).
    """
    flags: list[bool | None] = []
    for c in citations:
        text = doc_text(c.doc)
        if text is None:
            flags.append(None if known_doc is not None and known_doc(c.doc) else False)
        else:
            flags.append(is_verbatim(c.quote, text))
    return flags


def quote_precision(flags: Iterable[bool | None]) -> QuotePrecision:
    values = list(flags)
    return QuotePrecision(n_citations=len(values), n_verbatim=sum(v is True for v in values),
                          n_unverifiable=sum(v is None for v in values))


_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-ZÅÄÖÉÜ0-9\"”'(\[])")
_BLOCK_BREAK = re.compile(r"\n\s*\n|\n(?=\s*(?:[-•*]|\d+[.)])\s)")
_ONLY_MARKERS = re.compile(r"^(?:\[\d+(?:\s*[,–-]\s*\d+)*\]\s*)+[.]?$")


def split_sentences(text: str) -> list[str]:
    """Sentences of an answer: blocks are split at blank lines and list items (a single line
    break inside a sentence is just wrapping), then at . ! ? before a capital, digit or bracket
    (so "t.ex. andning" stays whole); a marker-only fragment ("[2]") joins the sentence before."""
    sentences: list[str] = []
    for block in _BLOCK_BREAK.split(text):
        block = " ".join(block.split()).lstrip("-•* ").strip()
        for part in _SENTENCE_END.split(block):
            part = part.strip()
            if not part:
                continue
            if _ONLY_MARKERS.match(part):
                if sentences:
                    sentences[-1] = f"{sentences[-1]} {part}"
                continue
            if re.search(r"[^\W\d_]", part):  # skip stray punctuation or list numbers
                sentences.append(part)
    return sentences


RULE_LEAD = "Enligt regelkontrollen"


def marked_sentences(text: str) -> tuple[int, int]:
    """(number of sentences, number carrying a [n] marker) of the quoted evidence. A rule's
    conclusion paragraph ("Enligt regelkontrollen: …") is the rule base's wording, not a quote,
    and is left out (its first sentence points to the rule's source)."""
    sentences = split_sentences(text)
    if text.startswith(RULE_LEAD):
        # A correction is its own paragraph; an agreeing rule's conclusion is one sentence.
        head, sep, rest = text.partition("\n\n")
        sentences = split_sentences(rest) if sep else sentences[1:]
    return len(sentences), sum(bool(MARKER_RE.search(s)) for s in sentences)


# --- retrieval ---------------------------------------------------------------------------

@dataclass(frozen=True)
class RetrievalScores:
    hit_at_1: float
    hit_at_5: float
    mrr_at_10: float
    ndcg_at_10: float


def first_ranks(item: GoldItem, passages: Sequence[Retrieved], k: int = 10) -> list[int | None]:
    """Per gold source: the 1-based rank of the first passage within the top k that is from the
    source's document and has >= 60 % of its quote's words; None when not retrieved."""
    ranks: list[int | None] = []
    for src in item.sources:
        rank = next((i for i, p in enumerate(passages[:k], start=1)
                     if _same_doc(p.doc, src.doc) and matches_quote(src.quote, p.text)), None)
        ranks.append(rank)
    return ranks


def retrieval_scores(item: GoldItem, passages: Sequence[Retrieved]) -> RetrievalScores | None:
    """hit@1, hit@5, MRR@10 and nDCG@10 for one item; None unless answerable with sources.

    nDCG counts each gold source once, at the rank of its first matching passage (so duplicate
    chunks of one source earn nothing), against the ideal of all sources at ranks 1..n. One
    chunk can hold several gold quotes; the score is then capped at 1.0.
    """
    if not item.answerable or not item.sources:
        return None
    ranks = [r for r in first_ranks(item, passages, k=10) if r is not None]
    best = min(ranks) if ranks else None
    dcg = sum(1.0 / math.log2(r + 1) for r in ranks)
    ideal = sum(1.0 / math.log2(i + 1) for i in range(1, min(len(item.sources), 10) + 1))
    return RetrievalScores(
        hit_at_1=float(best is not None and best <= 1),
        hit_at_5=float(best is not None and best <= 5),
        mrr_at_10=0.0 if best is None else 1.0 / best,
        ndcg_at_10=min(1.0, dcg / ideal),
    )


# --- aggregates --------------------------------------------------------------------------

def mean(values: Iterable[float | bool | None]) -> float | None:
    """Mean of the values that are not None; None when there are none."""
    vals = [float(v) for v in values if v is not None]
    return sum(vals) / len(vals) if vals else None


def percentile(values: Iterable[float | None], q: float) -> float | None:
    """The q-th percentile (0-100) with linear interpolation between ranks, as numpy's default."""
    vals = sorted(float(v) for v in values if v is not None)
    if not vals:
        return None
    pos = (len(vals) - 1) * q / 100.0
    lo = math.floor(pos)
    hi = min(lo + 1, len(vals) - 1)
    return vals[lo] + (vals[hi] - vals[lo]) * (pos - lo)


def _ratio(num: int, den: int) -> float | None:
    return num / den if den else None
