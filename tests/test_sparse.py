"""The inverted-index BM25 scores exactly like rank_bm25's BM25Okapi, which it replaced."""

from __future__ import annotations

import numpy as np
import pytest
from rank_bm25 import BM25Okapi

from assistant.sparse import SparseIndex
from assistant.text import Analyzer
from core.settings import PROJECT_ROOT, Settings
from ingest.load import read_manifest
from ingest.pipeline import chunk_document, corpus_files, resolve_meta


@pytest.fixture(scope="module")
def analysed_corpus() -> tuple[Analyzer, list[list[str]]]:
    corpus = PROJECT_ROOT / "corpus"
    settings = Settings.load(env={})
    manifest = read_manifest(corpus)
    chunks = [c for p in corpus_files(corpus)
              for c in chunk_document(p, resolve_meta(p, manifest), settings)]
    analyzer = Analyzer.from_texts(c.text for c in chunks)
    return analyzer, [analyzer.terms(f"{c.section}\n{c.text}") for c in chunks]


QUESTIONS = [
    "Vem ansvarar för en utomhusrollator i Norrbotten?",
    "Får en rehabassistent förskriva hjälpmedel?",  # "hjälpmedel" is in most chunks
    "Får jag ordinera HPV-vaccin till en 20-åring?",
    "egenavgift egenavgift hörapparat",  # a repeated term counts twice
    "quantum blockchain",  # no known term
]


@pytest.mark.parametrize("question", QUESTIONS)
def test_scores_equal_bm25okapi_on_the_bundled_corpus(analysed_corpus, question):
    analyzer, corpus = analysed_corpus
    terms = analyzer.terms(question)
    expected = BM25Okapi(corpus).get_scores(terms)
    np.testing.assert_allclose(SparseIndex(corpus).scores(terms), expected, rtol=1e-12,
                               atol=1e-12)


def test_search_ranks_like_a_full_sort_and_drops_zero_scores(analysed_corpus):
    analyzer, corpus = analysed_corpus
    index = SparseIndex(corpus)
    terms = analyzer.terms("Vilka avgifter gäller för hjälpmedel i Kronoberg?")
    scores = index.scores(terms)
    full = sorted(range(len(scores)), key=lambda i: (-scores[i], i))
    expected = [(i, float(scores[i])) for i in full[:30] if scores[i] > 0]
    assert index.search(terms, 30) == expected
    assert index.search(["quantum"], 30) == []


def test_equal_scores_keep_document_order_and_k_is_capped():
    index = SparseIndex([["säng"], ["rollator"], ["stol"], ["rollator"], ["lyft"], ["rollator"],
                         ["säng"], ["stol"]])
    assert [i for i, _ in index.search(["rollator"], 10)] == [1, 3, 5]
    assert [i for i, _ in index.search(["rollator"], 2)] == [1, 3]
    assert index.doc_freq["rollator"] == 3 and "rullstol" not in index.doc_freq
    assert index.search(["rollator"], 0) == []


def test_an_empty_corpus_or_query_finds_nothing():
    assert SparseIndex([]).search(["rollator"], 5) == []
    assert SparseIndex([["rollator"]]).search([], 5) == []
