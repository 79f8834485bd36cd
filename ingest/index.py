"""Index: write chunks into Chroma through LangChain's indexing API and a SQL record manager.

The record manager remembers a content hash per chunk, so re-running on an unchanged corpus
embeds nothing, a changed document's old chunks are replaced (`scoped_full` cleanup per
document) and a removed document's chunks are deleted. Nothing is ever duplicated.

A run that is killed half-way (kill -9, power loss) can leave chunks in Chroma that the record
manager never heard of, or a half-written embedding-cache file. Each run leaves its own marker
(pid + run id) in the index folder while it works; the next run that finds a marker of a dead
process repairs both (`Indexer.reconcile`, `drop_broken_cache_entries`) before it indexes
anything, unless another run is live (its in-flight chunks would look like orphans).

Usage (writes an index, so not a doctest):

    idx = Indexer(settings)
    counts = idx.index_document("x.txt", chunks)   # num_added, num_updated, num_skipped, …
"""

from __future__ import annotations

import json
import logging
import os
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Sequence

from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings

from core.embeddings import EmbeddingModelError, cache_namespace, make_embeddings
from core.settings import Settings
from core.store import (
    IndexNotWritable,
    chroma_client,
    open_store,
    read_all,
    storage_errors,
    write_problem,
)
from core.values import Chunk

log = logging.getLogger("hjalp.ingest")

@dataclass
class IndexCounts:
    added: int = 0
    updated: int = 0
    skipped: int = 0
    deleted: int = 0

    def add(self, result: dict[str, int]) -> None:
        self.added += result.get("num_added", 0)
        self.updated += result.get("num_updated", 0)
        self.skipped += result.get("num_skipped", 0)
        self.deleted += result.get("num_deleted", 0)


def to_document(chunk: Chunk) -> Document:
    return Document(page_content=chunk.text, metadata=chunk.metadata())


def chunk_key(chunk: Chunk) -> str:
    """The id `index_document` gives a chunk in the store and the record manager: LangChain's
    sha256 of its text and metadata (its own helper, so that the two can never differ; a test
    compares them)."""
    from langchain_core.indexing.api import _get_document_with_hash

    return str(_get_document_with_hash(to_document(chunk), key_encoder="sha256").id)


class PreparedEmbeddings(Embeddings):
    """The store's embeddings: `inner`, except for passages embedded ahead (`prepare`).

    A run that can be cancelled embeds its new chunks first, a few at a time, and writes only
    when all are embedded; the write then takes the vectors from here and embeds nothing, so
    it is short and nothing is half-written when a cancel comes between two batches.
    """

    def __init__(self, inner: Embeddings) -> None:
        self.inner = inner
        self._ready: dict[str, list[float]] = {}

    def prepare(self, texts: Sequence[str]) -> None:
        texts = list(texts)
        self._ready.update(zip(texts, self.inner.embed_documents(texts), strict=True))

    def clear(self) -> None:
        self._ready.clear()

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        missing = list(dict.fromkeys(t for t in texts if t not in self._ready))
        fresh = dict(zip(missing, self.inner.embed_documents(missing), strict=True)) \
            if missing else {}
        return [self._ready[t] if t in self._ready else fresh[t] for t in texts]

    def embed_query(self, text: str) -> list[float]:
        return self.inner.embed_query(text)


class Indexer:
    """Owns the store and record manager for one ingest run."""

    def __init__(self, settings: Settings, embeddings: Any = None, client: Any = None) -> None:
        from langchain_classic.indexes import SQLRecordManager

        self.settings = settings
        # Refused before anything is written: a read-only index is read from a copy, and a
        # change would land there and be lost.
        problem = write_problem(settings)
        if problem is not None:
            raise IndexNotWritable(problem)
        check_model(settings)  # before a model loads or a vector of another model is written
        with storage_errors(settings):
            settings.index_dir.mkdir(parents=True, exist_ok=True)
            self.embeddings = embeddings if embeddings is not None else make_embeddings(settings)
            self.prepared = PreparedEmbeddings(self.embeddings)
            self.store = open_store(settings, self.prepared,
                                    client if client is not None else chroma_client(settings))
            self.records = SQLRecordManager(
                namespace=f"chroma/{settings.collection}", db_url=settings.record_manager_url
            )
            self.records.create_schema()

    def index_document(self, doc: str, chunks: Iterable[Chunk]) -> dict[str, int]:
        """Make the index hold exactly these chunks for `doc` (adds, replaces, deletes)."""
        from langchain_core.indexing import index

        return dict(index(
            [to_document(c) for c in chunks],
            self.records,
            self.store,
            cleanup="scoped_full",
            source_id_key="doc",
            key_encoder="sha256",
            batch_size=64,
        ))

    def unindexed_texts(self, chunks: Sequence[Chunk]) -> list[str]:
        """The texts `index_document` would embed: of chunks the record manager does not hold
        (new or changed text or metadata), each once, in order."""
        keys = [chunk_key(c) for c in chunks]
        held = self.records.exists(keys) if keys else []
        return list(dict.fromkeys(c.text for c, known in zip(chunks, held, strict=True)
                                  if not known))

    def contents(self) -> dict[frozenset[str], str]:
        """Each indexed document's set of chunk texts → its name (to spot duplicate files)."""
        data = read_all(self.store, ["documents", "metadatas"])
        texts: dict[str, set[str]] = {}
        for text, meta in zip(data["documents"], data["metadatas"], strict=True):
            if meta and meta.get("doc"):
                texts.setdefault(str(meta["doc"]), set()).add(text)
        return {frozenset(t): doc for doc, t in sorted(texts.items())}

    def reconcile(self) -> tuple[int, int]:
        """Make the store and the record manager hold the same ids; returns (orphans, ghosts).

        Orphans (in Chroma, unknown to the record manager) would never be cleaned up; ghosts
        (recorded, missing from Chroma) would be skipped as "unchanged" forever.
        """
        store_ids = set(read_all(self.store, [])["ids"])
        keys = set(self.records.list_keys())
        orphans, ghosts = sorted(store_ids - keys), sorted(keys - store_ids)
        if orphans:
            self.store.delete(orphans)
        if ghosts:
            self.records.delete_keys(ghosts)
        return len(orphans), len(ghosts)

    def indexed_docs(self) -> set[str]:
        data = read_all(self.store, ["metadatas"])
        return {str(m.get("doc")) for m in data["metadatas"] if m and m.get("doc")}

    def delete_document(self, doc: str) -> int:
        """Remove every chunk of `doc` from the store and the record manager."""
        keys = self.records.list_keys(group_ids=[doc])
        if keys:
            self.store.delete(keys)
            self.records.delete_keys(keys)
            write_version(self.settings)
        return len(keys)

    def write_state(self, summary: dict[str, Any]) -> None:
        state = {"last_ingest": time.strftime("%Y-%m-%d %H:%M:%S"), **summary}
        _write_atomic(self.settings.index_dir / "ingest_state.json",
                      json.dumps(state, ensure_ascii=False, indent=2))


# Each run leaves its own marker, named by its pid and a run id, so that one run's end never
# removes another's. A marker whose process is gone is an interrupted run. RUN_MARKERS also
# matches RUN_MARKER, one marker named without pid and run id, which is read the same way.
RUN_MARKER = "ingest_running.json"
RUN_MARKERS = "ingest_running*.json"


@dataclass
class IngestRun:
    """One ingest's marker and what it found at its start."""

    marker: Path
    run_id: str
    started: float
    # The earliest start of the interrupted runs found (their markers' processes are gone).
    interrupted: float | None = None
    # Another live run holds a marker: its in-flight chunks would look like orphans, so this
    # run repairs nothing and leaves the dead markers for a run that is alone.
    concurrent: bool = False
    dead: tuple[Path, ...] = ()

    def end(self, completed: bool) -> None:
        """Completed: remove this run's marker and the dead ones it repaired. Failed: keep
        it, owned by no process (pid 0), so that the next run repairs after it."""
        if completed:
            for marker in self.dead:
                marker.unlink(missing_ok=True)
            self.marker.unlink(missing_ok=True)
            return
        # "started" stays, so the repair checks every cache file this run may have written.
        try:
            _write_atomic(self.marker, json.dumps({"pid": 0, "run": self.run_id,
                                                   "started": self.started}))
        except OSError:
            pass  # a full disk: the marker keeps this pid, and a dead pid reads as interrupted


def start_run(settings: Settings) -> IngestRun:
    """Leave this run's marker; report interrupted runs (dead markers) and concurrent ones."""
    settings.index_dir.mkdir(parents=True, exist_ok=True)
    run_id = uuid.uuid4().hex[:12]
    pid = os.getpid()
    marker = settings.index_dir / f"ingest_running.{pid}.{run_id}.json"
    started = time.time()
    _write_atomic(marker, json.dumps({"pid": pid, "run": run_id, "started": started,
                                      "process_start": _process_start(pid)}))
    # Read after writing: two runs starting together both see each other as concurrent.
    dead: list[Path] = []
    earliest: float | None = None
    concurrent = False
    for other in sorted(settings.index_dir.glob(RUN_MARKERS)):
        if other == marker:
            continue
        other_pid, other_started, process_start = _read_marker(other)
        if _alive(other_pid, process_start):
            concurrent = True
            continue
        dead.append(other)
        earliest = other_started if earliest is None else min(earliest, other_started)
    if concurrent:
        return IngestRun(marker, run_id, started, concurrent=True)
    return IngestRun(marker, run_id, started, interrupted=earliest, dead=tuple(dead))


def run_markers(settings: Settings) -> list[Path]:
    """The markers of runs that are working or were interrupted."""
    return sorted(settings.index_dir.glob(RUN_MARKERS))


def _read_marker(marker: Path) -> tuple[int, float, str | None]:
    try:
        data = json.loads(marker.read_text(encoding="utf-8"))
        start = data.get("process_start")
        return (int(data.get("pid", 0)), float(data.get("started", 0.0)),
                str(start) if start is not None else None)
    except (OSError, ValueError, TypeError, AttributeError):
        # Unreadable: treat as a dead run that may have written anything.
        return 0, 0.0, None


def _process_start(pid: int) -> str | None:
    """When a process started (clock ticks since boot, Linux), to tell a reused pid apart."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name (field 2) may hold spaces and parentheses; fields after it are plain.
    fields = stat[stat.rfind(")") + 2:].split()
    return fields[19] if len(fields) > 19 else None


def drop_broken_cache_entries(settings: Settings, since: float) -> int:
    """Delete embedding-cache files written since `since` that do not hold a vector.

    The cache writes files in place, so a killed run can leave one cut off; read back, it
    would stop every later ingest with a JSON error.
    """
    folder = Path(settings.embedding_cache_dir) / cache_namespace(settings)
    if not folder.is_dir():
        return 0
    dropped = 0
    for path in folder.rglob("*"):
        try:
            if not path.is_file() or path.stat().st_mtime < since - 2:
                continue
            vector = json.loads(path.read_bytes().decode("utf-8"))
            if isinstance(vector, list) and vector and all(
                    isinstance(x, (int, float)) for x in vector):
                continue
        except (ValueError, UnicodeDecodeError):
            pass
        except OSError:
            continue
        path.unlink(missing_ok=True)
        dropped += 1
    return dropped


def _alive(pid: int, process_start: str | None = None) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    # A pid taken over by another process after the run died is not the run.
    now = _process_start(pid)
    return process_start is None or now is None or now == process_start


def _write_atomic(path: Path, text: str) -> None:
    # A reader never sees half a file, even when this process is killed while writing.
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


VERSION_FILE = "index_version"


class IndexModelMismatch(EmbeddingModelError):
    """The index was built with another embedding model than the settings name: a question's
    vector would be compared with vectors of another model. The message says what to do."""


def embedding_model_id(settings: Settings) -> str:
    """The embedding model as the version stamp names it (one word: the cache's namespace)."""
    return cache_namespace(settings)


def write_version(settings: Settings) -> None:
    """Stamp the index as changed, so that a running app notices a CLI ingest
    (`Assistant.follow_index` reads it before every question), and name the embedding model
    that wrote it (`check_model`). The stamp is `<ns> <pid> <run> <model>`."""
    stamp = (f"{time.time_ns()} {os.getpid()} {uuid.uuid4().hex[:8]} "
             f"{embedding_model_id(settings)}")
    try:
        _write_atomic(settings.index_dir / VERSION_FILE, stamp)
    except OSError as exc:
        # The index was written, or failed with its own clear error; a stamp that cannot be
        # written only means a running app notices the change at its next restart.
        log.warning("Could not stamp the index version (%s)", exc)


def written_here(version: str) -> bool:
    """Whether this process wrote the stamp (its writes went through this process's client)."""
    parts = version.split()
    return len(parts) > 1 and parts[1] == str(os.getpid())


def read_version(settings: Settings) -> str:
    """The index's change stamp ('' before the first ingest): one small file read."""
    try:
        return (settings.index_dir / VERSION_FILE).read_text(encoding="utf-8")
    except OSError:
        return ""


def stamped_model(version: str) -> str | None:
    """The embedding model a stamp names; None for no stamp or one written before stamps
    named it."""
    parts = version.split()
    return parts[3] if len(parts) > 3 else None


def check_model(settings: Settings, version: str | None = None) -> None:
    """IndexModelMismatch when the index (its stamp `version`, read if not given) was built
    with another embedding model than `settings` name."""
    built = stamped_model(read_version(settings) if version is None else version)
    wanted = embedding_model_id(settings)
    if built is None or built == wanted:
        return
    raise IndexModelMismatch(
        f"Indexet i {settings.index_dir} byggdes med embeddingmodellen {built}, men "
        f"inställningarna anger {wanted}; frågor och dokument måste bäddas in med samma modell. "
        "Välj samma modell som förut (HJALP_EMBEDDING_BACKEND, HJALP_EMBEDDING_MODEL), eller "
        "bygg ett index med den nya modellen i en egen mapp (HJALP_INDEX_DIR=<ny mapp> python "
        "-m assistant ingest); det befintliga indexet är orört. / The index in "
        f"{settings.index_dir} was built with embedding model {built}, but the settings name "
        f"{wanted}. Choose the same model again, or build an index with the new model in a "
        "folder of its own (HJALP_INDEX_DIR); the existing index is untouched.")


def read_state(settings: Settings) -> dict[str, Any]:
    path = settings.index_dir / "ingest_state.json"
    if not path.is_file():
        return {}
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return {}
