"""Scale benchmark: a ×N corpus (variants of the real documents), measured like ×1.

Ingest time and embeddings computed, index size on disk, memory (RSS), query latency over the
dev questions and retrieval/answer quality on them, all from one process so RSS is this
factor's own.

Usage (builds a ×5 index, so not a doctest):

    result = run_scale_benchmark(Path("corpus"), Path("/tmp/bench-x5"), factor=5)
    result["quality"]["retrieval_hit_at_5"]   # the dev questions' hit@5 on the ×5 index
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Sequence

from benchmarks.measure import folder_mb, peak_rss_mb, percentiles, rss_mb
from benchmarks.setup import SCALE_CACHE, build_index, isolated_settings, seed_cache
from benchmarks.variants import make_scaled_corpus

QUALITY_KEYS = ("answer_correctness", "citation_hit_rate", "refusal_accuracy",
                "retrieval_hit_at_1", "retrieval_hit_at_5", "retrieval_mrr_at_10",
                "retrieval_ndcg_at_10")


def run_scale_benchmark(corpus_dir: Path, work: Path, factor: int,
                        items: Sequence[Any] | None = None,
                        cache_dir: Path | None = None) -> dict[str, Any]:
    """Build the ×`factor` corpus in `work`, index it, ask the dev questions and score them.

    `cache_dir` (default: data/index/bench_embedding_cache, seeded from the shipped cache)
    holds document embeddings across runs, so `embedded` counts only texts never seen before;
    the cold cost of a factor is `chunks / embedded_per_s` (see docs/benchmarks.md).
    """
    from assistant.pipeline import Assistant
    from benchmarks.setup import dev_items
    from evals.run import ask_all
    from evals.scoring import score
    from evals.textmatch import CorpusTexts

    items = list(items if items is not None else dev_items())
    corpus = work / "corpus"
    made = make_scaled_corpus(corpus_dir, corpus, factor)
    cache = seed_cache(cache_dir or SCALE_CACHE)
    settings = isolated_settings(work, corpus, cache_dir=cache)
    rss_before = rss_mb()
    built = build_index(settings)
    start = time.perf_counter()
    assistant = Assistant(settings, built.embeddings, built.client)
    load_s = time.perf_counter() - start
    assistant.ask(items[0].question)  # warm-up
    outputs = ask_all(assistant, items)
    texts = CorpusTexts(corpus)
    report = score(items, outputs, doc_text=texts, known_doc=texts.exists)
    stages = report["latency"]["per_stage"]
    return {
        "kind": "scale", "factor": factor, "documents": made["documents"],
        "chunks": built.report.chunks,
        "ingest": {"seconds": round(built.seconds, 1), "embedded": built.embedded,
                   "embedded_per_s": round(built.embedded / built.seconds, 2)
                   if built.embedded and built.seconds else None,
                   "errors": list(built.report.errors)},
        "assistant_load_s": round(load_s, 2),
        "index_mb": folder_mb(settings.index_dir),
        "rss_mb": {"before_ingest": rss_before, "after_queries": rss_mb(),
                   "peak": peak_rss_mb()},
        "query": {"questions": len(items),
                  "latency": percentiles(o.latency_ms for o in outputs.values()),
                  "per_stage": {k: {"p50_ms": _r(v["p50_ms"]), "p95_ms": _r(v["p95_ms"])}
                                for k, v in stages.items()}},
        "quality": {**{k: report["summary"].get(k) for k in QUALITY_KEYS},
                    "retrieval_hit_at_5_any_doc": any_doc_hit_at_5(items, outputs)},
        # Which questions lost their gold passage from the top 5, and what took its place.
        "retrieval_misses": [
            {"id": r["id"], "region": r["region"],
             "top_docs": [p.doc for p in (outputs[r["id"]].passages or ())[:3]]}
            for r in report["items"] if r["retrieval"] and not r["retrieval"]["hit_at_5"]],
    }


def any_doc_hit_at_5(items: Sequence[Any], outputs: dict[str, Any]) -> float | None:
    """hit@5 when a passage counts whatever file it is from, as long as its text matches a
    gold quote: tells "the same text, but a variant's copy ranked first" (a variant restating
    a national rule) apart from "the passage is lost"."""
    from evals.textmatch import matches_quote

    hits = []
    for item in items:
        out = outputs.get(item.id)
        if not item.answerable or not item.sources or out is None or out.passages is None:
            continue
        top = out.passages[:5]
        hits.append(any(matches_quote(src.quote, p.text) for src in item.sources for p in top))
    return sum(hits) / len(hits) if hits else None


def _r(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def run_sparse_probe(corpus_dir: Path, work: Path, factor: int,
                     items: Sequence[Any] | None = None) -> dict[str, Any]:
    """The parts of a ×`factor` corpus that need no embeddings, measured for real: chunking,
    building the BM25 index and the answerer's vocabulary, and BM25 query time and RSS.

    This is how ×100 is measured on a machine where embedding 45 000 chunks takes hours; the
    dense part (embedding, Chroma HNSW) is extrapolated from the smaller factors instead.
    """
    from assistant.answer import ExtractiveAnswerer
    from assistant.query import understand
    from assistant.retrieve import HybridRetriever
    from benchmarks.setup import dev_items
    from ingest.load import read_manifest
    from ingest.pipeline import chunk_document, corpus_files, resolve_meta

    items = list(items if items is not None else dev_items())
    corpus = work / "corpus"
    made = make_scaled_corpus(corpus_dir, corpus, factor)
    settings = isolated_settings(work, corpus)
    rss_before = rss_mb()
    start = time.perf_counter()
    manifest = read_manifest(corpus)
    chunks = [c for p in corpus_files(corpus)
              for c in chunk_document(p, resolve_meta(p, manifest), settings)]
    chunk_s = time.perf_counter() - start
    start = time.perf_counter()
    retriever = HybridRetriever(None, chunks, settings)
    ExtractiveAnswerer(retriever, settings)
    build_s = time.perf_counter() - start
    regions = retriever.regions
    times = []
    for item in items:
        query = understand(item.question, known_regions=regions)
        t0 = time.perf_counter()
        retriever.sparse(query.text, settings.sparse_k)
        times.append((time.perf_counter() - t0) * 1000)
    return {"kind": "scale_sparse", "factor": factor, "documents": made["documents"],
            "chunks": len(chunks), "chunking_s": round(chunk_s, 1),
            "bm25_and_vocabulary_build_s": round(build_s, 1),
            "bm25_query": percentiles(times),
            "rss_mb": {"before": rss_before, "after": rss_mb(), "peak": peak_rss_mb()}}
