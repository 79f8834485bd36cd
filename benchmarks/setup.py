"""Isolated settings and index builds for the benchmarks (never touching data/index).

Usage (builds an index, so not a doctest):

    settings = isolated_settings(Path("/tmp/b"), corpus_dir=Path("corpus"))
    built = build_index(settings)          # BuiltIndex(seconds, embedded, report)
"""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.measure import CountingEmbeddings, cached_counting_embeddings
from core.settings import PROJECT_ROOT, Settings

SHIPPED_CACHE = PROJECT_ROOT / "data" / "embedding_cache"
# Scale runs share one cache (gitignored, under data/index/) so that ×10 reuses ×5's variants.
SCALE_CACHE = PROJECT_ROOT / "data" / "index" / "bench_embedding_cache"


def isolated_settings(work: Path, corpus_dir: Path, cache_dir: Path | None = None,
                      **changes: Any) -> Settings:
    """Defaults (no HJALP_* environment) with index, cache, uploads and feedback inside `work`."""
    work.mkdir(parents=True, exist_ok=True)
    return Settings.load(env={}).with_(
        corpus_dir=corpus_dir, index_dir=work / "index",
        embedding_cache_dir=cache_dir or work / "embedding_cache",
        upload_dir=work / "no-uploads", feedback_db=work / "feedback.sqlite", **changes)


def seed_cache(target: Path, source: Path = SHIPPED_CACHE) -> Path:
    """Copy the shipped embedding cache into `target` (once), like a fresh clone has it."""
    if not target.exists() and source.is_dir():
        shutil.copytree(source, target)
    target.mkdir(parents=True, exist_ok=True)
    return target


@dataclass
class BuiltIndex:
    seconds: float
    embedded: int  # texts that reached the model (embedding cache misses)
    report: Any  # ingest.pipeline.IngestReport
    embeddings: Any
    counter: CountingEmbeddings
    client: Any


def build_index(settings: Settings, embeddings: Any = None,
                counter: CountingEmbeddings | None = None, client: Any = None) -> BuiltIndex:
    """Whole-corpus ingest of `settings.corpus_dir` into `settings.index_dir`, timed, counting
    the embeddings computed. Pass `embeddings`/`counter`/`client` to reuse them for a re-run."""
    from core.store import chroma_client
    from ingest.index import Indexer
    from ingest.pipeline import ingest

    if embeddings is None or counter is None:
        embeddings, counter = cached_counting_embeddings(settings)
    client = client if client is not None else chroma_client(settings)
    before = counter.documents
    start = time.perf_counter()
    indexer = Indexer(settings, embeddings=embeddings, client=client)
    report = ingest(settings, progress=False, indexer=indexer)
    seconds = time.perf_counter() - start
    return BuiltIndex(seconds=seconds, embedded=counter.documents - before, report=report,
                      embeddings=embeddings, counter=counter, client=client)


def dev_items(limit: int | None = None) -> list[Any]:
    """The dev gold questions (with earlier turns of follow-ups kept in order)."""
    from evals.gold import load_gold

    items = load_gold(PROJECT_ROOT / "evals" / "dev.jsonl")
    return items if limit is None else items[:limit]
