"""Baselines for `python -m evals run`: the same questions through other retrieval setups.

Columns of one comparison table (report.md "Baselines"), all answered by the same
ExtractiveAnswerer:

    bm25      the project's pipeline with BM25 only (`Assistant.ask(retrieval_mode="bm25")`)
    dense     the project's pipeline with dense (e5 + Chroma) only
    hybrid    the project's pipeline as shipped (dense + BM25 fused)
    tutorial  the LangChain RAG a user would copy: the same loaded and cleaned documents,
              `RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200)`, the same
              embeddings in a Chroma collection of its own, top-4 dense on the question as
              asked; no query understanding, no region boost, no rule checker

Usage (builds a Chroma collection of its own, so not a doctest):

    tut = TutorialRag.build(settings, settings.index_dir / "evals_tutorial")  # cached
    tut.ask("Vem förskriver en rollator i Norrbotten?")   # an Answer from the top-4 dense chunks
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

TUTORIAL_CHUNK_SIZE = 1000
TUTORIAL_CHUNK_OVERLAP = 200
TUTORIAL_K = 4
TUTORIAL_COLLECTION = "tutorial_rag"

# Column order of the comparison table; "hybrid" is the shipped configuration.
PIPELINE_MODES = ("bm25", "dense", "hybrid")
ALL_BASELINES = (*PIPELINE_MODES, "tutorial")


@dataclass
class _ModeAsker:
    """`ask` of an Assistant pinned to one retrieval mode (what `evals.run.ask_all` calls)."""

    assistant: Any
    retrieval_mode: str

    def ask(self, question: str, history: Sequence[Any] = (), region: str | None = None) -> Any:
        return self.assistant.ask(question, history=history, region=region,
                                  retrieval_mode=self.retrieval_mode)


def mode_asker(assistant: Any, retrieval_mode: str) -> _ModeAsker:
    if retrieval_mode not in PIPELINE_MODES:
        raise ValueError(f"unknown retrieval mode {retrieval_mode!r}; use one of "
                         f"{PIPELINE_MODES}")
    return _ModeAsker(assistant, retrieval_mode)


def tutorial_chunks(corpus_dir: Path, chunk_size: int = TUTORIAL_CHUNK_SIZE,
                    chunk_overlap: int = TUTORIAL_CHUNK_OVERLAP) -> list[Any]:
    """The corpus as the tutorial would chunk it: each file loaded and cleaned by the project's
    own loader (so both sides read the same text), joined line by line, then split with
    RecursiveCharacterTextSplitter. Returns `core.values.Chunk`s that carry the manifest's
    document metadata (a LangChain loader keeps metadata too), so the answerer can scope them."""
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    from core.values import Chunk
    from ingest.clean import clean_pages
    from ingest.load import LoadError, load_document, read_manifest
    from ingest.pipeline import corpus_files, resolve_meta

    splitter = RecursiveCharacterTextSplitter(chunk_size=chunk_size, chunk_overlap=chunk_overlap)
    manifest = read_manifest(corpus_dir)
    chunks: list[Chunk] = []
    for path in corpus_files(corpus_dir):
        meta = resolve_meta(path, manifest)
        try:
            loaded = load_document(path, meta)
        except LoadError:
            continue  # the project's ingest skips such a file too
        text = "\n".join(line.text for line in clean_pages(loaded.pages))
        for i, piece in enumerate(splitter.split_text(text)):
            chunk_id = hashlib.sha256(f"{path.name}\n{i}\n{piece}".encode()).hexdigest()[:32]
            chunks.append(Chunk(id=chunk_id, doc=path.name, text=piece, title=meta.title,
                                regions=meta.regions, date=meta.date, doc_type=meta.doc_type,
                                publisher=meta.publisher))
    return chunks


class TutorialRag:
    """The tutorial RAG baseline over its own Chroma collection (built once, then reused).

    The ExtractiveAnswerer needs vocabulary statistics (IDF, term coverage) over the chunks it
    answers from; it gets them from a HybridRetriever over the tutorial's chunks, which is
    used for nothing else: retrieval is the tutorial's top-4 dense search.
    """

    def __init__(self, settings: Any, store: Any, chunks: list[Any],
                 build_seconds: float = 0.0, embedded: int = 0) -> None:
        from assistant.answer import ExtractiveAnswerer
        from assistant.retrieve import HybridRetriever

        self.settings = settings
        self.store = store
        self.stats = HybridRetriever(None, chunks, settings)
        self.answerer = ExtractiveAnswerer(self.stats, settings)
        self.by_id = {c.id: c for c in chunks}
        self.build_seconds = build_seconds
        self.embedded = embedded  # chunks written to the collection by this build (0: reused)

    @classmethod
    def build(cls, settings: Any, cache_dir: Path, corpus_dir: Path | None = None,
              embeddings: Any = None) -> TutorialRag:
        """Index the tutorial chunks into `cache_dir/chroma` (collection "tutorial_rag") with
        document embeddings cached in `cache_dir/embedding_cache`; an up-to-date collection is
        reused, so a re-run embeds nothing."""
        import chromadb
        from chromadb.config import Settings as ChromaSettings
        from langchain_chroma import Chroma

        from core.embeddings import make_embeddings
        from core.store import read_all

        start = time.perf_counter()
        cache_dir = Path(cache_dir)
        corpus_dir = Path(corpus_dir or settings.corpus_dir)
        chunks = tutorial_chunks(corpus_dir)
        if embeddings is None:
            embeddings = make_embeddings(
                settings.with_(embedding_cache_dir=cache_dir / "embedding_cache"))
        client = chromadb.PersistentClient(
            path=str(cache_dir / "chroma"),
            settings=ChromaSettings(anonymized_telemetry=False, allow_reset=False))
        store = Chroma(collection_name=TUTORIAL_COLLECTION, embedding_function=embeddings,
                       client=client, collection_metadata={"hnsw:space": "cosine"})
        have = set(read_all(store, [])["ids"])
        want = {c.id for c in chunks}
        if have != want:
            if have:
                store.delete(list(have))
            store.add_texts([c.text for c in chunks], metadatas=[c.metadata() for c in chunks],
                            ids=[c.id for c in chunks])
        return cls(settings, store, chunks, build_seconds=time.perf_counter() - start,
                   embedded=0 if have == want else len(chunks))

    def ask(self, question: str, history: Sequence[Any] = (), region: str | None = None) -> Any:
        """Top-4 dense on the question as asked, answered by the ExtractiveAnswerer."""
        from assistant.query import understand
        from core.values import Passage

        timings: dict[str, float] = {}
        t0 = time.perf_counter()
        # The answerer reads the question's region and key terms from a Query; retrieval
        # itself uses the raw question, as the tutorial chain does.
        query = understand(question, history, region, self.stats.regions)
        hits = self.store.similarity_search_with_score(question, k=TUTORIAL_K)
        passages = []
        for rank, (doc, distance) in enumerate(hits, start=1):
            chunk = self.by_id.get(str(doc.metadata.get("chunk_id")))
            if chunk is not None:
                passages.append(Passage(chunk=chunk, rank=rank, fused=1.0 - float(distance),
                                        dense=1.0 - float(distance), dense_rank=rank))
        t1 = time.perf_counter()
        timings["retrieve"] = (t1 - t0) * 1000
        answer = self.answerer.run(query, passages)
        timings["answer"] = (time.perf_counter() - t1) * 1000
        # answer.passages stays what the answerer read (region-scoped), as for the pipeline.
        answer.timings_ms = timings
        return answer


def parse_baselines(value: str | None) -> tuple[str, ...]:
    """`--baselines bm25,dense,...` → names in table order; 'all' or empty → all of them."""
    if value is None or value.strip().lower() in {"", "all"}:
        return ALL_BASELINES
    names = [v.strip().lower() for v in value.split(",") if v.strip()]
    unknown = [n for n in names if n not in ALL_BASELINES]
    if unknown:
        raise ValueError(f"unknown baseline(s) {', '.join(unknown)}; "
                         f"choose from {', '.join(ALL_BASELINES)}")
    return tuple(n for n in ALL_BASELINES if n in names)
