"""Retrieve: hybrid dense (Chroma + e5) and sparse (Swedish BM25) search, fused.

The two retrievers fail on different questions, so their results are fused: by default on their
scores (DBSF), or on their ranks (RRF) by setting; chunks from the region a question is about
get a boost. Each text is ranked once: copies of a passage in other documents, exact or cut
elsewhere, are one passage that cites the preferred copy (assistant.copies). `retrieval_mode`
selects "hybrid", "dense" or "bm25" so that the evaluation can compare them on the same questions.

Usage (needs the built index, so not a doctest):

    retriever = HybridRetriever.from_store(store, settings)
    passages = retriever.retrieve(understand("Vem förskriver en rollator i Norrbotten?"))
    passages[0].chunk.doc   # 'norrbotten-policy-hjalpmedelsforskrivning-2013.txt'
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Sequence

from assistant.copies import Copies, Key, citing_order, preference
from assistant.query import Query
from assistant.sparse import SparseIndex
from assistant.text import Analyzer
from core.exact_search import ExactIndex
from core.settings import Fusion, RetrievalMode, Settings, StoreKind
from core.store import chunks_from, nearest, read_all
from core.values import Chunk, Passage


@dataclass
class _Hit:
    key: Key  # the text's copy key (assistant.copies): copies are one hit
    dense: float | None = None
    sparse: float | None = None
    dense_rank: int | None = None
    sparse_rank: int | None = None
    fused: float = 0.0


@dataclass
class _Pick:
    hit: _Hit
    chunk: Chunk  # the copy cited
    docs: set[str]  # documents holding the text or a near-copy of it

    @property
    def documents(self) -> int:
        return len(self.docs)


RARE_IDF = 4.0  # a term few passages use: specific enough to be what a question or part asks about
PART_CANDIDATES = 40  # BM25 candidates a part's evidence is chosen from


class HybridRetriever:
    """Dense + BM25 over one Chroma collection; the BM25 index is built from the same chunks."""

    def __init__(self, store: Any, chunks: list[Chunk], settings: Settings,
                 store_ids: Sequence[str] = ()) -> None:
        """`store_ids` are the chunks' Chroma ids, needed for dense search; without a store
        (BM25 only, or vocabulary statistics) there are none."""
        if store is not None and len(store_ids) != len(chunks):
            raise ValueError("dense search needs the Chroma id of every chunk "
                             "(use HybridRetriever.from_store)")
        self.store = store
        self.settings = settings
        self.chunks = chunks
        self.by_store_id = dict(zip(store_ids, chunks, strict=True)) if store_ids else {}
        self.analyzer = Analyzer.from_texts(c.text for c in chunks)
        # The heading path is indexed too: a row under "Egenavgifter 2025" is about fees.
        corpus = [self.analyzer.terms(f"{c.section}\n{c.text}") for c in chunks]
        self.bm25 = SparseIndex(corpus)
        self.doc_freq = self.bm25.doc_freq
        # Kept so that answering can test term coverage without analysing chunks again.
        self.chunk_terms = {c.id: frozenset(t) for c, t in zip(chunks, corpus, strict=True)}
        self.regions = sorted({r for c in chunks for r in c.regions})
        self.copies = Copies(chunks)
        self.documents = len({c.doc for c in chunks})
        self.exact: ExactIndex | None = None

    @classmethod
    def from_store(cls, store: Any, settings: Settings) -> HybridRetriever:
        # The embedded store rebuilds its HNSW graph on every load (see core/exact_search.py);
        # a Chroma server keeps its graph, and every search stays the server's. The vectors
        # are read in the same pass as the chunks.
        exact = (settings.store is StoreKind.EMBEDDED
                 and store._collection.count() <= settings.exact_search_max)
        data = read_all(store, ["documents", "metadatas", *(["embeddings"] if exact else [])])
        chunks = chunks_from(data)
        retriever = cls(store, list(chunks.values()), settings, store_ids=list(chunks))
        if exact:
            retriever.exact = ExactIndex(data["ids"], data["embeddings"])
        return retriever

    def _fuse(self, scores: list[float]) -> list[float]:
        if self.settings.fusion is Fusion.DBSF:
            return _dbsf(scores)
        return _rrf(scores, self.settings.rrf_k)

    def idf(self, term: str) -> float:
        n = max(len(self.chunks), 1)
        return math.log(1 + n / (1 + self.doc_freq.get(term, 0)))

    def dense(self, text: str, k: int) -> list[tuple[Chunk, float]]:
        # An id missing from the map was indexed after this retriever was built: skipped
        # until the assistant reloads.
        found = (self.exact.nearest(self.store.embeddings.embed_query(text), k)
                 if self.exact is not None else nearest(self.store, text, k))
        return [(self.by_store_id[id_], sim) for id_, sim in found if id_ in self.by_store_id]

    def sparse(self, text: str, k: int) -> list[tuple[Chunk, float]]:
        return [(self.chunks[i], score)
                for i, score in self.bm25.search(self.analyzer.terms(text), k)]

    def pool(self, base: int) -> int:
        """How many candidates each retriever returns: `base`, more in a large library."""
        return max(base, self.settings.candidates_per_doc * self.documents)

    def retrieve(self, query: Query, k: int | None = None,
                 retrieval_mode: str = RetrievalMode.HYBRID) -> list[Passage]:
        """The k best passages, each text once (see assistant.copies); scores and ranks are
        those of the text in each candidate list."""
        k = k or self.settings.top_k
        mode = RetrievalMode.from_str(retrieval_mode)
        hits: dict[Key, _Hit] = {}
        if mode in (RetrievalMode.HYBRID, RetrievalMode.DENSE):
            dense = self.copies.unique(self.dense(query.text, self.pool(self.settings.dense_k)))
            for rank, ((key, sim), part) in enumerate(
                    zip(dense, self._fuse([s for _, s in dense]), strict=True), 1):
                hit = hits.setdefault(key, _Hit(key))
                hit.dense, hit.dense_rank = sim, rank
                hit.fused += part
        if mode in (RetrievalMode.HYBRID, RetrievalMode.BM25):
            sparse = self.copies.unique(
                self.sparse(query.text, self.pool(self.settings.sparse_k)))
            for rank, ((key, score), part) in enumerate(
                    zip(sparse, self._fuse([s for _, s in sparse]), strict=True), 1):
                hit = hits.setdefault(key, _Hit(key))
                hit.sparse, hit.sparse_rank = score, rank
                hit.fused += part
        if query.regions:
            for hit in hits.values():
                if self.copies.in_regions(hit.key, query.regions):
                    hit.fused *= self.settings.region_boost
        ranked = sorted(hits.values(), key=lambda h: -h.fused)
        if mode is not RetrievalMode.DENSE and (own := self._regions_own(query, hits)):
            cut = max(0, k - len(own))
            ranked = ranked[:cut] + own + ranked[cut:]
        return [Passage(chunk=pick.chunk, rank=i, fused=pick.hit.fused, dense=pick.hit.dense,
                        sparse=pick.hit.sparse, dense_rank=pick.hit.dense_rank,
                        sparse_rank=pick.hit.sparse_rank, copies=pick.documents)
                for i, pick in enumerate(self._pick(ranked, k, query.regions), 1)]

    def for_parts(self, query: Query, clauses: Sequence[str], found: list[Passage],
                  per_part: int = 3) -> list[Passage]:
        """For a question of several parts, each part's own best passages by BM25 (its clause
        with the question's regions), those not `found` already, ranked after them: "hur ofta
        ska X följas upp, och vilken utbildning krävs?" needs the passage on follow-up even
        when the whole question's words pull towards the one on training."""
        have = {p.chunk.id for p in found}
        places = " ".join(query.regions)
        extra: list[Passage] = []
        for clause in clauses:
            # The part's rare words name its evidence ("förskrivningsuppdraget"); BM25 over the
            # clause orders what holds as many of them.
            rare = {t for t in self.analyzer.terms(clause) if self.idf(t) >= RARE_IDF}
            hits = []
            for key, score in self.copies.unique(self.sparse(f"{clause} {places}",
                                                             self.pool(PART_CANDIDATES))):
                if query.regions and not self.copies.in_regions(key, query.regions):
                    continue
                chunk = self.copies.choose(key, query.regions)
                if chunk.id not in have:
                    held = len(rare & self.chunk_terms[chunk.id])
                    hits.append((held, score, chunk))
            hits.sort(key=lambda h: (-h[0], -h[1]))
            for _, score, chunk in hits[:per_part]:
                have.add(chunk.id)
                extra.append(Passage(chunk=chunk, rank=len(found) + len(extra) + 1,
                                     sparse=score))
        return extra

    def _regions_own(self, query: Query, hits: dict[Key, _Hit]) -> list[_Hit]:
        """For an asked region that none of the candidates is from (a region with a few
        passages, such as one survey answer), its own best passages by BM25, placed last
        within the k returned: region scoping keeps them, so the question is judged on its
        region's evidence rather than on none."""
        missing = [r for r in query.regions
                   if not any(self.copies.in_regions(key, (r,)) for key in hits)]
        if not missing:
            return []
        found = self.copies.unique(self.sparse(query.text, len(self.chunks)))
        own = [(key, score) for key, score in found
               if key not in hits and self.copies.in_regions(key, missing)]
        return [_Hit(key, sparse=score) for key, score in own[: self.settings.top_k]]

    def _pick(self, ranked: list[_Hit], k: int, regions: Sequence[str]) -> list[_Pick]:
        """The k best hits, each passage once. A near-copy of a passage (the same passage in
        another document, cut elsewhere) is the same passage, and the copy to cite is the
        preferred one (an asked region's document, else the newest): a preferred near-copy
        is cited instead if it holds every sentence of the text found; if it does not (it may
        lack the sentence that answers) but was found itself, the passage is ranked there."""
        found = {hit.key for hit in ranked}
        picks: list[_Pick] = []
        claimed: set[Key] = set()
        for hit in ranked:
            if len(picks) == k:
                break
            if hit.key in claimed:
                continue
            own = self.copies.choose(hit.key, regions)
            twins = {t: self.copies.choose(t, regions) for t in self.copies.near_copies(hit.key)}
            better = sorted((t for t, c in twins.items()
                             if preference(c, regions) < preference(own, regions)),
                            key=lambda t: citing_order(twins[t], regions))
            stand_in = next((t for t in better if self.copies.holds(t, hit.key)), None)
            if stand_in is None and found.intersection(better):
                continue
            claimed.update(twins.keys() if stand_in is not None else twins.keys() - set(better))
            chunk = own if stand_in is None else twins[stand_in]
            docs = {doc for key in (hit.key, *twins) for doc in self.copies.docs(key)}
            picks.append(_Pick(hit, chunk, docs))
        return picks


def _rrf(scores: list[float], k: int) -> list[float]:
    """Reciprocal rank fusion: only the rank counts."""
    return [1.0 / (k + rank) for rank in range(1, len(scores) + 1)]


def _dbsf(scores: list[float]) -> list[float]:
    """Distribution-based score fusion: scores scaled by their list's mean ± 3 standard
    deviations, so a clear BM25 winner keeps its margin while near-equal cosine similarities
    stay near-equal (RRF would turn both into the same rank steps).

    Unlike Qdrant's DBSF the top is not clamped at 1: in a long candidate list (thousands in
    a large library) dozens of scores lie above mean + 3σ and would all tie at 1; unclamped,
    retrieval is better on the dev set and at scale (docs/benchmarks.md, Scale)."""
    if not scores:
        return []
    mean = sum(scores) / len(scores)
    sd = math.sqrt(sum((s - mean) ** 2 for s in scores) / len(scores)) or 1.0
    low, high = mean - 3 * sd, mean + 3 * sd
    return [max(0.0, (s - low) / (high - low)) for s in scores]

