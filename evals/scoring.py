"""Combine gold items and outputs into one report dictionary (what report.json holds).

The summary keys are the metric names that thresholds.toml refers to.

Example:
    >>> from evals.gold import GoldItem
    >>> from evals.outputs import ItemOutput
    >>> gold = [GoldItem(id="u", question="?", type="unanswerable", answerable=False)]
    >>> score(gold, {"u": ItemOutput(id="u", answer="Det framgår inte.", refused=True)}
    ...       )["summary"]["answer_correctness"]
    1.0
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from evals import metrics as m
from evals.gold import GoldItem
from evals.outputs import ItemOutput, missing_output

DocText = Callable[[str], str | None]


@dataclass
class ItemResult:
    item: GoldItem
    output: ItemOutput
    correctness: m.Correctness
    citation_hit: bool | None
    source_recall: float | None
    rule_agrees: bool | None
    retrieval: m.RetrievalScores | None
    verbatim: list[bool | None] = field(default_factory=list)
    sentences: tuple[int, int] = (0, 0)  # (all, with a [n] marker), for non-refused answers


def score_item(item: GoldItem, out: ItemOutput, doc_text: DocText | None = None,
               known_doc: Callable[[str], bool] | None = None) -> ItemResult:
    return ItemResult(
        item=item,
        output=out,
        correctness=m.check_answer(item, out),
        citation_hit=m.citation_hit(item, out),
        source_recall=m.source_recall(item, out),
        rule_agrees=m.rule_agrees(item, out),
        retrieval=None if out.passages is None else m.retrieval_scores(item, out.passages),
        verbatim=[] if doc_text is None else m.verbatim_flags(out.citations, doc_text, known_doc),
        sentences=(0, 0) if out.refused else m.marked_sentences(out.answer),
    )


def aggregate(results: Sequence[ItemResult], with_quotes: bool = True) -> dict[str, Any]:
    """All metrics over a set of results (the whole set, one type or one region)."""
    refusals = m.refusal_stats((r.item.answerable, r.output.refused) for r in results)
    answerable = [r for r in results if r.item.answerable]
    unanswerable = [r for r in results if not r.item.answerable]
    retrieval = [r.retrieval for r in results if r.retrieval is not None]
    quotes = m.quote_precision(f for r in results for f in r.verbatim)
    n_sent = sum(r.sentences[0] for r in results)
    n_marked = sum(r.sentences[1] for r in results)
    latencies = [r.output.latency_ms for r in results]
    # Generative outputs only; extractive outputs leave these None ("not measured").
    with_claims = [r.output for r in results if r.output.claims is not None]
    n_claims = sum(o.claims or 0 for o in with_claims)
    n_unsupported = sum(o.unsupported_claims or 0 for o in with_claims)
    ttft = [r.output.timings_ms.get("first_token") for r in results]
    return {
        "n": len(results),
        "n_answerable": len(answerable),
        "n_unanswerable": len(unanswerable),
        "errors": sum(r.output.error is not None for r in results),
        "answer_correctness": m.mean(r.correctness.correct for r in results),
        "answer_correctness_answerable": m.mean(r.correctness.correct for r in answerable),
        "answer_correctness_unanswerable": m.mean(r.correctness.correct for r in unanswerable),
        "citation_hit_rate": m.mean(r.citation_hit for r in results),
        "source_recall": m.mean(r.source_recall for r in results),
        "refusal_accuracy": refusals.accuracy,
        "refusal_precision": refusals.precision,
        "refusal_recall": refusals.recall,
        "false_refusal_rate": refusals.false_refusal_rate,
        "n_rule": sum(r.rule_agrees is not None for r in results),
        "rule_agreement": m.mean(r.rule_agrees for r in results),
        "n_citations": quotes.n_citations,
        "citation_precision": quotes.precision if with_quotes else None,
        "cited_sentence_share": n_marked / n_sent if n_sent else None,
        "n_retrieval": len(retrieval),
        "retrieval_hit_at_1": m.mean(s.hit_at_1 for s in retrieval),
        "retrieval_hit_at_5": m.mean(s.hit_at_5 for s in retrieval),
        "retrieval_mrr_at_10": m.mean(s.mrr_at_10 for s in retrieval),
        "retrieval_ndcg_at_10": m.mean(s.ndcg_at_10 for s in retrieval),
        "latency_p50_ms": m.percentile(latencies, 50),
        "latency_p95_ms": m.percentile(latencies, 95),
        "n_claims": n_claims,
        "unsupported_claim_rate": n_unsupported / n_claims if n_claims else None,
        "ttft_p50_ms": m.percentile(ttft, 50),
        "ttft_p95_ms": m.percentile(ttft, 95),
    }


def latency_table(results: Sequence[ItemResult]) -> dict[str, Any]:
    """p50/p95 overall, per pipeline stage (timings_ms keys) and per question type."""
    def pct(values: Iterable[float | None]) -> dict[str, Any]:
        vals = [v for v in values if v is not None]
        return {"n": len(vals), "p50_ms": m.percentile(vals, 50), "p95_ms": m.percentile(vals, 95)}

    stages = sorted({k for r in results for k in r.output.timings_ms})
    types = sorted({r.item.type for r in results})
    return {
        "overall": pct(r.output.latency_ms for r in results),
        "per_stage": {s: pct(r.output.timings_ms.get(s) for r in results) for s in stages},
        "per_type": {t: pct(r.output.latency_ms for r in results if r.item.type == t)
                     for t in types},
    }


def region_key(item: GoldItem) -> str:
    return item.region or "(none)"


def item_record(r: ItemResult) -> dict[str, Any]:
    """One item's result for report.json and the list of misses."""
    out, item = r.output, r.item
    return {
        "id": item.id,
        "type": item.type,
        "region": item.region,
        "answerable": item.answerable,
        "followup_of": item.followup_of,
        "question": item.question,
        "answer": out.answer,
        "gold_answer": item.answer,
        "refused": out.refused,
        "correct": r.correctness.correct,
        "reason": r.correctness.reason(),
        "citation_hit": r.citation_hit,
        "source_recall": r.source_recall,
        "cited": [{"doc": c.doc, "quote": c.quote} for c in out.citations],
        "gold_sources": [{"doc": s.doc, "quote": s.quote} for s in item.sources],
        "verbatim": r.verbatim,
        "rule_agrees": r.rule_agrees,
        "rule_status": out.rule_status,
        "rule_verdict": out.rule_verdict,
        "gold_verdict": item.rule.verdict if item.rule else None,
        "retrieval": None if r.retrieval is None else r.retrieval.__dict__,
        "latency_ms": out.latency_ms,
        "timings_ms": out.timings_ms,
        "answer_mode": out.answer_mode,
        "claims": out.claims,
        "unsupported_claims": out.unsupported_claims,
        "error": out.error,
    }


def score(items: Sequence[GoldItem], outputs: Mapping[str, ItemOutput],
          doc_text: DocText | None = None,
          known_doc: Callable[[str], bool] | None = None) -> dict[str, Any]:
    """The full report: summary, breakdowns by type and region, latency, per-item records.

    A gold item without an output is scored as a wrong answer (never skipped: a crash that
    drops answers must not raise the score). `doc_text` enables citation precision.
    """
    results = [score_item(it, outputs.get(it.id) or missing_output(it.id), doc_text, known_doc)
               for it in items]
    with_quotes = doc_text is not None
    gold_ids = {it.id for it in items}
    by_type: dict[str, list[ItemResult]] = {}
    by_region: dict[str, list[ItemResult]] = {}
    for r in results:
        by_type.setdefault(r.item.type, []).append(r)
        by_region.setdefault(region_key(r.item), []).append(r)
    return {
        "summary": aggregate(results, with_quotes),
        "by_type": {k: aggregate(v, with_quotes) for k, v in sorted(by_type.items())},
        "by_region": {k: aggregate(v, with_quotes) for k, v in sorted(by_region.items())},
        "latency": latency_table(results),
        "missing_outputs": [it.id for it in items if it.id not in outputs],
        "unknown_outputs": sorted(set(outputs) - gold_ids),
        "items": [item_record(r) for r in results],
    }
