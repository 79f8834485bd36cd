"""Measuring helpers shared by the benchmarks.

Example:
    >>> from langchain_core.embeddings import DeterministicFakeEmbedding
    >>> counting = CountingEmbeddings(DeterministicFakeEmbedding(size=4))  # any Embeddings
    >>> len(counting.embed_documents(["a", "b"])), counting.documents, counting.queries
    (2, 2, 0)
    >>> percentiles([10.0, 20.0, 30.0, None])
    {'n': 3, 'p50_ms': 20.0, 'p95_ms': 29.0, 'max_ms': 30.0}
"""

from __future__ import annotations

import os
import resource
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from langchain_core.embeddings import Embeddings

from evals.metrics import percentile


class CountingEmbeddings(Embeddings):
    """Counts the texts that reach the model (i.e. cache misses when wrapped by the cache)."""

    def __init__(self, base: Embeddings) -> None:
        self.base = base
        self.documents = 0
        self.queries = 0

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        self.documents += len(texts)
        return self.base.embed_documents(texts)

    def embed_query(self, text: str) -> list[float]:
        self.queries += 1
        return self.base.embed_query(text)


def cached_counting_embeddings(settings: Any) -> tuple[Embeddings, CountingEmbeddings]:
    """The project's cache-backed embeddings (cache dir from `settings`) around a counter;
    returns (embeddings to use, counter)."""
    from langchain_classic.embeddings import CacheBackedEmbeddings
    from langchain_classic.storage import LocalFileStore

    from core.embeddings import base_embeddings, cache_namespace

    counter = CountingEmbeddings(base_embeddings(settings))
    store_dir = Path(settings.embedding_cache_dir) / cache_namespace(settings)
    store_dir.mkdir(parents=True, exist_ok=True)
    cached = CacheBackedEmbeddings.from_bytes_store(counter, LocalFileStore(str(store_dir)),
                                                    namespace="", key_encoder="sha256")
    return cached, counter


def percentiles(values: Iterable[float | None]) -> dict[str, Any]:
    vals = [float(v) for v in values if v is not None]
    return {"n": len(vals), "p50_ms": _r(percentile(vals, 50)),
            "p95_ms": _r(percentile(vals, 95)), "max_ms": _r(max(vals) if vals else None)}


def rss_mb() -> float | None:
    """Current resident set size of this process (Linux /proc), in MB."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return None


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far, in MB (ru_maxrss is in kB on Linux)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def folder_mb(path: Path) -> float:
    total = 0
    for root, _dirs, files in os.walk(path):
        for name in files:
            try:
                total += (Path(root) / name).stat().st_size
            except OSError:
                pass
    return round(total / 1024 / 1024, 2)


def _r(value: float | None) -> float | None:
    return None if value is None else round(value, 1)
