"""Ingest benchmark: cold build, unchanged re-run, one changed document, fresh-clone build.

- cold: an empty embedding cache and an empty index (every chunk embedded);
- unchanged: the same corpus again (the record manager skips everything, nothing embedded);
- one_changed: one paragraph of one document edited (only that document's changed chunks);
- fresh_clone: a new index with a copy of the shipped embedding cache (what `make index` does
  on a fresh clone: nothing embedded).

Usage (builds four indexes, so not a doctest):

    result = run_ingest_benchmark(Path("corpus"), Path("/tmp/bench-ingest"))
    result["steps"]["unchanged"]["embedded"]   # 0: the record manager skips every chunk
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from benchmarks.measure import folder_mb
from benchmarks.setup import BuiltIndex, build_index, isolated_settings, seed_cache

EDITED_DOC = "stockholm-vardgivarguiden-forskrivningsratt.txt"
EDIT = " Uppgiften kontrollerades vid en revision av rutinen."


def edit_one_document(corpus: Path, name: str = EDITED_DOC) -> str:
    """Append a sentence to the first long line of `name` (or, when the corpus has no such
    file, of its first text file), so that one chunk changes; returns the file's name."""
    if not (corpus / name).is_file():
        name = sorted(p.name for p in corpus.glob("*.txt"))[0]
    path = corpus / name
    lines = path.read_text(encoding="utf-8").split("\n")
    for i, line in enumerate(lines):
        if len(line) > 80:
            lines[i] = line.rstrip() + EDIT
            break
    else:
        lines.append(EDIT.strip())
    path.write_text("\n".join(lines), encoding="utf-8")
    return name


def _step(built: BuiltIndex) -> dict[str, Any]:
    r = built.report
    return {"seconds": round(built.seconds, 2), "embedded": built.embedded,
            "documents": r.documents, "chunks": r.chunks, "added": r.counts.added,
            "updated": r.counts.updated, "skipped": r.counts.skipped,
            "deleted": r.counts.deleted, "errors": list(r.errors),
            "embedded_per_s": round(built.embedded / built.seconds, 2)
            if built.embedded and built.seconds else None}


def run_ingest_benchmark(corpus_dir: Path, work: Path) -> dict[str, Any]:
    """All four steps on a copy of `corpus_dir` inside `work` (deleted by the caller)."""
    corpus = work / "corpus"
    shutil.copytree(corpus_dir, corpus)
    settings = isolated_settings(work / "cold", corpus)
    cold = build_index(settings)
    steps = {"cold": _step(cold)}
    steps["unchanged"] = _step(build_index(settings, cold.embeddings, cold.counter, cold.client))
    edited = edit_one_document(corpus)
    steps["one_changed"] = _step(build_index(settings, cold.embeddings, cold.counter,
                                             cold.client))
    steps["one_changed"]["document"] = edited
    index_mb = folder_mb(settings.index_dir)

    fresh = isolated_settings(work / "fresh", corpus_dir,
                              cache_dir=seed_cache(work / "fresh" / "embedding_cache"))
    steps["fresh_clone"] = _step(build_index(fresh))
    return {"kind": "ingest", "corpus": str(corpus_dir), "index_mb": index_mb, "steps": steps}
