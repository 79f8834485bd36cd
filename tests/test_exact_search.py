"""Dense search gives the same passages in every process: the same question, the same answer.

Chroma's HNSW graph of the embedded collection is rebuilt on every load below its sync
threshold, and its approximate neighbours near the cut-off then changed from one process to
the next (a dev question's answer flipped between 236 and 330 characters across runs).
`core.exact_search.ExactIndex` searches every vector instead; these tests hold it to exact
cosine ranking and the whole answer to being the same in fresh processes with different hash
seeds.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import isolated_app_env

from core.exact_search import ExactIndex

ROOT = Path(__file__).resolve().parent.parent
# dev-055 is a question whose answer changed between processes under the approximate search
# (read from the gold file, not copied here); the others are of this test's own wording.
DEV2 = {row["id"]: row["question"] for row in (
    json.loads(line) for line in (ROOT / "evals" / "dev2.jsonl").read_text("utf-8").splitlines()
    if line.strip())}
QUESTIONS = [
    DEV2["dev-055"],
    "Vem förskriver en duschpall till en 82-åring med hemsjukvård i Boden?",
    "What does a patient in Kronoberg pay for a TENS unit per month?",
]
ASK = """
import json, sys
from assistant.pipeline import Assistant
assistant = Assistant.from_settings()
out = []
for q in json.loads(sys.argv[1]):
    a = assistant.ask(q).to_json()
    a.pop("latency_ms"); a.pop("timings_ms")
    out.append(a)
print(json.dumps(out, ensure_ascii=False))
"""


def test_exact_index_ranks_by_cosine_and_keeps_the_store_order_for_ties() -> None:
    rng = np.random.default_rng(7)
    vectors = rng.normal(size=(50, 8))
    ids = [f"c{i}" for i in range(50)]
    index = ExactIndex(ids, vectors)
    query = rng.normal(size=8)
    sims = vectors @ query / (np.linalg.norm(vectors, axis=1) * np.linalg.norm(query))
    expected = [ids[i] for i in np.argsort(-sims, kind="stable")[:10]]
    assert [id_ for id_, _ in index.nearest(query, 10)] == expected
    tied = ExactIndex(["x", "y", "z"], [[0.0, 2.0], [0.0, 1.0], [1.0, 0.0]])
    assert [id_ for id_, _ in tied.nearest([0.0, 1.0], 3)] == ["x", "y", "z"]
    assert ExactIndex([], []).nearest([1.0], 3) == []


def test_the_retriever_ranks_every_stored_vector_exactly(bundled_index) -> None:
    from assistant.pipeline import Assistant
    from core.store import read_all

    settings, _ = bundled_index
    assistant = Assistant.from_settings(settings)
    retriever = assistant.retriever
    assert retriever.exact is not None and len(retriever.exact) == len(retriever.chunks)
    # Brute force over what Chroma stores, computed here on its own.
    stored = read_all(assistant.store, ["embeddings"])
    matrix = np.asarray(stored["embeddings"], dtype=np.float64)
    matrix /= np.linalg.norm(matrix, axis=1, keepdims=True)
    for question in QUESTIONS:
        query = np.asarray(assistant.embeddings.embed_query(question), dtype=np.float64)
        sims = matrix @ (query / np.linalg.norm(query))
        found = retriever.dense(question, 30)
        # The 30 best similarities there are, in order (compared as numbers, so a float32
        # near-tie at the cut cannot make the test flaky).
        assert np.allclose([sim for _, sim in found], np.sort(sims)[::-1][:30], atol=1e-5)


@pytest.mark.slow
def test_the_same_questions_get_the_same_answers_in_fresh_processes(bundled_index,
                                                                     bundled_cache_dir,
                                                                     tmp_path) -> None:
    settings, _ = bundled_index
    env = {**os.environ, **isolated_app_env(tmp_path, settings.index_dir, bundled_cache_dir)}
    runs = []
    for seed in ("1", "3", "6"):  # seeds under which the approximate search disagreed
        done = subprocess.run([sys.executable, "-c", ASK, json.dumps(QUESTIONS)], cwd=ROOT,
                              env={**env, "PYTHONHASHSEED": seed}, capture_output=True,
                              text=True, timeout=300, check=True)
        runs.append(json.loads(done.stdout.strip().splitlines()[-1]))
    assert runs[0] == runs[1] == runs[2]
