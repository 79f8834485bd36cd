"""Exact dense search over a collection's vectors held in memory.

Chroma's HNSW graph of an embedded collection that has not reached its sync threshold is
rebuilt from the log each time the folder is opened, and its approximate search then returned
other neighbours near the cut-off from one process to the next: the same question got another
answer after a restart. Below `Settings.exact_search_max` chunks the retriever searches every
vector instead (436 × 384 floats here: well under a millisecond), ties broken by the order the
store lists its ids, so a question always gets the same passages.

    >>> index = ExactIndex(["a", "b", "c"], [[1.0, 0.0], [0.6, 0.8], [0.0, 1.0]])
    >>> [(id_, round(sim, 2)) for id_, sim in index.nearest([1.0, 0.0], 2)]
    [('a', 1.0), ('b', 0.6)]
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np


class ExactIndex:
    """Unit vectors by id; `nearest` ranks all of them by cosine similarity."""

    def __init__(self, ids: Sequence[str], vectors: Any) -> None:
        matrix = np.asarray(vectors, dtype=np.float32)
        matrix = matrix.reshape(len(ids), -1) if len(ids) else np.zeros((0, 0), np.float32)
        norms = np.linalg.norm(matrix, axis=1, keepdims=True)
        self.ids = list(ids)
        self.matrix = matrix / np.where(norms == 0, 1.0, norms)

    def __len__(self) -> int:
        return len(self.ids)

    def nearest(self, vector: Sequence[float], k: int) -> list[tuple[str, float]]:
        """(id, cosine similarity) of the k nearest vectors, best first."""
        if not self.ids or k <= 0:
            return []
        query = np.asarray(vector, dtype=np.float32)
        query = query / (np.linalg.norm(query) or 1.0)
        sims = self.matrix @ query
        # A stable sort of the negated similarities: equal scores keep the store's order.
        order = np.argsort(-sims, kind="stable")[:k]
        return [(self.ids[i], float(sims[i])) for i in order]
