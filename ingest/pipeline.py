"""The ingest pipeline: load → clean → chunk → index, per file, with progress and a summary.

A file that cannot be read is reported (name + what to do) and skipped; its chunks already in
the index stay untouched, and every other file is still ingested.

Example:
    >>> report = ingest(Settings.load())          # the whole corpus/ folder
    >>> print(report.summary())
    5 dokument, 440 chunkar (440 nya, 0 ändrade, 0 oförändrade, 0 borttagna) på 92.1 s
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

from assistant.settings import Settings
from assistant.values import Chunk
from ingest.chunk import chunk_lines
from ingest.clean import clean_pages
from ingest.index import IndexCounts, Indexer
from ingest.load import (
    DocMeta,
    LoadError,
    load_document,
    read_manifest,
    sidecar_meta,
)


@dataclass
class IngestReport:
    documents: int = 0
    chunks: int = 0
    counts: IndexCounts = field(default_factory=IndexCounts)
    errors: list[str] = field(default_factory=list)
    removed_docs: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def summary(self) -> str:
        c = self.counts
        line = (f"{self.documents} dokument, {self.chunks} chunkar ({c.added} nya, {c.updated} "
                f"ändrade, {c.skipped} oförändrade, {c.deleted} borttagna) på {self.seconds:.1f} s")
        if self.errors:
            line += f"; {len(self.errors)} fil(er) kunde inte läsas"
        return line

    def to_json(self) -> dict[str, Any]:
        return {"documents": self.documents, "chunks": self.chunks, "added": self.counts.added,
                "updated": self.counts.updated, "skipped": self.counts.skipped,
                "deleted": self.counts.deleted, "errors": self.errors,
                "removed_docs": self.removed_docs, "seconds": round(self.seconds, 2)}


def corpus_files(folder: Path) -> list[Path]:
    """Every candidate file in a folder (unsupported ones too: they get a clear message)."""
    return sorted(p for p in folder.iterdir()
                  if p.is_file() and not p.name.startswith(".") and p.name != "manifest.json"
                  and not p.name.endswith(".meta.json"))


def library_folders(settings: Settings) -> list[Path]:
    """The folders a whole-corpus ingest reads: the bundled corpus and the app's uploads.

    Both count as "the corpus" so that re-ingesting the bundled documents never prunes a
    document a user uploaded (and vice versa).
    """
    return [settings.corpus_dir] + ([settings.upload_dir] if settings.upload_dir.is_dir() else [])


def chunk_document(path: Path, meta: DocMeta, settings: Settings) -> list[Chunk]:
    """Load, clean and chunk one file (raises LoadError on bad input)."""
    loaded = load_document(path, meta, max_mb=settings.max_file_mb,
                           max_pages=settings.max_pdf_pages)
    lines = clean_pages(loaded.pages)
    chunks = chunk_lines(lines, loaded.doc, meta, settings.chunk_target_chars,
                         settings.chunk_max_chars)
    if not chunks:
        raise LoadError(path, "inga textstycken hittades efter rensning; kontrollera innehållet.")
    return chunks


def resolve_meta(path: Path, manifest: dict[str, DocMeta]) -> DocMeta:
    return manifest.get(path.name) or sidecar_meta(path) or DocMeta(title=path.stem)


def ingest(settings: Settings, paths: Sequence[Path] | None = None, progress: bool = True,
           indexer: Indexer | None = None) -> IngestReport:
    """Ingest files (default: the whole corpus folder, pruning documents that left it)."""
    start = time.perf_counter()
    whole_corpus = not paths
    files: list[Path] = []
    for p in paths or library_folders(settings):
        p = Path(p)
        files.extend(corpus_files(p) if p.is_dir() else [p])
    manifest: dict[str, DocMeta] = {}
    for folder in {f.parent for f in files} | ({settings.corpus_dir} if whole_corpus else set()):
        try:
            manifest.update(read_manifest(folder))
        except LoadError as exc:
            return IngestReport(errors=[str(exc)], seconds=time.perf_counter() - start)

    indexer = indexer or Indexer(settings)
    report = IngestReport()
    bar = _progress(files, progress)
    for path in bar:
        if hasattr(bar, "set_postfix_str"):
            bar.set_postfix_str(path.name[:40])
        try:
            chunks = chunk_document(path, resolve_meta(path, manifest), settings)
        except LoadError as exc:
            report.errors.append(str(exc))
            continue
        report.counts.add(indexer.index_document(path.name, chunks))
        report.documents += 1
        report.chunks += len(chunks)

    if whole_corpus:
        present = {f.name for f in files}
        for doc in sorted(indexer.indexed_docs() - present):
            report.counts.deleted += indexer.delete_document(doc)
            report.removed_docs.append(doc)
    report.seconds = time.perf_counter() - start
    indexer.write_state(report.to_json())
    return report


def _progress(files: list[Path], enabled: bool) -> Any:
    if not enabled:
        return files
    from tqdm import tqdm

    return tqdm(files, desc="Indexerar", unit="fil")
