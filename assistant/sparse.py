"""Sparse (BM25) search over analysed chunk terms, through an inverted index.

Scores are Okapi BM25 exactly as `rank_bm25.BM25Okapi` computes them (k1 1.5, b 0.75, and an
IDF floored at a quarter of the mean IDF for terms found in more than half of the chunks,
such as "hjälpmedel"), but each term's weights are computed once, at build time, and kept in
a posting list, so a query adds up only the chunks that contain its terms, where `rank_bm25`
scores every chunk in Python for every term (the times at scale are in docs/benchmarks.md).

Why not `bm25s`, which does the same thing: its IDF variants (Lucene, Robertson, ATIRE) each
change dev answers, because the answerer's thresholds were measured against these scores.
The scores are the ranking contract here.

Example:
    >>> index = SparseIndex([["rollator", "utomhus"], ["säng", "elsäng"], ["rollator"]])
    >>> [(i, round(s, 2)) for i, s in index.search(["rollator", "utomhus"], k=2)]
    [(0, 0.53), (2, 0.08)]
"""

from __future__ import annotations

import math
from collections import Counter

import numpy as np


class SparseIndex:
    """Okapi BM25 over pre-analysed documents (lists of terms); one job: score and rank."""

    def __init__(self, corpus: list[list[str]], k1: float = 1.5, b: float = 0.75,
                 epsilon: float = 0.25) -> None:
        self.size = len(corpus)
        counts = [Counter(terms) for terms in corpus]
        lengths = np.array([len(terms) for terms in corpus], dtype=float)
        avgdl = float(lengths.mean()) if self.size else 1.0
        postings: dict[str, list[tuple[int, int]]] = {}
        for doc, tf in enumerate(counts):
            for term, n in tf.items():
                postings.setdefault(term, []).append((doc, n))
        # In how many documents each term occurs (also the answerer's vocabulary test).
        self.doc_freq = {term: len(plist) for term, plist in postings.items()}
        idf = {t: math.log(self.size - df + 0.5) - math.log(df + 0.5)
               for t, df in self.doc_freq.items()}
        floor = epsilon * (sum(idf.values()) / len(idf)) if idf else 0.0
        norm = k1 * (1 - b + b * lengths / avgdl) if self.size else lengths
        self._postings: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        for term, plist in postings.items():
            docs = np.array([d for d, _ in plist], dtype=np.int64)
            tf_arr = np.array([n for _, n in plist], dtype=float)
            weight = idf[term] if idf[term] >= 0 else floor
            self._postings[term] = (docs, weight * tf_arr * (k1 + 1) / (tf_arr + norm[docs]))

    def scores(self, terms: list[str]) -> np.ndarray:
        """BM25 score of every document for `terms` (a repeated term counts again)."""
        scores = np.zeros(self.size)
        for term in terms:
            posting = self._postings.get(term)
            if posting is not None:
                docs, weights = posting
                scores[docs] += weights  # a posting list holds each document once
        return scores

    def search(self, terms: list[str], k: int) -> list[tuple[int, float]]:
        """The k best (document index, score) pairs with a score above 0, best first; equal
        scores keep document order, so results never depend on the sort."""
        scores = self.scores(terms)
        k = min(k, self.size)
        if k <= 0:
            return []
        # The k-th best score; of the chunks tied at it, the first ones in document order.
        kth = -np.partition(-scores, k - 1)[k - 1]
        above = np.flatnonzero(scores > kth)
        top = np.concatenate([above, np.flatnonzero(scores == kth)[:k - len(above)]])
        order = top[np.lexsort((top, -scores[top]))]
        return [(int(i), float(scores[i])) for i in order if scores[i] > 0]
